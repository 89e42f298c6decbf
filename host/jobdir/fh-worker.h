/* fh-worker.h — `farmhand worker JOBDIR`: one of many hosts of a job laid
 * out in a shared job directory (FhJobDir).
 *
 * A worker runs the job through the job-type plugin exactly as `farmhand
 * run` does — one executor, setup once — but takes its items one at a
 * time by claiming them in the job directory, so a slow item never holds
 * the others up.  It writes each result there as the item ends, keeps its
 * heartbeat fresh from a helper thread (even while a command runs for
 * hours), and, when nothing is left to claim but items still run
 * elsewhere, waits: if their worker dies, it takes them over.  When every
 * item has a result it runs teardown and exits.
 *
 * An OpenJD job's worker is one OpenJD Session: environments entered once
 * for the tasks it runs, of one step or of each step in turn as their
 * dependencies complete (FhStepPicker); a task's failure ends a Session,
 * and a new one takes the tasks left.
 *
 * SIGTERM/SIGINT (Slurm's cancel, `farmhand cancel`) cancel gracefully:
 * the command is interrupted, teardown runs; a second one stops at once.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhWorker FhWorker;

typedef struct
{
  const char *job_dir;
  const char *name;     /* nullable: from Slurm's task ids, else host-pid */
  const char *plugin;   /* nullable: the default job-type plugin */
  const char *step;     /* nullable: take only this step's tasks (an OpenJD
                           job's; the steps it depends on must complete) */
} FhWorkerOptions;

/* Opens the job directory, the job and the plugin.  (transfer full) */
FhWorker *fh_worker_new (const FhWorkerOptions *options, GError **error);
void fh_worker_free (FhWorker *self);

/* Works until no item is left (or the job is cancelled).  Returns the
 * exit status: 0 every item this worker ran completed, 1 one failed or
 * the job failed here (setup, the executor), 128 + signal when cancelled
 * by one. */
int fh_worker_run (FhWorker *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhWorker, fh_worker_free)

G_END_DECLS
