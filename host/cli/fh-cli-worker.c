/* fh-cli-worker.c — `farmhand worker JOBDIR`: work on a job directory
 * until no item is left (what each Slurm task of `submit --slurm` runs). */
#include "config.h"

#include "fh-cli.h"
#include "fh-worker.h"

int
fh_cli_worker (int argc, char **argv)
{
  g_autofree char *name = NULL;
  g_autofree char *plugin = NULL;
  g_autofree char *step = NULL;
  const GOptionEntry entries[] = {
    { "step", 0, 0, G_OPTION_ARG_STRING, &step, "Run only this step's tasks (an OpenJD job); the steps it depends on must complete first", "NAME" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "This worker's name (default: the Slurm task, else host-pid)", "NAME" },
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &plugin, "Load the job type from PATH", "PATH" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "worker", "JOBDIR", "Work on a job laid out by 'farmhand submit': one executor, setup "
      "once, then items claimed one at a time until none is left, then teardown.\nAn OpenJD job's "
      "worker is one Session: environments entered once, then tasks of each step whose dependencies "
      "completed (or of --step's), then environments exited.\nExit "
      "status: 0 every item it ran completed, 1 one failed, 2 usage error.", entries);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhWorker) worker = NULL;
  FhWorkerOptions opts = { 0 };

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("worker", "%s", err->message);
  if (argc != 2)
    return fh_cli_usage_error ("worker", "worker needs exactly one job directory");
  opts = (FhWorkerOptions) { .job_dir = argv[1], .name = name, .plugin = plugin, .step = step };
  if ((worker = fh_worker_new (&opts, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  return fh_worker_run (worker);
}
