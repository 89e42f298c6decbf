/* fh-plugin.h — farmhand's job-type plugin ABI, version 1.5 (installed;
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
 *   desc->job_create(host, job_json) -->  FhPluginJob *  (job validated;
 *                                         its problems as data if not)
 *   desc->job_describe(job)         -->   name, item count, executor, ...
 *   desc->job_agenda(job, "1-10")   -->   items: names, frames, commands
 *   desc->job_run(job)  ------------->    start executor, setup
 *            <-- host->next_index() or next_item()   (request work)
 *            <-- host->log_line() ...     (job log, as it streams)
 *            <-- host->progress()
 *            <-- host->report_item()      (report work)
 *            ... until next_item() returns NULL ...
 *                                         teardown, close executor
 *   <--------------------------------     FhRunStatus + summary JSON
 *   desc->job_free(job)
 *
 * Structs and versions.  Every struct of this ABI starts with the ABI
 * version it was built for (abi_major, abi_minor), then its own size in
 * bytes (struct_size), then flags — the version first, as GStreamer's and
 * PipeWire SPA's descriptors put it.  Each side accepts the other of its
 * own abi_major, whatever its minor: a minor only adds members, and each
 * side reads only those it knows.  (Hosts of ABI 1.0 and 1.1 refused a
 * plugin of a newer minor.)
 *
 * One rule says which members a side may read of the other's struct:
 * a member added in minor N is there when the other side's abi_minor is
 * N or more (FH_PLUGIN_SINCE_member says N), and an entry point or
 * callback may still be NULL.  FH_PLUGIN_HAS (desc, member) and
 * FH_HOST_HAS (host, member) check both.  Members are added in the
 * reserved slots, so struct_size does not grow with a minor; it guards
 * against a struct smaller than ABI 1.0's (refused).
 *
 * Data.  Jobs, work items, results, descriptions and errors cross the ABI
 * as UTF-8 JSON strings (schemas/), so adding a field never breaks the
 * ABI.  No GLib type appears here.  Strings the plugin returns are the
 * caller's, freed with desc->free_string(); strings passed in are
 * borrowed for the call.
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
 * wrong (an error, or a refused run with the reason in its summary).
 *
 * Signals.  The plugin changes no process-wide state: it writes to a
 * local executor's stdin socket with MSG_NOSIGNAL, and to a transport's
 * pipe with SIGPIPE blocked in the writing thread for the write, taking
 * back the SIGPIPE a write to a dead executor raised, so that is an error
 * of the run, never a signal to the host (ABI 1.0 and 1.1 set SIGPIPE to
 * SIG_IGN for the whole process instead).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FH_PLUGIN_ABI_MAJOR 1
#define FH_PLUGIN_ABI_MINOR 5

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

/* Flags for job_cancel() (an int before ABI 1.2: the same size and
 * passing on every platform farmhand builds for). */
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
 * stay valid until job_free() returns.  (ABI 1.5:) a plugin of minor 5
 * reads @log_line and @progress of a host of minor 5 again when job_run()
 * starts, so a host may set or clear them until then (one job made to be
 * described, then run with or without following its log).
 *
 * @next_item: the next work item as a JSON object naming an item of the
 *   job's agenda, by "name" (as job_agenda() gives it, e.g. "1-4") or by
 *   "index" (its position from 0) — or a command of the host's own,
 *   {"command", "name"?, "frames"?}, run as it is — or NULL when there
 *   is no more work.  (ABI 1.2, for a plugin of minor 2 or more:)
 *   {"end": true, "exit_code": N} is no more work, and asks the executor
 *   to exit with N (0 to 255) once teardown has run, as Qube's
 *   close(exitcode) does.  The plugin releases it with @free_item.
 * @report_item: the result of one item, a JSON object (see
 *   schemas/result.schema.json); a failed one says "class", "reason" and
 *   (ABI 1.2) "machine_bound": whether its class says more about the
 *   machine than the item (gpu, out_of_memory, license, crash), so a host
 *   can act without knowing the classes.  Borrowed for the call.
 * @log_line: one line of the job log (no line terminator, valid UTF-8,
 *   @len bytes, not NUL-terminated).  @item_name is NULL outside agenda
 *   items (setup, teardown, executor start).  (ABI 1.5, a host and a
 *   plugin of minor 5 or more:) may be NULL: the host does not follow the
 *   log (the plugin still scans it for the job's log rules).
 * @progress: progress of the running item, 0.0 to 1.0.  (ABI 1.5:) may be
 *   NULL, as @log_line (each result still says the item's last progress).
 * @next_index: (ABI 1.4; may be NULL) the next work item as the index of
 *   an agenda item (from 0), without the JSON round trip @next_item costs
 *   both sides — or FH_NEXT_ITEM_JSON: this one is not an index (a name, a
 *   command of the host's own, an end): the plugin calls @next_item for
 *   it at once — or FH_NEXT_ITEM_NONE: no more work.  A plugin of minor 4
 *   or more asks it first when it is set.
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
  int64_t (*next_index) (void *host_data);
  void *reserved[7];
} FhHostApi;

/* What next_index() returns when it has no index to give. */
#define FH_NEXT_ITEM_NONE ((int64_t) -1)   /* no more work */
#define FH_NEXT_ITEM_JSON ((int64_t) -2)   /* ask next_item() for this one */

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
 *   every problem, one per line, each starting with its JSON path (or
 *   "SOURCE:LINE:COLUMN:").  A host of ABI 1.2 calls @job_create instead.
 * @job_run: runs the job to the end (blocking).  Sets *@summary_json
 *   (nullable; free with @free_string) to {"status", "items_complete",
 *   "items_failed", "error"?, "executor": {...}}.
 * @job_cancel: asks a job to stop (FhCancelFlags): a running one stops,
 *   one not yet run will run nothing; thread-safe.
 * @job_free: releases a job; a running one is cancelled (now) and freed
 *   once its job_run() has returned.
 * @free_string: frees a string the plugin returned.
 * @job_describe: the job as a JSON object (schemas/describe.schema.json):
 *   "name", "items" (how many), "executor", "cwd", "setup" and "teardown"
 *   (expanded commands), "avoid_host_after" (a worker takes no more items
 *   after this many machine-bound failures in a row; 0: never),
 *   "log_preset"?, "frames" and "chunk" (frame agendas).  NULL only for
 *   a NULL job.
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
 * @job_create: (ABI 1.2) @job_new, with the error as data: on failure
 *   *@error_json (nullable) is a JSON object (schemas/error.schema.json):
 *   {"code": "invalid_job"|"syntax"|"invalid_input"|"bad_host",
 *   "message": one line, "source"?, "problems": [{"path", "message",
 *   "line"?, "column"?}]} — every problem with the path of its field ("" for
 *   the whole job) and where the source has them, its line and column.
 * @job_open: (ABI 1.3) the job at @path, a file or a directory, in any
 *   format the plugin reads — farmhand's JSON job; an Open Job Description
 *   job template (YAML or JSON) or job bundle directory — told apart by
 *   what it holds, or by @options_json's "format" ("farmhand",
 *   "openjd").  @options_json as @job_create's ("base_dir" and "source"
 *   default to the file's), and for OpenJD (docs/openjd.md):
 *   "parameters" (job parameter values as openjd-cli's -p takes them:
 *   NAME=VALUE, file://FILE, inline JSON), "environments" (environment
 *   template files), "path_mapping_rules" (JSON or file://FILE), "steps"
 *   (run only these), "cwd" (what relative PATH values mean), "preserve"
 *   (keep the session's working directory), "retries" (farmhand's
 *   retries: "N" or "CLASS=N" strings), "log_preset".  Errors as
 *   @job_create's; a problem in another file than @path names it
 *   ("source").
 * @check_file: (ABI 1.3) checks the document at @path without making a
 *   job (an OpenJD environment template is not one): returns a JSON
 *   object {"format", "kind" ("job", or for OpenJD "jobtemplate-2023-09"
 *   or "environment-2023-09"), "name"?, "extensions"?, ...}, or NULL with
 *   *@error_json as @job_create's.  @options_json: {"format"?}.
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
  void (*job_cancel) (FhPluginJob *job, uint32_t flags);
  void (*job_free) (FhPluginJob *job);
  void (*free_string) (char *str);
  char *(*job_describe) (FhPluginJob *job);
  char *(*job_agenda) (FhPluginJob *job, const char *items, uint32_t flags, char **error);
  /* ABI 1.1 */
  char *(*job_scan_log) (FhPluginJob *job, const char *log, size_t len,
                         const char *options_json, char **error);
  /* ABI 1.2 */
  FhPluginJob *(*job_create) (const FhHostApi *host, const char *job_json,
                              const char *options_json, char **error_json);
  /* ABI 1.3 */
  FhPluginJob *(*job_open) (const FhHostApi *host, const char *path, const char *options_json,
                            char **error_json);
  char *(*check_file) (const char *path, const char *options_json, char **error_json);
  void *reserved[4];
} FhPluginDesc;

/* The minor version that added each member of FhPluginDesc and
 * FhHostApi: the rule above, for FH_PLUGIN_HAS and FH_HOST_HAS. */
#define FH_PLUGIN_SINCE_job_new 0
#define FH_PLUGIN_SINCE_job_run 0
#define FH_PLUGIN_SINCE_job_cancel 0
#define FH_PLUGIN_SINCE_job_free 0
#define FH_PLUGIN_SINCE_free_string 0
#define FH_PLUGIN_SINCE_job_describe 0
#define FH_PLUGIN_SINCE_job_agenda 0
#define FH_PLUGIN_SINCE_job_scan_log 1
#define FH_PLUGIN_SINCE_job_create 2
#define FH_PLUGIN_SINCE_job_open 3
#define FH_PLUGIN_SINCE_check_file 3
#define FH_HOST_SINCE_next_item 0
#define FH_HOST_SINCE_free_item 0
#define FH_HOST_SINCE_report_item 0
#define FH_HOST_SINCE_log_line 0
#define FH_HOST_SINCE_progress 0
#define FH_HOST_SINCE_next_index 4
/* A plugin that takes a host's NULL log_line and progress (ABI 1.5):
 * desc->abi_minor >= FH_PLUGIN_SINCE_optional_log. */
#define FH_PLUGIN_SINCE_optional_log 5

/* Whether the plugin descriptor @desc has the entry point @member: its
 * minor is new enough and the pointer is set. */
#define FH_PLUGIN_HAS(desc, member) \
  ((int64_t) (desc)->abi_minor >= FH_PLUGIN_SINCE_##member && (desc)->member != NULL)
/* The same for a host's callbacks. */
#define FH_HOST_HAS(host, member) \
  ((int64_t) (host)->abi_minor >= FH_HOST_SINCE_##member && (host)->member != NULL)

typedef const FhPluginDesc *(*FhPluginGetDescFunc) (void);

/* Defines the descriptor and the exported entry point of a plugin of the
 * minor the macro names — its abi_minor stamped to that, the later entry
 * points NULL — e.g.
 *   FH_PLUGIN_DEFINE_1_5 ("farmhand-jobtype", "0.1.0", "MIT", "Persistent executor",
 *                         my_job_new, my_job_run, my_job_cancel, my_job_free, free,
 *                         my_job_describe, my_job_agenda, my_job_scan_log, my_job_create,
 *                         my_job_open, my_check_file);
 * FH_PLUGIN_DEFINE is FH_PLUGIN_DEFINE_1_0.
 */
#define FH_PLUGIN_DEFINE_WITH_MINOR_(minor_, name_, version_, license_, description_, job_new_, \
                                     job_run_, job_cancel_, job_free_, free_string_,            \
                                     job_describe_, job_agenda_, job_scan_log_, job_create_,    \
                                     job_open_, check_file_)                                    \
  static const FhPluginDesc fh_plugin_desc_ = {                                                 \
    FH_PLUGIN_ABI_MAJOR, minor_, sizeof (FhPluginDesc), 0,                                      \
    name_, version_, license_, description_,                                                    \
    job_new_, job_run_, job_cancel_, job_free_, free_string_,                                   \
    job_describe_, job_agenda_, job_scan_log_, job_create_, job_open_, check_file_, { 0 }       \
  };                                                                                            \
  FH_PLUGIN_EXPORT const FhPluginDesc *fh_plugin_get_desc (void);                               \
  const FhPluginDesc *fh_plugin_get_desc (void) { return &fh_plugin_desc_; }

/* 1.3, 1.4 and 1.5 take the same entry points (name_ … check_file_, as in
 * the example above); each stamps its minor.  1.4 added a host callback
 * (next_index), no entry point: a plugin of 1.4 is one that asks it.  1.5
 * added no member: a plugin of 1.5 is one that takes a NULL log_line and
 * progress from a host of 1.5, and reads them again at job_run(). */
#define FH_PLUGIN_DEFINE_1_5(...) FH_PLUGIN_DEFINE_WITH_MINOR_ (5, __VA_ARGS__)
#define FH_PLUGIN_DEFINE_1_4(...) FH_PLUGIN_DEFINE_WITH_MINOR_ (4, __VA_ARGS__)
#define FH_PLUGIN_DEFINE_1_3(...) FH_PLUGIN_DEFINE_WITH_MINOR_ (3, __VA_ARGS__)

#define FH_PLUGIN_DEFINE_1_2(name_, version_, license_, description_, job_new_, job_run_,       \
                             job_cancel_, job_free_, free_string_, job_describe_, job_agenda_,  \
                             job_scan_log_, job_create_)                                        \
  FH_PLUGIN_DEFINE_WITH_MINOR_ (2, name_, version_, license_, description_, job_new_, job_run_, \
                                job_cancel_, job_free_, free_string_, job_describe_,            \
                                job_agenda_, job_scan_log_, job_create_, NULL, NULL)

#define FH_PLUGIN_DEFINE_1_1(name_, version_, license_, description_, job_new_, job_run_,       \
                             job_cancel_, job_free_, free_string_, job_describe_, job_agenda_,  \
                             job_scan_log_)                                                     \
  FH_PLUGIN_DEFINE_WITH_MINOR_ (1, name_, version_, license_, description_, job_new_, job_run_, \
                                job_cancel_, job_free_, free_string_, job_describe_,            \
                                job_agenda_, job_scan_log_, NULL, NULL, NULL)

#define FH_PLUGIN_DEFINE_1_0(name_, version_, license_, description_, job_new_, job_run_,       \
                             job_cancel_, job_free_, free_string_, job_describe_, job_agenda_)  \
  FH_PLUGIN_DEFINE_WITH_MINOR_ (0, name_, version_, license_, description_, job_new_, job_run_, \
                                job_cancel_, job_free_, free_string_, job_describe_,            \
                                job_agenda_, NULL, NULL, NULL, NULL)

#define FH_PLUGIN_DEFINE FH_PLUGIN_DEFINE_1_0

#ifdef __cplusplus
}
#endif
