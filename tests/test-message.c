/* test-message.c — protocol messages: valid ones round-trip, bad ones get
 * an error naming the problem. */
#include "config.h"

#include "fh-error.h"
#include "fh-message.h"

static FhMessage *
parse (const char *json, GError **error)
{
  return fh_message_parse (json, strlen (json), error);
}

static void
test_roundtrip (void)
{
  g_autoptr (JsonObject) item = json_object_new ();
  g_autoptr (FhMessage) cmd = NULL;
  g_autoptr (FhMessage) back = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree char *json = NULL;

  json_object_set_string_member (item, "name", "1-4");
  cmd = fh_message_new_command (7, FH_PHASE_AGENDA, "echo \"hi\"\n", item);
  json = fh_message_to_json (cmd, NULL);
  back = parse (json, &err);
  g_assert_no_error (err);
  g_assert_cmpint (back->type, ==, FH_MESSAGE_COMMAND);
  g_assert_cmpint (back->seq, ==, 7);
  g_assert_cmpint (back->phase, ==, FH_PHASE_AGENDA);
  g_assert_cmpstr (back->command, ==, "echo \"hi\"\n");
  g_assert_cmpstr (json_object_get_string_member (back->item, "name"), ==, "1-4");
}

/* The stdio channel's messages, both ways. */
static void
test_channel_messages (void)
{
  g_autoptr (FhMessage) stream = fh_message_new (FH_MESSAGE_STREAM);
  g_autoptr (FhMessage) sig = fh_message_new_signal (FH_SIGNAL_TERMINATE);
  g_autoptr (FhMessage) beat = fh_message_new (FH_MESSAGE_HEARTBEAT);
  FhMessage *msgs[] = { stream, sig, beat };

  stream->stream = FH_STREAM_STDERR;
  stream->text = g_strdup ("Fra:1 ü\n");
  for (guint i = 0; i < G_N_ELEMENTS (msgs); i++)
    {
      g_autoptr (GError) err = NULL;
      g_autofree char *json = fh_message_to_json (msgs[i], NULL);
      g_autoptr (FhMessage) back = parse (json, &err);

      g_assert_no_error (err);
      g_assert_cmpint (back->type, ==, msgs[i]->type);
      g_assert_cmpint (back->stream, ==, msgs[i]->stream);
      g_assert_cmpint (back->signal, ==, msgs[i]->signal);
      g_assert_cmpstr (back->text, ==, msgs[i]->text);
    }
}

/* The stdio channel's opening message: token, environment (an entry's
 * value may hold '='), directory and heartbeat survive the round trip;
 * one without a token or with a malformed environment is refused. */
static void
test_channel_opening (void)
{
  const char *const env[] = { "SHOT=sh010", "EXPR=a=b", "EMPTY=", NULL };
  g_autoptr (FhMessage) msg = fh_message_new_channel ("0123abcd", env, "/proj/sh010", 2);
  g_autofree char *json = fh_message_to_json (msg, NULL);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhMessage) back = parse (json, &err);
  const char *const bad[] = {
    "{\"type\": \"channel\", \"env\": {}}",
    "{\"type\": \"channel\", \"token\": \"t\"}",
    "{\"type\": \"channel\", \"token\": \"t\", \"env\": {\"A\": 1}}",
    "{\"type\": \"channel\", \"token\": \"t\", \"env\": {\"A=B\": \"c\"}}",
    "{\"type\": \"channel\", \"token\": \"t\", \"env\": {}, \"heartbeat_s\": 0}",
  };

  g_assert_no_error (err);
  g_assert_cmpint (back->type, ==, FH_MESSAGE_CHANNEL);
  g_assert_cmpstr (back->token, ==, "0123abcd");
  g_assert_cmpstrv (back->env, env);
  g_assert_cmpstr (back->cwd, ==, "/proj/sh010");
  g_assert_cmpint (back->heartbeat_s, ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (FhMessage) m = parse (bad[i], &e);
      g_assert_null (m);
      g_assert_error (e, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_MESSAGE);
    }
}

static void
test_valid (void)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhMessage) hello = parse ("{\"type\":\"hello\",\"protocol\":1,\"pid\":42,\"kind\":\"shell\",\"future\":true}", &err);
  g_autoptr (FhMessage) ok = parse ("{\"type\":\"result\",\"seq\":3,\"status\":0}", &err);
  g_autoptr (FhMessage) bad = parse ("{\"type\":\"result\",\"seq\":4,\"status\":1,\"traceback\":\"tb\",\"code\":3}", &err);
  g_autoptr (FhMessage) prog = parse ("{\"type\":\"progress\",\"seq\":4,\"fraction\":1}", &err);

  g_assert_no_error (err);
  g_assert_cmpint (hello->pid, ==, 42);
  g_assert_cmpstr (hello->kind, ==, "shell");
  g_assert_cmpint (ok->status, ==, FH_STATUS_OK);
  g_assert_cmpstr (bad->traceback, ==, "tb");
  g_assert_true (bad->has_code);
  g_assert_cmpint (bad->code, ==, 3);
  g_assert_false (ok->has_code);
  g_assert_cmpfloat (prog->fraction, ==, 1.0);
}

static const struct
{
  const char *json;
  gint code;
  const char *pattern;
} bad_cases[] = {
  { "{\"type\":\"stream\",\"stream\":\"stdin\",\"data\":\"x\"}", FH_PROTOCOL_ERROR_BAD_MESSAGE,
    "'stream' message: field 'stream' must be \"stdout\" or \"stderr\" (got a string)" },
  { "{\"type\":\"stream\",\"stream\":\"stdout\"}", FH_PROTOCOL_ERROR_BAD_MESSAGE,
    "'stream' message: field 'data' must be a string (got *)" },
  { "{\"type\":\"signal\",\"signal\":\"hangup\"}", FH_PROTOCOL_ERROR_BAD_MESSAGE,
    "'signal' message: field 'signal' must be \"interrupt\", \"terminate\" or \"kill\" (got a string)" },
  { "[1,2]", FH_PROTOCOL_ERROR_BAD_JSON, "payload of 5 bytes: expected a JSON object, got an array" },
  { "{\"type\":", FH_PROTOCOL_ERROR_BAD_JSON, "payload of 8 bytes: not JSON: *" },
  { "{\"seq\":1}", FH_PROTOCOL_ERROR_BAD_MESSAGE, "*field 'type' must be a string (got nothing)*" },
  { "{\"type\":\"resul\"}", FH_PROTOCOL_ERROR_BAD_MESSAGE, "unknown message type 'resul'" },
  { "{\"type\":\"result\",\"seq\":\"1\",\"status\":0}", FH_PROTOCOL_ERROR_BAD_MESSAGE, "'result' message: field 'seq' must be an integer from 1*(got a string)" },
  { "{\"type\":\"result\",\"seq\":0,\"status\":0}", FH_PROTOCOL_ERROR_BAD_MESSAGE, "*field 'seq'*" },
  { "{\"type\":\"result\",\"seq\":1,\"status\":2}", FH_PROTOCOL_ERROR_BAD_MESSAGE, "*field 'status' must be an integer from 0 to 1*" },
  { "{\"type\":\"result\",\"seq\":1,\"status\":1}", FH_PROTOCOL_ERROR_BAD_MESSAGE, "*field 'traceback' must be a string (got nothing)" },
  { "{\"type\":\"command\",\"seq\":1,\"phase\":\"render\",\"command\":\"x\"}", FH_PROTOCOL_ERROR_BAD_MESSAGE, "*field 'phase' must be \"setup\", \"agenda\" or \"teardown\"*" },
  { "{\"type\":\"progress\",\"seq\":1,\"fraction\":1.5}", FH_PROTOCOL_ERROR_BAD_MESSAGE, "*'fraction' must be a number from 0 to 1*" },
  { "{\"type\":\"hello\",\"protocol\":1,\"pid\":-5,\"kind\":\"x\"}", FH_PROTOCOL_ERROR_BAD_MESSAGE, "*'pid'*" },
};

static void
test_bad (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autoptr (GError) err = NULL;
      g_autoptr (FhMessage) msg = parse (bad_cases[i].json, &err);

      g_assert_null (msg);
      g_assert_error (err, FH_PROTOCOL_ERROR, bad_cases[i].code);
      if (!g_pattern_match_simple (bad_cases[i].pattern, err->message))
        g_error ("case %u: message '%s' does not match '%s'", i, err->message,
                 bad_cases[i].pattern);
    }
}

static void
test_bad_utf8 (void)
{
  const char bytes[] = "{\"type\":\"log\",\"seq\":1,\"message\":\"\xff\"}";
  g_autoptr (GError) err = NULL;
  g_autoptr (FhMessage) msg = fh_message_parse (bytes, sizeof bytes - 1, &err);

  g_assert_null (msg);
  g_assert_error (err, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_UTF8);
  g_assert_true (g_pattern_match_simple ("*bad byte 0xff at offset 33*", err->message));
}

static void
test_embedded_nul (void)
{
  const char bytes[] = "{\"type\":\"hello\"}\0garbage";
  g_autoptr (GError) err = NULL;
  g_autoptr (FhMessage) msg = fh_message_parse (bytes, sizeof bytes - 1, &err);

  g_assert_null (msg);
  g_assert_error (err, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_UTF8);
}

/* ---- compact frames ---------------------------------------------------- */

/* @msg framed compactly, then parsed back from the payload. */
static FhMessage *
compact_roundtrip (FhMessage *msg, GByteArray *frame)
{
  g_autoptr (GError) err = NULL;
  FhMessage *back;

  msg->compact = 1;
  g_assert_true (fh_message_can_be_compact (msg));
  g_assert_true (fh_message_append_frame (msg, frame, &err));
  g_assert_no_error (err);
  g_assert_true (fh_message_payload_is_compact ((const char *) frame->data + 4, frame->len - 4));
  back = fh_message_parse ((const char *) frame->data + 4, frame->len - 4, &err);
  g_assert_no_error (err);
  g_assert_cmpint (back->compact, ==, 1);
  return back;
}

static void
test_compact_command (void)
{
  g_autoptr (JsonObject) item = json_object_new ();
  JsonArray *frames = json_array_new ();
  g_autoptr (FhMessage) cmd = NULL;
  g_autoptr (FhMessage) back = NULL;
  g_autoptr (FhMessage) again = NULL;
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  g_autoptr (GByteArray) frame2 = g_byte_array_new ();
  g_autofree char *json = NULL;

  json_object_set_int_member (item, "index", 41);
  json_object_set_string_member (item, "name", "sh010 ü");
  json_array_add_int_element (frames, -3);
  json_array_add_int_element (frames, G_MAXINT64);
  json_object_set_array_member (item, "frames", frames);
  cmd = fh_message_new_command (G_MAXINT64, FH_PHASE_AGENDA, "render \"$F\"\n", item);
  back = compact_roundtrip (cmd, frame);
  g_assert_cmpint (back->type, ==, FH_MESSAGE_COMMAND);
  g_assert_cmpint (back->seq, ==, G_MAXINT64);
  g_assert_cmpint (back->phase, ==, FH_PHASE_AGENDA);
  g_assert_cmpstr (back->command, ==, "render \"$F\"\n");
  g_assert_true (back->has_item);
  g_assert_cmpint (back->item_index, ==, 41);
  g_assert_cmpstr (back->item_name, ==, "sh010 ü");
  g_assert_cmpuint (back->item_frames->len, ==, 2);
  g_assert_cmpint (g_array_index (back->item_frames, gint64, 0), ==, -3);
  g_assert_cmpint (g_array_index (back->item_frames, gint64, 1), ==, G_MAXINT64);
  /* Its JSON form (what FARMHAND_DEBUG=protocol shows) has the item. */
  json = fh_message_to_json (back, NULL);
  g_assert_cmpstr (json, ==, "{\"type\":\"command\",\"seq\":9223372036854775807,\"phase\":\"agenda\","
                   "\"command\":\"render \\\"$F\\\"\\n\",\"item\":{\"index\":41,\"name\":\"sh010 ü\","
                   "\"frames\":[-3,9223372036854775807]}}");
  /* A relay passes a decoded one on unchanged. */
  again = compact_roundtrip (back, frame2);
  g_assert_cmpmem (frame->data, frame->len, frame2->data, frame2->len);
}

static void
test_compact_command_no_item (void)
{
  g_autoptr (FhMessage) cmd = fh_message_new_command (1, FH_PHASE_TEARDOWN, "", NULL);
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  g_autoptr (FhMessage) back = compact_roundtrip (cmd, frame);
  g_autofree char *json = fh_message_to_json (back, NULL);

  g_assert_false (back->has_item);
  g_assert_cmpint (back->phase, ==, FH_PHASE_TEARDOWN);
  g_assert_cmpstr (json, ==, "{\"type\":\"command\",\"seq\":1,\"phase\":\"teardown\",\"command\":\"\","
                   "\"item\":null}");
}

/* An item with anything but index, name and frames goes as JSON. */
static void
test_compact_falls_back (void)
{
  g_autoptr (JsonObject) item = json_object_new ();
  g_autoptr (FhMessage) cmd = NULL;
  g_autoptr (GByteArray) frame = g_byte_array_new ();

  json_object_set_string_member (item, "name", "1");
  json_object_set_string_member (item, "shot", "sh010");
  cmd = fh_message_new_command (1, FH_PHASE_AGENDA, "x", item);
  cmd->compact = 1;
  g_assert_false (fh_message_can_be_compact (cmd));
  g_assert_true (fh_message_append_frame (cmd, frame, NULL));
  g_assert_cmpint (frame->data[4], ==, '{');
}

static void
test_compact_result (void)
{
  g_autoptr (FhMessage) ok = fh_message_new_result (3, FH_STATUS_OK, NULL);
  g_autoptr (FhMessage) failed = fh_message_new_result (4, FH_STATUS_FAILED, "Traceback…\nValueError: x\n");
  g_autoptr (GByteArray) f1 = g_byte_array_new ();
  g_autoptr (GByteArray) f2 = g_byte_array_new ();
  g_autoptr (FhMessage) b1 = NULL;
  g_autoptr (FhMessage) b2 = NULL;

  b1 = compact_roundtrip (ok, f1);
  g_assert_cmpint (b1->type, ==, FH_MESSAGE_RESULT);
  g_assert_cmpint (b1->status, ==, FH_STATUS_OK);
  g_assert_null (b1->traceback);
  g_assert_false (b1->has_code);
  g_assert_false (b1->final);
  failed->has_code = TRUE;
  failed->code = -2;
  failed->stderr_lines = 1000;
  failed->final = TRUE;
  b2 = compact_roundtrip (failed, f2);
  g_assert_cmpint (b2->seq, ==, 4);
  g_assert_cmpint (b2->status, ==, FH_STATUS_FAILED);
  g_assert_cmpstr (b2->traceback, ==, "Traceback…\nValueError: x\n");
  g_assert_true (b2->has_code);
  g_assert_cmpint (b2->code, ==, -2);
  g_assert_cmpint (b2->stderr_lines, ==, 1000);
  g_assert_true (b2->final);
}

/* Every prefix of a good frame is an error naming a field, never a crash
 * or a read past the end (ASan and valgrind run this). */
static void
test_compact_truncated (void)
{
  g_autoptr (JsonObject) item = json_object_new ();
  JsonArray *frames = json_array_new ();
  g_autoptr (FhMessage) cmd = NULL;
  g_autoptr (GByteArray) frame = g_byte_array_new ();

  json_object_set_string_member (item, "name", "1-2");
  json_array_add_int_element (frames, 1);
  json_array_add_int_element (frames, 2);
  json_object_set_array_member (item, "frames", frames);
  json_object_set_int_member (item, "index", 0);
  cmd = fh_message_new_command (2, FH_PHASE_AGENDA, "echo", item);
  cmd->compact = 1;
  g_assert_true (fh_message_append_frame (cmd, frame, NULL));
  for (guint len = 1; len < frame->len - 4; len++)
    {
      g_autoptr (GError) err = NULL;
      g_autofree guint8 *copy = g_memdup2 (frame->data + 4, len);
      g_autoptr (FhMessage) msg = fh_message_parse ((const char *) copy, len, &err);

      g_assert_null (msg);
      g_assert_error (err, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_MESSAGE);
      g_assert_true (g_pattern_match_simple ("compact 'command' frame: field '*' runs past the end*",
                                             err->message));
    }
}

static void
test_compact_bad (void)
{
  static const struct
  {
    const char *bytes;
    gsize len;
    const char *pattern;
  } cases[] = {
#define C(b, p) { b, sizeof b - 1, p }
    C ("\x01\x03\0\0\0\0\0\0\0\x01\0\0\0\0\0", "*field 'phase' must be 0 (setup), 1 (agenda) or 2 (teardown)"),
    C ("\x01\x01\0\0\0\0\0\0\0\0\0\0\0\0\0", "*field 'seq' must be an integer from 1"),
    C ("\x01\x01\0\0\0\0\0\0\0\x01\0\0\0\x01\xff\0", "*field 'command' must be UTF-8 text without NUL bytes"),
    C ("\x01\x01\0\0\0\0\0\0\0\x01\0\0\0\x01\0\0", "*field 'command' must be UTF-8 text without NUL bytes"),
    C ("\x01\x01\0\0\0\0\0\0\0\x01\0\0\0\0\x10", "*field 'item' must be flags*"),
    C ("\x01\x01\0\0\0\0\0\0\0\x01\0\0\0\0\x02\0\0\0\0\0\0\0\0", "*field 'item' must be flags*"),
    C ("\x01\x01\0\0\0\0\0\0\0\x01\0\0\0\0\x03\xff\xff\xff\xff\xff\xff\xff\xff", "*field 'item.index' must be an integer from 0"),
    /* A count of 4 billion frames in a 20-byte frame allocates nothing. */
    C ("\x01\x01\0\0\0\0\0\0\0\x01\0\0\0\0\x09\xff\xff\xff\xff", "*field 'item.frames' runs past the end*"),
    C ("\x01\x01\0\0\0\0\0\0\0\x01\0\0\0\0\0X", "compact 'command' frame: 1 bytes after its last field"),
    C ("\x02\x08\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0", "*field 'flags' must be a combination*"),
    C ("\x02\x00\0\0\0\0\0\0\0\x01\0\0\0\x05\0\0\0\0\0\0\0\0", "*field 'code' must be 0 when the result has no code"),
    C ("\x02\x00\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\x03\xe9\0\0\0\0", "*field 'stderr_lines' must be an integer from 0 to 1000"),
    C ("\x02\x00\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\x05" "ab", "*field 'traceback' runs past the end of the frame (2 bytes left)"),
#undef C
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) err = NULL;
      g_autoptr (FhMessage) msg = fh_message_parse (cases[i].bytes, cases[i].len, &err);

      g_assert_null (msg);
      g_assert_error (err, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_MESSAGE);
      if (!g_pattern_match_simple (cases[i].pattern, err->message))
        g_error ("case %u: message '%s' does not match '%s'", i, err->message, cases[i].pattern);
    }
}

/* The hello says which compact frames an executor reads. */
static void
test_compact_hello (void)
{
  g_autoptr (FhMessage) hello = fh_message_new_hello ("shell", 42, NULL);
  g_autofree char *json = NULL;
  g_autoptr (FhMessage) back = NULL;

  hello->compact = 1;
  json = fh_message_to_json (hello, NULL);
  back = parse (json, NULL);
  g_assert_cmpint (back->compact, ==, 1);
  g_clear_pointer (&back, fh_message_free);
  back = parse ("{\"type\":\"hello\",\"protocol\":1,\"pid\":2,\"kind\":\"x\"}", NULL);
  g_assert_cmpint (back->compact, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/message/roundtrip", test_roundtrip);
  g_test_add_func ("/message/valid", test_valid);
  g_test_add_func ("/message/channel", test_channel_messages);
  g_test_add_func ("/message/channel-opening", test_channel_opening);
  g_test_add_func ("/message/bad", test_bad);
  g_test_add_func ("/message/bad-utf8", test_bad_utf8);
  g_test_add_func ("/message/embedded-nul", test_embedded_nul);
  g_test_add_func ("/message/compact/command", test_compact_command);
  g_test_add_func ("/message/compact/command-no-item", test_compact_command_no_item);
  g_test_add_func ("/message/compact/falls-back", test_compact_falls_back);
  g_test_add_func ("/message/compact/result", test_compact_result);
  g_test_add_func ("/message/compact/truncated", test_compact_truncated);
  g_test_add_func ("/message/compact/bad", test_compact_bad);
  g_test_add_func ("/message/compact/hello", test_compact_hello);
  return g_test_run ();
}
