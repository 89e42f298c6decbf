/* fh-shell-result.h — the result of a shell command, as both shell modes
 * report it (the bash builtin in direct mode, farmhand-executor in
 * translator mode): one producer of shell result frames.
 */
#pragma once

#include <glib.h>

#include "fh-message.h"

G_BEGIN_DECLS

/* How many of a failed command's last stderr lines the dispatcher appends
 * to its traceback: commands write stderr straight into its pipe. */
#define FH_SHELL_STDERR_LINES 20

/* How a command ended. */
typedef enum {
  FH_SHELL_END_DONE,              /* it ran: the status is its exit status */
  FH_SHELL_END_INTERRUPTED,       /* farmhand interrupted it; the shell
                                     discarded the rest of it and lives */
  FH_SHELL_END_SESSION,           /* it ended the shell (`exit 3`, set -e) */
  FH_SHELL_END_INTERRUPTED_SESSION,  /* farmhand interrupted it and the
                                     shell ended rather than run more of
                                     it (translator mode) */
  FH_SHELL_END_ORPHAN,            /* it never reached its answer (a stray
                                     `break` at the top level) */
} FhShellEnd;

/* The result message of command @seq: status 0 only for a command that
 * ran and exited 0; "final" when the session ended with it.
 * (transfer full) */
FhMessage *fh_shell_result_new (gint64 seq, FhShellEnd how, int status);

G_END_DECLS
