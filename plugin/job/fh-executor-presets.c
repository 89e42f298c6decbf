/* fh-executor-presets.c — executor presets (see the header). */
#include "config.h"

#include "fh-executor-presets.h"

#include "fh-error.h"
#include "fh-executor-dir.h"
#include "fh-job-error.h"
#include "fh-json.h"

#define PRESETS_FILE "presets.json"

struct _FhPresets
{
  GPtrArray *all;   /* FhExecutorPreset* */
};

static void
preset_free (gpointer p)
{
  FhExecutorPreset *preset = p;

  g_free (preset->name);
  g_free (preset->description);
  g_free (preset->log_preset);
  g_strfreev (preset->argv);
  g_strfreev (preset->bootstrap_argv);
  g_free (preset);
}

/* The non-empty string array @field of preset @name; NULL with @error
 * when it is anything else (or missing and @required, else NULL alone). */
static char **
parse_argv (const char *source, const char *name, JsonObject *o, const char *field,
            gboolean required, GError **error)
{
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  JsonNode *argv_node = o ? json_object_get_member (o, field) : NULL;
  JsonArray *arr = argv_node && JSON_NODE_HOLDS_ARRAY (argv_node) ? json_node_get_array (argv_node) : NULL;

  if (argv_node == NULL && !required)
    return NULL;
  if (arr == NULL || json_array_get_length (arr) == 0)
    return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                          "%s: %s.%s: a preset needs a non-empty array of strings", source, name, field);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      const char *arg = json_node_get_string (json_array_get_element (arr, i));
      if (arg == NULL)
        return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                              "%s: %s.%s[%u]: must be a string", source, name, field, i);
      g_strv_builder_add (argv, arg);
    }
  return g_strv_builder_end (argv);
}

static FhExecutorPreset *
parse_preset (const char *source, const char *name, JsonNode *node, GError **error)
{
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  g_auto (GStrv) argv = parse_argv (source, name, o, "argv", TRUE, error);
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) bootstrap = argv ? parse_argv (source, name, o, "bootstrap_argv", FALSE, &local) : NULL;
  FhExecutorPreset *preset;

  if (argv == NULL)
    return NULL;
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  preset = g_new0 (FhExecutorPreset, 1);
  preset->name = g_strdup (name);
  preset->description = g_strdup (json_object_get_string_member_with_default (o, "description", ""));
  preset->argv = g_steal_pointer (&argv);
  preset->bootstrap_argv = g_steal_pointer (&bootstrap);
  preset->socket = g_strcmp0 (json_object_get_string_member_with_default (o, "backchannel", ""), "socket") == 0;
  preset->tested = json_object_get_boolean_member_with_default (o, "tested", FALSE);
  preset->log_preset = g_strdup (json_object_get_string_member_with_default (o, "log_preset", NULL));
  return preset;
}

FhExecutorPresets *
fh_executor_presets_new_from_data (const char *data, const char *source, GError **error)
{
  g_autoptr (FhExecutorPresets) self = g_new0 (FhExecutorPresets, 1);
  g_autoptr (JsonObject) root = NULL;
  g_autoptr (GList) names = NULL;
  g_autoptr (GError) local = NULL;

  self->all = g_ptr_array_new_with_free_func (preset_free);
  if ((root = fh_json_parse_object (data, -1, &local)) == NULL)
    return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID, "%s: %s", source, local->message);
  names = json_object_get_members (root);
  for (GList *l = names; l != NULL; l = l->next)
    {
      FhExecutorPreset *p;
      if (((char *) l->data)[0] == '$')
        continue;
      if ((p = parse_preset (source, l->data, json_object_get_member (root, l->data), error)) == NULL)
        return NULL;
      g_ptr_array_add (self->all, p);
    }
  return g_steal_pointer (&self);
}

void
fh_executor_presets_free (FhExecutorPresets *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->all);
  g_free (self);
}

static char *
default_path (void)
{
  const char *env = g_getenv ("FARMHAND_PRESETS");
  g_autofree char *dir = NULL;
  g_autofree char *beside = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  dir = fh_executor_dir ();
  beside = g_build_filename (dir, PRESETS_FILE, NULL);
  if (g_file_test (beside, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&beside);
  return g_build_filename (FH_DATADIR, PRESETS_FILE, NULL);
}

static FhExecutorPresets *
load_default (GError **error)
{
  g_autofree char *path = default_path ();
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "the executor presets: ");
      return NULL;
    }
  return fh_executor_presets_new_from_data (text, path, error);
}

static FhExecutorPresets *loaded;
static GError *load_error;

FhExecutorPresets *
fh_executor_presets_get_default (GError **error)
{
  static gsize once;

  if (g_once_init_enter (&once))
    {
      loaded = load_default (&load_error);
      g_once_init_leave (&once, 1);
    }
  if (loaded == NULL)
    g_propagate_error (error, g_error_copy (load_error));
  return loaded;
}

const FhExecutorPreset *
fh_executor_presets_lookup (FhExecutorPresets *self, const char *name)
{
  for (guint i = 0; i < self->all->len; i++)
    if (g_strcmp0 (((FhExecutorPreset *) g_ptr_array_index (self->all, i))->name, name) == 0)
      return g_ptr_array_index (self->all, i);
  return NULL;
}

char **
fh_executor_presets_names (FhExecutorPresets *self)
{
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();

  for (guint i = 0; i < self->all->len; i++)
    g_strv_builder_add (names, ((FhExecutorPreset *) g_ptr_array_index (self->all, i))->name);
  return g_strv_builder_end (names);
}
