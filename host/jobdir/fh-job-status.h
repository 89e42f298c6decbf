/* fh-job-status.h — where a job directory's job stands, read by anyone
 * (`farmhand status`, `farmhand cancel`, the farm UI) without joining it:
 * counts, workers, the failed items, every result, who made an attempt. */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-job-dir.h"

G_BEGIN_DECLS

typedef struct
{
  guint n_items;
  guint complete;
  guint failed;
  guint running;    /* live workers whose last heartbeat names an item */
  guint pending;    /* neither */
  JsonArray *steps; /* an OpenJD job's: fh_job_status_steps() */
  char *idle;       /* why no worker runs it: fh_job_status_idle_reason() */
} FhJobStatus;

void fh_job_status_clear (FhJobStatus *status);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FhJobStatus, fh_job_status_clear)

/* Where @dir's job stands, without reading a file per item (clear
 * @status after).  @workers
 * (nullable out): each worker's last heartbeat, plus "age_s" and "alive";
 * @failures (nullable out): the results of the first @max_failures failed
 * items.  (transfer full) */
gboolean fh_job_status_read (FhJobDir *dir, FhJobStatus *status, GPtrArray **workers, GPtrArray **failures,
                             guint max_failures, GError **error);

/* Calls @func with every item's accepted result, in agenda order; items
 * without one are skipped.  Stops at @func's FALSE. */
typedef gboolean (*FhJobResultFunc) (guint index, JsonObject *result, gpointer user_data);
gboolean fh_job_status_foreach_result (FhJobDir *dir, FhJobResultFunc func, gpointer user_data,
                                       GError **error);

/* Every worker's last heartbeat, with "age_s" and "alive".  (transfer full) */
GPtrArray *fh_job_status_workers (FhJobDir *dir);
/* The worker that made attempt @attempt at item @index (its claim's name).
 * (transfer full) (nullable) */
char *fh_job_status_attempt_worker (FhJobDir *dir, guint index, guint attempt);

/* An OpenJD job's steps as they stand: per step {"name", "depends_on",
 * "first", "tasks", "complete", "failed", "running", "pending", "state",
 * "why"?, "slurm_job"?}, "state" one of complete, running, ready (tasks
 * to take, no worker on them), waiting (for a dependency: "why"),
 * blocked (a dependency failed or was cancelled: "why"), failed,
 * cancelling, cancelled.  From @states (the caller's, refreshed) and
 * @workers (fh_job_status_workers(), nullable).  NULL for a job without
 * steps.  (transfer full) */
JsonArray *fh_job_status_steps (FhJobDir *dir, FhItemStates *states, GPtrArray *workers);

/* Whether no step of @steps (fh_job_status_steps()) will run another
 * task: each is complete, failed to the end, blocked or cancelled. */
gboolean fh_job_status_steps_over (JsonArray *steps);

/* Why no worker runs the job while @left items have no result — the
 * last workers' final words (failed after max_restarts, avoided their
 * host, cancelled, blocked, killed without a word) and what to do — or
 * NULL when a worker is alive or nothing is left.  @workers:
 * fh_job_status_workers().  (transfer full) (nullable) */
char *fh_job_status_idle_reason (FhJobDir *dir, GPtrArray *workers, guint left);

G_END_DECLS
