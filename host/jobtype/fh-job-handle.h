/* fh-job-handle.h — one job inside the job-type plugin, as the host
 * sees it: the one place farmhand's host drives the ABI (abi/fh-plugin.h).
 * `farmhand run`, `farmhand worker` and every later host use it.
 *
 * A handle is made from a job's text (job_new).  It describes the job
 * and lists its agenda through the ABI (the host never parses a job
 * itself, so its item names are always the plugin's), and runs it with
 * the host's callbacks beside a monitor thread that ticks (progress
 * redraw, syncing, heartbeats) and turns SIGINT/SIGTERM into cancels:
 * the first graceful, the second now.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-plugin-module.h"
#include "fh-plugin.h"

G_BEGIN_DECLS

typedef struct
{
  const char *base_dir;    /* nullable: what relative paths in the job mean
                              (the job file's directory); default: cwd */
  const char *source;      /* nullable: the job's file, in messages */
  const char *output_dir;  /* nullable: FARMHAND_OUTPUT_DIR */
} FhJobHandleOptions;

/* The host's side of a run.  All but @tick and @cancelled are called on
 * the thread running fh_job_handle_run(); those two on the monitor
 * thread.  Any may be NULL. */
typedef struct
{
  /* The next work item: JSON naming an item by "name" or "index" (freed
   * with g_free); NULL when there is no more. */
  char *(*next_item) (gpointer user_data);
  /* Or first (ABI 1.4): the next item's index, FH_NEXT_ITEM_NONE, or
   * FH_NEXT_ITEM_JSON to be asked next_item for it; NULL: always JSON. */
  gint64 (*next_index) (gpointer user_data);
  void (*report_item) (gpointer user_data, JsonObject *result);
  void (*log_line) (gpointer user_data, const char *item, FhLogStream stream,
                    const char *line, gsize len);
  void (*progress) (gpointer user_data, const char *item, double fraction);
  void (*tick) (gpointer user_data);
  guint tick_ms;
  /* A signal cancelled the run (@now: the second one, skipping grace). */
  void (*cancelled) (gpointer user_data, int signum, gboolean now);
} FhJobHandleFuncs;

typedef struct _FhJobHandle FhJobHandle;

/* The job @job_json through @module (the handle holds a reference).
 * Unless @runnable, the handle can describe and list the job, not run
 * it.  An invalid job fails with FH_HOST_ERROR_INVALID_JOB: its problems a
 * line each, and the plugin's error object as the error's detail (a 1.1
 * plugin's text a problem a line).  (transfer full) */
FhJobHandle *fh_job_handle_new (FhPluginModule *module, const char *job_json,
                                const FhJobHandleOptions *options,
                                gboolean runnable, GError **error);
/* The job at @path — a farmhand job, an OpenJD job template or job
 * bundle — through job_open (ABI 1.3); @options_json (nullable) as
 * abi/fh-plugin.h says.  Errors as fh_job_handle_new()'s, and
 * FH_HOST_ERROR_PLUGIN from a plugin older than 1.3.  (transfer full) */
FhJobHandle *fh_job_handle_open (FhPluginModule *module, const char *path, const char *options_json,
                                 gboolean runnable, GError **error);
void fh_job_handle_free (FhJobHandle *self);

/* The problems of a refused job's error object (fh_host_error_get_detail),
 * a line each: "PATH: message", or "SOURCE:LINE:COLUMN: message" where the
 * source has a place.  (transfer full) */
char *fh_job_problems_to_text (JsonObject *detail);

/* The job file @path through the job-type plugin at @plugin (NULL: the
 * default one), runnable or only to describe and list; @output_dir
 * (nullable) is its FARMHAND_OUTPUT_DIR, and @text (nullable out) gets
 * the file's text.  Errors: G_FILE_ERROR reading, FH_LOADER_ERROR
 * loading, FH_HOST_ERROR_INVALID_JOB for a job the plugin refused.
 * (transfer full) */
FhJobHandle *fh_job_handle_new_from_file (const char *path, const char *plugin, const char *output_dir,
                                          gboolean runnable, char **text, GError **error);

/* job_describe: "name", "items", "executor", "cwd", "setup", "teardown",
 * "frames", "chunk".  (transfer none) */
JsonObject *fh_job_handle_describe (FhJobHandle *self);
const char *fh_job_handle_get_name (FhJobHandle *self);
guint fh_job_handle_get_n_items (FhJobHandle *self);

/* job_agenda: the items @items names (numbers from 1, "3-7,10"; NULL:
 * all), each {"number", "index", "name", "frames"} (and "command" with
 * @commands).  (transfer full) */
JsonArray *fh_job_handle_agenda (FhJobHandle *self, const char *items,
                                 gboolean commands, GError **error);
/* Calls @func on every agenda item in order (read in pages), as
 * fh_job_handle_agenda() gives them; stops at the first that fails. */
typedef gboolean (*FhJobHandleItemFunc) (JsonObject *item, gpointer user_data,
                                         GError **error);
gboolean fh_job_handle_foreach_item (FhJobHandle *self, gboolean commands,
                                     FhJobHandleItemFunc func, gpointer user_data,
                                     GError **error);
/* Every item's name, by index.  (transfer full) */
GPtrArray *fh_job_handle_item_names (FhJobHandle *self, GError **error);

/* What the job's log rules make of a log: fh_plugin_module_scan_log()
 * for this handle's job.  (transfer full) */
JsonObject *fh_job_handle_scan_log (FhJobHandle *self, const char *log, gsize len,
                                    const char *preset, gboolean per_line, GError **error);

/* Runs the job to the end (job_run) with @funcs and @user_data (borrowed
 * for the call); with @signals, SIGINT and SIGTERM cancel it meanwhile.
 * @summary (nullable out): the plugin's summary.  Returns an FhRunStatus. */
int fh_job_handle_run (FhJobHandle *self, const FhJobHandleFuncs *funcs,
                       gpointer user_data, gboolean signals, JsonObject **summary);
/* Asks the run to stop (graceful, or @now).  Thread-safe. */
void fh_job_handle_cancel (FhJobHandle *self, gboolean now);
/* Stops the running item alone; the run goes on (FH_CANCEL_ITEM).
 * Thread-safe. */
void fh_job_handle_cancel_item (FhJobHandle *self);
/* The signal that cancelled the run, or 0. */
int fh_job_handle_get_signal (FhJobHandle *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhJobHandle, fh_job_handle_free)

G_END_DECLS
