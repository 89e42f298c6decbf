/* fuzz-wire.c — any byte stream, cut into any chunks, through the frame
 * decoder and the message parser: errors, never a crash or a leak.  A
 * message that parses and has a compact form round-trips through it. */
#include "config.h"

#include <stdint.h>

#include "fh-message.h"
#include "fh-wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Encoding @msg compactly and parsing that gives the same JSON form. */
static void
check_compact (FhMessage *msg)
{
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  g_autoptr (FhMessage) back = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  if (!fh_message_can_be_compact (msg))
    return;
  msg->compact = 1;
  g_assert (fh_message_append_frame (msg, frame, NULL));
  back = fh_message_parse ((const char *) frame->data + 4, frame->len - 4, NULL);
  g_assert (back != NULL);
  before = fh_message_to_json (msg, NULL);
  after = fh_message_to_json (back, NULL);
  g_assert_cmpstr (before, ==, after);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (FhWireDecoder) dec = fh_wire_decoder_new (64 * 1024);
  gsize off = 1;
  /* The first byte picks how the stream is chunked, as reads would. */
  gsize step = size ? (data[0] % 17) + 1 : 1;

  while (off < size)
    {
      g_autoptr (GError) err = NULL;
      const char *payload;
      gsize len, n = MIN (step, size - off);

      fh_wire_decoder_push (dec, data + off, n);
      off += n;
      while (fh_wire_decoder_next (dec, &payload, &len, &err))
        {
          g_autoptr (GError) perr = NULL;
          g_autoptr (FhMessage) msg = fh_message_parse (payload, len, &perr);
          g_assert ((msg == NULL) != (perr == NULL));
          if (msg != NULL)
            check_compact (msg);
        }
      if (err != NULL)
        return 0;
    }
  fh_wire_decoder_finish (dec, NULL);
  return 0;
}
