/* fh-host-run.h — the reference host's side of one job run: serves the
 * selected agenda items to the plugin, records each result, shows
 * progress, writes the log, and says what happened.
 *
 * It implements the host's callbacks (FhJobHandleFuncs) for farmhand's
 * own host; a farm's host would implement the same against its queue.
 */
#pragma once

#include <glib.h>

#include "fh-job-log.h"
#include "fh-job-handle.h"
#include "fh-progress.h"
#include "fh-results-file.h"

G_BEGIN_DECLS

typedef struct
{
  FhProgressLevel level;
  gboolean tty;             /* draw a live progress line */
  GArray *indices;          /* guint item indices to run, in order;
                               nullable: every item */
  FhResultsFile *results;   /* nullable */
  FhJobLog *log;            /* nullable */
} FhHostRunOptions;

typedef struct _FhHostRun FhHostRun;

/* Borrows @handle and what @options points to; they must outlive the
 * run.  (transfer full) */
FhHostRun *fh_host_run_new (FhJobHandle *handle, const FhHostRunOptions *options);
void fh_host_run_free (FhHostRun *self);

/* Runs the job.  SIGINT and SIGTERM cancel it (a second one: at once).
 * Returns the process exit code: 0 every item complete, 1 any failed,
 * 130/143 cancelled by SIGINT/SIGTERM; @error is set when the results
 * could not be written. */
int fh_host_run_execute (FhHostRun *self, GError **error);

/* How many items the plugin ran and reported (those it never started
 * not counted). */
guint fh_host_run_get_n_ran (FhHostRun *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhHostRun, fh_host_run_free)

G_END_DECLS
