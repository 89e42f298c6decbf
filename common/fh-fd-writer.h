/* fh-fd-writer.h — non-blocking buffered writes to a pipe or a socket,
 * on a GMainContext.  Writes go out at once when the pipe has room; the rest
 * waits in a buffer and leaves when the fd is writable again, so a slow
 * reader never blocks the event loop.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhFdWriter FhFdWriter;

/* Called once, on the first write error (e.g. EPIPE). */
typedef void (*FhFdWriterErrorFunc) (int saved_errno, gpointer user_data);

/* Makes @fd non-blocking.  Does not own @fd.  (transfer full) */
FhFdWriter *fh_fd_writer_new (int fd, GMainContext *context,
                              FhFdWriterErrorFunc on_error, gpointer user_data);
void fh_fd_writer_free (FhFdWriter *self);
/* For a library in a process whose SIGPIPE disposition is not its own
 * (the plugin inside a host): each write runs with SIGPIPE blocked in the
 * writing thread, and the SIGPIPE a write to a vanished reader raised is
 * taken back before the mask is restored, so the failure is an EPIPE
 * error and the process's disposition is never touched. */
void fh_fd_writer_keep_sigpipe (FhFdWriter *self);
/* @fd is a socket: writes are send(MSG_NOSIGNAL), which never raises
 * SIGPIPE, so they need no mask. */
void fh_fd_writer_set_socket (FhFdWriter *self);

/* Appends @len bytes and writes as much as the fd takes now. */
void fh_fd_writer_write (FhFdWriter *self, const void *data, gsize len);
/* The buffer itself, to append to before fh_fd_writer_flush(): saves a
 * copy when serialising straight into it.  (transfer none) */
GByteArray *fh_fd_writer_get_buffer (FhFdWriter *self);
void fh_fd_writer_flush (FhFdWriter *self);

/* Bytes not yet written (after a write error: the bytes the reader never
 * got). */
gsize fh_fd_writer_get_pending (FhFdWriter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhFdWriter, fh_fd_writer_free)

G_END_DECLS
