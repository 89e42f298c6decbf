/* fh-cli-openjd.c — `farmhand openjd check|run`: Open Job Description
 * templates and job bundles through the job-type plugin (job_open and
 * check_file, ABI 1.3), command-line compatible with openjd-cli where
 * the two overlap (docs/openjd.md). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fh-agenda-pager.h"
#include "fh-cli.h"
#include "fh-job-submit.h"
#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-host-run.h"
#include "fh-json.h"
#include "fh-proc.h"

/* `farmhand openjd run` answers 0 or 1, as openjd-cli does. */
#define OPENJD_EXIT_FAILED 1

static FhPluginModule *
open_plugin (const char *plugin, GError **error)
{
  return plugin ? fh_plugin_module_open (plugin, error) : fh_plugin_module_open_default (error);
}

/* ---- check -------------------------------------------------------------- */

static int
check (int argc, char **argv)
{
  g_autofree char *plugin = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "A JSON line per file: its outline, or its problems as data", NULL },
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &plugin, "Use the job type at PATH", "PATH" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "openjd check", "FILE...", "Check OpenJD job templates and environment templates (2023-09, YAML or "
      "JSON; FEATURE_BUNDLE_1, TASK_CHUNKING, REDACTED_ENV_VARS) against every rule of the specification; "
      "print each problem with its file, line, column and path in the template.\nExit status: 0 every "
      "file is valid, 1 one is not, 2 usage error.", entries);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhPluginModule) module = NULL;
  int code = FH_EXIT_OK;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("openjd check", "%s", err->message);
  if (argc < 2)
    return fh_cli_usage_error ("openjd check", "check needs at least one template file");
  if ((module = open_plugin (plugin, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) bad = NULL;
      g_autoptr (JsonObject) outline = fh_plugin_module_check_file (module, argv[i], "{\"format\": \"openjd\"}", &bad);
      if (outline == NULL)
        code = OPENJD_EXIT_FAILED;
      if (json)
        {
          JsonObject *detail = bad ? fh_host_error_get_detail (bad) : NULL;
          g_autofree char *line = outline ? fh_json_object_to_string (outline)
                                  : detail ? fh_json_object_to_string (detail)
                                           : g_strdup_printf ("{\"code\": \"unreadable\", \"message\": \"%s\", "
                                                              "\"problems\": []}", bad->message);
          printf ("%s\n", line);
        }
      else if (outline != NULL)
        printf ("Template at '%s' passes validation checks.\n", argv[i]);
      else
        g_printerr ("farmhand: %s is not a valid template:\n%s\n", argv[i], bad->message);
    }
  return code;
}

/* ---- run ---------------------------------------------------------------- */

typedef struct
{
  char **parameters;
  char **environments;
  char *path_mapping;
  char *step;
  char *tasks;
  char **task_params;
  gint64 maximum_tasks;
  char *results;
  char *log;
  char *plugin;
  char **retries;
  char *log_preset;
  gboolean preserve;
  gboolean plain;
  gboolean quiet;
  gboolean dry_run;
} RunArgs;

static void
run_args_clear (RunArgs *a)
{
  g_strfreev (a->parameters);
  g_strfreev (a->environments);
  g_free (a->path_mapping);
  g_free (a->step);
  g_free (a->tasks);
  g_strfreev (a->task_params);
  g_free (a->results);
  g_free (a->log);
  g_free (a->plugin);
  g_strfreev (a->retries);
  g_free (a->log_preset);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunArgs, run_args_clear)

static char *
open_options (const RunArgs *a)
{
  g_autoptr (JsonObject) o = fh_job_submit_openjd_options ((const char *const *) a->parameters,
                                                           (const char *const *) a->environments, a->path_mapping);

  json_object_set_string_member (o, "format", "openjd");
  fh_json_set_strv (o, "retries", (const char *const *) a->retries);
  if (a->step != NULL)
    {
      char *steps[] = { a->step, NULL };
      fh_json_set_strv (o, "steps", (const char *const *) steps);
    }
  if (a->log_preset != NULL)
    json_object_set_string_member (o, "log_preset", a->log_preset);
  json_object_set_boolean_member (o, "preserve", a->preserve);
  return fh_json_object_to_string (o);
}

/* The task parameter sets --tasks names (a JSON list of objects, inline
 * or file://), or -t's one. */
static JsonArray *
wanted_tasks (const RunArgs *a, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonArray *list;

  if (a->task_params != NULL)
    {
      JsonObject *one = json_object_new ();
      list = json_array_new ();
      for (guint i = 0; a->task_params[i] != NULL; i++)
        {
          const char *eq = strchr (a->task_params[i], '=');
          g_autofree char *name = eq ? g_strndup (a->task_params[i], eq - a->task_params[i]) : NULL;
          if (eq == NULL || eq == a->task_params[i] || json_object_has_member (one, name))
            {
              json_object_unref (one);
              json_array_unref (list);
              return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE,
                                    "-t '%s': a task parameter is NAME=VALUE, each name once", a->task_params[i]);
            }
          json_object_set_string_member (one, name, eq + 1);
        }
      json_array_add_object_element (list, one);
      return list;
    }
  if (g_str_has_prefix (a->tasks, "file://") && !g_file_get_contents (a->tasks + 7, &text, NULL, error))
    return NULL;
  if ((node = json_from_string (text ? text : a->tasks, error)) == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_clear_error (error);
      return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE,
                            "--tasks argument must be a list of maps from string to string when decoded.");
    }
  list = json_node_dup_array (node);
  return list;
}

static gboolean
matches (JsonObject *want, JsonObject *have)
{
  g_autoptr (GList) names = json_object_get_members (want);

  if (json_object_get_size (want) != json_object_get_size (have))
    return FALSE;
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *w = json_object_get_member (want, l->data);
      g_autofree char *text = NULL;
      const char *h = json_object_get_string_member_with_default (have, l->data, NULL);
      if (h == NULL || !JSON_NODE_HOLDS_VALUE (w))
        return FALSE;
      text = json_node_get_value_type (w) == G_TYPE_STRING ? g_strdup (json_node_get_string (w))
             : json_node_get_value_type (w) == G_TYPE_INT64 ? g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (w))
                                                            : g_strdup_printf ("%g", json_node_get_double (w));
      if (!g_str_equal (text, h))
        return FALSE;
    }
  return TRUE;
}

/* The items to run: the tasks --tasks or -t name, or the first
 * --maximum-tasks; NULL with no error: all. */
static GArray *
select_items (FhJobHandle *handle, const RunArgs *a, GError **error)
{
  g_autoptr (GArray) out = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (JsonArray) want = NULL;
  g_autoptr (FhAgendaPager) pager = NULL;
  guint n = fh_job_handle_get_n_items (handle);

  if (a->tasks == NULL && a->task_params == NULL && a->maximum_tasks < 0)
    return NULL;
  if (a->tasks == NULL && a->task_params == NULL)
    {
      guint limit = a->maximum_tasks >= 0 ? (guint) MIN ((guint64) a->maximum_tasks, n) : n;
      for (guint i = 0; i < limit; i++)
        g_array_append_val (out, i);
      return g_steal_pointer (&out);
    }
  if ((want = wanted_tasks (a, error)) == NULL)
    return NULL;
  pager = fh_agenda_pager_new (handle, 512, FALSE);
  for (guint k = 0; k < json_array_get_length (want); k++)
    {
      JsonNode *w = json_array_get_element (want, k);
      gboolean found = FALSE;
      if (!JSON_NODE_HOLDS_OBJECT (w))
        return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE,
                              "--tasks argument must be a list of maps from string to string when decoded.");
      for (guint i = 0; i < n && !found; i++)
        {
          JsonObject *item = fh_agenda_pager_get (pager, i, error);
          if (item == NULL)
            return NULL;
          if ((found = matches (json_node_get_object (w), json_object_get_object_member (item, "task_parameters"))))
            g_array_append_val (out, i);
        }
      if (!found)
        {
          g_autofree char *text = json_to_string (w, FALSE);
          return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE, "no task of the job has the "
                                "parameters %s", text);
        }
    }
  return g_steal_pointer (&out);
}

static void
print_outline (JsonObject *d)
{
  JsonArray *steps = json_object_get_array_member (d, "steps");
  JsonArray *ignored = json_object_has_member (d, "ignored_parameters")
                         ? json_object_get_array_member (d, "ignored_parameters") : NULL;

  printf ("Job: %s\n", json_object_get_string_member (d, "name"));
  for (guint i = 0; steps != NULL && i < json_array_get_length (steps); i++)
    {
      JsonObject *s = json_array_get_object_element (steps, i);
      printf ("  step %s: %" G_GINT64_FORMAT " task%s\n", json_object_get_string_member (s, "name"),
              json_object_get_int_member (s, "tasks"), json_object_get_int_member (s, "tasks") == 1 ? "" : "s");
    }
  for (guint i = 0; ignored != NULL && i < json_array_get_length (ignored); i++)
    printf ("farmhand: the bundle's value of %s is a render manager's, not the job's: not used\n",
            json_array_get_string_element (ignored, i));
}

static gboolean
print_command (JsonObject *item, gpointer unused, GError **error)
{
  printf ("task %" G_GINT64_FORMAT " (%s): %s\n", json_object_get_int_member (item, "number"),
          json_object_get_string_member_with_default (item, "name", "?"),
          json_object_get_string_member_with_default (item, "command", ""));
  return TRUE;
}

static gboolean
parse_run_args (int *argc, char ***argv, RunArgs *a)
{
  const GOptionEntry entries[] = {
    { "job-param", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &a->parameters, "A job parameter: NAME=VALUE, file://VALUES.yaml|json, or inline JSON (repeatable; later ones win)", "PARAM" },
    { "parameter", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->parameters, "The same as --job-param", "PARAM" },
    { "env", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a->environments, "An environment template, entered before the job's (repeatable, in order)", "FILE" },
    { "environment", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a->environments, "The same as --env", "FILE" },
    { "path-mapping-rules", 0, 0, G_OPTION_ARG_STRING, &a->path_mapping, "Path mapping rules: JSON (pathmapping-1.0) or file://RULES.json", "RULES" },
    { "step", 0, 0, G_OPTION_ARG_STRING, &a->step, "Run this step only", "NAME" },
    { "tasks", 0, 0, G_OPTION_ARG_STRING, &a->tasks, "Run these tasks only: a JSON list of parameter sets, or file://FILE", "JSON" },
    { "task-param", 't', 0, G_OPTION_ARG_STRING_ARRAY, &a->task_params, "Run the one task with NAME=VALUE (repeatable, one per task parameter)", "NAME=VALUE" },
    { "maximum-tasks", 0, 0, G_OPTION_ARG_INT64, &a->maximum_tasks, "Run at most N tasks (-1: all)", "N" },
    { "results", 'r', 0, G_OPTION_ARG_FILENAME, &a->results, "Write one JSON line per task to FILE", "FILE" },
    { "log", 'l', 0, G_OPTION_ARG_FILENAME, &a->log, "Append the job log, with timestamps and task boundaries, to FILE", "FILE" },
    { "retries", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->retries, "Run a failed task again: N times, or CLASS=N for a failure class (repeatable; default 0: a failure ends the session, as OpenJD says)", "N|CLASS=N" },
    { "log-preset", 0, 0, G_OPTION_ARG_STRING, &a->log_preset, "The log preset that classifies failures (default openjd; none for none)", "NAME" },
    { "preserve", 0, 0, G_OPTION_ARG_NONE, &a->preserve, "Keep the session's working directory", NULL },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &a->dry_run, "Print the tasks and their commands; run nothing", NULL },
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &a->plugin, "Load the job type from PATH", "PATH" },
    { "plain", 0, 0, G_OPTION_ARG_NONE, &a->plain, "Plain lines even on a terminal (no live progress line)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &a->quiet, "Print only failures and the summary, not the actions' output", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "openjd run", "TEMPLATE|BUNDLE_DIR", "Run an Open Job Description job template (or job bundle) in one "
      "Session on this machine: environments entered, every step's tasks (dependencies first), environments "
      "exited — each task an item with its result, as `farmhand run` runs a job.\nExit status: 0 every task "
      "succeeded, 1 anything failed (or the template is invalid).", entries);
  g_autoptr (GError) err = NULL;

  a->maximum_tasks = -1;
  if (!g_option_context_parse (ctx, argc, argv, &err))
    return fh_cli_usage_error ("openjd run", "%s", err->message), FALSE;
  if (*argc != 2)
    return fh_cli_usage_error ("openjd run", "run needs exactly one job template or bundle directory"), FALSE;
  if ((a->tasks != NULL) + (a->task_params != NULL) + (a->maximum_tasks >= 0) > 1)
    return fh_cli_usage_error ("openjd run", "--tasks, --task-param and --maximum-tasks exclude each other"), FALSE;
  return TRUE;
}

/* After the run: openjd-cli's results block. */
static void
print_results (JsonObject *d, int code, double seconds, guint n)
{
  printf ("\n--- Results of local session ---\n\n%s\n\nJob: %s\nDuration: %.3f seconds\nTasks run: %u\n",
          code == 0 ? "Session ended successfully" : "Session ended with errors",
          json_object_get_string_member (d, "name"), seconds, n);
}

static int
run (int argc, char **argv)
{
  g_auto (RunArgs) a = { 0 };
  g_autoptr (GError) err = NULL;
  g_autoptr (FhPluginModule) module = NULL;
  g_autoptr (FhJobHandle) handle = NULL;
  g_autoptr (FhResultsFile) results = NULL;
  g_autoptr (FhJobLog) log = NULL;
  g_autoptr (GArray) indices = NULL;
  g_autoptr (FhHostRun) host_run = NULL;
  g_autofree char *options = NULL;
  FhHostRunOptions opts = { 0 };
  gint64 started;
  int code;

  if (!parse_run_args (&argc, &argv, &a))
    return FH_EXIT_USAGE;
  if ((module = open_plugin (a.plugin, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message), OPENJD_EXIT_FAILED;
  options = open_options (&a);
  if ((handle = fh_job_handle_open (module, argv[1], options, !a.dry_run, &err)) == NULL)
    {
      if (g_error_matches (err, FH_HOST_ERROR, FH_HOST_ERROR_INVALID_JOB))
        g_printerr ("farmhand: the job %s cannot be made:\n%s\n", argv[1], err->message);
      else
        g_printerr ("farmhand: %s\n", err->message);
      return OPENJD_EXIT_FAILED;
    }
  print_outline (fh_job_handle_describe (handle));
  if (a.dry_run)
    return fh_job_handle_foreach_item (handle, TRUE, print_command, NULL, &err)
             ? FH_EXIT_OK : fh_cli_usage_error (NULL, "%s", err->message);
  if (a.results != NULL && (results = fh_results_file_open (a.results, FALSE, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message), OPENJD_EXIT_FAILED;
  if ((indices = select_items (handle, &a, &err)) == NULL && err != NULL)
    return fh_cli_usage_error ("openjd run", "%s", err->message), OPENJD_EXIT_FAILED;
  if (a.log != NULL && (log = fh_job_log_open (a.log, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message), OPENJD_EXIT_FAILED;
  opts = (FhHostRunOptions) {
    .level = a.quiet ? FH_PROGRESS_QUIET : FH_PROGRESS_VERBOSE,
    .tty = !a.plain && isatty (STDOUT_FILENO),
    .indices = indices, .results = results, .log = log,
  };
  /* What an action leaves behind comes back to us, and goes with us. */
  fh_proc_become_subreaper ();
  started = g_get_monotonic_time ();
  host_run = fh_host_run_new (handle, &opts);
  code = fh_host_run_execute (host_run, &err);
  fh_proc_end_tree (0, getpid (), 2000);
  if (results != NULL && !fh_results_file_close (results, err ? NULL : &err))
    code = MAX (code, FH_EXIT_FAILED);
  if (err != NULL)
    g_printerr ("farmhand: %s\n", err->message);
  print_results (fh_job_handle_describe (handle), code, (g_get_monotonic_time () - started) / 1e6,
                 fh_host_run_get_n_ran (host_run));
  return code == 0 ? FH_EXIT_OK : OPENJD_EXIT_FAILED;
}

/* ---- summary ------------------------------------------------------------ */

static int
summary (int argc, char **argv)
{
  g_auto (RunArgs) a = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "job-param", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &a.parameters, "A job parameter, as run takes it", "PARAM" },
    { "parameter", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.parameters, "The same as --job-param", "PARAM" },
    { "env", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a.environments, "An environment template", "FILE" },
    { "environment", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a.environments, "The same as --env", "FILE" },
    { "step", 0, 0, G_OPTION_ARG_STRING, &a.step, "This step only", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "The job as the plugin describes it (JSON)", NULL },
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &a.plugin, "Load the job type from PATH", "PATH" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "openjd summary", "TEMPLATE|BUNDLE_DIR", "Make the job (parameters, steps, parameter spaces) without "
      "running it, and say what it is: its name, steps and how many tasks each has.", entries);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhPluginModule) module = NULL;
  g_autoptr (FhJobHandle) handle = NULL;
  g_autofree char *options = NULL;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("openjd summary", "%s", err->message);
  if (argc != 2)
    return fh_cli_usage_error ("openjd summary", "summary needs exactly one job template or bundle directory");
  if ((module = open_plugin (a.plugin, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message), OPENJD_EXIT_FAILED;
  options = open_options (&a);
  if ((handle = fh_job_handle_open (module, argv[1], options, FALSE, &err)) == NULL)
    {
      g_printerr ("farmhand: the job %s cannot be made:\n%s\n", argv[1], err->message);
      return OPENJD_EXIT_FAILED;
    }
  if (json)
    {
      g_autofree char *text = fh_json_object_to_string (fh_job_handle_describe (handle));
      printf ("%s\n", text);
    }
  else
    {
      print_outline (fh_job_handle_describe (handle));
      printf ("Total tasks: %u\n", fh_job_handle_get_n_items (handle));
    }
  return FH_EXIT_OK;
}

int
fh_cli_openjd (int argc, char **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], "summary"))
    return summary (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "check"))
    return check (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "run"))
    return run (argc - 1, argv + 1);
  if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help")))
    {
      printf ("Usage: farmhand openjd check FILE...\n       farmhand openjd run TEMPLATE|BUNDLE_DIR [OPTION...]\n"
              "       farmhand openjd summary TEMPLATE|BUNDLE_DIR [OPTION...]\n\n"
              "Open Job Description (2023-09) templates and job bundles: 'farmhand openjd COMMAND --help'.\n");
      return FH_EXIT_OK;
    }
  return fh_cli_usage_error (NULL, "openjd: check, run or summary (try 'farmhand openjd --help')");
}
