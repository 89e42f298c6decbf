/* fh-shell-session.h — one persistent POSIX shell, fed commands one by
 * one, each command's exit status read back on a channel its output
 * cannot reach.
 *
 * File descriptors of the shell:
 *   0  /dev/null (commands never see the script)
 *   1  the status channel: after each command the shell echoes
 *      "<status> <seq>"; commands run with fd 1 redirected to the log, so
 *      nothing they print can reach it
 *   2  a pipe to the executor, relayed to the log and kept as the
 *      command's stderr tail for tracebacks
 *   7  the log (the executor's stdout)
 *   the script: read by the shell from /dev/fd/3, which the shell moves
 *   above fd 9 with close-on-exec; fd 3 itself is closed by the first line
 *
 * Each command becomes one script line:
 *   command eval '<command>' >&7; echo "$? <seq>"
 * `command eval` keeps a syntax error in the command from ending the
 * session; cd, export, functions and `. ./env.sh` persist.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define FH_SHELL_LOG_FD 7

typedef struct _FhShellSession FhShellSession;

/* A command finished: @status 0 or 1 (FH_STATUS_*), @code its exit status,
 * @traceback (nullable) why it failed. */
typedef void (*FhShellDoneFunc) (gint64 seq, int status, int code,
                                 const char *traceback, gpointer user_data);
/* The shell exited with @exit_code (128 + signal when killed), after every
 * pending command was reported. */
typedef void (*FhShellExitFunc) (int exit_code, gpointer user_data);

/* Starts @shell in its own process group.  (transfer full) */
FhShellSession *fh_shell_session_new (const char *shell, gboolean echo,
                                      FhShellDoneFunc done,
                                      FhShellExitFunc on_exit,
                                      gpointer user_data, GError **error);
void fh_shell_session_free (FhShellSession *self);

void fh_shell_session_run (FhShellSession *self, gint64 seq, const char *command);
/* No more commands: the shell exits after the pending ones. */
void fh_shell_session_end_input (FhShellSession *self);
/* Signals the shell's process group (the shell and its commands). */
void fh_shell_session_signal (FhShellSession *self, int signum);
pid_t fh_shell_session_get_pid (FhShellSession *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhShellSession, fh_shell_session_free)

G_END_DECLS
