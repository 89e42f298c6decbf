/* fh-executor-presets.h — executor presets, as data: a JSON object of named
 * presets, each {"argv": [...], "bootstrap_argv": [...], "description",
 * "backchannel", "tested"}
 * (executor/presets.json; a studio points FARMHAND_PRESETS at its own).
 * Where farmhand's executors are is fh-executor-dir.h's business.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *name;
  char *description;
  char **argv;          /* with {farmhand_executor}, {farmhand_executor_py} */
  char **bootstrap_argv;  /* nullable: "bootstrap_argv", the argv through a
                             transport with nothing installed on the far
                             side: {farmhand_bootstrap} is a loader that
                             reads the executor's source from stdin */
  gboolean socket;      /* "backchannel": "socket" */
  gboolean tested;      /* exercised by farmhand's own tests */
  char *log_preset;     /* nullable: "log_preset", the log preset its jobs use
                           unless they say otherwise */
} FhExecutorPreset;

typedef struct _FhPresets FhExecutorPresets;

/* Presets from the JSON text @data; @source names it in errors
 * (FH_JOB_ERROR_INVALID naming the preset and field).  (transfer full) */
FhExecutorPresets *fh_executor_presets_new_from_data (const char *data, const char *source, GError **error);
void fh_executor_presets_free (FhExecutorPresets *self);

/* The presets farmhand runs with, read once per process (thread-safe):
 * $FARMHAND_PRESETS, else presets.json in the executor directory, else
 * the installed one.  NULL with @error when missing or malformed.
 * (transfer none) */
FhExecutorPresets *fh_executor_presets_get_default (GError **error);

/* (transfer none) (nullable) */
const FhExecutorPreset *fh_executor_presets_lookup (FhExecutorPresets *self, const char *name);
/* Every preset's name.  (transfer full) */
char **fh_executor_presets_names (FhExecutorPresets *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhExecutorPresets, fh_executor_presets_free)

G_END_DECLS
