/* fh-plugin-jobtype.c — the farmhand-jobtype plugin: the ABI glue around
 * FhJobRunner.  It checks everything a host passes (the ABI promises no
 * crash on bad input), keeps a job's life straight (run once; freed
 * running: cancelled, then freed when the run ends), and translates
 * between C strings and GLib.  Everything of substance lives in the
 * runner and the executor connection.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "fh-doc.h"
#include "fh-error.h"
#include "fh-job-listing.h"
#include "fh-job-runner.h"
#include "fh-log-test.h"
#include "fh-json.h"
#include "fh-json-writer.h"
#include "fh-openjd-listing.h"
#include "fh-openjd-runner.h"
#include "fh-openjd-params.h"
#include "fh-openjd-submission.h"
#include "fh-plugin-error.h"
#include "fh-problems.h"
#include "fh-plugin.h"

typedef enum { JOB_READY, JOB_RUNNING, JOB_DONE } JobState;

struct FhPluginJob
{
  GMutex lock;
  GCond ended;
  JobState state;
  GThread *runner_thread;    /* the thread in job_run() */
  gboolean free_when_done;   /* job_free() came from inside the run */
  gboolean cancelled;        /* before the run: run nothing */
  gboolean runnable;         /* made with a host */
  FhHostApi host;            /* the host's, copied up to its size */
  const FhHostApi *host_own; /* the host's own: a 1.5 host's log callbacks are read at job_run */
  FhJob *job;                /* an OpenJD job's: its log rules and retries */
  FhJobRunner *runner;
  FhOjJob *oj;               /* an OpenJD job (job_open), or NULL */
  FhOjRunner *oj_runner;
  GPtrArray *oj_ignored;     /* parameter values its bundle set aside */
  gboolean oj_preserve;
  /* What made the job: job_scan_log makes its own from them. */
  char *job_json;
  char *source;
  char *base_dir;
};

/* The host fields this plugin calls, all present since ABI 1.0. */
#define HOST_API_MIN_SIZE (offsetof (FhHostApi, progress) + sizeof (void *))

/* Whether @host may leave log_line and progress NULL (ABI 1.5). */
static gboolean
host_log_optional (const FhHostApi *host)
{
  return host->abi_minor >= FH_PLUGIN_SINCE_optional_log;
}

/* A copy of @host, zeroed where the host's struct ends. */
static gboolean
copy_host (const FhHostApi *host, FhHostApi *out, GError **error)
{
  if (host->struct_size < HOST_API_MIN_SIZE)
    return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_HOST,
                     "the host API struct is %u bytes; ABI %d.0 needs at least %zu",
                     host->struct_size, FH_PLUGIN_ABI_MAJOR, HOST_API_MIN_SIZE);
  if (host->abi_major != FH_PLUGIN_ABI_MAJOR)
    return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_HOST,
                     "the host speaks plugin ABI %u.%u, this plugin ABI %d.%d",
                     host->abi_major, host->abi_minor, FH_PLUGIN_ABI_MAJOR, FH_PLUGIN_ABI_MINOR);
  memset (out, 0, sizeof *out);
  memcpy (out, host, MIN (host->struct_size, sizeof *out));
  {
    const struct { const char *name; gboolean present; } callbacks[] = {
      { "next_item", out->next_item != NULL }, { "free_item", out->free_item != NULL },
      { "report_item", out->report_item != NULL },
      { "log_line", out->log_line != NULL || host_log_optional (out) },
      { "progress", out->progress != NULL || host_log_optional (out) },
    };
    for (guint i = 0; i < G_N_ELEMENTS (callbacks); i++)
      if (!callbacks[i].present)
        return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_HOST,
                         "the host API has no %s callback", callbacks[i].name);
  }
  return TRUE;
}

/* A string from the host: present, UTF-8, not empty. */
static gboolean
check_text (const char *text, const char *what, GError **error)
{
  const char *end;

  if (text == NULL)
    return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT, "%s is NULL", what);
  if (!g_utf8_validate (text, -1, &end))
    return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                     "%s is not valid UTF-8 (byte %zu)", what, (gsize) (end - text));
  if (*text == '\0')
    return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT, "%s is empty", what);
  return TRUE;
}

typedef struct
{
  char *base_dir;
  char *source;
  char *output_dir;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->base_dir);
  g_free (o->source);
  g_free (o->output_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

/* A field an options_json object may have. */
typedef enum { OPT_END, OPT_STRING, OPT_BOOL, OPT_STRINGS } OptionType;

typedef struct
{
  const char *name;
  OptionType type;
} OptionField;

/* @options_json (NULL: no options) as an object of @fields (NULL-ended)
 * only: an unknown field is refused, so a typo is not silently ignored.
 * (transfer full) */
static JsonObject *
parse_options (const char *options_json, const OptionField *fields, GError **error)
{
  g_autoptr (JsonObject) o = NULL;
  g_autoptr (GList) members = NULL;
  g_autoptr (GString) known = g_string_new (NULL);

  if (options_json == NULL)
    return json_object_new ();
  if (!check_text (options_json, "options_json", error))
    return NULL;
  if ((o = fh_json_parse_object (options_json, -1, error)) == NULL)
    {
      g_prefix_error (error, "options_json: ");
      return NULL;
    }
  for (const OptionField *f = fields; f->name != NULL; f++)
    g_string_append_printf (known, "%s%s", known->len ? ", " : "", f->name);
  members = json_object_get_members (o);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *v = json_object_get_member (o, l->data);
      const OptionField *f = fields;
      while (f->name != NULL && !g_str_equal (f->name, l->data))
        f++;
      if (f->name == NULL)
        return fh_throw_null (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                              "options_json: unknown field '%s' (known: %s)", (const char *) l->data,
                              known->str);
      if (f->type == OPT_STRINGS ? !fh_json_is_array_of (v, G_TYPE_STRING)
          : !JSON_NODE_HOLDS_VALUE (v) ||
            json_node_get_value_type (v) != (f->type == OPT_STRING ? G_TYPE_STRING : G_TYPE_BOOLEAN))
        return fh_throw_null (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT, "options_json: %s must be %s",
                              f->name, f->type == OPT_STRING ? "a string" : f->type == OPT_STRINGS
                                                               ? "an array of strings" : "a boolean");
    }
  return g_steal_pointer (&o);
}

/* job_new's options: {"base_dir", "source", "output_dir"}, all strings. */
static gboolean
read_options (const char *options_json, Options *out, GError **error)
{
  static const OptionField fields[] = {
    { "base_dir", OPT_STRING }, { "source", OPT_STRING }, { "output_dir", OPT_STRING }, { NULL, OPT_END },
  };
  g_autoptr (JsonObject) o = parse_options (options_json, fields, error);

  if (o == NULL)
    return FALSE;
  out->base_dir = g_strdup (json_object_get_string_member_with_default (o, "base_dir", NULL));
  out->source = g_strdup (json_object_get_string_member_with_default (o, "source", NULL));
  out->output_dir = g_strdup (json_object_get_string_member_with_default (o, "output_dir", NULL));
  return TRUE;
}

/* The job @job_json describes, or NULL with why in @problems (their code
 * says whose fault: the host's struct, its strings, or the job's). */
static FhPluginJob *
make_job (const FhHostApi *host, const char *job_json, const char *options_json, FhProblems *problems)
{
  g_autoptr (GError) error = NULL;
  g_auto (Options) opts = { 0 };
  FhHostApi copy;
  FhJob *job;
  FhPluginJob *pj;

  if (host != NULL && !copy_host (host, &copy, &error))
    fh_problems_set_code (problems, FH_PROBLEMS_BAD_HOST);
  else if (!check_text (job_json, "job_json", &error) || !read_options (options_json, &opts, &error))
    fh_problems_set_code (problems, FH_PROBLEMS_INVALID_INPUT);
  if (error != NULL)
    {
      fh_problems_add (problems, "", 0, 0, error->message);
      return NULL;
    }
  fh_problems_set_source (problems, opts.source ? opts.source : "job.json");
  if ((job = fh_job_check (job_json, -1, opts.source ? opts.source : "job.json", opts.base_dir, NULL,
                           problems)) == NULL)
    return NULL;
  pj = g_new0 (FhPluginJob, 1);
  g_mutex_init (&pj->lock);
  g_cond_init (&pj->ended);
  pj->job = job;
  pj->job_json = g_strdup (job_json);
  pj->source = g_strdup (opts.source ? opts.source : "job.json");
  pj->base_dir = g_steal_pointer (&opts.base_dir);
  pj->runnable = host != NULL;
  if (pj->runnable)
    {
      pj->host = copy;
      pj->host_own = host;
      pj->runner = fh_job_runner_new (job, &pj->host, opts.output_dir);
    }
  return pj;
}

/* ABI 1.0: the problems as text, a line each. */
static FhPluginJob *
jobtype_job_new (const FhHostApi *host, const char *job_json, const char *options_json,
                 char **error_out)
{
  g_autoptr (FhProblems) problems = fh_problems_new (NULL);
  FhPluginJob *job = make_job (host, job_json, options_json, problems);

  if (job == NULL && error_out != NULL)
    {
      *error_out = fh_problems_to_text (problems);
    }
  return job;
}

/* ABI 1.2: the problems as data (schemas/error.schema.json). */
static FhPluginJob *
jobtype_job_create (const FhHostApi *host, const char *job_json, const char *options_json,
                    char **error_json)
{
  g_autoptr (FhProblems) problems = fh_problems_new (NULL);
  FhPluginJob *job = make_job (host, job_json, options_json, problems);

  if (job == NULL && error_json != NULL)
    {
      g_autoptr (JsonObject) o = fh_problems_to_json (problems);
      *error_json = fh_json_object_to_string (o);
    }
  return job;
}

static char *
refusal (const char *why)
{
  g_autoptr (JsonObject) o = json_object_new ();

  json_object_set_string_member (o, "status", "refused");
  json_object_set_int_member (o, "items_complete", 0);
  json_object_set_int_member (o, "items_failed", 0);
  json_object_set_string_member (o, "error", why);
  return fh_json_object_to_string (o);
}

static void
runner_cancel (FhPluginJob *job, int flags)
{
  if (job->oj_runner != NULL)
    fh_oj_runner_cancel (job->oj_runner, flags);
  else
    fh_job_runner_cancel (job->runner, flags);
}

/* Whether @job may run now; if not, @why says why. */
static gboolean
start_running (FhPluginJob *job, const char **why)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&job->lock);

  if (!job->runnable)
    *why = "this job was made without a host API: it can be described and listed, not run";
  else if (job->state != JOB_READY)
    *why = "job_run was already called for this job";
  else
    {
      job->state = JOB_RUNNING;
      job->runner_thread = g_thread_self ();
      if (job->cancelled)
        runner_cancel (job, FH_CANCEL_NOW);
      return TRUE;
    }
  return FALSE;
}

static void free_now (FhPluginJob *job);

static int
jobtype_job_run (FhPluginJob *job, char **summary_json)
{
  const char *why = NULL;
  char *summary = NULL;
  gboolean free_it;
  int status;

  if (job == NULL || !start_running (job, &why))
    {
      if (summary_json != NULL)
        *summary_json = refusal (job == NULL ? "job_run: the job is NULL" : why);
      return FH_RUN_REFUSED;
    }
  /* A 1.5 host decides per run whether it follows the log; the runners
   * read these through &job->host. */
  if (host_log_optional (&job->host))
    {
      job->host.log_line = job->host_own->log_line;
      job->host.progress = job->host_own->progress;
    }
  status = job->oj_runner != NULL ? fh_oj_runner_run (job->oj_runner, &summary)
                                  : fh_job_runner_run (job->runner, &summary);
  g_mutex_lock (&job->lock);
  job->state = JOB_DONE;
  job->runner_thread = NULL;
  free_it = job->free_when_done;
  g_cond_broadcast (&job->ended);
  g_mutex_unlock (&job->lock);
  if (free_it)
    free_now (job);
  if (summary_json != NULL)
    *summary_json = summary;
  else
    g_free (summary);
  return status;
}

static void
jobtype_job_cancel (FhPluginJob *job, uint32_t flags)
{
  if (job == NULL)
    return;
  g_mutex_lock (&job->lock);
  /* Before the run: it will run nothing.  During: it stops.  After: no
   * effect.  An item's stop concerns the running item only. */
  if (!(flags & FH_CANCEL_ITEM))
    job->cancelled = TRUE;
  if (job->state == JOB_RUNNING)
    runner_cancel (job, flags);
  g_mutex_unlock (&job->lock);
}

static void
free_now (FhPluginJob *job)
{
  g_clear_pointer (&job->runner, fh_job_runner_free);
  g_clear_pointer (&job->oj_runner, fh_oj_runner_free);
  g_clear_pointer (&job->oj, fh_oj_job_free);
  g_clear_pointer (&job->oj_ignored, g_ptr_array_unref);
  g_clear_pointer (&job->job, fh_job_free);
  g_free (job->job_json);
  g_free (job->source);
  g_free (job->base_dir);
  g_mutex_clear (&job->lock);
  g_cond_clear (&job->ended);
  g_free (job);
}

static void
jobtype_job_free (FhPluginJob *job)
{
  if (job == NULL)
    return;
  g_mutex_lock (&job->lock);
  if (job->state == JOB_RUNNING)
    {
      runner_cancel (job, FH_CANCEL_NOW);
      /* From inside the run (a host callback): free when it returns. */
      if (job->runner_thread == g_thread_self ())
        {
          job->free_when_done = TRUE;
          g_mutex_unlock (&job->lock);
          return;
        }
      while (job->state == JOB_RUNNING)
        g_cond_wait (&job->ended, &job->lock);
    }
  g_mutex_unlock (&job->lock);
  free_now (job);
}

static void
jobtype_free_string (char *str)
{
  g_free (str);
}

static char *
jobtype_job_describe (FhPluginJob *job)
{
  g_autoptr (JsonObject) o = NULL;

  if (job == NULL)
    return NULL;
  if (job->oj != NULL)
    o = fh_oj_listing_describe (job->oj, fh_log_rules_get_preset (job->job->log)
                                           ? fh_log_preset_get_name (fh_log_rules_get_preset (job->job->log)) : NULL,
                                job->job->avoid_host_after, job->oj_ignored);
  else
    o = fh_job_listing_describe (job->job);
  return fh_json_object_to_string (o);
}

static char *
jobtype_job_agenda (FhPluginJob *job, const char *items, uint32_t flags, char **error_out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) agenda = NULL;
  g_autoptr (JsonNode) node = NULL;

  if (job == NULL)
    g_set_error (&error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT, "job_agenda: the job is NULL");
  else if ((items == NULL || check_text (items, "items", &error)) && job->oj != NULL)
    agenda = fh_oj_listing_agenda (job->oj, items, (flags & FH_AGENDA_COMMANDS) != 0, &error);
  else if (error == NULL)
    agenda = fh_job_listing_agenda (job->job, items, (flags & FH_AGENDA_COMMANDS) != 0, &error);
  if (agenda == NULL)
    {
      if (error_out != NULL)
        *error_out = g_strdup (error->message);
      return NULL;
    }
  node = json_node_init_array (json_node_alloc (), agenda);
  return fh_json_writer_to_string (node);
}

/* job_scan_log's options: {"preset": NAME, "per_line": BOOL}. */
static gboolean
read_scan_options (const char *options_json, char **preset, gboolean *per_line, GError **error)
{
  static const OptionField fields[] = {
    { "preset", OPT_STRING }, { "per_line", OPT_BOOL }, { NULL, OPT_END },
  };
  g_autoptr (JsonObject) o = parse_options (options_json, fields, error);

  if (o == NULL)
    return FALSE;
  *preset = g_strdup (json_object_get_string_member_with_default (o, "preset", NULL));
  *per_line = json_object_get_boolean_member_with_default (o, "per_line", FALSE);
  return TRUE;
}

/* The job @job_json (nullable: an empty one) describes, with its log
 * preset replaced by @preset (nullable: kept).  A job of its own, so a
 * scan never shares scanner state with a run. */
static FhJob *
scan_job (const char *job_json, const char *source, const char *base_dir, const char *preset,
          GError **error)
{
  g_autoptr (JsonObject) o = NULL;
  g_autofree char *text = NULL;
  JsonObject *log;

  if (job_json != NULL)
    o = fh_json_parse_object (job_json, -1, error);
  else
    {
      o = fh_json_parse_object ("{\"name\": \"log-test\", \"agenda\": {\"items\": "
                                "[{\"name\": \"log\", \"command\": \":\"}]}}", -1, error);
      source = "log test";
    }
  if (o == NULL)
    return NULL;
  if (preset != NULL)
    {
      JsonNode *node = json_object_get_member (o, "log");
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        json_object_set_object_member (o, "log", json_object_new ());
      log = json_object_get_object_member (o, "log");
      json_object_set_string_member (log, "preset", preset);
    }
  text = fh_json_object_to_string (o);
  return fh_job_new_from_data (text, -1, source, base_dir, NULL, error);
}

static char *
jobtype_job_scan_log (FhPluginJob *job, const char *log, size_t len, const char *options_json,
                      char **error_out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *preset = NULL;
  gboolean per_line = FALSE;
  g_autoptr (FhJob) scan = NULL;
  g_autoptr (JsonObject) result = NULL;

  if (log == NULL && len > 0)
    g_set_error (&error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT, "job_scan_log: the log is NULL");
  else if (read_scan_options (options_json, &preset, &per_line, &error))
    scan = job != NULL ? scan_job (job->job_json, job->source, job->base_dir, preset, &error)
                       : scan_job (NULL, NULL, NULL, preset, &error);
  if (scan == NULL)
    {
      if (error_out != NULL)
        *error_out = g_strdup (error->message);
      return NULL;
    }
  result = fh_log_test_scan (scan, log != NULL ? log : "", len, per_line);
  return fh_json_object_to_string (result);
}

/* ---- ABI 1.3: jobs by path, OpenJD ------------------------------------------ */

/* Whether @path is an OpenJD template or bundle (rather than farmhand's
 * JSON job): a directory, a YAML file, or JSON with a specificationVersion. */
static gboolean
is_openjd (const char *path, const char *format, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (JsonObject) o = NULL;

  if (format != NULL)
    {
      if (g_str_equal (format, "openjd") || g_str_equal (format, "farmhand"))
        return g_str_equal (format, "openjd");
      g_set_error (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                   "options_json: format '%s' is not one this plugin reads: farmhand or openjd", format);
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR) || fh_doc_format_for (path) != FH_DOC_JSON)
    return TRUE;
  if (!g_file_get_contents (path, &text, NULL, NULL) || (o = fh_json_parse_object (text, -1, NULL)) == NULL)
    return FALSE;
  return json_object_has_member (o, "specificationVersion");
}

static const char *const *
strv_option (JsonObject *o, const char *name, GPtrArray *keep)
{
  JsonArray *a = json_object_has_member (o, name) ? json_object_get_array_member (o, name) : NULL;
  const char **v;

  if (a == NULL)
    return NULL;
  /* Each its own array (borrowing @o's strings): one shared array would
   * move as it grew. */
  v = g_new0 (const char *, json_array_get_length (a) + 1);
  for (guint i = 0; i < json_array_get_length (a); i++)
    v[i] = json_array_get_string_element (a, i);
  g_ptr_array_add (keep, v);
  return v;
}

/* The farmhand side of an OpenJD job, as a job of its own: the log rules
 * (the openjd preset, or @preset; "none" for none) and the retries by
 * class ("N" or "CLASS=N"). */
static char *
farm_json (const char *name, const char *preset, const char *const *retries, GError **error)
{
  g_autoptr (JsonObject) o = json_object_new ();
  JsonObject *agenda = json_object_new (), *item = json_object_new (), *log = json_object_new ();
  JsonObject *by_class = json_object_new ();
  JsonArray *items = json_array_new ();

  json_object_set_string_member (o, "name", name);
  json_object_set_string_member (item, "name", "task");
  json_object_set_string_member (item, "command", ":");
  json_array_add_object_element (items, item);
  json_object_set_array_member (agenda, "items", items);
  json_object_set_object_member (o, "agenda", agenda);
  if (preset == NULL || !g_str_equal (preset, "none"))
    json_object_set_string_member (log, "preset", preset ? preset : "openjd");
  /* The exit code decides, as OpenJD says: log errors classify failures. */
  json_object_set_boolean_member (log, "fail_on_errors", FALSE);
  json_object_set_object_member (o, "log", log);
  json_object_set_object_member (o, "retries", by_class);
  for (const char *const *r = retries; r != NULL && *r != NULL; r++)
    {
      const char *eq = strchr (*r, '=');
      g_autofree char *cls = eq ? g_strndup (*r, eq - *r) : g_strdup ("default");
      guint64 n;
      if (!g_ascii_string_to_unsigned (eq ? eq + 1 : *r, 10, 0, 100, &n, NULL))
        return fh_throw_null (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                              "retries: '%s' is not N or CLASS=N (N from 0 to 100)", *r);
      json_object_set_int_member (by_class, cls, (gint64) n);
    }
  return fh_json_object_to_string (o);
}

static FhPluginJob *
open_openjd (const FhHostApi *host, const FhHostApi *copy, const char *path, JsonObject *opts, FhProblems *problems)
{
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) ignored = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *farm = NULL;
  FhOjSubmission sub = { 0 };
  FhOjJob *oj;
  FhJob *job = NULL;
  FhPluginJob *pj;

  sub.path = path;
  sub.parameters = strv_option (opts, "parameters", keep);
  sub.environments = strv_option (opts, "environments", keep);
  sub.steps = strv_option (opts, "steps", keep);
  sub.path_mapping_rules = json_object_get_string_member_with_default (opts, "path_mapping_rules", NULL);
  sub.cwd = json_object_get_string_member_with_default (opts, "cwd", NULL);
  if ((oj = fh_oj_submission_open (&sub, problems, &ignored)) == NULL)
    return NULL;
  if ((farm = farm_json (oj->name, json_object_get_string_member_with_default (opts, "log_preset", NULL),
                         strv_option (opts, "retries", keep), &error)) == NULL ||
      (job = fh_job_new_from_data (farm, -1, path, NULL, NULL, &error)) == NULL)
    {
      fh_problems_set_code (problems, FH_PROBLEMS_INVALID_INPUT);
      fh_problems_add (problems, "", 0, 0, error->message);
      fh_oj_job_free (oj);
      return NULL;
    }
  pj = g_new0 (FhPluginJob, 1);
  g_mutex_init (&pj->lock);
  g_cond_init (&pj->ended);
  pj->job = job;
  pj->oj = oj;
  pj->oj_ignored = g_steal_pointer (&ignored);
  pj->oj_preserve = json_object_get_boolean_member_with_default (opts, "preserve", FALSE);
  pj->job_json = g_steal_pointer (&farm);
  pj->source = g_strdup (path);
  pj->runnable = host != NULL;
  if (pj->runnable)
    {
      FhOjRunnerOptions ro = { job, pj->oj_preserve, NULL };
      pj->host = *copy;
      pj->host_own = host;
      pj->oj_runner = fh_oj_runner_new (oj, &pj->host, &ro);
    }
  return pj;
}

/* farmhand's own JSON job, read from @path. */
static FhPluginJob *
open_farmhand (const FhHostApi *host, const char *path, JsonObject *opts, FhProblems *problems)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) job_opts = json_object_new ();
  g_autofree char *text = NULL, *dir = g_path_get_dirname (path), *options = NULL;
  static const char *const openjd_only[] = { "parameters", "environments", "path_mapping_rules", "steps", NULL };

  for (guint i = 0; openjd_only[i] != NULL; i++)
    if (json_object_has_member (opts, openjd_only[i]))
      g_set_error (&error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                   "%s is a farmhand job, and %s are an Open Job Description template's", path, openjd_only[i]);
  if (error == NULL && !g_file_get_contents (path, &text, NULL, &error))
    {
      fh_problems_set_code (problems, FH_PROBLEMS_INVALID_INPUT);
      fh_problems_add (problems, "", 0, 0, error->message);
      return NULL;
    }
  json_object_set_string_member (job_opts, "base_dir", json_object_get_string_member_with_default (opts, "base_dir", dir));
  json_object_set_string_member (job_opts, "source", json_object_get_string_member_with_default (opts, "source", path));
  if (json_object_has_member (opts, "output_dir"))
    json_object_set_string_member (job_opts, "output_dir", json_object_get_string_member (opts, "output_dir"));
  options = fh_json_object_to_string (job_opts);
  return make_job (host, text, options, problems);
}

static const OptionField open_fields[] = {
  { "format", OPT_STRING }, { "base_dir", OPT_STRING }, { "source", OPT_STRING },
  { "output_dir", OPT_STRING }, { "parameters", OPT_STRINGS }, { "environments", OPT_STRINGS },
  { "path_mapping_rules", OPT_STRING }, { "steps", OPT_STRINGS }, { "cwd", OPT_STRING },
  { "preserve", OPT_BOOL }, { "retries", OPT_STRINGS }, { "log_preset", OPT_STRING }, { NULL, OPT_END },
};

static char *
error_object (FhProblems *problems)
{
  g_autoptr (JsonObject) o = fh_problems_to_json (problems);

  return fh_json_object_to_string (o);
}

static FhPluginJob *
jobtype_job_open (const FhHostApi *host, const char *path, const char *options_json, char **error_json)
{
  g_autoptr (FhProblems) problems = fh_problems_new (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) opts = NULL;
  FhHostApi copy;
  FhPluginJob *job = NULL;
  gboolean openjd = FALSE;

  if (host != NULL && !copy_host (host, &copy, &error))
    fh_problems_set_code (problems, FH_PROBLEMS_BAD_HOST);
  else if (!check_text (path, "path", &error) || (opts = parse_options (options_json, open_fields, &error)) == NULL ||
           (openjd = is_openjd (path, json_object_get_string_member_with_default (opts, "format", NULL), &error),
            error != NULL))
    fh_problems_set_code (problems, FH_PROBLEMS_INVALID_INPUT);
  if (error != NULL)
    fh_problems_add (problems, "", 0, 0, error->message);
  else
    job = openjd ? open_openjd (host, &copy, path, opts, problems) : open_farmhand (host, path, opts, problems);
  if (job == NULL && error_json != NULL)
    *error_json = error_object (problems);
  return job;
}

/* An OpenJD template's outline: what `farmhand openjd check` prints. */
static JsonObject *
template_outline (const FhOjTemplate *t)
{
  JsonObject *o = json_object_new ();
  JsonArray *params = json_array_new (), *steps = json_array_new (), *envs = json_array_new ();
  JsonArray *form = json_array_new ();
  g_autofree char *ext = fh_oj_extensions_to_string (t->extensions);

  json_object_set_string_member (o, "format", "openjd");
  json_object_set_string_member (o, "kind", t->kind == FH_OJ_JOB_TEMPLATE ? "jobtemplate-2023-09" : "environment-2023-09");
  json_object_set_string_member (o, "source", t->source);
  if (t->name != NULL)
    json_object_set_string_member (o, "name", fh_oj_format_get_text (t->name));
  json_object_set_string_member (o, "extensions", ext);
  for (guint i = 0; i < t->params->len; i++)
    {
      const FhOjParamDef *d = g_ptr_array_index (t->params, i);
      json_array_add_string_element (params, d->name);
      json_array_add_object_element (form, fh_oj_param_def_form (d));
    }
  for (guint i = 0; i < t->steps->len; i++)
    json_array_add_string_element (steps, ((FhOjStep *) g_ptr_array_index (t->steps, i))->name);
  for (guint i = 0; i < t->environments->len; i++)
    json_array_add_string_element (envs, ((FhOjEnvironment *) g_ptr_array_index (t->environments, i))->name);
  json_object_set_array_member (o, "parameters", params);
  json_object_set_array_member (o, "parameter_definitions", form);
  json_object_set_array_member (o, "steps", steps);
  json_object_set_array_member (o, "environments", envs);
  if (t->description != NULL)
    json_object_set_string_member (o, "description", t->description);
  return o;
}

static JsonObject *
check_path (const char *path, JsonObject *opts, FhProblems *problems)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *file = NULL, *text = NULL, *dir = NULL;
  g_autoptr (FhOjTemplate) t = NULL;
  g_autoptr (FhJob) job = NULL;
  gboolean openjd = is_openjd (path, json_object_get_string_member_with_default (opts, "format", NULL), &error);
  JsonObject *o;

  if (error == NULL && openjd)
    {
      g_autoptr (GHashTable) values = NULL;
      GHashTableIter it;
      gpointer name, value;
      if ((file = fh_oj_submission_template_path (path, problems)) == NULL ||
          (t = fh_oj_template_load (file, problems)) == NULL)
        return NULL;
      o = template_outline (t);
      /* A bundle's own values: what its form starts from. */
      values = fh_oj_submission_bundle_values (path, problems);
      if (fh_problems_get_count (problems) > 0)
        return json_object_unref (o), NULL;
      if (g_hash_table_size (values) > 0)
        {
          JsonObject *v = json_object_new ();
          g_hash_table_iter_init (&it, values);
          while (g_hash_table_iter_next (&it, &name, &value))
            json_object_set_string_member (v, name, value);
          json_object_set_object_member (o, "bundle_values", v);
        }
      return o;
    }
  if (error == NULL)
    g_file_get_contents (path, &text, NULL, &error);
  if (error != NULL)
    {
      fh_problems_set_code (problems, FH_PROBLEMS_INVALID_INPUT);
      fh_problems_add (problems, "", 0, 0, error->message);
      return NULL;
    }
  dir = g_path_get_dirname (path);
  if ((job = fh_job_check (text, -1, path, dir, NULL, problems)) == NULL)
    return NULL;
  o = json_object_new ();
  json_object_set_string_member (o, "format", "farmhand");
  json_object_set_string_member (o, "kind", "job");
  json_object_set_string_member (o, "source", path);
  json_object_set_string_member (o, "name", job->name);
  return o;
}

static char *
jobtype_check_file (const char *path, const char *options_json, char **error_json)
{
  static const OptionField fields[] = { { "format", OPT_STRING }, { NULL, OPT_END } };
  g_autoptr (FhProblems) problems = fh_problems_new (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) opts = NULL, out = NULL;

  if (!check_text (path, "path", &error) || (opts = parse_options (options_json, fields, &error)) == NULL)
    {
      fh_problems_set_code (problems, FH_PROBLEMS_INVALID_INPUT);
      fh_problems_add (problems, "", 0, 0, error->message);
    }
  else
    out = check_path (path, opts, problems);
  if (out == NULL)
    {
      if (error_json != NULL)
        *error_json = error_object (problems);
      return NULL;
    }
  return fh_json_object_to_string (out);
}

FH_PLUGIN_DEFINE_1_5 ("farmhand-jobtype", FH_VERSION, "MIT",
                      "Persistent-executor job type: one executor per job, "
                      "commands streamed in, results over a private backchannel",
                      jobtype_job_new, jobtype_job_run, jobtype_job_cancel,
                      jobtype_job_free, jobtype_free_string, jobtype_job_describe,
                      jobtype_job_agenda, jobtype_job_scan_log, jobtype_job_create, jobtype_job_open,
                      jobtype_check_file)
