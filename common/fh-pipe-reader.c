/* fh-pipe-reader.c — event-driven pipe reads. */
#include "config.h"

#include "fh-pipe-reader.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib-unix.h>

#include "fh-source.h"

/* Big reads from a big pipe: a command that prints fast wakes us once per
 * quarter megabyte, not once per page. */
#define CHUNK (256 * 1024)
#define PIPE_SIZE (1024 * 1024)

struct _FhPipeReader
{
  char *buf;    /* CHUNK bytes */
  int fd;
  GSource *source;
  gboolean eof;
  FhPipeDataFunc func;
  gpointer user_data;
};

static gboolean on_readable (int fd, GIOCondition cond, gpointer user_data);

FhPipeReader *
fh_pipe_reader_new (int fd, GMainContext *context, FhPipeDataFunc func,
                    gpointer user_data)
{
  FhPipeReader *self = g_new0 (FhPipeReader, 1);

  self->fd = fd;
  self->buf = g_malloc (CHUNK);
  /* Best effort: an unprivileged process may be capped by
   * /proc/sys/fs/pipe-max-size; a smaller pipe only costs wake-ups. */
  fcntl (fd, F_SETPIPE_SZ, PIPE_SIZE);
  self->func = func;
  self->user_data = user_data;
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  self->source = g_unix_fd_source_new (fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (self->source, G_SOURCE_FUNC (on_readable), self, NULL);
  /* A source that may not recurse is blocked during its dispatch, and in
   * GLib < 2.76 blocking and unblocking an fd source writes the context's
   * wakeup eventfd twice per dispatch.  Nothing here re-enters the loop. */
  g_source_set_can_recurse (self->source, TRUE);
  g_source_attach (self->source, context);
  return self;
}

void
fh_pipe_reader_set_priority (FhPipeReader *self, int priority)
{
  if (self->source != NULL)
    g_source_set_priority (self->source, priority);
}

static void
stop (FhPipeReader *self)
{
  fh_source_clear (&self->source);
}

void
fh_pipe_reader_free (FhPipeReader *self)
{
  if (self == NULL)
    return;
  stop (self);
  g_free (self->buf);
  g_free (self);
}

/* One read.  Returns TRUE when it filled the buffer (there may be more). */
static gboolean
read_once (FhPipeReader *self)
{
  gssize n;

  if (self->eof)
    return FALSE;
  do
    n = read (self->fd, self->buf, CHUNK);
  while (n < 0 && errno == EINTR);
  if (n > 0)
    {
      self->func (self->buf, (gsize) n, self->user_data);
      return n == CHUNK;
    }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return FALSE;
  /* End of stream, or an error that ends it just the same. */
  self->eof = TRUE;
  stop (self);
  self->func (self->buf, 0, self->user_data);
  return FALSE;
}

static gboolean
on_readable (int fd, GIOCondition cond, gpointer user_data)
{
  /* Level-triggered: one read per wake-up keeps sources fair; if more is
   * waiting, poll wakes us again at once. */
  read_once (user_data);
  return G_SOURCE_CONTINUE;
}

void
fh_pipe_reader_drain (FhPipeReader *self, guint max_reads)
{
  for (guint i = 0; i < max_reads && read_once (self); i++)
    ;
}

gboolean
fh_pipe_reader_is_open (FhPipeReader *self)
{
  return !self->eof;
}
