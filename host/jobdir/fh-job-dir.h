/* fh-job-dir.h — a job laid out on a shared filesystem for many workers
 * (`farmhand submit`, `farmhand worker`, `farmhand status`).  The layout,
 * the claiming and fencing rules and why they hold on NFS are in
 * docs/jobdir.md; this is the code of that protocol.
 *
 * This is the directory and the job as a whole: its layout and files,
 * the clock leases are judged by, cancel and resume.  A process that works
 * on the job does so through its claims (fh-claims.h); where the job
 * stands is fh-job-status.h.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-item-states.h"

G_BEGIN_DECLS

/**
 * FhJobDirError: errors of a shared job directory.
 * @FH_JOBDIR_ERROR_IO: a file in it could not be read or written.
 * @FH_JOBDIR_ERROR_EXISTS: a new job directory's path is already in use.
 * @FH_JOBDIR_ERROR_INVALID: it is not a farmhand job directory, or one of
 *   its files is malformed.
 * @FH_JOBDIR_ERROR_BUSY: workers still run the job (it cannot be resumed).
 * @FH_JOBDIR_ERROR_SUPERSEDED: the item's claim was taken over by a newer
 *   attempt (this worker was taken for dead): its result is refused.
 */
typedef enum {
  FH_JOBDIR_ERROR_IO,
  FH_JOBDIR_ERROR_EXISTS,
  FH_JOBDIR_ERROR_INVALID,
  FH_JOBDIR_ERROR_BUSY,
  FH_JOBDIR_ERROR_SUPERSEDED,
} FhJobDirError;

#define FH_JOBDIR_ERROR (fh_jobdir_error_quark ())
GQuark fh_jobdir_error_quark (void);

typedef struct _FhJobDir FhJobDir;

typedef struct _FhJobDirOptions
{
  double lease_s;          /* a worker silent this long is gone (default 60) */
  const char *output_dir;  /* nullable: JOBDIR/output */
} FhJobDirOptions;

/* Appends item @index's line of agenda.jsonl (a JSON object, no newline)
 * to @line. */
typedef gboolean (*FhJobDirAgendaFunc) (guint index, GString *line, gpointer user_data,
                                        GError **error);

/* A file a job directory keeps for its job (an OpenJD template). */
typedef struct
{
  const char *name;             /* relative to the job directory */
  GBytes *contents;
} FhJobDirFile;

/* What a new job directory is made from. */
typedef struct
{
  const char *name;             /* the job's name */
  const char *source;           /* the job file's path */
  const char *text;             /* its contents, kept as job.json; NULL for
                                   a job opened from job_file */
  guint n_items;
  FhJobDirAgendaFunc agenda;    /* the expanded agenda, for agenda.jsonl */
  gpointer agenda_data;
  /* A job opened by its path (job_open, ABI 1.3): the file, relative to the
   * job directory, and the options (paths in them absolute). */
  const char *job_file;
  JsonObject *job_options;
  JsonArray *steps;             /* nullable: the job's steps, in agenda order:
                                   {"name", "first", "tasks", "depends_on"} */
  GPtrArray *files;             /* nullable: FhJobDirFile*, written first */
} FhJobDirJob;

/* Lays out a new job directory at @path (absent or empty).  (transfer full) */
FhJobDir *fh_job_dir_create (const char *path, const FhJobDirJob *job,
                             const FhJobDirOptions *options, GError **error);
/* (transfer full) */
FhJobDir *fh_job_dir_open (const char *path, GError **error);
void fh_job_dir_free (FhJobDir *self);

const char *fh_job_dir_get_path (FhJobDir *self);
const char *fh_job_dir_get_name (FhJobDir *self);
guint fh_job_dir_get_n_items (FhJobDir *self);
double fh_job_dir_get_lease (FhJobDir *self);
const char *fh_job_dir_get_output_dir (FhJobDir *self);
/* The job file as submitted, and its directory (relative paths in the job
 * mean what they meant there). */
const char *fh_job_dir_get_source (FhJobDir *self);
const char *fh_job_dir_get_source_dir (FhJobDir *self);
/* When it was laid out (ISO 8601, UTC; "" for a directory that does not
 * say). */
const char *fh_job_dir_get_created (FhJobDir *self);
/* nullable */
const char *fh_job_dir_get_slurm_job (FhJobDir *self);
gboolean fh_job_dir_set_slurm_job (FhJobDir *self, const char *job_id, guint workers,
                                   GError **error);
/* The job file's text.  (transfer full) */
char *fh_job_dir_read_job (FhJobDir *self, GError **error);
/* For a job opened by its path: the file (absolute) and job_open's
 * options; NULL for a job kept as job.json.  (transfer none) */
const char *fh_job_dir_get_job_file (FhJobDir *self);
JsonObject *fh_job_dir_get_job_options (FhJobDir *self);

/* ---- steps (an OpenJD job's) ------------------------------------------------- */

/* The job's steps, in agenda order, each {"name", "first" (its first item's
 * index), "tasks", "depends_on": [names]}; NULL for a job of one agenda.
 * (transfer none) */
JsonArray *fh_job_dir_get_steps (FhJobDir *self);
/* Step @name's position in fh_job_dir_get_steps(), or -1. */
gint fh_job_dir_find_step (FhJobDir *self, const char *name);
/* The step item @index belongs to (its position), or -1. */
gint fh_job_dir_step_of (FhJobDir *self, guint index);
/* (transfer none) */
const char *fh_job_dir_step_name (FhJobDir *self, guint step);
/* Step @step's items: [*first, *first + *n). */
void fh_job_dir_step_range (FhJobDir *self, guint step, guint *first, guint *n);
/* The Slurm array running step @name, or NULL.  (transfer none) */
const char *fh_job_dir_get_slurm_step (FhJobDir *self, const char *name);
gboolean fh_job_dir_set_slurm_step (FhJobDir *self, const char *name, const char *job_id, GError **error);
/* Whether step @step (its position) was cancelled alone. */
gboolean fh_job_dir_is_step_cancelled (FhJobDir *self, guint step);
gboolean fh_job_dir_mark_step_cancelled (FhJobDir *self, guint step, GError **error);

/* The clock leases are judged by: nanoseconds, by default the modification
 * time of a file just written in the job directory (the file server's
 * clock).  Tests set their own.  Not thread-safe: before anything else. */
typedef gint64 (*FhJobDirClockFunc) (gpointer user_data);
void fh_job_dir_set_clock (FhJobDir *self, FhJobDirClockFunc func, gpointer user_data);

/* Whether a live instance other than @instance works under @worker: its
 * heartbeat is fresh, not final and names another instance.  @holder
 * (nullable out) describes it.  A holder that is a dead process on this
 * host does not count. */
gboolean fh_job_dir_name_in_use (FhJobDir *self, const char *worker, const char *instance,
                                 char **holder, GError **error);

/* Whether a heartbeat's state says its worker ended (done, failed,
 * cancelled, fenced, avoided, blocked). */
gboolean fh_job_dir_final_state (const char *state);

/* How many workers are alive (a fresh heartbeat, not a final state), but
 * @except (nullable). */
guint fh_job_dir_count_alive (FhJobDir *self, const char *except);

/* ---- the job as a whole ---------------------------------------------------- */

gboolean fh_job_dir_is_cancelled (FhJobDir *self);
gboolean fh_job_dir_mark_cancelled (FhJobDir *self, GError **error);

/* Makes a job whose workers have all ended run again (`farmhand submit
 * --resume`): failed results are set aside so their items are pending
 * (their next claim counts the attempts so far), and a cancel is lifted.
 * Complete items stay.  @remaining: the items not complete.  Fails with
 * FH_JOBDIR_ERROR_BUSY while a worker is alive. */
gboolean fh_job_dir_resume (FhJobDir *self, guint *remaining, GError **error);

/* The path of @worker's log.  (transfer full) */
char *fh_job_dir_log_path (FhJobDir *self, const char *worker);

/* ---- following a job (the farm UI) ------------------------------------------ */

/* The job's item states, for the caller to refresh as it follows the job
 * (fh_item_states_refresh reads only what was appended).  (transfer full) */
FhItemStates *fh_job_dir_item_states (FhJobDir *self, gboolean locations);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhJobDir, fh_job_dir_free)

G_END_DECLS
