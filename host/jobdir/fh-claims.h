/* fh-claims.h — one worker's claims in a job directory: what a process
 * that works on the job does there under its worker name — claim items
 * (a fresh one, else one whose worker is gone), write their results to
 * its ledger, beat (docs/jobdir.md has the rules and why they hold on
 * NFS).  Everything else — the layout, cancel, resume — is FhJobDir's;
 * where the job stands, fh-job-status.h. */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-job-dir.h"

G_BEGIN_DECLS

typedef struct _FhClaims FhClaims;

/* Works on @dir (borrowed: it outlives the claims) as @worker (a safe file
 * name), this process being @instance: opens the worker's ledger.
 * (transfer full) */
FhClaims *fh_claims_new (FhJobDir *dir, const char *worker, const char *instance, GError **error);
/* Syncs the ledger (silently) and closes it. */
void fh_claims_free (FhClaims *self);

/* Claims only items @first .. @first + @n - 1 from now on (an OpenJD
 * step's tasks); at first, every item.  Each range has its own hint. */
gboolean fh_claims_set_range (FhClaims *self, guint first, guint n, GError **error);

/* Items @first .. @first + @n - 1 with a result, complete and failed, as
 * the ledgers say now. */
gboolean fh_claims_count (FhClaims *self, guint first, guint n, guint *complete, guint *failed, GError **error);

/* Claims an item of the range: a fresh one, else one whose worker is gone.  TRUE with
 * @index and @attempt (1 for a fresh item); FALSE without @error when none
 * is free — then @others_running says whether items still run elsewhere
 * (worth waiting for: their workers may die). */
gboolean fh_claims_take (FhClaims *self, guint *index, guint *attempt, gboolean *others_running,
                         GError **error);

/* Whether attempt @attempt at item @index has been taken over by a newer
 * one.  Thread-safe. */
gboolean fh_claims_superseded (FhClaims *self, guint index, guint attempt);

/* Writes item @index's result of attempt @attempt, unless it was taken
 * over (FH_JOBDIR_ERROR_SUPERSEDED).  @result's "attempts" counts the runs
 * in this worker; claims before @attempt add theirs.  Sets "worker". */
gboolean fh_claims_write_result (FhClaims *self, guint index, guint attempt, JsonObject *result,
                                 GError **error);

/* Rewrites the worker's heartbeat with @state (its fields, plus "worker",
 * "instance", "updated"); a final state (done, failed, cancelled, fenced)
 * after flushing the ledger to disk.  Thread-safe against the calls
 * above. */
gboolean fh_claims_heartbeat (FhClaims *self, JsonObject *state, GError **error);
/* Flushes the ledger to disk.  Thread-safe. */
gboolean fh_claims_sync (FhClaims *self, GError **error);

G_END_DECLS
