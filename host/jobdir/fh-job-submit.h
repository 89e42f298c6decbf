/* fh-job-submit.h — a job file laid out in a job directory
 * (docs/jobdir.md) and given workers: what `farmhand submit` and
 * `farmhand serve` share.
 */
#pragma once

#include <glib.h>

#include "fh-job-dir.h"
#include "fh-job-handle.h"

G_BEGIN_DECLS

/* A new job directory at @dir_path (NULL: ./farmhand-jobs/NAME-DATE-TIME)
 * for the job at @path — a farmhand job file, an OpenJD template or job
 * bundle, opened with @open_options (nullable; job_open's: an OpenJD
 * job's parameters, environments, path mapping rules) — its agenda
 * expanded.  An OpenJD job is kept whole in the directory (its template,
 * environment templates, every parameter's value, its rules) with its
 * steps.  Errors as fh_job_handle_open(), and FH_JOBDIR_ERROR.
 * (transfer full) */
FhJobDir *fh_job_submit_create (const char *path, JsonObject *open_options, const char *dir_path,
                                const FhJobDirOptions *options, GError **error);
/* The job of @dir through the job-type plugin at @plugin (NULL: the
 * default one), as it was made where it was submitted; runnable or only
 * to describe and list.  (transfer full) */
FhJobHandle *fh_job_submit_open_job (FhJobDir *dir, const char *plugin, gboolean runnable, GError **error);
/* Makes @dir's failed, cancelled and never-run items pending again
 * (fh_job_dir_resume), unless its Slurm array or a worker still runs
 * (FH_JOBDIR_ERROR_BUSY).  @remaining: the items not complete. */
gboolean fh_job_submit_resume (FhJobDir *dir, guint *remaining, GError **error);
/* The command a worker of @dir runs: this farmhand's `worker JOBDIR`.
 * (transfer full) */
char **fh_job_submit_worker_command (FhJobDir *dir);
/* How a job directory's workers go to Slurm. */
typedef struct
{
  guint workers;                   /* the array's tasks (a step's, for an
                                      OpenJD job) */
  GHashTable *step_workers;        /* nullable: step name → workers
                                      (GUINT_TO_POINTER), over @workers */
  const char *partition;           /* nullable */
  const char *const *extra_args;   /* nullable: more sbatch arguments */
} FhJobSubmitSlurm;

/* Submits @dir's workers to Slurm: one array, or for an OpenJD job one
 * array per step with tasks not complete, each depending (afterany) on
 * its dependencies' arrays; at most one worker a task left.  Records
 * them in the job directory and returns the ids, comma-separated;
 * @n_workers: how many workers in all.  (transfer full) */
char *fh_job_submit_slurm (FhJobDir *dir, const FhJobSubmitSlurm *opts, guint *n_workers, GError **error);

/* The options job_open takes for an OpenJD job's parameters (NAME=VALUE,
 * file://, inline JSON), environment templates and path mapping rules
 * (each nullable), relative paths meaning what they mean in the current
 * directory.  (transfer full) */
JsonObject *fh_job_submit_openjd_options (const char *const *parameters, const char *const *environments,
                                          const char *path_mapping_rules);

G_END_DECLS
