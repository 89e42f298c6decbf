/* fh-executor-dir.c — where the executors live (see the header). */
#include "config.h"

#include "fh-executor-dir.h"

#include <dlfcn.h>

#define SHELL_EXECUTOR "farmhand-executor"
#define PYTHON_EXECUTOR "farmhand_executor.py"

/* The file holding this code: the plugin .so, or a binary linking it. */
static char *
this_binary (void)
{
  Dl_info info;

  if (dladdr ((void *) this_binary, &info) != 0 && info.dli_fname != NULL &&
      g_path_is_absolute (info.dli_fname))
    return g_strdup (info.dli_fname);
  /* dladdr names the main program as it was invoked; ask the kernel. */
  return g_file_read_link ("/proc/self/exe", NULL);
}

gboolean
fh_executor_dir_in_build_tree (void)
{
  g_autofree char *bin = this_binary ();
  g_autofree char *build_root = g_strconcat (FH_BUILD_ROOT, G_DIR_SEPARATOR_S, NULL);

  return bin != NULL && g_str_has_prefix (bin, build_root);
}

char *
fh_executor_dir (void)
{
  const char *env = g_getenv ("FARMHAND_EXECUTOR_DIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (fh_executor_dir_in_build_tree ())
    return g_build_filename (FH_BUILD_ROOT, "executor", NULL);
  return g_strdup (FH_LIBEXECDIR);
}

char **
fh_executor_dir_expand_argv (const char *const *argv)
{
  g_autofree char *dir = fh_executor_dir ();
  g_autofree char *shell_path = g_build_filename (dir, SHELL_EXECUTOR, NULL);
  g_autofree char *py_path = g_build_filename (dir, PYTHON_EXECUTOR, NULL);
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autoptr (GString) s = g_string_new (argv[i]);
      g_string_replace (s, "{farmhand_executor_py}", py_path, 0);
      g_string_replace (s, "{farmhand_executor}", shell_path, 0);
      g_strv_builder_add (out, s->str);
    }
  return g_strv_builder_end (out);
}
