/* fh-command-result.c — the outcome of one command. */
#include "config.h"

#include "fh-command-result.h"

FhCommandResult *
fh_command_result_new (gint status, const char *traceback)
{
  FhCommandResult *result = g_new0 (FhCommandResult, 1);

  result->status = status;
  result->traceback = g_strdup (traceback);
  return result;
}

void
fh_command_result_free (FhCommandResult *result)
{
  if (result == NULL)
    return;
  g_free (result->traceback);
  g_free (result);
}
