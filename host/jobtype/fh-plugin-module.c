/* fh-plugin-module.c — the plugin loader.
 *
 * Checks run in the order a person would fix them: can it be opened, is it
 * a farmhand plugin at all, was it built for this host's ABI, is its
 * descriptor whole.  The descriptor is read only up to the size the plugin
 * says it has.
 */
#include "config.h"

#include "fh-plugin-module.h"

#include <stddef.h>
#include <string.h>

#include <gmodule.h>

#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-job-handle.h"
#include "fh-json.h"

G_DEFINE_QUARK (fh-loader-error-quark, fh_loader_error)

struct _FhPluginModule
{
  gint refs;
  GModule *module;
  const FhPluginDesc *desc;
  char *path;
};

/* SPDX identifiers a plugin may declare.  "Proprietary" is allowed: studios
 * load in-house plugins; the point is to refuse garbage descriptors. */
static const char *const known_licenses[] = {
  "MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC", "MPL-2.0",
  "LGPL-2.1-or-later", "LGPL-3.0-or-later", "GPL-2.0-or-later",
  "GPL-3.0-or-later", "Zlib", "Proprietary", NULL
};

/* The descriptor fields of ABI 1.0, which every 1.x plugin has. */
#define DESC_MIN_SIZE (offsetof (FhPluginDesc, job_agenda) + sizeof (void *))

static char *
expected_name (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  char *dot = strchr (base, '.');

  if (dot != NULL)
    *dot = '\0';
  return g_strdup (g_str_has_prefix (base, "lib") ? base + 3 : base);
}

static gboolean
check_abi (const FhPluginDesc *d, const char *path, GError **error)
{
  if (d->abi_major != FH_PLUGIN_ABI_MAJOR)
    return fh_throw (error, FH_LOADER_ERROR, FH_LOADER_ERROR_ABI_MISMATCH,
                     "%s was built for farmhand plugin ABI %u.%u, but this host "
                     "speaks ABI %d.%d: rebuild the plugin against this farmhand",
                     path, d->abi_major, d->abi_minor,
                     FH_PLUGIN_ABI_MAJOR, FH_PLUGIN_ABI_MINOR);
  /* A newer minor only added members, which this host does not read
   * (fh-plugin.h's one rule): it is welcome. */
  return TRUE;
}

static gboolean
check_desc (const FhPluginDesc *d, const char *path, GError **error)
{
  g_autofree char *want = expected_name (path);

  if (d->struct_size < DESC_MIN_SIZE)
    return fh_throw (error, FH_LOADER_ERROR, FH_LOADER_ERROR_INVALID,
                     "%s: descriptor is %u bytes, smaller than ABI %d.0's %zu",
                     path, d->struct_size, FH_PLUGIN_ABI_MAJOR, DESC_MIN_SIZE);
  if (d->name == NULL || strcmp (d->name, want) != 0)
    return fh_throw (error, FH_LOADER_ERROR, FH_LOADER_ERROR_INVALID,
                     "%s: plugin calls itself '%s' but its file name says '%s'",
                     path, d->name ? d->name : "(null)", want);
  if (d->license == NULL || !g_strv_contains (known_licenses, d->license))
    return fh_throw (error, FH_LOADER_ERROR, FH_LOADER_ERROR_LICENSE,
                     "%s: license '%s' is not a known SPDX identifier",
                     path, d->license ? d->license : "(null)");
  {
    const struct { const char *name; gboolean present; } entries[] = {
      { "job_new", d->job_new != NULL }, { "job_run", d->job_run != NULL },
      { "job_cancel", d->job_cancel != NULL }, { "job_free", d->job_free != NULL },
      { "free_string", d->free_string != NULL }, { "job_describe", d->job_describe != NULL },
      { "job_agenda", d->job_agenda != NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
      if (!entries[i].present)
        return fh_throw (error, FH_LOADER_ERROR, FH_LOADER_ERROR_INVALID,
                         "%s: descriptor lacks the %s entry point", path, entries[i].name);
  }
  return TRUE;
}

FhPluginModule *
fh_plugin_module_open (const char *path, GError **error)
{
  g_autoptr (FhPluginModule) self = g_new0 (FhPluginModule, 1);
  FhPluginGetDescFunc get_desc = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  self->refs = 1;
  self->path = g_strdup (path);
  self->module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (self->module == NULL)
    return fh_throw_null (error, FH_LOADER_ERROR, FH_LOADER_ERROR_OPEN,
                          "cannot load plugin: %s", g_module_error ());
  if (!g_module_symbol (self->module, FH_PLUGIN_SYMBOL, (gpointer *) &get_desc) ||
      get_desc == NULL)
    return fh_throw_null (error, FH_LOADER_ERROR, FH_LOADER_ERROR_NO_SYMBOL,
                          "%s is not a farmhand plugin: it has no %s()",
                          path, FH_PLUGIN_SYMBOL);
  self->desc = get_desc ();
  if (self->desc == NULL)
    return fh_throw_null (error, FH_LOADER_ERROR, FH_LOADER_ERROR_INVALID,
                          "%s: %s() returned no descriptor", path, FH_PLUGIN_SYMBOL);
  if (!check_abi (self->desc, path, error) || !check_desc (self->desc, path, error))
    return NULL;
  /* Plugins (and the libraries they pull in, like json-glib) register
   * GTypes, which cannot be unregistered: unloading one would leave the
   * type system pointing into unmapped code.  Loaded means loaded. */
  g_module_make_resident (self->module);
  return g_steal_pointer (&self);
}

static char *
find_default (void)
{
  const char *env = g_getenv ("FARMHAND_PLUGIN");
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *build_root = g_strconcat (FH_BUILD_ROOT, G_DIR_SEPARATOR_S, NULL);

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (exe != NULL && g_str_has_prefix (exe, build_root))
    return g_build_filename (FH_BUILD_ROOT, "plugin", FH_JOBTYPE_MODULE, NULL);
  return g_build_filename (FH_PLUGINDIR, FH_JOBTYPE_MODULE, NULL);
}

FhPluginModule *
fh_plugin_module_open_default (GError **error)
{
  g_autofree char *path = find_default ();

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return fh_throw_null (error, FH_LOADER_ERROR, FH_LOADER_ERROR_NOT_FOUND,
                          "no job-type plugin found (looked next to this program "
                          "and at %s); set FARMHAND_PLUGIN or pass --plugin", path);
  return fh_plugin_module_open (path, error);
}

FhPluginModule *
fh_plugin_module_ref (FhPluginModule *self)
{
  g_atomic_int_inc (&self->refs);
  return self;
}

void
fh_plugin_module_unref (FhPluginModule *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->refs))
    return;
  if (self->module != NULL)
    g_module_close (self->module);
  g_free (self->path);
  g_free (self);
}

const FhPluginDesc *
fh_plugin_module_get_desc (FhPluginModule *self)
{
  return self->desc;
}

const char *
fh_plugin_module_get_path (FhPluginModule *self)
{
  return self->path;
}

static char *
scan_options (const char *preset, gboolean per_line)
{
  g_autoptr (JsonObject) o = json_object_new ();

  if (preset != NULL)
    json_object_set_string_member (o, "preset", preset);
  json_object_set_boolean_member (o, "per_line", per_line);
  return fh_json_object_to_string (o);
}

JsonObject *
fh_plugin_module_scan_log (FhPluginModule *self, FhPluginJob *job, const char *log, gsize len,
                           const char *preset, gboolean per_line, GError **error)
{
  const FhPluginDesc *d = self->desc;
  g_autofree char *options = scan_options (preset, per_line);
  g_autoptr (GError) bad = NULL;
  g_autofree char *json = NULL;
  JsonObject *result;
  char *msg = NULL;
  char *text;

  if (!FH_PLUGIN_HAS (d, job_scan_log))
    return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                          "%s speaks plugin ABI %u.%u: it cannot scan a log (job_scan_log is ABI 1.1)",
                          self->path, d->abi_major, d->abi_minor);
  if ((text = d->job_scan_log (job, log, len, options, &msg)) == NULL)
    {
      g_autofree char *why = g_strdup (msg ? msg : "the plugin scanned nothing");
      if (msg != NULL)
        d->free_string (msg);
      return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE, "%s", why);
    }
  json = g_strdup (text);
  d->free_string (text);
  if ((result = fh_json_parse_object (json, -1, &bad)) == NULL)
    return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                          "the plugin's job_scan_log: %s", bad->message);
  return result;
}

JsonObject *
fh_plugin_module_check_file (FhPluginModule *self, const char *path, const char *options_json, GError **error)
{
  const FhPluginDesc *d = self->desc;
  g_autoptr (GError) bad = NULL;
  g_autofree char *json = NULL, *why = NULL;
  g_autoptr (JsonObject) detail = NULL;
  char *msg = NULL, *text;
  GError *e;

  if (!FH_PLUGIN_HAS (d, check_file))
    return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                          "%s speaks plugin ABI %u.%u: it cannot check a file (check_file is ABI 1.3)",
                          self->path, d->abi_major, d->abi_minor);
  if ((text = d->check_file (path, options_json, &msg)) != NULL)
    {
      json = g_strdup (text);
      d->free_string (text);
      if (msg != NULL)
        d->free_string (msg);
      return fh_json_parse_object (json, -1, error);
    }
  why = g_strdup (msg ? msg : "{}");
  if (msg != NULL)
    d->free_string (msg);
  if ((detail = fh_json_parse_object (why, -1, &bad)) == NULL)
    return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN, "the plugin's check_file: %s", bad->message);
  {
    g_autofree char *lines = fh_job_problems_to_text (detail);
    e = g_error_new (FH_HOST_ERROR, FH_HOST_ERROR_INVALID_JOB, "%s", lines);
  }
  fh_host_error_set_detail (e, detail);
  g_propagate_error (error, e);
  return NULL;
}
