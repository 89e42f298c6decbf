/* fh-tail.h — the last N lines of a stream, for tracebacks and crash
 * reports ("executor exited with signal 9; last log lines: ...").
 * Bounded: at most @max_lines lines of at most @max_bytes each.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhTail FhTail;

/* (transfer full) */
FhTail *fh_tail_new (guint max_lines, gsize max_bytes);
void fh_tail_free (FhTail *self);

void fh_tail_push (FhTail *self, const char *line, gsize len);
void fh_tail_clear (FhTail *self);
guint fh_tail_get_length (FhTail *self);

/* The kept lines, oldest first, each followed by '\n' and preceded by
 * @indent (nullable).  (transfer full) */
char *fh_tail_join (FhTail *self, const char *indent);
/* The same for only the last @max_lines lines.  (transfer full) */
char *fh_tail_join_last (FhTail *self, guint max_lines, const char *indent);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhTail, fh_tail_free)

G_END_DECLS
