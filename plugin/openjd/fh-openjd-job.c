/* fh-openjd-job.c — job creation: parameters merged and given values,
 * template-scope format strings resolved and checked, parameter spaces
 * built. */
#include "config.h"

#include "fh-openjd-job.h"

#include <math.h>
#include <string.h>

#include "fh-openjd-check.h"
#include "fh-openjd-params.h"
#include "fh-openjd-range.h"

/* Where job creation reports: the template a problem is in. */
typedef struct
{
  FhOjJob *job;
  FhProblems *problems;
  GStringChunk *paths;
} Creation;

/* "steps[0].parameterSpace.taskParameterDefinitions[1]" + ".range" */
static const char *
path_of (Creation *c, const char *base, const char *field)
{
  g_autofree char *p = g_strconcat (base, ".", field, NULL);

  return g_string_chunk_insert (c->paths, p);
}

static void
bad (Creation *c, const char *source, const char *path, const FhDocNode *node, const char *fmt, ...)
  G_GNUC_PRINTF (5, 6);

static void
bad (Creation *c, const char *source, const char *path, const FhDocNode *node, const char *fmt, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  fh_problems_add_in (c->problems, source, path, node ? node->line : 0, node ? node->column : 0, msg);
}

static void
job_param_free (FhOjJobParam *p)
{
  g_free (p->name);
  g_free (p->value);
  g_free (p);
}

static void
job_step_free (FhOjJobStep *s)
{
  fh_oj_space_free (s->space);
  g_free (s);
}

void
fh_oj_job_free (FhOjJob *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  fh_oj_template_free (self->template);
  g_ptr_array_unref (self->env_templates);
  g_ptr_array_unref (self->params);
  g_hash_table_unref (self->symbols);
  g_ptr_array_unref (self->steps);
  fh_oj_path_mapping_free (self->path_mapping);
  g_free (self);
}

const char *
fh_oj_job_lookup (const char *name, gpointer job)
{
  return g_hash_table_lookup (((FhOjJob *) job)->symbols, name);
}

/* ---- merging definitions (Template Schemas §1.2.1) ------------------------ */

static FhOjParamDef *
find_def (GPtrArray *defs, const char *name)
{
  for (guint i = 0; i < defs->len; i++)
    if (g_str_equal (((FhOjParamDef *) g_ptr_array_index (defs, i))->name, name))
      return g_ptr_array_index (defs, i);
  return NULL;
}

/* The job template, merged last, may only narrow what the environment
 * templates allow: an allowed value or a bound of its own that they
 * forbid is a widening, and refused. */
static void
check_narrows (Creation *c, const FhOjParamDef *env, const FhOjParamDef *d, const char *path)
{
  g_autofree char *why = NULL;

  if (d->allowed != NULL)
    {
      for (guint i = 0; i < d->allowed->len && why == NULL; i++)
        why = fh_oj_param_check_value (env, &g_array_index (d->allowed, FhOjValue, i));
      if (why != NULL)
        bad (c, d->source, path, d->node, "'%s' widens what the environment templates allow: %s (the job "
             "template, merged last, may only narrow them)", d->name, why);
      return;
    }
  if (env->min_length >= 0 && d->min_length >= 0 && d->min_length < env->min_length)
    why = g_strdup_printf ("minLength %" G_GINT64_FORMAT " is below theirs, %" G_GINT64_FORMAT, d->min_length,
                           env->min_length);
  else if (env->max_length >= 0 && d->max_length >= 0 && d->max_length > env->max_length)
    why = g_strdup_printf ("maxLength %" G_GINT64_FORMAT " is above theirs, %" G_GINT64_FORMAT, d->max_length,
                           env->max_length);
  else if (env->has_min && d->has_min && !fh_oj_values_equal (d->type, &d->min, &env->min) &&
           (d->type == FH_OJ_INT ? d->min.i < env->min.i : d->min.d < env->min.d))
    why = g_strdup_printf ("minValue %s is below theirs, %s", d->min.text, env->min.text);
  else if (env->has_max && d->has_max && !fh_oj_values_equal (d->type, &d->max, &env->max) &&
           (d->type == FH_OJ_INT ? d->max.i > env->max.i : d->max.d > env->max.d))
    why = g_strdup_printf ("maxValue %s is above theirs, %s", d->max.text, env->max.text);
  if (why != NULL)
    bad (c, d->source, path, d->node, "'%s' widens a constraint of the environment templates: %s (the job "
         "template, merged last, may only narrow them)", d->name, why);
}

static gboolean
more (FhOjType type, const FhOjValue *a, const FhOjValue *b)
{
  return type == FH_OJ_INT ? a->i > b->i : a->d > b->d;
}

/* @into (the merge so far) narrowed by @d. */
static void
intersect (FhOjParamDef *into, const FhOjParamDef *d)
{
  if (d->min_length >= 0 && d->min_length > into->min_length)
    into->min_length = d->min_length;
  if (d->max_length >= 0 && (into->max_length < 0 || d->max_length < into->max_length))
    into->max_length = d->max_length;
  if (d->has_min && (!into->has_min || more (d->type, &d->min, &into->min)))
    fh_oj_value_clear (&into->min), fh_oj_value_copy (&into->min, &d->min), into->has_min = TRUE;
  if (d->has_max && (!into->has_max || more (d->type, &into->max, &d->max)))
    fh_oj_value_clear (&into->max), fh_oj_value_copy (&into->max, &d->max), into->has_max = TRUE;
  if (d->allowed != NULL && into->allowed == NULL)
    into->allowed = fh_oj_values_copy (d->allowed);
  else if (d->allowed != NULL)
    for (guint i = into->allowed->len; i-- > 0;)
      {
        gboolean kept = FALSE;
        for (guint j = 0; j < d->allowed->len && !kept; j++)
          kept = fh_oj_values_equal (d->type, &g_array_index (into->allowed, FhOjValue, i),
                                     &g_array_index (d->allowed, FhOjValue, j));
        if (!kept)
          g_array_remove_index (into->allowed, i);
      }
  if (d->has_default)
    {
      fh_oj_value_clear (&into->def);
      fh_oj_value_copy (&into->def, &d->def);
      into->has_default = TRUE;
      into->source = d->source;
      into->node = d->node;
    }
  if (d->object_type && !into->object_type)
    into->object_type = g_strdup (d->object_type);
  if (d->data_flow && !into->data_flow)
    into->data_flow = g_strdup (d->data_flow);
}

static void
merge_one (Creation *c, GPtrArray *merged, const FhOjParamDef *d, gboolean from_job, const char *path)
{
  FhOjParamDef *m = find_def (merged, d->name);

  if (m == NULL)
    {
      g_ptr_array_add (merged, fh_oj_param_def_copy (d));
      return;
    }
  if (m->type != d->type)
    bad (c, d->source, path, d->node, "the parameter '%s' is %s here but %s in %s: definitions of one "
         "parameter must agree on its type", d->name, fh_oj_type_name (d->type), fh_oj_type_name (m->type),
         m->source);
  else if ((m->object_type && d->object_type && g_strcmp0 (m->object_type, d->object_type)) ||
           (m->data_flow && d->data_flow && g_strcmp0 (m->data_flow, d->data_flow)))
    bad (c, d->source, path, d->node, "the PATH parameter '%s' has objectType %s and dataFlow %s here but "
         "%s and %s in %s: they must agree", d->name, d->object_type ? d->object_type : "-",
         d->data_flow ? d->data_flow : "-", m->object_type ? m->object_type : "-",
         m->data_flow ? m->data_flow : "-", m->source);
  else
    {
      if (from_job)
        check_narrows (c, m, d, path);
      intersect (m, d);
    }
}

/* The merged definitions must hold together: allowed values left, the
 * bounds in order, the default within them. */
static void
check_merged (Creation *c, const FhOjParamDef *m)
{
  g_autofree char *why = NULL;

  if (m->allowed != NULL && m->allowed->len == 0)
    bad (c, m->source, "parameterDefinitions", m->node, "the templates' allowedValues for '%s' have no value in "
         "common", m->name);
  else if (m->min_length >= 0 && m->max_length >= 0 && m->min_length > m->max_length)
    bad (c, m->source, "parameterDefinitions", m->node, "the templates' merged lengths for '%s' exclude "
         "every value (minLength %" G_GINT64_FORMAT " > maxLength %" G_GINT64_FORMAT ")", m->name,
         m->min_length, m->max_length);
  else if (m->has_min && m->has_max && more (m->type, &m->min, &m->max))
    bad (c, m->source, "parameterDefinitions", m->node, "the templates' merged bounds for '%s' exclude every "
         "value (minValue %s > maxValue %s)", m->name, m->min.text, m->max.text);
  else if (m->has_default && (why = fh_oj_param_check_value (m, &m->def)) != NULL)
    bad (c, m->source, "parameterDefinitions", m->node, "the default of '%s' breaks the merged constraints of "
         "the templates: %s", m->name, why);
}

static GPtrArray *
merge_definitions (Creation *c)
{
  GPtrArray *merged = g_ptr_array_new_with_free_func ((GDestroyNotify) fh_oj_param_def_free);
  FhOjJob *job = c->job;

  for (guint t = 0; t <= job->env_templates->len; t++)
    {
      FhOjTemplate *tmpl = t < job->env_templates->len ? g_ptr_array_index (job->env_templates, t) : job->template;
      for (guint i = 0; i < tmpl->params->len; i++)
        {
          g_autofree char *path = g_strdup_printf ("parameterDefinitions[%u]", i);
          merge_one (c, merged, g_ptr_array_index (tmpl->params, i), tmpl == job->template, path);
        }
    }
  for (guint i = 0; i < merged->len; i++)
    check_merged (c, g_ptr_array_index (merged, i));
  return merged;
}

/* ---- values ------------------------------------------------------------- */

/* Whether @path (normalised) is @dir or below it, component by component. */
static gboolean
inside (const char *dir, const char *path)
{
  gsize n = strlen (dir);

  return strncmp (path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || g_str_equal (dir, "/"));
}

/* A PATH value made absolute: a submitted one from @cwd; a default from
 * its template's directory, and it must stay there. */
static char *
absolute_path (Creation *c, const FhOjParamDef *m, const char *value, gboolean is_default, const char *cwd)
{
  const FhOjTemplate *owner = NULL;
  g_autofree char *joined = NULL;

  if (!is_default)
    return fh_oj_path_is_absolute (value) ? g_strdup (value) : g_canonicalize_filename (value, cwd);
  if (fh_oj_path_is_absolute (value))
    {
      bad (c, m->source, "parameterDefinitions", m->node, "the default of the PATH parameter '%s' is absolute "
           "('%s'): a default is relative to the job template's directory", m->name, value);
      return NULL;
    }
  for (guint i = 0; owner == NULL && i < c->job->env_templates->len; i++)
    if (((FhOjTemplate *) g_ptr_array_index (c->job->env_templates, i))->source == m->source)
      owner = g_ptr_array_index (c->job->env_templates, i);
  if (owner == NULL)
    owner = c->job->template;
  joined = g_canonicalize_filename (value, owner->dir);
  if (!inside (owner->dir, joined))
    {
      bad (c, m->source, "parameterDefinitions", m->node, "the default of the PATH parameter '%s' ('%s') leads "
           "out of the template's directory (%s)", m->name, value, owner->dir);
      return NULL;
    }
  return g_steal_pointer (&joined);
}

static void
give_value (Creation *c, const FhOjParamDef *m, const FhOjJobInput *input)
{
  const char *given = input->values ? g_hash_table_lookup (input->values, m->name) : NULL;
  const char *from = input->value_sources ? g_hash_table_lookup (input->value_sources, m->name) : NULL;
  const char *text = given ? given : m->has_default ? m->def.text : NULL;
  g_autofree char *path_value = NULL, *why = NULL;
  /* A value's problems are the parameter's, wherever they were found: a
   * form puts them at its field. */
  g_autofree char *field = g_strconcat ("parameterValues.", m->name, NULL);
  FhOjValue v = { 0 };
  FhOjJobParam *p;

  if (text == NULL)
    {
      bad (c, m->source, field, m->node, "the parameter '%s' has no value: it has no default, "
           "so the submission must give one (-p %s=VALUE)", m->name, m->name);
      return;
    }
  if (m->type == FH_OJ_PATH && (text = path_value = absolute_path (c, m, text, given == NULL, input->cwd)) == NULL)
    return;
  if (!fh_oj_value_from_text (m->type, text, &v, &why) || (why = fh_oj_param_check_value (m, &v)) != NULL)
    {
      if (given != NULL)
        bad (c, from, field, NULL, "the value of '%s' (%s): %s", m->name, fh_oj_type_name (m->type), why);
      else
        bad (c, m->source, "parameterDefinitions", m->node, "the default of '%s': %s", m->name, why);
      fh_oj_value_clear (&v);
      return;
    }
  p = g_new0 (FhOjJobParam, 1);
  p->name = g_strdup (m->name);
  p->type = m->type;
  p->value = g_steal_pointer (&v.text);
  g_ptr_array_add (c->job->params, p);
  g_hash_table_insert (c->job->symbols, g_strconcat ("RawParam.", p->name, NULL), g_strdup (p->value));
  if (p->type != FH_OJ_PATH)
    g_hash_table_insert (c->job->symbols, g_strconcat ("Param.", p->name, NULL), g_strdup (p->value));
}

static void
give_values (Creation *c, GPtrArray *merged, const FhOjJobInput *input)
{
  if (input->values != NULL)
    {
      GHashTableIter it;
      gpointer name;
      g_hash_table_iter_init (&it, input->values);
      while (g_hash_table_iter_next (&it, &name, NULL))
        if (find_def (merged, name) == NULL)
          {
            g_autoptr (GString) known = g_string_new (NULL);
            for (guint i = 0; i < merged->len; i++)
              g_string_append_printf (known, "%s%s", i ? ", " : "", ((FhOjParamDef *) g_ptr_array_index (merged, i))->name);
            g_autofree char *field = g_strconcat ("parameterValues.", (const char *) name, NULL);
            bad (c, input->value_sources ? g_hash_table_lookup (input->value_sources, name) : NULL, field, NULL,
                 "'%s' is not a parameter of this job (%s%s)", (const char *) name,
                 known->len ? "its parameters: " : "it has no parameters", known->str);
          }
    }
  for (guint i = 0; i < merged->len; i++)
    give_value (c, g_ptr_array_index (merged, i), input);
}

/* ---- template-scope strings, resolved ------------------------------------ */

/* @f resolved with the job's parameters (all are known by now). */
static char *
resolve (Creation *c, const FhOjFormat *f)
{
  return fh_oj_format_resolve (f, fh_oj_job_lookup, c->job, NULL);
}

static void
job_name (Creation *c)
{
  FhOjLimits limits;
  g_autofree char *name = resolve (c, c->job->template->name);
  glong n = g_utf8_strlen (name, -1);

  fh_oj_limits_for (&limits, c->job->template->extensions);
  if (n < 1 || n > (glong) limits.job_name || fh_oj_has_cc (name, FALSE))
    bad (c, c->job->template->source, "name", NULL, "the job's name resolves to '%s' (%ld characters): it must "
         "be 1 to %u characters without control characters", name, n, limits.job_name);
  c->job->name = g_steal_pointer (&name);
}

/* An action's timeout and notify period, resolved: positive integers
 * (notify at most 600). */
static void
action_seconds (Creation *c, const FhOjAction *a, const char *source)
{
  const FhOjFormat *fields[] = { a ? a->timeout : NULL, a ? a->notify_period : NULL };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *v = NULL;
      gint64 n;
      gboolean overflow;
      if (fields[i] == NULL || !fh_oj_format_has_refs (fields[i]))
        continue;
      v = resolve (c, fields[i]);
      if (!fh_oj_parse_int (v, &n, &overflow) || n < 1 || (i == 1 && n > 600))
        bad (c, source, path_of (c, a->path, i == 0 ? "timeout" : "cancelation.notifyPeriodInSeconds"), NULL,
             "resolves to '%s': it must be %s", v, i == 0 ? "a positive integer (seconds)" : "1 to 600 (seconds)");
    }
}

static void
environment_seconds (Creation *c, GPtrArray *envs)
{
  for (guint i = 0; i < envs->len; i++)
    {
      const FhOjEnvironment *e = g_ptr_array_index (envs, i);
      action_seconds (c, e->on_enter, e->source);
      action_seconds (c, e->on_exit, e->source);
    }
}

static void
requirement (Creation *c, const FhOjRequirement *r, GHashTable *seen)
{
  const char *source = c->job->template->source;
  g_autofree char *name = resolve (c, r->name_format);
  g_autofree char *why = NULL;
  GPtrArray *lists[] = { r->any_of, r->all_of };

  if (fh_oj_format_has_refs (r->name_format) && !fh_oj_check_capability_name (name, r->amount, &why))
    bad (c, source, r->path, NULL, "the name resolves to %s", why);
  else if (!g_hash_table_add (seen, g_strdup (name)))
    bad (c, source, r->path, NULL, "'%s' is required twice (once its name is resolved)", name);
  for (guint l = 0; l < 2; l++)
    for (guint i = 0; lists[l] != NULL && i < lists[l]->len; i++)
      {
        const FhOjFormat *f = g_ptr_array_index (lists[l], i);
        g_autofree char *v = NULL, *vwhy = NULL;
        if (!fh_oj_format_has_refs (f) && !fh_oj_format_has_refs (r->name_format))
          continue;
        v = resolve (c, f);
        if (!fh_oj_check_attribute_value (name, v, &vwhy))
          bad (c, source, r->path, NULL, "a value resolves to %s", vwhy);
      }
  if (r->amount)
    {
      const FhOjFormat *bounds[] = { r->min, r->max };
      double d[2] = { 0, INFINITY };
      for (guint i = 0; i < 2; i++)
        {
          g_autofree char *v = NULL;
          if (bounds[i] == NULL)
            continue;
          v = resolve (c, bounds[i]);
          if (!fh_oj_parse_float (v, &d[i]) || (i == 0 ? d[i] < 0 : d[i] <= 0))
            bad (c, source, r->path, NULL, "%s resolves to '%s': it must be a number %s", i ? "max" : "min", v,
                 i ? "above 0" : "of 0 or more");
        }
      if (d[0] > d[1])
        bad (c, source, r->path, NULL, "min (%g) is above max (%g)", d[0], d[1]);
    }
}

static gboolean
int_value (const char *text, char **out)
{
  gint64 v;
  gboolean overflow;

  if (!fh_oj_parse_int (text, &v, &overflow))
    return FALSE;
  *out = g_strdup_printf ("%" G_GINT64_FORMAT, v);
  return TRUE;
}

/* A task parameter's values, resolved and checked against its type. */
static FhOjSpaceParam *
space_param (Creation *c, const FhOjTaskParam *tp)
{
  const char *source = c->job->template->source;
  g_autoptr (FhOjSpaceParam) sp = g_new0 (FhOjSpaceParam, 1);

  sp->param = tp;
  if (tp->expression != NULL)
    {
      g_autofree char *text = resolve (c, tp->expression), *why = NULL;
      if ((sp->range = fh_oj_range_parse (text, &why)) == NULL)
        {
          bad (c, source, path_of (c, tp->path, "range"), NULL, "resolves to '%s', not a range: %s", text, why);
          return NULL;
        }
    }
  else
    {
      sp->values = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < tp->list->len; i++)
        {
          g_autofree char *v = resolve (c, g_ptr_array_index (tp->list, i));
          char *typed = NULL;
          double d;
          gboolean ok = TRUE;
          if (tp->type == FH_OJ_INT || tp->type == FH_OJ_CHUNK_INT)
            ok = int_value (v, &typed);
          else if (tp->type == FH_OJ_FLOAT)
            ok = fh_oj_parse_float (v, &d) && (typed = g_strstrip (g_strdup (v)));
          else
            ok = g_utf8_strlen (v, -1) <= 1024 && (typed = g_strdup (v));
          if (!ok)
            {
              bad (c, source, path_of (c, tp->path, "range"), NULL, "value %u resolves to '%s', not %s", i, v,
                   tp->type == FH_OJ_FLOAT ? "a number" : tp->type == FH_OJ_INT || tp->type == FH_OJ_CHUNK_INT
                                                          ? "an integer" : "a value of at most 1024 characters");
              return NULL;
            }
          g_ptr_array_add (sp->values, typed);
        }
      if (tp->type == FH_OJ_CHUNK_INT)
        {
          /* Chunks are cut from a range. */
          g_autoptr (GString) expr = g_string_new (NULL);
          g_autofree char *why = NULL;
          for (guint i = 0; i < sp->values->len; i++)
            g_string_append_printf (expr, "%s%s", i ? "," : "", (char *) g_ptr_array_index (sp->values, i));
          g_clear_pointer (&sp->values, g_ptr_array_unref);
          if ((sp->range = fh_oj_range_parse (expr->str, &why)) == NULL)
            {
              bad (c, source, path_of (c, tp->path, "range"), NULL, "%s", why);
              return NULL;
            }
        }
    }
  if (tp->type == FH_OJ_CHUNK_INT)
    {
      g_autofree char *count = resolve (c, tp->chunk_count);
      g_autofree char *target = tp->chunk_target ? resolve (c, tp->chunk_target) : NULL;
      gint64 t;
      gboolean overflow;
      if (!fh_oj_parse_int (count, &sp->chunk_size, &overflow) || sp->chunk_size < 1)
        {
          bad (c, source, path_of (c, tp->path, "chunks.defaultTaskCount"), NULL,
               "resolves to '%s': it must be an integer of 1 or more", count);
          return NULL;
        }
      if (target != NULL && (!fh_oj_parse_int (target, &t, &overflow) || t < 0))
        {
          bad (c, source, path_of (c, tp->path, "chunks.targetRuntimeSeconds"), NULL,
               "resolves to '%s': it must be an integer of 0 or more", target);
          return NULL;
        }
    }
  return g_steal_pointer (&sp);
}

static FhOjJobStep *
job_step (Creation *c, const FhOjStep *step, guint64 first)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) params = g_ptr_array_new_with_free_func ((GDestroyNotify) fh_oj_space_param_free);
  g_autofree char *why = NULL;
  FhOjJobStep *s;
  FhOjSpace *space;
  guint before = fh_problems_get_count (c->problems);

  for (guint i = 0; i < step->requirements->len; i++)
    requirement (c, g_ptr_array_index (step->requirements, i), seen);
  action_seconds (c, step->on_run, c->job->template->source);
  environment_seconds (c, step->environments);
  for (guint i = 0; i < step->task_params->len; i++)
    {
      FhOjSpaceParam *sp = space_param (c, g_ptr_array_index (step->task_params, i));
      if (sp != NULL)
        g_ptr_array_add (params, sp);
    }
  if (fh_problems_get_count (c->problems) > before)
    return NULL;
  if ((space = fh_oj_space_new (step, params, &why)) == NULL)
    {
      bad (c, c->job->template->source, path_of (c, step->path, "parameterSpace"), NULL, "%s", why);
      return NULL;
    }
  s = g_new0 (FhOjJobStep, 1);
  s->step = step;
  s->space = space;
  s->first = first;
  s->n_tasks = fh_oj_space_count (space);
  return s;
}

static void
build_steps (Creation *c, const FhOjJobInput *input)
{
  g_autoptr (GPtrArray) order = fh_oj_template_step_order (c->job->template);
  guint64 total = 0;

  for (const char *const *want = input->steps; want != NULL && *want != NULL; want++)
    {
      gboolean found = FALSE;
      for (guint i = 0; i < order->len && !found; i++)
        found = g_str_equal (((FhOjStep *) g_ptr_array_index (order, i))->name, *want);
      if (!found)
        bad (c, c->job->template->source, "steps", NULL, "the job has no step '%s'", *want);
    }
  for (guint i = 0; i < order->len; i++)
    {
      const FhOjStep *step = g_ptr_array_index (order, i);
      FhOjJobStep *s;
      if (input->steps != NULL && !g_strv_contains (input->steps, step->name))
        continue;
      if ((s = job_step (c, step, total)) == NULL)
        continue;
      if (s->n_tasks > G_MAXUINT32 - total)
        {
          bad (c, c->job->template->source, step->path, NULL, "the job has more than %u tasks", G_MAXUINT32);
          job_step_free (s);
          continue;
        }
      total += s->n_tasks;
      g_ptr_array_add (c->job->steps, s);
    }
  c->job->n_tasks = total;
}

FhOjJob *
fh_oj_job_new (FhOjTemplate *template, GPtrArray *env_templates, const FhOjJobInput *input, FhProblems *problems)
{
  g_autoptr (FhOjJob) job = g_new0 (FhOjJob, 1);
  g_autoptr (GPtrArray) merged = NULL;
  g_autoptr (GStringChunk) paths = g_string_chunk_new (256);
  Creation c = { job, problems, paths };
  guint before = fh_problems_get_count (problems);

  job->template = template;
  job->env_templates = env_templates ? env_templates
                                     : g_ptr_array_new_with_free_func ((GDestroyNotify) fh_oj_template_free);
  job->params = g_ptr_array_new_with_free_func ((GDestroyNotify) job_param_free);
  job->symbols = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  job->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) job_step_free);
  job->path_mapping = input->path_mapping ? input->path_mapping : fh_oj_path_mapping_new ();
  fh_problems_set_code (problems, FH_PROBLEMS_INVALID_JOB);
  merged = merge_definitions (&c);
  if (fh_problems_get_count (problems) > before)
    return NULL;
  give_values (&c, merged, input);
  if (fh_problems_get_count (problems) > before)
    return NULL;
  job_name (&c);
  environment_seconds (&c, template->environments);
  for (guint i = 0; i < job->env_templates->len; i++)
    environment_seconds (&c, ((FhOjTemplate *) g_ptr_array_index (job->env_templates, i))->environments);
  build_steps (&c, input);
  if (fh_problems_get_count (problems) > before)
    return NULL;
  return g_steal_pointer (&job);
}

const FhOjJobStep *
fh_oj_job_locate (const FhOjJob *self, guint64 index, guint64 *local)
{
  for (guint i = 0; i < self->steps->len; i++)
    {
      const FhOjJobStep *s = g_ptr_array_index (self->steps, i);
      if (index >= s->first && index < s->first + s->n_tasks)
        {
          *local = index - s->first;
          return s;
        }
    }
  return NULL;
}

char *
fh_oj_job_task_name (const FhOjJob *self, guint64 index)
{
  guint64 local;
  const FhOjJobStep *s = fh_oj_job_locate (self, index, &local);
  g_autoptr (GPtrArray) values = g_ptr_array_new ();
  GString *name;

  if (s == NULL)
    return NULL;
  name = g_string_new (s->step->name);
  if (fh_oj_space_get_n_params (s->space) == 0)
    return g_string_free (name, FALSE);
  fh_oj_space_get (s->space, local, values);
  g_string_append_c (name, '[');
  for (guint i = 0; i < values->len; i++)
    g_string_append_printf (name, "%s%s=%s", i ? "," : "", fh_oj_space_get_param (s->space, i)->name,
                            (char *) g_ptr_array_index (values, i));
  g_string_append_c (name, ']');
  return g_string_free (name, FALSE);
}
