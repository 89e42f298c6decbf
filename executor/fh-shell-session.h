/* fh-shell-session.h — one persistent shell that answers the dispatcher
 * itself, in one of two modes.
 *
 * Direct mode (bash with farmhand's loadable builtin, the default): bash
 * reads the dispatcher's command frames itself and writes each result
 * frame to the backchannel itself, so a command costs two process
 * wake-ups (dispatcher → bash → dispatcher), the physical minimum, and no
 * redirection.  bash reads its script from a file that only grows; after
 * the preamble the builtin keeps appending, ahead of bash, the line
 *
 *   farmhand_step $?
 *
 * which answers the previous command, takes the next and runs it at
 * bash's top level, exactly as a line of a script (`declare`, `cd`,
 * `source`, even a stray `break` behave as they would there).  Its fds: 0
 * /dev/null; 1 and 2 the job log (inherited); the command frames (a copy
 * of our stdin), the backchannel and the script's writing end, which the
 * builtin moves above fd 99 with close-on-exec.  An EXIT trap answers for
 * a command that ends the shell.
 *
 * Interrupts (docs/protocol.md): bash discards the rest of an
 * interrupted command and the session lives on (see fh-bash-builtin.c).
 *
 * Translator mode (any other shell, e.g. --shell /bin/sh, or bash when the
 * builtin cannot load): the executor reads the frames and writes one
 * script line per command to the shell, reads the shell's answer and
 * sends the result frame.  File descriptors of the shell:
 *   0  /dev/null: commands never see the script
 *   1  the answers pipe: after each command the shell writes "SEQ STATUS";
 *      commands run with fd 1 redirected to the log and cannot reach it
 *   2  the job log's stderr (inherited)
 *   7  the job log's stdout
 *   the script: read from /dev/fd/3, which the shell moves above fd 9 with
 *   close-on-exec; fd 3 itself is closed by the first line
 *
 * Each command becomes one script line:
 *   __fh_seq=N; command eval '<cmd>' >&7; __fh_s=$?; __fh_seq=; echo N $__fh_s
 * `command eval` keeps a syntax error in the command from ending the
 * session; cd, export, functions and `. ./env.sh` persist.  A command that
 * ends the shell (`exit 3`, `set -e`) is answered by the executor when
 * the shell exits.  An interrupt ends the shell (a POSIX shell cannot
 * discard the rest of a command and go on), and the executor answers.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "fh-message.h"

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
/* Direct mode: starts @bash, which loads @builtin and then reads command
 * frames from @frames_fd and answers on @backchannel_fd (both borrowed;
 * duplicated for bash).  Returns once the builtin is loaded; if bash
 * cannot load it, fails with FH_EXECUTOR_ERROR_SPAWN (bash's own message
 * is in the log) and leaves nothing running.  (transfer full) */
FhShellSession *fh_shell_session_new_direct (const char *bash, const char *builtin,
                                             int frames_fd, int backchannel_fd,
                                             FhShellExitFunc on_exit_func,
                                             gpointer user_data, GError **error);
void fh_shell_session_free (FhShellSession *self);

/* Translator mode only: queues command message @command for the shell. */
void fh_shell_session_run (FhShellSession *self, const FhMessage *command);
/* Translator mode only: farmhand is interrupting the command in flight
 * (the executor got SIGINT): if the shell ends before it answers, the
 * result says so. */
void fh_shell_session_note_interrupt (FhShellSession *self);
/* Translator mode only: no more commands; the shell exits after the
 * queued ones. */
void fh_shell_session_end_input (FhShellSession *self);
/* Signals the shell. */
void fh_shell_session_signal (FhShellSession *self, int signum);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhShellSession, fh_shell_session_free)

G_END_DECLS
