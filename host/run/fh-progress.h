/* fh-progress.h — what `farmhand run` shows while a job runs.
 *
 * On a terminal: one live status line redrawn in place —
 *   [=========>           ] 12/40  1 failed  0:42 elapsed  ETA 1:18  13-16 (50%)
 * with failures (and, verbose, the job log) printed above it.  Not on a
 * terminal: plain lines, one per item, for logs and CI.
 *
 * Thread-safe: fed by the job thread, ticked by a timer thread so elapsed
 * time and ETA move while a long item runs.
 */
#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FH_PROGRESS_NORMAL,
  FH_PROGRESS_QUIET,    /* failures and the summary only */
  FH_PROGRESS_VERBOSE,  /* also the job log */
} FhProgressLevel;

typedef struct _FhProgress FhProgress;

/* @total items to run.  @tty: draw the live line (else plain lines).
 * (transfer full) */
FhProgress *fh_progress_new (FILE *out, gboolean tty, FhProgressLevel level,
                             guint total);
void fh_progress_free (FhProgress *self);

void fh_progress_item_started (FhProgress *self, const char *name);
void fh_progress_item_fraction (FhProgress *self, const char *name, double fraction);
/* @failure (nullable: "class: reason") follows a failed item's line,
 * @traceback (nullable) is printed under it. */
void fh_progress_item_done (FhProgress *self, const char *name, gboolean ok,
                            double elapsed_s, const char *failure, const char *traceback);
/* A line of the job log (verbose only). */
void fh_progress_log_line (FhProgress *self, const char *item, const char *line,
                           gsize len);
/* Any other message, on its own line. */
void fh_progress_note (FhProgress *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Redraw the live line (timer). */
void fh_progress_tick (FhProgress *self);
/* Erase the live line for good. */
void fh_progress_finish (FhProgress *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhProgress, fh_progress_free)

G_END_DECLS
