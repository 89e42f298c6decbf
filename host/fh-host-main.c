/* fh-host-main.c — farmhand, the reference host CLI.
 *
 *   farmhand run JOB.json [--results FILE] [--plugin PATH] [-v] [-q]
 *
 * Exit codes: 0 every item complete; 1 an item (or setup/teardown) failed;
 * 2 usage error, invalid job, or no usable plugin.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "fh-error.h"
#include "fh-host-run.h"
#include "fh-job.h"
#include "fh-plugin-module.h"
#include "fh-results-writer.h"

#define EXIT_USAGE 2

static int
usage_error (GOptionContext *ctx, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static int
usage_error (GOptionContext *ctx, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_printerr ("farmhand: %s\n", msg);
  if (ctx != NULL)
    g_printerr ("Run '%s --help' for usage.\n", g_get_prgname ());
  return EXIT_USAGE;
}

static int
cmd_run (int argc, char **argv)
{
  g_autofree char *results_path = NULL;
  g_autofree char *plugin_path = NULL;
  FhHostRunOptions opts = { 0 };
  GOptionEntry entries[] = {
    { "results", 'r', 0, G_OPTION_ARG_FILENAME, &results_path, "Write one JSON line per item to FILE", "FILE" },
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &plugin_path, "Load the job type from PATH", "PATH" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts.verbose, "Print the job log", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opts.quiet, "Print only failures and the summary", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("JOB.json - run a job through the job-type plugin");
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJob) job = NULL;
  g_autoptr (FhPluginModule) plugin = NULL;
  g_autoptr (FhResultsWriter) results = NULL;
  g_autoptr (FhHostRun) run = NULL;
  g_autofree char *text = NULL;
  int code;

  g_set_prgname ("farmhand run");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return usage_error (ctx, "%s", err->message);
  if (argc != 2)
    return usage_error (ctx, "run needs exactly one job file");
  if (!g_file_get_contents (argv[1], &text, NULL, &err))
    return usage_error (NULL, "%s", err->message);
  if ((job = fh_job_new_from_file (argv[1], &err)) == NULL)
    return usage_error (NULL, "invalid job %s:\n%s", argv[1], err->message);
  plugin = plugin_path ? fh_plugin_module_open (plugin_path, &err)
                       : fh_plugin_module_open_default (&err);
  if (plugin == NULL)
    return usage_error (NULL, "%s", err->message);
  if (results_path != NULL &&
      (results = fh_results_writer_open (results_path, FALSE, &err)) == NULL)
    return usage_error (NULL, "%s", err->message);
  run = fh_host_run_new (job, fh_plugin_module_get_desc (plugin), results, &opts);
  code = fh_host_run_execute (run, text, &err);
  if (results != NULL && !fh_results_writer_close (results, err ? NULL : &err))
    code = MAX (code, 1);
  if (err != NULL)
    g_printerr ("farmhand: %s\n", err->message);
  return code;
}

static void
print_help (void)
{
  printf ("Usage: farmhand COMMAND [OPTION...]\n\n"
          "Commands:\n"
          "  run JOB.json     run a job through the job-type plugin\n"
          "  help             show this help\n\n"
          "Run 'farmhand COMMAND --help' for a command's options.\n"
          "Exit codes: 0 all items complete, 1 an item failed, 2 usage or invalid job.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_set_prgname ("farmhand");
  if (argc < 2 || strcmp (argv[1], "help") == 0 || strcmp (argv[1], "--help") == 0 ||
      strcmp (argv[1], "-h") == 0)
    {
      print_help ();
      return argc < 2 ? EXIT_USAGE : 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("farmhand %s (plugin ABI %d.%d)\n", FH_VERSION, FH_PLUGIN_ABI_MAJOR,
              FH_PLUGIN_ABI_MINOR);
      return 0;
    }
  if (strcmp (argv[1], "run") == 0)
    return cmd_run (argc - 1, argv + 1);
  return usage_error (NULL, "unknown command '%s' (try 'farmhand help')", argv[1]);
}
