/* test-wire.c — length-prefixed framing: whole, split and bad frames. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "fh-error.h"
#include "fh-wire.h"

static GByteArray *
frames_of (const char *const *payloads)
{
  GByteArray *out = g_byte_array_new ();

  for (guint i = 0; payloads[i] != NULL; i++)
    {
      g_autoptr (GError) err = NULL;
      g_assert_true (fh_wire_append_frame (out, payloads[i], strlen (payloads[i]), &err));
      g_assert_no_error (err);
    }
  return out;
}

static GPtrArray *
decode_in_steps (const guint8 *data, gsize len, gsize step)
{
  g_autoptr (FhWireDecoder) dec = fh_wire_decoder_new (FH_WIRE_MAX_FRAME);
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) err = NULL;

  for (gsize off = 0; off < len; off += step)
    {
      const char *payload;
      gsize plen;

      fh_wire_decoder_push (dec, data + off, MIN (step, len - off));
      while (fh_wire_decoder_next (dec, &payload, &plen, &err))
        g_ptr_array_add (got, g_strndup (payload, plen));
      g_assert_no_error (err);
    }
  g_assert_true (fh_wire_decoder_finish (dec, &err));
  g_assert_no_error (err);
  g_assert_cmpuint (fh_wire_decoder_get_n_frames (dec), ==, got->len);
  return got;
}

static void
test_whole_and_partial (void)
{
  const char *payloads[] = { "{\"a\":1}", "{}", "{\"long\":\"" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" "\"}", NULL };
  g_autoptr (GByteArray) bytes = frames_of (payloads);
  /* One byte at a time, awkward sizes, everything at once. */
  gsize steps[] = { 1, 2, 3, 5, 7, 4096 };

  for (guint s = 0; s < G_N_ELEMENTS (steps); s++)
    {
      g_autoptr (GPtrArray) got = decode_in_steps (bytes->data, bytes->len, steps[s]);
      g_assert_cmpuint (got->len, ==, 3);
      for (guint i = 0; i < 3; i++)
        g_assert_cmpstr (g_ptr_array_index (got, i), ==, payloads[i]);
    }
}

static void
test_header_is_big_endian (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autofree char *payload = g_strnfill (0x010203, 'x');

  g_assert_true (fh_wire_append_frame (out, payload, 0x010203, NULL));
  g_assert_cmpuint (out->data[0], ==, 0x00);
  g_assert_cmpuint (out->data[1], ==, 0x01);
  g_assert_cmpuint (out->data[2], ==, 0x02);
  g_assert_cmpuint (out->data[3], ==, 0x03);
  g_assert_cmpuint (out->len, ==, 4 + 0x010203);
}

static void
expect_decode_error (const guint8 *data, gsize len, gsize max, gint code,
                     const char *pattern)
{
  g_autoptr (FhWireDecoder) dec = fh_wire_decoder_new (max);
  g_autoptr (GError) err = NULL;
  g_autoptr (GError) again = NULL;
  const char *payload;
  gsize plen;

  fh_wire_decoder_push (dec, data, len);
  while (fh_wire_decoder_next (dec, &payload, &plen, &err))
    ;
  if (err == NULL)
    fh_wire_decoder_finish (dec, &err);
  g_assert_error (err, FH_PROTOCOL_ERROR, code);
  g_assert_true (g_pattern_match_simple (pattern, err->message));
  /* A poisoned decoder keeps failing, it never resynchronises on junk. */
  if (code != FH_PROTOCOL_ERROR_TRUNCATED)
    {
      fh_wire_decoder_push (dec, "\0\0\0\2{}", 6);
      g_assert_false (fh_wire_decoder_next (dec, &payload, &plen, &again));
      g_assert_error (again, FH_PROTOCOL_ERROR, code);
    }
}

static void
test_zero_length (void)
{
  const guint8 bytes[] = { 0, 0, 0, 2, '{', '}', 0, 0, 0, 0 };

  expect_decode_error (bytes, sizeof bytes, FH_WIRE_MAX_FRAME,
                       FH_PROTOCOL_ERROR_FRAME_EMPTY, "frame 2 (stream byte 6) has length 0");
}

static void
test_too_large (void)
{
  const guint8 huge[] = { 0xff, 0xff, 0xff, 0xff, 'x' };
  const guint8 just_over[] = { 0, 0, 0, 101 };

  expect_decode_error (huge, sizeof huge, FH_WIRE_MAX_FRAME, FH_PROTOCOL_ERROR_FRAME_TOO_LARGE,
                       "frame 1 (stream byte 0) declares 4294967295 bytes, more than the maximum of 16777216");
  expect_decode_error (just_over, sizeof just_over, 100, FH_PROTOCOL_ERROR_FRAME_TOO_LARGE,
                       "*declares 101 bytes*maximum of 100");
}

static void
test_truncated (void)
{
  const guint8 in_header[] = { 0, 0, 0, 2, '{', '}', 0, 0 };
  const guint8 in_payload[] = { 0, 0, 0, 10, '{', '"' };

  expect_decode_error (in_header, sizeof in_header, FH_WIRE_MAX_FRAME,
                       FH_PROTOCOL_ERROR_TRUNCATED, "stream ended inside the header of frame 2 (2 of 4 header bytes)");
  expect_decode_error (in_payload, sizeof in_payload, FH_WIRE_MAX_FRAME,
                       FH_PROTOCOL_ERROR_TRUNCATED, "stream ended inside frame 1: 2 of 10 payload bytes received");
}

static void
test_refuse_unsendable (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GError) err = NULL;

  g_assert_false (fh_wire_append_frame (out, "", 0, &err));
  g_assert_error (err, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_FRAME_EMPTY);
  g_clear_error (&err);
  g_assert_false (fh_wire_append_frame (out, "x", FH_WIRE_MAX_FRAME + 1, &err));
  g_assert_error (err, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_FRAME_TOO_LARGE);
  g_assert_cmpuint (out->len, ==, 0);
}

typedef struct
{
  int fd;
  GByteArray *got;
} SlowReader;

static gpointer
slow_reader (gpointer data)
{
  SlowReader *r = data;
  guint8 buf[1000];
  gssize n;

  /* Small reads with pauses force the writer into short writes/EAGAIN. */
  while ((n = read (r->fd, buf, sizeof buf)) > 0)
    {
      g_byte_array_append (r->got, buf, (guint) n);
      if (r->got->len % 50000 < 1000)
        g_usleep (1000);
    }
  return NULL;
}

/* A 3 MB frame through a non-blocking pipe: fh_wire_write_all must cope
 * with partial writes and EAGAIN, and the decoder must get it back whole. */
static void
test_partial_writes (void)
{
  int fds[2];
  g_autoptr (GError) err = NULL;
  gsize len = 3 * 1024 * 1024;
  g_autofree char *payload = g_strnfill (len, 'p');
  SlowReader r;
  GThread *t;
  g_autoptr (FhWireDecoder) dec = fh_wire_decoder_new (FH_WIRE_MAX_FRAME);
  const char *out;
  gsize olen;

  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_true (g_unix_set_fd_nonblocking (fds[1], TRUE, NULL));
  r.fd = fds[0];
  r.got = g_byte_array_new ();
  t = g_thread_new ("reader", slow_reader, &r);
  {
    g_autoptr (GByteArray) frame = g_byte_array_new ();
    g_assert_true (fh_wire_append_frame (frame, payload, len, &err));
    g_assert_true (fh_wire_write_all (fds[1], frame->data, frame->len, &err));
  }
  g_assert_no_error (err);
  close (fds[1]);
  g_thread_join (t);
  close (fds[0]);
  fh_wire_decoder_push (dec, r.got->data, r.got->len);
  g_assert_true (fh_wire_decoder_next (dec, &out, &olen, &err));
  g_assert_cmpuint (olen, ==, len);
  g_assert_true (memcmp (out, payload, len) == 0);
  g_byte_array_unref (r.got);
}

static void
test_write_to_closed_socket (void)
{
  int sv[2];
  g_autoptr (GError) err = NULL;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
  close (sv[1]);
  /* MSG_NOSIGNAL: an error, not a SIGPIPE that would kill the test. */
  g_assert_false (fh_wire_send_frame (sv[0], "{}", 2, &err));
  g_assert_error (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_IO);
  close (sv[0]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/wire/whole-and-partial-reads", test_whole_and_partial);
  g_test_add_func ("/wire/header-big-endian", test_header_is_big_endian);
  g_test_add_func ("/wire/zero-length", test_zero_length);
  g_test_add_func ("/wire/too-large", test_too_large);
  g_test_add_func ("/wire/truncated", test_truncated);
  g_test_add_func ("/wire/refuse-unsendable", test_refuse_unsendable);
  g_test_add_func ("/wire/partial-writes", test_partial_writes);
  g_test_add_func ("/wire/write-to-closed-socket", test_write_to_closed_socket);
  return g_test_run ();
}
