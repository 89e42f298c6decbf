/* fh-presets.h — executor presets, as data (executor/presets.json), and
 * where the executors live.
 *
 * The executors and the presets file are found, in order: in
 * $FARMHAND_EXECUTOR_DIR; next to the code that asks (an "executor"
 * directory beside or above the binary: a build tree); in the installed
 * libexec directory.  $FARMHAND_PRESETS names a presets file to use
 * instead of the one found there (a studio's own presets).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *name;
  char *description;
  char **argv;          /* with {farmhand_executor}, {farmhand_executor_py} */
  gboolean socket;      /* "backchannel": "socket" */
  gboolean tested;      /* exercised by farmhand's own tests */
} FhPreset;

/* The directory holding farmhand-executor and farmhand_executor.py.
 * (transfer full) */
char *fh_presets_executor_dir (void);

/* The presets, loaded once per process (thread-safe).  Returns NULL and
 * sets @error when the file is missing or malformed.  (transfer none) */
GPtrArray *fh_presets_get (GError **error);

/* (transfer none) (nullable) */
const FhPreset *fh_presets_lookup (const char *name, GError **error);

/* @argv with {farmhand_executor} and {farmhand_executor_py} replaced by
 * the executors' paths.  (transfer full) */
char **fh_presets_expand_argv (const char *const *argv);

G_END_DECLS
