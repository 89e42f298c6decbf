/* fh-bash-link.h — the farmhand half of the bash builtin (direct mode).
 *
 * In direct mode bash itself reads the dispatcher's command frames and
 * writes result frames to the backchannel (see fh-shell-session.h): a
 * command costs two process wake-ups, the physical minimum, instead of
 * three through farmhand-executor.  The bash half (fh-bash-builtin.c)
 * sees only this plain-C interface, so bash's headers and GLib's never
 * meet in one file.
 *
 * bash reads its script from a file that only grows: after the preamble,
 * the same line again and again (FH_BASH_LINK_LINE), which answers the
 * previous command, takes the next and runs it from bash's top level as
 * `eval` would, with no loop around it.  The link appends lines in
 * batches, ahead of bash; at the end of input `farmhand_step` exits bash,
 * so lines queued beyond never run.
 *
 * A command is "pending" from fh_bash_link_next() until its result is
 * written; every pending command gets exactly one result, even when it
 * ends the shell (`exit`, `set -e`).
 */
#pragma once

typedef struct _FhBashLink FhBashLink;

/* What bash runs for each command: answer the previous one with its exit
 * status, take the next (or exit), run it.  One word and `$?`: bash parses
 * and expands the line for every command (it was `farmhand_step $? || exit
 * $__fh_exit; command eval "$__fh_command"`, a third of bash's work on a
 * no-op command). */
#define FH_BASH_LINK_LINE "farmhand_step $?\n"

typedef enum {
  FH_BASH_NEXT_COMMAND,      /* a command to run */
  FH_BASH_NEXT_END,          /* end of input, or an exit frame: the session
                                is over (fh_bash_link_get_exit_code()) */
  FH_BASH_NEXT_INTERRUPTED,  /* a signal arrived while waiting: let bash
                                handle it, then call again */
  FH_BASH_NEXT_ERROR,        /* a protocol or I/O error (see the message) */
} FhBashNext;

/* How the pending command ended (plain C for the bash half; the link
 * maps it to FhShellEnd, fh-shell-result.h). */
typedef enum {
  FH_BASH_ANSWER_DONE,         /* it ran: the status is its exit status */
  FH_BASH_ANSWER_INTERRUPTED,  /* farmhand interrupted it and bash discarded
                                  the rest of it */
  FH_BASH_ANSWER_EXIT,         /* it ended the shell */
  FH_BASH_ANSWER_ORPHAN,       /* it never reached its answer */
} FhBashAnswer;

/* Reads frames from @frames_fd, writes results to @backchannel_fd and
 * appends bash's script lines to @script_fd (positioned at its end); owns
 * all three.  (transfer full) */
FhBashLink *fh_bash_link_new (int frames_fd, int backchannel_fd, int script_fd);
void fh_bash_link_free (FhBashLink *self);
/* What bash exits with at FH_BASH_NEXT_END: the exit frame's code, or 0. */
int fh_bash_link_get_exit_code (FhBashLink *self);

/* Answers the pending command, if any, as @how says, then reads the next
 * command.  On FH_BASH_NEXT_COMMAND, *@command stays valid until the next
 * call; on FH_BASH_NEXT_ERROR, *@message says what went wrong.
 * (transfer none) */
FhBashNext fh_bash_link_next (FhBashLink *self, FhBashAnswer how, int status,
                              const char **command, const char **message);

/* What the command last taken knows of its item (FARMHAND_PHASE,
 * FARMHAND_ITEM, FARMHAND_FRAMES; fh-shell-vars.h): strings valid until
 * the next call, @item and @frames NULL when it has none.  (transfer none) */
void fh_bash_link_get_vars (FhBashLink *self, const char **phase, const char **item,
                            const char **frames);

/* Answers the pending command, if any.  Returns 0, or -1 with *@message
 * set when the backchannel cannot be written.  (transfer none) */
int fh_bash_link_answer (FhBashLink *self, FhBashAnswer how, int status, const char **message);
