/* fh-cli-run.c — `farmhand run JOB.json`: run a job through the job-type
 * plugin, as a farm host would. */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "fh-cli.h"
#include "fh-error.h"
#include "fh-frame-list.h"
#include "fh-host-run.h"
#include "fh-plugin-module.h"
#include "fh-proc.h"

typedef struct
{
  char *results;
  char *log;
  char *plugin;
  char *items;
  char *output_dir;
  gboolean resume;
  gboolean dry_run;
  gboolean quiet;
  gboolean verbose;
  gboolean plain;
} RunArgs;

static void
run_args_clear (RunArgs *a)
{
  g_free (a->results);
  g_free (a->log);
  g_free (a->plugin);
  g_free (a->items);
  g_free (a->output_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunArgs, run_args_clear)

/* --items: 1-based item numbers in frame-list syntax ("3-7", "1,4,10-12"). */
static GArray *
parse_items (FhJob *job, const char *spec, GError **error)
{
  guint n = fh_job_get_n_items (job);
  g_autoptr (FhFrameList) list = fh_frame_list_parse_full (spec, "item", error);
  GArray *out;

  if (list == NULL)
    {
      g_prefix_error (error, "--items: ");
      return NULL;
    }
  out = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < fh_frame_list_get_length (list); i++)
    {
      gint64 k = fh_frame_list_get_frames (list)[i];
      guint index = (guint) (k - 1);
      if (k < 1 || k > n)
        {
          g_array_unref (out);
          return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE,
                                "--items: there is no item %" G_GINT64_FORMAT "; the job has "
                                "%u (numbered from 1, see 'farmhand expand')", k, n);
        }
      g_array_append_val (out, index);
    }
  return out;
}

/* The items to run: --items (or all), less those complete in the results
 * file when resuming. */
static GArray *
select_items (FhJob *job, const RunArgs *a, FhResultsFile *results, GError **error)
{
  g_autoptr (GArray) chosen = NULL;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint));

  if (a->items != NULL && (chosen = parse_items (job, a->items, error)) == NULL)
    {
      g_array_unref (out);
      return NULL;
    }
  for (guint k = 0; k < (chosen ? chosen->len : fh_job_get_n_items (job)); k++)
    {
      guint i = chosen ? g_array_index (chosen, guint, k) : k;
      g_autofree char *name = fh_agenda_dup_item_name (job->agenda, i);
      JsonObject *prior = a->resume ? fh_results_file_lookup (results, name) : NULL;

      if (prior == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (prior, "status", ""), "complete") != 0)
        g_array_append_val (out, i);
    }
  return out;
}

static int
dry_run (FhJob *job, GArray *indices)
{
  printf ("executor: %s\ncwd: %s\n", job->executor ? job->executor : job->executor_argv[0],
          job->cwd);
  for (guint i = 0; i < job->setup->len; i++)
    {
      g_autofree char *cmd = fh_job_expand_hook (job, g_ptr_array_index (job->setup, i));
      printf ("setup[%u]: %s\n", i, cmd);
    }
  for (guint k = 0; k < indices->len; k++)
    {
      guint i = g_array_index (indices, guint, k);
      g_autofree char *name = fh_agenda_dup_item_name (job->agenda, i);
      g_autofree char *cmd = fh_job_expand_item (job, i);
      printf ("item %u (%s): %s\n", i + 1, name, cmd);
    }
  for (guint i = 0; i < job->teardown->len; i++)
    {
      g_autofree char *cmd = fh_job_expand_hook (job, g_ptr_array_index (job->teardown, i));
      printf ("teardown[%u]: %s\n", i, cmd);
    }
  return FH_EXIT_OK;
}

static gboolean
parse_args (int *argc, char ***argv, RunArgs *a)
{
  const GOptionEntry entries[] = {
    { "results", 'r', 0, G_OPTION_ARG_FILENAME, &a->results, "Write one JSON line per item to FILE (synced at least every second)", "FILE" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &a->resume, "Run only the items not complete in the --results file, then rewrite it with one line per item", NULL },
    { "items", 0, 0, G_OPTION_ARG_STRING, &a->items, "Run only these items, by number from 1: \"3-7\", \"1,4,10-12\"", "LIST" },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &a->dry_run, "Print the expanded commands; run nothing", NULL },
    { "log", 'l', 0, G_OPTION_ARG_FILENAME, &a->log, "Append the job log, with timestamps and item boundaries, to FILE", "FILE" },
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &a->output_dir, "FARMHAND_OUTPUT_DIR for the job (default: ./farmhand-out/JOBNAME)", "DIR" },
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &a->plugin, "Load the job type from PATH", "PATH" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &a->quiet, "Print only failures and the summary", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &a->verbose, "Also print the job log as it streams", NULL },
    { "plain", 0, 0, G_OPTION_ARG_NONE, &a->plain, "Plain lines even on a terminal (no live progress line)", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "run", "JOB.json", "Run a job through the job-type plugin: one executor, setup once, "
      "one command per item, teardown.\nExit status: 0 every item complete, 1 an item "
      "failed, 2 usage error or invalid job.", entries);
  g_autoptr (GError) err = NULL;

  if (!g_option_context_parse (ctx, argc, argv, &err))
    return fh_cli_usage_error ("run", "%s", err->message), FALSE;
  if (*argc != 2)
    return fh_cli_usage_error ("run", "run needs exactly one job file"), FALSE;
  if (a->resume && a->results == NULL)
    return fh_cli_usage_error ("run", "--resume needs --results FILE (the file to resume from)"), FALSE;
  if (a->quiet && a->verbose)
    return fh_cli_usage_error ("run", "--quiet and --verbose contradict each other"), FALSE;
  return TRUE;
}

int
fh_cli_run (int argc, char **argv)
{
  g_auto (RunArgs) a = { 0 };
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJob) job = NULL;
  g_autoptr (FhPluginModule) plugin = NULL;
  g_autoptr (FhResultsFile) results = NULL;
  g_autoptr (FhJobLog) log = NULL;
  g_autoptr (GArray) indices = NULL;
  g_autoptr (FhHostRun) run = NULL;
  g_autofree char *text = NULL;
  FhHostRunOptions opts = { 0 };
  int code;

  if (!parse_args (&argc, &argv, &a))
    return FH_EXIT_USAGE;
  if ((job = fh_cli_load_job (argv[1], &text, &err)) == NULL)
    return fh_cli_usage_error (NULL, "invalid job %s:\n%s", argv[1], err->message);
  if (a.results != NULL && !a.dry_run &&
      (results = fh_results_file_open (a.results, a.resume, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  if ((indices = select_items (job, &a, results, &err)) == NULL)
    return fh_cli_usage_error ("run", "%s", err->message);
  if (a.dry_run)
    return dry_run (job, indices);
  plugin = a.plugin ? fh_plugin_module_open (a.plugin, &err) : fh_plugin_module_open_default (&err);
  if (plugin == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  if (a.log != NULL && (log = fh_job_log_open (a.log, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  opts = (FhHostRunOptions) {
    .level = a.quiet ? FH_PROGRESS_QUIET : a.verbose ? FH_PROGRESS_VERBOSE : FH_PROGRESS_NORMAL,
    .tty = !a.plain && isatty (STDOUT_FILENO),
    .output_dir = a.output_dir, .indices = indices, .results = results, .log = log,
  };
  if (a.resume)
    printf ("farmhand: resuming from %s: %u of %u items to run\n", a.results, indices->len,
            fh_job_get_n_items (job));
  /* Orphans of a job that escaped its executor come back to us, and go
   * when we do: a job leaves nothing behind. */
  fh_proc_become_subreaper ();
  run = fh_host_run_new (job, fh_plugin_module_get_desc (plugin), &opts);
  code = fh_host_run_execute (run, text, &err);
  fh_proc_end_tree (0, getpid (), 2000);
  if (results != NULL && !fh_results_file_close (results, err ? NULL : &err))
    code = MAX (code, FH_EXIT_FAILED);
  if (err != NULL)
    g_printerr ("farmhand: %s\n", err->message);
  return code;
}
