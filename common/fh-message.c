/* fh-message.c — protocol messages to and from JSON. */
#include "config.h"

#include "fh-message.h"

#include <string.h>

#include "fh-error.h"
#include "fh-json.h"
#include "fh-wire.h"

static const char *const type_names[] = {
  [FH_MESSAGE_HELLO] = "hello",
  [FH_MESSAGE_COMMAND] = "command",
  [FH_MESSAGE_RESULT] = "result",
  [FH_MESSAGE_PROGRESS] = "progress",
  [FH_MESSAGE_OUTPUT] = "output",
  [FH_MESSAGE_LOG] = "log",
  [FH_MESSAGE_STREAM] = "stream",
  [FH_MESSAGE_SIGNAL] = "signal",
  [FH_MESSAGE_HEARTBEAT] = "heartbeat",
  [FH_MESSAGE_CHANNEL] = "channel",
  [FH_MESSAGE_EXIT] = "exit",
};

static const char *const signal_names[] = {
  [FH_SIGNAL_INTERRUPT] = "interrupt",
  [FH_SIGNAL_TERMINATE] = "terminate",
  [FH_SIGNAL_KILL] = "kill",
};

/* Indexed by FhStream. */
static const char *const stream_names[] = { NULL, "stdout", "stderr" };

static const char *const phase_names[] = {
  [FH_PHASE_SETUP] = "setup",
  [FH_PHASE_AGENDA] = "agenda",
  [FH_PHASE_TEARDOWN] = "teardown",
};

const char *
fh_message_type_to_string (FhMessageType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (type_names), NULL);
  return type_names[type];
}

const char *
fh_phase_to_string (FhPhase phase)
{
  g_return_val_if_fail ((guint) phase < G_N_ELEMENTS (phase_names), NULL);
  return phase_names[phase];
}

static gboolean
lookup_name (const char *const *names, guint n, const char *name, guint *out)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (names[i], name) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

FhMessage *
fh_message_new (FhMessageType type)
{
  FhMessage *msg = g_new0 (FhMessage, 1);

  msg->type = type;
  msg->item_index = -1;
  return msg;
}

FhMessage *
fh_message_new_hello (const char *kind, gint64 pid, const char *token)
{
  FhMessage *msg = fh_message_new (FH_MESSAGE_HELLO);

  msg->protocol = FH_PROTOCOL_VERSION;
  msg->pid = pid;
  msg->kind = g_strdup (kind);
  msg->token = g_strdup (token);
  return msg;
}

FhMessage *
fh_message_new_command (gint64 seq, FhPhase phase, const char *command,
                        JsonObject *item)
{
  FhMessage *msg = fh_message_new (FH_MESSAGE_COMMAND);

  msg->seq = seq;
  msg->phase = phase;
  msg->command = g_strdup (command);
  msg->item = item != NULL ? json_object_ref (item) : NULL;
  return msg;
}

FhMessage *
fh_message_new_command_with_fields (gint64 seq, FhPhase phase, const char *command,
                                    const FhItemFields *item)
{
  FhMessage *msg = fh_message_new_command (seq, phase, command, NULL);

  if (item == NULL)
    return msg;
  msg->has_item = TRUE;
  msg->item_index = item->index;
  msg->item_name = g_strdup (item->name);
  msg->item_frames = g_array_sized_new (FALSE, FALSE, sizeof (gint64), item->n_frames);
  g_array_append_vals (msg->item_frames, item->frames, item->n_frames);
  return msg;
}

FhMessage *
fh_message_new_result (gint64 seq, gint status, const char *traceback)
{
  FhMessage *msg = fh_message_new (FH_MESSAGE_RESULT);

  msg->seq = seq;
  msg->status = status;
  msg->traceback = g_strdup (traceback);
  return msg;
}

FhMessage *
fh_message_new_signal (FhSignal signal)
{
  FhMessage *msg = fh_message_new (FH_MESSAGE_SIGNAL);

  msg->signal = signal;
  return msg;
}

FhMessage *
fh_message_new_exit (gint code)
{
  FhMessage *msg = fh_message_new (FH_MESSAGE_EXIT);

  msg->code = code;
  msg->has_code = TRUE;
  return msg;
}

FhMessage *
fh_message_new_channel (const char *token, const char *const *env, const char *cwd, gint64 heartbeat_s)
{
  FhMessage *msg = fh_message_new (FH_MESSAGE_CHANNEL);

  msg->token = g_strdup (token);
  msg->env = g_strdupv ((char **) (env ? env : (const char *const[]) { NULL }));
  msg->cwd = g_strdup (cwd);
  msg->heartbeat_s = heartbeat_s;
  return msg;
}

void
fh_message_free (FhMessage *msg)
{
  if (msg == NULL)
    return;
  g_free (msg->kind);
  g_free (msg->token);
  g_free (msg->user);
  g_free (msg->host);
  g_free (msg->command);
  g_clear_pointer (&msg->item, json_object_unref);
  g_free (msg->item_name);
  g_clear_pointer (&msg->item_frames, g_array_unref);
  g_free (msg->traceback);
  g_free (msg->text);
  g_strfreev (msg->env);
  g_free (msg->cwd);
  g_free (msg);
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct
{
  JsonObject *obj;
  const char *type;
} Reader;

static gboolean
bad_field (const Reader *r, const char *field, const char *want, GError **error)
{
  const char *got = fh_json_kind (json_object_get_member (r->obj, field));

  return fh_throw (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_MESSAGE,
                   "'%s' message: field '%s' must be %s (got %s)",
                   r->type, field, want, got);
}

static gboolean
read_int (const Reader *r, const char *field, gboolean required, gint64 min,
          gint64 max, gint64 *out, GError **error)
{
  JsonNode *node = json_object_get_member (r->obj, field);
  g_autofree char *want = g_strdup_printf ("an integer from %" G_GINT64_FORMAT
                                           " to %" G_GINT64_FORMAT, min, max);
  gint64 v;

  if (node == NULL && !required)
    return TRUE;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return bad_field (r, field, want, error);
  v = json_node_get_int (node);
  if (v < min || v > max)
    return bad_field (r, field, want, error);
  *out = v;
  return TRUE;
}

static gboolean
read_string (const Reader *r, const char *field, gboolean required, char **out,
             GError **error)
{
  JsonNode *node = json_object_get_member (r->obj, field);

  if (node == NULL && !required)
    return TRUE;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return bad_field (r, field, "a string", error);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_number (const Reader *r, const char *field, double *out, GError **error)
{
  JsonNode *node = json_object_get_member (r->obj, field);
  GType t = node != NULL && JSON_NODE_HOLDS_VALUE (node)
                ? json_node_get_value_type (node) : G_TYPE_INVALID;

  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return bad_field (r, field, "a number", error);
  *out = json_node_get_double (node);
  return TRUE;
}

static gboolean
read_seq (const Reader *r, FhMessage *msg, GError **error)
{
  return read_int (r, "seq", TRUE, 1, G_MAXINT64, &msg->seq, error);
}

static gboolean
read_bool (const Reader *r, const char *field, gboolean *out, GError **error)
{
  JsonNode *node = json_object_get_member (r->obj, field);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return bad_field (r, field, "true or false", error);
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* A string field that must be one of @names (NULL entries are skipped). */
static gboolean
read_name (const Reader *r, const char *field, const char *const *names, guint n,
           const char *want, guint *out, GError **error)
{
  g_autofree char *s = NULL;

  if (!read_string (r, field, TRUE, &s, error))
    return FALSE;
  if (!lookup_name (names, n, s, out))
    return bad_field (r, field, want, error);
  return TRUE;
}

static gboolean
parse_hello (const Reader *r, FhMessage *msg, GError **error)
{
  return read_bool (r, "echo", &msg->echo, error) &&
         read_int (r, "protocol", TRUE, 0, G_MAXINT32, &msg->protocol, error) &&
         read_int (r, "pid", TRUE, 1, G_MAXINT32, &msg->pid, error) &&
         read_string (r, "kind", TRUE, &msg->kind, error) &&
         read_string (r, "token", FALSE, &msg->token, error) &&
         read_string (r, "user", FALSE, &msg->user, error) &&
         read_string (r, "host", FALSE, &msg->host, error) &&
         read_int (r, "compact", FALSE, 0, G_MAXINT32, &msg->compact, error);
}

static gboolean
parse_stream (const Reader *r, FhMessage *msg, GError **error)
{
  guint s = 0;

  if (!read_name (r, "stream", stream_names, G_N_ELEMENTS (stream_names),
                  "\"stdout\" or \"stderr\"", &s, error))
    return FALSE;
  msg->stream = (FhStream) s;
  return read_string (r, "data", TRUE, &msg->text, error);
}

static gboolean
parse_signal (const Reader *r, FhMessage *msg, GError **error)
{
  guint s = 0;

  if (!read_name (r, "signal", signal_names, G_N_ELEMENTS (signal_names),
                  "\"interrupt\", \"terminate\" or \"kill\"", &s, error))
    return FALSE;
  msg->signal = (FhSignal) s;
  return TRUE;
}

static gboolean
parse_command (const Reader *r, FhMessage *msg, GError **error)
{
  JsonNode *item;
  guint p = 0;

  if (!read_seq (r, msg, error) ||
      !read_name (r, "phase", phase_names, G_N_ELEMENTS (phase_names),
                  "\"setup\", \"agenda\" or \"teardown\"", &p, error) ||
      !read_string (r, "command", TRUE, &msg->command, error))
    return FALSE;
  msg->phase = p;
  item = json_object_get_member (r->obj, "item");
  if (item != NULL && JSON_NODE_HOLDS_OBJECT (item))
    msg->item = json_object_ref (json_node_get_object (item));
  else if (item != NULL && !JSON_NODE_HOLDS_NULL (item))
    return bad_field (r, "item", "an object or null", error);
  return TRUE;
}

static gboolean
parse_result (const Reader *r, FhMessage *msg, GError **error)
{
  gint64 status = 0;

  if (!read_seq (r, msg, error) ||
      !read_int (r, "status", TRUE, FH_STATUS_OK, FH_STATUS_FAILED, &status, error) ||
      !read_string (r, "traceback", status == FH_STATUS_FAILED, &msg->traceback, error) ||
      !read_int (r, "code", FALSE, G_MININT32, G_MAXINT32, &msg->code, error) ||
      !read_int (r, "stderr_lines", FALSE, 0, 1000, &msg->stderr_lines, error) ||
      !read_bool (r, "final", &msg->final, error))
    return FALSE;
  msg->status = (gint) status;
  msg->has_code = json_object_has_member (r->obj, "code");
  return TRUE;
}

static gboolean
parse_progress (const Reader *r, FhMessage *msg, GError **error)
{
  if (!read_seq (r, msg, error) || !read_number (r, "fraction", &msg->fraction, error))
    return FALSE;
  if (!(msg->fraction >= 0.0 && msg->fraction <= 1.0))
    return bad_field (r, "fraction", "a number from 0 to 1", error);
  return TRUE;
}

/* "env": an object of strings, read as NAME=VALUE entries. */
static gboolean
read_env (const Reader *r, FhMessage *msg, GError **error)
{
  JsonNode *node = json_object_get_member (r->obj, "env");
  g_autoptr (GStrvBuilder) env = g_strv_builder_new ();
  g_autoptr (GList) names = NULL;
  JsonObject *o;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return bad_field (r, "env", "an object of strings", error);
  o = json_node_get_object (node);
  names = json_object_get_members (o);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *v = json_object_get_member (o, l->data);
      g_autofree char *entry = NULL;
      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING ||
          *(const char *) l->data == '\0' || strchr (l->data, '=') != NULL)
        return bad_field (r, "env", "an object of strings named without '='", error);
      entry = g_strdup_printf ("%s=%s", (const char *) l->data, json_node_get_string (v));
      g_strv_builder_add (env, entry);
    }
  msg->env = g_strv_builder_end (env);
  return TRUE;
}

static gboolean
parse_channel (const Reader *r, FhMessage *msg, GError **error)
{
  msg->heartbeat_s = 1;
  return read_string (r, "token", TRUE, &msg->token, error) && read_env (r, msg, error) &&
         read_string (r, "cwd", FALSE, &msg->cwd, error) &&
         read_int (r, "heartbeat_s", FALSE, 1, 3600, &msg->heartbeat_s, error);
}

static JsonObject *
parse_object (const char *payload, gsize len, GError **error)
{
  const char *end = NULL;
  g_autoptr (GError) local = NULL;
  JsonObject *o;

  if (!g_utf8_validate_len (payload, len, &end))
    return fh_throw_null (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_UTF8,
                          "payload of %" G_GSIZE_FORMAT " bytes is not valid UTF-8 "
                          "(bad byte 0x%02x at offset %" G_GSIZE_FORMAT ")",
                          len, (guint8) *end, (gsize) (end - payload));
  if ((o = fh_json_parse_object (payload, (gssize) len, &local)) == NULL)
    return fh_throw_null (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_JSON,
                          "payload of %" G_GSIZE_FORMAT " bytes: %s", len, local->message);
  return o;
}

static FhMessage *parse_json (const char *payload, gsize len, GError **error);

FhMessage *
fh_message_parse (const char *payload, gsize len, GError **error)
{
  if (fh_message_payload_is_compact (payload, len))
    return fh_message_parse_compact (payload, len, error);
  return parse_json (payload, len, error);
}

static FhMessage *
parse_json (const char *payload, gsize len, GError **error)
{
  g_autoptr (JsonObject) obj = parse_object (payload, len, error);
  g_autoptr (FhMessage) msg = NULL;
  Reader r = { obj, "?" };
  g_autofree char *type = NULL;
  guint t;
  gboolean ok = FALSE;

  if (obj == NULL || !read_string (&r, "type", TRUE, &type, error))
    return NULL;
  if (!lookup_name (type_names, G_N_ELEMENTS (type_names), type, &t))
    return fh_throw_null (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_MESSAGE,
                     "unknown message type '%s'", type);
  r.type = type_names[t];
  msg = fh_message_new (t);
  switch (msg->type)
    {
    case FH_MESSAGE_HELLO: ok = parse_hello (&r, msg, error); break;
    case FH_MESSAGE_COMMAND: ok = parse_command (&r, msg, error); break;
    case FH_MESSAGE_RESULT: ok = parse_result (&r, msg, error); break;
    case FH_MESSAGE_PROGRESS: ok = parse_progress (&r, msg, error); break;
    case FH_MESSAGE_OUTPUT:
      ok = read_seq (&r, msg, error) && read_string (&r, "path", TRUE, &msg->text, error);
      break;
    case FH_MESSAGE_LOG:
      ok = read_seq (&r, msg, error) && read_string (&r, "message", TRUE, &msg->text, error);
      break;
    case FH_MESSAGE_STREAM: ok = parse_stream (&r, msg, error); break;
    case FH_MESSAGE_SIGNAL: ok = parse_signal (&r, msg, error); break;
    case FH_MESSAGE_HEARTBEAT: ok = TRUE; break;
    case FH_MESSAGE_CHANNEL: ok = parse_channel (&r, msg, error); break;
    case FH_MESSAGE_EXIT:
      ok = read_int (&r, "code", TRUE, 0, 255, &msg->code, error);
      msg->has_code = TRUE;
      break;
    }
  return ok ? g_steal_pointer (&msg) : NULL;
}

/* ---- serialising -------------------------------------------------------- */

static void
set_seq (JsonObject *o, const FhMessage *msg)
{
  json_object_set_int_member (o, "seq", msg->seq);
}

static void
build_channel (JsonObject *o, const FhMessage *msg)
{
  JsonObject *env = json_object_new ();

  for (guint i = 0; msg->env != NULL && msg->env[i] != NULL; i++)
    {
      const char *eq = strchr (msg->env[i], '=');
      g_autofree char *name = eq ? g_strndup (msg->env[i], (gsize) (eq - msg->env[i])) : g_strdup (msg->env[i]);
      json_object_set_string_member (env, name, eq ? eq + 1 : "");
    }
  json_object_set_string_member (o, "token", msg->token ? msg->token : "");
  json_object_set_object_member (o, "env", env);
  if (msg->cwd != NULL)
    json_object_set_string_member (o, "cwd", msg->cwd);
  json_object_set_int_member (o, "heartbeat_s", msg->heartbeat_s);
}

/* A compact command's item as JSON. (transfer full) */
static JsonObject *
item_from_fields (const FhMessage *msg)
{
  JsonObject *item = json_object_new ();

  if (msg->item_index >= 0)
    json_object_set_int_member (item, "index", msg->item_index);
  if (msg->item_name != NULL)
    json_object_set_string_member (item, "name", msg->item_name);
  if (msg->item_frames != NULL)
    {
      JsonArray *a = json_array_sized_new (msg->item_frames->len);
      for (guint i = 0; i < msg->item_frames->len; i++)
        json_array_add_int_element (a, g_array_index (msg->item_frames, gint64, i));
      json_object_set_array_member (item, "frames", a);
    }
  return item;
}

static void
build_members (JsonObject *o, const FhMessage *msg)
{
  switch (msg->type)
    {
    case FH_MESSAGE_HELLO:
      json_object_set_int_member (o, "protocol", msg->protocol);
      json_object_set_int_member (o, "pid", msg->pid);
      json_object_set_string_member (o, "kind", msg->kind ? msg->kind : "");
      if (msg->token != NULL)
        json_object_set_string_member (o, "token", msg->token);
      json_object_set_boolean_member (o, "echo", msg->echo);
      if (msg->user != NULL)
        json_object_set_string_member (o, "user", msg->user);
      if (msg->host != NULL)
        json_object_set_string_member (o, "host", msg->host);
      if (msg->compact > 0)
        json_object_set_int_member (o, "compact", msg->compact);
      break;
    case FH_MESSAGE_COMMAND:
      set_seq (o, msg);
      json_object_set_string_member (o, "phase", fh_phase_to_string (msg->phase));
      json_object_set_string_member (o, "command", msg->command ? msg->command : "");
      if (msg->item != NULL)
        json_object_set_object_member (o, "item", json_object_ref (msg->item));
      else if (msg->has_item)
        json_object_set_object_member (o, "item", item_from_fields (msg));
      else
        json_object_set_null_member (o, "item");
      break;
    case FH_MESSAGE_RESULT:
      set_seq (o, msg);
      json_object_set_int_member (o, "status", msg->status);
      if (msg->traceback != NULL)
        json_object_set_string_member (o, "traceback", msg->traceback);
      if (msg->has_code)
        json_object_set_int_member (o, "code", msg->code);
      if (msg->stderr_lines > 0)
        json_object_set_int_member (o, "stderr_lines", msg->stderr_lines);
      if (msg->final)
        json_object_set_boolean_member (o, "final", TRUE);
      break;
    case FH_MESSAGE_PROGRESS:
      set_seq (o, msg);
      json_object_set_double_member (o, "fraction", msg->fraction);
      break;
    case FH_MESSAGE_OUTPUT:
    case FH_MESSAGE_LOG:
      set_seq (o, msg);
      json_object_set_string_member (o, msg->type == FH_MESSAGE_OUTPUT ? "path" : "message",
                                     msg->text ? msg->text : "");
      break;
    case FH_MESSAGE_STREAM:
      json_object_set_string_member (o, "stream", stream_names[msg->stream == FH_STREAM_STDERR ? 2 : 1]);
      json_object_set_string_member (o, "data", msg->text ? msg->text : "");
      break;
    case FH_MESSAGE_SIGNAL:
      json_object_set_string_member (o, "signal", signal_names[msg->signal]);
      break;
    case FH_MESSAGE_HEARTBEAT:
      break;
    case FH_MESSAGE_CHANNEL:
      build_channel (o, msg);
      break;
    case FH_MESSAGE_EXIT:
      json_object_set_int_member (o, "code", msg->code);
      break;
    }
}

char *
fh_message_to_json (const FhMessage *msg, gsize *len)
{
  g_autoptr (JsonObject) o = json_object_new ();
  char *out;

  json_object_set_string_member (o, "type", fh_message_type_to_string (msg->type));
  build_members (o, msg);
  out = fh_json_object_to_string (o);
  if (len != NULL)
    *len = strlen (out);
  return out;
}

gboolean
fh_message_append_frame (const FhMessage *msg, GByteArray *out, GError **error)
{
  gsize len = 0;
  g_autofree char *json = NULL;

  if (msg->compact && fh_message_can_be_compact (msg))
    return fh_message_append_compact_frame (msg, out, error);
  json = fh_message_to_json (msg, &len);
  return fh_wire_append_frame (out, json, len, error);
}
