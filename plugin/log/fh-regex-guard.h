/* fh-regex-guard.h — literal text a regex cannot match without.
 *
 * Log presets carry regexes that are not plain text ("(?i)\bout of
 * memory\b|std::bad_alloc"), and most lines of a render log match none
 * of them.  Running PCRE2 for each of them on every line costs more than
 * everything else the scanner does; but every match of such a pattern
 * contains one of a few literals ("out of memory", "td::bad_alloc"), and
 * whether a line contains one is what FhLiteralPattern answers in a block
 * at memchr speed.  The guard is that set of literals: when a line holds
 * none of them, the pattern cannot match it and PCRE2 is not asked.
 *
 * Conservative by construction: for each top-level alternative, the
 * longest run of characters every match of it must contain in order —
 * literal characters outside groups, classes and escapes, not made
 * optional by a quantifier.  Anything not understood (\Q, verbs, option
 * settings other than a leading (?i), a short alternative) gives no
 * guard, and the pattern is always run.  A caseless guard excludes k and
 * s, whose caseless matches in UTF mode include non-ASCII letters.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Shortest literal worth a guard. */
#define FH_REGEX_GUARD_MIN 3

/* The guard of @pattern as a literal pattern for fh_literal_pattern_new()
 * ("lit|lit", punctuation escaped), or NULL when it has none.  @caseless
 * (out): the literals are lower case and must be matched against the line
 * in lower case (ASCII).  (transfer full) */
char *fh_regex_guard (const char *pattern, gboolean *caseless);

G_END_DECLS
