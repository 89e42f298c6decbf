/* fh-step-picker.h — which of an OpenJD job's steps a worker takes its
 * next task from.
 *
 * Steps are in the agenda in dependency order.  A step's tasks may be
 * taken once every step it depends on completed (every task complete);
 * a step whose dependency failed, was cancelled or cannot run itself is
 * blocked, with the reason.  A worker given one step (`farmhand worker
 * --step`, a Slurm array per step) takes only its tasks; otherwise it
 * takes the first step that is ready — so a worker runs a job's steps in
 * turn, in one OpenJD Session, and moves to an independent step rather
 * than idle while the last tasks of another run elsewhere.
 *
 * What is complete stays complete (only `submit --resume`, with no worker
 * alive, undoes a result), so a dependency is read from the ledgers until
 * it completes and then never again.
 */
#pragma once

#include "fh-claims.h"
#include "fh-job-dir.h"

G_BEGIN_DECLS

typedef struct _FhStepPicker FhStepPicker;

/* For @worker's @claims in @dir (both borrowed); @only_step: the one step
 * it takes from (a position in fh_job_dir_get_steps()), or -1.
 * (transfer full) */
FhStepPicker *fh_step_picker_new (FhJobDir *dir, FhClaims *claims, const char *worker, gint only_step);
void fh_step_picker_free (FhStepPicker *self);

/* Claims the next task.  FALSE without @error when there is none now:
 * @wait then says whether one may come (a dependency is still running,
 * or tasks run elsewhere whose workers may die); @blocked (nullable out)
 * why a step this worker may take from cannot run, when one cannot. */
gboolean fh_step_picker_take (FhStepPicker *self, guint *index, guint *attempt, gboolean *wait, char **blocked,
                              GError **error);

/* Why step @step cannot run (a dependency failed, was cancelled or cannot
 * run), or NULL when it can or may.  (transfer full) */
char *fh_step_picker_blocked (FhStepPicker *self, guint step, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhStepPicker, fh_step_picker_free)

G_END_DECLS
