/* fh-cli.h — the farmhand command line: one function per subcommand and
 * what they share.  Exit codes: 0 success, 1 an item (or the job) failed,
 * 2 usage error or invalid job. */
#pragma once

#include <glib.h>

#include "fh-job-handle.h"

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

/* Prints why fh_job_handle_new_from_file() failed ("invalid job PATH:" and its
 * problems, or what went wrong loading) and returns FH_EXIT_USAGE. */
int fh_cli_open_job_failed (const char *path, const GError *error);

/* The executor a job description (job_describe) names: its preset, or
 * its program.  (transfer none) */
const char *fh_cli_executor_name (JsonObject *described);

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
int fh_cli_openjd (int argc, char **argv);

G_END_DECLS
