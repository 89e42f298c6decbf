/* fh-command-result.h — the outcome of one command run by an executor. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint status;        /* FH_STATUS_OK or FH_STATUS_FAILED */
  char *traceback;    /* nullable; set when status is FH_STATUS_FAILED */
  gboolean has_code;
  gint64 code;        /* the command's own exit status, when it has one */
  gint64 elapsed_us;  /* from sending the command to its result */
} FhCommandResult;

/* (transfer full) */
FhCommandResult *fh_command_result_new (gint status, const char *traceback);
void fh_command_result_free (FhCommandResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhCommandResult, fh_command_result_free)

G_END_DECLS
