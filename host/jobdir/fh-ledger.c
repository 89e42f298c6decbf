/* fh-ledger.c — a worker's ledger (see the header). */
#include "config.h"

#include "fh-ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fh-error.h"
#include "fh-host-file.h"
#include "fh-job-dir.h"
#include "fh-json.h"

struct _FhLedger
{
  char *ledger_path;
  char *results_path;
  int ledger_fd;
  int results_fd;
  gint64 results_size;   /* where the next object starts */
  gint dirty;            /* atomic */
};

static int
open_append (const char *path, GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

  if (fd < 0)
    fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "opening %s", path);
  return fd;
}

FhLedger *
fh_ledger_open (const char *ledgers_dir, const char *writer, GError **error)
{
  g_autoptr (FhLedger) self = g_new0 (FhLedger, 1);
  g_autofree char *ledger_name = g_strconcat (writer, ".ledger", NULL);
  g_autofree char *results_name = g_strconcat (writer, ".results", NULL);
  struct stat st;

  self->ledger_fd = self->results_fd = -1;
  self->ledger_path = g_build_filename (ledgers_dir, ledger_name, NULL);
  self->results_path = g_build_filename (ledgers_dir, results_name, NULL);
  if ((self->results_fd = open_append (self->results_path, error)) < 0 ||
      (self->ledger_fd = open_append (self->ledger_path, error)) < 0)
    return NULL;
  if (fstat (self->results_fd, &st) < 0)
    return fh_throw_errno_null (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "reading %s",
                                self->results_path);
  self->results_size = st.st_size;
  return g_steal_pointer (&self);
}

void
fh_ledger_free (FhLedger *self)
{
  if (self == NULL)
    return;
  fh_ledger_sync (self, NULL);
  if (self->ledger_fd >= 0)
    close (self->ledger_fd);
  if (self->results_fd >= 0)
    close (self->results_fd);
  g_free (self->ledger_path);
  g_free (self->results_path);
  g_free (self);
}

/* One write per line: a reader never sees half of one from a live writer,
 * and a full disk leaves none (fh-host-file.h). */
static gboolean
append (int fd, const char *path, const char *text, gsize len, GError **error)
{
  return fh_host_file_append (fd, path, text, len, error);
}

gboolean
fh_ledger_add_claim (FhLedger *self, guint index, guint attempt, GError **error)
{
  g_autofree char *line = g_strdup_printf ("claim %u %u\n", index, attempt);

  g_atomic_int_set (&self->dirty, 1);
  return append (self->ledger_fd, self->ledger_path, line, strlen (line), error);
}

gboolean
fh_ledger_add_result (FhLedger *self, guint index, guint attempt, JsonObject *result,
                      GError **error)
{
  g_autofree char *json = fh_json_object_to_string (result);
  g_autofree char *object = g_strconcat (json, "\n", NULL);
  gboolean ok = g_strcmp0 (json_object_get_string_member_with_default (result, "status", ""),
                           "complete") == 0;
  g_autofree char *line = g_strdup_printf ("result %u %u %s %" G_GINT64_FORMAT "\n", index, attempt,
                                           ok ? "complete" : "failed", self->results_size);
  gsize len = strlen (object);

  g_atomic_int_set (&self->dirty, 1);
  if (!append (self->results_fd, self->results_path, object, len, error))
    return FALSE;
  self->results_size += (gint64) len;
  return append (self->ledger_fd, self->ledger_path, line, strlen (line), error);
}

gboolean
fh_ledger_sync (FhLedger *self, GError **error)
{
  /* Cleared first: a write during the sync makes it due again. */
  if (!g_atomic_int_compare_and_exchange (&self->dirty, 1, 0))
    return TRUE;
  /* The objects before the lines that point at them.  A failed sync stays
   * due: the next one tries again. */
  if (!fh_host_file_sync (self->results_fd, self->results_path, error) ||
      !fh_host_file_sync (self->ledger_fd, self->ledger_path, error))
    {
      g_atomic_int_set (&self->dirty, 1);
      return FALSE;
    }
  return TRUE;
}
