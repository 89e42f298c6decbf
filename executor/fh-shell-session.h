/* fh-shell-session.h — one persistent POSIX shell that answers the
 * dispatcher itself.
 *
 * File descriptors of the shell:
 *   0  /dev/null: commands never see the script
 *   1  the backchannel: after each command the shell writes the command's
 *      result frame here itself (printf can write the 4-byte length), so a
 *      result costs no hop through the executor; commands run with fd 1
 *      redirected to the log and cannot reach it
 *   2  the job log's stderr (inherited)
 *   7  the job log's stdout
 *   the script: read from /dev/fd/3, which the shell moves above fd 9 with
 *   close-on-exec; fd 3 itself is closed by the first line
 *
 * Each command becomes one script line:
 *   __fh_seq=N; command eval '<cmd>' >&7; __fh_s=$?; __fh_seq=
 *   case $__fh_s in 0) printf '<result frame>';; *) __fh_result N ...;; esac
 * `command eval` keeps a syntax error in the command from ending the
 * session; cd, export, functions and `. ./env.sh` persist.  An EXIT trap
 * answers for a command that ends the session (`exit 3`, `set -e`).
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define FH_SHELL_LOG_FD 7

typedef struct _FhShellSession FhShellSession;

/* The shell exited with @exit_code, or was killed by @signum (0 if not). */
typedef void (*FhShellExitFunc) (int exit_code, int signum, gpointer user_data);

/* Starts @shell in our process group; it answers on @backchannel_fd
 * (borrowed; duplicated for the shell).  (transfer full) */
FhShellSession *fh_shell_session_new (const char *shell, int backchannel_fd,
                                      FhShellExitFunc on_exit_func,
                                      gpointer user_data, GError **error);
void fh_shell_session_free (FhShellSession *self);

/* Queues command @seq for the shell. */
void fh_shell_session_run (FhShellSession *self, gint64 seq, const char *command);
/* No more commands: the shell exits after the queued ones. */
void fh_shell_session_end_input (FhShellSession *self);
/* Signals the shell. */
void fh_shell_session_signal (FhShellSession *self, int signum);
pid_t fh_shell_session_get_pid (FhShellSession *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhShellSession, fh_shell_session_free)

G_END_DECLS
