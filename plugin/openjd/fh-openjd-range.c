/* fh-openjd-range.c — integer range expressions, held as parts. */
#include "config.h"

#include "fh-openjd-range.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct _FhOjRange
{
  GArray *parts;          /* FhOjRangePart */
  guint64 *first_index;   /* of each part's first value */
  guint64 count;
};

/* |b - a| without overflow. */
static guint64
distance (gint64 a, gint64 b)
{
  return a <= b ? (guint64) b - (guint64) a : (guint64) a - (guint64) b;
}

static guint64
part_count (gint64 start, gint64 end, gint64 step)
{
  guint64 astep = step < 0 ? (guint64) 0 - (guint64) step : (guint64) step;

  /* A step away from the end: the start alone, as the specification's
   * {x} ∪ {x + mn ...} says. */
  if ((end > start && step < 0) || (end < start && step > 0))
    return 1;
  return distance (start, end) / astep + 1;
}

static void
skip_space (const char **p)
{
  while (**p == ' ' || **p == '\t')
    (*p)++;
}

/* An optionally signed base-10 integer. */
static gboolean
parse_int (const char **p, gint64 *out)
{
  const char *s = *p;
  char *end;

  if (*s == '-' || *s == '+')
    s++;
  if (!g_ascii_isdigit (*s))
    return FALSE;
  errno = 0;
  *out = g_ascii_strtoll (*p, &end, 10);
  if (errno == ERANGE)
    return FALSE;
  *p = end;
  return TRUE;
}

/* One element: INT, INT-INT or INT-INT:SKIP. */
static gboolean
parse_element (const char *text, FhOjRangePart *part, char **message)
{
  const char *p = text;
  gint64 start, end, step;

  skip_space (&p);
  if (!parse_int (&p, &start))
    goto bad;
  end = start;
  step = 1;
  skip_space (&p);
  if (*p == '-')
    {
      p++;
      skip_space (&p);
      if (!parse_int (&p, &end))
        goto bad;
      skip_space (&p);
      if (*p == ':')
        {
          p++;
          skip_space (&p);
          if (!parse_int (&p, &step))
            goto bad;
          if (step == 0)
            goto bad;
          skip_space (&p);
        }
    }
  if (*p != '\0')
    goto bad;
  *part = (FhOjRangePart) { start, end, step, part_count (start, end, step) };
  return TRUE;
bad:
  {
    g_autofree char *t = g_strstrip (g_strdup (text));
    *message = g_strdup_printf ("'%s' is not a range element: an integer, START-END or START-END:STEP "
                                "(integers within 64 bits, a step not 0)", t);
  }
  return FALSE;
}

static gboolean
spans_overlap (const FhOjRangePart *a, const FhOjRangePart *b)
{
  gint64 alo = MIN (a->start, a->end), ahi = MAX (a->start, a->end);
  gint64 blo = MIN (b->start, b->end), bhi = MAX (b->start, b->end);

  return alo <= bhi && blo <= ahi;
}

static void
part_to_string (const FhOjRangePart *p, GString *out)
{
  if (p->start == p->end && p->count == 1)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, p->start);
  else if (p->step == 1 || p->step == -1)
    g_string_append_printf (out, "%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, p->start, p->end);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                            p->start, p->end, p->step);
}

static gboolean
check_overlaps (GArray *parts, char **message)
{
  for (guint i = 0; i < parts->len; i++)
    for (guint j = i + 1; j < parts->len; j++)
      if (spans_overlap (&g_array_index (parts, FhOjRangePart, i), &g_array_index (parts, FhOjRangePart, j)))
        {
          g_autoptr (GString) a = g_string_new (NULL), b = g_string_new (NULL);
          part_to_string (&g_array_index (parts, FhOjRangePart, i), a);
          part_to_string (&g_array_index (parts, FhOjRangePart, j), b);
          *message = g_strdup_printf ("'%s' and '%s' overlap: each value may appear once", a->str, b->str);
          return FALSE;
        }
  return TRUE;
}

FhOjRange *
fh_oj_range_new (const FhOjRangePart *parts, guint n_parts)
{
  FhOjRange *self = g_new0 (FhOjRange, 1);

  self->parts = g_array_sized_new (FALSE, FALSE, sizeof (FhOjRangePart), n_parts);
  g_array_append_vals (self->parts, parts, n_parts);
  self->first_index = g_new (guint64, n_parts + 1);
  for (guint i = 0; i < n_parts; i++)
    {
      self->first_index[i] = self->count;
      self->count = parts[i].count > G_MAXUINT64 - self->count ? G_MAXUINT64 : self->count + parts[i].count;
    }
  self->first_index[n_parts] = self->count;
  return self;
}

FhOjRange *
fh_oj_range_parse (const char *text, char **message)
{
  g_auto (GStrv) elements = g_strsplit (text, ",", -1);
  g_autoptr (GArray) parts = g_array_new (FALSE, FALSE, sizeof (FhOjRangePart));

  if (elements[0] == NULL)
    {
      *message = g_strdup ("an empty range: give values such as \"1-100\" or \"1,5,10-20\"");
      return NULL;
    }
  for (guint i = 0; elements[i] != NULL; i++)
    {
      FhOjRangePart part;
      if (!parse_element (elements[i], &part, message))
        return NULL;
      g_array_append_val (parts, part);
    }
  if (!check_overlaps (parts, message))
    return NULL;
  return fh_oj_range_new ((FhOjRangePart *) parts->data, parts->len);
}

void
fh_oj_range_free (FhOjRange *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->parts);
  g_free (self->first_index);
  g_free (self);
}

guint64
fh_oj_range_count (const FhOjRange *self)
{
  return self->count;
}

gint64
fh_oj_range_get (const FhOjRange *self, guint64 index)
{
  guint lo = 0, hi = self->parts->len;
  const FhOjRangePart *p;

  /* The last part whose first index is at or below @index. */
  while (hi - lo > 1)
    {
      guint mid = (lo + hi) / 2;
      if (self->first_index[mid] <= index)
        lo = mid;
      else
        hi = mid;
    }
  p = &g_array_index (self->parts, FhOjRangePart, lo);
  return (gint64) ((guint64) p->start + (index - self->first_index[lo]) * (guint64) p->step);
}

guint
fh_oj_range_get_n_parts (const FhOjRange *self)
{
  return self->parts->len;
}

const FhOjRangePart *
fh_oj_range_get_part (const FhOjRange *self, guint i)
{
  return &g_array_index (self->parts, FhOjRangePart, i);
}

static gint
compare_start (gconstpointer a, gconstpointer b)
{
  gint64 x = ((const FhOjRangePart *) a)->start, y = ((const FhOjRangePart *) b)->start;

  return x < y ? -1 : x > y;
}

FhOjRange *
fh_oj_range_sorted (const FhOjRange *self)
{
  g_autoptr (GArray) parts = g_array_new (FALSE, FALSE, sizeof (FhOjRangePart));
  g_autoptr (GArray) merged = g_array_new (FALSE, FALSE, sizeof (FhOjRangePart));

  for (guint i = 0; i < self->parts->len; i++)
    {
      FhOjRangePart p = g_array_index (self->parts, FhOjRangePart, i);
      gint64 last = (gint64) ((guint64) p.start + (p.count - 1) * (guint64) p.step);
      if (p.step < 0)
        p = (FhOjRangePart) { last, p.start, -p.step, p.count };
      else
        p.end = last;
      if (p.count == 1)
        p.step = 1;
      g_array_append_val (parts, p);
    }
  g_array_sort (parts, compare_start);
  for (guint i = 0; i < parts->len; i++)
    {
      FhOjRangePart p = g_array_index (parts, FhOjRangePart, i);
      FhOjRangePart *prev = merged->len ? &g_array_index (merged, FhOjRangePart, merged->len - 1) : NULL;
      if (prev != NULL && prev->step == 1 && p.step == 1 && prev->end != G_MAXINT64 && prev->end + 1 == p.start)
        {
          prev->end = p.end;
          prev->count += p.count;
        }
      else
        g_array_append_val (merged, p);
    }
  return fh_oj_range_new ((FhOjRangePart *) merged->data, merged->len);
}

void
fh_oj_range_part_slice_to_string (const FhOjRangePart *part, guint64 from, guint64 n, GString *out)
{
  gint64 first = (gint64) ((guint64) part->start + from * (guint64) part->step);
  gint64 last = (gint64) ((guint64) first + (n - 1) * (guint64) part->step);

  if (n == 1)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, first);
  else if (part->step == 1 || part->step == -1)
    g_string_append_printf (out, "%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, first, last);
  else if (n == 2)
    g_string_append_printf (out, "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, first, last);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                            first, last, part->step);
}
