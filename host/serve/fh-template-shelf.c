/* fh-template-shelf.c — the templates folder of the farm UI (see the
 * header). */
#include "config.h"

#include "fh-template-shelf.h"

#include <gio/gio.h>
#include <string.h>

#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-plugin-module.h"

struct _FhTemplateShelf
{
  char *dir;
  FhPluginModule *module;
};

FhTemplateShelf *
fh_template_shelf_new (const char *dir, GError **error)
{
  g_autoptr (FhTemplateShelf) self = g_new0 (FhTemplateShelf, 1);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return fh_throw_null (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
                          "--templates %s: not a directory of job templates", dir);
  self->dir = g_canonicalize_filename (dir, NULL);
  if ((self->module = fh_plugin_module_open_default (error)) == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

void
fh_template_shelf_free (FhTemplateShelf *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->module, fh_plugin_module_unref);
  g_free (self->dir);
  g_free (self);
}

static gboolean
has_template_extension (const char *name)
{
  return g_str_has_suffix (name, ".yaml") || g_str_has_suffix (name, ".yml") || g_str_has_suffix (name, ".json");
}

/* A bundle directory holds template.yaml|yml|json. */
static gboolean
is_bundle (const char *path)
{
  static const char *const names[] = { "template.yaml", "template.yml", "template.json" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *t = g_build_filename (path, names[i], NULL);
      if (g_file_test (t, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }
  return FALSE;
}

/* Entry @entry of the folder as a template: its name (the stem), or NULL
 * when it is neither a template file nor a bundle.  (transfer full) */
static char *
template_name (FhTemplateShelf *self, const char *entry, gboolean *bundle)
{
  g_autofree char *path = g_build_filename (self->dir, entry, NULL);

  if (entry[0] == '.')
    return NULL;
  if ((*bundle = g_file_test (path, G_FILE_TEST_IS_DIR)))
    return is_bundle (path) ? g_strdup (entry) : NULL;
  if (!has_template_extension (entry) || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return g_strndup (entry, strrchr (entry, '.') - entry);
}

/* The form of template @path (named @name), as the plugin outlines it;
 * NULL (no error) for a file that is not an OpenJD job template. */
static JsonObject *
describe (FhTemplateShelf *self, const char *name, const char *path, gboolean bundle, GError **error)
{
  g_autoptr (JsonObject) outline = fh_plugin_module_check_file (self->module, path, "{\"format\":\"openjd\"}", error);
  JsonObject *o;

  if (outline == NULL)
    return NULL;
  if (g_strcmp0 (json_object_get_string_member_with_default (outline, "kind", NULL), "jobtemplate-2023-09") != 0)
    return NULL;
  o = json_object_new ();
  json_object_set_string_member (o, "name", name);
  json_object_set_string_member (o, "title", json_object_get_string_member_with_default (outline, "name", name));
  json_object_set_string_member (o, "kind", bundle ? "bundle" : "template");
  if (json_object_has_member (outline, "description"))
    json_object_set_string_member (o, "description", json_object_get_string_member (outline, "description"));
  json_object_set_member (o, "parameters", json_node_copy (json_object_get_member (outline, "parameter_definitions")));
  json_object_set_member (o, "steps", json_node_copy (json_object_get_member (outline, "steps")));
  if (json_object_has_member (outline, "bundle_values"))
    json_object_set_member (o, "values", json_node_copy (json_object_get_member (outline, "bundle_values")));
  return o;
}

static gint
by_name (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

/* The folder's entries, sorted.  (transfer full) */
static GPtrArray *
entries (FhTemplateShelf *self, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (self->dir, 0, error);
  GPtrArray *names;
  const char *n;

  if (d == NULL)
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((n = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, by_name);
  return names;
}

static void
add_broken (JsonArray *broken, const char *name, const GError *error)
{
  JsonObject *b = json_object_new ();
  JsonObject *detail = fh_host_error_get_detail (error);

  json_object_set_string_member (b, "name", name);
  json_object_set_string_member (b, "error", error->message);
  if (detail != NULL && json_object_has_member (detail, "problems"))
    json_object_set_member (b, "problems", json_node_copy (json_object_get_member (detail, "problems")));
  json_array_add_object_element (broken, b);
}

JsonObject *
fh_template_shelf_list (FhTemplateShelf *self, GError **error)
{
  g_autoptr (GPtrArray) names = entries (self, error);
  JsonObject *o;
  JsonArray *templates, *broken;

  if (names == NULL)
    return NULL;
  o = json_object_new ();
  templates = json_array_new ();
  broken = json_array_new ();
  for (guint i = 0; i < names->len; i++)
    {
      const char *entry = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (self->dir, entry, NULL);
      g_autoptr (GError) err = NULL;
      gboolean bundle;
      g_autofree char *name = template_name (self, entry, &bundle);
      JsonObject *t;
      if (name == NULL)
        continue;
      if ((t = describe (self, name, path, bundle, &err)) != NULL)
        json_array_add_object_element (templates, t);
      else if (err != NULL)
        add_broken (broken, name, err);
    }
  json_object_set_array_member (o, "templates", templates);
  json_object_set_array_member (o, "broken", broken);
  return o;
}

char *
fh_template_shelf_find (FhTemplateShelf *self, const char *name, JsonObject **outline, GError **error)
{
  g_autoptr (GPtrArray) names = entries (self, error);

  if (names == NULL)
    return NULL;
  for (guint i = 0; i < names->len; i++)
    {
      const char *entry = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (self->dir, entry, NULL);
      g_autofree char *stem = NULL;
      JsonObject *t;
      gboolean bundle;
      if ((stem = template_name (self, entry, &bundle)) == NULL || strcmp (stem, name) != 0)
        continue;
      if ((t = describe (self, name, path, bundle, error)) == NULL)
        {
          if (error == NULL || *error == NULL)
            break;
          return NULL;
        }
      if (outline != NULL)
        *outline = t;
      else
        json_object_unref (t);
      return g_steal_pointer (&path);
    }
  return fh_throw_null (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no job template '%s' in %s", name, self->dir);
}
