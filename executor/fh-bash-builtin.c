/* fh-bash-builtin.c — farmhand_next and farmhand_result, bash loadable
 * builtins: bash reads the dispatcher's commands and answers them itself
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

static int
farmhand_next_builtin (WORD_LIST *list)
{
  const char *command = NULL, *message = NULL;

  if (link_ == NULL)
    {
      builtin_error ("not started by farmhand-executor");
      return EX_USAGE;
    }
  for (;;)
    switch (fh_bash_link_next (link_, &command, &message))
      {
      case FH_BASH_NEXT_COMMAND:
        bind_variable ("__fh_command", (char *) command, 0);
        return EXECUTION_SUCCESS;
      case FH_BASH_NEXT_END:
        return EXECUTION_SUCCESS;
      case FH_BASH_NEXT_INTERRUPTED:
        /* A signal while we wait: SIGTERM must end bash now (bash defers
         * it to a safe point, and this is one); a trapped SIGINT between
         * commands has nothing to interrupt. */
        CHECK_TERMSIG;
        QUIT;
        break;
      case FH_BASH_NEXT_ERROR:
      default:
        builtin_error ("%s", message);
        return EXECUTION_FAILURE;
      }
}

/* farmhand_result [--exit] STATUS */
static int
farmhand_result_builtin (WORD_LIST *list)
{
  FhBashAnswer how = FH_BASH_ANSWER_DONE;
  const char *message = NULL;
  intmax_t status;

  if (link_ == NULL)
    {
      builtin_error ("not started by farmhand-executor");
      return EX_USAGE;
    }
  if (list != NULL && strcmp (list->word->word, "--exit") == 0)
    {
      how = FH_BASH_ANSWER_EXIT;
      list = list->next;
    }
  if (list == NULL || !legal_number (list->word->word, &status))
    {
      builtin_usage ();
      return EX_USAGE;
    }
  if (fh_bash_link_answer (link_, how, (int) status, &message) < 0)
    {
      builtin_error ("%s", message);
      return EXECUTION_FAILURE;
    }
  return EXECUTION_SUCCESS;
}

EXPORT int farmhand_next_builtin_load (char *name);
EXPORT void farmhand_next_builtin_unload (char *name);

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
farmhand_next_builtin_load (char *name)
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
farmhand_next_builtin_unload (char *name)
{
  fh_bash_link_free (link_);
  link_ = NULL;
}

static char *farmhand_next_doc[] = {
  "Read the next farmhand command into $__fh_command.",
  "",
  "Part of farmhand-executor's session loop; not for use by hand.",
  NULL
};

static char *farmhand_result_doc[] = {
  "Answer the running farmhand command with its exit status.",
  "",
  "Part of farmhand-executor's session loop; not for use by hand.",
  NULL
};

EXPORT struct builtin farmhand_next_struct = {
  "farmhand_next", farmhand_next_builtin, BUILTIN_ENABLED, farmhand_next_doc, "farmhand_next", 0
};

EXPORT struct builtin farmhand_result_struct = {
  "farmhand_result", farmhand_result_builtin, BUILTIN_ENABLED, farmhand_result_doc,
  "farmhand_result [--exit] STATUS", 0
};
