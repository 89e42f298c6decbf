/* fh-plugin-jobtype.c — the farmhand-jobtype plugin: the ABI glue around
 * FhJobRunner.  It checks everything a host passes (the ABI promises no
 * crash on bad input), keeps a job's life straight (run once; freed
 * running: cancelled, then freed when the run ends), and translates
 * between C strings and GLib.  Everything of substance lives in the
 * runner and the executor connection.
 */
#include "config.h"

#include <stddef.h>

#include <json-glib/json-glib.h>

#include "fh-error.h"
#include "fh-job-listing.h"
#include "fh-job-runner.h"
#include "fh-log-test.h"
#include "fh-json.h"
#include "fh-json-writer.h"
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
  FhJob *job;
  FhJobRunner *runner;
  /* What made the job: job_scan_log makes its own from them. */
  char *job_json;
  char *source;
  char *base_dir;
};

/* The host fields this plugin calls, all present since ABI 1.0. */
#define HOST_API_MIN_SIZE (offsetof (FhHostApi, progress) + sizeof (void *))

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
      { "report_item", out->report_item != NULL }, { "log_line", out->log_line != NULL },
      { "progress", out->progress != NULL },
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
typedef struct
{
  const char *name;
  GType type;          /* G_TYPE_STRING or G_TYPE_BOOLEAN */
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
      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != f->type)
        return fh_throw_null (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT, "options_json: %s must be a %s",
                              f->name, f->type == G_TYPE_STRING ? "string" : "boolean");
    }
  return g_steal_pointer (&o);
}

/* job_new's options: {"base_dir", "source", "output_dir"}, all strings. */
static gboolean
read_options (const char *options_json, Options *out, GError **error)
{
  static const OptionField fields[] = {
    { "base_dir", G_TYPE_STRING }, { "source", G_TYPE_STRING }, { "output_dir", G_TYPE_STRING }, { NULL, 0 },
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
        fh_job_runner_cancel (job->runner, FH_CANCEL_NOW);
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
  status = fh_job_runner_run (job->runner, &summary);
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
    fh_job_runner_cancel (job->runner, flags);
  g_mutex_unlock (&job->lock);
}

static void
free_now (FhPluginJob *job)
{
  g_clear_pointer (&job->runner, fh_job_runner_free);
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
      fh_job_runner_cancel (job->runner, FH_CANCEL_NOW);
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
  else if (items == NULL || check_text (items, "items", &error))
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
    { "preset", G_TYPE_STRING }, { "per_line", G_TYPE_BOOLEAN }, { NULL, 0 },
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

FH_PLUGIN_DEFINE_1_2 ("farmhand-jobtype", FH_VERSION, "MIT",
                      "Persistent-executor job type: one executor per job, "
                      "commands streamed in, results over a private backchannel",
                      jobtype_job_new, jobtype_job_run, jobtype_job_cancel,
                      jobtype_job_free, jobtype_free_string, jobtype_job_describe,
                      jobtype_job_agenda, jobtype_job_scan_log, jobtype_job_create)
