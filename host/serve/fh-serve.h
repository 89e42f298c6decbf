/* fh-serve.h — `farmhand serve`: the farm UI's HTTP server (libsoup-3.0).
 *
 * It follows the job directories under its jobs root (fh-job-index.h),
 * answers the JSON API of docs/serve.md, streams changes as Server-Sent
 * Events, serves the page (web/) and runs submitted jobs with local
 * workers, or as Slurm arrays.
 *
 * Every /api/ request needs "Authorization: Bearer TOKEN": a cookie is
 * never enough, so a page of another site cannot act.  The page itself
 * holds no data and is served without it.
 */
#pragma once

#include <glib.h>

#include "fh-connection-guard.h"

G_BEGIN_DECLS

typedef struct _FhServe FhServe;

typedef struct
{
  const char *listen;      /* "HOST:PORT" (default 127.0.0.1:8080; port 0: any free one) */
  const char *jobs_root;   /* default ./farmhand-jobs */
  const char *token;       /* nullable: a random one */
  gboolean slurm;          /* submit workers to Slurm instead of running them here */
  guint workers;           /* per job (default 2) */
  const char *partition;   /* nullable */
  guint refresh_ms;        /* how often the jobs are looked at (default 250) */
  const char *templates;   /* nullable: a folder of OpenJD job templates and
                              bundles offered on the submit page */
  FhConnectionLimits limits; /* zeros: the defaults (fh-connection-guard.h) */
} FhServeOptions;

/* Listens.  Errors: G_IO_ERROR (the address), FH_HOST_ERROR_IO (the
 * jobs root, the page's files).  (transfer full) */
FhServe *fh_serve_new (const FhServeOptions *options, GError **error);
/* Ends the workers it started (they run teardown) and frees. */
void fh_serve_free (FhServe *self);

/* The page's URL with its token: "http://127.0.0.1:8080/?token=...".
 * (transfer none) */
const char *fh_serve_get_url (FhServe *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhServe, fh_serve_free)

G_END_DECLS
