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
