/* fh-suggest.c — closest-name suggestions (Levenshtein distance). */
#include "config.h"

#include "fh-suggest.h"

#include <string.h>

/* Optimal-string-alignment distance: Levenshtein plus adjacent
 * transpositions, so "nmae" is one edit from "name". */
static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *d = g_new (guint, (la + 1) * (lb + 1));
#define D(i, j) d[(i) * (lb + 1) + (j)]

  for (gsize i = 0; i <= la; i++)
    D (i, 0) = (guint) i;
  for (gsize j = 0; j <= lb; j++)
    D (0, j) = (guint) j;
  for (gsize i = 1; i <= la; i++)
    for (gsize j = 1; j <= lb; j++)
      {
        guint cost = g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 1]) ? 0 : 1;
        D (i, j) = MIN (MIN (D (i - 1, j) + 1, D (i, j - 1) + 1), D (i - 1, j - 1) + cost);
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
          D (i, j) = MIN (D (i, j), D (i - 2, j - 2) + 1);
      }
  return D (la, lb);
#undef D
}

const char *
fh_suggest (const char *word, const char *const *candidates)
{
  const char *best = NULL;
  guint best_d = G_MAXUINT;
  /* A third of the word, at least 1 and at most 3 edits, is a typo;
   * more is a different word. */
  guint limit = CLAMP (strlen (word) / 3, 1, 3);

  for (guint i = 0; candidates[i] != NULL; i++)
    {
      guint d = edit_distance (word, candidates[i]);
      if (d < best_d)
        {
          best_d = d;
          best = candidates[i];
        }
    }
  return best_d <= limit ? best : NULL;
}

char *
fh_suggest_phrase (const char *word, const char *const *candidates)
{
  const char *s = fh_suggest (word, candidates);

  return s != NULL ? g_strdup_printf (", did you mean '%s'?", s) : g_strdup ("");
}
