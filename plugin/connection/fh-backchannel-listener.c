/* fh-backchannel-listener.c — the socket + token fallback backchannel.
 *
 * Each connection gets a few seconds and one frame to prove itself: a
 * hello carrying the token.  Until then it is held in a Pending record
 * with its own decoder, so a slow, silent or garbage-sending client ties
 * up nothing but itself.
 */
#include "config.h"

#include "fh-backchannel-listener.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "fh-error.h"
#include "fh-source.h"
#include "fh-channel-token.h"
#include "fh-wire.h"

#define AUTH_TIMEOUT_MS 5000

typedef struct _FhBackchannelListener FhBackchannelListener;

typedef struct
{
  FhBackchannelListener *owner;
  int fd;
  GSource *source;
  GSource *timer;
  FhWireDecoder *decoder;
} Pending;

struct _FhBackchannelListener
{
  GMainContext *context;
  char *dir;
  char *path;
  char *token;
  int listener;
  GSource *source;
  GList *pending;         /* Pending* */
  gboolean accepted;      /* the backchannel is taken; reject the rest */
  FhListenerAcceptFunc on_accept;
  FhListenerRejectFunc on_reject;
  gpointer user_data;
};

static void
pending_free (Pending *p)
{
  fh_source_clear (&p->source);
  fh_source_clear (&p->timer);
  if (p->fd >= 0)
    close (p->fd);
  fh_wire_decoder_free (p->decoder);
  g_free (p);
}

static void
drop (Pending *p, const char *why)
{
  FhBackchannelListener *self = p->owner;

  self->pending = g_list_remove (self->pending, p);
  if (why != NULL)
    self->on_reject (why, self->user_data);
  pending_free (p);
}

/* The first frame arrived: a hello with the token, or the door. */
static void
judge (Pending *p, const char *payload, gsize len)
{
  FhBackchannelListener *self = p->owner;
  g_autoptr (GError) err = NULL;
  g_autoptr (FhMessage) msg = fh_message_parse (payload, len, &err);
  g_autoptr (GBytes) rest = fh_wire_decoder_take_pending (p->decoder);
  int fd;

  if (msg == NULL || msg->type != FH_MESSAGE_HELLO)
    {
      g_autofree char *why = g_strdup_printf ("rejected a backchannel connection: its first "
                                              "frame is not a hello (%s)",
                                              msg == NULL ? err->message : fh_message_type_to_string (msg->type));
      drop (p, why);
      return;
    }
  if (!fh_channel_token_equal (self->token, msg->token, msg->token ? strlen (msg->token) : 0))
    {
      drop (p, msg->token == NULL ? "rejected a backchannel connection: its hello has no token"
                                  : "rejected a backchannel connection: wrong token");
      return;
    }
  /* Bytes after the hello belong to the conversation: @rest. */
  fd = p->fd;
  p->fd = -1;
  self->accepted = TRUE;
  drop (p, NULL);
  self->on_accept (fd, g_steal_pointer (&msg), g_steal_pointer (&rest), self->user_data);
}

static gboolean
on_pending_readable (int fd, GIOCondition cond, gpointer user_data)
{
  Pending *p = user_data;
  char buf[4096];
  g_autoptr (GError) err = NULL;
  const char *payload;
  gsize len;
  gssize n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);

  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      drop (p, "rejected a backchannel connection: it closed before saying hello");
      return G_SOURCE_REMOVE;
    }
  fh_wire_decoder_push (p->decoder, buf, (gsize) n);
  if (fh_wire_decoder_next (p->decoder, &payload, &len, &err))
    {
      /* judge() frees p; copy the frame out of its decoder first. */
      g_autofree char *copy = g_memdup2 (payload, len);
      judge (p, copy, len);
      return G_SOURCE_REMOVE;
    }
  if (err != NULL)
    {
      g_autofree char *why = g_strdup_printf ("rejected a backchannel connection: %s", err->message);
      drop (p, why);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_pending_timeout (gpointer user_data)
{
  Pending *p = user_data;

  g_clear_pointer (&p->timer, g_source_unref);
  drop (p, "rejected a backchannel connection: no hello within 5 s");
  return G_SOURCE_REMOVE;
}

static gboolean
same_user (int fd)
{
  struct ucred cred;
  socklen_t len = sizeof cred;

  return getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == getuid ();
}

static void
admit (FhBackchannelListener *self, int fd)
{
  Pending *p;

  if (self->accepted || !same_user (fd))
    {
      self->on_reject (self->accepted ? "rejected a backchannel connection: the backchannel is taken"
                                      : "rejected a backchannel connection from another user",
                       self->user_data);
      close (fd);
      return;
    }
  p = g_new0 (Pending, 1);
  p->owner = self;
  p->fd = fd;
  p->decoder = fh_wire_decoder_new (FH_WIRE_MAX_FRAME);
  p->source = g_unix_fd_source_new (fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (p->source, G_SOURCE_FUNC (on_pending_readable), p, NULL);
  g_source_attach (p->source, self->context);
  p->timer = g_timeout_source_new (AUTH_TIMEOUT_MS);
  g_source_set_callback (p->timer, on_pending_timeout, p, NULL);
  g_source_attach (p->timer, self->context);
  self->pending = g_list_prepend (self->pending, p);
}

static gboolean
on_incoming (int listener, GIOCondition cond, gpointer user_data)
{
  FhBackchannelListener *self = user_data;
  int fd;

  while ((fd = accept4 (listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
    admit (self, fd);
  return G_SOURCE_CONTINUE;
}

static gboolean
listen_at (FhBackchannelListener *self, GError **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };

  if (strlen (self->path) >= sizeof addr.sun_path)
    return fh_throw (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG, "the path is too long for a socket");
  strcpy (addr.sun_path, self->path);
  self->listener = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (self->listener < 0 || bind (self->listener, (struct sockaddr *) &addr, sizeof addr) < 0 ||
      listen (self->listener, 8) < 0)
    return fh_throw_errno (error, G_IO_ERROR, g_io_error_from_errno (errno), errno, "socket");
  self->source = g_unix_fd_source_new (self->listener, G_IO_IN);
  g_source_set_callback (self->source, G_SOURCE_FUNC (on_incoming), self, NULL);
  g_source_attach (self->source, self->context);
  return TRUE;
}

FhBackchannelListener *
fh_backchannel_listener_new (GMainContext *context, FhListenerAcceptFunc on_accept,
                             FhListenerRejectFunc on_reject, gpointer user_data,
                             GError **error)
{
  g_autoptr (FhBackchannelListener) self = g_new0 (FhBackchannelListener, 1);

  self->listener = -1;
  self->context = g_main_context_ref (context);
  self->on_accept = on_accept;
  self->on_reject = on_reject;
  self->user_data = user_data;
  /* g_dir_make_tmp creates the directory 0700. */
  if ((self->dir = g_dir_make_tmp ("farmhand-bc-XXXXXX", error)) == NULL ||
      (self->token = fh_channel_token_new (error)) == NULL)
    return NULL;
  self->path = g_build_filename (self->dir, "backchannel.sock", NULL);
  if (!listen_at (self, error))
    {
      g_prefix_error (error, "listening on %s: ", self->path);
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
fh_backchannel_listener_free (FhBackchannelListener *self)
{
  if (self == NULL)
    return;
  g_list_free_full (self->pending, (GDestroyNotify) pending_free);
  fh_source_clear (&self->source);
  if (self->listener >= 0)
    close (self->listener);
  if (self->path != NULL)
    g_unlink (self->path);
  if (self->dir != NULL)
    g_rmdir (self->dir);
  g_free (self->path);
  g_free (self->dir);
  fh_channel_token_free (self->token);
  g_main_context_unref (self->context);
  g_free (self);
}

const char *
fh_backchannel_listener_get_path (FhBackchannelListener *self)
{
  return self->path;
}

const char *
fh_backchannel_listener_get_token (FhBackchannelListener *self)
{
  return self->token;
}
