/* fh-worker.c — one worker of a job directory (see the header). */
#include "config.h"

#include "fh-worker.h"

#include "fh-job-submit.h"

#include <stdio.h>
#include <unistd.h>

#include "fh-agenda-pager.h"
#include "fh-error.h"
#include "fh-claims.h"
#include "fh-job-dir.h"
#include "fh-job-log.h"
#include "fh-json.h"
#include "fh-job-handle.h"
#include "fh-proc.h"
#include "fh-slurm.h"
#include "fh-step-picker.h"

struct _FhWorker
{
  FhJobDir *dir;
  FhClaims *claims;          /* this worker's, in dir */
  FhJobHandle *handle;
  FhAgendaPager *agenda;     /* item names, from the plugin */
  char *plugin;              /* nullable: the job-type plugin's path */
  FhStepPicker *picker;      /* an OpenJD job's: which step next; else NULL */
  char *blocked;             /* why a step this worker may run cannot, or NULL */
  gint64 step_cancel_sent;   /* the item interrupted for its step's cancel */
  gboolean preclaimed;       /* a new Session's first task is claimed: */
  guint pre_index, pre_attempt;
  char *instance;            /* this process: host, pid, start time */
  FhJobLog *log;
  char *id;
  char *host;
  char *started;
  gint64 item_started;       /* monotonic µs */
  guint wait_ms;             /* between looks for items to take over */
  gint64 last_beat;          /* monotonic µs (monitor thread) */
  gint beat_soon;            /* atomic: a new item; beat at the next tick */
  /* Shared with the monitor thread (heartbeat, signals). */
  GMutex lock;
  char *state;               /* starting, working, waiting, teardown, done, failed, cancelled */
  char *item;                /* the item running, or NULL */
  gint64 index;              /* its index, or -1 */
  guint attempt;             /* its attempt */
  gboolean lost;             /* its claim was taken over: we were taken for dead */
  double progress;
  guint n_complete;
  guint n_failed;
  char *error;
  gint cancel;               /* atomic: a signal, or losing the claim, asks us to stop */
  /* "Errors avoid host": failures in a row of one machine-bound class. */
  char *streak_class;
  guint streak;
  char *avoiding;            /* why this worker takes no more items, or NULL */
  char *broken;              /* its ledger or heartbeat cannot be written: why */
};

/* ---- identity ----------------------------------------------------------- */

/* Worker names become file names in the job directory. */
static char *
safe_name (const char *name)
{
  char *s = g_strdup (name);

  for (char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      *p = '_';
  return s;
}

/* Slurm's array task ("slurm-123_4"), else host and pid. */
static char *
default_name (const char *host)
{
  const char *array = g_getenv ("SLURM_ARRAY_JOB_ID");
  const char *task = g_getenv ("SLURM_ARRAY_TASK_ID");
  const char *job = g_getenv ("SLURM_JOB_ID");

  if (array != NULL && task != NULL)
    return g_strdup_printf ("slurm-%s_%s", array, task);
  if (job != NULL)
    return g_strdup_printf ("slurm-%s", job);
  return g_strdup_printf ("%s-%d", host, (int) getpid ());
}

/* The job through the plugin, as it was where it was submitted (relative
 * paths and the default cwd mean what they meant there).  (transfer full) */
static FhJobHandle *
open_job (FhJobDir *dir, const char *plugin, GError **error)
{
  return fh_job_submit_open_job (dir, plugin, TRUE, error);
}

/* One live worker per name: a worker with our name that still beats (a
 * task requeued before its old self was seen dead elsewhere) gets its
 * lease to show it is gone.  Nothing to wait on but its heartbeat file. */
static gboolean
await_name (FhWorker *self, GError **error)
{
  g_autofree char *holder = NULL;
  gboolean said = FALSE;

  while (fh_job_dir_name_in_use (self->dir, self->id, self->instance, &holder, error))
    {
      if (!said)
        printf ("farmhand worker %s: another worker of this name is alive (%s); waiting "
                "until its heartbeat is %g s old\n", self->id, holder, fh_job_dir_get_lease (self->dir));
      fflush (stdout);
      said = TRUE;
      g_clear_pointer (&holder, g_free);
      g_usleep ((gulong) (MIN (1.0, fh_job_dir_get_lease (self->dir) / 4) * G_USEC_PER_SEC));
    }
  return error == NULL || *error == NULL;
}

/* --step NAME: a step of @dir's job.  *@only: its position. */
static gboolean
check_step (FhJobDir *dir, const char *step, gint *only, GError **error)
{
  JsonArray *steps = fh_job_dir_get_steps (dir);
  g_autoptr (GString) names = g_string_new (NULL);

  if (step == NULL)
    return TRUE;
  if (steps == NULL)
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                     "--step %s: job %s has no steps (only an OpenJD job has)", step, fh_job_dir_get_name (dir));
  if ((*only = fh_job_dir_find_step (dir, step)) >= 0)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (steps); i++)
    g_string_append_printf (names, "%s%s", i ? ", " : "", fh_job_dir_step_name (dir, i));
  return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID, "--step %s: job %s has no such step (its steps: %s)",
                   step, fh_job_dir_get_name (dir), names->str);
}

FhWorker *
fh_worker_new (const FhWorkerOptions *options, GError **error)
{
  g_autoptr (FhWorker) self = g_new0 (FhWorker, 1);
  g_autofree char *name = NULL;
  g_autofree char *log_path = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  gint only_step = -1;

  g_mutex_init (&self->lock);
  self->host = g_strdup (g_get_host_name ());
  self->started = g_date_time_format_iso8601 (now);
  self->instance = g_strdup_printf ("%s:%d:%" G_GINT64_FORMAT, self->host, (int) getpid (),
                                    g_get_real_time ());
  self->state = g_strdup ("starting");
  self->progress = -1;
  self->index = -1;
  self->step_cancel_sent = -1;
  name = options->name ? g_strdup (options->name) : default_name (self->host);
  self->id = safe_name (name);
  self->plugin = g_strdup (options->plugin);
  if ((self->dir = fh_job_dir_open (options->job_dir, error)) == NULL ||
      !check_step (self->dir, options->step, &only_step, error) ||
      (self->handle = open_job (self->dir, options->plugin, error)) == NULL)
    return NULL;
  self->agenda = fh_agenda_pager_new (self->handle, 1000, FALSE);
  if (!await_name (self, error) ||
      (self->claims = fh_claims_new (self->dir, self->id, self->instance, error)) == NULL)
    return NULL;
  if (fh_job_dir_get_steps (self->dir) != NULL)
    self->picker = fh_step_picker_new (self->dir, self->claims, self->id, only_step);
  log_path = fh_job_dir_log_path (self->dir, self->id);
  if ((self->log = fh_job_log_open (log_path, error)) == NULL)
    return NULL;
  /* Commands may want to know where they run (and the stress harness
   * does). */
  g_setenv ("FARMHAND_WORKER", self->id, TRUE);
  return g_steal_pointer (&self);
}

void
fh_worker_free (FhWorker *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->log, fh_job_log_free);
  g_clear_pointer (&self->picker, fh_step_picker_free);
  g_clear_pointer (&self->agenda, fh_agenda_pager_free);
  g_clear_pointer (&self->handle, fh_job_handle_free);
  g_clear_pointer (&self->claims, fh_claims_free);
  g_clear_pointer (&self->dir, fh_job_dir_free);
  g_mutex_clear (&self->lock);
  g_free (self->instance);
  g_free (self->id);
  g_free (self->host);
  g_free (self->started);
  g_free (self->state);
  g_free (self->item);
  g_free (self->error);
  g_free (self->streak_class);
  g_free (self->avoiding);
  g_free (self->broken);
  g_free (self->blocked);
  g_free (self->plugin);
  g_free (self);
}

/* ---- heartbeat ---------------------------------------------------------- */

static void
set_state (FhWorker *self, const char *state, const char *item, gint64 index, guint attempt)
{
  g_mutex_lock (&self->lock);
  g_free (self->state);
  self->state = g_strdup (state);
  if (g_strcmp0 (self->item, item) != 0)
    {
      g_free (self->item);
      self->item = g_strdup (item);
      self->progress = -1;
    }
  self->index = index;
  self->attempt = attempt;
  g_mutex_unlock (&self->lock);
}

static JsonObject *
state_json (FhWorker *self)
{
  JsonObject *o = json_object_new ();
  const char *slurm_job = g_getenv ("SLURM_ARRAY_JOB_ID");
  const char *slurm_task = g_getenv ("SLURM_ARRAY_TASK_ID");

  g_mutex_lock (&self->lock);
  json_object_set_string_member (o, "state", self->state);
  json_object_set_string_member (o, "host", self->host);
  json_object_set_int_member (o, "pid", getpid ());
  json_object_set_string_member (o, "started", self->started);
  if (self->item != NULL)
    {
      json_object_set_string_member (o, "item", self->item);
      json_object_set_int_member (o, "index", self->index);
      json_object_set_int_member (o, "attempt", self->attempt);
      if (self->picker != NULL && self->index >= 0 && fh_job_dir_step_of (self->dir, (guint) self->index) >= 0)
        json_object_set_string_member (o, "step", fh_job_dir_step_name (self->dir, (guint) fh_job_dir_step_of (
                                                                          self->dir, (guint) self->index)));
    }
  if (self->progress >= 0)
    json_object_set_double_member (o, "progress", self->progress);
  json_object_set_int_member (o, "complete", self->n_complete);
  json_object_set_int_member (o, "failed", self->n_failed);
  if (self->error != NULL)
    json_object_set_string_member (o, "error", self->error);
  g_mutex_unlock (&self->lock);
  if (slurm_job != NULL && slurm_task != NULL)
    {
      json_object_set_string_member (o, "slurm_job", slurm_job);
      json_object_set_string_member (o, "slurm_task", slurm_task);
    }
  return o;
}

static void write_failed (FhWorker *self, const GError *error);

static void
heartbeat (FhWorker *self)
{
  g_autoptr (JsonObject) o = state_json (self);
  g_autoptr (GError) err = NULL;

  /* A missed beat is survivable (the lease is three of them); a disk that
   * is full or failing is not (fh_host_file_write_all() has retried). */
  if (fh_claims_heartbeat (self->claims, o, &err))
    return;
  g_printerr ("farmhand worker %s: heartbeat: %s\n", self->id, err->message);
  if (err->domain == G_IO_ERROR)
    write_failed (self, err);
}

/* Our claim on the item running was taken over: we were taken for dead
 * (frozen past the lease, cut off from the job directory).  Stop working
 * under it: interrupt the command and leave (docs/jobdir.md). */
static void
check_claim (FhWorker *self)
{
  gint64 index;
  guint attempt;

  g_mutex_lock (&self->lock);
  index = self->index;
  attempt = self->attempt;
  g_mutex_unlock (&self->lock);
  if (index < 0 || !fh_claims_superseded (self->claims, (guint) index, attempt))
    return;
  g_mutex_lock (&self->lock);
  if (!self->lost)
    {
      self->lost = TRUE;
      g_printerr ("farmhand worker %s: item %s (attempt %u) was taken over by another worker: "
                  "this worker's heartbeat went stale; stopping\n", self->id, self->item, attempt);
      g_atomic_int_set (&self->cancel, 1);
      fh_job_handle_cancel (self->handle, FALSE);
    }
  g_mutex_unlock (&self->lock);
}

/* `farmhand cancel --step`: the running task of that step is interrupted
 * (once); the worker goes on with other steps' tasks. */
static void
check_step_cancelled (FhWorker *self)
{
  gint64 index;
  gint step;

  g_mutex_lock (&self->lock);
  index = self->index;
  g_mutex_unlock (&self->lock);
  if (self->picker == NULL || index < 0 || index == self->step_cancel_sent)
    return;
  if ((step = fh_job_dir_step_of (self->dir, (guint) index)) < 0 || !fh_job_dir_is_step_cancelled (self->dir, (guint) step))
    return;
  self->step_cancel_sent = index;
  printf ("farmhand worker %s: step %s was cancelled: interrupting its task\n", self->id,
          fh_job_dir_step_name (self->dir, (guint) step));
  fflush (stdout);
  fh_job_handle_cancel_item (self->handle);
}

/* A heartbeat every third of the lease, and at least every 5 s so that
 * `farmhand status` and the farm UI see what each worker runs. */
static gint64
beat_interval_us (FhWorker *self)
{
  return (gint64) (MIN (fh_job_dir_get_lease (self->dir) / 3, 5.0) * G_USEC_PER_SEC);
}

/* What the ledger holds, on the disk (at least once a second). */
static void
sync_ledger (FhWorker *self)
{
  g_autoptr (GError) err = NULL;

  if (!fh_claims_sync (self->claims, &err))
    write_failed (self, err);
}

/* Each tick (at most a second): the heartbeat when due, whether our claim
 * still holds, the ledger synced. */
static void
on_tick (gpointer data)
{
  FhWorker *self = data;
  gint64 now = g_get_monotonic_time ();

  /* A new item is beaten at once, so that the farm UI shows it running
   * within a tick rather than a beat interval. */
  if (g_atomic_int_compare_and_exchange (&self->beat_soon, 1, 0) ||
      now - self->last_beat >= beat_interval_us (self))
    {
      self->last_beat = now;
      heartbeat (self);
    }
  check_claim (self);
  check_step_cancelled (self);
  sync_ledger (self);
  fh_job_log_flush (self->log, NULL);
}

/* The handle cancels the job; no new item is claimed meanwhile. */
static void
on_cancelled (gpointer data, int signum, gboolean now)
{
  g_atomic_int_set (&((FhWorker *) data)->cancel, 1);
}

/* ---- the host API ------------------------------------------------------- */

static gboolean
stopping (FhWorker *self)
{
  return g_atomic_int_get (&self->cancel) || self->avoiding != NULL || self->broken != NULL ||
         fh_job_dir_is_cancelled (self->dir);
}

/* The job directory will not take this worker's writes (a full or failing
 * disk): nothing it does is recorded, so it takes no more items, stops the
 * running one and says why, at once.  What is in its ledger stays; what
 * is not is run again by another worker.  Called from either thread. */
static void
write_failed (FhWorker *self, const GError *error)
{
  gboolean first;

  g_mutex_lock (&self->lock);
  first = self->broken == NULL;
  if (first)
    self->broken = g_strdup_printf ("the job directory cannot be written: %s", error->message);
  g_mutex_unlock (&self->lock);
  if (!first)
    return;
  g_printerr ("farmhand worker %s: %s; it takes no more items\n", self->id, self->broken);
  fh_job_handle_cancel (self->handle, FALSE);
}

/* A machine-bound failure (the plugin says which: "machine_bound") again
 * and again says more about this machine than about the items: after the
 * job's avoid_host_after of them in a row, of one class, this worker
 * takes no more. */
static void
note_failure_class (FhWorker *self, JsonObject *r)
{
  const char *cls = json_object_get_string_member_with_default (r, "class", NULL);
  gint64 after = json_object_get_int_member_with_default (fh_job_handle_describe (self->handle),
                                                          "avoid_host_after", 0);

  if (cls == NULL || !json_object_get_boolean_member_with_default (r, "machine_bound", FALSE))
    {
      self->streak = 0;
      return;
    }
  if (g_strcmp0 (cls, self->streak_class) != 0)
    {
      g_free (self->streak_class);
      self->streak_class = g_strdup (cls);
      self->streak = 0;
    }
  if (++self->streak < after || after <= 0 || self->avoiding != NULL)
    return;
  self->avoiding = g_strdup_printf ("%u items in a row failed with %s on this machine (last: %s); "
                                    "it takes no more items (avoid_host_after %" G_GINT64_FORMAT ")",
                                    self->streak, cls,
                                    json_object_get_string_member_with_default (r, "reason", "?"),
                                    after);
  printf ("farmhand worker %s: %s\n", self->id, self->avoiding);
  fflush (stdout);
}

/* Between looks for an item to take over: growing from 50 ms to half the
 * lease, so a dead worker's item waits about a lease, and hundreds of
 * waiting workers do not flood the job directory with looks. */
static void
wait_a_while (FhWorker *self)
{
  guint most = (guint) MAX (50.0, fh_job_dir_get_lease (self->dir) * 500);
  gint64 until;

  self->wait_ms = MIN (most, MAX (50, self->wait_ms * 2));
  until = g_get_monotonic_time () + (gint64) self->wait_ms * 1000;
  /* Nothing to wait on but the job directory (a shared filesystem has no
   * notifications), and our own cancel. */
  while (g_get_monotonic_time () < until && !g_atomic_int_get (&self->cancel))
    g_usleep (20 * 1000);
}

static char *
claimed_item (FhWorker *self, guint index, guint attempt, GError **error)
{
  g_autoptr (JsonObject) o = json_object_new ();
  JsonObject *item = fh_agenda_pager_get (self->agenda, index, error);
  const char *name;

  if (item == NULL)
    return NULL;
  name = json_object_get_string_member_with_default (item, "name", "?");

  self->wait_ms = 0;
  set_state (self, "working", name, index, attempt);
  g_atomic_int_set (&self->beat_soon, 1);
  fh_job_log_marker (self->log, "item %s claimed (attempt %u)", name, attempt);
  if (attempt > 1)
    printf ("farmhand worker %s: taking over item %s (attempt %u: no earlier attempt completed)\n",
            self->id, name, attempt);
  self->item_started = g_get_monotonic_time ();
  json_object_set_int_member (o, "index", index);
  return fh_json_object_to_string (o);
}

/* Says once why a step this worker could run cannot. */
static void
note_blocked (FhWorker *self, char *why)
{
  if (why == NULL || g_strcmp0 (why, self->blocked) == 0)
    {
      g_free (why);
      return;
    }
  g_free (self->blocked);
  self->blocked = why;
  printf ("farmhand worker %s: %s\n", self->id, why);
  fflush (stdout);
  fh_job_log_marker (self->log, "%s", why);
}

/* Claims the next item, waiting while one may come.  FALSE at the end. */
static gboolean
find_item (FhWorker *self, guint *index, guint *attempt)
{
  g_autoptr (GError) err = NULL;
  gboolean wait;

  for (;;)
    {
      char *blocked = NULL;
      gboolean got;
      if (stopping (self))
        return FALSE;
      got = self->picker ? fh_step_picker_take (self->picker, index, attempt, &wait, &blocked, &err)
                         : fh_claims_take (self->claims, index, attempt, &wait, &err);
      note_blocked (self, blocked);
      if (got)
        return TRUE;
      if (err != NULL)
        {
          g_printerr ("farmhand worker %s: %s\n", self->id, err->message);
          return FALSE;
        }
      if (!wait)
        {
          set_state (self, "teardown", NULL, -1, 0);
          return FALSE;
        }
      set_state (self, "waiting", NULL, -1, 0);
      wait_a_while (self);
    }
}

static char *
api_next_item (void *data)
{
  FhWorker *self = data;
  g_autoptr (GError) err = NULL;
  guint index, attempt;
  char *item;

  if (self->preclaimed)
    {
      self->preclaimed = FALSE;
      index = self->pre_index;
      attempt = self->pre_attempt;
    }
  else if (!find_item (self, &index, &attempt))
    return NULL;
  if ((item = claimed_item (self, index, attempt, &err)) == NULL)
    g_printerr ("farmhand worker %s: %s\n", self->id, err->message);
  return item;
}

static void
count_result (FhWorker *self, const char *name, gboolean ok, JsonObject *r)
{
  const char *tb = json_object_get_string_member_with_default (r, "traceback", "");
  g_autofree char *first = g_strndup (tb, strcspn (tb, "\n"));
  double secs = (g_get_monotonic_time () - self->item_started) / 1e6;

  g_mutex_lock (&self->lock);
  if (ok)
    self->n_complete++;
  else
    self->n_failed++;
  g_mutex_unlock (&self->lock);
  fh_job_log_marker (self->log, "item %s %s in %.3f s", name, ok ? "complete" : "FAILED", secs);
  printf ("  %-9s %-16s %8.1f ms%s%s\n", ok ? "complete" : "FAILED", name, secs * 1000,
          ok ? "" : "  ", ok ? "" : first);
  fflush (stdout);
}

static void
api_report_item (void *data, JsonObject *r)
{
  FhWorker *self = data;
  g_autoptr (GError) err = NULL;
  const char *name;
  guint attempt;
  gint64 index;

  g_mutex_lock (&self->lock);
  index = self->index;
  attempt = self->attempt;
  g_mutex_unlock (&self->lock);
  if (json_object_get_int_member_with_default (r, "index", -1) != index || index < 0)
    {
      g_autofree char *json = fh_json_object_to_string (r);
      g_printerr ("farmhand worker %s: the plugin reported a result for another item than "
                  "the one it was given: %s\n", self->id, json);
      return;
    }
  name = json_object_get_string_member_with_default (r, "name", "?");
  /* Counted once it is in the ledger: nothing is said done that is not. */
  if (fh_claims_write_result (self->claims, (guint) index, attempt, r, &err))
    count_result (self, name, g_strcmp0 (json_object_get_string_member_with_default (r, "status", ""),
                                         "complete") == 0, r);
  else if (g_error_matches (err, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_SUPERSEDED))
    {
      g_printerr ("farmhand worker %s: item %s: %s\n", self->id, name, err->message);
      check_claim (self);
    }
  else
    write_failed (self, err);
  note_failure_class (self, r);
  set_state (self, "working", NULL, -1, 0);
}

static void
api_log_line (void *data, const char *item, FhLogStream stream, const char *line, gsize len)
{
  fh_job_log_line (((FhWorker *) data)->log, item, stream, line, len);
}

static void
api_progress (void *data, const char *item, double fraction)
{
  FhWorker *self = data;

  g_mutex_lock (&self->lock);
  self->progress = fraction;
  g_mutex_unlock (&self->lock);
}

/* ---- running ------------------------------------------------------------ */

/* The job through the plugin; returns its FhRunStatus and error text;
 * @again: a task's failure ended an OpenJD Session, which a new one may
 * follow. */
static int
run_job (FhWorker *self, char **why, gboolean *again)
{
  const FhJobHandleFuncs funcs = {
    .next_item = api_next_item, .report_item = api_report_item, .log_line = api_log_line,
    .progress = api_progress, .tick = on_tick, .cancelled = on_cancelled,
    .tick_ms = (guint) CLAMP (fh_job_dir_get_lease (self->dir) * 1000 / 3, 100, 1000),
  };
  g_autoptr (JsonObject) summary = NULL;
  int status = fh_job_handle_run (self->handle, &funcs, self, TRUE, &summary);

  g_free (*why);
  *why = g_strdup (json_object_get_string_member_with_default (summary, "error", NULL));
  *again = g_strcmp0 (json_object_get_string_member_with_default (summary, "session_end", NULL), "task_failed") == 0;
  return status;
}

/* A task claimed for a Session that ended before it was served (its
 * environments failed): failed, saying why, so it is not left held. */
static void
release_preclaimed (FhWorker *self, const char *why)
{
  g_autoptr (JsonObject) r = json_object_new ();
  g_autoptr (GError) err = NULL;
  JsonObject *item;

  if (!self->preclaimed)
    return;
  self->preclaimed = FALSE;
  item = fh_agenda_pager_get (self->agenda, self->pre_index, NULL);
  json_object_set_string_member (r, "name", item ? json_object_get_string_member_with_default (item, "name", "?") : "?");
  json_object_set_int_member (r, "index", self->pre_index);
  json_object_set_string_member (r, "status", "failed");
  json_object_set_int_member (r, "attempts", 0);
  json_object_set_string_member (r, "class", "error");
  json_object_set_string_member (r, "reason", why ? why : "the session ended before the task ran");
  if (!fh_claims_write_result (self->claims, self->pre_index, self->pre_attempt, r, &err))
    g_printerr ("farmhand worker %s: %s\n", self->id, err->message);
}

/* A new Session: the job opened again (its state is the plugin's). */
static gboolean
reopen_job (FhWorker *self, GError **error)
{
  FhJobHandle *handle = open_job (self->dir, self->plugin, error);

  if (handle == NULL)
    return FALSE;
  g_clear_pointer (&self->agenda, fh_agenda_pager_free);
  g_clear_pointer (&self->handle, fh_job_handle_free);
  self->handle = handle;
  self->agenda = fh_agenda_pager_new (self->handle, 1000, FALSE);
  return TRUE;
}

/* An OpenJD job: a Session only when there is a task for it (its first
 * one claimed before the environments are entered), and a new Session
 * after a task's failure ended one, while tasks are left. */
static int
run_sessions (FhWorker *self, char **why)
{
  g_autoptr (GError) err = NULL;
  int status = FH_RUN_OK;
  gboolean again = TRUE;

  for (guint n = 0; again && find_item (self, &self->pre_index, &self->pre_attempt); n++)
    {
      if (n > 0 && !reopen_job (self, &err))
        {
          release_preclaimed (self, err->message);
          *why = g_strdup (err->message);
          return FH_RUN_JOB_FAILED;
        }
      if (n > 0)
        printf ("farmhand worker %s: a task's failure ended the Session; a new Session for the tasks left\n",
                self->id);
      self->preclaimed = TRUE;
      status = run_job (self, why, &again);
      release_preclaimed (self, *why);
      if (again)
        status = FH_RUN_ITEMS_FAILED;
    }
  return status;
}

/* Why a signal cancelled this worker when it was not `farmhand cancel`:
 * Slurm's time limit (its SIGTERM comes KillWait before the end), or a
 * signal from elsewhere.  (transfer full) */
static char *
why_signalled (FhWorker *self)
{
  int sig = fh_job_handle_get_signal (self->handle);
  const char *job = g_getenv ("SLURM_JOB_ID");
  gint64 left = -1;

  if (sig == 0 || fh_job_dir_is_cancelled (self->dir))
    return NULL;
  if (job != NULL && fh_slurm_time_left (job, &left, NULL) && left >= 0 && left <= 120)
    return g_strdup_printf ("Slurm's time limit was reached (SIGTERM, %" G_GINT64_FORMAT " s left): its tasks left "
                            "are pending; give them more time: farmhand submit --resume %s --sbatch-arg=--time=...",
                            left, fh_job_dir_get_path (self->dir));
  return g_strdup_printf ("stopped by signal %d (%s)%s", sig, g_strsignal (sig),
                          job != NULL ? ": scancel, or Slurm (its time limit, a preemption)" : "");
}

/* The state the heartbeat ends with, and the exit status. */
static int
finish (FhWorker *self, int status, const char *why)
{
  /* A cancel seen in the job directory ends the agenda like its end. */
  gboolean idle = self->n_complete + self->n_failed == 0;
  g_autofree char *signalled = status == FH_RUN_CANCELLED ? why_signalled (self) : NULL;
  const char *state = self->lost ? "fenced" : self->broken ? "failed" : self->avoiding ? "avoided"
                      : status == FH_RUN_CANCELLED || stopping (self) ? "cancelled"
                      : status == FH_RUN_JOB_FAILED ? "failed"
                      : self->blocked != NULL && idle ? "blocked" : "done";

  if (self->broken != NULL)
    why = self->broken;
  else if (self->avoiding != NULL && why == NULL)
    why = self->avoiding;
  else if (self->blocked != NULL && why == NULL)
    why = self->blocked;
  else if (signalled != NULL)
    why = signalled;
  g_mutex_lock (&self->lock);
  g_free (self->error);
  self->error = g_strdup (why);
  g_mutex_unlock (&self->lock);
  set_state (self, state, NULL, -1, 0);
  heartbeat (self);
  printf ("farmhand worker %s: %s: %u complete, %u failed%s%s\n", self->id, state,
          self->n_complete, self->n_failed, why ? "; " : "", why ? why : "");
  if (status == FH_RUN_CANCELLED && fh_job_handle_get_signal (self->handle) != 0)
    return 128 + fh_job_handle_get_signal (self->handle);
  return status == FH_RUN_OK && self->n_failed == 0 && g_str_equal (state, "done") ? 0 : 1;
}

int
fh_worker_run (FhWorker *self)
{
  g_autofree char *why = NULL;
  int status;

  printf ("farmhand worker %s: job %s in %s (%u items)\n", self->id, fh_job_dir_get_name (self->dir),
          fh_job_dir_get_path (self->dir), fh_job_dir_get_n_items (self->dir));
  fflush (stdout);
  /* Alive before the first claim, so nobody takes our items over. */
  heartbeat (self);
  self->last_beat = g_get_monotonic_time ();
  fh_proc_become_subreaper ();
  if (self->picker != NULL)
    status = run_sessions (self, &why);
  else
    {
      gboolean again;
      status = run_job (self, &why, &again);
    }
  fh_proc_end_tree (0, getpid (), 2000);
  sync_ledger (self);
  fh_job_log_flush (self->log, NULL);
  return finish (self, status, why);
}
