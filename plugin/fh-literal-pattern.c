/* fh-literal-pattern.c — literal log patterns (see the header). */
#include "config.h"

#include "fh-literal-pattern.h"

#include <string.h>

typedef struct
{
  GString *text;
  gsize rare;            /* in the block: where its rarest byte is */
  gboolean anchored;
  const char *next;      /* in the block: the next occurrence at or after
                            where we last looked, or the block's end;
                            NULL: not looked yet */
} Literal;

struct _FhLiteralPattern
{
  GArray *literals;      /* Literal */
  const char *block;
  const char *block_end;
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

/* The literal's byte that occurs least in the block: searching for it
 * (memchr, vectorised) finds few candidates.  A byte the sample missed is
 * rarest of all. */
static gsize
rarest (const GString *text, const FhByteCounts *counts)
{
  gsize best = 0;

  for (gsize i = 1; i < text->len; i++)
    if (counts->counts[(guchar) text->str[i]] < counts->counts[(guchar) text->str[best]])
      best = i;
  return best;
}

void
fh_literal_pattern_set_block (FhLiteralPattern *self, const char *block, gsize len,
                              const FhByteCounts *counts)
{
  self->block = block;
  self->block_end = block ? block + len : NULL;
  for (guint i = 0; i < self->literals->len; i++)
    {
      Literal *lit = &g_array_index (self->literals, Literal, i);
      lit->next = NULL;
      lit->rare = block ? rarest (lit->text, counts) : 0;
    }
}

/* The first occurrence of @lit starting at or after @from: candidates by
 * its rarest byte, each compared whole.  They come in order, since the
 * rarest byte is at a fixed place in the literal. */
static const char *
find_in_block (const Literal *lit, const char *from, const char *end)
{
  const char *p = from + lit->rare;
  char c = lit->text->str[lit->rare];

  while (p < end && (p = memchr (p, c, (gsize) (end - p))) != NULL)
    {
      const char *s = p - lit->rare;
      if (s + lit->text->len <= end && memcmp (s, lit->text->str, lit->text->len) == 0)
        return s;
      p++;
    }
  return NULL;
}

/* Whether @lit occurs in @line, a line of the block: the next occurrence
 * from the line on is found once and kept until the lines pass it, so the
 * block is searched once however many lines it holds.  (A literal holds no
 * line end, so an occurrence that starts in the line is wholly in it —
 * unless the line was cut short; hence the end check.) */
static gboolean
occurs_in_block (FhLiteralPattern *self, Literal *lit, const char *line, gsize len)
{
  if (lit->next == NULL || lit->next < line)
    {
      lit->next = find_in_block (lit, line, self->block_end);
      if (lit->next == NULL)
        lit->next = self->block_end;
    }
  return lit->next + lit->text->len <= line + len;
}

gboolean
fh_literal_pattern_match (FhLiteralPattern *self, const char *line, gsize len)
{
  gboolean in_block = self->block != NULL && line >= self->block && line + len <= self->block_end;

  for (guint i = 0; i < self->literals->len; i++)
    {
      Literal *lit = &g_array_index (self->literals, Literal, i);
      if (lit->anchored)
        {
          if (len >= lit->text->len && memcmp (line, lit->text->str, lit->text->len) == 0)
            return TRUE;
        }
      else if (in_block ? occurs_in_block (self, lit, line, len)
                        : memmem (line, len, lit->text->str, lit->text->len) != NULL)
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
