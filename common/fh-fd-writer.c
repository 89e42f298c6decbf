/* fh-fd-writer.c — non-blocking buffered pipe writes. */
#include "config.h"

#include "fh-fd-writer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "fh-source.h"

struct _FhFdWriter
{
  int fd;
  GMainContext *context;
  GByteArray *buf;
  GSource *source;      /* while waiting for the fd to become writable */
  gboolean failed;
  gboolean keep_sigpipe;
  gboolean socket;
  FhFdWriterErrorFunc on_error;
  gpointer user_data;
};

FhFdWriter *
fh_fd_writer_new (int fd, GMainContext *context, FhFdWriterErrorFunc on_error,
                  gpointer user_data)
{
  FhFdWriter *self = g_new0 (FhFdWriter, 1);

  self->fd = fd;
  self->context = context != NULL ? g_main_context_ref (context) : NULL;
  self->buf = g_byte_array_new ();
  self->on_error = on_error;
  self->user_data = user_data;
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  return self;
}

void
fh_fd_writer_keep_sigpipe (FhFdWriter *self)
{
  self->keep_sigpipe = TRUE;
}

void
fh_fd_writer_set_socket (FhFdWriter *self)
{
  self->socket = TRUE;
}

/* One write of @len bytes, as the fd wants it. */
static gssize write_some (FhFdWriter *self, const void *data, gsize len);

/* write(), with SIGPIPE kept from the process (see the header): two
 * syscalls more per write, none on the failure's way. */
static gssize
write_keeping_sigpipe (int fd, const void *data, gsize len)
{
  sigset_t pipe_only, old;
  gssize n;
  int saved;

  sigemptyset (&pipe_only);
  sigaddset (&pipe_only, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_only, &old);
  n = write (fd, data, len);
  saved = errno;
  if (n < 0 && saved == EPIPE && !sigismember (&old, SIGPIPE))
    {
      const struct timespec now = { 0, 0 };
      /* Ours, pending on this thread: taken back, never delivered. */
      while (sigtimedwait (&pipe_only, NULL, &now) < 0 && errno == EINTR)
        ;
    }
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  errno = saved;
  return n;
}

static void
stop_watching (FhFdWriter *self)
{
  fh_source_clear (&self->source);
}

void
fh_fd_writer_free (FhFdWriter *self)
{
  if (self == NULL)
    return;
  stop_watching (self);
  g_byte_array_unref (self->buf);
  if (self->context != NULL)
    g_main_context_unref (self->context);
  g_free (self);
}

static gboolean
on_writable (int fd, GIOCondition cond, gpointer user_data)
{
  /* fh_fd_writer_flush() removes this source once the buffer is empty. */
  fh_fd_writer_flush (user_data);
  return G_SOURCE_CONTINUE;
}

static void
wait_writable (FhFdWriter *self)
{
  if (self->source != NULL)
    return;
  self->source = g_unix_fd_source_new (self->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP);
  g_source_set_callback (self->source, G_SOURCE_FUNC (on_writable), self, NULL);
  g_source_set_can_recurse (self->source, TRUE);  /* see fh-pipe-reader.c */
  g_source_attach (self->source, self->context);
}

static gssize
write_some (FhFdWriter *self, const void *data, gsize len)
{
  if (self->socket)
    return send (self->fd, data, len, MSG_NOSIGNAL);
  if (self->keep_sigpipe)
    return write_keeping_sigpipe (self->fd, data, len);
  return write (self->fd, data, len);
}

void
fh_fd_writer_flush (FhFdWriter *self)
{
  gsize done = 0;
  int failed_errno = 0;

  while (done < self->buf->len && !self->failed)
    {
      gssize n = write_some (self, self->buf->data + done, self->buf->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n < 0)
        {
          failed_errno = errno;
          break;
        }
      done += (gsize) n;
    }
  /* What went out leaves the buffer even when a later write failed: what
   * is pending then is exactly what the reader never got. */
  if (done > 0)
    g_byte_array_remove_range (self->buf, 0, (guint) done);
  if (failed_errno != 0)
    {
      self->failed = TRUE;
      stop_watching (self);
      if (self->on_error != NULL)
        self->on_error (failed_errno, self->user_data);
      return;
    }
  if (self->buf->len > 0 && !self->failed)
    wait_writable (self);
  else
    stop_watching (self);
}

void
fh_fd_writer_write (FhFdWriter *self, const void *data, gsize len)
{
  if (self->failed)
    return;
  g_byte_array_append (self->buf, data, (guint) len);
  fh_fd_writer_flush (self);
}

GByteArray *
fh_fd_writer_get_buffer (FhFdWriter *self)
{
  return self->buf;
}

gsize
fh_fd_writer_get_pending (FhFdWriter *self)
{
  return self->buf->len;
}
