/* fh-message-compact.c — command and result messages as compact frames.
 *
 * Every command costs one command and one result message; as JSON each
 * took ~40,000 instructions to parse and ~20,000 to build on each side
 * (json-glib builds a hash table and a node per member).  These two go as
 * fixed binary fields instead (docs/protocol.md "Compact frames"); every
 * field is still checked, lengths against what is left of the payload, so
 * a bad frame is a protocol error naming its field, never a crash or an
 * allocation a corrupt length asked for.
 */
#include "config.h"

#include "fh-message.h"

#include <string.h>

#include "fh-error.h"
#include "fh-json.h"
#include "fh-wire.h"

#define MAX_STDERR_LINES 1000

/* ---- writing ------------------------------------------------------------ */

static void
put_u8 (GByteArray *out, guint8 v)
{
  g_byte_array_append (out, &v, 1);
}

static void
put_u32 (GByteArray *out, guint32 v)
{
  guint32 be = GUINT32_TO_BE (v);
  g_byte_array_append (out, (const guint8 *) &be, 4);
}

static void
put_i64 (GByteArray *out, gint64 v)
{
  guint64 be = GUINT64_TO_BE ((guint64) v);
  g_byte_array_append (out, (const guint8 *) &be, 8);
}

static void
put_string (GByteArray *out, const char *s)
{
  gsize len = s ? strlen (s) : 0;

  put_u32 (out, (guint32) len);
  g_byte_array_append (out, (const guint8 *) s, (guint) len);
}

/* An item has a compact form when it holds nothing but these three. */
static gboolean
item_is_compact (JsonObject *item)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, item);
  while (json_object_iter_next (&iter, &name, &node))
    if (!(strcmp (name, "index") == 0 && fh_json_is_value_of (node, G_TYPE_INT64) &&
          json_node_get_int (node) >= 0) &&
        !(strcmp (name, "name") == 0 && fh_json_is_value_of (node, G_TYPE_STRING)) &&
        !(strcmp (name, "frames") == 0 && fh_json_is_array_of (node, G_TYPE_INT64)))
      return FALSE;
  return TRUE;
}

gboolean
fh_message_can_be_compact (const FhMessage *msg)
{
  /* (A success with an empty traceback has none in a compact frame: it
   * goes as JSON, so nothing is changed on the way.) */
  if (msg->type == FH_MESSAGE_RESULT)
    return msg->stderr_lines >= 0 && msg->stderr_lines <= MAX_STDERR_LINES &&
           msg->code >= G_MININT32 && msg->code <= G_MAXINT32 &&
           !(msg->status == FH_STATUS_OK && msg->traceback != NULL && *msg->traceback == '\0');
  return msg->type == FH_MESSAGE_COMMAND && (msg->item == NULL || item_is_compact (msg->item));
}

/* An item's fields: @index (< 0: none), @name and @frames (of gint64)
 * nullable. */
static void
put_item (GByteArray *out, gint64 index, const char *name, const GArray *frames)
{
  put_u8 (out, FH_WIRE_ITEM_PRESENT | (index >= 0 ? FH_WIRE_ITEM_HAS_INDEX : 0) |
               (name ? FH_WIRE_ITEM_HAS_NAME : 0) | (frames ? FH_WIRE_ITEM_HAS_FRAMES : 0));
  if (index >= 0)
    put_i64 (out, index);
  if (name != NULL)
    put_string (out, name);
  if (frames != NULL)
    {
      put_u32 (out, frames->len);
      for (guint i = 0; i < frames->len; i++)
        put_i64 (out, g_array_index (frames, gint64, i));
    }
}

/* A JSON item (checked by item_is_compact: an index is never negative). */
static void
put_json_item (GByteArray *out, JsonObject *item)
{
  JsonNode *index = json_object_get_member (item, "index");
  JsonNode *name = json_object_get_member (item, "name");
  JsonNode *frames = json_object_get_member (item, "frames");
  JsonArray *list = frames ? json_node_get_array (frames) : NULL;
  guint n = list ? json_array_get_length (list) : 0;
  g_autoptr (GArray) values = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);

  for (guint i = 0; i < n; i++)
    {
      gint64 v = json_array_get_int_element (list, i);

      g_array_append_val (values, v);
    }
  put_item (out, index ? json_node_get_int (index) : -1, name ? json_node_get_string (name) : NULL,
            frames ? values : NULL);
}

static void
put_command (GByteArray *out, const FhMessage *msg)
{
  put_u8 (out, FH_WIRE_COMPACT_COMMAND);
  put_u8 (out, (guint8) msg->phase);
  put_i64 (out, msg->seq);
  put_string (out, msg->command);
  if (msg->item != NULL)
    put_json_item (out, msg->item);
  else if (msg->has_item)   /* (the fields of a compact command a relay passes on) */
    put_item (out, msg->item_index, msg->item_name, msg->item_frames);
  else
    put_u8 (out, 0);
}

static void
put_result (GByteArray *out, const FhMessage *msg)
{
  put_u8 (out, FH_WIRE_COMPACT_RESULT);
  put_u8 (out, (msg->status == FH_STATUS_FAILED ? FH_WIRE_RESULT_FAILED : 0) |
               (msg->has_code ? FH_WIRE_RESULT_HAS_CODE : 0) |
               (msg->final ? FH_WIRE_RESULT_FINAL : 0));
  put_i64 (out, msg->seq);
  put_u32 (out, (guint32) (gint32) (msg->has_code ? msg->code : 0));
  put_u32 (out, (guint32) msg->stderr_lines);
  put_string (out, msg->traceback);
}

gboolean
fh_message_append_compact_frame (const FhMessage *msg, GByteArray *out, GError **error)
{
  guint start = out->len;
  guint32 be;

  g_return_val_if_fail (fh_message_can_be_compact (msg), FALSE);
  g_byte_array_set_size (out, start + FH_WIRE_HEADER_SIZE);
  if (msg->type == FH_MESSAGE_COMMAND)
    put_command (out, msg);
  else
    put_result (out, msg);
  if (out->len - start - FH_WIRE_HEADER_SIZE > FH_WIRE_MAX_FRAME)
    {
      g_byte_array_set_size (out, start);
      return fh_throw (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_FRAME_TOO_LARGE,
                       "a compact '%s' frame of more than %u bytes",
                       fh_message_type_to_string (msg->type), FH_WIRE_MAX_FRAME);
    }
  be = GUINT32_TO_BE (out->len - start - FH_WIRE_HEADER_SIZE);
  memcpy (out->data + start, &be, 4);
  return TRUE;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct
{
  const guint8 *p;
  gsize left;
  const char *type;
} Cursor;

static gboolean
short_frame (const Cursor *c, const char *field, GError **error)
{
  return fh_throw (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_MESSAGE,
                   "compact '%s' frame: field '%s' runs past the end of the frame "
                   "(%" G_GSIZE_FORMAT " bytes left)", c->type, field, c->left);
}

static gboolean
bad (const Cursor *c, const char *field, const char *want, GError **error)
{
  return fh_throw (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_MESSAGE,
                   "compact '%s' frame: field '%s' must be %s", c->type, field, want);
}

static gboolean
get_bytes (Cursor *c, const char *field, gsize n, const guint8 **out, GError **error)
{
  if (c->left < n)
    return short_frame (c, field, error);
  *out = c->p;
  c->p += n;
  c->left -= n;
  return TRUE;
}

static gboolean
get_u8 (Cursor *c, const char *field, guint8 *out, GError **error)
{
  const guint8 *b = NULL;

  if (!get_bytes (c, field, 1, &b, error))
    return FALSE;
  *out = *b;
  return TRUE;
}

static gboolean
get_u32 (Cursor *c, const char *field, guint32 *out, GError **error)
{
  const guint8 *b = NULL;

  if (!get_bytes (c, field, 4, &b, error))
    return FALSE;
  *out = (guint32) b[0] << 24 | (guint32) b[1] << 16 | (guint32) b[2] << 8 | b[3];
  return TRUE;
}

static gboolean
get_i64 (Cursor *c, const char *field, gint64 *out, GError **error)
{
  const guint8 *b = NULL;
  guint64 v = 0;

  if (!get_bytes (c, field, 8, &b, error))
    return FALSE;
  for (int i = 0; i < 8; i++)
    v = v << 8 | b[i];
  *out = (gint64) v;
  return TRUE;
}

/* A length-prefixed UTF-8 string (NUL bytes refused: C strings carry it). */
static gboolean
get_string (Cursor *c, const char *field, char **out, GError **error)
{
  const guint8 *b = NULL;
  const char *end;
  guint32 len;

  if (!get_u32 (c, field, &len, error) || !get_bytes (c, field, len, &b, error))
    return FALSE;
  if (!g_utf8_validate_len ((const char *) b, len, &end) || memchr (b, '\0', len) != NULL)
    return bad (c, field, "UTF-8 text without NUL bytes", error);
  *out = g_strndup ((const char *) b, len);
  return TRUE;
}

static gboolean
get_seq (Cursor *c, FhMessage *msg, GError **error)
{
  if (!get_i64 (c, "seq", &msg->seq, error))
    return FALSE;
  return msg->seq >= 1 || bad (c, "seq", "an integer from 1", error);
}

static gboolean
get_frames (Cursor *c, FhMessage *msg, GError **error)
{
  guint32 n;

  if (!get_u32 (c, "item.frames", &n, error))
    return FALSE;
  /* Checked before allocating: a corrupt count asks for nothing. */
  if (c->left / 8 < n)
    return short_frame (c, "item.frames", error);
  msg->item_frames = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  for (guint32 i = 0; i < n; i++)
    {
      gint64 frame;
      get_i64 (c, "item.frames", &frame, NULL);
      g_array_append_val (msg->item_frames, frame);
    }
  return TRUE;
}

static gboolean
get_item (Cursor *c, FhMessage *msg, GError **error)
{
  const guint8 known = FH_WIRE_ITEM_PRESENT | FH_WIRE_ITEM_HAS_INDEX | FH_WIRE_ITEM_HAS_NAME |
                       FH_WIRE_ITEM_HAS_FRAMES;
  guint8 flags;

  msg->item_index = -1;
  if (!get_u8 (c, "item", &flags, error))
    return FALSE;
  if ((flags & ~known) != 0 || (flags != 0 && !(flags & FH_WIRE_ITEM_PRESENT)))
    return bad (c, "item", "flags 0 or 0x01 with 0x02, 0x04, 0x08", error);
  msg->has_item = flags != 0;
  if ((flags & FH_WIRE_ITEM_HAS_INDEX) && !get_i64 (c, "item.index", &msg->item_index, error))
    return FALSE;
  if ((flags & FH_WIRE_ITEM_HAS_INDEX) && msg->item_index < 0)
    return bad (c, "item.index", "an integer from 0", error);
  if ((flags & FH_WIRE_ITEM_HAS_NAME) && !get_string (c, "item.name", &msg->item_name, error))
    return FALSE;
  return !(flags & FH_WIRE_ITEM_HAS_FRAMES) || get_frames (c, msg, error);
}

static gboolean
get_command (Cursor *c, FhMessage *msg, GError **error)
{
  guint8 phase;

  if (!get_u8 (c, "phase", &phase, error))
    return FALSE;
  if (phase > FH_PHASE_TEARDOWN)
    return bad (c, "phase", "0 (setup), 1 (agenda) or 2 (teardown)", error);
  msg->phase = phase;
  return get_seq (c, msg, error) && get_string (c, "command", &msg->command, error) &&
         get_item (c, msg, error);
}

static gboolean
get_result (Cursor *c, FhMessage *msg, GError **error)
{
  const guint8 known = FH_WIRE_RESULT_FAILED | FH_WIRE_RESULT_HAS_CODE | FH_WIRE_RESULT_FINAL;
  guint8 flags;
  guint32 code, lines;

  if (!get_u8 (c, "flags", &flags, error))
    return FALSE;
  if ((flags & ~known) != 0)
    return bad (c, "flags", "a combination of 0x01, 0x02 and 0x04", error);
  if (!get_seq (c, msg, error) || !get_u32 (c, "code", &code, error) ||
      !get_u32 (c, "stderr_lines", &lines, error) ||
      !get_string (c, "traceback", &msg->traceback, error))
    return FALSE;
  if (!(flags & FH_WIRE_RESULT_HAS_CODE) && code != 0)
    return bad (c, "code", "0 when the result has no code", error);
  if (lines > MAX_STDERR_LINES)
    return bad (c, "stderr_lines", "an integer from 0 to 1000", error);
  msg->status = flags & FH_WIRE_RESULT_FAILED ? FH_STATUS_FAILED : FH_STATUS_OK;
  msg->has_code = (flags & FH_WIRE_RESULT_HAS_CODE) != 0;
  msg->final = (flags & FH_WIRE_RESULT_FINAL) != 0;
  msg->code = (gint32) code;
  msg->stderr_lines = lines;
  /* As in JSON, a success need not explain itself. */
  if (msg->status == FH_STATUS_OK && *msg->traceback == '\0')
    g_clear_pointer (&msg->traceback, g_free);
  return TRUE;
}

gboolean
fh_message_payload_is_compact (const char *payload, gsize len)
{
  return len > 0 && (payload[0] == FH_WIRE_COMPACT_COMMAND || payload[0] == FH_WIRE_COMPACT_RESULT);
}

FhMessage *
fh_message_parse_compact (const char *payload, gsize len, GError **error)
{
  Cursor c = { (const guint8 *) payload, len, "?" };
  g_autoptr (FhMessage) msg = NULL;
  guint8 tag;
  gboolean ok;

  if (!get_u8 (&c, "tag", &tag, error))
    return NULL;
  if (tag != FH_WIRE_COMPACT_COMMAND && tag != FH_WIRE_COMPACT_RESULT)
    return fh_throw_null (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_MESSAGE,
                          "unknown compact frame tag 0x%02x", tag);
  msg = fh_message_new (tag == FH_WIRE_COMPACT_COMMAND ? FH_MESSAGE_COMMAND : FH_MESSAGE_RESULT);
  msg->compact = FH_WIRE_COMPACT_VERSION;
  c.type = fh_message_type_to_string (msg->type);
  ok = tag == FH_WIRE_COMPACT_COMMAND ? get_command (&c, msg, error) : get_result (&c, msg, error);
  if (!ok)
    return NULL;
  if (c.left != 0)
    return fh_throw_null (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_MESSAGE,
                          "compact '%s' frame: %" G_GSIZE_FORMAT " bytes after its last field",
                          c.type, c.left);
  return g_steal_pointer (&msg);
}
