/* fh-cli-validate.c — `farmhand validate JOB.json...`: exit 0 when every
 * job is valid, 2 with every problem of every invalid one. */
#include "config.h"

#include <stdio.h>

#include "fh-cli.h"
#include "fh-error.h"

static void
describe (const char *path, FhJob *job)
{
  guint n = fh_job_get_n_items (job);

  printf ("%s: valid: job '%s', %u item%s", path, job->name, n, n == 1 ? "" : "s");
  if (fh_agenda_has_frames (job->agenda) && fh_agenda_get_chunk (job->agenda) > 1)
    printf (" (chunks of %u frames)", fh_agenda_get_chunk (job->agenda));
  printf (", executor %s\n", job->executor ? job->executor : job->executor_argv[0]);
}

int
fh_cli_validate (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "validate", "JOB.json...", "Check job files against the job description rules; "
      "print every problem, one per line, named by its JSON path.", NULL);
  g_autoptr (GError) err = NULL;
  int code = FH_EXIT_OK;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("validate", "%s", err->message);
  if (argc < 2)
    return fh_cli_usage_error ("validate", "validate needs at least one job file");
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) job_err = NULL;
      g_autoptr (FhJob) job = fh_cli_load_job (argv[i], NULL, &job_err);
      g_auto (GStrv) lines = NULL;

      if (job != NULL)
        {
          describe (argv[i], job);
          continue;
        }
      code = FH_EXIT_USAGE;
      lines = g_strsplit (job_err->message, "\n", -1);
      /* Syntax errors already start with the file name and line:column. */
      for (guint l = 0; lines[l] != NULL; l++)
        if (g_str_has_prefix (lines[l], argv[i]))
          g_printerr ("%s\n", lines[l]);
        else
          g_printerr ("%s: %s\n", argv[i], lines[l]);
    }
  return code;
}
