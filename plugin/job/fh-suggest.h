/* fh-suggest.h — "did you mean ...?" for unknown names. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The candidate closest to @word by edit distance, or NULL when none is
 * close enough to be a plausible typo.  (transfer none) */
const char *fh_suggest (const char *word, const char *const *candidates);

/* ", did you mean 'x'?" or "" — for appending to an error message.
 * (transfer full) */
char *fh_suggest_phrase (const char *word, const char *const *candidates);

G_END_DECLS
