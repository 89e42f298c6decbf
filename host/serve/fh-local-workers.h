/* fh-local-workers.h — `farmhand worker JOBDIR` processes that `farmhand
 * serve` starts on its own machine, per job.
 *
 * They never outlive the server: each gets SIGTERM if the server dies
 * (PR_SET_PDEATHSIG), and fh_local_workers_stop_all() ends them — SIGTERM,
 * which makes a worker interrupt its command and run teardown, then
 * SIGKILL after the grace period.  Their stdout and stderr go to
 * JOBDIR/serve/worker-N.out.
 */
#pragma once

#include <gio/gio.h>

#include "fh-job-dir.h"

G_BEGIN_DECLS

typedef struct _FhLocalWorkers FhLocalWorkers;

/* (transfer full) */
FhLocalWorkers *fh_local_workers_new (void);
/* Ends every worker (SIGTERM, then SIGKILL after @grace_s), iterating
 * the default main context until all have gone. */
void fh_local_workers_stop_all (FhLocalWorkers *self, double grace_s);
void fh_local_workers_free (FhLocalWorkers *self);

/* Starts @n workers of @dir, known as job @id. */
gboolean fh_local_workers_start (FhLocalWorkers *self, const char *id, FhJobDir *dir, guint n,
                                 GError **error);
/* SIGTERM to job @id's live workers: they stop taking items, interrupt
 * their commands and run teardown.  How many were signalled. */
guint fh_local_workers_terminate (FhLocalWorkers *self, const char *id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhLocalWorkers, fh_local_workers_free)

G_END_DECLS
