/* fh-presets.c — executor presets and executor paths. */
#include "config.h"

#include "fh-presets.h"

#include <dlfcn.h>

#include "fh-error.h"
#include "fh-json.h"

#define SHELL_EXECUTOR "farmhand-executor"
#define PYTHON_EXECUTOR "farmhand_executor.py"
#define PRESETS_FILE "presets.json"

/* The file holding this code: the plugin .so, or a binary linking it. */
static char *
this_binary (void)
{
  Dl_info info;

  if (dladdr ((void *) this_binary, &info) != 0 && info.dli_fname != NULL &&
      g_path_is_absolute (info.dli_fname))
    return g_strdup (info.dli_fname);
  /* dladdr names the main program as it was invoked; ask the kernel. */
  return g_file_read_link ("/proc/self/exe", NULL);
}

char *
fh_presets_executor_dir (void)
{
  const char *env = g_getenv ("FARMHAND_EXECUTOR_DIR");
  g_autofree char *bin = NULL;
  g_autofree char *dir = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if ((bin = this_binary ()) != NULL)
    {
      dir = g_path_get_dirname (bin);
      /* build/plugin/x.so, build/host/farmhand, build/tests/fuzz/fuzz-job */
      for (int up = 0; up < 3; up++)
        {
          g_autofree char *candidate = g_build_filename (dir, "..", "executor", NULL);
          g_autofree char *probe = g_build_filename (candidate, SHELL_EXECUTOR, NULL);
          g_autofree char *parent = NULL;
          if (g_file_test (probe, G_FILE_TEST_IS_EXECUTABLE))
            return g_canonicalize_filename (candidate, NULL);
          parent = g_path_get_dirname (dir);
          g_free (dir);
          dir = g_steal_pointer (&parent);
        }
    }
  return g_strdup (FH_LIBEXECDIR);
}

static char *
presets_path (void)
{
  const char *env = g_getenv ("FARMHAND_PRESETS");
  g_autofree char *dir = NULL;
  g_autofree char *beside = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  dir = fh_presets_executor_dir ();
  beside = g_build_filename (dir, PRESETS_FILE, NULL);
  if (g_file_test (beside, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&beside);
  return g_build_filename (FH_DATADIR, PRESETS_FILE, NULL);
}

static void
preset_free (gpointer p)
{
  FhPreset *preset = p;

  g_free (preset->name);
  g_free (preset->description);
  g_strfreev (preset->argv);
  g_free (preset);
}

static FhPreset *
parse_preset (const char *path, const char *name, JsonNode *node, GError **error)
{
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *argv_node = o ? json_object_get_member (o, "argv") : NULL;
  JsonArray *arr = argv_node && JSON_NODE_HOLDS_ARRAY (argv_node) ? json_node_get_array (argv_node) : NULL;
  FhPreset *preset;

  if (arr == NULL || json_array_get_length (arr) == 0)
    return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                          "%s: preset '%s' needs a non-empty \"argv\"", path, name);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      const char *arg = json_node_get_string (json_array_get_element (arr, i));
      if (arg == NULL)
        return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                              "%s: preset '%s': argv[%u] must be a string", path, name, i);
      g_strv_builder_add (argv, arg);
    }
  preset = g_new0 (FhPreset, 1);
  preset->name = g_strdup (name);
  preset->description = g_strdup (json_object_get_string_member_with_default (o, "description", ""));
  preset->argv = g_strv_builder_end (argv);
  preset->socket = g_strcmp0 (json_object_get_string_member_with_default (o, "backchannel", ""), "socket") == 0;
  preset->tested = json_object_get_boolean_member_with_default (o, "tested", FALSE);
  return preset;
}

static GPtrArray *
load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (JsonObject) root = NULL;
  g_autoptr (GPtrArray) presets = g_ptr_array_new_with_free_func (preset_free);
  g_autoptr (GList) names = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local) ||
      (root = fh_json_parse_object (text, -1, &local)) == NULL)
    return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_IO,
                          "cannot read the executor presets: %s", local->message);
  names = json_object_get_members (root);
  for (GList *l = names; l != NULL; l = l->next)
    {
      FhPreset *p;
      if (((char *) l->data)[0] == '$')
        continue;
      if ((p = parse_preset (path, l->data, json_object_get_member (root, l->data), error)) == NULL)
        return NULL;
      g_ptr_array_add (presets, p);
    }
  return g_steal_pointer (&presets);
}

static GPtrArray *loaded;
static GError *load_error;

GPtrArray *
fh_presets_get (GError **error)
{
  static gsize once;

  if (g_once_init_enter (&once))
    {
      g_autofree char *path = presets_path ();
      loaded = load (path, &load_error);
      g_once_init_leave (&once, 1);
    }
  if (loaded == NULL)
    g_propagate_error (error, g_error_copy (load_error));
  return loaded;
}

const FhPreset *
fh_presets_lookup (const char *name, GError **error)
{
  GPtrArray *all = fh_presets_get (error);

  for (guint i = 0; all != NULL && i < all->len; i++)
    if (g_strcmp0 (((FhPreset *) g_ptr_array_index (all, i))->name, name) == 0)
      return g_ptr_array_index (all, i);
  return NULL;
}

char **
fh_presets_expand_argv (const char *const *argv)
{
  g_autofree char *dir = fh_presets_executor_dir ();
  g_autofree char *shell_path = g_build_filename (dir, SHELL_EXECUTOR, NULL);
  g_autofree char *py_path = g_build_filename (dir, PYTHON_EXECUTOR, NULL);
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autoptr (GString) s = g_string_new (argv[i]);
      g_string_replace (s, "{farmhand_executor_py}", py_path, 0);
      g_string_replace (s, "{farmhand_executor}", shell_path, 0);
      g_strv_builder_add (out, s->str);
    }
  return g_strv_builder_end (out);
}
