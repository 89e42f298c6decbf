/* fh-cli-submit.c — `farmhand submit --slurm JOB.json|TEMPLATE|BUNDLE`: lay
 * the job out in a job directory on a shared filesystem and submit one
 * Slurm array whose tasks run `farmhand worker JOBDIR` (an OpenJD job: an
 * array per step, after its dependencies').  `--resume JOBDIR` gives an
 * ended job new workers for the items it did not complete. */
#include "config.h"

#include <stdio.h>
#include <string.h>

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
  /* an OpenJD job's */
  char **parameters;
  char **environments;
  char *path_mapping;
  char **step_workers;
} SubmitArgs;

static void
submit_args_clear (SubmitArgs *a)
{
  g_free (a->partition);
  g_free (a->job_dir);
  g_strfreev (a->sbatch_args);
  g_free (a->output_dir);
  g_strfreev (a->parameters);
  g_strfreev (a->environments);
  g_free (a->path_mapping);
  g_strfreev (a->step_workers);
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
    { "job-param", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->parameters, "An OpenJD job parameter: NAME=VALUE, file://VALUES.yaml|json, or inline JSON (repeatable; later ones win). As in 'farmhand openjd run', without its -p: here -p is --partition", "PARAM" },
    { "parameter", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->parameters, "The same as --job-param", "PARAM" },
    { "env", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a->environments, "An OpenJD environment template, entered before the job's in every worker's Session (repeatable, in order)", "FILE" },
    { "environment", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a->environments, "The same as --env", "FILE" },
    { "path-mapping-rules", 0, 0, G_OPTION_ARG_STRING, &a->path_mapping, "OpenJD path mapping rules: JSON (pathmapping-1.0) or file://RULES.json", "RULES" },
    { "step-workers", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->step_workers, "Workers for one OpenJD step, over --workers (repeatable): --step-workers encode=1", "STEP=N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "submit", "JOB.json|TEMPLATE|BUNDLE_DIR | --resume JOBDIR", "Run a job on many machines: lay it out in "
      "a job directory that every worker sees, and submit the workers to Slurm.\nEach worker starts one "
      "executor (setup once) and takes items one at a time until none is left.\nAn Open Job Description "
      "template or job bundle gets a Slurm array per step, each starting when the steps it depends on "
      "ended; each worker is one OpenJD Session (environments entered once).\nFollow it with "
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
  if (a->partition != NULL && strchr (a->partition, '=') != NULL)
    return fh_cli_usage_error ("submit", "-p is --partition in farmhand submit (as in sbatch), and '%s' is "
                               "not a partition; an OpenJD job parameter is --job-param %s", a->partition,
                               a->partition), FALSE;
  if (a->resume && (a->parameters || a->environments || a->path_mapping))
    return fh_cli_usage_error ("submit", "--resume runs the job as it was submitted: its parameters, "
                               "environments and path mapping rules are in the job directory"), FALSE;
  return TRUE;
}

/* --step-workers STEP=N...: a table of @dir's steps.  (transfer full) */
static GHashTable *
parse_step_workers (FhJobDir *dir, char **specs, GError **error)
{
  g_autoptr (GHashTable) t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; specs != NULL && specs[i] != NULL; i++)
    {
      const char *eq = strchr (specs[i], '=');
      g_autofree char *name = eq ? g_strndup (specs[i], eq - specs[i]) : NULL;
      guint64 n = 0;
      if (eq == NULL || !g_ascii_string_to_unsigned (eq + 1, 10, 1, G_MAXUINT32, &n, NULL))
        return fh_throw_null (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                              "--step-workers %s: say STEP=N, N a positive number", specs[i]);
      if (fh_job_dir_find_step (dir, name) < 0)
        return fh_throw_null (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                              "--step-workers %s: job %s has no step %s", specs[i], fh_job_dir_get_name (dir), name);
      g_hash_table_insert (t, g_steal_pointer (&name), GUINT_TO_POINTER ((guint) n));
    }
  return g_steal_pointer (&t);
}

static void
print_steps (FhJobDir *dir)
{
  JsonArray *steps = fh_job_dir_get_steps (dir);

  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonArray *deps = json_object_get_array_member (json_array_get_object_element (steps, i), "depends_on");
      const char *id = fh_job_dir_get_slurm_step (dir, fh_job_dir_step_name (dir, i));
      g_autoptr (GString) after = g_string_new (NULL);
      for (guint d = 0; deps != NULL && d < json_array_get_length (deps); d++)
        g_string_append_printf (after, "%s%s", d ? ", " : ", after ", json_array_get_string_element (deps, d));
      printf ("  step %-16s %s%s%s\n", fh_job_dir_step_name (dir, i), id ? "Slurm array " : "complete",
              id ? id : "", id ? after->str : "");
    }
}

static int
submit_slurm (FhJobDir *dir, const SubmitArgs *a, guint workers, GError **error)
{
  g_autoptr (GHashTable) per_step = parse_step_workers (dir, a->step_workers, error);
  FhJobSubmitSlurm opts = { .workers = workers, .step_workers = per_step, .partition = a->partition,
                            .extra_args = (const char *const *) a->sbatch_args };
  g_autofree char *id = NULL;
  guint total;

  if (per_step == NULL || (id = fh_job_submit_slurm (dir, &opts, &total, error)) == NULL)
    return FH_EXIT_FAILED;
  if (a->quiet)
    {
      printf ("%s\n", id);
      return FH_EXIT_OK;
    }
  if (fh_job_dir_get_steps (dir) != NULL)
    {
      printf ("farmhand: Slurm jobs %s: %u worker%s, an array per step\n", id, total, total == 1 ? "" : "s");
      print_steps (dir);
    }
  else
    printf ("farmhand: Slurm job %s: %u worker%s (array 0-%u)\n", id, total, total == 1 ? "" : "s", total - 1);
  printf ("  follow it:  farmhand status %s\n"
          "  stop it:    farmhand cancel %s\n", fh_job_dir_get_path (dir), fh_job_dir_get_path (dir));
  return FH_EXIT_OK;
}

/* A new job directory for the job file @path.  *@n: its items. */
static FhJobDir *
create_dir (const char *path, const SubmitArgs *a, guint *n, GError **error)
{
  FhJobDirOptions opts = { .lease_s = a->lease_s, .output_dir = a->output_dir };
  g_autoptr (JsonObject) open_options = fh_job_submit_openjd_options (
      (const char *const *) a->parameters, (const char *const *) a->environments, a->path_mapping);
  FhJobDir *dir = fh_job_submit_create (path, open_options, a->job_dir, &opts, error);
  JsonArray *steps;

  if (dir == NULL)
    return NULL;
  *n = fh_job_dir_get_n_items (dir);
  steps = fh_job_dir_get_steps (dir);
  if (!a->quiet && steps != NULL)
    printf ("farmhand: OpenJD job %s, %u task%s in %u step%s, in %s\n", fh_job_dir_get_name (dir), *n,
            *n == 1 ? "" : "s", json_array_get_length (steps), json_array_get_length (steps) == 1 ? "" : "s",
            fh_job_dir_get_path (dir));
  else if (!a->quiet)
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
