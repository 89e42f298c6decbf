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
  GArray *order;        /* guint: literals by (lowered, rarest byte) */
};

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

static gsize
rarest (const Literal *lit, const FhByteCounts *counts)
{
  gsize best = 0;

  for (gsize i = 1; i < lit->len; i++)
    if (counts->counts[(guchar) lit->text[i]] < counts->counts[(guchar) lit->text[best]])
      best = i;
  return best;
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

/* One memchr pass over @data for the byte literals order[first..last)
 * share; each candidate compared with each of them. */
static void
scan_group (FhLiteralIndex *self, const char *data, gsize len, guint first, guint last)
{
  const Literal *lits = (const Literal *) self->literals->data;
  const guint *order = (const guint *) self->order->data;
  char c = lits[order[first]].text[lits[order[first]].rare];
  const char *end = data + len, *p = data;

  while (p < end && (p = memchr (p, c, (gsize) (end - p))) != NULL)
    {
      for (guint g = first; g < last; g++)
        {
          const Literal *lit = &lits[order[g]];
          const char *s = p - lit->rare;
          if (s >= data && s + lit->len <= end && memcmp (s, lit->text, lit->len) == 0)
            {
              FhLiteralHit hit = { (gsize) (s - data), (gsize) (s - data) + lit->len, lit->owner };
              g_array_append_val (self->hits, hit);
            }
        }
      p++;
    }
}

const GArray *
fh_literal_index_scan (FhLiteralIndex *self, const char *block, const char *lower, gsize len,
                       const FhByteCounts *counts, const FhByteCounts *lower_counts)
{
  Literal *lits = (Literal *) self->literals->data;

  g_array_set_size (self->hits, 0);
  g_array_set_size (self->order, self->literals->len);
  for (guint i = 0; i < self->literals->len; i++)
    {
      lits[i].rare = rarest (&lits[i], lits[i].lowered ? lower_counts : counts);
      g_array_index (self->order, guint, i) = i;
    }
  /* Literals that share a search byte share its pass. */
  g_array_sort_with_data (self->order, by_key, lits);
  for (guint first = 0, last; first < self->order->len; first = last)
    {
      const Literal *head = &lits[g_array_index (self->order, guint, first)];
      for (last = first + 1; last < self->order->len &&
                             byte_key (&lits[g_array_index (self->order, guint, last)]) == byte_key (head);
           last++)
        ;
      if (head->lowered && lower == NULL)
        continue;
      scan_group (self, head->lowered ? lower : block, len, first, last);
    }
  g_array_sort (self->hits, by_start);
  return self->hits;
}
