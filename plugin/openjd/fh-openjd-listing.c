/* fh-openjd-listing.c — an OpenJD job described and listed. */
#include "config.h"

#include "fh-openjd-listing.h"

#include "fh-error.h"
#include "fh-frame-list.h"
#include "fh-job-error.h"

static JsonArray *
strings (GPtrArray *list)
{
  JsonArray *a = json_array_new ();

  for (guint i = 0; list != NULL && i < list->len; i++)
    json_array_add_string_element (a, g_ptr_array_index (list, i));
  return a;
}

static JsonArray *
add_environment_names (JsonArray *a, GPtrArray *envs)
{
  for (guint i = 0; i < envs->len; i++)
    json_array_add_string_element (a, ((FhOjEnvironment *) g_ptr_array_index (envs, i))->name);
  return a;
}

static JsonObject *
step_object (const FhOjJobStep *s)
{
  JsonObject *o = json_object_new ();
  JsonArray *params = json_array_new ();

  json_object_set_string_member (o, "name", s->step->name);
  json_object_set_int_member (o, "tasks", (gint64) s->n_tasks);
  json_object_set_int_member (o, "first", (gint64) s->first + 1);
  json_object_set_array_member (o, "depends_on", strings (s->step->depends_on));
  json_object_set_array_member (o, "environments", add_environment_names (json_array_new (), s->step->environments));
  for (guint i = 0; i < fh_oj_space_get_n_params (s->space); i++)
    {
      const FhOjTaskParam *tp = fh_oj_space_get_param (s->space, i);
      JsonObject *p = json_object_new ();
      json_object_set_string_member (p, "name", tp->name);
      json_object_set_string_member (p, "type", fh_oj_type_name (tp->type));
      json_array_add_object_element (params, p);
    }
  json_object_set_array_member (o, "task_parameters", params);
  return o;
}

JsonObject *
fh_oj_listing_describe (const FhOjJob *job, const char *log_preset, guint avoid_host_after, GPtrArray *ignored)
{
  JsonObject *o = json_object_new ();
  JsonObject *executor = json_object_new ();
  JsonArray *steps = json_array_new (), *params = json_array_new (), *envs = json_array_new ();
  g_autofree char *ext = fh_oj_extensions_to_string (job->template->extensions);

  json_object_set_string_member (o, "name", job->name);
  json_object_set_int_member (o, "items", (gint64) job->n_tasks);
  json_object_set_string_member (executor, "kind", "openjd-session");
  json_object_set_object_member (o, "executor", executor);
  json_object_set_string_member (o, "cwd", job->template->dir);
  json_object_set_array_member (o, "setup", json_array_new ());
  json_object_set_array_member (o, "teardown", json_array_new ());
  json_object_set_int_member (o, "avoid_host_after", avoid_host_after);
  if (log_preset != NULL)
    json_object_set_string_member (o, "log_preset", log_preset);
  json_object_set_string_member (o, "format", "openjd");
  json_object_set_string_member (o, "source", job->template->source);
  json_object_set_string_member (o, "extensions", ext);
  for (guint i = 0; i < job->params->len; i++)
    {
      const FhOjJobParam *p = g_ptr_array_index (job->params, i);
      JsonObject *po = json_object_new ();
      json_object_set_string_member (po, "name", p->name);
      json_object_set_string_member (po, "type", fh_oj_type_name (p->type));
      json_object_set_string_member (po, "value", p->value);
      json_array_add_object_element (params, po);
    }
  json_object_set_array_member (o, "parameters", params);
  for (guint t = 0; t < job->env_templates->len; t++)
    add_environment_names (envs, ((FhOjTemplate *) g_ptr_array_index (job->env_templates, t))->environments);
  add_environment_names (envs, job->template->environments);
  json_object_set_array_member (o, "environments", envs);
  for (guint i = 0; i < job->steps->len; i++)
    json_array_add_object_element (steps, step_object (g_ptr_array_index (job->steps, i)));
  json_object_set_array_member (o, "steps", steps);
  if (ignored != NULL && ignored->len > 0)
    json_object_set_array_member (o, "ignored_parameters", strings (ignored));
  return o;
}

/* The value of a name, or the reference itself where only the session
 * knows it. */
static const char *
lookup_or_keep (const char *name, gpointer data)
{
  GHashTable *symbols = data;
  const char *v = g_hash_table_lookup (symbols, name);

  if (v == NULL)
    {
      char *kept = g_strdup_printf ("{{%s}}", name);
      g_hash_table_insert (symbols, g_strdup (name), kept);
      v = kept;
    }
  return v;
}

static char *
command (const FhOjJob *job, const FhOjJobStep *s, GPtrArray *values)
{
  g_autoptr (GHashTable) symbols = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GString *out = g_string_new (NULL);
  const FhOjAction *a = s->step->on_run;
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, job->symbols);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (symbols, g_strdup (k), g_strdup (v));
  for (guint i = 0; i < values->len; i++)
    {
      const char *name = fh_oj_space_get_param (s->space, i)->name;
      g_hash_table_insert (symbols, g_strconcat ("Task.Param.", name, NULL), g_strdup (g_ptr_array_index (values, i)));
      g_hash_table_insert (symbols, g_strconcat ("Task.RawParam.", name, NULL), g_strdup (g_ptr_array_index (values, i)));
    }
  for (guint i = 0; i <= a->args->len; i++)
    {
      g_autofree char *arg = fh_oj_format_resolve (i == 0 ? a->command : g_ptr_array_index (a->args, i - 1),
                                                   lookup_or_keep, symbols, NULL);
      g_autofree char *quoted = g_shell_quote (arg);
      g_string_append_printf (out, "%s%s", i ? " " : "", quoted);
    }
  return g_string_free (out, FALSE);
}

static JsonObject *
task (const FhOjJob *job, guint64 index, gboolean commands)
{
  guint64 local;
  const FhOjJobStep *s = fh_oj_job_locate (job, index, &local);
  g_autoptr (GPtrArray) values = g_ptr_array_new ();
  g_autofree char *name = fh_oj_job_task_name (job, index);
  JsonObject *o = json_object_new ();
  JsonObject *params = json_object_new ();

  fh_oj_space_get (s->space, local, values);
  json_object_set_int_member (o, "number", (gint64) index + 1);
  json_object_set_int_member (o, "index", (gint64) index);
  json_object_set_string_member (o, "name", name);
  json_object_set_array_member (o, "frames", json_array_new ());
  json_object_set_string_member (o, "step", s->step->name);
  for (guint i = 0; i < values->len; i++)
    json_object_set_string_member (params, fh_oj_space_get_param (s->space, i)->name, g_ptr_array_index (values, i));
  json_object_set_object_member (o, "task_parameters", params);
  if (commands)
    {
      g_autofree char *c = command (job, s, values);
      json_object_set_string_member (o, "command", c);
    }
  return o;
}

JsonArray *
fh_oj_listing_agenda (const FhOjJob *job, const char *items, gboolean commands, GError **error)
{
  g_autoptr (JsonArray) out = json_array_new ();
  g_autoptr (FhFrameList) list = NULL;
  const gint64 *numbers;

  if (items == NULL)
    {
      for (guint64 i = 0; i < job->n_tasks; i++)
        json_array_add_object_element (out, task (job, i, commands));
      return g_steal_pointer (&out);
    }
  if ((list = fh_frame_list_parse_full (items, "item", error)) == NULL)
    return NULL;
  numbers = fh_frame_list_get_frames (list);
  for (guint k = 0; k < fh_frame_list_get_length (list); k++)
    {
      if (numbers[k] < 1 || (guint64) numbers[k] > job->n_tasks)
        return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                              "there is no task %" G_GINT64_FORMAT "; the job has %" G_GUINT64_FORMAT
                              " (numbered from 1 across its steps)", numbers[k], job->n_tasks);
      json_array_add_object_element (out, task (job, (guint64) (numbers[k] - 1), commands));
    }
  return g_steal_pointer (&out);
}
