/* fh-openjd-job.h — an OpenJD job: a job template (and the environment
 * templates applied to it) instantiated with parameter values
 * (How Jobs Are Constructed).
 *
 * Job creation merges the templates' parameter definitions (environment
 * templates in order, the job template last), gives every parameter its
 * value (submitted, else its default; PATH values made absolute), checks
 * each against the merged constraints, resolves the template-scope
 * format strings (the job's name, host requirements, task parameter
 * ranges, chunk counts, action timeouts) and checks them again once
 * resolved, and builds each step's parameter space.
 *
 * The job's tasks are numbered across its steps in the order they run
 * (dependencies first): task @i is in the step whose range of numbers
 * holds it.  Nothing per task is held: a task is computed when asked for.
 */
#pragma once

#include <glib.h>

#include "fh-openjd-path-mapping.h"
#include "fh-openjd-space.h"
#include "fh-openjd-template.h"
#include "fh-problems.h"

G_BEGIN_DECLS

/* A job parameter as the job has it. */
typedef struct
{
  char *name;
  FhOjType type;
  char *value;       /* as it renders; a PATH absolute, before mapping */
} FhOjJobParam;

typedef struct
{
  const FhOjStep *step;
  FhOjSpace *space;
  guint64 first;     /* the job-wide number of its first task */
  guint64 n_tasks;
} FhOjJobStep;

typedef struct
{
  char *name;
  FhOjTemplate *template;
  GPtrArray *env_templates;   /* FhOjTemplate*, in the order applied */
  GPtrArray *params;          /* FhOjJobParam*, in definition order */
  GHashTable *symbols;        /* Param.* (but PATH) and RawParam.*: their values */
  GPtrArray *steps;           /* FhOjJobStep*, in the order they run */
  guint64 n_tasks;
  FhOjPathMapping *path_mapping;
} FhOjJob;

/* What a submission gives besides the templates. */
typedef struct
{
  GHashTable *values;         /* parameter name -> value text (nullable) */
  GHashTable *value_sources;  /* name -> where it came from, for messages (nullable) */
  const char *cwd;            /* relative PATH values are joined to it (NULL: the process's) */
  const char *const *steps;   /* run these steps only (NULL: every step) */
  FhOjPathMapping *path_mapping;  /* nullable: no rules (the job takes it) */
} FhOjJobInput;

/* The job @template (a job template; taken) makes with @env_templates
 * (FhOjTemplate*, taken; nullable) and @input, or NULL with every
 * problem in @problems.  (transfer full) */
FhOjJob *fh_oj_job_new (FhOjTemplate *template, GPtrArray *env_templates, const FhOjJobInput *input,
                        FhProblems *problems);
void fh_oj_job_free (FhOjJob *self);

/* The step holding job-wide task @index, and the task's number in it. */
const FhOjJobStep *fh_oj_job_locate (const FhOjJob *self, guint64 index, guint64 *local);
/* Task @index's name: "Render" for a step without task parameters,
 * "Render[Frame=12,Camera=left]" otherwise.  (transfer full) */
char *fh_oj_job_task_name (const FhOjJob *self, guint64 index);

/* The value of a job-creation symbol (Param.X but for PATH, RawParam.X),
 * for fh_oj_format_resolve(). */
const char *fh_oj_job_lookup (const char *name, gpointer job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhOjJob, fh_oj_job_free)

G_END_DECLS
