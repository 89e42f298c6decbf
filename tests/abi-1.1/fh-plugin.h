/* fh-plugin.h — farmhand's job-type plugin ABI, version 1.1 (installed;
 * pkg-config "farmhand-plugin").  docs/abi.md has the rules in one place
 * and a minimal host to copy.
 *
 * A farm host loads a job-type plugin (a shared module) and drives jobs
 * through it the way a farm's job type works: the plugin asks the host
 * for work, executes it, and reports each item's result.
 *
 *   host                                  plugin
 *   ----                                  ------
 *   dlopen(), fh_plugin_get_desc()  -->   const FhPluginDesc *
 *   check abi_major/abi_minor/license
 *   desc->job_new(host_api, job_json)-->  FhPluginJob *  (job validated)
 *   desc->job_describe(job)         -->   name, item count, executor, ...
 *   desc->job_agenda(job, "1-10")   -->   items: names, frames, commands
 *   desc->job_run(job)  ------------->    start executor, setup
 *            <-- host->next_item()        (request work)
 *            <-- host->log_line() ...     (job log, as it streams)
 *            <-- host->progress()
 *            <-- host->report_item()      (report work)
 *            ... until next_item() returns NULL ...
 *                                         teardown, close executor
 *   <--------------------------------     FhRunStatus + summary JSON
 *   desc->job_free(job)
 *
 * Structs.  Every struct of this ABI starts with the ABI version it was
 * built for (abi_major, abi_minor), then its own size in bytes
 * (struct_size), then flags — the version first, as GStreamer's and
 * PipeWire SPA's descriptors put it.  Fields are only ever added at the
 * end, before the reserved slots, so either side reads a field only when
 * the other's struct_size covers it.  A host accepts a plugin whose
 * abi_major equals its own and whose abi_minor is not newer; a plugin
 * refuses a host of another major.
 *
 * Data.  Jobs, work items, results and summaries cross the ABI as UTF-8
 * JSON strings (schemas/), so adding a field never breaks the ABI.  No
 * GLib type appears here.  Strings the plugin returns are the caller's,
 * freed with desc->free_string(); strings passed in are borrowed for the
 * call.
 *
 * Threads and lifetime: see docs/abi.md.  In short: job_run() blocks and
 * every host callback is called on the thread that called it;
 * job_cancel() may be called from any thread (not a signal handler),
 * also from inside a host callback; job_free() of a running job cancels
 * it and frees it when job_run() has returned.
 *
 * Bad input.  No entry point crashes on what a host passes: NULL or empty
 * strings, invalid UTF-8 or JSON, a host struct that is too small or
 * lacks a callback, job_run() twice, job_free() of a running job,
 * job_cancel() before job_run() or after its end.  Each says what was
 * wrong (an error string, or a refused run with the reason in its
 * summary).
 *
 * Signals.  The plugin writes to pipes; if SIGPIPE is at its default
 * disposition when a job starts, the plugin sets it to SIG_IGN (write
 * errors are handled as errors), and restores it for the executor.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FH_PLUGIN_ABI_MAJOR 1
#define FH_PLUGIN_ABI_MINOR 1

/* The one symbol a plugin exports: const FhPluginDesc *fh_plugin_get_desc (void). */
#define FH_PLUGIN_SYMBOL "fh_plugin_get_desc"

#if defined(__GNUC__)
#define FH_PLUGIN_EXPORT __attribute__ ((visibility ("default")))
#else
#define FH_PLUGIN_EXPORT
#endif

/* Where a job log line came from. */
typedef enum {
  FH_LOG_STDOUT = 1,
  FH_LOG_STDERR = 2,
  FH_LOG_FARMHAND = 3,   /* farmhand's own notes: executor start/exit, ... */
} FhLogStream;

/* What job_run() returns. */
typedef enum {
  FH_RUN_OK = 0,            /* every item served completed; setup and
                               teardown succeeded */
  FH_RUN_ITEMS_FAILED = 1,  /* ran to the end; some item or teardown failed */
  FH_RUN_JOB_FAILED = 2,    /* stopped early: the executor did not start or
                               died, or setup failed; items not yet served
                               were not run (the summary says why) */
  FH_RUN_CANCELLED = 3,     /* job_cancel() was called */
  FH_RUN_REFUSED = 4,       /* nothing ran: no job, a job made without a
                               host (for job_describe/job_agenda only), or
                               job_run() called again (the summary says
                               which) */
} FhRunStatus;

/* Flags for job_cancel(). */
typedef enum {
  FH_CANCEL_GRACEFUL = 0,   /* interrupt the running command (SIGURG and
                               SIGINT), grace, SIGTERM, grace, SIGKILL;
                               then teardown */
  FH_CANCEL_NOW = 1 << 0,   /* skip the grace periods and teardown */
  FH_CANCEL_ITEM = 1 << 1,  /* stop the running item alone (graceful
                               ladder; it is reported failed, "stopped by
                               the host") and go on with the next; nothing
                               when no item runs.  (A host whose client for
                               the item went away.) */
} FhCancelFlags;

/* Flags for job_agenda(). */
typedef enum {
  FH_AGENDA_COMMANDS = 1 << 0,   /* each item's expanded command too */
} FhAgendaFlags;

/**
 * FhHostApi:
 * What the host offers the plugin.  Allocated and owned by the host; must
 * stay valid until job_free() returns.
 *
 * @next_item: the next work item as a JSON object naming an item of the
 *   job's agenda, by "name" (as job_agenda() gives it, e.g. "1-4") or by
 *   "index" (its position from 0) — or a command of the host's own,
 *   {"command", "name"?, "frames"?}, run as it is — or NULL when there
 *   is no more work.  The plugin releases it with @free_item.
 * @report_item: the result of one item, a JSON object (see
 *   schemas/result.schema.json).  Borrowed for the call.
 * @log_line: one line of the job log (no line terminator, valid UTF-8,
 *   @len bytes, not NUL-terminated).  @item_name is NULL outside agenda
 *   items (setup, teardown, executor start).
 * @progress: progress of the running item, 0.0 to 1.0.
 */
typedef struct FhHostApi
{
  uint32_t abi_major;       /* FH_PLUGIN_ABI_MAJOR the host was built with */
  uint32_t abi_minor;       /* FH_PLUGIN_ABI_MINOR the host was built with */
  uint32_t struct_size;     /* sizeof (FhHostApi) as the host was built */
  uint32_t reserved_flags;
  void *host_data;          /* passed back to every callback */
  char *(*next_item) (void *host_data);
  void (*free_item) (void *host_data, char *item_json);
  void (*report_item) (void *host_data, const char *result_json);
  void (*log_line) (void *host_data, const char *item_name, FhLogStream stream,
                    const char *line, size_t len);
  void (*progress) (void *host_data, const char *item_name, double fraction);
  void *reserved[8];
} FhHostApi;

/* A job inside the plugin; opaque to the host. */
typedef struct FhPluginJob FhPluginJob;

/**
 * FhPluginDesc:
 * A plugin's constant descriptor.
 *
 * @job_new: validates @job_json and prepares a job.  @host (nullable):
 *   without one the job can be described and listed, not run.
 *   @options_json is a JSON object or NULL: "base_dir" anchors relative
 *   paths (default: the current directory), "source" names the job in
 *   messages, "output_dir" becomes FARMHAND_OUTPUT_DIR (default:
 *   ./farmhand-out/<job name>).  On failure returns NULL and sets
 *   *@error (nullable) to a message (free with @free_string) listing
 *   every problem, one per line, each starting with its JSON path.
 * @job_run: runs the job to the end (blocking).  Sets *@summary_json
 *   (nullable; free with @free_string) to {"status", "items_complete",
 *   "items_failed", "error"?, "executor": {...}}.
 * @job_cancel: asks a job to stop (FhCancelFlags): a running one stops,
 *   one not yet run will run nothing; thread-safe.
 * @job_free: releases a job; a running one is cancelled (now) and freed
 *   once its job_run() has returned.
 * @free_string: frees a string the plugin returned.
 * @job_describe: the job as a JSON object: "name", "items" (how many),
 *   "executor", "cwd", "setup" and "teardown" (expanded commands),
 *   "frames" and "chunk" (frame agendas).  NULL only for a NULL job.
 * @job_agenda: the agenda items @items names — a list of item numbers
 *   from 1 in frame-list syntax ("3-7,10"), or NULL for all — as a JSON
 *   array of {"number", "index", "name", "frames"} (and "command" with
 *   FH_AGENDA_COMMANDS), in the order given.  On a bad list returns NULL
 *   and sets *@error (nullable).
 * @job_scan_log: (ABI 1.1; NULL in a 1.0 plugin) what the job's log rules
 *   make of a whole log (@len bytes of @log; need not be UTF-8 or end in
 *   a newline), scanned as a running job's output is and judged as if
 *   its command had exited 0, without looking at the filesystem — what
 *   `farmhand log test` prints.  @job may be NULL: the log preset alone.
 *   @options_json is a JSON object or NULL: "preset" (a log preset name,
 *   used instead of the job's; "none" for no preset), "per_line" (TRUE:
 *   add one entry per line that yields anything).  Returns a JSON object
 *   {"verdict": "complete"|"failed", "class"?, "reason"?, "errors",
 *   "warnings", "highlights", "progress", "outputs", ...} with 1-based
 *   line numbers (docs/log-presets.md); on bad options or a bad preset
 *   returns NULL and sets *@error (nullable).
 */
typedef struct FhPluginDesc
{
  uint32_t abi_major;       /* FH_PLUGIN_ABI_MAJOR the plugin was built with */
  uint32_t abi_minor;       /* FH_PLUGIN_ABI_MINOR the plugin was built with */
  uint32_t struct_size;     /* sizeof (FhPluginDesc) at build time */
  uint32_t reserved_flags;
  const char *name;         /* must match the module's file name, minus "lib"
                               and the suffix */
  const char *version;
  const char *license;      /* SPDX identifier, e.g. "MIT" */
  const char *description;
  FhPluginJob *(*job_new) (const FhHostApi *host, const char *job_json,
                           const char *options_json, char **error);
  int (*job_run) (FhPluginJob *job, char **summary_json);
  void (*job_cancel) (FhPluginJob *job, int flags);
  void (*job_free) (FhPluginJob *job);
  void (*free_string) (char *str);
  char *(*job_describe) (FhPluginJob *job);
  char *(*job_agenda) (FhPluginJob *job, const char *items, uint32_t flags, char **error);
  /* ABI 1.1 */
  char *(*job_scan_log) (FhPluginJob *job, const char *log, size_t len,
                         const char *options_json, char **error);
  void *reserved[7];
} FhPluginDesc;

typedef const FhPluginDesc *(*FhPluginGetDescFunc) (void);

/* Defines the descriptor and the exported entry point, e.g.
 *   FH_PLUGIN_DEFINE_1_1 ("farmhand-jobtype", "0.1.0", "MIT", "Persistent executor",
 *                         my_job_new, my_job_run, my_job_cancel, my_job_free, free,
 *                         my_job_describe, my_job_agenda, my_job_scan_log);
 * FH_PLUGIN_DEFINE is the same without the 1.1 entry points (they are NULL).
 */
#define FH_PLUGIN_DEFINE_1_1(name_, version_, license_, description_, job_new_, \
                             job_run_, job_cancel_, job_free_, free_string_,  \
                             job_describe_, job_agenda_, job_scan_log_)       \
  static const FhPluginDesc fh_plugin_desc_ = {                               \
    FH_PLUGIN_ABI_MAJOR, FH_PLUGIN_ABI_MINOR, sizeof (FhPluginDesc), 0,       \
    name_, version_, license_, description_,                                  \
    job_new_, job_run_, job_cancel_, job_free_, free_string_,                 \
    job_describe_, job_agenda_, job_scan_log_, { 0 }                          \
  };                                                                          \
  FH_PLUGIN_EXPORT const FhPluginDesc *fh_plugin_get_desc (void);             \
  const FhPluginDesc *fh_plugin_get_desc (void) { return &fh_plugin_desc_; }

#define FH_PLUGIN_DEFINE(name_, version_, license_, description_, job_new_,   \
                         job_run_, job_cancel_, job_free_, free_string_,      \
                         job_describe_, job_agenda_)                          \
  FH_PLUGIN_DEFINE_1_1 (name_, version_, license_, description_, job_new_,    \
                        job_run_, job_cancel_, job_free_, free_string_,       \
                        job_describe_, job_agenda_, NULL)

#ifdef __cplusplus
}
#endif
