/* fh-action-process.h — one command run as a process of its own: an
 * OpenJD action (Template Schemas §5).
 *
 * The command is run as argv, without a shell, in a session and process
 * group of its own (so that a signal reaches everything it started, and
 * nothing it does reaches us), with stdin /dev/null and stdout and
 * stderr merged into one stream of lines (LF, CRLF or CR end a line;
 * lines cut at FH_ACTION_MAX_LINE; invalid UTF-8 repaired).  Should
 * farmhand die, the process gets SIGKILL.
 *
 * It is done when it has exited and its output has ended — or, when
 * something it left behind holds the output open, FH_ACTION_DRAIN_S
 * after it exited (what is left is the session's to end).
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define FH_ACTION_MAX_LINE (64 * 1024)
#define FH_ACTION_DRAIN_S 5

typedef struct _FhActionProcess FhActionProcess;

/* A line of output: valid UTF-8, @len bytes, not NUL-terminated. */
typedef void (*FhActionLineFunc) (const char *line, gsize len, gpointer user_data);

/* Starts @argv (argv[0] looked up in @envp's PATH) in @cwd with exactly
 * the environment @envp, through @launcher (farmhand-action: see
 * executor/farmhand-action.c), watched on @context.  A command that
 * cannot be run exits 127, its output saying why.  (transfer full) */
FhActionProcess *fh_action_process_spawn (GMainContext *context, const char *launcher,
                                          const char *const *argv, const char *const *envp, const char *cwd,
                                          FhActionLineFunc func, gpointer user_data, GError **error);
/* Stops watching; a command still running is killed (its process group,
 * SIGKILL).  What a command that exited left running is not touched: an
 * environment may start a service for the actions after it. */
void fh_action_process_free (FhActionProcess *self);

/* Its process group (its pid). */
pid_t fh_action_process_get_pgid (FhActionProcess *self);
/* Sends @signum to its process group while it runs. */
void fh_action_process_signal (FhActionProcess *self, int signum);

gboolean fh_action_process_is_done (FhActionProcess *self);
/* Once done: its exit status, or -N when signal N ended it. */
int fh_action_process_get_exit_code (FhActionProcess *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhActionProcess, fh_action_process_free)

G_END_DECLS
