/* fh-results-file.h — the results file: JSON Lines, one object per agenda
 * item (schemas/result.schema.json).
 *
 * Crash safety: each line is written with one write(2) as its item ends,
 * before the next item starts, so a host crash loses nothing reported; the
 * file is synced to disk at least once a second while lines arrive
 * (fh_results_file_sync() from a timer) and on close.  A write or sync
 * that fails says so (fh-host-file.h): a line is in the file whole or not
 * at all, and a sync that failed is tried again by the next.
 *
 * Resume: opened with @resume, the existing lines are read first (the last
 * line for a name wins) so the host can skip complete items; new lines are
 * appended, and close rewrites the file (atomically) with exactly one line
 * per item, in agenda order.
 *
 * Thread-safe: written from the job thread, synced from a timer thread.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _FhResultsFile FhResultsFile;

/* (transfer full) */
FhResultsFile *fh_results_file_open (const char *path, gboolean resume,
                                     GError **error);
/* The last result recorded for @name, from the file or this run.
 * (transfer none) (nullable) */
JsonObject *fh_results_file_lookup (FhResultsFile *self, const char *name);
/* Appends @result as one line. */
gboolean fh_results_file_write (FhResultsFile *self, JsonObject *result,
                                GError **error);
/* fdatasync if anything was written since the last sync. */
gboolean fh_results_file_sync (FhResultsFile *self, GError **error);
/* Syncs, compacts in resume mode, closes.  Free does it too, silently. */
gboolean fh_results_file_close (FhResultsFile *self, GError **error);
void fh_results_file_free (FhResultsFile *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhResultsFile, fh_results_file_free)

G_END_DECLS
