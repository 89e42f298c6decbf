/* fh-job.h — a parsed, validated job description.
 *
 * A job is parsed once, strictly, into this struct: every problem is
 * reported (not just the first), each as one line starting with the JSON
 * path of the field ("agenda.frames: ..."); an unknown field suggests the
 * closest known one.  Nothing runs from an invalid job.
 *
 * The struct owns everything in it.  Fields are read-only after parsing,
 * but for the log rules' per-block state (fh_log_rules_set_block()),
 * which the job runner updates as the log streams in.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "fh-agenda.h"
#include "fh-log-rules.h"
#include "fh-path-map.h"
#include "fh-problems.h"
#include "fh-failure.h"
#include "fh-job-error.h"
#include "fh-executor-presets.h"
#include "fh-template.h"

G_BEGIN_DECLS


typedef struct
{
  char *name;
  char *value;
  gboolean redact;  /* never shown in logs or results */
} FhEnvVar;

/* Seconds; 0 means no limit.  See schemas/job.schema.json "timeouts". */
typedef struct
{
  double hello_s;     /* executor start until its hello */
  double setup_s;     /* each setup command */
  double command_s;   /* each agenda command */
  double teardown_s;  /* each teardown command */
  double stall_s;     /* no output and no result for this long */
  double grace_s;     /* between SIGINT, SIGTERM and SIGKILL */
} FhTimeouts;

typedef struct
{
  char *name;            /* "name", or derived from the file name */
  char *base_dir;        /* absolute: what relative paths in the job
                            mean (the job file's directory) */
  char *source;          /* file path (or "<data>") for messages */
  char *executor;        /* the preset's name; NULL for an argv */
  char **executor_argv;  /* the command: the preset's, or the job's own */
  gboolean backchannel_socket;  /* fallback: a Unix socket + token instead
                                   of an inherited socketpair end */
  char **bootstrap_argv; /* nullable: the preset's argv through a transport
                            with nothing installed on the far side */
  char **via;            /* nullable: "via", the transport's argv prefix */
  gboolean stdio;        /* "channel": "stdio" (the default with "via") */
  char *remote_executor; /* nullable: farmhand's executor on the far side */
  char *cwd;             /* absolute; default: the job file's directory */
  GPtrArray *env;        /* FhEnvVar*, in file order */
  GPtrArray *setup;      /* FhTemplate* */
  GPtrArray *teardown;   /* FhTemplate* */
  FhAgenda *agenda;
  FhPathMap *path_map;   /* applied to commands, cwd and output paths */
  FhLogRules *log;       /* the "log" patterns and preset, compiled */
  gboolean fail_on_errors;   /* log.fail_on_errors (default TRUE) */
  guint log_max_lines;       /* log.max_lines: error/highlight lines kept */
  gboolean outputs_required; /* an item must report an output */
  gint64 min_output_bytes;   /* smallest acceptable output (default 1) */
  FhTimeouts timeouts;
  guint retries;             /* re-runs of a failed item ("retries", or its "default") */
  gint retries_by_class[FH_FAILURE_N_CLASSES];  /* "retries": {CLASS: N}; -1: the default */
  guint avoid_host_after;    /* a worker stops after this many failures in a row of one
                                machine-bound class (0: never) */
  guint max_restarts;        /* executor restarts after it died or hung */
} FhJob;

/* The job @data describes, or NULL with every problem in @problems
 * (fh-problems.h).  @source names the data in messages; @base_dir
 * (nullable: the current directory) anchors relative paths; @presets
 * (nullable: the default ones) are the executor presets a job may name.
 * (transfer full) */
FhJob *fh_job_check (const char *data, gssize len, const char *source, const char *base_dir,
                     FhExecutorPresets *presets, FhProblems *problems);
/* The same, the problems as FH_JOB_ERROR_SYNTAX or _INVALID with one per
 * line.  (transfer full) */
FhJob *fh_job_new_from_data (const char *data, gssize len, const char *source,
                             const char *base_dir, FhExecutorPresets *presets, GError **error);
/* The job file @path (relative paths from its directory).  (transfer full) */
FhJob *fh_job_new_from_file (const char *path, FhExecutorPresets *presets, GError **error);
void fh_job_free (FhJob *job);

guint fh_job_get_n_items (const FhJob *job);
/* The values of the env entries marked "redact", NULL-ended, for an
 * FhRedactor.  (transfer container) */
const char **fh_job_get_secrets (const FhJob *job);
/* How many times an item that failed with @failure is run again. */
guint fh_job_retries_for (const FhJob *job, FhFailureClass failure);

/* Setup/teardown command with job tokens expanded and paths mapped.
 * (transfer full) */
char *fh_job_expand_hook (const FhJob *job, const FhTemplate *tmpl);
/* Agenda item @index's command with all tokens expanded and paths mapped.
 * (transfer full) */
char *fh_job_expand_item (const FhJob *job, guint index);
/* @path through the job's path map.  (transfer full) */
char *fh_job_map_path (const FhJob *job, const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhJob, fh_job_free)

G_END_DECLS
