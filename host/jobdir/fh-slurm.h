/* fh-slurm.h — the Slurm commands farmhand uses to scale out: one array
 * job of workers (sbatch), whether it still runs (squeue), and cancel
 * (scancel).  The commands are found on PATH; their output is in every
 * error.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * FhSlurmError: errors talking to Slurm.
 * @FH_SLURM_ERROR_NOT_FOUND: a Slurm command (sbatch, squeue, scancel) is
 *   not installed.
 * @FH_SLURM_ERROR_FAILED: a Slurm command failed; the message has its
 *   output.
 * A command that cannot be run at all keeps its G_SPAWN_ERROR and code.
 */
typedef enum {
  FH_SLURM_ERROR_NOT_FOUND,
  FH_SLURM_ERROR_FAILED,
} FhSlurmError;

#define FH_SLURM_ERROR (fh_slurm_error_quark ())
GQuark fh_slurm_error_quark (void);

typedef struct
{
  guint tasks;                    /* the array: tasks 0 .. tasks - 1 */
  const char *name;               /* --job-name */
  const char *output;             /* --output pattern */
  const char *partition;          /* nullable */
  const char *dependency;         /* nullable: --dependency, e.g. afterany:12:13 */
  const char *const *extra_args;  /* nullable: more sbatch arguments */
  const char *const *command;     /* what each task runs */
} FhSlurmArray;

/* Submits the array; returns Slurm's job id.  (transfer full) */
char *fh_slurm_submit_array (const FhSlurmArray *array, GError **error);

/* @job_id below may be several, comma-separated.
 * Whether any task of @job_id is pending or running. */
gboolean fh_slurm_job_active (const char *job_id, gboolean *active,
                              GError **error);

/* The time job @job_id has left before its time limit, in seconds; -1
 * when it has none. */
gboolean fh_slurm_time_left (const char *job_id, gint64 *seconds, GError **error);

/* Signals only the tasks' batch shells (so farmhand workers can run
 * teardown before they exit). */
gboolean fh_slurm_signal_batch (const char *job_id, const char *signal_name,
                                GError **error);
/* Cancels the tasks of @job_id that have not started. */
gboolean fh_slurm_cancel_pending (const char *job_id, GError **error);
/* Cancels the job: Slurm ends every process of it. */
gboolean fh_slurm_cancel (const char *job_id, GError **error);

G_END_DECLS
