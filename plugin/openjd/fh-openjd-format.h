/* fh-openjd-format.h — OpenJD format strings (Template Schemas §7.3):
 * text with `{{ Name.Name }}` value references.
 *
 * Parsed once, when the template is read: literal text and references,
 * each reference's offset in the string for messages.  There is no
 * escape for braces; `{{` without its `}}` is an error, a lone `{` or
 * `}}` is text.  Anything inside the braces but a dotted name of
 * identifiers (`{{ Param.X + 1 }}`) is an expression, which only the
 * EXPR extension allows: farmhand does not implement EXPR, and says so.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhOjFormat FhOjFormat;

/* @text (borrowed) as a format string, or NULL with @message (out) set
 * to what is wrong, e.g. "'{{' at offset 4 has no closing '}}'".
 * (transfer full) */
FhOjFormat *fh_oj_format_parse (const char *text, char **message);
void fh_oj_format_free (FhOjFormat *self);

/* The string as written.  (transfer none) */
const char *fh_oj_format_get_text (const FhOjFormat *self);
/* Whether it holds any reference (else it is its own value). */
gboolean fh_oj_format_has_refs (const FhOjFormat *self);
guint fh_oj_format_get_n_refs (const FhOjFormat *self);
/* Reference @i: its name ("Param.Frame") and byte offset of its "{{".
 * (transfer none) */
const char *fh_oj_format_get_ref (const FhOjFormat *self, guint i, gsize *offset);

/* The value of a name, or NULL when it has none.  (transfer none) */
typedef const char *(*FhOjLookupFunc) (const char *name, gpointer user_data);

/* The string with every reference replaced by its value; NULL with
 * @missing (out, transfer none) naming the first that has none.
 * (transfer full) */
char *fh_oj_format_resolve (const FhOjFormat *self, FhOjLookupFunc lookup, gpointer user_data,
                            const char **missing);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhOjFormat, fh_oj_format_free)

G_END_DECLS
