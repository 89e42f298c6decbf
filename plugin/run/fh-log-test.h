/* fh-log-test.h — what a job's log rules make of a whole log, without
 * running anything: `farmhand log test` (ABI job_scan_log).
 *
 * The log is split into lines and scanned as a running job's output is
 * (fh-executor-log.h's line cap, the job's secrets masked, the job's
 * patterns over its log preset, one item report), and judged as if its command had exited 0 — without
 * looking at the filesystem, so declared outputs count as present.  Every
 * progress line is reported (a run reports the latest of each read).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-job.h"

G_BEGIN_DECLS

/* Per list at most this many entries are kept; "counts" has the totals. */
#define FH_LOG_TEST_MAX_ENTRIES 10000

/* {"verdict": "complete"|"failed", "class"?, "reason"?, "lines": N,
 *  "errors": [{"line", "text", "class"?, "rule"?, "detail"?: [...]}],
 *  "warnings", "highlights", "ignored": [{"line", "text", "rule"?}],
 *  "progress": [{"line", "fraction"}], "outputs": [{"line", "path"}],
 *  "frames_done": [{"line", "frame"}], "counts": {LIST: N},
 *  "preset"?: {"name", "version", "source"}}
 * Line numbers count from 1.  With @per_line, also "per_line": one
 * {"line", "text", "yields": [...]} per line that yielded anything.
 * (transfer full) */
JsonObject *fh_log_test_scan (FhJob *job, const char *log, gsize len, gboolean per_line);

G_END_DECLS
