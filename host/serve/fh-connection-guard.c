/* fh-connection-guard.c — see the header for why.
 *
 * State: one Conn per accepted connection, from accept() until libsoup
 * disconnects it (its current message says "disconnected") or the guard
 * ends it.  A Conn is found from a message through the remote address
 * object the guard handed to soup_server_accept_iostream(): the library
 * keeps that very object, so it carries the Conn as qdata.  Conns that
 * wait for their client (READING a request, IDLE between requests) are
 * also in `waiting`, oldest first: the order in which the cap reclaims.
 *
 * Stealing a connection is safe while the library still has a message in
 * flight on it — always the case here: a request being read, an answer
 * being written, or (IDLE) the next request's reader, which is waiting
 * for its first byte.  The hang-up watch of an IDLE connection runs at a
 * higher priority than the library's reader, so an EOF is always seen by
 * the guard first: the library never gets to the state it cannot leave.
 */
#include "config.h"

#include "fh-connection-guard.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_REQUEST_TIMEOUT_MS 30000
#define DEFAULT_IDLE_TIMEOUT_MS 60000
#define MAX_DEFAULT_CONNECTIONS 1024
/* A request whose head has been on its way this long may be reclaimed
 * at the cap: a client that is sending gets further in a second. */
#define STALLED_MS 250
/* Accepted per wake-up, so that a flood cannot starve the answers. */
#define ACCEPT_BATCH 64
#define PAUSE_MS 100

typedef enum
{
  CONN_READING,   /* a request's head or body is on its way */
  CONN_ANSWERING, /* the handler answers */
  CONN_STREAMING, /* an answer that ends with its client (events) */
  CONN_IDLE,      /* kept alive, waiting for the next request */
} ConnState;

typedef struct
{
  FhConnectionGuard *guard;
  GSocketConnection *stream; /* ours: closing it closes the descriptor */
  GSocketAddress *remote;    /* the key the library hands back */
  SoupServerMessage *msg;    /* the current (or last) message */
  ConnState state;
  gint64 since;              /* when the state began (monotonic µs) */
  gint64 progress;           /* ANSWERING: when the answer last moved */
  GList *link;               /* in guard->waiting while READING or IDLE */
  GSource *timer;
  GSource *watch;
} Conn;

struct _FhConnectionGuard
{
  SoupServer *server;
  FhConnectionLimits limits;
  FhConnectionHangupFunc on_hangup;
  gpointer user_data;
  GSocket *listener;
  GSource *accept_source;
  GSource *pause_source;
  int spare_fd;              /* given up to answer 503 at the descriptor limit */
  GSocket *anchor;           /* the far end of the library's idle listener */
  GHashTable *conns;         /* Conn* set */
  GQueue waiting;            /* Conn*, oldest first */
  gulong started_id;
  gboolean at_cap;           /* logged, until back under three quarters */
  gboolean out_of_fds;       /* logged, until an accept succeeds again */
};

static GQuark
conn_quark (void)
{
  return g_quark_from_static_string ("fh-connection-guard-conn");
}

static const char ANSWER_503[] =
  "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
  "Content-Type: application/json\r\nContent-Length: 69\r\n\r\n"
  "{\"error\":\"the farm UI has too many connections open; try again soon\"}";
static const char ANSWER_408[] =
  "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/* ---- a connection's state ------------------------------------------------- */

static Conn *
conn_of (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote ? g_object_get_qdata (G_OBJECT (remote), conn_quark ()) : NULL;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
drop_msg (Conn *c)
{
  if (c->msg == NULL)
    return;
  g_signal_handlers_disconnect_by_data (c->msg, c);
  g_clear_object (&c->msg);
}

/* Takes @c out of every record and frees it; the connection itself is the
 * caller's to end (or the library's, which ended it). */
static void
forget (Conn *c)
{
  FhConnectionGuard *self = c->guard;

  clear_source (&c->timer);
  clear_source (&c->watch);
  drop_msg (c);
  if (c->link != NULL)
    g_queue_delete_link (&self->waiting, c->link);
  g_object_set_qdata (G_OBJECT (c->remote), conn_quark (), NULL);
  g_object_unref (c->remote);
  g_object_unref (c->stream);
  g_hash_table_remove (self->conns, c);
  g_free (c);
  if (self->at_cap && g_hash_table_size (self->conns) <= self->limits.max_connections * 3 / 4)
    {
      self->at_cap = FALSE;
      g_printerr ("farmhand serve: %u connections open, below the limit of %u again\n",
                  g_hash_table_size (self->conns), self->limits.max_connections);
    }
}

/* Makes the library let go of @c's connection (it frees its side), then
 * closes it, saying @answer first if there is one. */
static void
end_conn (Conn *c, const char *answer)
{
  g_autoptr (SoupServerMessage) msg = g_object_ref (c->msg);
  g_autoptr (GSocketConnection) stream = g_object_ref (c->stream);
  g_autoptr (GIOStream) stolen = NULL;
  GSocket *socket = g_socket_connection_get_socket (stream);

  forget (c);
  stolen = soup_server_message_steal_connection (msg);
  if (answer != NULL)
    g_socket_send_with_blocking (socket, answer, strlen (answer), FALSE, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (stream), NULL, NULL);
}

/* What is waiting on @c's socket: 1 bytes (a request), 0 the client hung
 * up (or failed), -1 nothing yet. */
static int
peek (Conn *c)
{
  char byte;
  ssize_t n = recv (g_socket_get_fd (g_socket_connection_get_socket (c->stream)), &byte, 1,
                    MSG_PEEK | MSG_DONTWAIT);

  if (n > 0)
    return 1;
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -1 : 0;
}

static void set_state (Conn *c, ConnState state);

static void arm_timer (Conn *c, guint ms);

static gboolean
on_timer (gpointer data)
{
  Conn *c = data;
  gint64 quiet_ms = (g_get_monotonic_time () - c->progress) / 1000;

  /* This source ends as it returns; @c lets go of it first. */
  g_clear_pointer (&c->timer, g_source_unref);
  /* An answer is ended only when it has not moved for the idle timeout
   * (a client that stopped reading), however long it takes in all. */
  if (c->state == CONN_ANSWERING && quiet_ms < c->guard->limits.idle_timeout_ms)
    {
      arm_timer (c, c->guard->limits.idle_timeout_ms - (guint) quiet_ms);
      return G_SOURCE_REMOVE;
    }
  end_conn (c, c->state == CONN_READING ? ANSWER_408 : NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_watch (gint fd, GIOCondition condition, gpointer data)
{
  Conn *c = data;
  int what = peek (c);

  (void) fd;
  (void) condition;
  if (what < 0)
    return G_SOURCE_CONTINUE;
  if (what > 0)
    {
      /* IDLE: the next request is here (the library reads it).  STREAMING:
       * a client that sends during an event stream cannot be watched for
       * its hang-up any more; the stream's next write will tell. */
      g_clear_pointer (&c->watch, g_source_unref);
      if (c->state == CONN_IDLE)
        set_state (c, CONN_READING);
      return G_SOURCE_REMOVE;
    }
  g_clear_pointer (&c->watch, g_source_unref);
  if (c->state == CONN_STREAMING && c->guard->on_hangup != NULL)
    c->guard->on_hangup (c->msg, c->guard->user_data);
  end_conn (c, NULL);
  return G_SOURCE_REMOVE;
}

static void
arm_timer (Conn *c, guint ms)
{
  clear_source (&c->timer);
  c->timer = g_timeout_source_new (ms);
  g_source_set_callback (c->timer, on_timer, c, NULL);
  g_source_attach (c->timer, g_main_context_get_thread_default ());
}

static void
arm_watch (Conn *c)
{
  int fd = g_socket_get_fd (g_socket_connection_get_socket (c->stream));

  clear_source (&c->watch);
  c->watch = g_unix_fd_source_new (fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  /* Before the library's own reader: see the class comment. */
  g_source_set_priority (c->watch, G_PRIORITY_HIGH);
  g_source_set_callback (c->watch, G_SOURCE_FUNC (on_watch), c, NULL);
  g_source_attach (c->watch, g_main_context_get_thread_default ());
}

static void
set_state (Conn *c, ConnState state)
{
  FhConnectionGuard *self = c->guard;
  gboolean waits = state == CONN_READING || state == CONN_IDLE;

  c->state = state;
  c->since = c->progress = g_get_monotonic_time ();
  if (c->link != NULL)
    g_queue_delete_link (&self->waiting, c->link);
  c->link = NULL;
  if (waits)
    {
      g_queue_push_tail (&self->waiting, c);
      c->link = self->waiting.tail;
    }
  clear_source (&c->timer);
  clear_source (&c->watch);
  if (state == CONN_READING)
    arm_timer (c, self->limits.request_timeout_ms);
  else if (state == CONN_IDLE || state == CONN_ANSWERING)
    arm_timer (c, self->limits.idle_timeout_ms);
  if (state == CONN_IDLE || state == CONN_STREAMING)
    arm_watch (c);
}

/* ---- what the library says of its messages --------------------------------- */

static void
on_got_body (SoupServerMessage *msg, gpointer data)
{
  Conn *c = data;

  (void) msg;
  if (c->state == CONN_READING)
    set_state (c, CONN_ANSWERING);
}

static void
on_wrote_body_data (SoupServerMessage *msg, guint size, gpointer data)
{
  Conn *c = data;

  (void) msg;
  (void) size;
  c->progress = g_get_monotonic_time ();
}

static void
on_finished (SoupServerMessage *msg, gpointer data)
{
  (void) msg;
  /* If the library ends the connection now, "disconnected" follows at
   * once and forgets it. */
  set_state (data, CONN_IDLE);
}

static void
on_disconnected (SoupServerMessage *msg, gpointer data)
{
  (void) msg;
  forget (data);
}

static void
on_request_started (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  Conn *c = conn_of (msg);

  (void) server;
  (void) data;
  if (c == NULL)
    return;
  if (c->msg != msg)
    {
      drop_msg (c);
      c->msg = g_object_ref (msg);
      g_signal_connect (msg, "got-body", G_CALLBACK (on_got_body), c);
      g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), c);
      g_signal_connect (msg, "finished", G_CALLBACK (on_finished), c);
      g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected), c);
    }
  set_state (c, CONN_READING);
}

/* ---- accepting ----------------------------------------------------------- */

/* At the cap: the oldest connection that waits for its client and can be
 * spared (idle, or a request stalled for a second) is ended. */
static gboolean
reclaim_one (FhConnectionGuard *self)
{
  gint64 now = g_get_monotonic_time ();

  for (GList *l = self->waiting.head; l != NULL; l = l->next)
    {
      Conn *c = l->data;
      /* An idle connection whose next request is already here is not. */
      if ((c->state == CONN_IDLE && peek (c) < 0) || (c->state == CONN_READING && now - c->since >= STALLED_MS * 1000))
        {
          end_conn (c, c->state == CONN_READING ? ANSWER_408 : NULL);
          return TRUE;
        }
    }
  return FALSE;
}

static void
refuse (int fd)
{
  char drain[4096];

  /* Read what the client already sent, so that closing does not reset
   * the connection under the answer. */
  while (recv (fd, drain, sizeof drain, MSG_DONTWAIT) > 0)
    ;
  (void) !send (fd, ANSWER_503, sizeof ANSWER_503 - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  shutdown (fd, SHUT_WR);
}

static void
at_cap (FhConnectionGuard *self)
{
  if (self->at_cap)
    return;
  self->at_cap = TRUE;
  g_printerr ("farmhand serve: %u connections open, the limit: idle and stalled ones are closed "
              "first, new ones answered 503 while none can be (--max-connections)\n",
              self->limits.max_connections);
}

static void
admit (FhConnectionGuard *self, GSocket *socket)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);
  Conn *c;

  if (local == NULL || remote == NULL)
    return; /* gone already */
  if (g_hash_table_size (self->conns) >= self->limits.max_connections)
    {
      at_cap (self);
      if (!reclaim_one (self))
        {
          refuse (g_socket_get_fd (socket));
          return;
        }
    }
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  c = g_new0 (Conn, 1);
  c->guard = self;
  c->stream = g_socket_connection_factory_create_connection (socket);
  c->remote = g_object_ref (remote);
  g_object_set_qdata (G_OBJECT (remote), conn_quark (), c);
  g_hash_table_add (self->conns, c);
  set_state (c, CONN_READING);
  /* The library announces its first message from in here
   * (on_request_started). */
  soup_server_accept_iostream (self->server, G_IO_STREAM (c->stream), local, remote, NULL);
}

static gboolean accept_some (GSocket *listener, GIOCondition condition, gpointer data);

static void
resume_accepting (FhConnectionGuard *self)
{
  clear_source (&self->pause_source);
  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (accept_some), self, NULL);
  g_source_attach (self->accept_source, g_main_context_get_thread_default ());
}

static gboolean
on_pause_over (gpointer data)
{
  resume_accepting (data);
  return G_SOURCE_REMOVE;
}

/* Out of descriptors: the reserved one makes room to accept and answer
 * 503, so that a client hears why; without it, accepting pauses briefly
 * rather than spin on a listener that stays readable. */
static gboolean
out_of_descriptors (FhConnectionGuard *self)
{
  int fd;

  if (!self->out_of_fds)
    {
      struct rlimit rl = { 0 };
      getrlimit (RLIMIT_NOFILE, &rl);
      g_printerr ("farmhand serve: out of file descriptors (the limit is %llu): answering 503 until "
                  "some close\n", (unsigned long long) rl.rlim_cur);
      self->out_of_fds = TRUE;
    }
  if (self->spare_fd < 0)
    return FALSE;
  close (self->spare_fd);
  fd = accept4 (g_socket_get_fd (self->listener), NULL, NULL, SOCK_CLOEXEC);
  if (fd >= 0)
    {
      refuse (fd);
      close (fd);
    }
  self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && self->spare_fd >= 0;
}

static gboolean
accept_some (GSocket *listener, GIOCondition condition, gpointer data)
{
  FhConnectionGuard *self = data;

  (void) condition;
  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr (GError) err = NULL;
      g_autoptr (GSocket) socket = g_socket_accept (listener, NULL, &err);

      if (socket != NULL)
        {
          self->out_of_fds = FALSE;
          admit (self, socket);
          continue;
        }
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) && !out_of_descriptors (self))
        {
          g_clear_pointer (&self->accept_source, g_source_unref);
          self->pause_source = g_timeout_source_new (PAUSE_MS);
          g_source_set_callback (self->pause_source, on_pause_over, self, NULL);
          g_source_attach (self->pause_source, g_main_context_get_thread_default ());
          return G_SOURCE_REMOVE;
        }
      /* Anything else (a connection reset before it was accepted) is that
       * one connection's: go on. */
    }
  return G_SOURCE_CONTINUE;
}

/* ---- the guard ------------------------------------------------------------- */

static guint
default_max_connections (void)
{
  struct rlimit rl;
  rlim_t spare;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return MAX_DEFAULT_CONNECTIONS;
  /* The rest is the server's own: job files, workers' pipes, the page's
   * files as they are read. */
  spare = MIN (64, rl.rlim_cur / 2);
  return (guint) MAX (1, MIN (MAX_DEFAULT_CONNECTIONS, rl.rlim_cur - spare));
}

/* libsoup keeps a connection alive after a request only while it has a
 * listener of its own (request_finished() in soup-server.c): it gets one
 * that never accepts, on one end of a socketpair whose other end the guard
 * holds and never writes to. */
static void
anchor_keepalive (FhConnectionGuard *self)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GSocket) idle = NULL;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      g_printerr ("farmhand serve: socketpair: %s: every connection closes after its request\n", g_strerror (errno));
      return;
    }
  idle = g_socket_new_from_fd (fds[0], NULL);
  self->anchor = g_socket_new_from_fd (fds[1], NULL);
  if (idle == NULL || self->anchor == NULL || !soup_server_listen_socket (self->server, idle, 0, &err))
    g_printerr ("farmhand serve: %s: every connection closes after its request\n",
                err ? err->message : "a socketpair is not a socket");
}

FhConnectionGuard *
fh_connection_guard_new (SoupServer *server, const FhConnectionLimits *limits,
                         FhConnectionHangupFunc on_hangup, gpointer user_data)
{
  FhConnectionGuard *self = g_new0 (FhConnectionGuard, 1);

  self->server = g_object_ref (server);
  self->limits = *limits;
  if (self->limits.max_connections == 0)
    self->limits.max_connections = default_max_connections ();
  if (self->limits.request_timeout_ms == 0)
    self->limits.request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
  if (self->limits.idle_timeout_ms == 0)
    self->limits.idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
  self->on_hangup = on_hangup;
  self->user_data = user_data;
  self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  self->conns = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->waiting);
  self->started_id = g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), self);
  anchor_keepalive (self);
  return self;
}

GSocketAddress *
fh_connection_guard_listen (FhConnectionGuard *self, GSocketAddress *address, GError **error)
{
  g_autoptr (GSocket) socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, error);
  GSocketAddress *bound;

  g_return_val_if_fail (self->listener == NULL, NULL);
  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  /* GSocket's default of 10 makes a burst of clients wait for SYN
   * retries (a second, then three). */
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  if ((bound = g_socket_get_local_address (socket, error)) == NULL)
    return NULL;
  self->listener = g_steal_pointer (&socket);
  resume_accepting (self);
  return bound;
}

void
fh_connection_guard_stream (FhConnectionGuard *self, SoupServerMessage *msg)
{
  Conn *c = conn_of (msg);

  (void) self;
  if (c != NULL && c->msg == msg)
    set_state (c, CONN_STREAMING);
}

void
fh_connection_guard_close (FhConnectionGuard *self, SoupServerMessage *msg)
{
  Conn *c = conn_of (msg);

  (void) self;
  if (c != NULL && c->msg == msg)
    end_conn (c, NULL);
}

void
fh_connection_guard_free (FhConnectionGuard *self)
{
  GHashTableIter iter;
  gpointer c;

  if (self == NULL)
    return;
  g_signal_handler_disconnect (self->server, self->started_id);
  clear_source (&self->accept_source);
  clear_source (&self->pause_source);
  /* What the library still holds, it lets go of here. */
  while (g_hash_table_size (self->conns) > 0)
    {
      g_hash_table_iter_init (&iter, self->conns);
      g_hash_table_iter_next (&iter, &c, NULL);
      if (((Conn *) c)->msg != NULL)
        end_conn (c, NULL);
      else
        forget (c);
    }
  if (self->listener != NULL)
    g_socket_close (self->listener, NULL);
  g_clear_object (&self->listener);
  if (self->spare_fd >= 0)
    close (self->spare_fd);
  g_clear_object (&self->anchor);
  g_hash_table_unref (self->conns);
  g_object_unref (self->server);
  g_free (self);
}
