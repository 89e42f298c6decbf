/* fh-openjd-runner.h — an OpenJD job run as one Session on this machine
 * (How Jobs Are Run), the way farmhand runs a job: the host serves the
 * tasks (items) one at a time, each is reported with its result.
 *
 * The session: a working directory of its own (0700, under
 * $TMPDIR/OpenJD), its path mapping rules in a file there; the
 * environment templates' environments, then the job's, entered in order;
 * for each task, its step's environments entered (those of a step before
 * exited, last first); the task's onRun action; at the end every entered
 * environment exited, last first — also after a failure, a timeout or a
 * cancel.  Every action is a process of its own (fh-action-process.h)
 * with the session's environment variables, its embedded files written
 * before it, its timeout and its cancelation method.
 *
 * Any failure ends the session, as the specification says: no more tasks
 * are asked for, environments are exited.  With retries configured
 * (farmhand's, by failure class), a failed task is first run again.
 */
#pragma once

#include <glib.h>

#include "fh-job.h"
#include "fh-openjd-job.h"
#include "fh-plugin.h"

G_BEGIN_DECLS

typedef struct
{
  FhJob *farm;             /* log rules and retries (borrowed) */
  gboolean preserve;       /* keep the working directory */
  const char *root;        /* nullable: where sessions live ($TMPDIR/OpenJD) */
} FhOjRunnerOptions;

typedef struct _FhOjRunner FhOjRunner;

/* @job, @host and @options' members are borrowed: they outlive the
 * runner.  (transfer full) */
FhOjRunner *fh_oj_runner_new (FhOjJob *job, const FhHostApi *host, const FhOjRunnerOptions *options);
void fh_oj_runner_free (FhOjRunner *self);

/* Runs the session to its end; @summary_json (nullable out) as job_run's.
 * Returns an FhRunStatus. */
int fh_oj_runner_run (FhOjRunner *self, char **summary_json);
/* FhCancelFlags; thread-safe.  Graceful: the running action is cancelled
 * as its cancelation method says, then environments are exited.  Now:
 * the running action is killed at once (environments are still exited:
 * the specification's cleanup guarantee).  Item: the running task alone. */
void fh_oj_runner_cancel (FhOjRunner *self, int flags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhOjRunner, fh_oj_runner_free)

G_END_DECLS
