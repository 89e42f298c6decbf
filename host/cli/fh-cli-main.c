/* fh-cli-main.c — farmhand, the reference host CLI: the commands, in
 * the host module that fh-launcher.c loads. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "fh-cli.h"
#include "fh-plugin.h"

static const struct
{
  const char *name;
  int (*func) (int argc, char **argv);
  const char *help;
} commands[] = {
  { "run", fh_cli_run, "run JOB.json        run a job through the job-type plugin" },
  { "validate", fh_cli_validate, "validate JOB.json   check job files; list every problem" },
  { "expand", fh_cli_expand, "expand JOB.json     print the agenda, one item per line" },
  { "submit", fh_cli_submit, "submit --slurm JOB.json   run a job on many machines (a Slurm array of workers)" },
  { "worker", fh_cli_worker, "worker JOBDIR       work on a submitted job until no item is left" },
  { "status", fh_cli_status, "status JOBDIR       where a submitted job stands (exit 0 done, 1 failed, 3 running)" },
  { "cancel", fh_cli_cancel, "cancel JOBDIR       cancel a submitted job; workers run teardown" },
  { "log", fh_cli_log, "log test FILE|-     what a job's log rules make of a log (--preset, --job)" },
  { "serve", fh_cli_serve, "serve [--listen H:P]  the farm UI: submit from a form, watch every item live" },
  { "session", fh_cli_session, "session start|run|status|stop   one executor across many task processes" },
  { "openjd", fh_cli_openjd, "openjd check|run|summary   Open Job Description templates and job bundles" },
};

static void
print_help (void)
{
  printf ("Usage: farmhand COMMAND [OPTION...]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    printf ("  %s\n", commands[i].help);
  printf ("  help                show this help\n\n"
          "Run 'farmhand COMMAND --help' for a command's options.\n"
          "Exit status: 0 success, 1 an item failed, 2 usage error or invalid job.\n");
}

__attribute__ ((visibility ("default"))) int fh_cli_main (int argc, char **argv);

int
fh_cli_main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_set_prgname ("farmhand");
  if (argc < 2)
    {
      print_help ();
      return FH_EXIT_USAGE;
    }
  if (strcmp (argv[1], "help") == 0 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      print_help ();
      return FH_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("farmhand %s (plugin ABI %d.%d)\n", FH_VERSION, FH_PLUGIN_ABI_MAJOR, FH_PLUGIN_ABI_MINOR);
      return FH_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].func (argc - 1, argv + 1);
  return fh_cli_usage_error (NULL, "unknown command '%s' (try 'farmhand help')", argv[1]);
}
