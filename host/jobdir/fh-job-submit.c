/* fh-job-submit.c — laying a job out in a job directory and giving it
 * workers (see the header). */
#include "config.h"

#include "fh-job-submit.h"

#include <string.h>

#include "fh-agenda-pager.h"
#include "fh-error.h"
#include "fh-json.h"
#include "fh-slurm.h"

static char *
default_job_dir (const char *job_name)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *name = g_strdup_printf ("%s-%s", job_name, stamp);

  return g_build_filename ("farmhand-jobs", name, NULL);
}

/* The worker command each task runs: this very farmhand (on a farm it is
 * installed at the same path on every node). */
char **
fh_job_submit_worker_command (FhJobDir *dir)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  return g_strdupv ((char *[]) { self ? self : "farmhand", "worker", (char *) fh_job_dir_get_path (dir), NULL });
}

/* One Slurm array of @workers workers for @dir (of step @step, nullable),
 * after the arrays @dependency names (nullable).  Its id.  (transfer full) */
static char *
submit_array (FhJobDir *dir, const char *step, guint workers, const char *dependency,
              const FhJobSubmitSlurm *opts, GError **error)
{
  g_auto (GStrv) base = fh_job_submit_worker_command (dir);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_auto (GStrv) command = NULL;
  g_autofree char *name = step ? g_strdup_printf ("farmhand-%s-%s", fh_job_dir_get_name (dir), step)
                               : g_strdup_printf ("farmhand-%s", fh_job_dir_get_name (dir));
  g_autofree char *output = g_build_filename (fh_job_dir_get_path (dir), "slurm", "%A_%a.out", NULL);
  FhSlurmArray array = { .tasks = workers, .name = name, .output = output, .partition = opts->partition,
                         .dependency = dependency, .extra_args = opts->extra_args };

  g_strv_builder_addv (b, (const char **) base);
  if (step != NULL)
    {
      g_strv_builder_add (b, "--step");
      g_strv_builder_add (b, step);
    }
  command = g_strv_builder_end (b);
  array.command = (const char *const *) command;
  return fh_slurm_submit_array (&array, error);
}

/* Step @step's workers: --step-workers's, else --workers', at most one a
 * task left. */
static guint
step_workers (FhJobDir *dir, guint step, guint left, const FhJobSubmitSlurm *opts)
{
  gpointer n = opts->step_workers ? g_hash_table_lookup (opts->step_workers, fh_job_dir_step_name (dir, step)) : NULL;

  return MIN (n ? GPOINTER_TO_UINT (n) : opts->workers, left);
}

/* "afterany:ID:ID" for the arrays of @step's dependencies that were
 * submitted now, or NULL.  afterany, not afterok: a step whose dependency
 * failed starts, sees it in the job directory and says why it does not
 * run (afterok would leave it pending for good, in Slurm's words). */
static char *
dependency_of (FhJobDir *dir, guint step, GHashTable *submitted)
{
  JsonArray *deps = json_object_get_array_member (json_array_get_object_element (fh_job_dir_get_steps (dir), step),
                                                  "depends_on");
  g_autoptr (GString) d = g_string_new ("afterany");

  for (guint i = 0; deps != NULL && i < json_array_get_length (deps); i++)
    {
      const char *id = g_hash_table_lookup (submitted, json_array_get_string_element (deps, i));
      if (id != NULL)
        g_string_append_printf (d, ":%s", id);
    }
  return d->len > strlen ("afterany") ? g_string_free (g_steal_pointer (&d), FALSE) : NULL;
}

/* The arrays submitted before one failed go too. */
static void
cancel_submitted (GPtrArray *ids)
{
  for (guint i = 0; i < ids->len; i++)
    fh_slurm_cancel (g_ptr_array_index (ids, i), NULL);
}

/* An array per step with tasks left, each after its dependencies'. */
static char *
submit_steps (FhJobDir *dir, const FhJobSubmitSlurm *opts, guint *total, GError **error)
{
  g_autoptr (FhItemStates) states = fh_job_dir_item_states (dir, FALSE);
  g_autoptr (GHashTable) submitted = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  guint n_steps = json_array_get_length (fh_job_dir_get_steps (dir));

  if (!fh_item_states_refresh (states, error))
    return NULL;
  *total = 0;
  for (guint step = 0; step < n_steps; step++)
    {
      const char *name = fh_job_dir_step_name (dir, step);
      g_autofree char *dependency = dependency_of (dir, step, submitted);
      guint first, n, left = 0, workers;
      char *id;
      fh_job_dir_step_range (dir, step, &first, &n);
      for (guint i = first; i < first + n; i++)
        left += fh_item_states_get (states, i) != FH_ITEM_COMPLETE;
      if (left == 0)
        continue;
      workers = step_workers (dir, step, left, opts);
      if ((id = submit_array (dir, name, workers, dependency, opts, error)) == NULL)
        return cancel_submitted (ids), NULL;
      g_hash_table_insert (submitted, (char *) name, id);
      g_ptr_array_add (ids, id);
      *total += workers;
      if (!fh_job_dir_set_slurm_step (dir, name, id, error))
        return cancel_submitted (ids), NULL;
    }
  g_ptr_array_add (ids, NULL);
  return g_strjoinv (",", (char **) ids->pdata);
}

char *
fh_job_submit_slurm (FhJobDir *dir, const FhJobSubmitSlurm *opts, guint *n_workers, GError **error)
{
  g_autofree char *id = NULL;

  *n_workers = opts->workers;
  if (fh_job_dir_get_steps (dir) != NULL)
    id = submit_steps (dir, opts, n_workers, error);
  else
    id = submit_array (dir, NULL, opts->workers, NULL, opts, error);
  if (id == NULL || !fh_job_dir_set_slurm_job (dir, id, *n_workers, error))
    return NULL;
  return g_steal_pointer (&id);
}

/* Line @index of agenda.jsonl: the item as the plugin lists it, with its
 * expanded command. */
static gboolean
agenda_line (guint index, GString *line, gpointer pager, GError **error)
{
  JsonObject *item = fh_agenda_pager_get (pager, index, error);
  g_autofree char *json = NULL;

  if (item == NULL)
    return FALSE;
  json = fh_json_object_to_string (item);
  g_string_append (line, json);
  return TRUE;
}

/* ---- an OpenJD job, kept whole in its directory ---------------------------- */

static GBytes *
file_bytes (const char *path, GError **error)
{
  char *data;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  return g_bytes_new_take (data, len);
}

/* What the job directory keeps of an OpenJD job: the template (of a
 * bundle too), the environment templates, every parameter's value as the
 * job was made (a PATH default already joined to where the template
 * was), the path mapping rules — and job_open's options reading them
 * there.  A worker anywhere makes the same job. */
typedef struct
{
  GPtrArray *files;      /* FhJobDirFile, with a NULL-named end */
  JsonObject *options;
  JsonArray *steps;
  char *job_file;
} OpenjdKeep;

static void
keep_clear (OpenjdKeep *k)
{
  for (guint i = 0; k->files != NULL && i < k->files->len; i++)
    {
      FhJobDirFile *f = g_ptr_array_index (k->files, i);
      g_free ((char *) f->name);
      g_clear_pointer (&f->contents, g_bytes_unref);
      g_free (f);
    }
  g_clear_pointer (&k->files, g_ptr_array_unref);
  g_clear_pointer (&k->options, json_object_unref);
  g_clear_pointer (&k->steps, json_array_unref);
  g_free (k->job_file);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OpenjdKeep, keep_clear)

static void
keep_file (OpenjdKeep *k, const char *name, GBytes *contents)
{
  FhJobDirFile *f = g_new0 (FhJobDirFile, 1);

  f->name = g_strdup (name);
  f->contents = contents;
  g_ptr_array_add (k->files, f);
}

static char *
extension_of (const char *path)
{
  const char *dot = strrchr (path, '.');

  return g_strdup (dot && !strchr (dot, '/') ? dot : ".yaml");
}

static gboolean
keep_openjd (OpenjdKeep *k, JsonObject *described, JsonObject *submitted, const char *dir_path, GError **error)
{
  g_autofree char *ext = extension_of (json_object_get_string_member (described, "source"));
  g_autofree char *jobdir = g_canonicalize_filename (dir_path, NULL);
  JsonArray *params = json_object_get_array_member (described, "parameters");
  JsonArray *steps = json_object_get_array_member (described, "steps");
  JsonArray *envs = json_object_has_member (submitted, "environments")
                      ? json_object_get_array_member (submitted, "environments") : NULL;
  g_autoptr (JsonObject) values = json_object_new ();
  JsonArray *env_paths = json_array_new (), *param_args = json_array_new ();
  const char *rules = json_object_get_string_member_with_default (submitted, "path_mapping_rules", NULL);
  GBytes *b;

  k->files = g_ptr_array_new ();
  k->options = json_object_new ();
  k->steps = json_array_new ();
  k->job_file = g_strconcat ("openjd/template", ext, NULL);
  if ((b = file_bytes (json_object_get_string_member (described, "source"), error)) == NULL)
    return FALSE;
  keep_file (k, k->job_file, b);
  for (guint i = 0; envs != NULL && i < json_array_get_length (envs); i++)
    {
      const char *env = json_array_get_string_element (envs, i);
      g_autofree char *e_ext = extension_of (env);
      g_autofree char *name = g_strdup_printf ("openjd/environment-%u%s", i, e_ext);
      if ((b = file_bytes (env, error)) == NULL)
        return FALSE;
      keep_file (k, name, b);
      g_autofree char *kept = g_build_filename (jobdir, name, NULL);
      json_array_add_string_element (env_paths, kept);
    }
  for (guint i = 0; params != NULL && i < json_array_get_length (params); i++)
    {
      JsonObject *p = json_array_get_object_element (params, i);
      json_object_set_string_member (values, json_object_get_string_member (p, "name"),
                                     json_object_get_string_member (p, "value"));
    }
  {
    g_autofree char *text = fh_json_object_to_string (values);
    keep_file (k, "openjd/parameters.json", g_bytes_new (text, strlen (text)));
  }
  {
    g_autofree char *arg = g_strconcat ("file://", jobdir, "/openjd/parameters.json", NULL);
    json_array_add_string_element (param_args, arg);
  }
  if (rules != NULL)
    {
      g_autofree char *rpath = g_build_filename (jobdir, "openjd", "path_mapping.json", NULL);
      if (g_str_has_prefix (rules, "file://"))
        {
          if ((b = file_bytes (rules + 7, error)) == NULL)
            return FALSE;
        }
      else
        b = g_bytes_new (rules, strlen (rules));
      keep_file (k, "openjd/path_mapping.json", b);
      g_autofree char *rarg = g_strconcat ("file://", rpath, NULL);
      json_object_set_string_member (k->options, "path_mapping_rules", rarg);
    }
  json_object_set_string_member (k->options, "format", "openjd");
  json_object_set_array_member (k->options, "parameters", param_args);
  json_object_set_array_member (k->options, "environments", env_paths);
  for (guint i = 0; steps != NULL && i < json_array_get_length (steps); i++)
    {
      JsonObject *s = json_array_get_object_element (steps, i), *o = json_object_new ();
      json_object_set_string_member (o, "name", json_object_get_string_member (s, "name"));
      json_object_set_int_member (o, "first", json_object_get_int_member (s, "first") - 1);
      json_object_set_int_member (o, "tasks", json_object_get_int_member (s, "tasks"));
      json_object_set_member (o, "depends_on", json_node_copy (json_object_get_member (s, "depends_on")));
      json_array_add_object_element (k->steps, o);
    }
  return TRUE;
}

FhJobDir *
fh_job_submit_create (const char *path, JsonObject *open_options, const char *dir_path,
                      const FhJobDirOptions *options, GError **error)
{
  g_autoptr (FhPluginModule) module = fh_plugin_module_open_default (error);
  g_autoptr (JsonObject) submitted = open_options ? json_object_ref (open_options) : json_object_new ();
  g_autoptr (FhJobHandle) handle = NULL;
  g_autofree char *text = NULL, *opts = NULL;
  g_autofree char *fallback = NULL;
  g_autoptr (FhAgendaPager) pager = NULL;
  g_auto (OpenjdKeep) keep = { 0 };
  FhJobDirJob desc;
  JsonObject *described;
  const char *name;

  if (module == NULL)
    return NULL;
  opts = fh_json_object_to_string (submitted);
  if ((handle = fh_job_handle_open (module, path, opts, FALSE, error)) == NULL)
    return NULL;
  described = fh_job_handle_describe (handle);
  name = fh_job_handle_get_name (handle);
  if (dir_path == NULL)
    dir_path = fallback = default_job_dir (name);
  pager = fh_agenda_pager_new (handle, 10000, TRUE);
  desc = (FhJobDirJob) { .name = name, .source = path, .n_items = fh_job_handle_get_n_items (handle),
                         .agenda = agenda_line, .agenda_data = pager };
  if (g_strcmp0 (json_object_get_string_member_with_default (described, "format", NULL), "openjd") == 0)
    {
      if (!keep_openjd (&keep, described, submitted, dir_path, error))
        return NULL;
      desc.source = json_object_get_string_member (described, "source");
      desc.job_file = keep.job_file;
      desc.job_options = keep.options;
      desc.steps = keep.steps;
      desc.files = keep.files;
    }
  else if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  desc.text = text;
  return fh_job_dir_create (dir_path, &desc, options, error);
}

FhJobHandle *
fh_job_submit_open_job (FhJobDir *dir, const char *plugin, gboolean runnable, GError **error)
{
  g_autoptr (FhPluginModule) module = plugin ? fh_plugin_module_open (plugin, error)
                                             : fh_plugin_module_open_default (error);
  g_autoptr (FhJobHandle) handle = NULL;

  if (module == NULL)
    return NULL;
  if (fh_job_dir_get_job_file (dir) != NULL)
    {
      g_autoptr (JsonObject) o = json_object_ref (fh_job_dir_get_job_options (dir));
      g_autofree char *opts = NULL;
      json_object_set_string_member (o, "output_dir", fh_job_dir_get_output_dir (dir));
      opts = fh_json_object_to_string (o);
      handle = fh_job_handle_open (module, fh_job_dir_get_job_file (dir), opts, runnable, error);
    }
  else
    {
      g_autofree char *text = fh_job_dir_read_job (dir, error);
      FhJobHandleOptions options = {
        .base_dir = fh_job_dir_get_source_dir (dir), .source = fh_job_dir_get_source (dir),
        .output_dir = fh_job_dir_get_output_dir (dir),
      };
      if (text != NULL)
        handle = fh_job_handle_new (module, text, &options, runnable, error);
    }
  if (handle == NULL)
    return NULL;
  if (fh_job_handle_get_n_items (handle) != fh_job_dir_get_n_items (dir))
    return fh_throw_null (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                          "%s: the job has %u items but meta.json says %u", fh_job_dir_get_path (dir),
                          fh_job_handle_get_n_items (handle), fh_job_dir_get_n_items (dir));
  return g_steal_pointer (&handle);
}

gboolean
fh_job_submit_resume (FhJobDir *dir, guint *remaining, GError **error)
{
  const char *slurm = fh_job_dir_get_slurm_job (dir);
  gboolean active = FALSE;

  /* Array tasks that have not started yet have no heartbeat to count. */
  if (slurm != NULL && fh_slurm_job_active (slurm, &active, NULL) && active)
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_BUSY,
                     "Slurm job %s still runs job %s: wait for it to end, or 'farmhand "
                     "cancel %s' first", slurm, fh_job_dir_get_name (dir), fh_job_dir_get_path (dir));
  return fh_job_dir_resume (dir, remaining, error);
}


JsonObject *
fh_job_submit_openjd_options (const char *const *parameters, const char *const *environments,
                              const char *path_mapping_rules)
{
  JsonObject *o = json_object_new ();
  g_autofree char *cwd = g_get_current_dir ();

  json_object_set_string_member (o, "cwd", cwd);
  fh_json_set_strv (o, "parameters", parameters);
  fh_json_set_strv (o, "environments", environments);
  if (path_mapping_rules != NULL)
    json_object_set_string_member (o, "path_mapping_rules", path_mapping_rules);
  return o;
}
