/* fh-step-picker.c — the step a worker takes its next task from (see the
 * header). */
#include "config.h"

#include "fh-step-picker.h"

typedef enum {
  STEP_READY,     /* its dependencies completed */
  STEP_WAITING,   /* a dependency is still running */
  STEP_BLOCKED,   /* it cannot run: a dependency failed or was cancelled */
} Readiness;

struct _FhStepPicker
{
  FhJobDir *dir;        /* borrowed */
  FhClaims *claims;     /* borrowed */
  char *worker;
  gint only;            /* the one step taken from, or -1 */
  guint n_steps;
  guint8 *complete;     /* per step: every task complete (it stays so) */
  guint8 *drained;      /* per step: every task has a result, here seen */
};

FhStepPicker *
fh_step_picker_new (FhJobDir *dir, FhClaims *claims, const char *worker, gint only_step)
{
  FhStepPicker *self = g_new0 (FhStepPicker, 1);
  JsonArray *steps = fh_job_dir_get_steps (dir);

  self->dir = dir;
  self->claims = claims;
  self->worker = g_strdup (worker);
  self->only = only_step;
  self->n_steps = steps ? json_array_get_length (steps) : 0;
  self->complete = g_new0 (guint8, MAX (self->n_steps, 1));
  self->drained = g_new0 (guint8, MAX (self->n_steps, 1));
  return self;
}

void
fh_step_picker_free (FhStepPicker *self)
{
  if (self == NULL)
    return;
  g_free (self->worker);
  g_free (self->complete);
  g_free (self->drained);
  g_free (self);
}

static Readiness readiness (FhStepPicker *self, guint step, char **why, GError **error);

/* Whether dependency @dep (a position) holds step @step up: not while it
 * is complete; for good when it failed, was cancelled or is blocked. */
static Readiness
dependency (FhStepPicker *self, guint dep, char **why, GError **error)
{
  const char *name = fh_job_dir_step_name (self->dir, dep);
  g_autofree char *inner = NULL;
  guint first, n, complete, failed;
  Readiness r;

  if (self->complete[dep])
    return STEP_READY;
  fh_job_dir_step_range (self->dir, dep, &first, &n);
  if (!fh_claims_count (self->claims, first, n, &complete, &failed, error))
    return STEP_BLOCKED;
  if (complete == n)
    return self->complete[dep] = TRUE, STEP_READY;
  if (failed > 0)
    return *why = g_strdup_printf ("step %s failed: %u of its %u task%s failed", name, failed, n,
                                   n == 1 ? "" : "s"), STEP_BLOCKED;
  if (fh_job_dir_is_step_cancelled (self->dir, dep))
    return *why = g_strdup_printf ("step %s was cancelled", name), STEP_BLOCKED;
  if ((r = readiness (self, dep, &inner, error)) == STEP_BLOCKED)
    *why = g_strdup_printf ("step %s cannot run: %s", name, inner ? inner : "?");
  return r == STEP_BLOCKED ? STEP_BLOCKED : STEP_WAITING;
}

/* Whether step @step's tasks may be taken now. */
static Readiness
readiness (FhStepPicker *self, guint step, char **why, GError **error)
{
  JsonObject *s = json_array_get_object_element (fh_job_dir_get_steps (self->dir), step);
  JsonArray *deps = json_object_get_array_member (s, "depends_on");
  Readiness worst = STEP_READY;

  if (fh_job_dir_is_step_cancelled (self->dir, step))
    return *why = g_strdup_printf ("step %s was cancelled", fh_job_dir_step_name (self->dir, step)), STEP_BLOCKED;
  for (guint i = 0; deps != NULL && i < json_array_get_length (deps); i++)
    {
      gint dep = fh_job_dir_find_step (self->dir, json_array_get_string_element (deps, i));
      Readiness r;
      if (dep < 0 || (guint) dep >= step)
        return *why = g_strdup_printf ("its dependency %s is not an earlier step of the job",
                                       json_array_get_string_element (deps, i)), STEP_BLOCKED;
      if ((r = dependency (self, (guint) dep, why, error)) == STEP_BLOCKED)
        return STEP_BLOCKED;
      worst = MAX (worst, r);
    }
  return worst;
}

char *
fh_step_picker_blocked (FhStepPicker *self, guint step, GError **error)
{
  char *why = NULL;

  if (readiness (self, step, &why, error) != STEP_BLOCKED || (error && *error))
    g_clear_pointer (&why, g_free);
  return why;
}

/* Step @step, ready: claim one of its tasks. */
static gboolean
take_from (FhStepPicker *self, guint step, guint *index, guint *attempt, gboolean *wait, GError **error)
{
  gboolean others_running = FALSE;
  guint first, n;

  fh_job_dir_step_range (self->dir, step, &first, &n);
  if (!fh_claims_set_range (self->claims, first, n, error))
    return FALSE;
  if (fh_claims_take (self->claims, index, attempt, &others_running, error))
    return TRUE;
  if (others_running)
    *wait = TRUE;
  else if (error == NULL || *error == NULL)
    self->drained[step] = TRUE;
  return FALSE;
}

/* A worker of one step waits for its dependencies only while some worker
 * may still complete them. */
static void
no_one_runs_them (FhStepPicker *self, gboolean *wait, char **blocked)
{
  if (self->only < 0 || !*wait || fh_job_dir_count_alive (self->dir, self->worker) > 0)
    return;
  *wait = FALSE;
  if (blocked != NULL && *blocked == NULL)
    *blocked = g_strdup_printf ("the steps step %s depends on have tasks not run, and no worker is alive to "
                                "run them ('farmhand status %s' says why the last ones stopped)",
                                fh_job_dir_step_name (self->dir, (guint) self->only),
                                fh_job_dir_get_path (self->dir));
}

gboolean
fh_step_picker_take (FhStepPicker *self, guint *index, guint *attempt, gboolean *wait, char **blocked,
                     GError **error)
{
  guint from = self->only >= 0 ? (guint) self->only : 0;
  guint to = self->only >= 0 ? from + 1 : self->n_steps;
  gboolean dependencies_running = FALSE;

  *wait = FALSE;
  for (guint step = from; step < to; step++)
    {
      g_autofree char *why = NULL;
      Readiness r;
      if (self->drained[step])
        continue;
      r = readiness (self, step, &why, error);
      if (error != NULL && *error != NULL)
        return FALSE;
      if (r == STEP_BLOCKED && blocked != NULL && *blocked == NULL)
        *blocked = g_strdup_printf ("step %s does not run: %s", fh_job_dir_step_name (self->dir, step), why);
      if (r == STEP_WAITING)
        dependencies_running = TRUE;
      if (r == STEP_READY && take_from (self, step, index, attempt, wait, error))
        return TRUE;
      if (error != NULL && *error != NULL)
        return FALSE;
    }
  if (dependencies_running)
    {
      *wait = TRUE;
      no_one_runs_them (self, wait, blocked);
    }
  return FALSE;
}
