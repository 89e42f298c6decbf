/* fh-cli-run.c — `farmhand run JOB.json`: run a job through the job-type
 * plugin, as a farm host would. */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "fh-agenda-pager.h"
#include "fh-cli.h"
#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-host-run.h"
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

/* The items to run, by index: --items (numbers from 1, as the plugin
 * lists them) or all, less those complete in the results file when
 * resuming.  NULL with no error: every item. */
static GArray *
select_items (FhJobHandle *handle, const RunArgs *a, FhResultsFile *results, GError **error)
{
  g_autoptr (GArray) out = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (JsonArray) chosen = NULL;
  g_autoptr (FhAgendaPager) pager = NULL;
  guint n = fh_job_handle_get_n_items (handle);

  if (a->items != NULL)
    {
      if ((chosen = fh_job_handle_agenda (handle, a->items, FALSE, error)) == NULL)
        {
          g_prefix_error (error, "--items: ");
          return NULL;
        }
      n = json_array_get_length (chosen);
    }
  else if (!a->resume)
    return NULL;
  pager = fh_agenda_pager_new (handle, 256, FALSE);
  for (guint k = 0; k < n; k++)
    {
      guint i = chosen ? (guint) json_object_get_int_member (json_array_get_object_element (chosen, k),
                                                             "index")
                       : k;
      JsonObject *item = a->resume ? fh_agenda_pager_get (pager, i, error) : NULL;
      JsonObject *prior = NULL;

      if (a->resume && item == NULL)
        return NULL;
      if (item != NULL)
        prior = fh_results_file_lookup (results, json_object_get_string_member_with_default (item, "name", ""));

      if (prior == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (prior, "status", ""), "complete") != 0)
        g_array_append_val (out, i);
    }
  return g_steal_pointer (&out);
}

static void
print_hooks (JsonObject *described, const char *which)
{
  JsonArray *hooks = json_object_get_array_member (described, which);

  for (guint i = 0; hooks != NULL && i < json_array_get_length (hooks); i++)
    printf ("%s[%u]: %s\n", which, i, json_array_get_string_element (hooks, i));
}

static gboolean
print_item (JsonObject *item, gpointer unused, GError **error)
{
  printf ("item %" G_GINT64_FORMAT " (%s): %s\n", json_object_get_int_member (item, "number"),
          json_object_get_string_member_with_default (item, "name", "?"),
          json_object_get_string_member_with_default (item, "command", ""));
  return TRUE;
}

/* --dry-run: what would run, as the plugin describes and lists it. */
static int
dry_run (FhJobHandle *handle, const char *items)
{
  JsonObject *d = fh_job_handle_describe (handle);
  g_autoptr (JsonArray) chosen = NULL;
  g_autoptr (GError) err = NULL;
  gboolean ok = TRUE;

  printf ("executor: %s\ncwd: %s\n", fh_cli_executor_name (d),
          json_object_get_string_member_with_default (d, "cwd", "?"));
  print_hooks (d, "setup");
  if (items == NULL)
    ok = fh_job_handle_foreach_item (handle, TRUE, print_item, NULL, &err);
  else if ((ok = (chosen = fh_job_handle_agenda (handle, items, TRUE, &err)) != NULL))
    for (guint k = 0; k < json_array_get_length (chosen); k++)
      print_item (json_array_get_object_element (chosen, k), NULL, NULL);
  if (!ok)
    return fh_cli_usage_error ("run", "--items: %s", err->message);
  print_hooks (d, "teardown");
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
  g_autoptr (FhJobHandle) handle = NULL;
  g_autoptr (FhResultsFile) results = NULL;
  g_autoptr (FhJobLog) log = NULL;
  g_autoptr (GArray) indices = NULL;
  g_autoptr (FhHostRun) run = NULL;
  FhHostRunOptions opts = { 0 };
  int code;

  if (!parse_args (&argc, &argv, &a))
    return FH_EXIT_USAGE;
  handle = fh_job_handle_new_from_file (argv[1], a.plugin, a.output_dir, !a.dry_run, NULL, &err);
  if (handle == NULL)
    return fh_cli_open_job_failed (argv[1], err);
  if (a.dry_run)
    return dry_run (handle, a.items);
  if (a.results != NULL && (results = fh_results_file_open (a.results, a.resume, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  if ((indices = select_items (handle, &a, results, &err)) == NULL && err != NULL)
    return fh_cli_usage_error ("run", "%s", err->message);
  if (a.log != NULL && (log = fh_job_log_open (a.log, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  opts = (FhHostRunOptions) {
    .level = a.quiet ? FH_PROGRESS_QUIET : a.verbose ? FH_PROGRESS_VERBOSE : FH_PROGRESS_NORMAL,
    .tty = !a.plain && isatty (STDOUT_FILENO),
    .indices = indices, .results = results, .log = log,
  };
  if (a.resume)
    printf ("farmhand: resuming from %s: %u of %u items to run\n", a.results, indices->len,
            fh_job_handle_get_n_items (handle));
  if (fh_job_handle_get_n_items (handle) == 0 && !a.quiet)
    printf ("farmhand: job %s has no agenda: setup and teardown only\n",
            fh_job_handle_get_name (handle));
  /* Orphans of a job that escaped its executor come back to us, and go
   * when we do: a job leaves nothing behind. */
  fh_proc_become_subreaper ();
  run = fh_host_run_new (handle, &opts);
  code = fh_host_run_execute (run, &err);
  fh_proc_end_tree (0, getpid (), 2000);
  if (results != NULL && !fh_results_file_close (results, err ? NULL : &err))
    code = MAX (code, FH_EXIT_FAILED);
  if (err != NULL)
    g_printerr ("farmhand: %s\n", err->message);
  return code;
}
