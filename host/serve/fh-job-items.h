/* fh-job-items.h — a followed job's items as the farm UI asks for them:
 * a page of the grid, one item with its result and attempts, and the log
 * of one attempt.  States and results are the index's, as of its last look
 * (fh-job-index.h); names, frames and logs are read from the job directory
 * per request (agenda.jsonl, the workers' logs), so that what the server
 * keeps per item stays a few bytes.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-job-index.h"

G_BEGIN_DECLS

#define FH_JOB_ITEMS_MAX_PAGE 50000

/* Items @offset..@offset+@limit of job @id: {"total", "offset", "items":
 * [{index, name, frames, status, progress, attempt, attempts, class,
 * reason, elapsed_s, n_outputs}]}.  (transfer full) */
JsonObject *fh_job_items_page (FhJobIndex *index, const char *id, guint offset, guint limit,
                               GError **error);

/* The item named @name: its agenda line, grid state, whole result (with
 * each output's size now) and attempts ({attempt, worker}).  NULL with
 * G_IO_ERROR_NOT_FOUND for no such item.  (transfer full) */
JsonObject *fh_job_items_detail (FhJobIndex *index, const char *id, const char *name,
                                 GError **error);

/* The log lines of attempt @attempt (0: the latest) at item @name, from
 * byte @offset of its worker's log: {"worker", "attempt", "lines":
 * [{time, stream, text}], "offset" (where to go on), "more" (a bigger log
 * than one answer), "running"}.  At most a few MB is read per call, so a
 * live tail is a loop over "offset".  (transfer full) */
JsonObject *fh_job_items_log (FhJobIndex *index, const char *id, const char *name, guint attempt,
                              gint64 offset, GError **error);

G_END_DECLS
