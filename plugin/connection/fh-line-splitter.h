/* fh-line-splitter.h — streaming line splitter for job logs.
 *
 * LF, CRLF and a bare CR (progress-bar redraws) each end a line.  A line
 * longer than the cap is delivered once, truncated to the cap, as soon as
 * the cap is reached; the rest of it is counted and dropped, so memory
 * never grows with what a job prints.  Lines are always valid UTF-8:
 * invalid sequences are repaired with U+FFFD.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FH_LINE_NONE = 0,
  FH_LINE_TRUNCATED = 1 << 0,  /* the line was longer than the cap */
  FH_LINE_REPAIRED = 1 << 1,   /* invalid UTF-8 was replaced */
} FhLineFlags;

/* @line is not NUL-terminated and is only valid during the call. */
typedef void (*FhLineFunc) (const char *line, gsize len, FhLineFlags flags,
                            gpointer user_data);

typedef struct _FhLineSplitter FhLineSplitter;

/* (transfer full) */
FhLineSplitter *fh_line_splitter_new (gsize max_line, FhLineFunc func,
                                      gpointer user_data);
void fh_line_splitter_free (FhLineSplitter *self);

void fh_line_splitter_push (FhLineSplitter *self, const char *data, gsize len);

/* Delivers a pending partial line, if any (end of stream, or the end of a
 * command whose last line had no newline). */
void fh_line_splitter_flush (FhLineSplitter *self);

guint64 fh_line_splitter_get_n_lines (FhLineSplitter *self);
guint64 fh_line_splitter_get_n_truncated (FhLineSplitter *self);
/* Bytes dropped from over-long lines. */
guint64 fh_line_splitter_get_n_dropped (FhLineSplitter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhLineSplitter, fh_line_splitter_free)

G_END_DECLS
