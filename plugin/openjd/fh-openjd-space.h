/* fh-openjd-space.h — a step's parameter space (Template Schemas §3.4):
 * its tasks, each a value for every task parameter, by index.
 *
 * Never expanded: ranges stay ranges, products and associations are
 * index arithmetic, chunks are computed from the range's runs.  A step
 * of 100,000 tasks (or of 10^12) costs what its template costs; task @i
 * is found in time proportional to the number of parameters (and the
 * logarithm of a range's parts).
 *
 * CHUNK[INT] (TASK_CHUNKING): the range is sorted and cut into chunks of
 * defaultTaskCount values as evenly as the count allows; CONTIGUOUS
 * chunks never bridge a gap ("1,10-12" gives "1-1" and "10-12"),
 * NONCONTIGUOUS ones may ("1,3,5" in one chunk).  A chunk's value is a
 * range expression.  targetRuntimeSeconds (adaptive chunk sizes) is not
 * applied: docs/openjd.md says why.
 */
#pragma once

#include <glib.h>

#include "fh-openjd-template.h"

G_BEGIN_DECLS

typedef struct _FhOjSpace FhOjSpace;

/* A task parameter with its values resolved at job creation. */
typedef struct
{
  const FhOjTaskParam *param;
  GPtrArray *values;         /* char*: a list range, as it renders */
  struct _FhOjRange *range;  /* or an integer range (INT, CHUNK[INT]) */
  gint64 chunk_size;         /* CHUNK[INT]: defaultTaskCount */
} FhOjSpaceParam;

/* The space of @step over @params (FhOjSpaceParam*, in the step's
 * order; the space takes them).  NULL with @message (out, transfer
 * full) when the combination cannot be made: associated parameters of
 * different lengths, or more tasks than 2^64.  (transfer full) */
FhOjSpace *fh_oj_space_new (const FhOjStep *step, GPtrArray *params, char **message);
void fh_oj_space_free (FhOjSpace *self);
void fh_oj_space_param_free (FhOjSpaceParam *p);

guint64 fh_oj_space_count (const FhOjSpace *self);
guint fh_oj_space_get_n_params (const FhOjSpace *self);
const FhOjTaskParam *fh_oj_space_get_param (const FhOjSpace *self, guint i);

/* Task @index's value of each parameter, in the step's order, into
 * @values (char*, set to the parameters' count; it owns the strings). */
void fh_oj_space_get (const FhOjSpace *self, guint64 index, GPtrArray *values);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhOjSpace, fh_oj_space_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhOjSpaceParam, fh_oj_space_param_free)

G_END_DECLS
