/* fh-job-index.h — the job directories under one root, followed (`farmhand
 * serve`): per job its item states, refreshed incrementally from the
 * ledgers and the workers' heartbeats, and the changes as they land.
 *
 * Memory is a few bytes per item (the folded ledgers with where each
 * result is, and the state last reported), so a root of a hundred jobs and
 * a million items stays small; names, frames, results and logs are read
 * from the job directory when asked.
 * Not thread-safe: one main loop drives it.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-job-dir.h"

G_BEGIN_DECLS

typedef struct _FhJobIndex FhJobIndex;

/* What the grid shows of an item. */
typedef enum {
  FH_GRID_PENDING,
  FH_GRID_RUNNING,
  FH_GRID_COMPLETE,
  FH_GRID_FAILED,
  FH_GRID_RETRIED,   /* pending again after an attempt (taken over, or set aside by a retry) */
  FH_GRID_N_STATES,
} FhGridState;

/* The state's name in the API ("pending", ...).  (transfer none) */
const char *fh_grid_state_name (FhGridState state);

/* A change: @event is "job" (@data: the job's summary) or "items" (@data:
 * {"job": ID, "items": [[index, state, progress, attempt], ...]}, progress
 * -1 when unknown).  Each has a "seq", one more than the last: a reader
 * that loaded a job at fh_job_index_get_seq() knows which events it has
 * seen.  @data is (transfer none). */
typedef void (*FhJobIndexFunc) (const char *event, JsonObject *data, gpointer user_data);

/* The jobs under @root (created when absent).  (transfer full) */
FhJobIndex *fh_job_index_new (const char *root, FhJobIndexFunc func, gpointer user_data,
                              GError **error);
void fh_job_index_free (FhJobIndex *self);

const char *fh_job_index_get_root (FhJobIndex *self);

/* Adopts new job directories and reads what every job's ledgers and
 * heartbeats gained, reporting the changes.  A job that has ended is
 * looked at less often. */
void fh_job_index_refresh (FhJobIndex *self);

/* The "seq" of the last change reported. */
gint64 fh_job_index_get_seq (FhJobIndex *self);

/* Whether @id may name a job: one path component of safe characters. */
gboolean fh_job_index_valid_id (const char *id);

/* The job @id (a directory directly under the root).  (transfer none)
 * (nullable) */
FhJobDir *fh_job_index_lookup (FhJobIndex *self, const char *id);

/* Every job's summary, newest first.  (transfer full) */
JsonArray *fh_job_index_list (FhJobIndex *self);
/* Job @id's summary.  (transfer full) (nullable) */
JsonObject *fh_job_index_summary (FhJobIndex *self, const char *id);
/* Job @id's item states as of the last look, each result located for
 * fh_item_states_read_result().  (transfer none) (nullable) */
FhItemStates *fh_job_index_get_states (FhJobIndex *self, const char *id);
/* The index where the item @name of job @id was found last (a hint:
 * check it), and remembering it. */
gboolean fh_job_index_recall_item (FhJobIndex *self, const char *id, const char *name, guint *index);
void fh_job_index_remember_item (FhJobIndex *self, const char *id, const char *name, guint index);

/* The grid state of item @index of job @id, its progress (-1: unknown) and
 * its attempt (0: never claimed). */
FhGridState fh_job_index_item_state (FhJobIndex *self, const char *id, guint index, double *progress,
                                     guint *attempt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhJobIndex, fh_job_index_free)

G_END_DECLS
