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

/* The same for an executor behind a transport: {farmhand_executor} and
 * {farmhand_executor_py} become @remote_executor (nullable: the local
 * paths, for a far side installed alike), {farmhand_bootstrap} the Python
 * loader that reads the executor's source from stdin (a 4-byte big-endian
 * length, then the source).  *@bootstrap is that source when the loader
 * is in the argv, else NULL; *@shown the argv for the log, joined, with
 * the loader as "{farmhand_bootstrap}".  (transfer full) */
char **fh_executor_dir_expand_remote_argv (const char *const *argv, const char *remote_executor,
                                           GBytes **bootstrap, char **shown, GError **error);

/* @argv after the transport's argv prefix @via (non-empty), quoted for
 * the remote shell when the transport is ssh (which joins its arguments
 * into one command line).  (transfer full) */
char **fh_executor_dir_prefix_argv (const char *const *via, const char *const *argv);

G_END_DECLS
