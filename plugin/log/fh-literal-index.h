/* fh-literal-index.h — where, in a block of log output, any of many
 * literals occur: one pass per distinct search byte, not one per literal.
 *
 * A log scanner with a preset holds a hundred literals (its literal
 * patterns and its regexes' guards, fh-regex-guard.h); searched one by
 * one, each would read the whole block.  The index searches each block
 * once per distinct rarest byte of its literals, records every occurrence
 * with the pattern it belongs to, and hands them out in order: a line
 * whose span holds none needs none of those patterns.
 */
#pragma once

#include "fh-literal-pattern.h"

G_BEGIN_DECLS

typedef struct
{
  gsize start, end;     /* offsets in the block */
  guint owner;          /* what fh_literal_index_add() was given */
} FhLiteralHit;

typedef struct _FhLiteralIndex FhLiteralIndex;

/* (transfer full) */
FhLiteralIndex *fh_literal_index_new (void);
void fh_literal_index_free (FhLiteralIndex *self);

/* @text (@len bytes, copied) belongs to @owner; @lowered: it is in lower
 * case and matches caselessly. */
void fh_literal_index_add (FhLiteralIndex *self, const char *text, gsize len, gboolean lowered,
                           guint owner);
gboolean fh_literal_index_is_empty (FhLiteralIndex *self);

/* Finds every occurrence in @block (@len bytes); a lowered literal
 * caselessly (ASCII).  The hits, ordered by start, until the next call.
 * (transfer none) */
const GArray *fh_literal_index_scan (FhLiteralIndex *self, const char *block, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhLiteralIndex, fh_literal_index_free)

G_END_DECLS
