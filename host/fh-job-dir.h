/* fh-job-dir.h — a job laid out on a shared filesystem for many workers
 * (`farmhand submit`, `farmhand worker`, `farmhand status`).
 *
 *   JOBDIR/job.json            the job file, as submitted
 *   JOBDIR/meta.json           how it was submitted: item count, the job's
 *                              own directory, the lease, the Slurm job id
 *   JOBDIR/agenda.jsonl        the expanded agenda, one item per line
 *   JOBDIR/claims/NNNNNN.A     attempt A at item NNNNNN (its index), made
 *                              with O_CREAT|O_EXCL: one worker wins each
 *   JOBDIR/results/NNNNNN.json the item's result, written by rename
 *   JOBDIR/workers/W.json      worker W's heartbeat: rewritten every third
 *                              of the lease; staler than the lease = gone
 *   JOBDIR/logs/W.log          worker W's job log
 *   JOBDIR/output/             FARMHAND_OUTPUT_DIR (default)
 *   JOBDIR/slurm/              the Slurm tasks' stdout/stderr
 *   JOBDIR/cancelled           present once the job is cancelled
 *   JOBDIR/history/NNNNNN.A.json  a failed result set aside by a resume
 *
 * Only operations that are atomic on NFS are used: exclusive create for a
 * claim, rename for everything rewritten.  A claim is live while its
 * worker's heartbeat is; a stale claim is taken over by the next attempt,
 * so an item runs twice only after its worker died.  Ages are measured
 * against the mtime of a file just created in the directory, so every
 * machine judges leases by the same (the file server's) clock.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-job.h"

G_BEGIN_DECLS

typedef struct _FhJobDir FhJobDir;

typedef struct
{
  double lease_s;          /* a worker silent this long is gone (default 60) */
  const char *output_dir;  /* nullable: JOBDIR/output */
} FhJobDirOptions;

/* Lays out a new job directory at @path (absent or empty) for @job, read
 * from @job_path with text @job_text.  (transfer full) */
FhJobDir *fh_job_dir_create (const char *path, FhJob *job, const char *job_path,
                             const char *job_text, const FhJobDirOptions *options,
                             GError **error);
/* (transfer full) */
FhJobDir *fh_job_dir_open (const char *path, GError **error);
void fh_job_dir_free (FhJobDir *self);

const char *fh_job_dir_get_path (FhJobDir *self);
const char *fh_job_dir_get_name (FhJobDir *self);
guint fh_job_dir_get_n_items (FhJobDir *self);
double fh_job_dir_get_lease (FhJobDir *self);
const char *fh_job_dir_get_output_dir (FhJobDir *self);
/* nullable */
const char *fh_job_dir_get_slurm_job (FhJobDir *self);
gboolean fh_job_dir_set_slurm_job (FhJobDir *self, const char *job_id, guint workers,
                                   GError **error);

/* The job, with its original directory as job_dir (relative paths and the
 * default cwd mean what they meant where it was submitted).  @text
 * (nullable) gets the job file's text.  (transfer full) */
FhJob *fh_job_dir_load_job (FhJobDir *self, char **text, GError **error);

/* Claims an item for @worker: a fresh one, else one whose worker is gone.
 * TRUE with @index and @attempt (1 for a fresh item) when it got one;
 * FALSE without @error when none is free — then @others_running says
 * whether items are still running elsewhere (worth waiting for: their
 * workers may die). */
gboolean fh_job_dir_claim (FhJobDir *self, const char *worker, guint *index, guint *attempt,
                           gboolean *others_running, GError **error);

/* Writes item @index's result (atomically).  @result's "attempts" counts
 * the runs in this worker; claims before @attempt add theirs. */
gboolean fh_job_dir_write_result (FhJobDir *self, guint index, guint attempt,
                                  const char *worker, JsonObject *result, GError **error);

/* Rewrites @worker's heartbeat with @state (its fields, plus "worker",
 * "updated").  */
gboolean fh_job_dir_heartbeat (FhJobDir *self, const char *worker, JsonObject *state,
                               GError **error);

gboolean fh_job_dir_is_cancelled (FhJobDir *self);
gboolean fh_job_dir_mark_cancelled (FhJobDir *self, GError **error);

/* Makes a job whose workers have all ended run again (`farmhand submit
 * --resume`): failed results move to history/ so their items are pending
 * (their next claim counts the attempts so far), and a cancel is lifted.
 * Complete items stay.  @remaining: the items not complete.  Fails with
 * FH_JOBDIR_ERROR_BUSY while a worker is alive. */
gboolean fh_job_dir_resume (FhJobDir *self, guint *remaining, GError **error);

/* The path of @worker's log.  (transfer full) */
char *fh_job_dir_log_path (FhJobDir *self, const char *worker);

typedef struct
{
  guint n_items;
  guint complete;
  guint failed;
  guint running;    /* claimed by a live worker, no result yet */
  guint pending;    /* neither */
} FhJobDirCounts;

/* Where the job stands.  @workers (nullable out): each worker's last
 * heartbeat, plus "age_s" and "alive"; @failures (nullable out): the
 * failed items' results.  (transfer full) */
gboolean fh_job_dir_status (FhJobDir *self, FhJobDirCounts *counts, GPtrArray **workers,
                            GPtrArray **failures, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhJobDir, fh_job_dir_free)

G_END_DECLS
