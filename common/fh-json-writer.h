/* fh-json-writer.h — compact JSON text of a json-glib tree, with every
 * double in the shortest form that reads back as the same double.
 *
 * json-glib prints doubles with %.17g ("elapsed_s":
 * 0.00032499999999999999); people read farmhand's results and logs, and
 * other languages print 0.000325 for the same double (JavaScript,
 * Python's repr).  json-glib still reads every document; this writes
 * them.  Members keep their order; strings are escaped as json-glib
 * escapes them; a double that is not finite, which JSON cannot express,
 * is written as null.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Appends @node's JSON text to @out. */
void fh_json_writer_append (GString *out, JsonNode *node);

/* (transfer full) */
char *fh_json_writer_to_string (JsonNode *node);

/* The shortest text of @d (up to 17 significant digits) that g_ascii_strtod
 * reads back as @d, with ".0" when it would look like an integer:
 * "0.000325", "1.0", "1e+300".  @buf holds G_ASCII_DTOSTR_BUF_SIZE. */
const char *fh_json_writer_format_double (char *buf, double d);

/* Appends @v's decimal digits (JSON's integer text, and the shell's),
 * without printf. */
void fh_json_writer_append_int (GString *out, gint64 v);

/* Appends the seconds of @us microseconds as a decimal number, exactly
 * and without an exponent: 0.000325, 12.5, 0.0 (a result's elapsed_s). */
void fh_json_writer_append_micros (GString *out, gint64 us);

/* Streaming: an object or array written member by member straight into
 * @out, with no tree — for the one document every item costs (its
 * result), where building a JsonObject cost more than the rest of the
 * host's work on a command.  A comma goes before every key and array
 * element but the first of its object or array, told by the byte before
 * it, so calls need no state: begin '{', key, a value, key, a value ...,
 * end '}'.  The same escaping and numbers as fh_json_writer_append(). */
void fh_json_writer_begin (GString *out, char bracket);
void fh_json_writer_end (GString *out, char bracket);
void fh_json_writer_key (GString *out, const char *key);
void fh_json_writer_string (GString *out, const char *s);
void fh_json_writer_int (GString *out, gint64 v);
void fh_json_writer_micros (GString *out, gint64 us);
void fh_json_writer_boolean (GString *out, gboolean b);
/* Any json-glib value (a member of another tree, say). */
void fh_json_writer_node (GString *out, JsonNode *node);
/* Every member of @o, as keys and values of the object being written. */
void fh_json_writer_members (GString *out, JsonObject *o);

G_END_DECLS
