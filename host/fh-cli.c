/* fh-cli.c — what the subcommands share. */
#include "config.h"

#include "fh-cli.h"

#include <stdio.h>

#include "fh-error.h"

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

FhJob *
fh_cli_load_job (const char *path, char **text, GError **error)
{
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;
  FhJob *job;

  if (!g_file_get_contents (path, &data, &len, &local))
    return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_IO, "%s", local->message);
  dir = g_path_get_dirname (path);
  job = fh_job_new_from_data (data, (gssize) len, path, dir, error);
  if (job != NULL && text != NULL)
    *text = g_steal_pointer (&data);
  return job;
}
