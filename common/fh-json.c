/* fh-json.c — small json-glib helpers. */
#include "config.h"

#include "fh-json.h"

#include "fh-error.h"
#include "fh-json-writer.h"

const char *
fh_json_kind (JsonNode *node)
{
  if (node == NULL)
    return "nothing";
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT: return "an object";
    case JSON_NODE_ARRAY: return "an array";
    case JSON_NODE_NULL: return "null";
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING: return "a string";
        case G_TYPE_BOOLEAN: return "a boolean";
        default: return "a number";
        }
    default: return "something else";
    }
}

/* Documents up to this size reuse one parser per thread: a new JsonParser
 * (a GObject) costs about a fifth of parsing a protocol message, and the
 * dispatcher and the bash builtin parse one per command.  A parser keeps
 * its last document until the next, so large ones get their own. */
#define REUSE_MAX 65536

static GPrivate thread_parser = G_PRIVATE_INIT (g_object_unref);

static JsonParser *
get_parser (gssize len)
{
  JsonParser *parser;

  if (len < 0 || len > REUSE_MAX)
    return json_parser_new_immutable ();
  if ((parser = g_private_get (&thread_parser)) == NULL)
    {
      parser = json_parser_new_immutable ();
      g_private_set (&thread_parser, parser);
    }
  return g_object_ref (parser);
}

JsonObject *
fh_json_parse_object (const char *data, gssize len, GError **error)
{
  g_autoptr (JsonParser) parser = get_parser (len);
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data, len, error))
    {
      g_prefix_error (error, "not JSON: ");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fh_throw_null (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                          "expected a JSON object, got %s", fh_json_kind (root));
  return json_object_ref (json_node_get_object (root));
}

char *
fh_json_object_to_string (JsonObject *o)
{
  g_autoptr (JsonNode) node = json_node_alloc ();

  json_node_init_object (node, o);
  return fh_json_writer_to_string (node);
}

void
fh_json_take_string (JsonObject *o, const char *member, char *value)
{
  json_object_set_string_member (o, member, value);
  g_free (value);
}

void
fh_json_set_strv (JsonObject *o, const char *member, const char *const *v)
{
  JsonArray *a;

  if (v == NULL)
    return;
  a = json_array_new ();
  for (guint i = 0; v[i] != NULL; i++)
    json_array_add_string_element (a, v[i]);
  json_object_set_array_member (o, member, a);
}

gboolean
fh_json_is_value_of (JsonNode *node, GType type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

gboolean
fh_json_is_array_of (JsonNode *node, GType type)
{
  JsonArray *a;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  a = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (a); i++)
    if (!fh_json_is_value_of (json_array_get_element (a, i), type))
      return FALSE;
  return TRUE;
}
