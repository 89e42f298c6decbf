/* fh-wire.c — length-prefixed framing.
 *
 * The decoder owns one growable buffer with a read offset.  Consumed bytes
 * are dropped lazily (when the dead prefix is at least half the buffer) so
 * that a stream of small frames costs O(1) amortised per byte, and the
 * buffer never holds more than one maximum frame plus one read chunk.
 */
#include "config.h"

#include "fh-wire.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh-error.h"

struct _FhWireDecoder
{
  GByteArray *buf;
  gsize offset;        /* start of unread data in buf */
  gsize max_frame;
  guint64 n_frames;    /* frames returned so far */
  guint64 stream_pos;  /* stream offset of buf->data[offset], for errors */
  GError *poison;      /* first error; repeated on every later call */
};

FhWireDecoder *
fh_wire_decoder_new (gsize max_frame)
{
  FhWireDecoder *self;

  g_return_val_if_fail (max_frame > 0 && max_frame <= FH_WIRE_MAX_FRAME, NULL);
  self = g_new0 (FhWireDecoder, 1);
  self->buf = g_byte_array_new ();
  self->max_frame = max_frame;
  return self;
}

void
fh_wire_decoder_free (FhWireDecoder *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->buf);
  g_clear_error (&self->poison);
  g_free (self);
}

static void
compact (FhWireDecoder *self)
{
  if (self->offset == 0)
    return;
  if (self->offset == self->buf->len)
    g_byte_array_set_size (self->buf, 0);
  else if (self->offset * 2 >= self->buf->len)
    g_byte_array_remove_range (self->buf, 0, self->offset);
  else
    return;
  self->offset = 0;
}

void
fh_wire_decoder_push (FhWireDecoder *self, const void *data, gsize len)
{
  g_return_if_fail (self != NULL);
  if (self->poison != NULL || len == 0)
    return;
  compact (self);
  g_byte_array_append (self->buf, data, len);
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
         ((guint32) p[2] << 8) | (guint32) p[3];
}

static gboolean
poison (FhWireDecoder *self, GError *err, GError **error)
{
  self->poison = err;
  g_propagate_error (error, g_error_copy (err));
  return FALSE;
}

gboolean
fh_wire_decoder_next (FhWireDecoder *self, const char **payload, gsize *len,
                      GError **error)
{
  gsize avail;
  guint32 frame_len;
  const guint8 *p;

  g_return_val_if_fail (self != NULL && payload != NULL && len != NULL, FALSE);
  if (self->poison != NULL)
    {
      g_propagate_error (error, g_error_copy (self->poison));
      return FALSE;
    }
  avail = self->buf->len - self->offset;
  if (avail < FH_WIRE_HEADER_SIZE)
    return FALSE;
  p = self->buf->data + self->offset;
  frame_len = read_be32 (p);
  if (frame_len == 0)
    return poison (self, g_error_new (FH_PROTOCOL_ERROR,
                                      FH_PROTOCOL_ERROR_FRAME_EMPTY,
                                      "frame %" G_GUINT64_FORMAT
                                      " (stream byte %" G_GUINT64_FORMAT
                                      ") has length 0",
                                      self->n_frames + 1, self->stream_pos),
                   error);
  if (frame_len > self->max_frame)
    return poison (self, g_error_new (FH_PROTOCOL_ERROR,
                                      FH_PROTOCOL_ERROR_FRAME_TOO_LARGE,
                                      "frame %" G_GUINT64_FORMAT
                                      " (stream byte %" G_GUINT64_FORMAT
                                      ") declares %u bytes, more than the "
                                      "maximum of %" G_GSIZE_FORMAT,
                                      self->n_frames + 1, self->stream_pos,
                                      frame_len, self->max_frame),
                   error);
  if (avail - FH_WIRE_HEADER_SIZE < frame_len)
    return FALSE;
  *payload = (const char *) p + FH_WIRE_HEADER_SIZE;
  *len = frame_len;
  self->offset += FH_WIRE_HEADER_SIZE + frame_len;
  self->stream_pos += FH_WIRE_HEADER_SIZE + frame_len;
  self->n_frames++;
  return TRUE;
}

gboolean
fh_wire_decoder_finish (FhWireDecoder *self, GError **error)
{
  gsize avail;

  g_return_val_if_fail (self != NULL, FALSE);
  if (self->poison != NULL)
    {
      g_propagate_error (error, g_error_copy (self->poison));
      return FALSE;
    }
  avail = self->buf->len - self->offset;
  if (avail == 0)
    return TRUE;
  if (avail < FH_WIRE_HEADER_SIZE)
    return fh_throw (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_TRUNCATED,
                     "stream ended inside the header of frame %" G_GUINT64_FORMAT
                     " (%" G_GSIZE_FORMAT " of 4 header bytes)",
                     self->n_frames + 1, avail);
  return fh_throw (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_TRUNCATED,
                   "stream ended inside frame %" G_GUINT64_FORMAT
                   ": %" G_GSIZE_FORMAT " of %u payload bytes received",
                   self->n_frames + 1, avail - FH_WIRE_HEADER_SIZE,
                   read_be32 (self->buf->data + self->offset));
}

guint64
fh_wire_decoder_get_n_frames (FhWireDecoder *self)
{
  return self->n_frames;
}

GBytes *
fh_wire_decoder_take_pending (FhWireDecoder *self)
{
  GBytes *rest = g_bytes_new (self->buf->data + self->offset, self->buf->len - self->offset);

  g_byte_array_set_size (self->buf, 0);
  self->offset = 0;
  return rest;
}

static gboolean
check_sendable (gsize len, GError **error)
{
  if (len == 0)
    return fh_throw (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_FRAME_EMPTY,
                     "refusing to send an empty frame");
  if (len > FH_WIRE_MAX_FRAME)
    return fh_throw (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_FRAME_TOO_LARGE,
                     "message of %" G_GSIZE_FORMAT " bytes exceeds the maximum "
                     "frame size of %u bytes", len, FH_WIRE_MAX_FRAME);
  return TRUE;
}

gboolean
fh_wire_append_frame (GByteArray *out, const char *payload, gsize len,
                      GError **error)
{
  guint8 header[FH_WIRE_HEADER_SIZE];

  if (!check_sendable (len, error))
    return FALSE;
  header[0] = (len >> 24) & 0xff;
  header[1] = (len >> 16) & 0xff;
  header[2] = (len >> 8) & 0xff;
  header[3] = len & 0xff;
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, (const guint8 *) payload, len);
  return TRUE;
}

static gboolean
write_loop (int fd, const guint8 *p, gsize len, gboolean is_socket, GError **error)
{
  while (len > 0)
    {
      gssize n = is_socket ? send (fd, p, len, MSG_NOSIGNAL) : write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          struct pollfd pfd = { .fd = fd, .events = POLLOUT };
          if (poll (&pfd, 1, -1) < 0 && errno != EINTR)
            return fh_throw_errno (error, FH_EXECUTOR_ERROR,
                                   FH_EXECUTOR_ERROR_IO, errno,
                                   "waiting to write to fd %d", fd);
          continue;
        }
      if (n < 0)
        return fh_throw_errno (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_IO,
                               errno, "writing to fd %d", fd);
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

gboolean
fh_wire_write_all (int fd, const void *data, gsize len, GError **error)
{
  return write_loop (fd, data, len, FALSE, error);
}

gboolean
fh_wire_send_all (int fd, const void *data, gsize len, GError **error)
{
  return write_loop (fd, data, len, TRUE, error);
}

gboolean
fh_wire_send_frame (int fd, const char *payload, gsize len, GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_sized_new (len + FH_WIRE_HEADER_SIZE);

  if (!fh_wire_append_frame (out, payload, len, error))
    return FALSE;
  return fh_wire_send_all (fd, out->data, out->len, error);
}
