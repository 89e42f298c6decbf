/* fh-ledger.h — one worker's ledger in a job directory: its result
 * objects (W.results, JSON lines) and the ledger lines that point at them
 * (W.ledger), appended by this worker only (docs/jobdir.md).
 *
 * A result's object is written before its ledger line, so a line always
 * points at a whole object.  Appends are flushed to disk by
 * fh_ledger_sync() (a timer, at least once a second) and by
 * fh_ledger_free().  Appending is for the worker's thread; syncing may run
 * on another.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _FhLedger FhLedger;

/* Opens (creating) the ledger of @writer in @ledgers_dir.  (transfer full) */
FhLedger *fh_ledger_open (const char *ledgers_dir, const char *writer, GError **error);
void fh_ledger_free (FhLedger *self);

/* "claim I A": a take-over. */
gboolean fh_ledger_add_claim (FhLedger *self, guint index, guint attempt, GError **error);
/* @result as one line of W.results, then "result I A STATUS OFFSET". */
gboolean fh_ledger_add_result (FhLedger *self, guint index, guint attempt, JsonObject *result,
                               GError **error);
/* fdatasync what was appended since the last sync.  Thread-safe. */
gboolean fh_ledger_sync (FhLedger *self, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhLedger, fh_ledger_free)

G_END_DECLS
