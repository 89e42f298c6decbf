/* fh-job-submit.h — a job file laid out in a job directory
 * (docs/jobdir.md) and given workers: what `farmhand submit` and
 * `farmhand serve` share.
 */
#pragma once

#include <glib.h>

#include "fh-job-dir.h"

G_BEGIN_DECLS

/* A new job directory at @dir_path (NULL: ./farmhand-jobs/NAME-DATE-TIME)
 * for the job file @path, its agenda expanded.  Errors as
 * fh_job_handle_new_from_file(), and FH_JOBDIR_ERROR.  (transfer full) */
FhJobDir *fh_job_submit_create (const char *path, const char *dir_path, const FhJobDirOptions *options,
                                GError **error);
/* Makes @dir's failed, cancelled and never-run items pending again
 * (fh_job_dir_resume), unless its Slurm array or a worker still runs
 * (FH_JOBDIR_ERROR_BUSY).  @remaining: the items not complete. */
gboolean fh_job_submit_resume (FhJobDir *dir, guint *remaining, GError **error);
/* The command a worker of @dir runs: this farmhand's `worker JOBDIR`.
 * (transfer full) */
char **fh_job_submit_worker_command (FhJobDir *dir);
/* Submits @workers workers of @dir as one Slurm array; its id.
 * (transfer full) */
char *fh_job_submit_slurm (FhJobDir *dir, guint workers, const char *partition,
                           const char *const *extra_args, GError **error);

G_END_DECLS
