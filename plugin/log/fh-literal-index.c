/* fh-literal-index.c — many literals found in one block (see the header). */
#include "config.h"

#include "fh-literal-index.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <tmmintrin.h>
#define HAVE_NIBBLE_FILTER 1
#endif

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
  /* For the one-pass filter: per byte value, the literals searched by it
   * (by_byte[first[b] .. first[b + 1])), and per nibble the buckets of
   * the bytes searched (a byte may be one when lo[b & 15] & hi[b >> 4]). */
  guint first[257];
  GArray *by_byte;      /* guint: literal indices */
  guint8 lo[16], hi[16];
};

/* A log's byte statistics hardly change from block to block: they are
 * counted (every SAMPLE_STEP-th byte) when the bytes are chosen. */
#define CHOOSE_EVERY 32
#define SAMPLE_STEP 4

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
  self->by_byte = g_array_new (FALSE, FALSE, sizeof (guint));
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
  g_array_unref (self->by_byte);
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
    {
      for (gsize i = 0; i < lit->len; i++)
        {
          unsigned char c = (unsigned char) s[i];
          if ((c + (((unsigned char) (c - 'A') < 26u) << 5)) != (unsigned char) lit->text[i])
            return FALSE;
        }
      return TRUE;
    }
  /* The last byte first: a near miss ("Time:0" for "Time: ") costs no
   * call. */
  return s[lit->len - 1] == lit->text[lit->len - 1] && s[0] == lit->text[0] &&
         memcmp (s, lit->text, lit->len) == 0;
}

static void
add_hit (FhLiteralIndex *self, const char *data, const char *s, const Literal *lit)
{
  FhLiteralHit hit = { (gsize) (s - data), (gsize) (s - data) + lit->len, lit->owner };

  g_array_append_val (self->hits, hit);
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
            add_hit (self, data, s, lit);
        }
      p++;
    }
}

/* The literals each byte value stands for (both cases of a caseless
 * letter), and the nibble tables of those bytes, eight buckets. */
static void
build_filter (FhLiteralIndex *self)
{
  const Literal *lits = (const Literal *) self->literals->data;
  guint count[256] = { 0 }, next[256], n_buckets = 0;
  int bucket_of_hi[16];

  memset (self->lo, 0, sizeof self->lo);
  memset (self->hi, 0, sizeof self->hi);
  for (int h = 0; h < 16; h++)
    bucket_of_hi[h] = -1;
  for (int pass = 0; pass < 2; pass++)
    {
      for (guint i = 0; i < self->literals->len; i++)
        {
          guchar c = (guchar) lits[i].text[lits[i].rare];
          guchar cases[2] = { c, lits[i].lowered ? (guchar) g_ascii_toupper (c) : c };
          for (int k = 0; k < (cases[1] != c ? 2 : 1); k++)
            {
              if (pass == 0)
                count[cases[k]]++;
              else
                g_array_index (self->by_byte, guint, next[cases[k]]++) = i;
            }
        }
      if (pass == 1)
        break;
      self->first[0] = 0;
      for (int b = 0; b < 256; b++)
        {
          self->first[b + 1] = self->first[b] + count[b];
          next[b] = self->first[b];
          /* A bucket per high nibble: then a byte passes the filter only
           * if it is searched for — unless more than eight high nibbles
           * share the buckets. */
          if (count[b] > 0)
            {
              guint8 bucket;
              if (bucket_of_hi[b >> 4] < 0)
                bucket_of_hi[b >> 4] = (int) (n_buckets++ % 8);
              bucket = (guint8) (1u << bucket_of_hi[b >> 4]);
              self->lo[b & 15] |= bucket;
              self->hi[b >> 4] |= bucket;
            }
        }
      g_array_set_size (self->by_byte, self->first[256]);
    }
}

/* Every literal searched by the byte at @p, compared there. */
static inline void
check_at (FhLiteralIndex *self, const char *data, const char *end, const char *p)
{
  const Literal *lits = (const Literal *) self->literals->data;
  guchar b = (guchar) *p;

  for (guint k = self->first[b]; k < self->first[b + 1]; k++)
    {
      const Literal *lit = &lits[g_array_index (self->by_byte, guint, k)];
      const char *s = p - lit->rare;
      if (s >= data && s + lit->len <= end && literal_at (lit, s))
        add_hit (self, data, s, lit);
    }
}

#ifdef HAVE_NIBBLE_FILTER
/* One pass for every search byte at once, sixteen bytes a step: two table
 * lookups by nibble (pshufb) say which bytes may be one (Hyperscan's
 * "Teddy" with one-byte fingerprints); those are checked exactly. */
__attribute__ ((target ("ssse3"))) static void
scan_nibbles (FhLiteralIndex *self, const char *data, gsize len)
{
  const __m128i lo = _mm_loadu_si128 ((const __m128i *) self->lo);
  const __m128i hi = _mm_loadu_si128 ((const __m128i *) self->hi);
  const __m128i low4 = _mm_set1_epi8 (0x0f), zero = _mm_setzero_si128 ();
  const char *end = data + len;
  gsize i = 0;

  for (; i + 16 <= len; i += 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (data + i));
      __m128i m = _mm_and_si128 (_mm_shuffle_epi8 (lo, _mm_and_si128 (v, low4)),
                                 _mm_shuffle_epi8 (hi, _mm_and_si128 (_mm_srli_epi16 (v, 4), low4)));
      unsigned bits = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (m, zero)) ^ 0xffffu;
      while (bits != 0)
        {
          check_at (self, data, end, data + i + (gsize) __builtin_ctz (bits));
          bits &= bits - 1;
        }
    }
  for (; i < len; i++)
    if (self->lo[(guchar) data[i] & 15] & self->hi[(guchar) data[i] >> 4])
      check_at (self, data, end, data + i);
}

static gboolean
have_ssse3 (void)
{
  static gsize checked;
  static gboolean yes;

  if (g_once_init_enter (&checked))
    {
      __builtin_cpu_init ();
      yes = __builtin_cpu_supports ("ssse3") && g_strcmp0 (g_getenv ("FARMHAND_LITERAL_SIMD"), "0") != 0;
      g_once_init_leave (&checked, 1);
    }
  return yes;
}
#endif

/* A memchr pass per search byte: what runs without SSSE3. */
static void
scan_groups (FhLiteralIndex *self, const char *block, gsize len)
{
  const Literal *lits = (const Literal *) self->literals->data;

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
}

const GArray *
fh_literal_index_scan (FhLiteralIndex *self, const char *block, gsize len)
{
  Literal *lits = (Literal *) self->literals->data;

  g_array_set_size (self->hits, 0);
  if (self->scans++ % CHOOSE_EVERY == 0 || self->order->len != self->literals->len)
    {
      FhByteCounts counts;
      fh_byte_counts_sample (&counts, block, len, SAMPLE_STEP);
      choose_bytes (self, &counts);
      g_array_set_size (self->order, self->literals->len);
      for (guint i = 0; i < self->literals->len; i++)
        g_array_index (self->order, guint, i) = i;
      /* Literals that share a search byte share its pass. */
      g_array_sort_with_data (self->order, by_key, lits);
      build_filter (self);
    }
#ifdef HAVE_NIBBLE_FILTER
  if (have_ssse3 ())
    scan_nibbles (self, block, len);
  else
#endif
    scan_groups (self, block, len);
  g_array_sort (self->hits, by_start);
  return self->hits;
}
