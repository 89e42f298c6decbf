/* fh-json.c — small json-glib helpers. */
#include "config.h"

#include "fh-json.h"

#include "fh-error.h"

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

JsonObject *
fh_json_parse_object (const char *data, gssize len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data, len, &local))
    return fh_throw_null (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_JSON,
                          "not JSON: %s", local->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fh_throw_null (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_BAD_JSON,
                          "expected a JSON object, got %s", fh_json_kind (root));
  return json_object_ref (json_node_get_object (root));
}

char *
fh_json_object_to_string (JsonObject *o)
{
  g_autoptr (JsonNode) node = json_node_alloc ();

  json_node_init_object (node, o);
  return json_to_string (node, FALSE);
}
