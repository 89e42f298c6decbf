/* fh-cli-submit.c — `farmhand submit --slurm JOB.json`: lay the job out in
 * a job directory on a shared filesystem and submit one Slurm array whose
 * tasks run `farmhand worker JOBDIR`.  `--resume JOBDIR` gives an ended
 * job new workers for the items it did not complete. */
#include "config.h"

#include <stdio.h>

#include "fh-cli.h"
#include "fh-error.h"
#include "fh-job-dir.h"
#include "fh-job-submit.h"
#include "fh-json.h"
#include "fh-slurm.h"

typedef struct
{
  gboolean slurm;
  gboolean prepare;
  gboolean resume;
  gint workers;
  char *partition;
  char *job_dir;
  char **sbatch_args;
  char *output_dir;
  double lease_s;
  gboolean quiet;
} SubmitArgs;

static void
submit_args_clear (SubmitArgs *a)
{
  g_free (a->partition);
  g_free (a->job_dir);
  g_strfreev (a->sbatch_args);
  g_free (a->output_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SubmitArgs, submit_args_clear)

static gboolean
parse_args (int *argc, char ***argv, SubmitArgs *a)
{
  const GOptionEntry entries[] = {
    { "slurm", 0, 0, G_OPTION_ARG_NONE, &a->slurm, "Submit the workers as one Slurm array job (sbatch)", NULL },
    { "prepare", 0, 0, G_OPTION_ARG_NONE, &a->prepare, "Only lay out the job directory; start 'farmhand worker JOBDIR' yourself, anywhere", NULL },
    { "resume", 'r', 0, G_OPTION_ARG_NONE, &a->resume, "Take a JOBDIR of an earlier submit instead of JOB.json, and run again what it did not complete: failed, cancelled and never-run items (its workers must have ended)", NULL },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &a->workers, "How many workers (default: 4, at most one per item)", "N" },
    { "partition", 'p', 0, G_OPTION_ARG_STRING, &a->partition, "Slurm partition", "P" },
    { "jobdir", 'd', 0, G_OPTION_ARG_FILENAME, &a->job_dir, "The job directory, on a filesystem every worker sees (default: ./farmhand-jobs/NAME-DATE-TIME)", "DIR" },
    { "sbatch-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->sbatch_args, "Pass ARG to sbatch (repeatable): --sbatch-arg=--time=2:00:00", "ARG" },
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &a->output_dir, "FARMHAND_OUTPUT_DIR for every worker (default: JOBDIR/output)", "DIR" },
    { "lease", 0, 0, G_OPTION_ARG_DOUBLE, &a->lease_s, "Seconds without a heartbeat after which a worker is taken for dead and its item is run by another (default 60)", "S" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &a->quiet, "Print only the Slurm job id (or, with --prepare, the job directory)", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "submit", "JOB.json | --resume JOBDIR", "Run a job on many machines: lay it out in a job directory that "
      "every worker sees, and submit the workers to Slurm.\nEach worker starts one executor "
      "(setup once) and takes items one at a time until none is left.\nFollow it with "
      "'farmhand status JOBDIR'; stop it with 'farmhand cancel JOBDIR'.", entries);
  g_autoptr (GError) err = NULL;

  if (!g_option_context_parse (ctx, argc, argv, &err))
    return fh_cli_usage_error ("submit", "%s", err->message), FALSE;
  if (*argc != 2)
    return fh_cli_usage_error ("submit", a->resume ? "submit --resume needs exactly one job directory"
                                                   : "submit needs exactly one job file"), FALSE;
  if (a->resume && (a->job_dir || a->output_dir || a->lease_s > 0))
    return fh_cli_usage_error ("submit", "--resume keeps the job directory's own --jobdir, "
                               "--output-dir and --lease"), FALSE;
  if (a->slurm == a->prepare)
    return fh_cli_usage_error ("submit", "say where the workers run: --slurm, or --prepare "
                               "to start them yourself"), FALSE;
  if (a->workers < 0 || a->lease_s < 0)
    return fh_cli_usage_error ("submit", "--workers and --lease must be positive"), FALSE;
  return TRUE;
}

static int
submit_slurm (FhJobDir *dir, const SubmitArgs *a, guint workers, GError **error)
{
  g_autofree char *id = fh_job_submit_slurm (dir, workers, a->partition,
                                             (const char *const *) a->sbatch_args, error);

  if (id == NULL)
    return FH_EXIT_FAILED;
  if (a->quiet)
    printf ("%s\n", id);
  else
    printf ("farmhand: Slurm job %s: %u worker%s (array 0-%u)\n"
            "  follow it:  farmhand status %s\n"
            "  stop it:    farmhand cancel %s\n",
            id, workers, workers == 1 ? "" : "s", workers - 1, fh_job_dir_get_path (dir),
            fh_job_dir_get_path (dir));
  return FH_EXIT_OK;
}

/* A new job directory for the job file @path.  *@n: its items. */
static FhJobDir *
create_dir (const char *path, const SubmitArgs *a, guint *n, GError **error)
{
  FhJobDirOptions opts = { .lease_s = a->lease_s, .output_dir = a->output_dir };
  FhJobDir *dir = fh_job_submit_create (path, a->job_dir, &opts, error);

  if (dir == NULL)
    return NULL;
  *n = fh_job_dir_get_n_items (dir);
  if (!a->quiet)
    printf ("farmhand: job %s, %u items, in %s\n", fh_job_dir_get_name (dir), *n, fh_job_dir_get_path (dir));
  return dir;
}

/* The job directory @path, made ready to run again.  *@n: the items left
 * (0: nothing to do). */
static FhJobDir *
resume_dir (const char *path, const SubmitArgs *a, guint *n, GError **error)
{
  g_autoptr (FhJobDir) dir = fh_job_dir_open (path, error);

  if (dir == NULL || !fh_job_submit_resume (dir, n, error))
    return NULL;
  if (!a->quiet)
    printf ("farmhand: job %s, resuming %u of %u items, in %s\n", fh_job_dir_get_name (dir), *n,
            fh_job_dir_get_n_items (dir), fh_job_dir_get_path (dir));
  return g_steal_pointer (&dir);
}

int
fh_cli_submit (int argc, char **argv)
{
  g_auto (SubmitArgs) a = { 0 };
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJobDir) dir = NULL;
  guint n = 0, workers;
  int code;

  if (!parse_args (&argc, &argv, &a))
    return FH_EXIT_USAGE;
  dir = a.resume ? resume_dir (argv[1], &a, &n, &err) : create_dir (argv[1], &a, &n, &err);
  if (dir == NULL)
    return fh_cli_open_job_failed (argv[1], err);
  if (n == 0)
    {
      if (!a.quiet)
        printf ("farmhand: nothing to run: every item is complete\n");
      return FH_EXIT_OK;
    }
  workers = MIN ((guint) (a.workers > 0 ? a.workers : 4), n);
  if (a.prepare)
    {
      printf (a.quiet ? "%s\n" : "  start workers, on any machine that sees it:  farmhand worker %s\n",
              fh_job_dir_get_path (dir));
      return FH_EXIT_OK;
    }
  code = submit_slurm (dir, &a, workers, &err);
  if (err != NULL)
    g_printerr ("farmhand: %s\n", err->message);
  return code;
}
