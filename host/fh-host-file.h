/* fh-host-file.h — how the host writes the files it answers for: results,
 * ledgers, claims, the job log, job metadata.
 *
 * Nothing lost on a failing disk: every error names the file and the
 * errno (G_IO_ERROR, its code from the errno: G_IO_ERROR_NO_SPACE for
 * ENOSPC), so a caller can tell a full disk from a broken one and a person
 * can act on it.  What can be retried is: EINTR and EAGAIN at once, a full
 * disk or quota (ENOSPC, EDQUOT) a few times over about a second and a
 * half, in case space is freed.  An appended line is all there or not at
 * all: a write that fails part-way is cut back to where it began.  A sync
 * that fails is reported, never taken for done.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends @len bytes of @data (one line, or a few) to @fd, a file opened
 * O_APPEND whose name is @path: with one write(2) when the disk takes it,
 * and on failure with nothing of it left in the file. */
gboolean fh_host_file_append (int fd, const char *path, const void *data, gsize len, GError **error);
/* Writes all of @data to @fd at its position (a file being written from
 * the start), retrying as above. */
gboolean fh_host_file_write_all (int fd, const char *path, const void *data, gsize len, GError **error);
/* fdatasync(@fd): what was written is on the disk, or the error says why.
 * A filesystem that cannot sync (EINVAL, EROFS) is not an error. */
gboolean fh_host_file_sync (int fd, const char *path, GError **error);
/* Closes @fd, whose close can report a write-back error (NFS). */
gboolean fh_host_file_close (int fd, const char *path, GError **error);

G_END_DECLS
