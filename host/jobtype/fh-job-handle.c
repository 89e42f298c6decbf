/* fh-job-handle.c — a job through the plugin ABI, host side (see the
 * header). */
#include "config.h"

#include "fh-job-handle.h"

#include "fh-proc.h"

#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-host-monitor.h"
#include "fh-json.h"

/* The agenda is read in pages of this many items: a million-item job is
 * never one 100 MB string. */
#define AGENDA_PAGE 10000

struct _FhJobHandle
{
  FhPluginModule *module;
  const FhPluginDesc *desc;
  FhHostApi api;
  FhPluginJob *job;
  JsonObject *description;
  const FhJobHandleFuncs *funcs;
  gpointer user_data;
  GMutex lock;            /* job_running and signum, against the monitor */
  gboolean job_running;
  int signum;
};

/* ---- FhHostApi, to the handle's callbacks ---------------------------------- */

static char *
api_next_item (void *data)
{
  FhJobHandle *self = data;

  return self->funcs->next_item ? self->funcs->next_item (self->user_data) : NULL;
}

static int64_t
api_next_index (void *data)
{
  FhJobHandle *self = data;

  return self->funcs->next_index ? self->funcs->next_index (self->user_data) : FH_NEXT_ITEM_JSON;
}

static void
api_free_item (void *data, char *item)
{
  g_free (item);
}

static void
api_report_item (void *data, const char *result_json)
{
  FhJobHandle *self = data;
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) o = fh_json_parse_object (result_json, -1, &err);

  if (o == NULL)
    {
      g_printerr ("farmhand: the plugin reported a malformed result (%s): %s\n", err->message,
                  result_json);
      return;
    }
  if (self->funcs->report_item != NULL)
    self->funcs->report_item (self->user_data, o);
}

static void
api_log_line (void *data, const char *item, FhLogStream stream, const char *line, size_t len)
{
  FhJobHandle *self = data;

  if (self->funcs->log_line != NULL)
    self->funcs->log_line (self->user_data, item, stream, line, len);
}

static void
api_progress (void *data, const char *item, double fraction)
{
  FhJobHandle *self = data;

  if (self->funcs->progress != NULL)
    self->funcs->progress (self->user_data, item, fraction);
}

/* ---- making one ----------------------------------------------------------------- */

static char *
options_json (const FhJobHandleOptions *options)
{
  g_autoptr (JsonObject) o = json_object_new ();

  if (options != NULL && options->base_dir != NULL)
    json_object_set_string_member (o, "base_dir", options->base_dir);
  if (options != NULL && options->source != NULL)
    json_object_set_string_member (o, "source", options->source);
  if (options != NULL && options->output_dir != NULL)
    json_object_set_string_member (o, "output_dir", options->output_dir);
  return fh_json_object_to_string (o);
}

/* A string the plugin returned, as a GLib string.  (transfer full) */
static char *
take_string (FhJobHandle *self, char *s)
{
  char *copy;

  if (s == NULL)
    return NULL;
  copy = g_strdup (s);
  self->desc->free_string (s);
  return copy;
}

static const FhJobHandleFuncs no_funcs = { 0 };

/* A 1.1 plugin's refusal: its text, a problem a line (what 1.1 promised;
 * nothing in a line is read).  (transfer full) */
static JsonObject *
detail_of_text (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  JsonObject *o = json_object_new ();
  JsonArray *problems = json_array_new ();

  json_object_set_string_member (o, "code", "invalid_job");
  json_object_set_string_member (o, "message", lines[0] ? lines[0] : "");
  for (guint i = 0; lines[i] != NULL; i++)
    {
      JsonObject *p = json_object_new ();
      if (*lines[i] == '\0')
        {
          json_object_unref (p);
          continue;
        }
      json_object_set_string_member (p, "path", "");
      json_object_set_string_member (p, "message", lines[i]);
      json_array_add_object_element (problems, p);
    }
  json_object_set_array_member (o, "problems", problems);
  return o;
}

/* FH_HOST_ERROR_INVALID_JOB with the plugin's error object as its detail
 * and the problems, a line each, as its message.  @msg (nullable) is the
 * plugin's string: JSON from job_create, text from job_new. */
static gpointer
refused (FhJobHandle *self, char *msg, GError **error)
{
  g_autofree char *text = msg ? take_string (self, msg) : g_strdup ("the plugin refused the job");
  g_autoptr (JsonObject) detail = NULL;
  g_autofree char *lines = NULL;
  GError *e;

  if (FH_PLUGIN_HAS (self->desc, job_create))
    detail = fh_json_parse_object (text, -1, NULL);
  if (detail == NULL)
    detail = detail_of_text (text);
  lines = fh_job_problems_to_text (detail);
  e = g_error_new (FH_HOST_ERROR, FH_HOST_ERROR_INVALID_JOB, "%s", lines);
  fh_host_error_set_detail (e, detail);
  g_propagate_error (error, e);
  return NULL;
}

char *
fh_job_problems_to_text (JsonObject *detail)
{
  JsonArray *problems = json_object_get_array_member (detail, "problems");
  const char *source = json_object_get_string_member_with_default (detail, "source", NULL);
  GString *out = g_string_new (NULL);

  for (guint i = 0; problems != NULL && i < json_array_get_length (problems); i++)
    {
      JsonObject *p = json_array_get_object_element (problems, i);
      const char *path = json_object_get_string_member_with_default (p, "path", "");
      const char *in = json_object_get_string_member_with_default (p, "source", source);
      gint64 line = json_object_get_int_member_with_default (p, "line", 0);

      if (out->len > 0)
        g_string_append_c (out, '\n');
      if (line > 0 && in != NULL)
        g_string_append_printf (out, "%s:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ": ", in, line,
                                json_object_get_int_member_with_default (p, "column", 0));
      else if (in != source)
        g_string_append_printf (out, "%s: ", in);
      if (*path != '\0')
        g_string_append_printf (out, "%s: ", path);
      g_string_append (out, json_object_get_string_member_with_default (p, "message", ""));
    }
  if (out->len == 0)
    g_string_append (out, json_object_get_string_member_with_default (detail, "message", "the job was refused"));
  return g_string_free (out, FALSE);
}

/* A handle on @module, with the host's callbacks, before its job. */
static FhJobHandle *
handle_new (FhPluginModule *module)
{
  FhJobHandle *self = g_new0 (FhJobHandle, 1);

  g_mutex_init (&self->lock);
  self->module = fh_plugin_module_ref (module);
  self->desc = fh_plugin_module_get_desc (module);
  self->funcs = &no_funcs;
  self->api = (FhHostApi) {
    .abi_major = FH_PLUGIN_ABI_MAJOR, .abi_minor = FH_PLUGIN_ABI_MINOR,
    .struct_size = sizeof (FhHostApi), .host_data = self, .next_item = api_next_item,
    .free_item = api_free_item, .report_item = api_report_item, .log_line = api_log_line,
    .progress = api_progress, .next_index = api_next_index,
  };
  return self;
}

/* The job made (or refused, with @msg): describe it. */
static FhJobHandle *
handle_finish (FhJobHandle *self_, char *msg, GError **error)
{
  g_autoptr (FhJobHandle) self = self_;
  g_autofree char *described = NULL;
  g_autoptr (GError) bad = NULL;

  if (self->job == NULL)
    return refused (self, msg, error);
  described = take_string (self, self->desc->job_describe (self->job));
  if (described == NULL)
    return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                          "the plugin's job_describe returned nothing");
  if ((self->description = fh_json_parse_object (described, -1, &bad)) == NULL)
    return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                          "the plugin's job_describe: %s", bad->message);
  return g_steal_pointer (&self);
}

FhJobHandle *
fh_job_handle_new (FhPluginModule *module, const char *job_json,
                   const FhJobHandleOptions *options, gboolean runnable, GError **error)
{
  FhJobHandle *self = handle_new (module);
  g_autofree char *opts = options_json (options);
  char *msg = NULL;

  if (FH_PLUGIN_HAS (self->desc, job_create))
    self->job = self->desc->job_create (runnable ? &self->api : NULL, job_json, opts, &msg);
  else
    self->job = self->desc->job_new (runnable ? &self->api : NULL, job_json, opts, &msg);
  return handle_finish (self, msg, error);
}

FhJobHandle *
fh_job_handle_open (FhPluginModule *module, const char *path, const char *options_json, gboolean runnable,
                    GError **error)
{
  FhJobHandle *self = handle_new (module);
  char *msg = NULL;

  if (!FH_PLUGIN_HAS (self->desc, job_open))
    {
      fh_job_handle_free (self);
      return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                            "the job type at %s (ABI %u.%u) opens no job files: ABI 1.3 added job_open "
                            "(OpenJD templates and bundles)", fh_plugin_module_get_path (module),
                            fh_plugin_module_get_desc (module)->abi_major,
                            fh_plugin_module_get_desc (module)->abi_minor);
    }
  self->job = self->desc->job_open (runnable ? &self->api : NULL, path, options_json, &msg);
  return handle_finish (self, msg, error);
}

void
fh_job_handle_free (FhJobHandle *self)
{
  if (self == NULL)
    return;
  if (self->job != NULL)
    self->desc->job_free (self->job);
  g_clear_pointer (&self->description, json_object_unref);
  g_clear_pointer (&self->module, fh_plugin_module_unref);
  g_mutex_clear (&self->lock);
  g_free (self);
}

JsonObject *
fh_job_handle_scan_log (FhJobHandle *self, const char *log, gsize len, const char *preset,
                        gboolean per_line, GError **error)
{
  return fh_plugin_module_scan_log (self->module, self->job, log, len, preset, per_line, error);
}

JsonObject *
fh_job_handle_describe (FhJobHandle *self)
{
  return self->description;
}

const char *
fh_job_handle_get_name (FhJobHandle *self)
{
  return json_object_get_string_member_with_default (self->description, "name", "?");
}

guint
fh_job_handle_get_n_items (FhJobHandle *self)
{
  return (guint) json_object_get_int_member_with_default (self->description, "items", 0);
}

JsonArray *
fh_job_handle_agenda (FhJobHandle *self, const char *items, gboolean commands,
                      GError **error)
{
  char *msg = NULL;
  char *text = self->desc->job_agenda (self->job, items, commands ? FH_AGENDA_COMMANDS : 0, &msg);
  g_autofree char *json = NULL;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) bad = NULL;

  if (text == NULL)
    {
      g_autofree char *why = msg ? take_string (self, msg) : g_strdup ("the plugin listed nothing");
      return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE, "%s", why);
    }
  json = take_string (self, text);
  if (!json_parser_load_from_data (parser, json, -1, &bad))
    return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                          "the plugin's job_agenda: %s", bad->message);
  if (!JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                          "the plugin's job_agenda did not return an array");
  return json_array_ref (json_node_get_array (json_parser_get_root (parser)));
}

gboolean
fh_job_handle_foreach_item (FhJobHandle *self, gboolean commands,
                            FhJobHandleItemFunc func, gpointer user_data, GError **error)
{
  guint n = fh_job_handle_get_n_items (self);

  for (guint first = 1; first <= n; first += AGENDA_PAGE)
    {
      g_autofree char *range = g_strdup_printf ("%u-%u", first, MIN (n, first + AGENDA_PAGE - 1));
      g_autoptr (JsonArray) page = fh_job_handle_agenda (self, range, commands, error);

      if (page == NULL)
        return FALSE;
      for (guint i = 0; i < json_array_get_length (page); i++)
        if (!func (json_array_get_object_element (page, i), user_data, error))
          return FALSE;
    }
  return TRUE;
}

static gboolean
add_name (JsonObject *item, gpointer names, GError **error)
{
  g_ptr_array_add (names, g_strdup (json_object_get_string_member_with_default (item, "name", "?")));
  return TRUE;
}

GPtrArray *
fh_job_handle_item_names (FhJobHandle *self, GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_full (fh_job_handle_get_n_items (self), g_free);

  if (!fh_job_handle_foreach_item (self, FALSE, add_name, names, error))
    return NULL;
  return g_steal_pointer (&names);
}

/* ---- running ---------------------------------------------------------------------- */

static void
on_tick (gpointer data)
{
  FhJobHandle *self = data;

  /* A host is its job's subreaper (fh_proc_become_subreaper()). */
  fh_proc_reap_orphans ();
  if (self->funcs->tick != NULL)
    self->funcs->tick (self->user_data);
}

/* SIGINT or SIGTERM: cancel gracefully (interrupt the command, teardown);
 * the same signal again: now. */
static void
on_signal (int signum, guint count, gpointer data)
{
  FhJobHandle *self = data;
  gboolean running;

  g_mutex_lock (&self->lock);
  running = self->job_running;
  if (running && self->signum == 0)
    self->signum = signum;
  g_mutex_unlock (&self->lock);
  if (!running)
    return;
  if (self->funcs->cancelled != NULL)
    self->funcs->cancelled (self->user_data, signum, count > 1);
  self->desc->job_cancel (self->job, count > 1 ? FH_CANCEL_NOW : FH_CANCEL_GRACEFUL);
}

int
fh_job_handle_run (FhJobHandle *self, const FhJobHandleFuncs *funcs,
                   gpointer user_data, gboolean signals, JsonObject **summary)
{
  g_autoptr (FhHostMonitor) monitor = NULL;
  char *raw = NULL;
  int status;

  self->funcs = funcs;
  self->user_data = user_data;
  g_mutex_lock (&self->lock);
  self->job_running = TRUE;
  g_mutex_unlock (&self->lock);
  monitor = fh_host_monitor_start (self->funcs->tick_ms ? self->funcs->tick_ms : 1000, on_tick,
                                   signals ? on_signal : NULL, self);
  status = self->desc->job_run (self->job, &raw);
  g_clear_pointer (&monitor, fh_host_monitor_stop);
  g_mutex_lock (&self->lock);
  self->job_running = FALSE;
  g_mutex_unlock (&self->lock);
  if (summary != NULL)
    {
      *summary = raw ? fh_json_parse_object (raw, -1, NULL) : NULL;
      if (*summary == NULL)
        *summary = json_object_new ();
    }
  g_free (take_string (self, raw));
  self->funcs = &no_funcs;
  self->user_data = NULL;
  return status;
}

void
fh_job_handle_cancel (FhJobHandle *self, gboolean now)
{
  self->desc->job_cancel (self->job, now ? FH_CANCEL_NOW : FH_CANCEL_GRACEFUL);
}

void
fh_job_handle_cancel_item (FhJobHandle *self)
{
  self->desc->job_cancel (self->job, FH_CANCEL_ITEM);
}

int
fh_job_handle_get_signal (FhJobHandle *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return self->signum;
}

FhJobHandle *
fh_job_handle_new_from_file (const char *path, const char *plugin, const char *output_dir,
                             gboolean runnable, char **text, GError **error)
{
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (FhPluginModule) module = NULL;
  FhJobHandleOptions options;
  FhJobHandle *handle;

  if (!g_file_get_contents (path, &data, NULL, error))
    return NULL;
  module = plugin ? fh_plugin_module_open (plugin, error) : fh_plugin_module_open_default (error);
  if (module == NULL)
    return NULL;
  dir = g_path_get_dirname (path);
  options = (FhJobHandleOptions) { .base_dir = dir, .source = path, .output_dir = output_dir };
  handle = fh_job_handle_new (module, data, &options, runnable, error);
  if (handle != NULL && text != NULL)
    *text = g_steal_pointer (&data);
  return handle;
}
