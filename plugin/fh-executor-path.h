/* fh-executor-path.h — where the executors live, and a job's executor argv.
 *
 * The executors are found, in order: in $FARMHAND_EXECUTOR_DIR; next to
 * the code that asks (../executor from the plugin or test binary, i.e. a
 * build tree); in the installed libexec directory.
 */
#pragma once

#include <glib.h>

#include "fh-job.h"

G_BEGIN_DECLS

/* The directory holding farmhand-executor and farmhand_executor.py.
 * (transfer full) */
char *fh_executor_dir (void);

/* The argv that starts @job's executor: a preset ("shell", "python")
 * resolved to paths, or the job's own argv with {farmhand_executor} and
 * {farmhand_executor_py} replaced.  (transfer full) */
char **fh_executor_argv_for_job (const FhJob *job, GError **error);

G_END_DECLS
