/* fh-cli.h — the farmhand command line: one function per subcommand and
 * what they share.  Exit codes: 0 success, 1 an item (or the job) failed,
 * 2 usage error or invalid job. */
#pragma once

#include <glib.h>

#include "fh-plugin-session.h"

G_BEGIN_DECLS

#define FH_EXIT_OK 0
#define FH_EXIT_FAILED 1
#define FH_EXIT_USAGE 2

/* Prints "farmhand: <message>" (and a --help hint for @cmd when not NULL)
 * and returns FH_EXIT_USAGE. */
int fh_cli_usage_error (const char *cmd, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* A parsed context for `farmhand CMD PARAM`, with --help.  (transfer full) */
GOptionContext *fh_cli_context (const char *cmd, const char *param,
                                const char *summary, const GOptionEntry *entries);

/* The job file @path through the job-type plugin at @plugin (NULL: the
 * default one), runnable or only to describe and list; @output_dir
 * (nullable) is its FARMHAND_OUTPUT_DIR, and @text (nullable out) gets
 * the file's text.  Errors: G_FILE_ERROR reading, FH_LOADER_ERROR
 * loading, FH_HOST_ERROR_INVALID_JOB for a job the plugin refused.
 * (transfer full) */
FhPluginSession *fh_cli_open_job (const char *path, const char *plugin, const char *output_dir,
                                  gboolean runnable, char **text, GError **error);
/* Prints why fh_cli_open_job() failed ("invalid job PATH:" and its
 * problems, or what went wrong loading) and returns FH_EXIT_USAGE. */
int fh_cli_open_job_failed (const char *path, const GError *error);

/* The executor a job description (job_describe) names: its preset, or
 * its program.  (transfer none) */
const char *fh_cli_executor_name (JsonObject *described);

/* ---- shared by submit and serve ------------------------------------------- */

typedef struct _FhJobDir FhJobDir;
typedef struct _FhJobDirOptions FhJobDirOptions;

/* A new job directory at @dir_path (NULL: ./farmhand-jobs/NAME-DATE-TIME)
 * for the job file @path, its agenda expanded.  Errors as
 * fh_cli_open_job(), and FH_JOBDIR_ERROR.  (transfer full) */
FhJobDir *fh_submit_create (const char *path, const char *dir_path, const FhJobDirOptions *options,
                            GError **error);
/* Makes @dir's failed, cancelled and never-run items pending again
 * (fh_job_dir_resume), unless its Slurm array or a worker still runs
 * (FH_JOBDIR_ERROR_BUSY).  @remaining: the items not complete. */
gboolean fh_submit_resume (FhJobDir *dir, guint *remaining, GError **error);
/* The command a worker of @dir runs: this farmhand's `worker JOBDIR`.
 * (transfer full) */
char **fh_submit_worker_command (FhJobDir *dir);
/* Submits @workers workers of @dir as one Slurm array; its id.
 * (transfer full) */
char *fh_submit_slurm (FhJobDir *dir, guint workers, const char *partition,
                       const char *const *extra_args, GError **error);

int fh_cli_run (int argc, char **argv);
int fh_cli_validate (int argc, char **argv);
int fh_cli_expand (int argc, char **argv);
int fh_cli_submit (int argc, char **argv);
int fh_cli_worker (int argc, char **argv);
int fh_cli_status (int argc, char **argv);
int fh_cli_cancel (int argc, char **argv);
int fh_cli_session (int argc, char **argv);
int fh_cli_log (int argc, char **argv);
int fh_cli_serve (int argc, char **argv);

G_END_DECLS
