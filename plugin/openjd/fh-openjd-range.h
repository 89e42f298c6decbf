/* fh-openjd-range.h — OpenJD's <IntRangeExpr> (Template Schemas
 * §3.4.1.1.1): "1-100", "1-100:5", "10-1:-1", "1,3,5-8", spaces and tabs
 * around every token.
 *
 * Held as its parts, never expanded: a range of a billion frames costs
 * what "1-1000000000" costs, and value @i is found by arithmetic.  Parts
 * keep the order written.  As the specification defines them, a part's
 * step is 1 unless given, and a part whose step leads away from its end
 * is its start alone ("1 - -1" is [1]; "10-1:-1" counts down).  Parts may not overlap: their spans
 * [start, end] as written are compared, as the specification's
 * "1-10:4,10-15" is an error although 10 is not among 1, 5, 9.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 start;
  gint64 end;      /* as written; the last value is start + (count-1)*step */
  gint64 step;     /* never 0 */
  guint64 count;
} FhOjRangePart;

typedef struct _FhOjRange FhOjRange;

/* @text as a range expression, or NULL with @message (out) saying what
 * is wrong.  (transfer full) */
FhOjRange *fh_oj_range_parse (const char *text, char **message);
/* A range of the parts @parts (copied; they must not overlap).
 * (transfer full) */
FhOjRange *fh_oj_range_new (const FhOjRangePart *parts, guint n_parts);
void fh_oj_range_free (FhOjRange *self);

/* How many values (at most G_MAXUINT64). */
guint64 fh_oj_range_count (const FhOjRange *self);
/* Value @index (from 0, below the count). */
gint64 fh_oj_range_get (const FhOjRange *self, guint64 index);

guint fh_oj_range_get_n_parts (const FhOjRange *self);
const FhOjRangePart *fh_oj_range_get_part (const FhOjRange *self, guint i);

/* The same values in increasing order, runs of consecutive values
 * merged ("5-1,6-8" → 1-8).  (transfer full) */
FhOjRange *fh_oj_range_sorted (const FhOjRange *self);

/* Part @part's values from position @from, @n of them, as the shortest
 * expression: "7", "7-8", "7,9", "1-9:2".  Appended to @out. */
void fh_oj_range_part_slice_to_string (const FhOjRangePart *part, guint64 from, guint64 n,
                                       GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhOjRange, fh_oj_range_free)

G_END_DECLS
