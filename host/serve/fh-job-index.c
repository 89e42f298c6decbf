/* fh-job-index.c — the job directories under a root, followed (see the
 * header). */
#include "config.h"

#include "fh-job-index.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fh-error.h"
#include "fh-json.h"
#include "fh-host-error.h"
#include "fh-job-status.h"

/* A job still running is looked at every refresh; one that has ended (no
 * live worker, nothing pending) only this often: a resume or a new worker
 * elsewhere still shows, and a root of ended jobs costs next to nothing. */
#define IDLE_INTERVAL_US (2 * G_USEC_PER_SEC)
#define NO_PROGRESS (-1.0)
/* Heartbeats change at most once a worker's tick (a second), and reading
 * them stamps the job directory's clock (a file written): read them this
 * often, the ledgers (where results land) at every look. */
#define BEATS_INTERVAL_US G_USEC_PER_SEC
/* More changes than this in one look (a job copied in whole, a resume of
 * a big job) are not listed: the job's summary says "reload" instead, so
 * that an event stays small. */
#define MAX_CHANGES 5000

typedef struct
{
  guint attempt;
  double progress;
} Running;

typedef struct
{
  char *id;
  FhJobDir *dir;
  FhItemStates *states;
  gint64 consumed;          /* fh_item_states_get_consumed() at the last look */
  guint8 *shown;            /* per item: the FhGridState last reported */
  GHashTable *running;      /* index+1 → Running*: what live workers run */
  guint counts[FH_GRID_N_STATES];
  guint workers_alive;
  guint workers_total;
  gboolean cancelled;
  GDateTime *created;       /* when it was laid out (else meta.json's mtime) */
  gint64 next_look;         /* monotonic µs */
  gint64 next_beats;        /* monotonic µs: when to read the heartbeats again */
  gboolean first_look;
  char *last_item;          /* the item last asked about by name, */
  guint last_item_index;    /* and its index */
  GPtrArray *beats;         /* the heartbeats last read */
  JsonArray *steps;         /* an OpenJD job's steps as of the last change */
  char *idle;               /* why no worker runs it, or NULL */
} Entry;

struct _FhJobIndex
{
  char *root;
  GHashTable *jobs;         /* id → Entry* */
  FhJobIndexFunc func;
  gpointer user_data;
  gint64 seq;               /* events reported so far */
};

static const char *const state_names[FH_GRID_N_STATES] = {
  [FH_GRID_PENDING] = "pending", [FH_GRID_RUNNING] = "running", [FH_GRID_COMPLETE] = "complete",
  [FH_GRID_FAILED] = "failed", [FH_GRID_RETRIED] = "retried",
};

const char *
fh_grid_state_name (FhGridState state)
{
  return state < FH_GRID_N_STATES ? state_names[state] : "pending";
}

static void
entry_free (gpointer p)
{
  Entry *e = p;

  g_free (e->id);
  fh_job_dir_free (e->dir);
  fh_item_states_free (e->states);
  g_free (e->shown);
  g_hash_table_unref (e->running);
  g_date_time_unref (e->created);
  g_free (e->last_item);
  g_clear_pointer (&e->beats, g_ptr_array_unref);
  g_clear_pointer (&e->steps, json_array_unref);
  g_free (e->idle);
  g_free (e);
}

FhJobIndex *
fh_job_index_new (const char *root, FhJobIndexFunc func, gpointer user_data, GError **error)
{
  FhJobIndex *self;

  if (g_mkdir_with_parents (root, 0755) != 0)
    return fh_throw_errno_null (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno, "creating the jobs root %s", root);
  self = g_new0 (FhJobIndex, 1);
  self->root = g_canonicalize_filename (root, NULL);
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  self->func = func;
  self->user_data = user_data;
  return self;
}

void
fh_job_index_free (FhJobIndex *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->jobs);
  g_free (self->root);
  g_free (self);
}

const char *
fh_job_index_get_root (FhJobIndex *self)
{
  return self->root;
}

gboolean
fh_job_index_valid_id (const char *id)
{
  if (id == NULL || *id == '\0' || *id == '.' || strlen (id) > 200)
    return FALSE;
  for (const char *c = id; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      return FALSE;
  return TRUE;
}

/* ---- one job ------------------------------------------------------------ */

/* When @dir was laid out, as its meta.json says (its mtime changes when a
 * Slurm array is recorded), else that file's mtime. */
static GDateTime *
created_of (FhJobDir *dir, const GStatBuf *meta)
{
  GDateTime *t = g_date_time_new_from_iso8601 (fh_job_dir_get_created (dir), NULL);

  return t != NULL ? t : g_date_time_new_from_unix_utc (meta->st_mtime);
}

static Entry *
entry_open (FhJobIndex *self, const char *id)
{
  g_autofree char *path = g_build_filename (self->root, id, NULL);
  g_autofree char *meta = g_build_filename (path, "meta.json", NULL);
  GStatBuf st;
  FhJobDir *dir;
  Entry *e;

  /* A directory being laid out has no meta.json yet: adopted next time. */
  if (g_stat (meta, &st) != 0 || (dir = fh_job_dir_open (path, NULL)) == NULL)
    return NULL;
  e = g_new0 (Entry, 1);
  e->id = g_strdup (id);
  e->dir = dir;
  /* With where each result is, so that answers read results straight
   * from the ledgers instead of folding them again per request. */
  e->states = fh_job_dir_item_states (dir, TRUE);
  e->consumed = -1;
  e->first_look = TRUE;
  e->shown = g_new0 (guint8, fh_job_dir_get_n_items (dir));
  e->running = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  e->counts[FH_GRID_PENDING] = fh_job_dir_get_n_items (dir);
  e->created = created_of (dir, &st);
  return e;
}

/* An item's state, progress and attempt (a first claim is in no ledger:
 * a running item's attempt is its worker's word). */
static FhGridState
grid_state (Entry *e, guint index, double *progress, guint *attempt)
{
  Running *r;

  *progress = NO_PROGRESS;
  *attempt = fh_item_states_get_attempt (e->states, index);
  switch (fh_item_states_get (e->states, index))
    {
    case FH_ITEM_COMPLETE:
      return FH_GRID_COMPLETE;
    case FH_ITEM_FAILED:
      return FH_GRID_FAILED;
    case FH_ITEM_PENDING:
    default:
      break;
    }
  if ((r = g_hash_table_lookup (e->running, GUINT_TO_POINTER (index + 1))) != NULL)
    {
      *progress = r->progress;
      *attempt = MAX (*attempt, r->attempt);
      return FH_GRID_RUNNING;
    }
  return *attempt > 0 ? FH_GRID_RETRIED : FH_GRID_PENDING;
}

/* What live workers run now.  (transfer full) */
static GHashTable *
read_running (Entry *e)
{
  GPtrArray *beats = fh_job_status_workers (e->dir);
  GHashTable *running = g_hash_table_new_full (NULL, NULL, NULL, g_free);

  g_clear_pointer (&e->beats, g_ptr_array_unref);
  e->beats = beats;
  e->workers_total = beats->len;
  e->workers_alive = 0;
  for (guint i = 0; i < beats->len; i++)
    {
      JsonObject *w = g_ptr_array_index (beats, i);
      gint64 index = json_object_get_int_member_with_default (w, "index", -1);
      Running *r;

      if (!json_object_get_boolean_member_with_default (w, "alive", FALSE))
        continue;
      e->workers_alive++;
      if (index < 0 || index >= fh_job_dir_get_n_items (e->dir))
        continue;
      r = g_new0 (Running, 1);
      r->attempt = (guint) json_object_get_int_member_with_default (w, "attempt", 1);
      r->progress = json_object_get_double_member_with_default (w, "progress", NO_PROGRESS);
      g_hash_table_replace (running, GUINT_TO_POINTER ((guint) index + 1), r);
    }
  return running;
}

static gboolean
same_running (GHashTable *a, GHashTable *b)
{
  GHashTableIter it;
  gpointer key, value;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;
  g_hash_table_iter_init (&it, a);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      Running *ra = value, *rb = g_hash_table_lookup (b, key);
      if (rb == NULL || ra->attempt != rb->attempt || ra->progress != rb->progress)
        return FALSE;
    }
  return TRUE;
}

/* Item @index, if its state or progress changed since last reported:
 * appended to @changes. */
static void
look_at_item (Entry *e, guint index, gboolean force, JsonArray *changes, guint *n_changes)
{
  double progress;
  guint attempt;
  FhGridState state = grid_state (e, index, &progress, &attempt);
  JsonObject *row;

  if (state == e->shown[index] && !(force && state == FH_GRID_RUNNING))
    return;
  e->counts[e->shown[index]]--;
  e->counts[state]++;
  e->shown[index] = (guint8) state;
  if (++*n_changes > MAX_CHANGES)
    return;
  row = json_object_new ();
  json_object_set_int_member (row, "index", index);
  json_object_set_string_member (row, "state", fh_grid_state_name (state));
  json_object_set_double_member (row, "progress", progress);
  json_object_set_int_member (row, "attempt", MAX (attempt, state == FH_GRID_COMPLETE || state == FH_GRID_FAILED));
  json_array_add_object_element (changes, row);
}

static void
look_at_running (Entry *e, GHashTable *running, JsonArray *changes, guint *n_changes)
{
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init (&it, running);
  while (g_hash_table_iter_next (&it, &key, NULL))
    look_at_item (e, GPOINTER_TO_UINT (key) - 1, TRUE, changes, n_changes);
}

static gboolean
entry_ended (Entry *e)
{
  return e->workers_alive == 0 &&
         (e->counts[FH_GRID_COMPLETE] + e->counts[FH_GRID_FAILED] == fh_job_dir_get_n_items (e->dir) ||
          e->cancelled);
}

/* Reads the heartbeats: the items that started or stopped running change
 * state. */
static void
look_at_beats (Entry *e, JsonArray *changes, guint *n_changes)
{
  g_autoptr (GHashTable) running = read_running (e);

  e->next_beats = g_get_monotonic_time () + BEATS_INTERVAL_US;
  if (!same_running (running, e->running))
    {
      GHashTable *old = e->running;
      e->running = g_steal_pointer (&running);
      look_at_running (e, old, changes, n_changes);
      look_at_running (e, e->running, changes, n_changes);
      g_hash_table_unref (old);
    }
}

/* After a change: the steps' states, and why no worker runs the job. */
static void
note_standing (Entry *e)
{
  guint n = fh_job_dir_get_n_items (e->dir);
  guint left = n - e->counts[FH_GRID_COMPLETE] - e->counts[FH_GRID_FAILED] - e->counts[FH_GRID_RUNNING];

  g_clear_pointer (&e->steps, json_array_unref);
  g_clear_pointer (&e->idle, g_free);
  e->steps = fh_job_status_steps (e->dir, e->states, e->beats);
  e->idle = fh_job_status_idle_reason (e->dir, e->beats, left);
}

/* Reads what the job gained; its changes, or NULL when there is nothing
 * to report.  *@reload: too many changes to list (the summary says so).
 * The first look reports the job but lists nothing: nobody has seen its
 * items yet.  (transfer full) */
static JsonArray *
entry_refresh (Entry *e, gboolean *reload)
{
  g_autoptr (JsonArray) changes = json_array_new ();
  g_autoptr (GError) err = NULL;
  gboolean cancelled = fh_job_dir_is_cancelled (e->dir);
  gboolean first = e->first_look, ledgers;
  guint alive = e->workers_alive, n_changes = 0;

  e->first_look = FALSE;
  if (!fh_item_states_refresh (e->states, &err))
    g_warning ("job %s: %s", e->id, err->message);
  ledgers = fh_item_states_get_consumed (e->states) != e->consumed;
  e->consumed = fh_item_states_get_consumed (e->states);
  if (g_get_monotonic_time () >= e->next_beats)
    look_at_beats (e, changes, &n_changes);
  if (ledgers)
    for (guint i = 0; i < fh_job_dir_get_n_items (e->dir); i++)
      look_at_item (e, i, FALSE, changes, &n_changes);
  /* A job is said to have ended only on heartbeats read after its last
   * result: the last read may predate its workers' first beat. */
  if (ledgers && entry_ended (e))
    look_at_beats (e, changes, &n_changes);
  if (!first && n_changes == 0 && cancelled == e->cancelled && alive == e->workers_alive)
    return NULL;
  e->cancelled = cancelled;
  *reload = !first && n_changes > MAX_CHANGES;
  note_standing (e);
  if (first || *reload)
    return json_array_new ();
  return g_steal_pointer (&changes);
}

static const char *
entry_state (Entry *e)
{
  guint n = fh_job_dir_get_n_items (e->dir);

  if (e->counts[FH_GRID_COMPLETE] == n)
    return "complete";
  if (e->workers_alive > 0 || e->counts[FH_GRID_RUNNING] > 0)
    return e->cancelled ? "cancelling" : "running";
  if (e->cancelled)
    return "cancelled";
  if (e->counts[FH_GRID_COMPLETE] + e->counts[FH_GRID_FAILED] == n ||
      (e->steps != NULL && fh_job_status_steps_over (e->steps)))
    return "failed";
  return "waiting";
}

static JsonObject *
entry_summary (Entry *e)
{
  JsonObject *o = json_object_new ();
  JsonObject *counts = json_object_new ();
  guint n = fh_job_dir_get_n_items (e->dir);
  double done = e->counts[FH_GRID_COMPLETE] + e->counts[FH_GRID_FAILED];
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, e->running);
  while (g_hash_table_iter_next (&it, NULL, &value))
    done += CLAMP (((Running *) value)->progress, 0, 1);
  for (guint s = 0; s < FH_GRID_N_STATES; s++)
    json_object_set_int_member (counts, state_names[s], e->counts[s]);
  json_object_set_string_member (o, "id", e->id);
  json_object_set_string_member (o, "name", fh_job_dir_get_name (e->dir));
  json_object_set_int_member (o, "n_items", n);
  json_object_set_object_member (o, "counts", counts);
  json_object_set_double_member (o, "progress", n ? MIN (done / n, 1.0) : 1.0);
  json_object_set_string_member (o, "state", entry_state (e));
  fh_json_take_string (o, "started", g_date_time_format_iso8601 (e->created));
  json_object_set_int_member (o, "workers", e->workers_alive);
  json_object_set_int_member (o, "workers_seen", e->workers_total);
  json_object_set_boolean_member (o, "cancelled", e->cancelled);
  if (fh_job_dir_get_slurm_job (e->dir) != NULL)
    json_object_set_string_member (o, "slurm_job", fh_job_dir_get_slurm_job (e->dir));
  if (e->steps != NULL)
    json_object_set_array_member (o, "steps", json_array_ref (e->steps));
  if (e->idle != NULL)
    json_object_set_string_member (o, "idle", e->idle);
  return o;
}

static void
report (FhJobIndex *self, Entry *e, JsonArray *changes, gboolean reload)
{
  g_autoptr (JsonObject) summary = entry_summary (e);

  if (reload)
    json_object_set_boolean_member (summary, "reload", TRUE);
  if (json_array_get_length (changes) > 0)
    {
      g_autoptr (JsonObject) items = json_object_new ();
      json_object_set_string_member (items, "job", e->id);
      json_object_set_int_member (items, "seq", ++self->seq);
      json_object_set_array_member (items, "items", json_array_ref (changes));
      self->func ("items", items, self->user_data);
    }
  json_object_set_int_member (summary, "seq", ++self->seq);
  self->func ("job", summary, self->user_data);
}

/* ---- the root ------------------------------------------------------------- */

static void
adopt_new (FhJobIndex *self)
{
  g_autoptr (GDir) d = g_dir_open (self->root, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      Entry *e;
      if (!fh_job_index_valid_id (name) || g_hash_table_contains (self->jobs, name))
        continue;
      if ((e = entry_open (self, name)) != NULL)
        g_hash_table_insert (self->jobs, e->id, e);
    }
}

static gboolean
job_exists (Entry *e)
{
  g_autofree char *meta = g_build_filename (fh_job_dir_get_path (e->dir), "meta.json", NULL);

  return g_file_test (meta, G_FILE_TEST_EXISTS);
}

void
fh_job_index_refresh (FhJobIndex *self)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter it;
  gpointer value;

  adopt_new (self);
  g_hash_table_iter_init (&it, self->jobs);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Entry *e = value;
      g_autoptr (JsonArray) changes = NULL;
      gboolean reload = FALSE;

      if (now < e->next_look)
        continue;
      /* A job directory removed (by a wrangler cleaning up) leaves the list. */
      if (!job_exists (e))
        {
          g_hash_table_iter_remove (&it);
          continue;
        }
      if ((changes = entry_refresh (e, &reload)) != NULL)
        report (self, e, changes, reload);
      e->next_look = entry_ended (e) ? now + IDLE_INTERVAL_US : 0;
    }
}

gint64
fh_job_index_get_seq (FhJobIndex *self)
{
  return self->seq;
}

FhJobDir *
fh_job_index_lookup (FhJobIndex *self, const char *id)
{
  Entry *e = fh_job_index_valid_id (id) ? g_hash_table_lookup (self->jobs, id) : NULL;

  return e ? e->dir : NULL;
}

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  const Entry *ea = *(Entry *const *) a, *eb = *(Entry *const *) b;
  gint by_time = g_date_time_compare (eb->created, ea->created);

  if (by_time != 0)
    return by_time;
  return g_strcmp0 (eb->id, ea->id);
}

JsonArray *
fh_job_index_list (FhJobIndex *self)
{
  g_autoptr (GPtrArray) entries = g_ptr_array_new ();
  JsonArray *out = json_array_new ();
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, self->jobs);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (entries, value);

  g_ptr_array_sort (entries, newest_first);
  for (guint i = 0; i < entries->len; i++)
    json_array_add_object_element (out, entry_summary (g_ptr_array_index (entries, i)));
  return out;
}

JsonObject *
fh_job_index_summary (FhJobIndex *self, const char *id)
{
  Entry *e = fh_job_index_valid_id (id) ? g_hash_table_lookup (self->jobs, id) : NULL;

  return e ? entry_summary (e) : NULL;
}

FhItemStates *
fh_job_index_get_states (FhJobIndex *self, const char *id)
{
  Entry *e = g_hash_table_lookup (self->jobs, id);

  return e ? e->states : NULL;
}

gboolean
fh_job_index_recall_item (FhJobIndex *self, const char *id, const char *name, guint *index)
{
  Entry *e = g_hash_table_lookup (self->jobs, id);

  if (e == NULL || g_strcmp0 (e->last_item, name) != 0)
    return FALSE;
  *index = e->last_item_index;
  return TRUE;
}

void
fh_job_index_remember_item (FhJobIndex *self, const char *id, const char *name, guint index)
{
  Entry *e = g_hash_table_lookup (self->jobs, id);

  if (e == NULL)
    return;
  g_free (e->last_item);
  e->last_item = g_strdup (name);
  e->last_item_index = index;
}

FhGridState
fh_job_index_item_state (FhJobIndex *self, const char *id, guint index, double *progress,
                         guint *attempt)
{
  Entry *e = g_hash_table_lookup (self->jobs, id);

  *progress = NO_PROGRESS;
  *attempt = 0;
  if (e == NULL || index >= fh_job_dir_get_n_items (e->dir))
    return FH_GRID_PENDING;
  /* The state last reported (what the grid shows), with what is known now
   * of its progress and attempt. */
  grid_state (e, index, progress, attempt);
  if (e->shown[index] == FH_GRID_COMPLETE || e->shown[index] == FH_GRID_FAILED)
    *attempt = MAX (*attempt, 1);
  return (FhGridState) e->shown[index];
}
