/* fh-host-file.c — the host's file writes (see the header). */
#include "config.h"

#include "fh-host-file.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A full disk or quota may clear (a clean-up frees space): so many tries,
 * the first after 50 ms, each wait twice the last (1.55 s in all). */
#define FULL_TRIES 6
#define FULL_FIRST_WAIT_US 50000

static gboolean
throw_errno (GError **error, int saved, const char *what, const char *path)
{
  const char *name = strerrorname_np (saved);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s %s: %s (%s)", what, path,
               g_strerror (saved), name ? name : "?");
  return FALSE;
}

static gboolean
full (int saved)
{
  return saved == ENOSPC || saved == EDQUOT;
}

/* write(2) until all of @data is out; errno of the failure. */
static gboolean
write_loop (int fd, const char *p, gsize len, int *saved)
{
  while (len > 0)
    {
      gssize n = write (fd, p, len);

      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        {
          *saved = errno;
          return FALSE;
        }
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

gboolean
fh_host_file_append (int fd, const char *path, const void *data, gsize len, GError **error)
{
  gulong wait = FULL_FIRST_WAIT_US;
  struct stat st;
  int saved = 0;

  if (fstat (fd, &st) < 0)
    return throw_errno (error, errno, "writing", path);
  for (guint attempt = 1;; attempt++)
    {
      if (write_loop (fd, data, len, &saved))
        return TRUE;
      /* Nothing half-written stays behind: a reader (or a resume) would
       * take a torn line for the end of the file. */
      if (ftruncate (fd, st.st_size) < 0 && !full (saved))
        saved = errno;
      if (!full (saved) || attempt == FULL_TRIES)
        return throw_errno (error, saved, "writing", path);
      g_usleep (wait);
      wait *= 2;
    }
}

gboolean
fh_host_file_write_all (int fd, const char *path, const void *data, gsize len, GError **error)
{
  gulong wait = FULL_FIRST_WAIT_US;
  const char *p = data;
  int saved = 0;

  for (guint attempt = 1;; attempt++)
    {
      off_t before = lseek (fd, 0, SEEK_CUR);
      if (write_loop (fd, p, len, &saved))
        return TRUE;
      if (!full (saved) || attempt == FULL_TRIES || before < 0 || lseek (fd, before, SEEK_SET) < 0)
        return throw_errno (error, saved, "writing", path);
      g_usleep (wait);
      wait *= 2;
    }
}

gboolean
fh_host_file_sync (int fd, const char *path, GError **error)
{
  while (fdatasync (fd) < 0)
    {
      if (errno == EINTR)
        continue;
      if (errno == EINVAL || errno == EROFS)
        return TRUE;
      return throw_errno (error, errno, "syncing", path);
    }
  return TRUE;
}

gboolean
fh_host_file_close (int fd, const char *path, GError **error)
{
  if (close (fd) < 0 && errno != EINTR)
    return throw_errno (error, errno, "closing", path);
  return TRUE;
}
