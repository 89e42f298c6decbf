/* fh-job-runner.h — runs one job through an executor connection, the way a farm's
 * job type does: start the executor, run setup, then request work from
 * the host, execute it and report it until there is no more, then run
 * teardown and close the executor.
 */
#pragma once

#include <glib.h>

#include "fh-job.h"
#include "fh-plugin.h"

G_BEGIN_DECLS

typedef struct _FhJobRunner FhJobRunner;

/* @job and @host are borrowed and must outlive the runner.
 * @output_dir (nullable) is exported as FARMHAND_OUTPUT_DIR; by default
 * ./farmhand-out/<job name> of the process.  (transfer full) */
FhJobRunner *fh_job_runner_new (FhJob *job, const FhHostApi *host,
                                const char *output_dir);
void fh_job_runner_free (FhJobRunner *self);

/* Runs the job to the end on a private main context.  Sets @summary_json
 * (nullable out) to the job summary.  Returns an FhRunStatus. */
int fh_job_runner_run (FhJobRunner *self, char **summary_json);

/* Thread-safe.  FhCancelFlags. */
void fh_job_runner_cancel (FhJobRunner *self, int flags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhJobRunner, fh_job_runner_free)

G_END_DECLS
