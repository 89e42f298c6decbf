/* fh-shell-result.c — shell command results (see the header). */
#include "config.h"

#include "fh-shell-result.h"

static char *
traceback_for (FhShellEnd how, int status)
{
  switch (how)
    {
    case FH_SHELL_END_INTERRUPTED:
      return g_strdup_printf ("interrupted by farmhand: the rest of the command was not run; "
                              "status %d", status);
    case FH_SHELL_END_INTERRUPTED_SESSION:
      return g_strdup_printf ("interrupted by farmhand: the rest of the command was not run "
                              "and the shell session ended (translator mode); status %d", status);
    case FH_SHELL_END_SESSION:
      return g_strdup_printf ("the command ended the shell session with exit status %d", status);
    case FH_SHELL_END_ORPHAN:
      return g_strdup ("the command did not return to the session: 'break' or 'continue' "
                       "outside a loop?");
    case FH_SHELL_END_DONE:
    default:
      return g_strdup_printf ("command exited with status %d", status);
    }
}

FhMessage *
fh_shell_result_new (gint64 seq, FhShellEnd how, int status)
{
  gboolean ok = how == FH_SHELL_END_DONE || how == FH_SHELL_END_SESSION;
  g_autofree char *tb = NULL;
  FhMessage *result;

  if (ok && status == 0)
    result = fh_message_new_result (seq, FH_STATUS_OK, NULL);
  else
    {
      tb = traceback_for (how, status);
      result = fh_message_new_result (seq, FH_STATUS_FAILED, tb);
      result->stderr_lines = FH_SHELL_STDERR_LINES;
    }
  result->has_code = how != FH_SHELL_END_ORPHAN;
  result->code = status;
  /* The shell is on its way out: the next command needs a new session. */
  result->final = how == FH_SHELL_END_SESSION || how == FH_SHELL_END_INTERRUPTED_SESSION;
  return result;
}
