/* fh-literal-pattern.c — literal log patterns (see the header). */
#include "config.h"

#include "fh-literal-pattern.h"

#include <string.h>

typedef struct
{
  GString *text;
  gboolean anchored;
} Literal;

struct _FhLiteralPattern
{
  GArray *literals;      /* Literal */
};

static void
literal_clear (gpointer p)
{
  g_string_free (((Literal *) p)->text, TRUE);
}

static gboolean
is_meta (char c)
{
  return strchr ("\\^$.|?*+()[]{}", c) != NULL;
}

/* One alternative; FALSE when it is not literal (or empty: it would match
 * every line). */
static gboolean
parse_alternative (const char *p, const char *end, Literal *lit)
{
  lit->anchored = p < end && *p == '^';
  if (lit->anchored)
    p++;
  lit->text = g_string_new (NULL);
  for (; p < end; p++)
    {
      if (*p == '\\' && p + 1 < end && g_ascii_ispunct (p[1]))
        g_string_append_c (lit->text, *++p);
      else if (is_meta (*p))
        return FALSE;
      else
        g_string_append_c (lit->text, *p);
    }
  return lit->text->len > 0;
}

FhLiteralPattern *
fh_literal_pattern_new (const char *pattern)
{
  g_autoptr (FhLiteralPattern) self = g_new0 (FhLiteralPattern, 1);
  const char *p = pattern, *bar;

  self->literals = g_array_new (FALSE, TRUE, sizeof (Literal));
  g_array_set_clear_func (self->literals, literal_clear);
  for (;;)
    {
      Literal lit = { 0 };
      /* An escaped | is a literal |: the alternative ends at an unescaped one. */
      for (bar = p; *bar != '\0' && *bar != '|'; bar++)
        if (*bar == '\\' && bar[1] != '\0')
          bar++;
      g_array_append_val (self->literals, lit);
      if (!parse_alternative (p, bar, &g_array_index (self->literals, Literal, self->literals->len - 1)))
        return NULL;
      if (*bar == '\0')
        return g_steal_pointer (&self);
      p = bar + 1;
    }
}

void
fh_literal_pattern_free (FhLiteralPattern *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->literals);
  g_free (self);
}

void
fh_byte_counts_sample (FhByteCounts *counts, const char *block, gsize len, gsize step)
{
  memset (counts, 0, sizeof *counts);
  for (gsize i = 0; i < len; i += step)
    counts->counts[(guchar) block[i]]++;
}

gboolean
fh_literal_pattern_match (FhLiteralPattern *self, const char *line, gsize len)
{
  for (guint i = 0; i < self->literals->len; i++)
    {
      Literal *lit = &g_array_index (self->literals, Literal, i);
      if (lit->anchored)
        {
          if (len >= lit->text->len && memcmp (line, lit->text->str, lit->text->len) == 0)
            return TRUE;
        }
      else if (memmem (line, len, lit->text->str, lit->text->len) != NULL)
        return TRUE;
    }
  return FALSE;
}

guint
fh_literal_pattern_get_n_literals (FhLiteralPattern *self)
{
  return self->literals->len;
}

const char *
fh_literal_pattern_get_literal (FhLiteralPattern *self, guint i, gsize *len)
{
  const Literal *lit = &g_array_index (self->literals, Literal, i);

  *len = lit->text->len;
  return lit->text->str;
}
