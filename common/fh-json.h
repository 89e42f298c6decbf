/* fh-json.h — small json-glib helpers used on every boundary. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* "an object", "an array", "a string", "a number", "a boolean", "null",
 * or "nothing" for NULL — for error messages. */
const char *fh_json_kind (JsonNode *node);

/* Parses @data as one JSON object.  Errors are FH_PROTOCOL_ERROR_BAD_JSON.
 * (transfer full) */
JsonObject *fh_json_parse_object (const char *data, gssize len, GError **error);

/* Compact JSON text of @o.  (transfer full) */
char *fh_json_object_to_string (JsonObject *o);

G_END_DECLS
