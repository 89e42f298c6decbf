/* fh-executor-dir.h — where farmhand's own executors live
 * (farmhand-executor, its bash builtin, farmhand_executor.py,
 * presets.json): $FARMHAND_EXECUTOR_DIR when set; else, for code loaded
 * from a build tree (config.h's FH_BUILD_ROOT), that tree's executor/;
 * else the installed FH_LIBEXECDIR.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* (transfer full) */
char *fh_executor_dir (void);

/* Whether this code was loaded from a build tree (config.h's FH_BUILD_ROOT):
 * then its data (executors, presets) is that tree's too. */
gboolean fh_executor_dir_in_build_tree (void);

/* @argv with {farmhand_executor} and {farmhand_executor_py} replaced by
 * the executors' paths.  (transfer full) */
char **fh_executor_dir_expand_argv (const char *const *argv);

G_END_DECLS
