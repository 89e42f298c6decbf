/* fh-cli-validate.c — `farmhand validate JOB.json...`: exit 0 when every
 * job is valid, 2 with every problem of every invalid one. */
#include "config.h"

#include <stdio.h>

#include "fh-cli.h"
#include "fh-host-error.h"

static void
describe (const char *path, FhJobHandle *handle)
{
  JsonObject *d = fh_job_handle_describe (handle);
  guint n = fh_job_handle_get_n_items (handle);
  gint64 chunk = json_object_get_int_member_with_default (d, "chunk", 1);

  printf ("%s: valid: job '%s', %u item%s", path, fh_job_handle_get_name (handle), n,
          n == 1 ? "" : "s");
  if (n == 0)
    printf (" (no agenda: setup, teardown and what its host sends)");
  if (chunk > 1)
    printf (" (chunks of %" G_GINT64_FORMAT " frames)", chunk);
  printf (", executor %s\n", fh_cli_executor_name (d));
}

/* The plugin's problems, one per line, each with the file's name (syntax
 * errors already start with it and line:column). */
static void
print_problems (const char *path, const GError *error)
{
  g_auto (GStrv) lines = g_strsplit (error->message, "\n", -1);

  for (guint l = 0; lines[l] != NULL; l++)
    if (g_str_has_prefix (lines[l], path))
      g_printerr ("%s\n", lines[l]);
    else
      g_printerr ("%s: %s\n", path, lines[l]);
}

int
fh_cli_validate (int argc, char **argv)
{
  g_autofree char *plugin = NULL;
  const GOptionEntry entries[] = {
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &plugin, "Check with the job type at PATH", "PATH" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "validate", "JOB.json...", "Check job files against the job description rules; "
      "print every problem, one per line, named by its JSON path.", entries);
  g_autoptr (GError) err = NULL;
  int code = FH_EXIT_OK;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("validate", "%s", err->message);
  if (argc < 2)
    return fh_cli_usage_error ("validate", "validate needs at least one job file");
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) job_err = NULL;
      g_autoptr (FhJobHandle) handle =
          fh_job_handle_new_from_file (argv[i], plugin, NULL, FALSE, NULL, &job_err);

      if (handle != NULL)
        {
          describe (argv[i], handle);
          continue;
        }
      /* Without a job type nothing can be checked: stop at once. */
      if (job_err->domain == FH_LOADER_ERROR)
        return fh_cli_open_job_failed (argv[i], job_err);
      if (job_err->domain == G_FILE_ERROR)
        g_printerr ("%s\n", job_err->message);   /* names the file */
      else
        print_problems (argv[i], job_err);
      code = FH_EXIT_USAGE;
    }
  return code;
}
