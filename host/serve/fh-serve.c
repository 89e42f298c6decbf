/* fh-serve.c — the farm UI's HTTP server (see the header and
 * docs/serve.md). */
#include "config.h"

#include "fh-serve.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#include "fh-job-submit.h"
#include "fh-connection-guard.h"
#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-host-file.h"
#include "fh-job-dir.h"
#include "fh-job-index.h"
#include "fh-job-items.h"
#include "fh-json.h"
#include "fh-local-workers.h"
#include "fh-slurm.h"
#include "fh-template-shelf.h"

/* A job description is a few KB; anything near this is not one. */
#define MAX_BODY (1 << 20)
/* A client this far behind the event stream is dropped (it reconnects and
 * reloads): the server never holds an unbounded backlog. */
#define MAX_EVENT_BACKLOG (8 << 20)
#define PING_S 15
#define WORKER_GRACE_S 30

typedef struct
{
  SoupServerMessage *msg;
  gsize queued;
} EventClient;

struct _FhServe
{
  SoupServer *server;
  FhConnectionGuard *guard;
  FhJobIndex *index;
  FhLocalWorkers *workers;
  char *token;
  char *url;
  char *web_dir;
  char *schema_path;
  gboolean slurm;
  guint n_workers;
  char *partition;
  FhTemplateShelf *shelf;   /* nullable: --templates */
  GPtrArray *clients;       /* EventClient* */
  guint refresh_id;
  guint ping_id;
};

/* ---- responses ------------------------------------------------------------ */

static gboolean
respond_json (SoupServerMessage *msg, guint status, JsonObject *o)
{
  char *text = fh_json_object_to_string (o);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
  return TRUE;
}

static gboolean
respond_error (SoupServerMessage *msg, guint status, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
respond_error (SoupServerMessage *msg, guint status, const char *fmt, ...)
{
  g_autoptr (JsonObject) o = json_object_new ();
  va_list args;

  va_start (args, fmt);
  fh_json_take_string (o, "error", g_strdup_vprintf (fmt, args));
  va_end (args);
  return respond_json (msg, status, o);
}

static gboolean
respond_gerror (SoupServerMessage *msg, const GError *error)
{
  guint status = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ? SOUP_STATUS_NOT_FOUND
                 : error->domain == FH_JOBDIR_ERROR && error->code == FH_JOBDIR_ERROR_BUSY ? SOUP_STATUS_CONFLICT
                 : SOUP_STATUS_INTERNAL_SERVER_ERROR;

  return respond_error (msg, status, "%s", error->message);
}

/* Headers on every answer: the page runs only its own scripts, so a job
 * field or log line that slipped into markup would still not run. */
static void
harden (SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (h, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (h, "Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'; form-action 'none'");
}

/* ---- events ---------------------------------------------------------------- */

static void remove_client (FhServe *self, SoupServerMessage *msg);

/* Whether @c is still a client: one too far behind is dropped, its
 * connection ended (it reconnects and reloads). */
static gboolean
client_send (FhServe *self, EventClient *c, const char *text)
{
  gsize len = strlen (text);
  g_autoptr (SoupServerMessage) msg = NULL;

  c->queued += len;
  if (c->queued <= MAX_EVENT_BACKLOG)
    {
      soup_message_body_append (soup_server_message_get_response_body (c->msg), SOUP_MEMORY_COPY, text, len);
      soup_server_message_unpause (c->msg);
      return TRUE;
    }
  msg = g_object_ref (c->msg);
  remove_client (self, msg);
  fh_connection_guard_close (self->guard, msg);
  return FALSE;
}

static void
broadcast (FhServe *self, const char *text)
{
  for (guint i = 0; i < self->clients->len;)
    if (client_send (self, g_ptr_array_index (self->clients, i), text))
      i++;
}

static void
on_index_event (const char *event, JsonObject *data, gpointer user_data)
{
  FhServe *self = user_data;
  g_autofree char *json = NULL;
  g_autofree char *text = NULL;

  if (self->clients->len == 0)
    return;
  json = fh_json_object_to_string (data);
  text = g_strdup_printf ("event: %s\ndata: %s\n\n", event, json);
  broadcast (self, text);
}

static void
on_client_wrote (SoupServerMessage *msg, guint size, gpointer data)
{
  EventClient *c = data;

  (void) msg;
  c->queued -= MIN (c->queued, size);
}

static void
remove_client (FhServe *self, SoupServerMessage *msg)
{
  for (guint i = 0; i < self->clients->len; i++)
    {
      EventClient *c = g_ptr_array_index (self->clients, i);
      if (c->msg != msg)
        continue;
      g_signal_handlers_disconnect_by_data (msg, c);
      g_signal_handlers_disconnect_by_data (msg, self);
      /* In order: the events stay in the order they were sent. */
      g_ptr_array_remove_index (self->clients, i);
      g_free (c);
      g_object_unref (msg);
      return;
    }
}

static void
on_client_finished (SoupServerMessage *msg, gpointer data)
{
  remove_client (data, msg);
}

/* The guard saw an event stream's client hang up. */
static void
on_client_hangup (SoupServerMessage *msg, gpointer data)
{
  remove_client (data, msg);
}

static gboolean
open_events (FhServe *self, SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  EventClient *c = g_new0 (EventClient, 1);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (h, "text/event-stream", NULL);
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  c->msg = g_object_ref (msg);
  g_ptr_array_add (self->clients, c);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_client_wrote), c);
  g_signal_connect (msg, "finished", G_CALLBACK (on_client_finished), self);
  fh_connection_guard_stream (self->guard, msg);
  /* The headers go out with the first chunk: a client knows at once that
   * it is connected. */
  client_send (self, c, ": farmhand events\nretry: 1000\n\n");
  return TRUE;
}

static gboolean
on_ping (gpointer data)
{
  broadcast (data, ": ping\n\n");
  return G_SOURCE_CONTINUE;
}

static gboolean
on_refresh (gpointer data)
{
  FhServe *self = data;

  fh_job_index_refresh (self->index);
  return G_SOURCE_CONTINUE;
}

/* ---- the API: jobs --------------------------------------------------------- */

static guint
query_uint (GHashTable *query, const char *name, guint fallback)
{
  const char *v = query ? g_hash_table_lookup (query, name) : NULL;
  guint64 n;

  if (v == NULL || !g_ascii_string_to_unsigned (v, 10, 0, G_MAXUINT, &n, NULL))
    return fallback;
  return (guint) n;
}

static gboolean
get_job (FhServe *self, SoupServerMessage *msg, const char *id, GHashTable *query)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) page = fh_job_items_page (self->index, id, query_uint (query, "offset", 0),
                                                   query_uint (query, "limit", FH_JOB_ITEMS_MAX_PAGE), &err);

  if (page == NULL)
    return respond_gerror (msg, err);
  json_object_set_object_member (page, "job", fh_job_index_summary (self->index, id));
  /* Events up to this one are in the answer (one main loop: none can land
   * between reading the items and this). */
  json_object_set_int_member (page, "seq", fh_job_index_get_seq (self->index));
  return respond_json (msg, SOUP_STATUS_OK, page);
}

static gboolean
start_workers (FhServe *self, const char *id, FhJobDir *dir, guint remaining, GError **error)
{
  guint n = MIN (self->n_workers, remaining);
  FhJobSubmitSlurm opts = { .workers = n, .partition = self->partition };
  g_autofree char *slurm = NULL;
  guint total;

  if (n == 0)
    return TRUE;
  if (!self->slurm)
    return fh_local_workers_start (self->workers, id, dir, n, error);
  slurm = fh_job_submit_slurm (dir, &opts, &total, error);
  return slurm != NULL;
}

static gboolean
retry_job (FhServe *self, SoupServerMessage *msg, const char *id)
{
  FhJobDir *dir = fh_job_index_lookup (self->index, id);
  g_autoptr (JsonObject) o = json_object_new ();
  g_autoptr (GError) err = NULL;
  guint remaining = 0;

  if (dir == NULL)
    return respond_error (msg, SOUP_STATUS_NOT_FOUND, "no job '%s'", id);
  if (!fh_job_submit_resume (dir, &remaining, &err) || !start_workers (self, id, dir, remaining, &err))
    return respond_gerror (msg, err);
  json_object_set_int_member (o, "remaining", remaining);
  respond_json (msg, SOUP_STATUS_OK, o);
  on_refresh (self);
  return TRUE;
}

static gboolean
cancel_job (FhServe *self, SoupServerMessage *msg, const char *id)
{
  FhJobDir *dir = fh_job_index_lookup (self->index, id);
  g_autoptr (JsonObject) o = json_object_new ();
  g_autoptr (GError) err = NULL;
  const char *slurm;

  if (dir == NULL)
    return respond_error (msg, SOUP_STATUS_NOT_FOUND, "no job '%s'", id);
  if (!fh_job_dir_mark_cancelled (dir, &err))
    return respond_gerror (msg, err);
  json_object_set_int_member (o, "signalled", fh_local_workers_terminate (self->workers, id));
  /* Array tasks not started have nothing to tear down; running ones get
   * the SIGTERM a local worker gets. */
  if ((slurm = fh_job_dir_get_slurm_job (dir)) != NULL &&
      (!fh_slurm_cancel_pending (slurm, &err) || !fh_slurm_signal_batch (slurm, "TERM", &err)))
    json_object_set_string_member (o, "warning", err->message);
  respond_json (msg, SOUP_STATUS_OK, o);
  on_refresh (self);
  return TRUE;
}

/* ---- the API: submitting ----------------------------------------------------- */

static gboolean
respond_invalid (SoupServerMessage *msg, JsonArray *problems)
{
  g_autoptr (JsonObject) o = json_object_new ();

  json_object_set_string_member (o, "error", "invalid job");
  json_object_set_array_member (o, "errors", problems);
  return respond_json (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, o);
}

static gboolean
respond_one_problem (SoupServerMessage *msg, const char *path, const char *message)
{
  JsonArray *problems = json_array_new ();
  JsonObject *p = json_object_new ();

  json_object_set_string_member (p, "path", path);
  json_object_set_string_member (p, "message", message);
  json_array_add_object_element (problems, p);
  return respond_invalid (msg, problems);
}

/* A new job directory's path under the root: the job's name (made safe)
 * and the time.  (transfer full) */
static char *
new_job_path (FhServe *self, const char *name)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *safe = g_strndup (name, 64);

  for (char *c = safe; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_')
      *c = '_';
  /* Two jobs of one name in one second get a counter. */
  for (guint n = 0;; n++)
    {
      g_autofree char *id = n ? g_strdup_printf ("%s-%s-%u", safe, stamp, n) : g_strdup_printf ("%s-%s", safe, stamp);
      char *path = g_build_filename (fh_job_index_get_root (self->index), id, NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        return path;
      g_free (path);
    }
}

/* The job text @body as a file under the root, so that its relative paths
 * mean what they mean there.  (transfer full) */
static char *
write_submission (FhServe *self, GBytes *body, GError **error)
{
  g_autofree char *path = g_build_filename (fh_job_index_get_root (self->index), ".submit-XXXXXX.json", NULL);
  int fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0644);
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  if (fd < 0)
    return fh_throw_errno_null (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno, "creating %s", path);
  if (!fh_host_file_write_all (fd, path, data, len, error))
    {
      close (fd);
      g_unlink (path);
      return NULL;
    }
  if (!fh_host_file_close (fd, path, error))
    {
      g_unlink (path);
      return NULL;
    }
  return g_steal_pointer (&path);
}

static gboolean
created (FhServe *self, SoupServerMessage *msg, FhJobDir *dir)
{
  g_autofree char *id = g_path_get_basename (fh_job_dir_get_path (dir));
  g_autoptr (JsonObject) o = json_object_new ();
  g_autoptr (GError) err = NULL;
  FhJobDir *followed;

  on_refresh (self);
  followed = fh_job_index_lookup (self->index, id);
  if (followed == NULL || !start_workers (self, id, followed, fh_job_dir_get_n_items (followed), &err))
    return respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "job %s was laid out but not started: %s",
                          id, err ? err->message : "the jobs root does not show it");
  json_object_set_string_member (o, "id", id);
  json_object_set_string_member (o, "name", fh_job_dir_get_name (dir));
  json_object_set_int_member (o, "n_items", fh_job_dir_get_n_items (dir));
  fh_json_take_string (o, "url", g_strdup_printf ("/jobs/%s", id));
  return respond_json (msg, SOUP_STATUS_CREATED, o);
}

/* A form's value as the text a job parameter takes.  (transfer full) */
static char *
value_text (JsonNode *v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  GType type;

  if (v == NULL || !JSON_NODE_HOLDS_VALUE (v))
    return NULL;
  type = json_node_get_value_type (v);
  if (type == G_TYPE_STRING)
    return g_strdup (json_node_get_string (v));
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (v));
  if (type == G_TYPE_DOUBLE)
    return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (v)));
  if (type == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (v) ? "true" : "false");
  return NULL;
}

static gboolean
has_parameter (JsonObject *outline, const char *name)
{
  JsonArray *defs = json_object_get_array_member (outline, "parameters");

  for (guint i = 0; defs != NULL && i < json_array_get_length (defs); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (defs, i), "name"), name) == 0)
      return TRUE;
  return FALSE;
}

static void
add_problem (JsonArray *problems, const char *path, const char *parameter, const char *message)
{
  JsonObject *p = json_object_new ();

  json_object_set_string_member (p, "path", path);
  if (parameter != NULL)
    json_object_set_string_member (p, "parameter", parameter);
  json_object_set_string_member (p, "message", message);
  json_array_add_object_element (problems, p);
}

/* {"parameters": {NAME: VALUE}} as NAME=VALUE arguments; problems for
 * names the template does not have and values that are not text,
 * numbers or booleans.  (transfer full) */
static GStrv
parameter_arguments (JsonObject *request, JsonObject *outline, const char *template, JsonArray *problems)
{
  JsonNode *given = json_object_get_member (request, "parameters");
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_autoptr (GList) names = NULL;

  if (given != NULL && !JSON_NODE_HOLDS_OBJECT (given))
    add_problem (problems, "parameters", NULL, "parameters are an object of names and values");
  if (given == NULL || !JSON_NODE_HOLDS_OBJECT (given))
    return g_strv_builder_end (b);
  names = json_object_get_members (json_node_get_object (given));
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_autofree char *text = value_text (json_object_get_member (json_node_get_object (given), l->data));
      g_autofree char *path = g_strconcat ("parameters.", (const char *) l->data, NULL);
      g_autofree char *why = NULL;
      if (!has_parameter (outline, l->data))
        why = g_strdup_printf ("'%s' is not a parameter of the template %s", (const char *) l->data, template);
      else if (text == NULL)
        why = g_strdup_printf ("the value of '%s' must be text, a number or a boolean", (const char *) l->data);
      if (why != NULL)
        add_problem (problems, path, l->data, why);
      else
        {
          g_autofree char *arg = g_strconcat (l->data, "=", text, NULL);
          g_strv_builder_add (b, arg);
        }
    }
  return g_strv_builder_end (b);
}

/* The plugin's problems, each a parameter's ("parameterValues.NAME")
 * marked with "parameter" for the form's field.  (transfer full) */
static JsonArray *
form_problems (const GError *err)
{
  JsonArray *problems = json_array_ref (json_object_get_array_member (fh_host_error_get_detail (err), "problems"));

  for (guint i = 0; i < json_array_get_length (problems); i++)
    {
      JsonObject *p = json_array_get_object_element (problems, i);
      const char *path = json_object_get_string_member_with_default (p, "path", "");
      if (g_str_has_prefix (path, "parameterValues."))
        json_object_set_string_member (p, "parameter", path + strlen ("parameterValues."));
    }
  return problems;
}

/* POST /api/jobs {"template": NAME, "parameters": {...}}: a job of a
 * template of --templates, its values checked by the plugin as `farmhand
 * submit --job-param` would. */
static gboolean
submit_template (FhServe *self, SoupServerMessage *msg, JsonObject *request)
{
  const char *name = json_object_get_string_member_with_default (request, "template", NULL);
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) outline = NULL, options = NULL;
  g_autoptr (JsonArray) problems = json_array_new ();
  g_autoptr (FhJobDir) dir = NULL;
  g_autofree char *path = NULL, *dir_path = NULL, *cwd = NULL;
  g_auto (GStrv) args = NULL;

  if (self->shelf == NULL)
    return respond_error (msg, SOUP_STATUS_NOT_FOUND, "this server offers no templates: start it with "
                          "'farmhand serve --templates DIR'");
  if (name == NULL)
    return respond_one_problem (msg, "template", "the template is named by a string");
  if ((path = fh_template_shelf_find (self->shelf, name, &outline, &err)) == NULL)
    return g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ? respond_one_problem (msg, "template", err->message)
                                                                   : respond_gerror (msg, err);
  args = parameter_arguments (request, outline, name, problems);
  if (json_array_get_length (problems) > 0)
    return respond_invalid (msg, g_steal_pointer (&problems));
  /* Relative paths in values mean what they mean beside the template. */
  cwd = g_path_get_dirname (path);
  options = fh_job_submit_openjd_options ((const char *const *) args, NULL, NULL);
  json_object_set_string_member (options, "cwd", cwd);
  dir_path = new_job_path (self, name);
  dir = fh_job_submit_create (path, options, dir_path, &(FhJobDirOptions) { 0 }, &err);
  if (dir == NULL && g_error_matches (err, FH_HOST_ERROR, FH_HOST_ERROR_INVALID_JOB))
    return respond_invalid (msg, form_problems (err));
  if (dir == NULL)
    return respond_gerror (msg, err);
  return created (self, msg, dir);
}

static gboolean
list_templates (FhServe *self, SoupServerMessage *msg)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) o = NULL;

  if (self->shelf == NULL)
    {
      o = json_object_new ();
      json_object_set_array_member (o, "templates", json_array_new ());
      json_object_set_array_member (o, "broken", json_array_new ());
      json_object_set_null_member (o, "folder");
      return respond_json (msg, SOUP_STATUS_OK, o);
    }
  if ((o = fh_template_shelf_list (self->shelf, &err)) == NULL)
    return respond_gerror (msg, err);
  return respond_json (msg, SOUP_STATUS_OK, o);
}

static gboolean
submit_job (FhServe *self, SoupServerMessage *msg, GBytes *body)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) job = NULL;
  g_autofree char *file = NULL;
  g_autofree char *dir_path = NULL;
  g_autoptr (FhJobDir) dir = NULL;
  JsonNode *name;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  if ((job = fh_json_parse_object (data, (gssize) len, &err)) == NULL)
    return respond_one_problem (msg, "", err->message);
  if (json_object_has_member (job, "template"))
    return submit_template (self, msg, job);
  /* Over HTTP there is no file name for a job to be named after. */
  name = json_object_get_member (job, "name");
  if (name == NULL || json_node_get_value_type (name) != G_TYPE_STRING)
    return respond_one_problem (msg, "name", "a job submitted to the farm needs a name");
  if ((file = write_submission (self, body, &err)) == NULL)
    return respond_gerror (msg, err);
  dir_path = new_job_path (self, json_node_get_string (name));
  dir = fh_job_submit_create (file, NULL, dir_path, &(FhJobDirOptions) { 0 }, &err);
  g_unlink (file);
  if (dir == NULL && g_error_matches (err, FH_HOST_ERROR, FH_HOST_ERROR_INVALID_JOB))
    return respond_invalid (msg, json_array_ref (json_object_get_array_member (fh_host_error_get_detail (err),
                                                                               "problems")));
  if (dir == NULL)
    return respond_gerror (msg, err);
  return created (self, msg, dir);
}

/* ---- the API: items ----------------------------------------------------------- */

static gboolean
get_item (FhServe *self, SoupServerMessage *msg, const char *id, const char *name,
          gboolean log, GHashTable *query)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) o = NULL;
  g_autofree char *offset_text = g_strdup (query ? g_hash_table_lookup (query, "offset") : NULL);
  guint64 offset = 0;

  if (offset_text != NULL && !g_ascii_string_to_unsigned (offset_text, 10, 0, G_MAXINT64, &offset, NULL))
    return respond_error (msg, SOUP_STATUS_BAD_REQUEST, "offset must be a byte count, not '%s'", offset_text);
  o = log ? fh_job_items_log (self->index, id, name, query_uint (query, "attempt", 0), (gint64) offset, &err)
          : fh_job_items_detail (self->index, id, name, &err);
  if (o == NULL)
    return respond_gerror (msg, err);
  return respond_json (msg, SOUP_STATUS_OK, o);
}

static gboolean
get_schema (FhServe *self, SoupServerMessage *msg)
{
  g_autoptr (GError) err = NULL;
  char *text = NULL;
  gsize len = 0;

  if (!g_file_get_contents (self->schema_path, &text, &len, &err))
    return respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s", err->message);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/schema+json", SOUP_MEMORY_TAKE, text, len);
  return TRUE;
}

static gboolean
list_jobs (FhServe *self, SoupServerMessage *msg)
{
  g_autoptr (JsonObject) o = json_object_new ();

  json_object_set_array_member (o, "jobs", fh_job_index_list (self->index));
  return respond_json (msg, SOUP_STATUS_OK, o);
}

/* ---- routing -------------------------------------------------------------------- */

static gboolean
authorized (FhServe *self, SoupServerMessage *msg)
{
  const char *h = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  gsize want = strlen (self->token);
  guint diff = 0;

  if (h == NULL || !g_str_has_prefix (h, "Bearer ") || strlen (h + 7) != want)
    return FALSE;
  /* Constant time: a wrong token says nothing about how wrong it is. */
  for (gsize i = 0; i < want; i++)
    diff |= (guint) (h[7 + i] ^ self->token[i]);
  return diff == 0;
}

/* @segment, percent-decoded; NULL if it decodes to something with a '/'
 * or a NUL.  (transfer full) */
static char *
decode_segment (const char *segment)
{
  char *s = g_uri_unescape_string (segment, "/");

  if (s == NULL || *s == '\0')
    {
      g_free (s);
      return NULL;
    }
  return s;
}

static GBytes *
request_body (SoupServerMessage *msg)
{
  return soup_message_body_flatten (soup_server_message_get_request_body (msg));
}

static gboolean
route_job (FhServe *self, SoupServerMessage *msg, const char *method, char **parts, guint n,
           GHashTable *query)
{
  g_autofree char *id = decode_segment (parts[2]);
  g_autofree char *name = n >= 5 ? decode_segment (parts[4]) : NULL;
  gboolean get = strcmp (method, "GET") == 0, post = strcmp (method, "POST") == 0;

  if (id == NULL || !fh_job_index_valid_id (id) || fh_job_index_lookup (self->index, id) == NULL)
    return respond_error (msg, SOUP_STATUS_NOT_FOUND, "no such job");
  if (n == 3 && get)
    return get_job (self, msg, id, query);
  if (n == 4 && post && strcmp (parts[3], "retry") == 0)
    return retry_job (self, msg, id);
  if (n == 4 && post && strcmp (parts[3], "cancel") == 0)
    return cancel_job (self, msg, id);
  if (name != NULL && get && strcmp (parts[3], "items") == 0 && (n == 5 || (n == 6 && strcmp (parts[5], "log") == 0)))
    return get_item (self, msg, id, name, n == 6, query);
  return respond_error (msg, get || post ? SOUP_STATUS_NOT_FOUND : SOUP_STATUS_METHOD_NOT_ALLOWED,
                 "no such API call: %s %s", method, g_uri_get_path (soup_server_message_get_uri (msg)));
}

static gboolean
route_api (FhServe *self, SoupServerMessage *msg, const char *path, GHashTable *query)
{
  const char *method = soup_server_message_get_method (msg);
  g_auto (GStrv) parts = g_strsplit (path + 1, "/", 8);
  guint n = g_strv_length (parts);
  g_autoptr (GBytes) body = NULL;

  if (!authorized (self, msg))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", "Bearer");
      return respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "this needs the server's token: open the URL "
                            "'farmhand serve' printed, or send 'Authorization: Bearer TOKEN'");
    }
  if (n == 2 && strcmp (parts[1], "jobs") == 0 && strcmp (method, "POST") == 0)
    {
      if ((body = request_body (msg)) == NULL || g_bytes_get_size (body) > MAX_BODY ||
          g_object_get_data (G_OBJECT (msg), "fh-too-big") != NULL)
        return respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                              "a job description is at most %d bytes", MAX_BODY);
      return submit_job (self, msg, body);
    }
  if (n >= 3 && strcmp (parts[1], "jobs") == 0)
    return route_job (self, msg, method, parts, n, query);
  if (strcmp (method, "GET") != 0)
    return respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "%s is not allowed here", method);
  if (n == 2 && strcmp (parts[1], "jobs") == 0)
    return list_jobs (self, msg);
  if (n == 2 && strcmp (parts[1], "schema") == 0)
    return get_schema (self, msg);
  if (n == 2 && strcmp (parts[1], "templates") == 0)
    return list_templates (self, msg);
  if (n == 2 && strcmp (parts[1], "events") == 0)
    return open_events (self, msg);
  return respond_error (msg, SOUP_STATUS_NOT_FOUND, "no such API call: %s", path);
}

/* The page's files: a fixed list, so that no request path ever names a
 * file of its own choosing. */
static const struct
{
  const char *name;
  const char *type;
} static_files[] = {
  { "index.html", "text/html; charset=utf-8" },
  { "app.js", "text/javascript; charset=utf-8" },
  { "form.js", "text/javascript; charset=utf-8" },
  { "grid.js", "text/javascript; charset=utf-8" },
  { "template-form.js", "text/javascript; charset=utf-8" },
  { "style.css", "text/css; charset=utf-8" },
};

static gboolean
serve_file (FhServe *self, SoupServerMessage *msg, const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (static_files); i++)
    {
      g_autofree char *path = NULL;
      g_autoptr (GError) err = NULL;
      char *text = NULL;
      gsize len = 0;

      if (strcmp (name, static_files[i].name) != 0)
        continue;
      path = g_build_filename (self->web_dir, name, NULL);
      if (!g_file_get_contents (path, &text, &len, &err))
        return respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s", err->message);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-cache");
      soup_server_message_set_response (msg, static_files[i].type, SOUP_MEMORY_TAKE, text, len);
      return TRUE;
    }
  return respond_error (msg, SOUP_STATUS_NOT_FOUND, "no such file");
}

static gboolean
dispatch (FhServe *self, SoupServerMessage *msg, const char *path, GHashTable *query)
{
  const char *method = soup_server_message_get_method (msg);

  if (g_str_has_prefix (path, "/api/"))
    return route_api (self, msg, path, query);
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    return respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "%s is not allowed here", method);
  if (strcmp (path, "/") == 0 || (g_str_has_prefix (path, "/jobs/") && strchr (path + 6, '/') == NULL))
    return serve_file (self, msg, "index.html");
  if (g_str_has_prefix (path, "/static/") && strchr (path + 8, '/') == NULL)
    return serve_file (self, msg, path + 8);
  return respond_error (msg, SOUP_STATUS_NOT_FOUND, "no such page");
}

static void
on_request (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer data)
{
  (void) server;
  harden (msg);
  dispatch (data, msg, path, query);
}

/* A declared oversize body is refused before it is read; an undeclared
 * (chunked) one is dropped as it grows past the limit, so that an
 * oversize upload costs no memory. */
static void
on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer data)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  (void) chunk;
  (void) data;
  if (body->length <= MAX_BODY)
    return;
  g_object_set_data (G_OBJECT (msg), "fh-too-big", GINT_TO_POINTER (1));
  soup_message_body_truncate (body);
}

static void
on_got_headers (SoupServerMessage *msg, gpointer data)
{
  goffset declared = soup_message_headers_get_content_length (soup_server_message_get_request_headers (msg));

  (void) data;
  /* Declared too big: nothing of it is kept, and the handler refuses it
   * (a client that asked "Expect: 100-continue" is refused at once). */
  if (declared > MAX_BODY)
    {
      g_object_set_data (G_OBJECT (msg), "fh-too-big", GINT_TO_POINTER (1));
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      harden (msg);
      respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "a job description is at most %d bytes", MAX_BODY);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      return;
    }
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), NULL);
}

static void
on_request_started (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  (void) server;
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), data);
}

/* ---- setting up ---------------------------------------------------------- */

static char *
random_token (GError **error)
{
  guint8 bytes[16];
  int fd = g_open ("/dev/urandom", O_RDONLY | O_CLOEXEC, 0);
  GString *hex = g_string_new (NULL);

  if (fd < 0 || read (fd, bytes, sizeof bytes) != (ssize_t) sizeof bytes)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_string_free (hex, TRUE);
      return fh_throw_errno_null (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, saved, "reading /dev/urandom");
    }
  close (fd);
  for (guint i = 0; i < sizeof bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  return g_string_free (hex, FALSE);
}

/* The page's files and the schema: in the source tree when farmhand runs
 * from its build tree, else where they are installed. */
static void
find_files (FhServe *self)
{
  const char *env = g_getenv ("FARMHAND_WEB_DIR");
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *build_root = g_strconcat (FH_BUILD_ROOT, G_DIR_SEPARATOR_S, NULL);
  gboolean in_tree = exe != NULL && g_str_has_prefix (exe, build_root);

  self->web_dir = env && *env ? g_strdup (env)
                  : g_build_filename (in_tree ? FH_SOURCE_ROOT : FH_DATADIR, "web", NULL);
  self->schema_path = g_build_filename (in_tree ? FH_SOURCE_ROOT : FH_DATADIR, "schemas", "job.schema.json", NULL);
}

static gboolean
listen_on (FhServe *self, const char *listen, GError **error)
{
  const char *colon = strrchr (listen, ':');
  g_autofree char *host = colon ? g_strndup (listen, (gsize) (colon - listen)) : g_strdup (listen);
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char *ip = NULL;
  guint64 port = 8080;

  if (colon != NULL && !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    return fh_throw (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--listen %s: the port must be a number from 0 to 65535", listen);
  if (host[0] == '[' && g_str_has_suffix (host, "]"))
    {
      memmove (host, host + 1, strlen (host));
      host[strlen (host) - 1] = '\0';
    }
  if ((address = g_inet_socket_address_new_from_string (host, (guint) port)) == NULL)
    return fh_throw (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "--listen %s: '%s' is not an IP address", listen, host);
  if ((bound = fh_connection_guard_listen (self->guard, address, error)) == NULL)
    {
      g_prefix_error (error, "--listen %s: ", listen);
      return FALSE;
    }
  /* The URL from the listening socket itself: the port the kernel chose
   * for port 0. */
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (bound)));
  self->url = g_strdup_printf (strchr (ip, ':') ? "http://[%s]:%u/?token=%s" : "http://%s:%u/?token=%s", ip,
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), self->token);
  return TRUE;
}

FhServe *
fh_serve_new (const FhServeOptions *options, GError **error)
{
  g_autoptr (FhServe) self = g_new0 (FhServe, 1);

  self->clients = g_ptr_array_new ();
  self->workers = fh_local_workers_new ();
  self->slurm = options->slurm;
  self->n_workers = options->workers ? options->workers : 2;
  self->partition = g_strdup (options->partition);
  find_files (self);
  if (options->templates != NULL && (self->shelf = fh_template_shelf_new (options->templates, error)) == NULL)
    return NULL;
  self->token = options->token ? g_strdup (options->token) : random_token (error);
  if (self->token == NULL)
    return NULL;
  self->index = fh_job_index_new (options->jobs_root ? options->jobs_root : "farmhand-jobs",
                                  on_index_event, self, error);
  if (self->index == NULL)
    return NULL;
  fh_job_index_refresh (self->index);
  self->server = soup_server_new ("server-header", "farmhand/" FH_VERSION, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (on_request_started), self);
  soup_server_add_handler (self->server, NULL, on_request, self, NULL);
  self->guard = fh_connection_guard_new (self->server, &options->limits, on_client_hangup, self);
  if (!listen_on (self, options->listen ? options->listen : "127.0.0.1:8080", error))
    return NULL;
  self->refresh_id = g_timeout_add (options->refresh_ms ? options->refresh_ms : 250, on_refresh, self);
  self->ping_id = g_timeout_add_seconds (PING_S, on_ping, self);
  return g_steal_pointer (&self);
}

const char *
fh_serve_get_url (FhServe *self)
{
  return self->url;
}

void
fh_serve_free (FhServe *self)
{
  if (self == NULL)
    return;
  if (self->refresh_id)
    g_source_remove (self->refresh_id);
  if (self->ping_id)
    g_source_remove (self->ping_id);
  fh_local_workers_stop_all (self->workers, WORKER_GRACE_S);
  fh_local_workers_free (self->workers);
  /* The guard ends every connection, the event streams' too; then the
   * clients are only records. */
  fh_connection_guard_free (self->guard);
  while (self->clients->len > 0)
    remove_client (self, ((EventClient *) g_ptr_array_index (self->clients, 0))->msg);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_ptr_array_unref (self->clients);
  g_clear_object (&self->server);
  fh_job_index_free (self->index);
  g_clear_pointer (&self->shelf, fh_template_shelf_free);
  g_free (self->token);
  g_free (self->url);
  g_free (self->web_dir);
  g_free (self->schema_path);
  g_free (self->partition);
  g_free (self);
}
