/* fh-plugin-module.h — loading a job-type plugin through its ABI.
 *
 * The loader refuses, with an FH_LOADER_ERROR that says what to do, a
 * module that cannot be opened, lacks the entry point, was built for
 * another ABI major or a newer ABI minor than this host, carries an
 * unknown license, or whose descriptor is malformed.
 */
#pragma once

#include <glib.h>

#include "fh-plugin.h"

G_BEGIN_DECLS

/* The module file name of farmhand's own job type. */
#define FH_JOBTYPE_MODULE "libfarmhand-jobtype.so"

typedef struct _FhPluginModule FhPluginModule;

/* (transfer full) */
FhPluginModule *fh_plugin_module_open (const char *path, GError **error);

/* Finds and opens farmhand's job type: $FARMHAND_PLUGIN, else next to the
 * host binary (a build tree's ../plugin/, or the same directory), else the
 * installed plugin directory.  (transfer full) */
FhPluginModule *fh_plugin_module_open_default (GError **error);

void fh_plugin_module_free (FhPluginModule *self);

/* (transfer none) */
const FhPluginDesc *fh_plugin_module_get_desc (FhPluginModule *self);
const char *fh_plugin_module_get_path (FhPluginModule *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhPluginModule, fh_plugin_module_free)

G_END_DECLS
