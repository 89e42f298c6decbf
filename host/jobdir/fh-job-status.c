/* fh-job-status.c — where a job directory's job stands (see the
 * header). */
#include "config.h"

#include "fh-job-status.h"

#include "fh-job-dir-private.h"

/* Items in progress: one per live worker whose last heartbeat names one
 * (which may have ended since; that worker then runs another). */
static guint
count_running (GPtrArray *workers)
{
  guint n = 0;

  for (guint i = 0; i < workers->len; i++)
    {
      JsonObject *w = g_ptr_array_index (workers, i);
      n += json_object_get_boolean_member (w, "alive") &&
           json_object_get_int_member_with_default (w, "index", -1) >= 0;
    }
  return n;
}

GPtrArray *
fh_job_status_workers (FhJobDir *self)
{
  return fh_job_dir_list_workers (self, fh_job_dir_now_ns (self));
}

char *
fh_job_status_attempt_worker (FhJobDir *self, guint index, guint attempt)
{
  if (index >= self->n_items || attempt == 0)
    return NULL;
  return g_strdup (fh_job_dir_owner_of (self, index, attempt));
}

static GPtrArray *
first_failures (FhItemStates *states, guint n_items, guint max, GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; i < n_items && out->len < max; i++)
    {
      JsonObject *r;
      if (fh_item_states_get (states, i) != FH_ITEM_FAILED)
        continue;
      if ((r = fh_item_states_read_result (states, i, error)) == NULL)
        return NULL;
      g_ptr_array_add (out, r);
    }
  return g_steal_pointer (&out);
}

void
fh_job_status_clear (FhJobStatus *status)
{
  g_clear_pointer (&status->steps, json_array_unref);
  g_clear_pointer (&status->idle, g_free);
}

gboolean
fh_job_status_read (FhJobDir *self, FhJobStatus *counts, GPtrArray **workers,
                   GPtrArray **failures, guint max_failures, GError **error)
{
  g_autoptr (FhItemStates) states = fh_job_dir_read_states (self, error);
  g_autoptr (GPtrArray) beats = NULL;

  if (states == NULL)
    return FALSE;
  beats = fh_job_dir_list_workers (self, fh_job_dir_now_ns (self));
  *counts = (FhJobStatus) {
    .n_items = self->n_items,
    .complete = fh_item_states_count (states, FH_ITEM_COMPLETE),
    .failed = fh_item_states_count (states, FH_ITEM_FAILED),
  };
  counts->running = MIN (count_running (beats), self->n_items - counts->complete - counts->failed);
  counts->pending = self->n_items - counts->complete - counts->failed - counts->running;
  counts->steps = fh_job_status_steps (self, states, beats);
  counts->idle = fh_job_status_idle_reason (self, beats, counts->pending);
  if (failures != NULL && (*failures = first_failures (states, self->n_items, max_failures, error)) == NULL)
    return FALSE;
  if (workers != NULL)
    *workers = g_steal_pointer (&beats);
  return TRUE;
}

gboolean
fh_job_status_foreach_result (FhJobDir *self, FhJobResultFunc func, gpointer user_data,
                           GError **error)
{
  g_autoptr (FhItemStates) states = fh_job_dir_read_states (self, error);

  if (states == NULL)
    return FALSE;
  for (guint i = 0; i < self->n_items; i++)
    {
      g_autoptr (JsonObject) r = NULL;
      g_autoptr (GError) local = NULL;
      if (fh_item_states_get (states, i) == FH_ITEM_PENDING)
        continue;
      if ((r = fh_item_states_read_result (states, i, &local)) == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (!func (i, r, user_data))
        break;
    }
  return TRUE;
}

/* ---- steps ------------------------------------------------------------------- */

/* A live worker's item, while it has no result. */
static guint
running_in (FhItemStates *states, GPtrArray *workers, guint first, guint n)
{
  guint r = 0;

  for (guint i = 0; workers != NULL && i < workers->len; i++)
    {
      JsonObject *w = g_ptr_array_index (workers, i);
      gint64 index = json_object_get_int_member_with_default (w, "index", -1);
      r += json_object_get_boolean_member_with_default (w, "alive", FALSE) && index >= first &&
           index < (gint64) first + n && fh_item_states_get (states, (guint) index) == FH_ITEM_PENDING;
    }
  return r;
}

/* Why step @s cannot start yet, or ever, from its dependencies' states
 * (earlier in @out): NULL when they completed.  @blocked: for good. */
static char *
dependencies_say (JsonObject *s, JsonArray *out, gboolean *blocked)
{
  JsonArray *deps = json_object_get_array_member (s, "depends_on");

  *blocked = FALSE;
  for (guint d = 0; deps != NULL && d < json_array_get_length (deps); d++)
    {
      const char *name = json_array_get_string_element (deps, d);
      for (guint j = 0; j < json_array_get_length (out); j++)
        {
          JsonObject *o = json_array_get_object_element (out, j);
          const char *state = json_object_get_string_member (o, "state");
          if (!g_str_equal (json_object_get_string_member (o, "name"), name) || g_str_equal (state, "complete"))
            continue;
          *blocked = TRUE;
          if (json_object_get_int_member (o, "failed") > 0)
            return g_strdup_printf ("step %s failed: %" G_GINT64_FORMAT " of its %" G_GINT64_FORMAT " task%s failed",
                                    name, json_object_get_int_member (o, "failed"), json_object_get_int_member (o, "tasks"),
                                    json_object_get_int_member (o, "tasks") == 1 ? "" : "s");
          if (g_str_equal (state, "cancelled"))
            return g_strdup_printf ("step %s was cancelled", name);
          if (g_str_equal (state, "blocked"))
            return g_strdup_printf ("step %s cannot run: %s", name, json_object_get_string_member (o, "why"));
          *blocked = FALSE;
          return g_strdup_printf ("waits for step %s", name);
        }
    }
  return NULL;
}

static const char *
step_state (FhJobDir *dir, guint step, JsonObject *o, gboolean blocked, const char *why)
{
  gint64 n = json_object_get_int_member (o, "tasks"), complete = json_object_get_int_member (o, "complete");
  gint64 failed = json_object_get_int_member (o, "failed"), running = json_object_get_int_member (o, "running");

  if (complete == n)
    return "complete";
  if (complete + failed == n)
    return "failed";
  if (fh_job_dir_is_step_cancelled (dir, step) || fh_job_dir_is_cancelled (dir))
    return running > 0 ? "cancelling" : "cancelled";
  if (blocked)
    return "blocked";
  if (running > 0)
    return "running";
  if (failed > 0)
    return "failed";
  return why != NULL ? "waiting" : "ready";
}

JsonArray *
fh_job_status_steps (FhJobDir *dir, FhItemStates *states, GPtrArray *workers)
{
  JsonArray *steps = fh_job_dir_get_steps (dir), *out;

  if (steps == NULL)
    return NULL;
  out = json_array_new ();
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *s = json_array_get_object_element (steps, i), *o = json_object_new ();
      guint first, n, complete = 0, failed = 0, running;
      g_autofree char *why = NULL;
      gboolean blocked;
      fh_job_dir_step_range (dir, i, &first, &n);
      for (guint k = first; k < first + n; k++)
        {
          FhItemState st = fh_item_states_get (states, k);
          complete += st == FH_ITEM_COMPLETE;
          failed += st == FH_ITEM_FAILED;
        }
      running = running_in (states, workers, first, n);
      json_object_set_string_member (o, "name", fh_job_dir_step_name (dir, i));
      json_object_set_member (o, "depends_on", json_node_copy (json_object_get_member (s, "depends_on")));
      json_object_set_int_member (o, "first", first);
      json_object_set_int_member (o, "tasks", n);
      json_object_set_int_member (o, "complete", complete);
      json_object_set_int_member (o, "failed", failed);
      json_object_set_int_member (o, "running", running);
      json_object_set_int_member (o, "pending", n - complete - failed - running);
      why = dependencies_say (s, out, &blocked);
      json_object_set_string_member (o, "state", step_state (dir, i, o, blocked, why));
      if (why != NULL && complete < n)
        json_object_set_string_member (o, "why", why);
      if (fh_job_dir_get_slurm_step (dir, fh_job_dir_step_name (dir, i)) != NULL)
        json_object_set_string_member (o, "slurm_job", fh_job_dir_get_slurm_step (dir, fh_job_dir_step_name (dir, i)));
      json_array_add_object_element (out, o);
    }
  return out;
}

/* Whether no step will run another task: each is complete, failed to
 * the end, blocked by a dependency or cancelled. */
gboolean
fh_job_status_steps_over (JsonArray *steps)
{
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *s = json_array_get_object_element (steps, i);
      const char *state = json_object_get_string_member (s, "state");
      if (!g_str_equal (state, "complete") && !g_str_equal (state, "blocked") && !g_str_equal (state, "cancelled") &&
          !(g_str_equal (state, "failed") && json_object_get_int_member (s, "pending") == 0))
        return FALSE;
    }
  return TRUE;
}

/* ---- why nobody works on it ------------------------------------------------------ */

/* What worker @w's last heartbeat says of why it stopped. */
static char *
stopped_because (JsonObject *w)
{
  const char *state = json_object_get_string_member_with_default (w, "state", "?");
  const char *error = json_object_get_string_member_with_default (w, "error", NULL);
  const char *name = json_object_get_string_member_with_default (w, "worker", "?");

  if (!fh_job_dir_final_state (state))
    return g_strdup_printf ("%s stopped without a word (killed, or its machine went down)", name);
  if (g_str_equal (state, "avoided"))
    return g_strdup_printf ("%s avoided its host: %s", name, error ? error : "too many failures in a row");
  if (g_str_equal (state, "fenced"))
    return g_strdup_printf ("%s was taken for dead (its heartbeat went stale) and left", name);
  if (error != NULL)
    return g_strdup_printf ("%s %s: %s", name, state, error);
  return g_strdup_printf ("%s %s", name, g_str_equal (state, "done") ? "found nothing left to take" : state);
}

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  JsonObject *wa = *(JsonObject **) a, *wb = *(JsonObject **) b;

  /* ISO 8601 UTC: the text sorts as the time. */
  return g_strcmp0 (json_object_get_string_member_with_default (wb, "updated", ""),
                    json_object_get_string_member_with_default (wa, "updated", ""));
}

char *
fh_job_status_idle_reason (FhJobDir *dir, GPtrArray *workers, guint left)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autoptr (GPtrArray) last = NULL;
  guint shown = 0;

  if (left == 0 || workers == NULL)
    return NULL;
  /* Borrowed: g_ptr_array_copy() would take the free function too. */
  last = g_ptr_array_sized_new (workers->len);
  for (guint i = 0; i < workers->len; i++)
    g_ptr_array_add (last, g_ptr_array_index (workers, i));
  g_ptr_array_sort (last, newest_first);
  workers = last;
  for (guint i = 0; i < workers->len; i++)
    if (json_object_get_boolean_member_with_default (g_ptr_array_index (workers, i), "alive", FALSE))
      return NULL;
  if (fh_job_dir_is_cancelled (dir))
    return g_strdup_printf ("no worker runs it: the job was cancelled; 'farmhand submit --resume %s' runs "
                            "the %u item%s left", fh_job_dir_get_path (dir), left, left == 1 ? "" : "s");
  if (workers->len == 0)
    return g_strdup_printf ("no worker has started: start one ('farmhand worker %s'), or submit it to Slurm",
                            fh_job_dir_get_path (dir));
  g_string_append_printf (s, "no worker runs it, %u item%s left: ", left, left == 1 ? "" : "s");
  for (guint i = 0; i < workers->len && shown < 3; i++, shown++)
    {
      g_autofree char *why = stopped_because (g_ptr_array_index (workers, i));
      g_string_append_printf (s, "%s%s", shown ? "; " : "", why);
    }
  if (workers->len > shown)
    g_string_append_printf (s, "; and %u more", workers->len - shown);
  g_string_append_printf (s, ". Fix the cause, then run what is left: 'farmhand submit --resume %s'",
                          fh_job_dir_get_path (dir));
  return g_string_free (g_steal_pointer (&s), FALSE);
}
