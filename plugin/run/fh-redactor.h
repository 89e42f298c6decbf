/* fh-redactor.h — keeps secrets out of logs and results.
 *
 * Env values marked "redact": true are replaced by "***" in every log
 * line, traceback and result text before it leaves the plugin.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhRedactor FhRedactor;

/* @secrets: the values to hide (empty ones are ignored).  (transfer full) */
FhRedactor *fh_redactor_new (const char *const *secrets);
void fh_redactor_free (FhRedactor *self);

/* @text (@len bytes) with every secret replaced, or NULL when it holds
 * none — the common case costs no allocation.  (transfer full) */
char *fh_redactor_apply (FhRedactor *self, const char *text, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhRedactor, fh_redactor_free)

G_END_DECLS
