/* fh-results-writer.h — the results file: JSON Lines, one object per
 * agenda item, written with one write(2) per line as each item ends (a
 * host crash loses nothing already reported) and synced to disk at least
 * once a second while lines arrive, and on close.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhResultsWriter FhResultsWriter;

/* Creates or truncates @path; with @append, adds to it instead.
 * (transfer full) */
FhResultsWriter *fh_results_writer_open (const char *path, gboolean append,
                                         GError **error);
/* Writes @json and a newline. */
gboolean fh_results_writer_write (FhResultsWriter *self, const char *json,
                                  GError **error);
/* Syncs and closes; also done by free, without reporting errors. */
gboolean fh_results_writer_close (FhResultsWriter *self, GError **error);
void fh_results_writer_free (FhResultsWriter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhResultsWriter, fh_results_writer_free)

G_END_DECLS
