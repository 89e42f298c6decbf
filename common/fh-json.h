/* fh-json.h — small json-glib helpers used on every boundary. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* "an object", "an array", "a string", "a number", "a boolean", "null",
 * or "nothing" for NULL — for error messages. */
const char *fh_json_kind (JsonNode *node);

/* Whether @node (nullable) is a value of @type (G_TYPE_INT64, G_TYPE_STRING,
 * ...), and an array of such values. */
gboolean fh_json_is_value_of (JsonNode *node, GType type);
gboolean fh_json_is_array_of (JsonNode *node, GType type);

/* Parses @data as one JSON object.  Errors are json-glib's
 * (JSON_PARSER_ERROR; JSON_PARSER_ERROR_INVALID_DATA for JSON that is not
 * an object), for the caller to put in its own terms.  (transfer full) */
JsonObject *fh_json_parse_object (const char *data, gssize len, GError **error);

/* Compact JSON text of @o, doubles in their shortest form
 * (fh-json-writer.h).  (transfer full) */
char *fh_json_object_to_string (JsonObject *o);

/* Sets @member of @o to @value and frees it (json-glib copies strings):
 * for members built with g_strdup_printf() and the like. */
void fh_json_take_string (JsonObject *o, const char *member, char *value);

/* Sets @member of @o to an array of the strings of @v (copied); nothing
 * when @v is NULL. */
void fh_json_set_strv (JsonObject *o, const char *member, const char *const *v);

G_END_DECLS
