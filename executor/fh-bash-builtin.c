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
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builtins.h"
#include "shell.h"
#include "common.h"
#include "sig.h"

#include "fh-bash-link.h"

#define EXPORT __attribute__ ((visibility ("default")))
#define HIGH_FD 100

static FhBashLink *link_;

/* farmhand_step [STATUS]: answer the previous command with STATUS, take
 * the next into $__fh_command; fails at the end of input (with the exit
 * status for bash in $__fh_exit).  farmhand_step --exit STATUS: answer a
 * command that is ending the shell (the EXIT trap). */
static int
farmhand_step_builtin (WORD_LIST *list)
{
  const char *command = NULL, *message = NULL;
  int has_status = 0, exiting = 0;
  intmax_t status = 0;

  if (link_ == NULL)
    {
      builtin_error ("not started by farmhand-executor");
      return EX_USAGE;
    }
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
      has_status = 1;
    }
  if (exiting)
    {
      if (fh_bash_link_answer (link_, FH_BASH_ANSWER_EXIT, (int) status, &message) < 0)
        builtin_error ("%s", message);
      return EXECUTION_SUCCESS;
    }
  for (;;)
    {
      switch (fh_bash_link_next (link_, has_status, (int) status, &command, &message))
        {
        case FH_BASH_NEXT_COMMAND:
          bind_variable ("__fh_command", (char *) command, 0);
          return EXECUTION_SUCCESS;
        case FH_BASH_NEXT_END:
          bind_variable ("__fh_exit", "0", 0);
          return EXECUTION_FAILURE;
        case FH_BASH_NEXT_INTERRUPTED:
          /* A signal while we wait: SIGTERM must end bash now (bash defers
           * it to a safe point, and this is one); a trapped SIGINT between
           * commands has nothing to interrupt.  The answer has gone. */
          CHECK_TERMSIG;
          QUIT;
          has_status = 0;
          break;
        case FH_BASH_NEXT_ERROR:
        default:
          builtin_error ("%s", message);
          bind_variable ("__fh_exit", "2", 0);
          return EXECUTION_FAILURE;
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
  "Answer the last farmhand command and take the next into $__fh_command.",
  "",
  "Part of farmhand-executor's session; not for use by hand.",
  NULL
};

EXPORT struct builtin farmhand_step_struct = {
  "farmhand_step", farmhand_step_builtin, BUILTIN_ENABLED, farmhand_step_doc,
  "farmhand_step [--exit] [STATUS]", 0
};
