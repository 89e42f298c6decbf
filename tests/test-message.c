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
  return g_test_run ();
}
