/* fh-bash-builtin.c — farmhand_step, a bash loadable builtin: bash reads
 * the dispatcher's commands and answers them itself
 * (direct mode, see fh-shell-session.h).  Only bash's headers here; the
 * frames and JSON are fh-bash-link.c's.
 *
 * This file is MIT-licensed like the rest of farmhand; it is loaded into
 * GNU bash (GPL-3.0-or-later) and uses bash's builtin API.
 *
 * Loaded only by farmhand-executor, which starts bash with
 * FARMHAND_BASH_LINK="FRAMES BACKCHANNEL SCRIPT READY" (fd numbers; SCRIPT
 * is the write end of bash's own script).  On load those fds move above
 * HIGH_FD with close-on-exec (so commands never inherit them and
 * `exec 4>file` in a job cannot hit them), the variable is removed, and
 * one byte on READY tells the executor the builtins are in.
 *
 * Interrupts.  When farmhand stops a command (timeout, stall, cancel) the
 * dispatcher sends SIGURG, then SIGINT, to the executor's process group.
 * SIGINT is for the command's programs; SIGURG is for bash: the handler
 * below does what bash's own SIGINT handler does in an interactive shell
 * — it sets interrupt_state — so at its next safe point (QUIT) bash throws
 * to its top level and discards the rest of the command, as Ctrl-C at a
 * prompt does: not the next statement, not the rest of a loop, a
 * function, a `source`d file or a && chain.  bash then reads the next
 * line of its script, which answers the command (interrupted) and waits
 * for the next one.  The session survives.
 *
 * Why not a trap alone: bash runs no SIGINT trap when the program it
 * waits for catches SIGINT and exits by itself, and then goes on with the
 * next statement ("wait and cooperative exit").  Why SIGINT is trapped
 * anyway (`farmhand_step --sigint`): so that bash itself survives it, and
 * because bash clears interrupt_state after running a SIGINT trap between
 * commands; in that one case (a command of builtins only, nothing to wait
 * for) the trap throws to the top level itself.  Inside bash's wait for a
 * child the trap must not jump, and need not: there bash keeps
 * interrupt_state.
 *
 * The handler is not a bash trap, so bash's forked subshells keep it
 * (exec'd programs get SIGURG's default action, which ignores it): a
 * `( ... )` or a pipeline element that is bash stops too.  Background
 * subshells (`&`) ignore it, as they ignore SIGINT.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builtins.h"
#include "shell.h"
#include "common.h"
#include "sig.h"
#include "execute_cmd.h"

#include "fh-bash-link.h"

#define EXPORT __attribute__ ((visibility ("default")))
#define HIGH_FD 100

/* In bash (trap.c, jobs.c), without a public header. */
extern void check_signals_and_traps (void);
extern int waiting_for_child;

static FhBashLink *link_;
/* A command of the dispatcher is running (set from taking it until it is
 * answered); the notice interrupts only then. */
static volatile sig_atomic_t running;
/* The notice came while it ran. */
static volatile sig_atomic_t noticed;

static void
on_interrupt_notice (int signum)
{
  if (!running || (subshell_environment & SUBSHELL_ASYNC))
    return;
  noticed = 1;
  /* What bash's sigint_sighandler() does: bash acts on it at its next
   * QUIT, the points where an interactive shell's Ctrl-C is safe. */
  if (interrupt_state == 0)
    interrupt_state++;
}

static int
install_notice_handler (void)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt_notice;
  sigemptyset (&sa.sa_mask);
  /* Blocking calls restart: the SIGINT that follows interrupts them. */
  sa.sa_flags = SA_RESTART;
  return sigaction (SIGURG, &sa, NULL);
}

/* The command that was running is over.  A notice that came for it has
 * done its work (bash discarded the rest of the command) or came too late
 * to matter: either way it must not touch the next one.  Returns whether
 * the command was interrupted. */
static int
command_over (void)
{
  int was = noticed;

  running = 0;
  if (noticed)
    {
      noticed = 0;
      interrupt_state = 0;
    }
  return was;
}

/* @name=@value in the environment of what the command runs; unset when
 * @value is NULL. */
static void
export_var (const char *name, const char *value)
{
  SHELL_VAR *v;

  if (value == NULL)
    {
      unbind_variable (name);
      return;
    }
  if ((v = bind_variable (name, (char *) value, 0)) != NULL)
    VSETATTR (v, att_exported);
  array_needs_making = 1;
}

/* FARMHAND_PHASE, FARMHAND_ITEM, FARMHAND_FRAMES for the command taken. */
static void
export_item (void)
{
  const char *phase, *item, *frames;

  fh_bash_link_get_vars (link_, &phase, &item, &frames);
  export_var ("FARMHAND_PHASE", phase);
  export_var ("FARMHAND_ITEM", item);
  export_var ("FARMHAND_FRAMES", frames);
}

/* farmhand_step --sigint: the session's SIGINT trap. */
static int
on_sigint_trap (void)
{
  /* A SIGINT without notice (nothing of ours is running) interrupts
   * nothing, as `trap : INT` would; and within bash's wait for a child,
   * interrupt_state outlives the trap (see the top of this file). */
  if (!running || !noticed || waiting_for_child)
    return EXECUTION_SUCCESS;
  if (interrupt_state == 0)
    interrupt_state++;
  throw_to_top_level ();
  return EXECUTION_SUCCESS;
}

/* Ends bash with @code, as `exit` does (its EXIT trap runs). */
static int
exit_bash (int code)
{
  last_command_exit_value = code;
  jump_to_top_level (EXITPROG);
  return code;  /* not reached */
}

/* Runs @command as `command eval "$command"` did: `eval`'s own call, in
 * this builtin's place at the top level of bash's script (not a special
 * builtin, as `command` made eval).  An interrupt throws to the top level
 * from inside it, past this frame: nothing is left to do here after it. */
static int
run_command (const char *command)
{
  running = 1;
  return evalstring (savestring (command), "eval", SEVAL_NOHIST);
}

/* farmhand_step [STATUS]: answer the previous command with STATUS, take
 * the next and run it (its status is ours); at the end of input, exit
 * bash with the status the dispatcher asked for.  farmhand_step --exit
 * STATUS: answer a command that is ending the shell (the EXIT trap).
 * farmhand_step --sigint: the SIGINT trap. */
static int
farmhand_step_builtin (WORD_LIST *list)
{
  const char *command = NULL, *message = NULL;
  FhBashAnswer how = FH_BASH_ANSWER_ORPHAN;
  int exiting = 0;
  intmax_t status = 0;

  if (link_ == NULL)
    {
      builtin_error ("not started by farmhand-executor");
      return EX_USAGE;
    }
  if (list != NULL && strcmp (list->word->word, "--sigint") == 0)
    return on_sigint_trap ();
  if (list != NULL && strcmp (list->word->word, "--exit") == 0)
    {
      exiting = 1;
      list = list->next;
    }
  if (list != NULL)
    {
      if (!legal_number (list->word->word, &status))
        {
          builtin_usage ();
          return EX_USAGE;
        }
      how = FH_BASH_ANSWER_DONE;
    }
  if (command_over () && !exiting)
    how = FH_BASH_ANSWER_INTERRUPTED;
  if (exiting)
    {
      /* Interrupted or not, the session ends with it. */
      how = FH_BASH_ANSWER_EXIT;
      if (fh_bash_link_answer (link_, how, (int) status, &message) < 0)
        builtin_error ("%s", message);
      return EXECUTION_SUCCESS;
    }
  for (;;)
    {
      switch (fh_bash_link_next (link_, how, (int) status, &command, &message))
        {
        case FH_BASH_NEXT_COMMAND:
          export_item ();
          return run_command (command);
        case FH_BASH_NEXT_END:
          return exit_bash (fh_bash_link_get_exit_code (link_));
        case FH_BASH_NEXT_INTERRUPTED:
          /* A signal while we wait: SIGTERM must end bash now (bash defers
           * it to a safe point, and this is one); a trap due (`:` for a
           * SIGINT that came after its command was answered) runs here,
           * where it has nothing to interrupt, not at the start of the
           * next command.  The answer has gone. */
          check_signals_and_traps ();
          break;
        case FH_BASH_NEXT_ERROR:
        default:
          builtin_error ("%s", message);
          return exit_bash (2);
        }
    }
}
EXPORT int farmhand_step_builtin_load (char *name);
EXPORT void farmhand_step_builtin_unload (char *name);

/* @fd, moved above HIGH_FD with close-on-exec; -1 on failure. */
static int
move_high (int fd)
{
  int high = fcntl (fd, F_DUPFD_CLOEXEC, HIGH_FD);

  if (high >= 0)
    close (fd);
  return high;
}

int
farmhand_step_builtin_load (char *name)
{
  char *spec = get_string_value ("FARMHAND_BASH_LINK");
  int frames, backchannel, script, ready;

  if (spec == NULL || sscanf (spec, "%d %d %d %d", &frames, &backchannel, &script, &ready) != 4)
    {
      builtin_error ("FARMHAND_BASH_LINK is not set: only farmhand-executor loads this builtin");
      return 0;
    }
  unbind_variable ("FARMHAND_BASH_LINK");
  if (link_ == NULL)
    {
      if ((frames = move_high (frames)) < 0 || (backchannel = move_high (backchannel)) < 0 ||
          (script = move_high (script)) < 0)
        {
          builtin_error ("cannot move the farmhand fds: %s", strerror (errno));
          return 0;
        }
      link_ = fh_bash_link_new (frames, backchannel, script);
      if (install_notice_handler () < 0)
        {
          builtin_error ("cannot handle SIGURG: %s", strerror (errno));
          return 0;
        }
    }
  if (write (ready, "1", 1) != 1)
    return 0;
  close (ready);
  return 1;
}

void
farmhand_step_builtin_unload (char *name)
{
  fh_bash_link_free (link_);
  link_ = NULL;
}

static char *farmhand_step_doc[] = {
  "Answer the last farmhand command, then take the next and run it.",
  "",
  "Part of farmhand-executor's session; not for use by hand.",
  NULL
};

EXPORT struct builtin farmhand_step_struct = {
  "farmhand_step", farmhand_step_builtin, BUILTIN_ENABLED, farmhand_step_doc,
  "farmhand_step [--exit] [STATUS] | --sigint", 0
};
