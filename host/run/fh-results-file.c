/* fh-results-file.c — the results file. */
#include "config.h"

#include "fh-results-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-host-file.h"
#include "fh-json.h"

struct _FhResultsFile
{
  GMutex lock;
  char *path;
  int fd;
  gboolean dirty;
  gboolean resume;
  GHashTable *latest;   /* resume mode: name → JsonObject */
};

/* Reads @path's lines into @latest; a line that is not a result object is
 * an error naming its line number (a truncated last line, from a crash
 * mid-write, is tolerated). */
static gboolean
read_existing (FhResultsFile *self, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (self->path, &text, NULL, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (JsonObject) o = NULL;
      g_autoptr (GError) bad = NULL;
      const char *name;

      if (lines[i][0] == '\0')
        continue;
      o = fh_json_parse_object (lines[i], -1, &bad);
      name = o ? json_object_get_string_member_with_default (o, "name", NULL) : NULL;
      /* The last line may be torn (a run killed mid-write): it reran. */
      if (name == NULL && lines[i + 1] == NULL)
        break;
      if (name == NULL)
        return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_IO,
                         "%s:%u: not a results line (an object with a \"name\"): %s",
                         self->path, i + 1, bad ? bad->message : "it has no \"name\"");
      g_hash_table_replace (self->latest, g_strdup (name), g_steal_pointer (&o));
    }
  return TRUE;
}

FhResultsFile *
fh_results_file_open (const char *path, gboolean resume, GError **error)
{
  g_autoptr (FhResultsFile) self = g_new0 (FhResultsFile, 1);
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (resume ? O_APPEND : O_TRUNC);

  g_mutex_init (&self->lock);
  self->path = g_strdup (path);
  self->fd = -1;
  self->resume = resume;
  self->latest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) json_object_unref);
  if (resume && !read_existing (self, error))
    return NULL;
  self->fd = open (path, flags, 0644);
  if (self->fd < 0)
    {
      fh_throw_errno (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno,
                      "opening results file %s", path);
      return NULL;
    }
  return g_steal_pointer (&self);
}

JsonObject *
fh_results_file_lookup (FhResultsFile *self, const char *name)
{
  return g_hash_table_lookup (self->latest, name);
}

gboolean
fh_results_file_write (FhResultsFile *self, JsonObject *result, GError **error)
{
  g_autofree char *json = fh_json_object_to_string (result);
  g_autofree char *line = g_strconcat (json, "\n", NULL);
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  g_return_val_if_fail (self->fd >= 0, FALSE);
  /* One write per line: a reader (or a crash) never sees half a line, and
   * a full disk leaves none. */
  if (!fh_host_file_append (self->fd, self->path, line, strlen (line), error))
    return FALSE;
  self->dirty = TRUE;
  if (self->resume)
    g_hash_table_replace (self->latest,
                          g_strdup (json_object_get_string_member (result, "name")),
                          json_object_ref (result));
  return TRUE;
}

/* A failed sync stays due: the next one tries again. */
static gboolean
sync_locked (FhResultsFile *self, GError **error)
{
  if (!self->dirty || self->fd < 0)
    return TRUE;
  if (!fh_host_file_sync (self->fd, self->path, error))
    return FALSE;
  self->dirty = FALSE;
  return TRUE;
}

gboolean
fh_results_file_sync (FhResultsFile *self, GError **error)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return sync_locked (self, error);
}

static gint
by_index (gconstpointer a, gconstpointer b)
{
  JsonObject *x = *(JsonObject **) a, *y = *(JsonObject **) b;
  gint64 i = json_object_get_int_member_with_default (x, "index", G_MAXINT64);
  gint64 j = json_object_get_int_member_with_default (y, "index", G_MAXINT64);

  return i < j ? -1 : i > j;
}

/* One line per item, in agenda order, replacing the file atomically. */
static gboolean
compact (FhResultsFile *self, GError **error)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  g_autoptr (GString) text = g_string_new (NULL);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->latest);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, value);
  g_ptr_array_sort (all, by_index);
  for (guint i = 0; i < all->len; i++)
    {
      g_autofree char *json = fh_json_object_to_string (g_ptr_array_index (all, i));
      g_string_append (text, json);
      g_string_append_c (text, '\n');
    }
  if (!g_file_set_contents_full (self->path, text->str, (gssize) text->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0644, error))
    return FALSE;
  return TRUE;
}

gboolean
fh_results_file_close (FhResultsFile *self, GError **error)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  gboolean ok;

  if (self->fd < 0)
    return TRUE;
  ok = sync_locked (self, error);
  if (!fh_host_file_close (self->fd, self->path, ok ? error : NULL))
    ok = FALSE;
  self->fd = -1;
  if (ok && self->resume)
    ok = compact (self, error);
  return ok;
}

void
fh_results_file_free (FhResultsFile *self)
{
  if (self == NULL)
    return;
  fh_results_file_close (self, NULL);
  g_hash_table_unref (self->latest);
  g_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self);
}
