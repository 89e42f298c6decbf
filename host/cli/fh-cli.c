/* fh-cli.c — what the subcommands share. */
#include "config.h"

#include "fh-cli.h"

#include <stdio.h>

#include "fh-host-error.h"

int
fh_cli_usage_error (const char *cmd, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_printerr ("farmhand: %s\n", msg);
  if (cmd != NULL)
    g_printerr ("Run 'farmhand %s --help' for usage.\n", cmd);
  return FH_EXIT_USAGE;
}

GOptionContext *
fh_cli_context (const char *cmd, const char *param, const char *summary,
                const GOptionEntry *entries)
{
  g_autofree char *prgname = g_strdup_printf ("farmhand %s", cmd);
  GOptionContext *ctx = g_option_context_new (param);

  g_set_prgname (prgname);
  g_option_context_set_summary (ctx, summary);
  if (entries != NULL)
    g_option_context_add_main_entries (ctx, entries, NULL);
  return ctx;
}

int
fh_cli_open_job_failed (const char *path, const GError *error)
{
  if (g_error_matches (error, FH_HOST_ERROR, FH_HOST_ERROR_INVALID_JOB))
    return fh_cli_usage_error (NULL, "invalid job %s:\n%s", path, error->message);
  return fh_cli_usage_error (NULL, "%s", error->message);
}

const char *
fh_cli_executor_name (JsonObject *described)
{
  JsonObject *e = json_object_get_object_member (described, "executor");
  JsonArray *argv;

  if (e == NULL)
    return "?";
  if (json_object_has_member (e, "preset"))
    return json_object_get_string_member (e, "preset");
  argv = json_object_get_array_member (e, "argv");
  return argv && json_array_get_length (argv) ? json_array_get_string_element (argv, 0) : "?";
}
