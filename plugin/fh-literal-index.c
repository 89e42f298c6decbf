/* fh-literal-index.c — many literals found in one block (see the header). */
#include "config.h"

#include "fh-literal-index.h"

#include <string.h>

typedef struct
{
  char *text;
  gsize len;
  gboolean lowered;
  guint owner;
  gsize rare;           /* this block: where its rarest byte is */
} Literal;

struct _FhLiteralIndex
{
  GArray *literals;     /* Literal */
  GArray *hits;         /* FhLiteralHit */
  GArray *order;        /* guint: literals by (lowered, search byte) */
  guint scans;          /* blocks scanned: search bytes are chosen anew
                           every CHOOSE_EVERY */
};

/* A log's byte statistics hardly change from block to block. */
#define CHOOSE_EVERY 32

static void
literal_clear (gpointer p)
{
  g_free (((Literal *) p)->text);
}

FhLiteralIndex *
fh_literal_index_new (void)
{
  FhLiteralIndex *self = g_new0 (FhLiteralIndex, 1);

  self->literals = g_array_new (FALSE, TRUE, sizeof (Literal));
  g_array_set_clear_func (self->literals, literal_clear);
  self->hits = g_array_new (FALSE, FALSE, sizeof (FhLiteralHit));
  self->order = g_array_new (FALSE, FALSE, sizeof (guint));
  return self;
}

void
fh_literal_index_free (FhLiteralIndex *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->literals);
  g_array_unref (self->hits);
  g_array_unref (self->order);
  g_free (self);
}

void
fh_literal_index_add (FhLiteralIndex *self, const char *text, gsize len, gboolean lowered, guint owner)
{
  Literal lit = { g_strndup (text, len), len, lowered, owner, 0 };

  g_return_if_fail (len > 0);
  g_array_append_val (self->literals, lit);
}

gboolean
fh_literal_index_is_empty (FhLiteralIndex *self)
{
  return self->literals->len == 0;
}

/* How often @b occurs, for a literal matched caselessly (both cases). */
static guint
count_of (const FhByteCounts *counts, guchar b, gboolean caseless)
{
  if (caseless && g_ascii_isalpha (b))
    return counts->counts[(guchar) g_ascii_tolower (b)] + counts->counts[(guchar) g_ascii_toupper (b)];
  return counts->counts[b];
}

/* Chooses each literal's search byte: rare, and shared with as many
 * other literals as rarity allows — every distinct byte is one pass over
 * the block.  Greedy: the byte that may serve most literals not yet
 * served (each accepts bytes at most about twice as common as its
 * rarest) goes first. */
static void
choose_bytes (FhLiteralIndex *self, const FhByteCounts *counts)
{
  Literal *lits = (Literal *) self->literals->data;
  guint n = self->literals->len;
  g_autofree guint *limit = g_new (guint, n);
  g_autofree gboolean *served = g_new0 (gboolean, n);
  guint left = n;

  for (guint i = 0; i < n; i++)
    {
      guint min = G_MAXUINT;
      for (gsize k = 0; k < lits[i].len; k++)
        min = MIN (min, count_of (counts, (guchar) lits[i].text[k], lits[i].lowered));
      limit[i] = 2 * min + 1;
    }
  while (left > 0)
    {
      guint score[512] = { 0 }, best = 0;
      for (guint i = 0; i < n; i++)
        {
          gboolean seen[256] = { FALSE };
          for (gsize k = 0; !served[i] && k < lits[i].len; k++)
            {
              guchar b = (guchar) lits[i].text[k];
              if (!seen[b] && count_of (counts, b, lits[i].lowered) <= limit[i])
                score[(lits[i].lowered ? 256 : 0) + b]++;
              seen[b] = TRUE;
            }
        }
      for (guint key = 1; key < 512; key++)
        if (score[key] > score[best])
          best = key;
      for (guint i = 0; i < n; i++)
        {
          const char *at;
          if (served[i] || (lits[i].lowered ? 256 : 0) != (best & 256) ||
              (at = memchr (lits[i].text, (int) (best & 255), lits[i].len)) == NULL ||
              count_of (counts, best & 255, lits[i].lowered) > limit[i])
            continue;
          lits[i].rare = (gsize) (at - lits[i].text);
          served[i] = TRUE;
          left--;
        }
    }
}

static int
byte_key (const Literal *lit)
{
  return (lit->lowered ? 256 : 0) + (guchar) lit->text[lit->rare];
}

static gint
by_key (gconstpointer a, gconstpointer b, gpointer literals)
{
  const Literal *lits = literals;

  return byte_key (&lits[*(const guint *) a]) - byte_key (&lits[*(const guint *) b]);
}

static gint
by_start (gconstpointer a, gconstpointer b)
{
  const FhLiteralHit *x = a, *y = b;

  return x->start < y->start ? -1 : x->start > y->start ? 1 : (int) x->owner - (int) y->owner;
}

/* Whether @lit is at @s (caselessly: its text is lower case). */
static inline gboolean
literal_at (const Literal *lit, const char *s)
{
  if (lit->lowered)
    return g_ascii_tolower (s[0]) == lit->text[0] && g_ascii_strncasecmp (s, lit->text, lit->len) == 0;
  return s[0] == lit->text[0] && memcmp (s, lit->text, lit->len) == 0;
}

/* One memchr pass over @data for byte @c, which literals order[first..
 * last) share; each candidate compared with each of them. */
static void
scan_group (FhLiteralIndex *self, const char *data, gsize len, char c, guint first, guint last)
{
  const Literal *lits = (const Literal *) self->literals->data;
  const guint *order = (const guint *) self->order->data;
  const char *end = data + len, *p = data;

  while (p < end && (p = memchr (p, c, (gsize) (end - p))) != NULL)
    {
      for (guint g = first; g < last; g++)
        {
          const Literal *lit = &lits[order[g]];
          const char *s = p - lit->rare;
          if (s >= data && s + lit->len <= end && literal_at (lit, s))
            {
              FhLiteralHit hit = { (gsize) (s - data), (gsize) (s - data) + lit->len, lit->owner };
              g_array_append_val (self->hits, hit);
            }
        }
      p++;
    }
}

const GArray *
fh_literal_index_scan (FhLiteralIndex *self, const char *block, gsize len, const FhByteCounts *counts)
{
  Literal *lits = (Literal *) self->literals->data;

  g_array_set_size (self->hits, 0);
  if (self->scans++ % CHOOSE_EVERY == 0 || self->order->len != self->literals->len)
    {
      choose_bytes (self, counts);
      g_array_set_size (self->order, self->literals->len);
      for (guint i = 0; i < self->literals->len; i++)
        g_array_index (self->order, guint, i) = i;
      /* Literals that share a search byte share its pass. */
      g_array_sort_with_data (self->order, by_key, lits);
    }
  for (guint first = 0, last; first < self->order->len; first = last)
    {
      const Literal *head = &lits[g_array_index (self->order, guint, first)];
      char c = head->text[head->rare];
      for (last = first + 1; last < self->order->len &&
                             byte_key (&lits[g_array_index (self->order, guint, last)]) == byte_key (head);
           last++)
        ;
      scan_group (self, block, len, c, first, last);
      /* A caseless letter: its upper case too. */
      if (head->lowered && g_ascii_isalpha (c))
        scan_group (self, block, len, g_ascii_toupper (c), first, last);
    }
  g_array_sort (self->hits, by_start);
  return self->hits;
}
