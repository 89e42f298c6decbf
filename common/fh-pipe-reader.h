/* fh-pipe-reader.h — event-driven reads from a pipe or socket on a
 * GMainContext, with an explicit non-blocking drain for the moments when
 * a caller must have everything that is already in the pipe (a command's
 * result arrived; the writer exited).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhPipeReader FhPipeReader;

/* @len bytes arrived; @len == 0 means end of stream (called once). The
 * callback may not free the reader. */
typedef void (*FhPipeDataFunc) (const char *data, gsize len, gpointer user_data);

/* Makes @fd non-blocking and watches it.  Does not own @fd.
 * (transfer full) */
FhPipeReader *fh_pipe_reader_new (int fd, GMainContext *context,
                                  FhPipeDataFunc func, gpointer user_data);
void fh_pipe_reader_free (FhPipeReader *self);

/* Sources with a numerically lower priority are dispatched first.  Give
 * log pipes a higher priority than the channel that says "the command is
 * done": when that message is handled, a poll made after it was sent has
 * found the log pipes empty, so every line the command printed has been
 * read — without a single extra read to make sure. */
#define FH_PRIORITY_LOG (G_PRIORITY_DEFAULT - 10)

void fh_pipe_reader_set_priority (FhPipeReader *self, int priority);

/* Reads whatever is there now, without blocking, at most @max_reads
 * reads of 64 KiB (a writer that never stops must not hold us). */
void fh_pipe_reader_drain (FhPipeReader *self, guint max_reads);

/* FALSE once end of stream was seen. */
gboolean fh_pipe_reader_is_open (FhPipeReader *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhPipeReader, fh_pipe_reader_free)

G_END_DECLS
