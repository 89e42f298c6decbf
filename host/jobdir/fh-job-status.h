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
} FhJobStatus;

/* Where @dir's job stands, without reading a file per item.  @workers
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

G_END_DECLS
