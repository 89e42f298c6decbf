/* fh-job-dir.c — the shared job directory: its layout, files, clock and
 * heartbeats, cancel and resume.  One worker's claims are fh-claims.c, the
 * job's status fh-job-status.c.  The protocol is docs/jobdir.md; the
 * comments here say where each rule of it is kept. */
#include "config.h"

#include "fh-job-dir-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fh-error.h"
#include "fh-host-file.h"
#include "fh-item-states.h"
#include "fh-json.h"

G_DEFINE_QUARK (fh-jobdir-error-quark, fh_jobdir_error)

static const char *const subdirs[] = { "claims", "ledgers", "workers", "logs", "slurm", "clock" };

/* ---- paths and files ------------------------------------------------------- */

char *
fh_job_dir_child (FhJobDir *self, const char *name)
{
  return g_build_filename (self->path, name, NULL);
}

char *
fh_job_dir_claim_path (FhJobDir *self, guint index, guint attempt)
{
  return g_strdup_printf ("%s/claims/%03u/%08u.%u", self->path, index / FH_JOB_DIR_SHARD, index, attempt);
}

char *
fh_job_dir_worker_path (FhJobDir *self, const char *worker)
{
  g_autofree char *name = g_strdup_printf ("%s.json", worker);

  return g_build_filename (self->path, "workers", name, NULL);
}

char *
fh_job_dir_log_path (FhJobDir *self, const char *worker)
{
  g_autofree char *name = g_strdup_printf ("%s.log", worker);

  return g_build_filename (self->path, "logs", name, NULL);
}

/* @o as one line of JSON, by rename: readers see all of it or none.
 * @durable: synced to disk before the rename (meta.json); a heartbeat is
 * not — a crash loses nothing it says, and hundreds of workers syncing
 * their heartbeats would delay them past their lease. */
gboolean
fh_job_dir_write_json (const char *path, JsonObject *o, gboolean durable, GError **error)
{
  g_autofree char *text = fh_json_object_to_string (o);
  g_autofree char *line = g_strconcat (text, "\n", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.%d.tmp", dir, base, (int) getpid ());
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  gboolean ok;

  if (fd < 0)
    return fh_throw_errno (error, G_IO_ERROR, g_io_error_from_errno (errno), errno, "writing %s", tmp);
  ok = fh_host_file_write_all (fd, tmp, line, strlen (line), error) &&
       (!durable || fh_host_file_sync (fd, tmp, error));
  ok = fh_host_file_close (fd, tmp, ok ? error : NULL) && ok;
  if (ok && rename (tmp, path) != 0)
    ok = fh_throw_errno (error, G_IO_ERROR, g_io_error_from_errno (errno), errno, "renaming %s to %s", tmp,
                         path);
  if (!ok)
    g_unlink (tmp);
  return ok;
}

JsonObject *
fh_job_dir_read_json (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;
  JsonObject *o;

  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  if ((o = fh_json_parse_object (text, (gssize) len, &local)) == NULL)
    return fh_throw_null (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID, "%s: %s", path,
                          local->message);
  return o;
}

char *
fh_job_dir_now_iso (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format_iso8601 (now);
}

/* ---- the clock ------------------------------------------------------------- */

/* Nanoseconds of @path's last write; FALSE when it does not exist. */
gboolean
fh_job_dir_mtime_of (const char *path, gint64 *ns)
{
  struct stat st;

  if (stat (path, &st) != 0)
    return FALSE;
  *ns = (gint64) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  return TRUE;
}

/* "Now" by the clock that stamps the job directory's files: the mtime of a
 * file just written there.  Heartbeats are stamped by that same clock (a
 * file server stamps what it writes), so leases hold however far the
 * workers' own clocks drift apart.  The wall clock only when we may not
 * write there (a read-only `farmhand status`). */
static gint64
fs_clock (gpointer user_data)
{
  FhJobDir *self = user_data;
  g_autofree char *name = g_strdup_printf (".clock-%s-%d", g_get_host_name (), (int) getpid ());
  g_autofree char *path = g_build_filename (self->path, "clock", name, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  gint64 ns = g_get_real_time () * 1000;
  struct stat st;

  if (fd < 0)
    return ns;
  /* A write, so that the server (not the client's clock) sets the time. */
  if (write (fd, "\n", 1) == 1 && fstat (fd, &st) == 0)
    ns = (gint64) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  close (fd);
  g_unlink (path);
  return ns;
}

void
fh_job_dir_set_clock (FhJobDir *self, FhJobDirClockFunc func, gpointer user_data)
{
  self->clock = func;
  self->clock_data = user_data;
}

/* Seconds from a write at @mtime to @now.  A write after "now" (the file
 * was stamped after we read the clock) is fresh, not missing. */
double
fh_job_dir_age_s (gint64 mtime, gint64 now)
{
  return now > mtime ? (now - mtime) / FH_JOB_DIR_NS_PER_S : 0.0;
}

/* ---- create and open ------------------------------------------------------- */

gboolean
fh_job_dir_make_dir (const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0)
    return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "creating %s", dir);
  return TRUE;
}

static gboolean
make_dirs (FhJobDir *self, GError **error)
{
  g_autoptr (GDir) existing = g_dir_open (self->path, 0, NULL);

  if (existing != NULL && g_dir_read_name (existing) != NULL)
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_EXISTS,
                     "%s exists and is not empty: a job directory needs a new one", self->path);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = fh_job_dir_child (self, subdirs[i]);
      if (!fh_job_dir_make_dir (dir, error))
        return FALSE;
    }
  for (guint s = 0; s * FH_JOB_DIR_SHARD < self->n_items; s++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/claims/%03u", self->path, s);
      if (!fh_job_dir_make_dir (dir, error))
        return FALSE;
    }
  return fh_job_dir_make_dir (self->output_dir, error);
}

static gboolean
write_meta (FhJobDir *self, GError **error)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autofree char *path = fh_job_dir_child (self, "meta.json");

  json_object_set_int_member (o, "farmhand_job_dir", FH_JOB_DIR_FORMAT_VERSION);
  /* Which farmhand laid it out: a result says what made it. */
  json_object_set_string_member (o, "farmhand_version", FH_VERSION);
  json_object_set_string_member (o, "name", self->name);
  json_object_set_string_member (o, "source", self->source);
  json_object_set_string_member (o, "source_dir", self->source_dir);
  json_object_set_string_member (o, "output_dir", self->output_dir);
  json_object_set_int_member (o, "n_items", self->n_items);
  json_object_set_double_member (o, "lease_s", self->lease_s);
  json_object_set_string_member (o, "created", self->created);
  if (self->slurm_job != NULL)
    {
      json_object_set_string_member (o, "slurm_job", self->slurm_job);
      json_object_set_int_member (o, "slurm_workers", self->slurm_workers);
    }
  if (self->job_file != NULL)
    {
      json_object_set_string_member (o, "job_file", self->job_file);
      json_object_set_object_member (o, "job_options", json_object_ref (self->job_options));
    }
  if (self->steps != NULL)
    json_object_set_array_member (o, "steps", json_array_ref (self->steps));
  if (self->slurm_steps != NULL)
    json_object_set_object_member (o, "slurm_steps", json_object_ref (self->slurm_steps));
  return fh_job_dir_write_json (path, o, TRUE, error);
}

/* agenda.jsonl, written as it is made: a million items are 100 MB. */
static gboolean
write_agenda (FhJobDir *self, const FhJobDirJob *job, GError **error)
{
  g_autofree char *path = fh_job_dir_child (self, "agenda.jsonl");
  g_autoptr (GString) text = g_string_sized_new (1 << 20);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  gboolean ok = fd >= 0;

  if (!ok)
    return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "creating %s", path);
  for (guint i = 0; ok && i < self->n_items; i++)
    {
      ok = job->agenda (i, text, job->agenda_data, error);
      g_string_append_c (text, '\n');
      if (ok && (text->len >= (1 << 20) || i + 1 == self->n_items))
        {
          ok = fh_host_file_write_all (fd, path, text->str, text->len, error);
          g_string_truncate (text, 0);
        }
    }
  /* The agenda is read by every worker: on the disk before meta.json says
   * the directory is a job's. */
  ok = ok && fh_host_file_sync (fd, path, error);
  return fh_host_file_close (fd, path, ok ? error : NULL) && ok;
}

gboolean
fh_job_dir_write_hint (FhJobDir *self, int fd, guint next)
{
  char buf[16];
  int n = g_snprintf (buf, sizeof buf, "%010u\n", next);

  return pwrite (fd, buf, (size_t) n, 0) == n;
}

/* Removes @path and everything under it (what a failed create made). */
static void
remove_tree (const char *path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sub = g_build_filename (path, name, NULL);
      if (g_file_test (sub, G_FILE_TEST_IS_DIR) && !g_file_test (sub, G_FILE_TEST_IS_SYMLINK))
        remove_tree (sub);
      else
        g_unlink (sub);
    }
  g_rmdir (path);
}

/* The files of a new job directory; meta.json last: a directory without it
 * is not (yet) a job directory. */
/* The job's own files (an OpenJD template and its kin), under the job
 * directory. */
static gboolean
write_job_files (FhJobDir *self, GPtrArray *files, GError **error)
{
  for (guint i = 0; files != NULL && i < files->len; i++)
    {
      const FhJobDirFile *f = g_ptr_array_index (files, i);
      g_autofree char *path = fh_job_dir_child (self, f->name);
      g_autofree char *dir = g_path_get_dirname (path);
      gsize len;
      const char *data = g_bytes_get_data (f->contents, &len);
      if (!fh_job_dir_make_dir (dir, error) ||
          !g_file_set_contents_full (path, data ? data : "", (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                     error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_files (FhJobDir *self, const FhJobDirJob *job, GError **error)
{
  g_autofree char *job_file = fh_job_dir_child (self, "job.json");
  g_autofree char *hint = fh_job_dir_child (self, "claims/next");
  int fd;

  if (!write_job_files (self, job->files, error))
    return FALSE;
  if (job->text != NULL &&
      !g_file_set_contents_full (job_file, job->text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return FALSE;
  if ((fd = open (hint, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0 || !fh_job_dir_write_hint (self, fd, 0))
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      return fh_throw_errno (error, G_IO_ERROR, g_io_error_from_errno (saved), saved, "writing %s", hint);
    }
  return fh_host_file_close (fd, hint, error) && write_agenda (self, job, error) && write_meta (self, error);
}

FhJobDir *
fh_job_dir_create (const char *path, const FhJobDirJob *job, const FhJobDirOptions *options,
                   GError **error)
{
  g_autoptr (FhJobDir) self = g_new0 (FhJobDir, 1);
  gboolean existed;

  self->path = g_canonicalize_filename (path, NULL);
  self->name = g_strdup (job->name);
  self->source = g_canonicalize_filename (job->source, NULL);
  self->source_dir = g_path_get_dirname (self->source);
  self->n_items = job->n_items;
  self->lease_s = options && options->lease_s > 0 ? options->lease_s : FH_JOB_DIR_DEFAULT_LEASE_S;
  self->output_dir = options && options->output_dir ? g_canonicalize_filename (options->output_dir, NULL)
                                                     : g_build_filename (self->path, "output", NULL);
  self->created = fh_job_dir_now_iso ();
  if (job->job_file != NULL)
    {
      self->job_file = fh_job_dir_child (self, job->job_file);
      self->job_options = json_object_ref (job->job_options);
    }
  self->steps = job->steps ? json_array_ref (job->steps) : NULL;
  existed = g_file_test (self->path, G_FILE_TEST_EXISTS);
  if (!make_dirs (self, error))
    return NULL;
  if (!write_files (self, job, error))
    {
      /* Half a job directory is none (a full disk, say): nothing is left
       * that a worker or the farm UI could take for one.  It was new or
       * empty: removing it loses nothing. */
      remove_tree (self->path);
      if (existed)
        g_mkdir (self->path, 0755);
      return NULL;
    }
  return g_steal_pointer (&self);
}

static const char *
meta_string (JsonObject *o, const char *field, const char *path, GError **error)
{
  const char *s = json_object_get_string_member_with_default (o, field, NULL);

  if (s == NULL || *s == '\0')
    return fh_throw_null (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                          "%s: %s: expected a non-empty string", path, field);
  return s;
}

static gboolean
read_meta (FhJobDir *self, GError **error)
{
  g_autofree char *path = fh_job_dir_child (self, "meta.json");
  g_autoptr (JsonObject) o = NULL;
  const char *name, *source, *source_dir, *output_dir;
  gint64 n, version;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                     "%s is not a farmhand job directory (no meta.json; "
                     "'farmhand submit' makes one)", self->path);
  if ((o = fh_job_dir_read_json (path, error)) == NULL)
    return FALSE;
  version = json_object_get_int_member_with_default (o, "farmhand_job_dir", 0);
  if (version != FH_JOB_DIR_FORMAT_VERSION)
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                     "%s: farmhand_job_dir: this farmhand reads format %d, not %" G_GINT64_FORMAT
                     " (made by another version of farmhand?)", path, FH_JOB_DIR_FORMAT_VERSION, version);
  n = json_object_get_int_member_with_default (o, "n_items", -1);
  if ((name = meta_string (o, "name", path, error)) == NULL ||
      (source = meta_string (o, "source", path, error)) == NULL ||
      (source_dir = meta_string (o, "source_dir", path, error)) == NULL ||
      (output_dir = meta_string (o, "output_dir", path, error)) == NULL)
    return FALSE;
  if (n < 0 || n > G_MAXUINT32)
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                     "%s: n_items: expected a count of items", path);
  self->name = g_strdup (name);
  self->source = g_strdup (source);
  self->source_dir = g_strdup (source_dir);
  self->output_dir = g_strdup (output_dir);
  self->n_items = (guint) n;
  self->lease_s = json_object_get_double_member_with_default (o, "lease_s", FH_JOB_DIR_DEFAULT_LEASE_S);
  self->created = g_strdup (json_object_get_string_member_with_default (o, "created", ""));
  self->slurm_job = g_strdup (json_object_get_string_member_with_default (o, "slurm_job", NULL));
  self->slurm_workers = (guint) json_object_get_int_member_with_default (o, "slurm_workers", 0);
  if (json_object_has_member (o, "job_file"))
    {
      JsonNode *opts = json_object_get_member (o, "job_options");
      self->job_file = g_strdup (json_object_get_string_member_with_default (o, "job_file", NULL));
      self->job_options = opts && JSON_NODE_HOLDS_OBJECT (opts) ? json_object_ref (json_node_get_object (opts))
                                                               : json_object_new ();
    }
  if (json_object_has_member (o, "steps") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "steps")))
    self->steps = json_array_ref (json_object_get_array_member (o, "steps"));
  if (json_object_has_member (o, "slurm_steps") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "slurm_steps")))
    self->slurm_steps = json_object_ref (json_object_get_object_member (o, "slurm_steps"));
  return TRUE;
}

FhJobDir *
fh_job_dir_open (const char *path, GError **error)
{
  g_autoptr (FhJobDir) self = g_new0 (FhJobDir, 1);

  self->path = g_canonicalize_filename (path, NULL);
  if (!read_meta (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
fh_job_dir_free (FhJobDir *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->owners, g_hash_table_unref);
  g_free (self->path);
  g_free (self->name);
  g_free (self->source);
  g_free (self->source_dir);
  g_free (self->output_dir);
  g_free (self->slurm_job);
  g_free (self->created);
  g_free (self->job_file);
  g_clear_pointer (&self->job_options, json_object_unref);
  g_clear_pointer (&self->steps, json_array_unref);
  g_clear_pointer (&self->slurm_steps, json_object_unref);
  g_free (self);
}

typedef struct
{
  guint attempt;
  char *owner;    /* nullable: the claim had no name yet */
} Owner;

static void
owner_free (gpointer p)
{
  Owner *o = p;

  g_free (o->owner);
  g_free (o);
}

const char *fh_job_dir_get_path (FhJobDir *self) { return self->path; }
const char *fh_job_dir_get_name (FhJobDir *self) { return self->name; }
guint fh_job_dir_get_n_items (FhJobDir *self) { return self->n_items; }
double fh_job_dir_get_lease (FhJobDir *self) { return self->lease_s; }
const char *fh_job_dir_get_output_dir (FhJobDir *self) { return self->output_dir; }
const char *fh_job_dir_get_source (FhJobDir *self) { return self->source; }
const char *fh_job_dir_get_created (FhJobDir *self) { return self->created; }
const char *fh_job_dir_get_source_dir (FhJobDir *self) { return self->source_dir; }
const char *fh_job_dir_get_slurm_job (FhJobDir *self) { return self->slurm_job; }

gboolean
fh_job_dir_set_slurm_job (FhJobDir *self, const char *job_id, guint workers, GError **error)
{
  g_free (self->slurm_job);
  self->slurm_job = g_strdup (job_id);
  self->slurm_workers = workers;
  return write_meta (self, error);
}

const char *fh_job_dir_get_job_file (FhJobDir *self) { return self->job_file; }
JsonObject *fh_job_dir_get_job_options (FhJobDir *self) { return self->job_options; }
JsonArray *fh_job_dir_get_steps (FhJobDir *self) { return self->steps; }

gint
fh_job_dir_find_step (FhJobDir *self, const char *name)
{
  for (guint i = 0; self->steps != NULL && i < json_array_get_length (self->steps); i++)
    if (g_strcmp0 (json_object_get_string_member_with_default (json_array_get_object_element (self->steps, i),
                                                               "name", NULL), name) == 0)
      return (gint) i;
  return -1;
}

void
fh_job_dir_step_range (FhJobDir *self, guint step, guint *first, guint *n)
{
  JsonObject *s = json_array_get_object_element (self->steps, step);

  *first = (guint) json_object_get_int_member_with_default (s, "first", 0);
  *n = (guint) json_object_get_int_member_with_default (s, "tasks", 0);
}

gint
fh_job_dir_step_of (FhJobDir *self, guint index)
{
  guint lo = 0, hi = self->steps ? json_array_get_length (self->steps) : 0;

  /* Steps are in agenda order: the last whose first item is at or before
   * @index. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2, first, n;
      fh_job_dir_step_range (self, mid, &first, &n);
      if (first <= index)
        lo = mid + 1;
      else
        hi = mid;
    }
  return (gint) lo - 1;
}

const char *
fh_job_dir_step_name (FhJobDir *self, guint step)
{
  return json_object_get_string_member_with_default (json_array_get_object_element (self->steps, step), "name", "?");
}

const char *
fh_job_dir_get_slurm_step (FhJobDir *self, const char *name)
{
  return self->slurm_steps ? json_object_get_string_member_with_default (self->slurm_steps, name, NULL) : NULL;
}

gboolean
fh_job_dir_set_slurm_step (FhJobDir *self, const char *name, const char *job_id, GError **error)
{
  if (self->slurm_steps == NULL)
    self->slurm_steps = json_object_new ();
  json_object_set_string_member (self->slurm_steps, name, job_id);
  return write_meta (self, error);
}

static char *
step_cancel_path (FhJobDir *self, guint step)
{
  g_autofree char *name = g_strdup_printf ("cancelled.%u", step);

  return fh_job_dir_child (self, name);
}

gboolean
fh_job_dir_is_step_cancelled (FhJobDir *self, guint step)
{
  g_autofree char *path = step_cancel_path (self, step);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
fh_job_dir_mark_step_cancelled (FhJobDir *self, guint step, GError **error)
{
  g_autofree char *path = step_cancel_path (self, step);
  g_autofree char *when = fh_job_dir_now_iso ();
  g_autofree char *text = g_strconcat (when, "\n", NULL);

  return g_file_set_contents (path, text, -1, error);
}

char *
fh_job_dir_read_job (FhJobDir *self, GError **error)
{
  g_autofree char *path = fh_job_dir_child (self, "job.json");
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  return text;
}

gint64
fh_job_dir_now_ns (FhJobDir *self)
{
  return self->clock != NULL ? self->clock (self->clock_data) : fs_clock (self);
}

/* ---- workers and their heartbeats ------------------------------------------ */

gboolean
fh_job_dir_final_state (const char *state)
{
  /* "fenced": it found its item taken over and left. */
  /* "avoided": it took no more items on a failing machine; "blocked": the
   * step it was given cannot run (a dependency failed). */
  return state != NULL && (g_str_equal (state, "done") || g_str_equal (state, "failed") ||
                           g_str_equal (state, "cancelled") || g_str_equal (state, "fenced") ||
                           g_str_equal (state, "avoided") || g_str_equal (state, "blocked"));
}

/* @worker's heartbeat and its age at @now.  (transfer full) (nullable) */
JsonObject *
fh_job_dir_read_heartbeat (FhJobDir *self, const char *worker, gint64 now, double *age)
{
  g_autofree char *path = fh_job_dir_worker_path (self, worker);
  gint64 mtime;

  if (!fh_job_dir_mtime_of (path, &mtime))
    return NULL;
  *age = fh_job_dir_age_s (mtime, now);
  return fh_job_dir_read_json (path, NULL);
}

gboolean
fh_job_dir_heartbeat_alive (FhJobDir *self, JsonObject *beat, double age)
{
  return beat != NULL && age <= self->lease_s &&
         !fh_job_dir_final_state (json_object_get_string_member_with_default (beat, "state", NULL));
}

/* Whether @worker lives: its heartbeat is younger than the lease and it has
 * not said it ended.  Judged once per look (@cache). */
gboolean
fh_job_dir_worker_alive (FhJobDir *self, const char *worker, gint64 now, GHashTable *cache)
{
  g_autoptr (JsonObject) beat = NULL;
  gpointer known;
  double age = 0;
  gboolean alive;

  if (g_hash_table_lookup_extended (cache, worker, NULL, &known))
    return GPOINTER_TO_INT (known);
  beat = fh_job_dir_read_heartbeat (self, worker, now, &age);
  alive = fh_job_dir_heartbeat_alive (self, beat, age);
  g_hash_table_insert (cache, g_strdup (worker), GINT_TO_POINTER (alive));
  return alive;
}

/* A process of this host that no longer exists. */
static gboolean
dead_here (JsonObject *beat)
{
  gint64 pid = json_object_get_int_member_with_default (beat, "pid", 0);

  return pid > 0 &&
         g_strcmp0 (json_object_get_string_member_with_default (beat, "host", ""), g_get_host_name ()) == 0 &&
         kill ((pid_t) pid, 0) < 0 && errno == ESRCH;
}

gboolean
fh_job_dir_name_in_use (FhJobDir *self, const char *worker, const char *instance, char **holder,
                        GError **error)
{
  double age = 0;
  g_autoptr (JsonObject) beat = fh_job_dir_read_heartbeat (self, worker, fh_job_dir_now_ns (self), &age);

  if (!fh_job_dir_heartbeat_alive (self, beat, age) ||
      g_strcmp0 (json_object_get_string_member_with_default (beat, "instance", ""), instance) == 0 ||
      dead_here (beat))
    return FALSE;
  if (holder != NULL)
    *holder = g_strdup_printf ("pid %" G_GINT64_FORMAT " on %s, heartbeat %.0f s ago",
                               json_object_get_int_member_with_default (beat, "pid", 0),
                               json_object_get_string_member_with_default (beat, "host", "?"), age);
  return TRUE;
}

/* ---- cancel ---------------------------------------------------------------- */

/* Who holds attempt @attempt at item @index (cached: a claim's name never
 * changes once written).  (transfer none) (nullable) */
const char *
fh_job_dir_owner_of (FhJobDir *self, guint index, guint attempt)
{
  Owner *o;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;

  /* Readers that never join (the farm UI) ask too. */
  if (self->owners == NULL)
    self->owners = g_hash_table_new_full (NULL, NULL, NULL, owner_free);
  o = g_hash_table_lookup (self->owners, GUINT_TO_POINTER (index + 1));
  if (o != NULL && o->attempt == attempt && o->owner != NULL)
    return o->owner;
  path = fh_job_dir_claim_path (self, index, attempt);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  g_strchomp (text);
  o = g_new0 (Owner, 1);
  o->attempt = attempt;
  o->owner = *text ? g_steal_pointer (&text) : NULL;
  g_hash_table_replace (self->owners, GUINT_TO_POINTER (index + 1), o);
  return o->owner;
}

/* Every worker's last heartbeat, with "age_s" and "alive".  (transfer full) */
GPtrArray *
fh_job_dir_list_workers (FhJobDir *self, gint64 now)
{
  g_autofree char *dir = fh_job_dir_child (self, "workers");
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *worker = NULL;
      JsonObject *o;
      double age = 0;

      if (!g_str_has_suffix (name, ".json") || name[0] == '.')
        continue;
      worker = g_strndup (name, strlen (name) - 5);
      if ((o = fh_job_dir_read_heartbeat (self, worker, now, &age)) == NULL)
        continue;
      json_object_set_double_member (o, "age_s", age);
      json_object_set_boolean_member (o, "alive", fh_job_dir_heartbeat_alive (self, o, age));
      g_ptr_array_add (out, o);
    }
  return out;
}

FhItemStates *
fh_job_dir_item_states (FhJobDir *self, gboolean locations)
{
  g_autofree char *ledgers = fh_job_dir_child (self, "ledgers");

  return fh_item_states_new (ledgers, self->n_items, locations);
}

FhItemStates *
fh_job_dir_read_states (FhJobDir *self, GError **error)
{
  g_autoptr (FhItemStates) states = fh_job_dir_item_states (self, TRUE);

  if (!fh_item_states_refresh (states, error))
    return NULL;
  return g_steal_pointer (&states);
}

gboolean
fh_job_dir_is_cancelled (FhJobDir *self)
{
  g_autofree char *path = fh_job_dir_child (self, "cancelled");

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
fh_job_dir_mark_cancelled (FhJobDir *self, GError **error)
{
  g_autofree char *path = fh_job_dir_child (self, "cancelled");
  g_autofree char *when = fh_job_dir_now_iso ();
  g_autofree char *text = g_strconcat (when, "\n", NULL);

  if (!g_file_set_contents (path, text, -1, error))
    return FALSE;
  return TRUE;
}

/* ---- resume ---------------------------------------------------------------- */

guint
fh_job_dir_count_alive (FhJobDir *self, const char *except)
{
  g_autoptr (GPtrArray) workers = fh_job_dir_list_workers (self, fh_job_dir_now_ns (self));
  guint n = 0;

  for (guint i = 0; i < workers->len; i++)
    {
      JsonObject *w = g_ptr_array_index (workers, i);
      n += json_object_get_boolean_member (w, "alive") &&
           g_strcmp0 (json_object_get_string_member_with_default (w, "worker", NULL), except) != 0;
    }
  return n;
}

/* A name no worker can have ('+' is not in a worker's safe name), after
 * the resumes before it. */
static char *
resume_ledger_path (FhJobDir *self)
{
  for (guint n = 1;; n++)
    {
      g_autofree char *name = g_strdup_printf ("ledgers/+resume-%u.ledger", n);
      char *path = fh_job_dir_child (self, name);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        return path;
      g_free (path);
    }
}

gboolean
fh_job_dir_resume (FhJobDir *self, guint *remaining, GError **error)
{
  g_autofree char *cancelled = fh_job_dir_child (self, "cancelled");
  g_autofree char *path = NULL;
  g_autoptr (FhItemStates) states = NULL;
  g_autoptr (GString) lines = g_string_new (NULL);
  guint alive = fh_job_dir_count_alive (self, NULL);

  /* A live worker could be writing the very results we set aside. */
  if (alive > 0)
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_BUSY,
                     "job %s: %u worker%s still alive ('farmhand status %s' lists them): wait "
                     "for them to end, or 'farmhand cancel' the job first (a worker killed "
                     "without a word counts as alive until its heartbeat is %g s old)",
                     self->name, alive, alive == 1 ? " is" : "s are", self->path, self->lease_s);
  if ((states = fh_job_dir_read_states (self, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < self->n_items; i++)
    if (fh_item_states_get (states, i) == FH_ITEM_FAILED)
      g_string_append_printf (lines, "retry %u %u\n", i, fh_item_states_get_attempt (states, i));
  path = resume_ledger_path (self);
  if (lines->len > 0 &&
      !g_file_set_contents_full (path, lines->str, (gssize) lines->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return FALSE;
  *remaining = self->n_items - fh_item_states_count (states, FH_ITEM_COMPLETE);
  if (g_unlink (cancelled) != 0 && errno != ENOENT)
    return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "removing %s", cancelled);
  for (guint i = 0; self->steps != NULL && i < json_array_get_length (self->steps); i++)
    {
      g_autofree char *step = step_cancel_path (self, i);
      if (g_unlink (step) != 0 && errno != ENOENT)
        return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "removing %s", step);
    }
  return TRUE;
}
