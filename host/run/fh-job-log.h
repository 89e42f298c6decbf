/* fh-job-log.h — `farmhand run --log FILE`: the job log with a timestamp
 * on every line and a marker at every item boundary.
 *
 *   2026-11-23 15:48:07.204 1-4      | Saved: '/out/frame.0001.exr'
 *   2026-11-23 15:48:07.206 1-4      ! warning: low memory           (stderr)
 *   2026-11-23 15:48:07.210 1-4      * farmhand: ...                 (farmhand)
 *   2026-11-23 15:48:07.211 ==== item 1-4 complete in 0.011 s
 *
 * Buffered, flushed at item boundaries and by fh_job_log_flush() (a timer),
 * so a huge log costs little and memory stays bounded.  Thread-safe.
 */
#pragma once

#include <glib.h>

#include "fh-plugin.h"

G_BEGIN_DECLS

typedef struct _FhJobLog FhJobLog;

/* Appends to @path.  (transfer full) */
FhJobLog *fh_job_log_open (const char *path, GError **error);
void fh_job_log_free (FhJobLog *self);

void fh_job_log_line (FhJobLog *self, const char *item, FhLogStream stream,
                      const char *line, gsize len);
/* "==== <text>" on its own line. */
void fh_job_log_marker (FhJobLog *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
gboolean fh_job_log_flush (FhJobLog *self, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhJobLog, fh_job_log_free)

G_END_DECLS
