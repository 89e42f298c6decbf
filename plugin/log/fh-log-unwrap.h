/* fh-log-unwrap.h — the line inside the prefixes farms and adaptors wrap
 * an application's lines in, for log presets' rules to match the
 * application's own text: timestamps ("2026-12-01 12:00:01.123 ",
 * "[12:00:01] "), Deadline's "0: STDOUT: ", Deadline Cloud's
 * "ADAPTOR_OUTPUT: STDOUT: ", "STDOUT: "/"STDERR: ", a log viewer's line
 * numbers ("  123 | "), ctime stamps ("Fri Jul  5 09:33:02 2024\t", the OpenJD
 * CLI's), terminal colours.  Nested wrappers are peeled in turn.  A job's own
 * patterns still see the whole line.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhLogUnwrap FhLogUnwrap;

/* (transfer full) */
FhLogUnwrap *fh_log_unwrap_new (void);
void fh_log_unwrap_free (FhLogUnwrap *self);

/* How many bytes of @line (@len, valid UTF-8) are wrapping. */
gsize fh_log_unwrap_skip (FhLogUnwrap *self, const char *line, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhLogUnwrap, fh_log_unwrap_free)

G_END_DECLS
