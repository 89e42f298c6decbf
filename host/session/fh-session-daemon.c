/* fh-session-daemon.c — the session daemon (see the header).
 *
 * Two threads.  The main thread runs the loop: the socket service, the
 * clients' requests, who runs next, the idle and directory timers.  The
 * job thread is in the plugin's job_run(): it asks for work (next_item
 * blocks on a queue the main thread fills, one item at a time) and streams
 * the running item's log, progress and result straight to that item's
 * client.  The main thread hears of a finished item through its context.
 */
#include "config.h"

#include "fh-session-daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-job-log.h"
#include "fh-json.h"
#include "fh-results-file.h"
#include "fh-session-path.h"
#include "fh-session-protocol.h"
#include "fh-wire.h"

/* The directory is looked at this often: removing it ends the session. */
#define WATCH_MS 1000

typedef struct _Client Client;

struct _Client
{
  gint refs;
  FhSessionDaemon *session;
  GSocketConnection *conn;
  int fd;
  GCancellable *reading;
  FhWireDecoder *decoder;
  guint8 buf[4096];
  char *item;            /* the item it asked for */
  guint index;
  gboolean asked;        /* its request came */
  GSource *timeout;      /* waiting: until its --wait runs out */
  gint answered;         /* atomic: its item's result went out */
  gint gone;             /* atomic: its end is closed, or a send failed */
  gint64 started;        /* monotonic µs its item started */
  GBytes *done;          /* its item's FH_SESSION_DONE frame, for the main thread */
  gboolean ok;
};

struct _FhSessionDaemon
{
  FhJobHandle *plugin;
  char *id;
  char *dir;
  char *socket_path;
  struct stat socket_stat;
  double idle_s;
  GMainContext *context;
  GMainLoop *loop;
  GSocketService *service;
  GHashTable *index_of;     /* item name -> index + 1 */
  FhResultsFile *results;
  gboolean sync_failing;    /* the results file would not sync: said once */
  FhJobLog *log;
  GAsyncQueue *work;        /* Client* to the job thread; END at the end */
  GThread *job_thread;
  int ready_fd;
  /* Main thread. */
  Client *current;          /* the client whose item runs */
  GQueue waiting;           /* Client*, in order */
  GPtrArray *stoppers;      /* Client* waiting for the end */
  gboolean stopping;
  gboolean ended;
  GSource *idle_timer;
  GSource *watch_timer;
  guint n_run;
  guint n_complete;
  guint n_failed;
  gint64 idle_since;
  int status;               /* job_run()'s FhRunStatus */
  JsonObject *summary;
  /* With the job thread. */
  GMutex lock;
  Client *running;          /* the client whose item the job thread runs */
};

static Client END;

/* ---- clients ------------------------------------------------------------------ */

static Client *
client_ref (Client *c)
{
  g_atomic_int_inc (&c->refs);
  return c;
}

static void
client_unref (Client *c)
{
  if (c == NULL || !g_atomic_int_dec_and_test (&c->refs))
    return;
  g_clear_object (&c->reading);
  g_clear_object (&c->conn);
  g_clear_pointer (&c->decoder, fh_wire_decoder_free);
  g_clear_pointer (&c->done, g_bytes_unref);
  g_free (c->item);
  g_free (c);
}

/* One frame to @c: @kind, then @text (@len bytes; -1: a C string).  From
 * either thread; a client that went away is skipped. */
static void
client_send (Client *c, char kind, const char *text, gssize len)
{
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  gsize n = len < 0 ? strlen (text) : (gsize) len;

  if (g_atomic_int_get (&c->gone))
    return;
  g_byte_array_append (payload, (const guint8 *) &kind, 1);
  g_byte_array_append (payload, (const guint8 *) text, (guint) MIN (n, FH_SESSION_MAX_FRAME - 1));
  if (!fh_wire_send_frame (c->fd, (const char *) payload->data, payload->len, NULL))
    g_atomic_int_set (&c->gone, TRUE);
}

static void
client_close (Client *c)
{
  if (c->timeout != NULL)
    {
      g_source_destroy (c->timeout);
      g_clear_pointer (&c->timeout, g_source_unref);
    }
  g_atomic_int_set (&c->gone, TRUE);
  g_cancellable_cancel (c->reading);
  g_io_stream_close (G_IO_STREAM (c->conn), NULL, NULL);
}

/* ---- who runs next (main thread) -------------------------------------------------- */

static void dispatch (FhSessionDaemon *self);

static void
note (FhSessionDaemon *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
note (FhSessionDaemon *self, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  fh_job_log_line (self->log, NULL, FH_LOG_FARMHAND, msg, strlen (msg));
  fh_job_log_flush (self->log, NULL);
}

static void
start_item (FhSessionDaemon *self, Client *c)
{
  self->current = c;
  c->started = g_get_monotonic_time ();
  if (self->idle_timer != NULL)
    {
      g_source_destroy (self->idle_timer);
      g_clear_pointer (&self->idle_timer, g_source_unref);
    }
  g_async_queue_push (self->work, client_ref (c));
}

static gboolean
on_idle_timeout (gpointer data)
{
  FhSessionDaemon *self = data;

  g_clear_pointer (&self->idle_timer, g_source_unref);
  note (self, "farmhand: session %s: idle for %g s: stopping", self->id, self->idle_s);
  self->stopping = TRUE;
  dispatch (self);
  return G_SOURCE_REMOVE;
}

/* Nothing runs: the next waiting client's item, the end, or idling. */
static void
dispatch (FhSessionDaemon *self)
{
  Client *c;

  if (self->current != NULL || self->ended)
    return;
  if (self->stopping)
    {
      while ((c = g_queue_pop_head (&self->waiting)) != NULL)
        {
          client_send (c, FH_SESSION_GONE, "the session is stopping", -1);
          client_close (c);
          client_unref (c);
        }
      g_async_queue_push (self->work, &END);
      self->ended = TRUE;
      return;
    }
  if ((c = g_queue_pop_head (&self->waiting)) != NULL)
    {
      if (c->timeout != NULL)
        {
          g_source_destroy (c->timeout);
          g_clear_pointer (&c->timeout, g_source_unref);
        }
      start_item (self, c);
      client_unref (c);
      return;
    }
  self->idle_since = g_get_monotonic_time ();
  if (self->idle_s > 0 && self->idle_timer == NULL)
    {
      self->idle_timer = g_timeout_source_new ((guint) (self->idle_s * 1000));
      g_source_set_callback (self->idle_timer, on_idle_timeout, self, NULL);
      g_source_attach (self->idle_timer, self->context);
    }
}

/* The job thread reported @c's item (main thread).  The session is idle
 * before the client hears the result: a task started right after it ends
 * finds the session free. */
static gboolean
on_item_done (gpointer data)
{
  Client *c = data;
  FhSessionDaemon *self = c->session;
  gsize len;
  const char *done = g_bytes_get_data (c->done, &len);

  if (self->current == c)
    self->current = NULL;
  self->n_run++;
  if (c->ok)
    self->n_complete++;
  else
    self->n_failed++;
  dispatch (self);
  client_send (c, FH_SESSION_DONE, done, (gssize) len);
  client_close (c);
  client_unref (c);
  return G_SOURCE_REMOVE;
}

/* ---- requests (main thread) ------------------------------------------------------ */

static gboolean
on_wait_over (gpointer data)
{
  Client *c = data;
  FhSessionDaemon *self = c->session;
  g_autofree char *why = NULL;

  g_clear_pointer (&c->timeout, g_source_unref);
  if (!g_queue_remove (&self->waiting, c))
    return G_SOURCE_REMOVE;
  why = g_strdup_printf ("busy: item %s is still running (for %.1f s)",
                         self->current ? self->current->item : "?",
                         self->current ? (g_get_monotonic_time () - self->current->started) / 1e6 : 0);
  client_send (c, FH_SESSION_REFUSED, why, -1);
  client_close (c);
  client_unref (c);
  return G_SOURCE_REMOVE;
}

static gboolean
lookup_item (FhSessionDaemon *self, const char *name, guint *index, GError **error)
{
  gpointer v;

  if (self->index_of == NULL)
    {
      g_autoptr (GPtrArray) names = fh_job_handle_item_names (self->plugin, error);
      if (names == NULL)
        return FALSE;
      self->index_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < names->len; i++)
        g_hash_table_insert (self->index_of, g_strdup (g_ptr_array_index (names, i)),
                             GUINT_TO_POINTER (i + 1));
    }
  if ((v = g_hash_table_lookup (self->index_of, name)) == NULL)
    return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE,
                     "job %s has no item %s (the names are as 'farmhand expand' prints them)",
                     fh_job_handle_get_name (self->plugin), name);
  *index = GPOINTER_TO_UINT (v) - 1;
  return TRUE;
}

static void
request_run (FhSessionDaemon *self, Client *c, const char *wait_ms, const char *item)
{
  g_autoptr (GError) err = NULL;
  gint64 wait = g_ascii_strtoll (wait_ms, NULL, 10);

  c->item = g_strdup (item);
  if (!lookup_item (self, item, &c->index, &err))
    {
      client_send (c, FH_SESSION_UNKNOWN, err->message, -1);
      client_close (c);
      return;
    }
  if (self->stopping || self->ended)
    {
      client_send (c, FH_SESSION_GONE, "the session is stopping", -1);
      client_close (c);
      return;
    }
  if (self->current == NULL && g_queue_is_empty (&self->waiting))
    {
      start_item (self, c);
      return;
    }
  if (wait <= 0)
    {
      g_autofree char *why = g_strdup_printf ("busy: item %s is running (use --wait S to wait "
                                              "for it)", self->current ? self->current->item : "?");
      client_send (c, FH_SESSION_REFUSED, why, -1);
      client_close (c);
      return;
    }
  client_send (c, FH_SESSION_WAITING, self->current ? self->current->item : "?", -1);
  c->timeout = g_timeout_source_new ((guint) MIN (wait, G_MAXUINT));
  g_source_set_callback (c->timeout, on_wait_over, c, NULL);
  g_source_attach (c->timeout, self->context);
  g_queue_push_tail (&self->waiting, client_ref (c));
}

static void
request_status (FhSessionDaemon *self, Client *c)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autofree char *json = NULL;
  gint64 now = g_get_monotonic_time ();

  json_object_set_string_member (o, "id", self->id);
  json_object_set_string_member (o, "dir", self->dir);
  json_object_set_int_member (o, "pid", getpid ());
  json_object_set_string_member (o, "job", fh_job_handle_get_name (self->plugin));
  json_object_set_int_member (o, "items_run", self->n_run);
  json_object_set_int_member (o, "complete", self->n_complete);
  json_object_set_int_member (o, "failed", self->n_failed);
  if (self->current != NULL)
    {
      json_object_set_string_member (o, "current", self->current->item);
      json_object_set_double_member (o, "current_s", (now - self->current->started) / 1e6);
    }
  else
    json_object_set_double_member (o, "idle_s", (now - self->idle_since) / 1e6);
  json_object_set_int_member (o, "waiting", g_queue_get_length (&self->waiting));
  json_object_set_boolean_member (o, "stopping", self->stopping);
  json = fh_json_object_to_string (o);
  client_send (c, FH_SESSION_STATUS, json, -1);
  client_close (c);
}

static void
request (FhSessionDaemon *self, Client *c, const char *payload, gsize len)
{
  const char *end = payload + len;
  const char *wait = memchr (payload, '\0', len) ? payload + strlen (payload) + 1 : end;
  const char *item = wait < end && memchr (wait, '\0', (gsize) (end - wait)) ? wait + strlen (wait) + 1 : end;

  if (strcmp (payload, "run") == 0 && item < end)
    {
      g_autofree char *name = g_strndup (item, (gsize) (end - item));
      request_run (self, c, wait, name);
    }
  else if (g_strcmp0 (payload, "status") == 0)
    request_status (self, c);
  else if (g_strcmp0 (payload, "stop") == 0)
    {
      g_ptr_array_add (self->stoppers, client_ref (c));
      note (self, "farmhand: session %s: stopping (asked)", self->id);
      self->stopping = TRUE;
      dispatch (self);
    }
  else
    {
      client_send (c, FH_SESSION_REFUSED, "not a request this session knows", -1);
      client_close (c);
    }
}

static void read_more (Client *c);

static void
on_read (GObject *stream, GAsyncResult *res, gpointer data)
{
  Client *c = data;
  FhSessionDaemon *self = c->session;
  g_autoptr (GError) err = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (stream), res, &err);
  const char *payload;
  gsize len;

  if (n <= 0)
    {
      /* Gone: a running item of its is stopped; a waiting one forgotten. */
      if (!g_atomic_int_get (&c->gone) && !g_atomic_int_get (&c->answered) && self->current == c)
        {
          note (self, "farmhand: session %s: the client of item %s went away: stopping the item",
                self->id, c->item);
          fh_job_handle_cancel_item (self->plugin);
        }
      if (g_queue_remove (&self->waiting, c))
        {
          if (c->timeout != NULL)
            g_source_destroy (c->timeout);
          g_clear_pointer (&c->timeout, g_source_unref);
          client_unref (c);
        }
      g_atomic_int_set (&c->gone, TRUE);
      client_unref (c);
      return;
    }
  fh_wire_decoder_push (c->decoder, c->buf, (gsize) n);
  /* One request per connection; what comes after it is ignored. */
  if (!c->asked && fh_wire_decoder_next (c->decoder, &payload, &len, &err))
    {
      /* Fields are NUL-separated: a copy of the bytes, not a string. */
      g_autofree char *copy = g_malloc (len + 1);
      memcpy (copy, payload, len);
      copy[len] = '\0';
      c->asked = TRUE;
      request (self, c, copy, len);
    }
  else if (err != NULL)
    {
      client_send (c, FH_SESSION_REFUSED, err->message, -1);
      client_close (c);
    }
  read_more (c);
  client_unref (c);
}

/* Always a read pending: its end is how a killed client is noticed. */
static void
read_more (Client *c)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (c->conn)), c->buf,
                             sizeof c->buf, G_PRIORITY_DEFAULT, c->reading, on_read, client_ref (c));
}

static gboolean
peer_is_us (GSocket *socket, GError **error)
{
  g_autoptr (GCredentials) cred = g_socket_get_credentials (socket, error);
  uid_t uid;

  if (cred == NULL)
    return FALSE;
  if ((uid = g_credentials_get_unix_user (cred, error)) == (uid_t) -1)
    return FALSE;
  if (uid != getuid ())
    return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE,
                     "this session belongs to uid %u, not to uid %u", (guint) getuid (), (guint) uid);
  return TRUE;
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
  FhSessionDaemon *self = data;
  g_autoptr (GError) err = NULL;
  Client *c = g_new0 (Client, 1);

  c->refs = 1;
  c->session = self;
  c->conn = g_object_ref (conn);
  c->fd = g_socket_get_fd (g_socket_connection_get_socket (conn));
  c->reading = g_cancellable_new ();
  c->decoder = fh_wire_decoder_new (FH_SESSION_MAX_FRAME);
  if (!peer_is_us (g_socket_connection_get_socket (conn), &err))
    {
      note (self, "farmhand: session %s: refused a connection: %s", self->id, err->message);
      client_send (c, FH_SESSION_REFUSED, err->message, -1);
      client_close (c);
      client_unref (c);
      return TRUE;
    }
  read_more (c);
  client_unref (c);
  return TRUE;
}

/* No more clients: the socket closed and gone (only our own: a new
 * session may have taken the name). */
static void
stop_listening (FhSessionDaemon *self)
{
  struct stat st;

  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
  if (self->socket_path != NULL && stat (self->socket_path, &st) == 0 &&
      st.st_ino == self->socket_stat.st_ino && st.st_dev == self->socket_stat.st_dev)
    g_unlink (self->socket_path);
}

/* ---- the job thread --------------------------------------------------------------- */

static void
tell_ready (FhSessionDaemon *self, char kind, const char *why)
{
  g_autofree char *msg = g_strdup_printf ("%c%s", kind, why ? why : "");

  if (self->ready_fd < 0)
    return;
  fh_wire_write_all (self->ready_fd, msg, strlen (msg), NULL);
  close (self->ready_fd);
  self->ready_fd = -1;
}

static char *
job_next_item (gpointer data)
{
  FhSessionDaemon *self = data;
  Client *c;

  /* The first ask: setup has run. */
  tell_ready (self, FH_SESSION_READY_OK, NULL);
  c = g_async_queue_pop (self->work);
  if (c == &END)
    return NULL;
  g_mutex_lock (&self->lock);
  self->running = c;
  g_mutex_unlock (&self->lock);
  fh_job_log_marker (self->log, "item %s", c->item);
  return g_strdup_printf ("{\"index\": %u}", c->index);
}

static Client *
running_client (FhSessionDaemon *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return self->running ? client_ref (self->running) : NULL;
}

static void
job_log_line (gpointer data, const char *item, FhLogStream stream, const char *line, gsize len)
{
  FhSessionDaemon *self = data;
  Client *c;

  fh_job_log_line (self->log, item, stream, line, len);
  if (item == NULL || (c = running_client (self)) == NULL)
    return;
  client_send (c, stream == FH_LOG_STDERR ? FH_SESSION_ERR
                  : stream == FH_LOG_FARMHAND ? FH_SESSION_NOTE : FH_SESSION_OUT, line, (gssize) len);
  client_unref (c);
}

static void
job_progress (gpointer data, const char *item, double fraction)
{
  FhSessionDaemon *self = data;
  Client *c = running_client (self);
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  if (c == NULL)
    return;
  client_send (c, FH_SESSION_PROGRESS, g_ascii_formatd (text, sizeof text, "%.4f", fraction), -1);
  client_unref (c);
}

static void
job_report_item (gpointer data, JsonObject *result)
{
  FhSessionDaemon *self = data;
  gboolean ok = g_strcmp0 (json_object_get_string_member_with_default (result, "status", ""),
                           "complete") == 0;
  const char *why = json_object_get_string_member_with_default (result, "traceback", "it failed");
  g_autoptr (GError) err = NULL;
  g_autofree char *done = NULL;
  Client *c;

  /* Not in the results file: not done, and the client is told why. */
  if (!fh_results_file_write (self->results, result, &err))
    {
      fh_job_log_line (self->log, NULL, FH_LOG_FARMHAND, err->message, strlen (err->message));
      ok = FALSE;
      why = err->message;
    }
  fh_job_log_marker (self->log, "item %s %s in %.3f s",
                     json_object_get_string_member_with_default (result, "name", "?"),
                     ok ? "complete" : "FAILED",
                     json_object_get_double_member_with_default (result, "elapsed_s", 0));
  fh_job_log_flush (self->log, NULL);
  g_mutex_lock (&self->lock);
  c = self->running;
  self->running = NULL;
  g_mutex_unlock (&self->lock);
  if (c == NULL)
    return;
  done = g_strdup_printf ("%c%c%s", ok ? '0' : '1', '\0', ok ? "" : why);
  c->done = g_bytes_new (done, 2 + (ok ? 0 : strlen (why)));
  c->ok = ok;
  g_atomic_int_set (&c->answered, TRUE);
  g_main_context_invoke (self->context, on_item_done, c);
}

static void
job_tick (gpointer data)
{
  FhSessionDaemon *self = data;

  g_autoptr (GError) err = NULL;

  /* A failed sync stays due; the log says so (once per failure spell). */
  if (!fh_results_file_sync (self->results, &err) && !self->sync_failing)
    fh_job_log_line (self->log, NULL, FH_LOG_FARMHAND, err->message, strlen (err->message));
  self->sync_failing = err != NULL;
  fh_job_log_flush (self->log, NULL);
}

static gboolean
on_job_ended (gpointer data)
{
  FhSessionDaemon *self = data;
  gboolean teardown_failed = json_object_get_boolean_member_with_default (self->summary,
                                                                          "teardown_failed", FALSE);
  const char *error = json_object_get_string_member_with_default (self->summary, "error", NULL);
  g_autofree char *stopped = NULL;
  Client *c;

  self->ended = TRUE;
  /* Gone before anyone hears it has ended (`session start` of a failed
   * setup, `session stop`). */
  stop_listening (self);
  /* Setup never finished: tell `session start` why. */
  tell_ready (self, FH_SESSION_READY_FAILED, error ? error : "the job ended before setup finished");
  while ((c = g_queue_pop_head (&self->waiting)) != NULL)
    {
      client_send (c, FH_SESSION_GONE, error ? error : "the session ended", -1);
      client_close (c);
      client_unref (c);
    }
  if (self->current != NULL && !g_atomic_int_get (&self->current->answered))
    {
      client_send (self->current, FH_SESSION_GONE, error ? error : "the session ended", -1);
      client_close (self->current);
    }
  stopped = teardown_failed ? g_strdup_printf ("1%cteardown failed (see %s/" FH_SESSION_LOG ")", '\0',
                                               self->dir)
                            : g_strdup ("0");
  for (guint i = 0; i < self->stoppers->len; i++)
    {
      Client *s = g_ptr_array_index (self->stoppers, i);
      client_send (s, FH_SESSION_STOPPED, stopped, teardown_failed ? (gssize) (2 + strlen (stopped + 2)) : 1);
      client_close (s);
    }
  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
job_thread (gpointer data)
{
  FhSessionDaemon *self = data;
  const FhJobHandleFuncs funcs = {
    .next_item = job_next_item, .report_item = job_report_item, .log_line = job_log_line,
    .progress = job_progress, .tick = job_tick, .tick_ms = 1000,
  };

  self->status = fh_job_handle_run (self->plugin, &funcs, self, TRUE, &self->summary);
  g_main_context_invoke (self->context, on_job_ended, self);
  return NULL;
}

/* ---- the directory ------------------------------------------------------------------ */

/* Removing the session's directory (or its socket) ends it. */
static gboolean
on_watch (gpointer data)
{
  FhSessionDaemon *self = data;
  struct stat st;

  if (stat (self->socket_path, &st) == 0 && st.st_ino == self->socket_stat.st_ino &&
      st.st_dev == self->socket_stat.st_dev)
    return G_SOURCE_CONTINUE;
  note (self, "farmhand: session %s: its socket %s is gone: stopping", self->id, self->socket_path);
  if (self->current != NULL)
    fh_job_handle_cancel_item (self->plugin);
  self->stopping = TRUE;
  dispatch (self);
  g_clear_pointer (&self->watch_timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* ---- making and running one ---------------------------------------------------------------- */

/* A socket address for @path, through /proc/self/fd when the path is
 * longer than an address holds.  @dirfd: -1, or the fd to close after. */
static GSocketAddress *
socket_address (const char *dir, const char *path, int *dirfd, GError **error)
{
  g_autofree char *short_path = NULL;

  *dirfd = -1;
  if (strlen (path) < sizeof ((struct sockaddr_un *) NULL)->sun_path)
    return g_unix_socket_address_new (path);
  if ((*dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
    return fh_throw_errno_null (error, G_IO_ERROR, g_io_error_from_errno (errno), errno, "%s", dir);
  short_path = g_strdup_printf ("/proc/self/fd/%d/" FH_SESSION_SOCKET, *dirfd);
  return g_unix_socket_address_new (short_path);
}

FhSessionDaemon *
fh_session_daemon_new (FhJobHandle *plugin, const FhSessionDaemonOptions *options, GError **error)
{
  g_autoptr (FhSessionDaemon) self = g_new0 (FhSessionDaemon, 1);
  g_autoptr (GSocketAddress) address = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *results = NULL;
  int dirfd;
  gboolean ok;

  self->plugin = plugin;
  self->id = g_strdup (options->id);
  self->dir = g_strdup (options->dir);
  self->idle_s = options->idle_s;
  self->ready_fd = -1;
  self->socket_path = g_build_filename (options->dir, FH_SESSION_SOCKET, NULL);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->work = g_async_queue_new ();
  self->stoppers = g_ptr_array_new_with_free_func ((GDestroyNotify) client_unref);
  g_queue_init (&self->waiting);
  g_mutex_init (&self->lock);
  log_path = g_build_filename (options->dir, FH_SESSION_LOG, NULL);
  results = options->results ? g_strdup (options->results)
                             : g_build_filename (options->dir, FH_SESSION_RESULTS, NULL);
  if ((self->log = fh_job_log_open (log_path, error)) == NULL ||
      (self->results = fh_results_file_open (results, FALSE, error)) == NULL)
    return NULL;
  /* A stale socket of a session that died: ours now. */
  g_unlink (self->socket_path);
  if ((address = socket_address (options->dir, self->socket_path, &dirfd, error)) == NULL)
    return NULL;
  g_main_context_push_thread_default (self->context);
  self->service = g_socket_service_new ();
  ok = g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL,
                                      error);
  g_main_context_pop_thread_default (self->context);
  if (dirfd >= 0)
    close (dirfd);
  if (!ok)
    {
      g_prefix_error (error, "session %s: listening on %s: ", options->id, self->socket_path);
      return NULL;
    }
  chmod (self->socket_path, 0600);
  stat (self->socket_path, &self->socket_stat);
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  return g_steal_pointer (&self);
}

void
fh_session_daemon_free (FhSessionDaemon *self)
{
  if (self == NULL)
    return;
  stop_listening (self);
  if (self->idle_timer != NULL)
    g_source_destroy (self->idle_timer);
  g_clear_pointer (&self->idle_timer, g_source_unref);
  if (self->watch_timer != NULL)
    g_source_destroy (self->watch_timer);
  g_clear_pointer (&self->watch_timer, g_source_unref);
  g_queue_clear_full (&self->waiting, (GDestroyNotify) client_unref);
  g_clear_pointer (&self->stoppers, g_ptr_array_unref);
  g_clear_pointer (&self->work, g_async_queue_unref);
  g_clear_pointer (&self->index_of, g_hash_table_unref);
  g_clear_pointer (&self->summary, json_object_unref);
  g_clear_pointer (&self->results, fh_results_file_free);
  g_clear_pointer (&self->log, fh_job_log_free);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  g_free (self->socket_path);
  g_free (self->id);
  g_free (self->dir);
  g_free (self);
}

int
fh_session_daemon_run (FhSessionDaemon *self, int ready_fd)
{
  self->ready_fd = ready_fd;
  self->idle_since = g_get_monotonic_time ();
  note (self, "farmhand: session %s (pid %d) of job %s in %s", self->id, (int) getpid (),
        fh_job_handle_get_name (self->plugin), self->dir);
  g_main_context_push_thread_default (self->context);
  self->watch_timer = g_timeout_source_new (WATCH_MS);
  g_source_set_callback (self->watch_timer, on_watch, self, NULL);
  g_source_attach (self->watch_timer, self->context);
  g_socket_service_start (self->service);
  self->job_thread = g_thread_new ("farmhand-session-job", job_thread, self);
  dispatch (self);
  g_main_loop_run (self->loop);
  g_thread_join (self->job_thread);
  /* Clients still open get nothing more. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  if (self->current != NULL)
    client_unref (self->current);
  self->current = NULL;
  note (self, "farmhand: session %s ended: %u items run (%u complete, %u failed)", self->id,
        self->n_run, self->n_complete, self->n_failed);
  return self->status == FH_RUN_OK || self->status == FH_RUN_ITEMS_FAILED ||
                 self->status == FH_RUN_CANCELLED
             ? 0 : 1;
}

/* ---- the client side ------------------------------------------------------------------ */

int
fh_session_daemon_connect (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, FH_SESSION_SOCKET, NULL);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int dirfd = -1, fd, saved;

  if (strlen (path) >= sizeof addr.sun_path)
    {
      if ((dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        {
          fh_throw_errno (error, G_IO_ERROR, g_io_error_from_errno (errno), errno, "%s", dir);
          return -1;
        }
      g_free (path);
      path = g_strdup_printf ("/proc/self/fd/%d/" FH_SESSION_SOCKET, dirfd);
    }
  memcpy (addr.sun_path, path, strlen (path) + 1);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  saved = fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0 ? 0 : errno;
  if (dirfd >= 0)
    close (dirfd);
  if (fd < 0 || saved != 0)
    {
      int code = fd < 0 ? errno : saved;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR,
                   code == ENOENT || code == ECONNREFUSED ? G_IO_ERROR_NOT_FOUND
                                                          : g_io_error_from_errno (code),
                   "no session at %s: %s", dir,
                   code == ENOENT || code == ECONNREFUSED ? "it is not running" : g_strerror (code));
      return -1;
    }
  return fd;
}

char *
fh_session_daemon_ask (int fd, const char *request, char *kind, GError **error)
{
  g_autoptr (FhWireDecoder) decoder = fh_wire_decoder_new (FH_SESSION_MAX_FRAME);
  char buf[4096];
  const char *payload;
  gsize len;

  if (!fh_wire_send_frame (fd, request, strlen (request), error))
    return NULL;
  for (;;)
    {
      ssize_t n;

      if (fh_wire_decoder_next (decoder, &payload, &len, error))
        {
          /* Fields may be NUL-separated: the bytes, not a string. */
          char *text = g_malloc (len);
          *kind = payload[0];
          memcpy (text, payload + 1, len - 1);
          text[len - 1] = '\0';
          return text;
        }
      if (error != NULL && *error != NULL)
        return NULL;
      if ((n = read (fd, buf, sizeof buf)) < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return fh_throw_null (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                              "the session ended without an answer");
      fh_wire_decoder_push (decoder, buf, (gsize) n);
    }
}
