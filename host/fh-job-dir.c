/* fh-job-dir.c — the shared job directory (see the header for its layout
 * and the claiming rules). */
#include "config.h"

#include "fh-job-dir.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

#include "fh-error.h"
#include "fh-json.h"
#include "fh-wire.h"

#define FORMAT_VERSION 1
#define DEFAULT_LEASE_S 60.0

struct _FhJobDir
{
  char *path;
  char *name;
  char *source;        /* the job file as submitted */
  char *job_dir;       /* its directory */
  char *output_dir;
  char *slurm_job;     /* nullable */
  guint slurm_workers;
  guint n_items;
  double lease_s;
  char *created;
  guint cursor;        /* below it, every item has a first claim */
};

static const char *const subdirs[] = { "claims", "results", "workers", "logs", "slurm", "history" };

/* ---- paths and files ---------------------------------------------------- */

static char *
child (FhJobDir *self, const char *name)
{
  return g_build_filename (self->path, name, NULL);
}

static char *
claim_path (FhJobDir *self, guint index, guint attempt)
{
  g_autofree char *name = g_strdup_printf ("%06u.%u", index, attempt);

  return g_build_filename (self->path, "claims", name, NULL);
}

static char *
result_path (FhJobDir *self, guint index)
{
  g_autofree char *name = g_strdup_printf ("%06u.json", index);

  return g_build_filename (self->path, "results", name, NULL);
}

static char *
worker_path (FhJobDir *self, const char *worker)
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

/* @o as one line of JSON, by rename: readers see all of it or none. */
static gboolean
write_json (const char *path, JsonObject *o, GError **error)
{
  g_autofree char *text = fh_json_object_to_string (o);
  g_autofree char *line = g_strconcat (text, "\n", NULL);
  g_autoptr (GError) local = NULL;

  if (!g_file_set_contents_full (path, line, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, "%s", local->message);
  return TRUE;
}

static JsonObject *
read_json (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;
  JsonObject *o;

  if (!g_file_get_contents (path, &text, &len, &local))
    return fh_throw_null (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, "%s", local->message);
  if ((o = fh_json_parse_object (text, (gssize) len, &local)) == NULL)
    return fh_throw_null (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID, "%s: %s", path,
                          local->message);
  return o;
}

static char *
now_iso (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format_iso8601 (now);
}

/* Seconds from @path's last write to @now; -1 when it does not exist. */
static double
age_of (const char *path, gint64 now)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return -1;
  return (double) (now - st.st_mtime);
}

/* "Now" by the clock that stamps the job directory's files: the mtime of
 * a file just created there.  Heartbeats are stamped by that same clock
 * (a file server stamps what it writes), so leases hold however far the
 * workers' own clocks drift apart.  The wall clock only when we may not
 * write there (a read-only `farmhand status`). */
static gint64
fs_now (FhJobDir *self)
{
  g_autofree char *name = g_strdup_printf (".clock-%s-%d", g_get_host_name (), (int) getpid ());
  g_autofree char *path = g_build_filename (self->path, "workers", name, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  GStatBuf st;
  gboolean ok;

  if (fd < 0)
    return g_get_real_time () / G_USEC_PER_SEC;
  /* A write, so that the server (not the client's clock) sets the time. */
  ok = write (fd, "\n", 1) == 1 && fstat (fd, &st) == 0;
  close (fd);
  g_unlink (path);
  return ok ? st.st_mtime : g_get_real_time () / G_USEC_PER_SEC;
}

/* One look at the job directory: its clock's "now", and which workers
 * live (cached: each heartbeat is judged once). */
typedef struct
{
  gint64 now;
  GHashTable *alive;
} Scan;

static Scan
scan_start (FhJobDir *self)
{
  return (Scan) { fs_now (self), g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL) };
}

static void
scan_clear (Scan *scan)
{
  g_clear_pointer (&scan->alive, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Scan, scan_clear)

/* ---- create and open ---------------------------------------------------- */

static gboolean
make_dirs (FhJobDir *self, GError **error)
{
  g_autoptr (GDir) existing = g_dir_open (self->path, 0, NULL);

  if (existing != NULL && g_dir_read_name (existing) != NULL)
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_EXISTS,
                     "%s exists and is not empty: a job directory needs a new one", self->path);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = child (self, subdirs[i]);
      if (g_mkdir_with_parents (dir, 0755) != 0)
        return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "creating %s", dir);
    }
  if (g_mkdir_with_parents (self->output_dir, 0755) != 0)
    return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "creating %s",
                           self->output_dir);
  return TRUE;
}

static gboolean
write_meta (FhJobDir *self, GError **error)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autofree char *path = child (self, "meta.json");

  json_object_set_int_member (o, "farmhand_job_dir", FORMAT_VERSION);
  json_object_set_string_member (o, "name", self->name);
  json_object_set_string_member (o, "source", self->source);
  json_object_set_string_member (o, "job_dir", self->job_dir);
  json_object_set_string_member (o, "output_dir", self->output_dir);
  json_object_set_int_member (o, "n_items", self->n_items);
  json_object_set_double_member (o, "lease_s", self->lease_s);
  json_object_set_string_member (o, "created", self->created);
  if (self->slurm_job != NULL)
    {
      json_object_set_string_member (o, "slurm_job", self->slurm_job);
      json_object_set_int_member (o, "slurm_workers", self->slurm_workers);
    }
  return write_json (path, o, error);
}

static gboolean
write_agenda (FhJobDir *self, FhJob *job, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *path = child (self, "agenda.jsonl");
  g_autoptr (GError) local = NULL;

  for (guint i = 0; i < self->n_items; i++)
    {
      g_autoptr (JsonObject) o = fh_agenda_item_to_json (job->agenda, i);
      g_autofree char *command = fh_job_expand_item (job, i);
      g_autofree char *line = NULL;

      json_object_set_string_member (o, "command", command);
      line = fh_json_object_to_string (o);
      g_string_append (text, line);
      g_string_append_c (text, '\n');
    }
  if (!g_file_set_contents (path, text->str, (gssize) text->len, &local))
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, "%s", local->message);
  return TRUE;
}

FhJobDir *
fh_job_dir_create (const char *path, FhJob *job, const char *job_path, const char *job_text,
                   const FhJobDirOptions *options, GError **error)
{
  g_autoptr (FhJobDir) self = g_new0 (FhJobDir, 1);
  g_autofree char *abs_job = g_canonicalize_filename (job_path, NULL);
  g_autofree char *job_file = NULL;
  g_autoptr (GError) local = NULL;

  self->path = g_canonicalize_filename (path, NULL);
  self->name = g_strdup (job->name);
  self->source = g_strdup (abs_job);
  self->job_dir = g_path_get_dirname (abs_job);
  self->n_items = fh_job_get_n_items (job);
  self->lease_s = options && options->lease_s > 0 ? options->lease_s : DEFAULT_LEASE_S;
  self->output_dir = options && options->output_dir ? g_canonicalize_filename (options->output_dir, NULL)
                                                     : g_build_filename (self->path, "output", NULL);
  self->created = now_iso ();
  if (!make_dirs (self, error))
    return NULL;
  job_file = child (self, "job.json");
  if (!g_file_set_contents (job_file, job_text, -1, &local))
    return fh_throw_null (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, "%s", local->message);
  if (!write_agenda (self, job, error) || !write_meta (self, error))
    return NULL;
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
  g_autofree char *path = child (self, "meta.json");
  g_autoptr (JsonObject) o = NULL;
  const char *s;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                     "%s is not a farmhand job directory (no meta.json; "
                     "'farmhand submit' makes one)", self->path);
  if ((o = read_json (path, error)) == NULL)
    return FALSE;
  if (json_object_get_int_member_with_default (o, "farmhand_job_dir", 0) != FORMAT_VERSION)
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                     "%s: farmhand_job_dir: expected %d (made by another farmhand?)", path, FORMAT_VERSION);
#define STR(field, dest)                                  \
  if ((s = meta_string (o, field, path, error)) == NULL) \
    return FALSE;                                         \
  dest = g_strdup (s)
  STR ("name", self->name);
  STR ("source", self->source);
  STR ("job_dir", self->job_dir);
  STR ("output_dir", self->output_dir);
  STR ("created", self->created);
#undef STR
  self->n_items = (guint) json_object_get_int_member_with_default (o, "n_items", 0);
  self->lease_s = json_object_get_double_member_with_default (o, "lease_s", DEFAULT_LEASE_S);
  if (self->n_items == 0 || !(self->lease_s > 0))
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                     "%s: n_items and lease_s must be positive", path);
  self->slurm_job = g_strdup (json_object_get_string_member_with_default (o, "slurm_job", NULL));
  self->slurm_workers = (guint) json_object_get_int_member_with_default (o, "slurm_workers", 0);
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
  g_free (self->path);
  g_free (self->name);
  g_free (self->source);
  g_free (self->job_dir);
  g_free (self->output_dir);
  g_free (self->slurm_job);
  g_free (self->created);
  g_free (self);
}

const char *fh_job_dir_get_path (FhJobDir *self) { return self->path; }
const char *fh_job_dir_get_name (FhJobDir *self) { return self->name; }
guint fh_job_dir_get_n_items (FhJobDir *self) { return self->n_items; }
double fh_job_dir_get_lease (FhJobDir *self) { return self->lease_s; }
const char *fh_job_dir_get_output_dir (FhJobDir *self) { return self->output_dir; }
const char *fh_job_dir_get_slurm_job (FhJobDir *self) { return self->slurm_job; }

gboolean
fh_job_dir_set_slurm_job (FhJobDir *self, const char *job_id, guint workers, GError **error)
{
  g_free (self->slurm_job);
  self->slurm_job = g_strdup (job_id);
  self->slurm_workers = workers;
  return write_meta (self, error);
}

FhJob *
fh_job_dir_load_job (FhJobDir *self, char **text, GError **error)
{
  g_autofree char *path = child (self, "job.json");
  g_autofree char *data = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (FhJob) job = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &local))
    return fh_throw_null (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, "%s", local->message);
  if ((job = fh_job_new_from_data (data, (gssize) len, self->source, self->job_dir, error)) == NULL)
    return NULL;
  if (fh_job_get_n_items (job) != self->n_items)
    return fh_throw_null (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                          "%s has %u items but meta.json says %u", path, fh_job_get_n_items (job),
                          self->n_items);
  if (text != NULL)
    *text = g_steal_pointer (&data);
  return g_steal_pointer (&job);
}

/* ---- claims ------------------------------------------------------------- */

/* Attempt @attempt at item @index, by exclusive create: *@won says whether
 * it was ours to take. */
static gboolean
try_claim (FhJobDir *self, guint index, guint attempt, const char *worker, gboolean *won,
           GError **error)
{
  g_autofree char *path = claim_path (self, index, attempt);
  g_autofree char *when = now_iso ();
  g_autoptr (JsonObject) o = json_object_new ();
  g_autofree char *json = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

  *won = FALSE;
  if (fd < 0 && errno == EEXIST)
    return TRUE;
  if (fd < 0)
    return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "claiming %s", path);
  *won = TRUE;
  /* The claim is the file's existence; its text (who, when) is for people
   * and for judging whether its worker lives. */
  json_object_set_string_member (o, "worker", worker);
  json_object_set_int_member (o, "attempt", attempt);
  json_object_set_string_member (o, "claimed", when);
  json = fh_json_object_to_string (o);
  text = g_strconcat (json, "\n", NULL);
  if (!fh_wire_write_all (fd, text, strlen (text), &local))
    g_warning ("writing %s: %s", path, local->message);
  close (fd);
  return TRUE;
}

/* Index and attempt from "NNNNNN.A" or "NNNNNN.json". */
static gboolean
parse_entry (const char *name, const char *suffix, guint *index, guint *attempt)
{
  char *end;
  guint64 i = g_ascii_strtoull (name, &end, 10);

  if (end == name || *end != '.')
    return FALSE;
  *index = (guint) i;
  if (suffix != NULL)
    return g_str_equal (end + 1, suffix);
  *attempt = (guint) g_ascii_strtoull (end + 1, &end, 10);
  return *end == '\0' && *attempt > 0;
}

/* The items with an entry in @subdir, each mapped to the highest attempt
 * among its entries: "claims" has NNNNNN.A; "results" (@suffix "json")
 * NNNNNN.json, which counts as 1.  (transfer full) */
static GHashTable *
list_items (FhJobDir *self, const char *subdir, const char *suffix)
{
  g_autofree char *dir = child (self, subdir);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GHashTable *items = g_hash_table_new (NULL, NULL);
  const char *name;
  guint index, attempt = 1;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (parse_entry (name, suffix, &index, &attempt) &&
        attempt > GPOINTER_TO_UINT (g_hash_table_lookup (items, GUINT_TO_POINTER (index + 1))))
      g_hash_table_insert (items, GUINT_TO_POINTER (index + 1), GUINT_TO_POINTER (attempt));
  return items;
}

static gboolean
final_state (const char *state)
{
  return state != NULL && (g_str_equal (state, "done") || g_str_equal (state, "failed") ||
                           g_str_equal (state, "cancelled"));
}

/* Whether @worker lives: its heartbeat is younger than the lease and it
 * has not said it ended. */
static gboolean
worker_alive (FhJobDir *self, const char *worker, Scan *scan)
{
  gpointer known;
  g_autofree char *path = worker_path (self, worker);
  g_autoptr (JsonObject) o = NULL;
  double age;
  gboolean alive;

  if (g_hash_table_lookup_extended (scan->alive, worker, NULL, &known))
    return GPOINTER_TO_INT (known);
  age = age_of (path, scan->now);
  o = age >= 0 ? read_json (path, NULL) : NULL;
  alive = age >= 0 && age <= self->lease_s &&
          !final_state (o ? json_object_get_string_member_with_default (o, "state", NULL) : NULL);
  g_hash_table_insert (scan->alive, g_strdup (worker), GINT_TO_POINTER (alive));
  return alive;
}

/* Whether the claim (@index, @attempt) still holds: its worker lives.  A
 * claim whose text cannot be read yet (its worker is writing it) holds
 * while the file is younger than the lease.  A claim of @self_worker
 * (nullable), who is asking for work, is left from an earlier life of that
 * worker (a Slurm task requeued, a worker restarted by hand): it never
 * holds, whatever the heartbeat says. */
static gboolean
claim_holds (FhJobDir *self, guint index, guint attempt, const char *self_worker, Scan *scan)
{
  g_autofree char *path = claim_path (self, index, attempt);
  g_autoptr (JsonObject) o = read_json (path, NULL);
  const char *worker = o ? json_object_get_string_member_with_default (o, "worker", NULL) : NULL;

  if (worker == NULL)
    {
      double age = age_of (path, scan->now);
      return age >= 0 && age <= self->lease_s;
    }
  return g_strcmp0 (worker, self_worker) != 0 && worker_alive (self, worker, scan);
}

/* After every item has had a first claim: take over one whose worker is
 * gone. */
static gboolean
claim_abandoned (FhJobDir *self, const char *worker, guint *index, guint *attempt,
                 gboolean *others_running, GError **error)
{
  g_autoptr (GHashTable) done = list_items (self, "results", "json");
  g_autoptr (GHashTable) latest = list_items (self, "claims", NULL);
  g_auto (Scan) scan = scan_start (self);
  gboolean won;

  for (guint i = 0; i < self->n_items; i++)
    {
      guint a = GPOINTER_TO_UINT (g_hash_table_lookup (latest, GUINT_TO_POINTER (i + 1)));

      if (g_hash_table_contains (done, GUINT_TO_POINTER (i + 1)))
        continue;
      if (a > 0 && claim_holds (self, i, a, worker, &scan))
        {
          *others_running = TRUE;
          continue;
        }
      if (!try_claim (self, i, a + 1, worker, &won, error))
        return FALSE;
      if (won)
        {
          *index = i;
          *attempt = a + 1;
          return TRUE;
        }
      *others_running = TRUE;  /* another worker took it over first */
    }
  return FALSE;
}

gboolean
fh_job_dir_claim (FhJobDir *self, const char *worker, guint *index, guint *attempt,
                  gboolean *others_running, GError **error)
{
  gboolean won;

  *others_running = FALSE;
  /* Fresh items first, in agenda order; the cursor spares the files we
   * already know are taken. */
  for (; self->cursor < self->n_items; self->cursor++)
    {
      if (!try_claim (self, self->cursor, 1, worker, &won, error))
        return FALSE;
      if (won)
        {
          *index = self->cursor++;
          *attempt = 1;
          return TRUE;
        }
    }
  return claim_abandoned (self, worker, index, attempt, others_running, error);
}

gboolean
fh_job_dir_write_result (FhJobDir *self, guint index, guint attempt, const char *worker,
                         JsonObject *result, GError **error)
{
  g_autofree char *path = result_path (self, index);
  gint64 runs = json_object_get_int_member_with_default (result, "attempts", 1);

  json_object_set_int_member (result, "attempts", runs + (attempt - 1));
  json_object_set_string_member (result, "worker", worker);
  return write_json (path, result, error);
}

gboolean
fh_job_dir_heartbeat (FhJobDir *self, const char *worker, JsonObject *state, GError **error)
{
  g_autofree char *path = worker_path (self, worker);
  g_autofree char *when = now_iso ();

  json_object_set_string_member (state, "worker", worker);
  json_object_set_string_member (state, "updated", when);
  return write_json (path, state, error);
}

gboolean
fh_job_dir_is_cancelled (FhJobDir *self)
{
  g_autofree char *path = child (self, "cancelled");

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
fh_job_dir_mark_cancelled (FhJobDir *self, GError **error)
{
  g_autofree char *path = child (self, "cancelled");
  g_autofree char *when = now_iso ();
  g_autofree char *text = g_strconcat (when, "\n", NULL);
  g_autoptr (GError) local = NULL;

  if (!g_file_set_contents (path, text, -1, &local))
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, "%s", local->message);
  return TRUE;
}

/* ---- status ------------------------------------------------------------- */

static GPtrArray *
list_workers (FhJobDir *self, Scan *scan)
{
  g_autofree char *dir = child (self, "workers");
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *worker = NULL;
      JsonObject *o;

      if (!g_str_has_suffix (name, ".json") || (o = read_json (path, NULL)) == NULL)
        continue;
      worker = g_strndup (name, strlen (name) - 5);
      json_object_set_double_member (o, "age_s", age_of (path, scan->now));
      json_object_set_boolean_member (o, "alive", worker_alive (self, worker, scan));
      g_ptr_array_add (out, o);
    }
  return out;
}

gboolean
fh_job_dir_status (FhJobDir *self, FhJobDirCounts *counts, GPtrArray **workers,
                   GPtrArray **failures, GError **error)
{
  g_autoptr (GHashTable) done = list_items (self, "results", "json");
  g_autoptr (GHashTable) latest = list_items (self, "claims", NULL);
  g_auto (Scan) scan = scan_start (self);
  g_autoptr (GPtrArray) failed = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  *counts = (FhJobDirCounts) { .n_items = self->n_items };
  for (guint i = 0; i < self->n_items; i++)
    {
      guint a = GPOINTER_TO_UINT (g_hash_table_lookup (latest, GUINT_TO_POINTER (i + 1)));

      if (g_hash_table_contains (done, GUINT_TO_POINTER (i + 1)))
        {
          g_autofree char *path = result_path (self, i);
          g_autoptr (JsonObject) r = read_json (path, error);
          if (r == NULL)
            return FALSE;
          if (g_strcmp0 (json_object_get_string_member_with_default (r, "status", ""), "complete") == 0)
            counts->complete++;
          else
            {
              counts->failed++;
              g_ptr_array_add (failed, g_steal_pointer (&r));
            }
        }
      else if (a > 0 && claim_holds (self, i, a, NULL, &scan))
        counts->running++;
      else
        counts->pending++;
    }
  if (workers != NULL)
    *workers = list_workers (self, &scan);
  if (failures != NULL)
    *failures = g_steal_pointer (&failed);
  return TRUE;
}

/* ---- resume ------------------------------------------------------------- */

static guint
count_alive (FhJobDir *self)
{
  g_auto (Scan) scan = scan_start (self);
  g_autoptr (GPtrArray) workers = list_workers (self, &scan);
  guint n = 0;

  for (guint i = 0; i < workers->len; i++)
    n += json_object_get_boolean_member (g_ptr_array_index (workers, i), "alive");
  return n;
}

/* Item @index's result, if it failed, goes to history/ under the attempt
 * that wrote it.  *@complete: it did not fail. */
static gboolean
set_aside_failed (FhJobDir *self, guint index, guint attempt, gboolean *complete, GError **error)
{
  g_autofree char *from = result_path (self, index);
  g_autofree char *name = g_strdup_printf ("%06u.%u.json", index, attempt);
  g_autofree char *to = g_build_filename (self->path, "history", name, NULL);
  g_autoptr (JsonObject) r = read_json (from, error);

  if (r == NULL)
    return FALSE;
  *complete = g_strcmp0 (json_object_get_string_member_with_default (r, "status", ""), "complete") == 0;
  if (!*complete && g_rename (from, to) != 0)
    return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "moving %s to %s", from, to);
  return TRUE;
}

gboolean
fh_job_dir_resume (FhJobDir *self, guint *remaining, GError **error)
{
  g_autoptr (GHashTable) done = list_items (self, "results", "json");
  g_autoptr (GHashTable) latest = list_items (self, "claims", NULL);
  g_autofree char *history = child (self, "history");
  g_autofree char *cancelled = child (self, "cancelled");
  guint alive = count_alive (self);

  /* A live worker could be writing the very results we move. */
  if (alive > 0)
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_BUSY,
                     "job %s: %u worker%s still alive ('farmhand status %s' lists them): wait "
                     "for them to end, or 'farmhand cancel' the job first (a worker killed "
                     "without a word counts as alive until its heartbeat is %g s old)",
                     self->name, alive, alive == 1 ? " is" : "s are", self->path, self->lease_s);
  if (g_mkdir_with_parents (history, 0755) != 0)
    return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "creating %s", history);
  *remaining = 0;
  for (guint i = 0; i < self->n_items; i++)
    {
      guint a = GPOINTER_TO_UINT (g_hash_table_lookup (latest, GUINT_TO_POINTER (i + 1)));
      gboolean complete = FALSE;

      if (g_hash_table_contains (done, GUINT_TO_POINTER (i + 1)) &&
          !set_aside_failed (self, i, MAX (a, 1), &complete, error))
        return FALSE;
      *remaining += !complete;
    }
  if (g_unlink (cancelled) != 0 && errno != ENOENT)
    return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "removing %s", cancelled);
  return TRUE;
}
