/* fh-job-dir-private.h — what the job directory's pairs share inside
 * host/jobdir/: FhJobDir's fields and the helpers of its files, paths,
 * clock and heartbeats (fh-job-dir.c), for the one worker's claims
 * (fh-claims.c) and the job's status (fh-job-status.c).  Not for use
 * outside host/jobdir/. */
#pragma once

#include "fh-job-dir.h"

G_BEGIN_DECLS

#define FH_JOB_DIR_FORMAT_VERSION 2
#define FH_JOB_DIR_DEFAULT_LEASE_S 60.0
/* Items per claims/ shard: a thousand files a directory at most. */
#define FH_JOB_DIR_SHARD 1000
#define FH_JOB_DIR_NS_PER_S 1000000000.0

struct _FhJobDir
{
  char *path;
  char *name;
  char *source;        /* the job file as submitted */
  char *source_dir;    /* its directory */
  char *output_dir;
  char *slurm_job;     /* nullable */
  char *created;
  char *job_file;      /* nullable: the job is opened from it (job_open), not job.json */
  JsonObject *job_options;  /* nullable: job_open's options for it */
  JsonArray *steps;    /* nullable: {"name", "first", "tasks", "depends_on"} per step */
  JsonObject *slurm_steps;  /* nullable: step name → its Slurm array's id */
  guint slurm_workers;
  guint n_items;
  double lease_s;
  FhJobDirClockFunc clock;
  gpointer clock_data;
  GHashTable *owners;  /* item index + 1 → owner: the claims' names seen */
};

/* JOBDIR/@name.  (transfer full) */
char *fh_job_dir_child (FhJobDir *self, const char *name);
/* The file of attempt @attempt's claim at item @index.  (transfer full) */
char *fh_job_dir_claim_path (FhJobDir *self, guint index, guint attempt);
/* @worker's heartbeat file.  (transfer full) */
char *fh_job_dir_worker_path (FhJobDir *self, const char *worker);
gboolean fh_job_dir_make_dir (const char *dir, GError **error);
/* @o as one line of JSON, by rename: readers see all of it or none;
 * @durable: synced before the rename. */
gboolean fh_job_dir_write_json (const char *path, JsonObject *o, gboolean durable, GError **error);
/* (transfer full) (nullable) */
JsonObject *fh_job_dir_read_json (const char *path, GError **error);
/* Now, ISO 8601 UTC.  (transfer full) */
char *fh_job_dir_now_iso (void);
gboolean fh_job_dir_mtime_of (const char *path, gint64 *ns);
double fh_job_dir_age_s (gint64 mtime, gint64 now);
/* Now by the job directory's clock (fh_job_dir_set_clock), in ns. */
gint64 fh_job_dir_now_ns (FhJobDir *self);
/* The claims/next hint: @next, written at the start of @fd. */
gboolean fh_job_dir_write_hint (FhJobDir *self, int fd, guint next);

/* @worker's heartbeat and its @age at @now.  (transfer full) (nullable) */
JsonObject *fh_job_dir_read_heartbeat (FhJobDir *self, const char *worker, gint64 now, double *age);
gboolean fh_job_dir_heartbeat_alive (FhJobDir *self, JsonObject *beat, double age);
/* Whether @worker lives, judged once per look (@cache: name → alive). */
gboolean fh_job_dir_worker_alive (FhJobDir *self, const char *worker, gint64 now, GHashTable *cache);
/* Every worker's last heartbeat, with "age_s" and "alive".  (transfer full) */
GPtrArray *fh_job_dir_list_workers (FhJobDir *self, gint64 now);
/* Who holds attempt @attempt at item @index (cached).  (transfer none) (nullable) */
const char *fh_job_dir_owner_of (FhJobDir *self, guint index, guint attempt);
/* The ledgers folded, every result's place known.  (transfer full) */
FhItemStates *fh_job_dir_read_states (FhJobDir *self, GError **error);

G_END_DECLS
