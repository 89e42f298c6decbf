/* fh-results-writer.c — the results file. */
#include "config.h"

#include "fh-results-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fh-error.h"
#include "fh-wire.h"

#define SYNC_INTERVAL_US G_USEC_PER_SEC

struct _FhResultsWriter
{
  char *path;
  int fd;
  gint64 last_sync;
  gboolean dirty;
};

FhResultsWriter *
fh_results_writer_open (const char *path, gboolean append, GError **error)
{
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  int fd = open (path, flags, 0644);
  FhResultsWriter *self;

  if (fd < 0)
    {
      fh_throw_errno (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno,
                      "opening results file %s", path);
      return NULL;
    }
  self = g_new0 (FhResultsWriter, 1);
  self->path = g_strdup (path);
  self->fd = fd;
  self->last_sync = g_get_monotonic_time ();
  return self;
}

static gboolean
sync_now (FhResultsWriter *self, GError **error)
{
  self->last_sync = g_get_monotonic_time ();
  self->dirty = FALSE;
  if (fdatasync (self->fd) < 0 && errno != EINVAL && errno != EROFS)
    return fh_throw_errno (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno,
                           "syncing results file %s", self->path);
  return TRUE;
}

gboolean
fh_results_writer_write (FhResultsWriter *self, const char *json, GError **error)
{
  gsize len = strlen (json);
  g_autofree char *line = g_malloc (len + 1);

  g_return_val_if_fail (self->fd >= 0, FALSE);
  memcpy (line, json, len);
  line[len] = '\n';
  /* One write per line: a reader (or a crash) never sees half a line. */
  if (!fh_wire_write_all (self->fd, line, len + 1, error))
    {
      g_prefix_error (error, "writing results file %s: ", self->path);
      return FALSE;
    }
  self->dirty = TRUE;
  if (g_get_monotonic_time () - self->last_sync >= SYNC_INTERVAL_US)
    return sync_now (self, error);
  return TRUE;
}

gboolean
fh_results_writer_close (FhResultsWriter *self, GError **error)
{
  gboolean ok = TRUE;

  if (self->fd < 0)
    return TRUE;
  if (self->dirty)
    ok = sync_now (self, error);
  if (close (self->fd) < 0 && ok)
    ok = fh_throw_errno (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno,
                         "closing results file %s", self->path);
  self->fd = -1;
  return ok;
}

void
fh_results_writer_free (FhResultsWriter *self)
{
  if (self == NULL)
    return;
  fh_results_writer_close (self, NULL);
  g_free (self->path);
  g_free (self);
}
