/* fh-plugin-module.h — loading a job-type plugin through its ABI.
 *
 * The loader refuses, with an FH_LOADER_ERROR that says what to do, a
 * module that cannot be opened, lacks the entry point, was built for
 * another ABI major, carries an unknown license, or whose descriptor is
 * malformed.  A plugin of a newer minor loads: this host reads only the
 * members it knows (fh-plugin.h).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-plugin.h"

G_BEGIN_DECLS

/**
 * FhLoaderError: errors loading a job-type plugin.
 * @FH_LOADER_ERROR_OPEN: the module could not be opened.
 * @FH_LOADER_ERROR_NO_SYMBOL: the module lacks the descriptor entry point.
 * @FH_LOADER_ERROR_ABI_MISMATCH: the plugin was built for an incompatible ABI.
 * @FH_LOADER_ERROR_LICENSE: the plugin's license is not on the allow-list.
 * @FH_LOADER_ERROR_NOT_FOUND: no plugin was found where one was looked for.
 * @FH_LOADER_ERROR_INVALID: the descriptor is malformed (missing entry point).
 */
typedef enum {
  FH_LOADER_ERROR_OPEN,
  FH_LOADER_ERROR_NO_SYMBOL,
  FH_LOADER_ERROR_ABI_MISMATCH,
  FH_LOADER_ERROR_LICENSE,
  FH_LOADER_ERROR_NOT_FOUND,
  FH_LOADER_ERROR_INVALID,
} FhLoaderError;

#define FH_LOADER_ERROR (fh_loader_error_quark ())
GQuark fh_loader_error_quark (void);

/* The module file name of farmhand's own job type. */
#define FH_JOBTYPE_MODULE "libfarmhand-jobtype.so"

typedef struct _FhPluginModule FhPluginModule;

/* (transfer full) */
FhPluginModule *fh_plugin_module_open (const char *path, GError **error);

/* Finds and opens farmhand's job type: $FARMHAND_PLUGIN, else for a host
 * run from a build tree (config.h's FH_BUILD_ROOT) that tree's plugin/,
 * else the installed plugin directory.  (transfer full) */
FhPluginModule *fh_plugin_module_open_default (GError **error);

/* A loaded plugin stays loaded (see the .c); the reference is to this
 * handle.  (transfer full) */
FhPluginModule *fh_plugin_module_ref (FhPluginModule *self);
void fh_plugin_module_unref (FhPluginModule *self);

/* (transfer none) */
const FhPluginDesc *fh_plugin_module_get_desc (FhPluginModule *self);
const char *fh_plugin_module_get_path (FhPluginModule *self);

/* job_scan_log (ABI 1.1): what @job's log rules (@job nullable: those of
 * the log preset @preset alone) make of @len bytes of @log; @preset
 * (nullable) replaces the job's, @per_line adds "per_line".  Errors:
 * FH_HOST_ERROR_USAGE with the plugin's message (a bad preset),
 * FH_HOST_ERROR_PLUGIN for a 1.0 plugin or an answer that is not a JSON
 * object.  (transfer full) */
JsonObject *fh_plugin_module_scan_log (FhPluginModule *self, FhPluginJob *job, const char *log,
                                       gsize len, const char *preset, gboolean per_line,
                                       GError **error);

/* check_file (ABI 1.3): the document at @path checked without making a
 * job (an OpenJD environment template is not one): its outline, or
 * FH_HOST_ERROR_INVALID_JOB with the plugin's error object as detail,
 * FH_HOST_ERROR_PLUGIN for a plugin older than 1.3.  (transfer full) */
JsonObject *fh_plugin_module_check_file (FhPluginModule *self, const char *path, const char *options_json,
                                         GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhPluginModule, fh_plugin_module_unref)

G_END_DECLS
