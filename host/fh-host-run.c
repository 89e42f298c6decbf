/* fh-host-run.c — serving items, recording results.
 *
 * Items are served in the order given.  Every served item ends up in the
 * results exactly once: as the plugin reported it, or, when the job
 * stopped early (executor did not start or died, setup failed), as failed
 * with the reason it was not run.  "attempts" counts runs across resumes.
 */
#include "config.h"

#include "fh-host-run.h"

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "fh-error.h"
#include "fh-host-monitor.h"
#include "fh-json.h"

struct _FhHostRun
{
  FhJob *job;
  const FhPluginDesc *desc;
  FhHostRunOptions options;
  FhHostApi api;
  FhProgress *progress;
  GArray *indices;        /* guint: the items to serve */
  guint next;             /* position in indices */
  guint8 *reported;       /* per agenda item */
  char *current;          /* name of the item being run */
  guint n_complete;
  guint n_failed;
  GError *write_error;    /* first results-file failure */
  gint64 started;
  FhPluginJob *job_running;   /* while job_run() runs, for the monitor */
  GMutex lock;
  int signum;             /* the signal that cancelled the job, or 0 */
};

/* ---- recording ---------------------------------------------------------- */

static gint64
prior_attempts (FhHostRun *self, const char *name)
{
  JsonObject *prior = self->options.results ? fh_results_file_lookup (self->options.results, name) : NULL;

  return prior ? json_object_get_int_member_with_default (prior, "attempts", 1) : 0;
}

static void
record (FhHostRun *self, JsonObject *o, gboolean ran)
{
  const char *name = json_object_get_string_member_with_default (o, "name", "");
  gboolean ok = g_strcmp0 (json_object_get_string_member_with_default (o, "status", ""), "complete") == 0;
  guint index;

  if (fh_agenda_lookup (self->job->agenda, name, &index))
    self->reported[index] = 1;
  if (ok)
    self->n_complete++;
  else
    self->n_failed++;
  /* The plugin counts this run's attempts (retries); resumes add theirs. */
  json_object_set_int_member (o, "attempts", prior_attempts (self, name) +
                              json_object_get_int_member_with_default (o, "attempts", ran ? 1 : 0));
  if (self->options.log != NULL)
    fh_job_log_marker (self->options.log, "item %s %s in %.3f s", name,
                       ok ? "complete" : "FAILED",
                       json_object_get_double_member_with_default (o, "elapsed_s", 0));
  if (self->options.results != NULL && self->write_error == NULL)
    fh_results_file_write (self->options.results, o, &self->write_error);
}

/* ---- FhHostApi ---------------------------------------------------------- */

static char *
api_next_item (void *host_data)
{
  FhHostRun *self = host_data;
  g_autoptr (JsonObject) o = NULL;
  guint index;

  if (self->next >= self->indices->len)
    return NULL;
  index = g_array_index (self->indices, guint, self->next++);
  g_free (self->current);
  self->current = fh_agenda_dup_item_name (self->job->agenda, index);
  o = json_object_new ();
  json_object_set_string_member (o, "name", self->current);
  json_object_set_int_member (o, "index", index);
  fh_progress_item_started (self->progress, self->current);
  if (self->options.log != NULL)
    fh_job_log_marker (self->options.log, "item %s (%u of %u) started", self->current,
                       self->next, self->indices->len);
  return fh_json_object_to_string (o);
}

static void
api_free_item (void *host_data, char *item_json)
{
  g_free (item_json);
}

static void
api_report_item (void *host_data, const char *result_json)
{
  FhHostRun *self = host_data;
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) o = fh_json_parse_object (result_json, -1, &err);

  if (o == NULL)
    {
      fh_progress_note (self->progress, "farmhand: the plugin reported a malformed result (%s): %s",
                        err->message, result_json);
      return;
    }
  record (self, o, TRUE);
  fh_progress_item_done (self->progress,
                         json_object_get_string_member_with_default (o, "name", "?"),
                         g_strcmp0 (json_object_get_string_member_with_default (o, "status", ""), "complete") == 0,
                         json_object_get_double_member_with_default (o, "elapsed_s", 0.0),
                         json_object_get_string_member_with_default (o, "traceback", NULL));
}

static void
api_log_line (void *host_data, const char *item_name, FhLogStream stream,
              const char *line, size_t len)
{
  FhHostRun *self = host_data;

  if (self->options.log != NULL)
    fh_job_log_line (self->options.log, item_name, stream, line, len);
  fh_progress_log_line (self->progress, item_name, line, len);
}

static void
api_progress (void *host_data, const char *item_name, double fraction)
{
  fh_progress_item_fraction (((FhHostRun *) host_data)->progress, item_name, fraction);
}

static GArray *
all_indices (guint n)
{
  GArray *a = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);

  for (guint i = 0; i < n; i++)
    g_array_append_val (a, i);
  return a;
}

FhHostRun *
fh_host_run_new (FhJob *job, const FhPluginDesc *desc, const FhHostRunOptions *options)
{
  FhHostRun *self = g_new0 (FhHostRun, 1);
  guint n_items = fh_job_get_n_items (job);

  self->job = job;
  self->desc = desc;
  self->options = *options;
  self->indices = options->indices ? g_array_ref (options->indices) : all_indices (n_items);
  self->reported = g_new0 (guint8, n_items);
  g_mutex_init (&self->lock);
  self->progress = fh_progress_new (stdout, options->tty, options->level, self->indices->len);
  self->api = (FhHostApi) {
    .struct_size = sizeof (FhHostApi),
    .abi_major = FH_PLUGIN_ABI_MAJOR,
    .abi_minor = FH_PLUGIN_ABI_MINOR,
    .host_data = self,
    .next_item = api_next_item,
    .free_item = api_free_item,
    .report_item = api_report_item,
    .log_line = api_log_line,
    .progress = api_progress,
  };
  return self;
}

void
fh_host_run_free (FhHostRun *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->indices);
  g_mutex_clear (&self->lock);
  g_free (self->reported);
  g_free (self->current);
  fh_progress_free (self->progress);
  g_clear_error (&self->write_error);
  g_free (self);
}

/* The job stopped early: every selected item it never reported failed,
 * unrun.  The terminal gets one line for them all; the results one each. */
static void
record_unrun (FhHostRun *self, const char *why)
{
  g_autofree char *tb = g_strdup_printf ("not run: %s", why);
  guint n = 0;

  for (guint k = 0; k < self->indices->len; k++)
    {
      guint i = g_array_index (self->indices, guint, k);
      g_autoptr (JsonObject) o = NULL;
      g_autofree char *name = NULL;

      if (self->reported[i])
        continue;
      name = fh_agenda_dup_item_name (self->job->agenda, i);
      o = json_object_new ();
      json_object_set_string_member (o, "name", name);
      json_object_set_int_member (o, "index", i);
      json_object_set_string_member (o, "status", "failed");
      json_object_set_string_member (o, "traceback", tb);
      json_object_set_double_member (o, "elapsed_s", 0.0);
      record (self, o, FALSE);
      n++;
    }
  if (n > 0)
    fh_progress_note (self->progress, "  FAILED    %u item%s not run (reason below)", n, n == 1 ? "" : "s");
}

static void
print_summary (FhHostRun *self, JsonObject *summary)
{
  JsonNode *ex_node = json_object_get_member (summary, "executor");
  JsonObject *ex = ex_node && JSON_NODE_HOLDS_OBJECT (ex_node) ? json_node_get_object (ex_node) : NULL;
  const char *error = json_object_get_string_member_with_default (summary, "error", NULL);
  double secs = (g_get_monotonic_time () - self->started) / 1e6;
  g_autoptr (GString) line = g_string_new (NULL);

  fh_progress_finish (self->progress);
  if (error != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (error, "\n", -1);
      printf ("farmhand: the job stopped early or failed at the edges:\n");
      for (guint i = 0; lines[i] != NULL; i++)
        if (lines[i][0] != '\0')
          printf ("            %s\n", lines[i]);
    }
  g_string_printf (line, "job %s: %u complete, %u failed (%u item%s) in %.2f s",
                   self->job->name, self->n_complete, self->n_failed, self->indices->len,
                   self->indices->len == 1 ? "" : "s", secs);
  if (ex != NULL && json_object_has_member (ex, "exit_code"))
    g_string_append_printf (line, "; executor exited with code %" G_GINT64_FORMAT,
                            json_object_get_int_member (ex, "exit_code"));
  printf ("%s\n", line->str);
  if (self->options.log != NULL)
    fh_job_log_marker (self->options.log, "%s", line->str);
  fflush (stdout);
}

static void
on_tick (gpointer data)
{
  FhHostRun *self = data;

  fh_progress_tick (self->progress);
  if (self->options.results != NULL)
    fh_results_file_sync (self->options.results, NULL);
  if (self->options.log != NULL)
    fh_job_log_flush (self->options.log, NULL);
}

static char *
plugin_options (FhHostRun *self)
{
  g_autoptr (JsonObject) opts = json_object_new ();

  json_object_set_string_member (opts, "job_dir", self->job->job_dir);
  json_object_set_string_member (opts, "source", self->job->source);
  if (self->options.output_dir != NULL)
    json_object_set_string_member (opts, "output_dir", self->options.output_dir);
  return fh_json_object_to_string (opts);
}

/* SIGINT or SIGTERM: cancel gracefully (interrupt the command, teardown);
 * the same signal again: now. */
static void
on_signal (int signum, guint count, gpointer data)
{
  FhHostRun *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (self->job_running == NULL)
    return;
  self->signum = self->signum ? self->signum : signum;
  fh_progress_note (self->progress, count == 1
                        ? "farmhand: %s: cancelling — interrupting the command, then teardown "
                          "(again to skip the grace periods)"
                        : "farmhand: %s again: stopping now",
                    g_strsignal (signum));
  self->desc->job_cancel (self->job_running, count == 1 ? FH_CANCEL_GRACEFUL : FH_CANCEL_NOW);
}

/* Runs @pj with the timer/signal thread beside it; returns its FhRunStatus
 * and summary. */
static int
run_plugin_job (FhHostRun *self, FhPluginJob *pj, JsonObject **summary)
{
  g_autoptr (FhHostMonitor) monitor = NULL;
  char *raw = NULL;
  int status;

  g_mutex_lock (&self->lock);
  self->job_running = pj;
  g_mutex_unlock (&self->lock);
  monitor = fh_host_monitor_start (self->options.tty ? 250 : 1000, on_tick, on_signal, self);
  status = self->desc->job_run (pj, &raw);
  g_clear_pointer (&monitor, fh_host_monitor_stop);
  g_mutex_lock (&self->lock);
  self->job_running = NULL;
  g_mutex_unlock (&self->lock);

  *summary = raw ? fh_json_parse_object (raw, -1, NULL) : NULL;
  if (*summary == NULL)
    *summary = json_object_new ();
  self->desc->free_string (raw);
  return status;
}

int
fh_host_run_execute (FhHostRun *self, const char *job_json, GError **error)
{
  g_autofree char *opts_json = plugin_options (self);
  g_autoptr (JsonObject) summary = NULL;
  char *err_msg = NULL;
  FhPluginJob *pj;
  int status;

  pj = self->desc->job_new (&self->api, job_json, opts_json, &err_msg);
  if (pj == NULL)
    {
      fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN, "%s",
                err_msg ? err_msg : "the plugin refused the job");
      self->desc->free_string (err_msg);
      return 2;
    }
  self->started = g_get_monotonic_time ();
  fh_progress_note (self->progress, "farmhand: job %s, %u item%s", self->job->name,
                    self->indices->len, self->indices->len == 1 ? "" : "s");
  if (self->options.log != NULL)
    fh_job_log_marker (self->options.log, "job %s started: %u items", self->job->name,
                       self->indices->len);
  status = run_plugin_job (self, pj, &summary);
  self->desc->job_free (pj);
  if (status == FH_RUN_JOB_FAILED || status == FH_RUN_CANCELLED)
    record_unrun (self, json_object_get_string_member_with_default (
                            summary, "error", status == FH_RUN_CANCELLED ? "the job was cancelled"
                                                                         : "the job stopped early"));
  print_summary (self, summary);
  if (self->write_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->write_error));
      return 1;
    }
  /* Cancelled by a signal: the shell convention, 128 + the signal. */
  if (status == FH_RUN_CANCELLED && self->signum != 0)
    return 128 + self->signum;
  return status == FH_RUN_OK && self->n_failed == 0 ? 0 : 1;
}
