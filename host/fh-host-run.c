/* fh-host-run.c — serving items, recording results.
 *
 * Items are served in agenda order.  Every agenda item ends up in the
 * results exactly once: as the plugin reported it, or, when the job
 * stopped early (executor did not start, died, setup failed), as failed
 * with the reason it was not run.
 */
#include "config.h"

#include "fh-host-run.h"

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "fh-error.h"
#include "fh-json.h"

struct _FhHostRun
{
  FhJob *job;
  const FhPluginDesc *desc;
  FhResultsWriter *results;
  FhHostRunOptions options;
  FhHostApi api;
  guint n_items;
  guint next;             /* next index to serve */
  guint8 *reported;       /* per item */
  guint n_complete;
  guint n_failed;
  GError *write_error;    /* first results-file failure */
  gint64 started;
};

/* ---- printing ----------------------------------------------------------- */

static void
print_indented (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0' || lines[i + 1] != NULL)
      printf ("            %s\n", lines[i]);
}

static void
print_result (FhHostRun *self, JsonObject *o)
{
  const char *status = json_object_get_string_member_with_default (o, "status", "?");
  const char *name = json_object_get_string_member_with_default (o, "name", "?");
  const char *tb = json_object_get_string_member_with_default (o, "traceback", NULL);
  gboolean ok = g_strcmp0 (status, "complete") == 0;
  double elapsed = json_object_get_double_member_with_default (o, "elapsed_s", 0.0);

  if (ok && self->options.quiet)
    return;
  printf ("  %-9s %-12s %8.3fs\n", ok ? "complete" : "FAILED", name, elapsed);
  if (!ok && tb != NULL)
    print_indented (tb);
  fflush (stdout);
}

/* ---- recording ---------------------------------------------------------- */

static void
record (FhHostRun *self, JsonObject *o, gboolean print)
{
  g_autofree char *json = NULL;
  const char *name = json_object_get_string_member_with_default (o, "name", "");
  guint index;

  if (fh_agenda_lookup (self->job->agenda, name, &index))
    self->reported[index] = 1;
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "status", ""), "complete") == 0)
    self->n_complete++;
  else
    self->n_failed++;
  if (print)
    print_result (self, o);
  if (self->results == NULL || self->write_error != NULL)
    return;
  json = fh_json_object_to_string (o);
  fh_results_writer_write (self->results, json, &self->write_error);
}

/* ---- FhHostApi ---------------------------------------------------------- */

static char *
api_next_item (void *host_data)
{
  FhHostRun *self = host_data;
  g_autoptr (JsonObject) o = NULL;
  g_autofree char *name = NULL;

  if (self->next >= self->n_items)
    return NULL;
  name = fh_agenda_dup_item_name (self->job->agenda, self->next);
  o = json_object_new ();
  json_object_set_string_member (o, "name", name);
  json_object_set_int_member (o, "index", self->next);
  self->next++;
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
      g_printerr ("farmhand: the plugin reported a malformed result (%s): %s\n",
                  err->message, result_json);
      return;
    }
  record (self, o, TRUE);
}

static void
api_log_line (void *host_data, const char *item_name, FhLogStream stream,
              const char *line, size_t len)
{
  FhHostRun *self = host_data;

  if (!self->options.verbose)
    return;
  printf ("    %s| %.*s\n", item_name ? item_name : "", (int) len, line);
}

static void
api_progress (void *host_data, const char *item_name, double fraction)
{
}

FhHostRun *
fh_host_run_new (FhJob *job, const FhPluginDesc *desc, FhResultsWriter *results,
                 const FhHostRunOptions *options)
{
  FhHostRun *self = g_new0 (FhHostRun, 1);

  self->job = job;
  self->desc = desc;
  self->results = results;
  if (options != NULL)
    self->options = *options;
  self->n_items = fh_job_get_n_items (job);
  self->reported = g_new0 (guint8, self->n_items);
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
  g_free (self->reported);
  g_clear_error (&self->write_error);
  g_free (self);
}

/* The job stopped early: every item it never reported failed, unrun.
 * The terminal gets one line for them all; the results file one each. */
static void
record_unrun (FhHostRun *self, const char *why)
{
  guint n_before = self->n_failed;

  for (guint i = 0; i < self->n_items; i++)
    {
      g_autoptr (JsonObject) o = NULL;
      g_autofree char *name = NULL;
      g_autofree char *tb = NULL;

      if (self->reported[i])
        continue;
      name = fh_agenda_dup_item_name (self->job->agenda, i);
      tb = g_strdup_printf ("not run: %s", why);
      o = json_object_new ();
      json_object_set_string_member (o, "name", name);
      json_object_set_int_member (o, "index", i);
      json_object_set_string_member (o, "status", "failed");
      json_object_set_string_member (o, "traceback", tb);
      json_object_set_double_member (o, "elapsed_s", 0.0);
      record (self, o, FALSE);
    }
  if (self->n_failed > n_before)
    printf ("  FAILED    %u item%s not run (reason below)\n", self->n_failed - n_before,
            self->n_failed - n_before == 1 ? "" : "s");
}

static JsonObject *
parse_summary (const char *json)
{
  JsonObject *o = json != NULL ? fh_json_parse_object (json, -1, NULL) : NULL;

  return o != NULL ? o : json_object_new ();
}

static void
print_summary (FhHostRun *self, JsonObject *summary)
{
  JsonNode *ex_node = json_object_get_member (summary, "executor");
  JsonObject *ex = ex_node && JSON_NODE_HOLDS_OBJECT (ex_node) ? json_node_get_object (ex_node) : NULL;
  const char *error = json_object_get_string_member_with_default (summary, "error", NULL);
  double secs = (g_get_monotonic_time () - self->started) / 1e6;

  if (error != NULL)
    {
      printf ("farmhand: job stopped early or failed at the edges:\n");
      print_indented (error);
    }
  printf ("job %s: %u complete, %u failed (%u items) in %.2f s",
          self->job->name, self->n_complete, self->n_failed, self->n_items, secs);
  if (ex != NULL && json_object_has_member (ex, "exit_code"))
    printf ("; executor exited with code %" G_GINT64_FORMAT,
            json_object_get_int_member (ex, "exit_code"));
  printf ("\n");
  fflush (stdout);
}

int
fh_host_run_execute (FhHostRun *self, const char *job_json, GError **error)
{
  g_autoptr (JsonObject) opts = json_object_new ();
  g_autofree char *opts_json = NULL;
  g_autofree char *summary_json = NULL;
  g_autoptr (JsonObject) summary = NULL;
  char *err_msg = NULL;
  char *raw_summary = NULL;
  FhPluginJob *pj;
  int status;

  json_object_set_string_member (opts, "job_dir", self->job->job_dir);
  json_object_set_string_member (opts, "source", self->job->source);
  opts_json = fh_json_object_to_string (opts);
  pj = self->desc->job_new (&self->api, job_json, opts_json, &err_msg);
  if (pj == NULL)
    {
      fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN, "%s",
                err_msg ? err_msg : "the plugin refused the job");
      self->desc->free_string (err_msg);
      return 2;
    }
  self->started = g_get_monotonic_time ();
  printf ("farmhand: job %s, %u item%s\n", self->job->name, self->n_items,
          self->n_items == 1 ? "" : "s");
  status = self->desc->job_run (pj, &raw_summary);
  summary_json = g_strdup (raw_summary);
  self->desc->free_string (raw_summary);
  self->desc->job_free (pj);
  summary = parse_summary (summary_json);
  if (status == FH_RUN_JOB_FAILED)
    record_unrun (self, json_object_get_string_member_with_default (
                            summary, "error", "the job stopped early"));
  print_summary (self, summary);
  if (self->write_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->write_error));
      return 1;
    }
  return status == FH_RUN_OK && self->n_failed == 0 ? 0 : 1;
}
