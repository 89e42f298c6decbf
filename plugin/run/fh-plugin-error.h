/* fh-plugin-error.h — the job-type plugin's own errors (what its ABI
 * glue and runner refuse), apart from a job's (FH_JOB_ERROR) and an
 * executor's (FH_EXECUTOR_ERROR). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * FhPluginError:
 * @FH_PLUGIN_ERROR_HOST: the host API struct is unusable (too small,
 *   another ABI major, a callback missing).
 * @FH_PLUGIN_ERROR_INPUT: a string the host passed is unusable (NULL,
 *   empty, not UTF-8, not the JSON it should be): options, a work item.
 * @FH_PLUGIN_ERROR_SESSION: an OpenJD session could not do its part: its
 *   working directory or an embedded file could not be made, an action's
 *   strings not resolved.
 */
typedef enum {
  FH_PLUGIN_ERROR_HOST,
  FH_PLUGIN_ERROR_INPUT,
  FH_PLUGIN_ERROR_SESSION,
} FhPluginError;

#define FH_PLUGIN_ERROR (fh_plugin_error_quark ())
GQuark fh_plugin_error_quark (void);

G_END_DECLS
