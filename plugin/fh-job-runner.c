/* fh-job-runner.c — one job: setup, agenda items from the host, teardown.
 *
 * Outcomes.  A setup command that fails stops the job before any agenda
 * item runs; teardown still runs.  An executor that dies fails the command
 * it was running (with its exit status and last log lines) and every later
 * one; the runner stops asking for work, and the host learns why from the
 * summary.  Teardown failures are reported but do not undo item results.
 */
#include "config.h"

#include "fh-job-runner.h"

#include <json-glib/json-glib.h>

#include "fh-dispatcher.h"
#include "fh-error.h"
#include "fh-json.h"
#include "fh-executor-path.h"
#include "fh-item-report.h"

struct _FhJobRunner
{
  FhJob *job;
  const FhHostApi *host;
  GCancellable *cancellable;
  FhDispatcher *dispatcher;
  FhItemReport *report;       /* findings of the command running */
  char **argv;
  const char *current_item;   /* name of the item running, for the log */
  guint n_complete;
  guint n_failed;
  char *error;                /* why the job stopped early / teardown failed */
  gboolean teardown_failed;
  gint exit_code;
  gboolean closed;
  char *output_dir;
  char *executor_kind;        /* from the executor's hello */
  gint64 executor_pid;
};

FhJobRunner *
fh_job_runner_new (FhJob *job, const FhHostApi *host, const char *output_dir)
{
  FhJobRunner *self = g_new0 (FhJobRunner, 1);
  g_autofree char *cwd = g_get_current_dir ();

  self->output_dir = output_dir != NULL
                         ? g_canonicalize_filename (output_dir, cwd)
                         : g_build_filename (cwd, "farmhand-out", job->name, NULL);
  self->job = job;
  self->host = host;
  self->cancellable = g_cancellable_new ();
  self->exit_code = -1;
  return self;
}

void
fh_job_runner_free (FhJobRunner *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->dispatcher, fh_dispatcher_free);
  g_clear_pointer (&self->report, fh_item_report_free);
  g_clear_object (&self->cancellable);
  g_strfreev (self->argv);
  g_free (self->error);
  g_free (self->executor_kind);
  g_free (self->output_dir);
  fh_job_free (self->job);
  g_free (self);
}

void
fh_job_runner_cancel (FhJobRunner *self, int flags)
{
  g_cancellable_cancel (self->cancellable);
}

/* ---- host callbacks ----------------------------------------------------- */

static void
to_host_log (FhJobRunner *self, FhLogStream stream, const char *line, gsize len)
{
  self->host->log_line (self->host->host_data, self->current_item, stream, line, len);
}

static void
set_progress (FhJobRunner *self, double fraction)
{
  if (fraction >= 0 && self->current_item != NULL)
    self->host->progress (self->host->host_data, self->current_item, fraction);
}

/* Every line goes to the host; output lines (not echo, not farmhand's own)
 * are also scanned against the job's log patterns. */
static void
on_log (FhLogStream stream, const char *line, gsize len, gboolean echo, gpointer user_data)
{
  FhJobRunner *self = user_data;
  FhLogHit hit;

  to_host_log (self, stream, line, len);
  if (echo || stream == FH_LOG_FARMHAND || self->report == NULL)
    return;
  if (fh_log_scanner_scan (self->job->log, line, len, &hit))
    set_progress (self, fh_item_report_line (self->report, line, len, &hit));
}

static void
on_message (const FhMessage *msg, gpointer user_data)
{
  FhJobRunner *self = user_data;

  switch (msg->type)
    {
    case FH_MESSAGE_PROGRESS:
      fh_item_report_progress (self->report, msg->fraction);
      set_progress (self, msg->fraction);
      break;
    case FH_MESSAGE_OUTPUT:
      fh_item_report_output (self->report, msg->text);
      break;
    case FH_MESSAGE_LOG:
      to_host_log (self, FH_LOG_FARMHAND, msg->text, strlen (msg->text));
      break;
    default:
      break;
    }
}

static void
host_note (FhJobRunner *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
host_note (FhJobRunner *self, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  to_host_log (self, FH_LOG_FARMHAND, msg, strlen (msg));
}

/* ---- phases ------------------------------------------------------------- */

/* FARMHAND_OUTPUT_DIR first so the job's env may override it; the job's
 * identity last so it cannot be faked. */
static char **
build_env (FhJobRunner *self)
{
  g_autoptr (GStrvBuilder) env = g_strv_builder_new ();
  g_autofree char *out = g_strdup_printf ("FARMHAND_OUTPUT_DIR=%s", self->output_dir);
  g_autofree char *name = g_strdup_printf ("FARMHAND_JOB_NAME=%s", self->job->name);
  g_autofree char *dir = g_strdup_printf ("FARMHAND_JOB_DIR=%s", self->job->job_dir);

  g_strv_builder_add (env, out);
  for (guint i = 0; i < self->job->env->len; i++)
    {
      const FhEnvVar *var = g_ptr_array_index (self->job->env, i);
      g_autofree char *kv = g_strdup_printf ("%s=%s", var->name, var->value);
      g_strv_builder_add (env, kv);
    }
  g_strv_builder_add_many (env, "FARMHAND_PROTOCOL=1", name, dir, NULL);
  return g_strv_builder_end (env);
}

static gboolean
start_executor (FhJobRunner *self)
{
  g_autoptr (GError) err = NULL;
  g_auto (GStrv) env = build_env (self);
  g_autofree char *cwd = fh_job_map_path (self->job, self->job->cwd);
  g_autofree char *shown = NULL;

  self->argv = fh_executor_argv_for_job (self->job, &err);
  if (self->argv == NULL)
    {
      self->error = g_strdup (err->message);
      return FALSE;
    }
  shown = g_strjoinv (" ", self->argv);
  host_note (self, "farmhand: starting executor: %s", shown);
  self->dispatcher = fh_dispatcher_new (self->cancellable);
  fh_dispatcher_set_log_func (self->dispatcher, on_log, self);
  fh_dispatcher_set_message_func (self->dispatcher, on_message, self);
  if (!fh_dispatcher_start (self->dispatcher, (const char *const *) self->argv,
                            cwd, (const char *const *) env, 0, &err))
    {
      self->error = g_strdup_printf ("the executor did not start: %s", err->message);
      return FALSE;
    }
  self->report = fh_item_report_new (self->job, cwd);
  self->executor_kind = g_strdup (fh_dispatcher_get_hello (self->dispatcher)->kind);
  self->executor_pid = fh_dispatcher_get_hello (self->dispatcher)->pid;
  return TRUE;
}

/* Why a command failed: its own traceback and/or what its log and outputs
 * say (@verdict, taken).  NULL when it did not fail. */
static char *
combine_reasons (const FhCommandResult *r, char *verdict)
{
  g_autofree char *v = verdict;

  if (r->status == FH_STATUS_OK)
    return g_steal_pointer (&v);
  if (v == NULL)
    return g_strdup (r->traceback);
  return g_strdup_printf ("%s\n%s", r->traceback, v);
}

/* Runs setup or teardown.  Setup stops at the first failure; teardown runs
 * every command it can, since each is a separate clean-up. */
static gboolean
run_hooks (FhJobRunner *self, FhPhase phase, GPtrArray *hooks)
{
  const char *what = fh_phase_to_string (phase);
  gboolean ok = TRUE;

  for (guint i = 0; i < hooks->len && fh_dispatcher_is_alive (self->dispatcher); i++)
    {
      g_autofree char *command = fh_job_expand_hook (self->job, g_ptr_array_index (hooks, i));
      g_autoptr (GError) err = NULL;
      g_autoptr (FhCommandResult) r = NULL;
      g_autofree char *why = NULL;

      fh_item_report_reset (self->report, NULL, 0);
      r = fh_dispatcher_run (self->dispatcher, phase, command, NULL, &err);
      why = r == NULL ? g_strdup (err->message)
            : combine_reasons (r, fh_item_report_verdict (self->report, FALSE));

      if (why == NULL)
        continue;
      host_note (self, "farmhand: %s[%u] failed: %s", what, i, why);
      if (ok && self->error == NULL)
        self->error = g_strdup_printf ("%s[%u] failed: %s", what, i, why);
      ok = FALSE;
      if (phase == FH_PHASE_SETUP)
        break;
    }
  return ok;
}

static void
report (FhJobRunner *self, JsonObject *result)
{
  g_autofree char *json = fh_json_object_to_string (result);

  self->host->report_item (self->host->host_data, json);
}

static void
report_unknown (FhJobRunner *self, const char *name)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autofree char *tb = g_strdup_printf ("the job's agenda has no item named '%s'", name);

  json_object_set_string_member (o, "name", name);
  json_object_set_string_member (o, "status", "failed");
  json_object_set_string_member (o, "traceback", tb);
  json_object_set_double_member (o, "elapsed_s", 0.0);
  self->n_failed++;
  report (self, o);
}

static JsonObject *
item_result (FhJobRunner *self, JsonObject *item, const char *name,
             const FhCommandResult *r, const char *why, gint64 elapsed_us)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "name", name);
  json_object_set_int_member (o, "index", json_object_get_int_member (item, "index"));
  json_object_set_member (o, "frames", json_node_copy (json_object_get_member (item, "frames")));
  json_object_set_string_member (o, "status", why == NULL ? "complete" : "failed");
  json_object_set_double_member (o, "elapsed_s", elapsed_us / 1e6);
  if (r != NULL && r->has_code)
    json_object_set_int_member (o, "code", r->code);
  if (why != NULL)
    json_object_set_string_member (o, "traceback", why);
  fh_item_report_to_json (self->report, o);
  return o;
}

/* Runs agenda item @index.  Returns FALSE when the executor is gone. */
static gboolean
run_item (FhJobRunner *self, guint index, const char *name)
{
  g_autofree char *command = fh_job_expand_item (self->job, index);
  g_autoptr (JsonObject) item = fh_agenda_item_to_json (self->job->agenda, index);
  g_autoptr (JsonObject) o = NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (FhCommandResult) r = NULL;
  g_autofree char *why = NULL;
  gint64 started = g_get_monotonic_time ();
  const gint64 *frames;
  guint n_frames;

  frames = fh_agenda_get_item_frames (self->job->agenda, index, &n_frames);
  fh_item_report_reset (self->report, frames, n_frames);
  self->current_item = name;
  r = fh_dispatcher_run (self->dispatcher, FH_PHASE_AGENDA, command, item, &err);
  self->current_item = NULL;
  why = r == NULL ? g_strdup (err->message)
        : combine_reasons (r, fh_item_report_verdict (self->report, TRUE));
  o = item_result (self, item, name, r, why, r ? r->elapsed_us : g_get_monotonic_time () - started);
  if (why == NULL)
    self->n_complete++;
  else
    self->n_failed++;
  report (self, o);
  if (r == NULL && self->error == NULL)
    self->error = g_strdup (err->message);
  return r != NULL;
}

static JsonObject *
parse_work (const char *json, GError **error)
{
  g_autoptr (JsonObject) o = fh_json_parse_object (json, -1, error);

  if (o == NULL || json_object_get_string_member_with_default (o, "name", NULL) == NULL)
    {
      g_clear_error (error);
      return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                            "the host's work item is not an object with a \"name\": %s", json);
    }
  return g_steal_pointer (&o);
}

static void
run_agenda (FhJobRunner *self)
{
  while (fh_dispatcher_is_alive (self->dispatcher) &&
         !g_cancellable_is_cancelled (self->cancellable))
    {
      char *work = self->host->next_item (self->host->host_data);
      g_autoptr (JsonObject) obj = NULL;
      g_autoptr (GError) err = NULL;
      const char *name;
      guint index;

      if (work == NULL)
        return;
      obj = parse_work (work, &err);
      self->host->free_item (self->host->host_data, work);
      if (obj == NULL)
        {
          host_note (self, "farmhand: %s", err->message);
          continue;
        }
      name = json_object_get_string_member (obj, "name");
      if (!fh_agenda_lookup (self->job->agenda, name, &index))
        report_unknown (self, name);
      else if (!run_item (self, index, name))
        return;
    }
}

static void
close_executor (FhJobRunner *self)
{
  g_autoptr (GError) err = NULL;

  if (self->dispatcher == NULL || self->closed)
    return;
  self->closed = TRUE;
  fh_dispatcher_close (self->dispatcher, 0, &self->exit_code, &err);
  host_note (self, "farmhand: executor exited with code %d", self->exit_code);
}

static FhRunStatus
run_job (FhJobRunner *self)
{
  gboolean setup_ok;

  if (!start_executor (self))
    return FH_RUN_JOB_FAILED;
  setup_ok = run_hooks (self, FH_PHASE_SETUP, self->job->setup);
  if (setup_ok)
    run_agenda (self);
  self->teardown_failed = !run_hooks (self, FH_PHASE_TEARDOWN, self->job->teardown);
  close_executor (self);
  if (g_cancellable_is_cancelled (self->cancellable))
    return FH_RUN_CANCELLED;
  if (!setup_ok || (self->error != NULL && !self->teardown_failed))
    return FH_RUN_JOB_FAILED;
  if (self->n_failed > 0 || self->teardown_failed)
    return FH_RUN_ITEMS_FAILED;
  return FH_RUN_OK;
}

static const char *
status_name (FhRunStatus status)
{
  switch (status)
    {
    case FH_RUN_OK: return "complete";
    case FH_RUN_ITEMS_FAILED: return "failed";
    case FH_RUN_JOB_FAILED: return "job_failed";
    case FH_RUN_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

static char *
build_summary (FhJobRunner *self, FhRunStatus status)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autoptr (JsonObject) ex = json_object_new ();
  g_autoptr (JsonArray) argv = json_array_new ();

  json_object_set_string_member (o, "status", status_name (status));
  json_object_set_int_member (o, "items_complete", self->n_complete);
  json_object_set_int_member (o, "items_failed", self->n_failed);
  if (self->error != NULL)
    json_object_set_string_member (o, "error", self->error);
  for (guint i = 0; self->argv != NULL && self->argv[i] != NULL; i++)
    json_array_add_string_element (argv, self->argv[i]);
  json_object_set_array_member (ex, "argv", g_steal_pointer (&argv));
  if (self->executor_kind != NULL)
    {
      json_object_set_string_member (ex, "kind", self->executor_kind);
      json_object_set_int_member (ex, "pid", self->executor_pid);
    }
  if (self->closed)
    json_object_set_int_member (ex, "exit_code", self->exit_code);
  json_object_set_object_member (o, "executor", g_steal_pointer (&ex));
  return fh_json_object_to_string (o);
}

int
fh_job_runner_run (FhJobRunner *self, char **summary_json)
{
  GMainContext *context = g_main_context_new ();
  FhRunStatus status;

  g_main_context_push_thread_default (context);
  status = run_job (self);
  /* Sources of the dispatcher live on this context: free it here. */
  g_clear_pointer (&self->dispatcher, fh_dispatcher_free);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  if (summary_json != NULL)
    *summary_json = build_summary (self, status);
  return status;
}
