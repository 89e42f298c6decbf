/* fh-item-report.h — what the log and the executor said about one item
 * (or setup command) while it ran, and the verdict on it.
 *
 * Fed line by line (after FhLogScanner) and by executor messages; bounded:
 * it keeps the first log.max_lines error and highlight lines and at most
 * FH_ITEM_REPORT_MAX_OUTPUTS outputs, and counts the rest.
 *
 * The verdict: a command that exited 0 still fails when the log matched an
 * error pattern (log.fail_on_errors) or a bad_result pattern, when an
 * `openjd_fail:` directive appeared, or when its outputs are wrong: none
 * with outputs_required, a missing one, one smaller than min_output_bytes.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-failure.h"
#include "fh-job.h"

G_BEGIN_DECLS

#define FH_ITEM_REPORT_MAX_OUTPUTS 1000

typedef struct _FhItemReport FhItemReport;

/* @job is borrowed.  Relative output paths resolve against @cwd.
 * (transfer full) */
FhItemReport *fh_item_report_new (const FhJob *job, const char *cwd);
void fh_item_report_free (FhItemReport *self);

/* Starts a new item; @frames (nullable) lets "frame" progress groups work. */
void fh_item_report_reset (FhItemReport *self, const gint64 *frames, guint n_frames);

/* A log line and what the scanner found in it.  Returns the item's new
 * progress fraction when the line moved it, else -1. */
double fh_item_report_line (FhItemReport *self, const char *line, gsize len,
                            const FhLogHit *hit);
/* An output path (from the log or farmhand.output()).  Path-mapped. */
void fh_item_report_output (FhItemReport *self, const char *path);
void fh_item_report_progress (FhItemReport *self, double fraction);

/* Why an item whose command succeeded failed after all, one reason per
 * line, or NULL.  @check_outputs: FALSE for setup/teardown; with
 * @stat_outputs FALSE outputs are not looked for on disk (`farmhand log
 * test`).  (transfer full) */
char *fh_item_report_verdict (FhItemReport *self, gboolean check_outputs);
char *fh_item_report_verdict_full (FhItemReport *self, gboolean check_outputs,
                                   gboolean stat_outputs);

/* What the log and the verdict say the failure is: the class of the first
 * error line a rule classifies (a specific class — license, gpu, ... —
 * before a plain "error"), else what failed the verdict (openjd_fail, an
 * error line, a bad_result line, the outputs).  FH_FAILURE_NONE when
 * neither says anything.  @reason (out): one line.  (transfer full) */
FhFailureClass fh_item_report_failure (FhItemReport *self, char **reason);

/* "errors", "warnings", "highlights", "progress", "outputs",
 * "status_message", "frames_done" of a result (only what is not empty), or
 * NULL when all are.  (transfer full) */
JsonObject *fh_item_report_to_json (FhItemReport *self);
/* The same members added to @result. */
void fh_item_report_add_to_json (FhItemReport *self, JsonObject *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhItemReport, fh_item_report_free)

G_END_DECLS
