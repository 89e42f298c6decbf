/* fh-literal-pattern.h — a log pattern that is only literal text, matched
 * without the regex engine.
 *
 * Most log rules are plain text: "DeprecationWarning", "^ERROR:",
 * "Segmentation fault|core dumped", "Traceback \(most recent call last\)".
 * For such a pattern PCRE2's answer is exactly whether one of its literals
 * occurs in the line (or starts it, after ^): memcmp/memmem decide.  In a
 * block of output the scanner's literal index (fh-literal-index.h) finds
 * them for all lines at once; this then only confirms a line it names.
 *
 * Literal means: characters other than \ ^ $ . | ? * + ( ) [ ] { }, a
 * backslash before ASCII punctuation, an optional ^ at the start of each
 * alternative, and | between alternatives at the top level.  Anything
 * else is not literal; the caller uses PCRE2.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhLiteralPattern FhLiteralPattern;

/* NULL when @pattern is not purely literal.  (transfer full) */
FhLiteralPattern *fh_literal_pattern_new (const char *pattern);
void fh_literal_pattern_free (FhLiteralPattern *self);

/* How often each byte occurs in a block (a sample is enough): the literal
 * index (fh-literal-index.h) searches for a literal by a rare byte. */
typedef struct
{
  guint counts[256];
} FhByteCounts;

/* Counts every @step-th byte of @block. */
void fh_byte_counts_sample (FhByteCounts *counts, const char *block, gsize len, gsize step);

/* Its literals (an anchored one without its ^).  (transfer none) */
guint fh_literal_pattern_get_n_literals (FhLiteralPattern *self);
const char *fh_literal_pattern_get_literal (FhLiteralPattern *self, guint i, gsize *len);

/* Whether @pattern would match @line (@len bytes). */
gboolean fh_literal_pattern_match (FhLiteralPattern *self, const char *line, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhLiteralPattern, fh_literal_pattern_free)

G_END_DECLS
