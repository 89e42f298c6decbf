/* fh-executor-path.c — locating the executors. */
#include "config.h"

#include "fh-executor-path.h"

#include <dlfcn.h>

#include "fh-error.h"

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

char *
fh_executor_dir (void)
{
  const char *env = g_getenv ("FARMHAND_EXECUTOR_DIR");
  g_autofree char *bin = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  bin = this_binary ();
  if (bin != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (bin);
      g_autofree char *sibling = g_build_filename (dir, "..", "executor", NULL);
      g_autofree char *probe = g_build_filename (sibling, SHELL_EXECUTOR, NULL);
      if (g_file_test (probe, G_FILE_TEST_IS_EXECUTABLE))
        return g_canonicalize_filename (sibling, NULL);
    }
  return g_strdup (FH_LIBEXECDIR);
}

static char *
replace_paths (const char *arg, const char *shell_path, const char *py_path)
{
  g_autoptr (GString) s = g_string_new (arg);

  g_string_replace (s, "{farmhand_executor_py}", py_path, 0);
  g_string_replace (s, "{farmhand_executor}", shell_path, 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

char **
fh_executor_argv_for_job (const FhJob *job, GError **error)
{
  g_autofree char *dir = fh_executor_dir ();
  g_autofree char *shell_path = g_build_filename (dir, SHELL_EXECUTOR, NULL);
  g_autofree char *py_path = g_build_filename (dir, PYTHON_EXECUTOR, NULL);
  const char *python = g_getenv ("FARMHAND_PYTHON");
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();

  if (job->executor_argv != NULL)
    for (guint i = 0; job->executor_argv[i] != NULL; i++)
      {
        g_autofree char *arg = replace_paths (job->executor_argv[i], shell_path, py_path);
        g_strv_builder_add (argv, arg);
      }
  else if (g_strcmp0 (job->executor, "shell") == 0)
    g_strv_builder_add (argv, shell_path);
  else if (g_strcmp0 (job->executor, "python") == 0)
    g_strv_builder_addv (argv, (const char *[]) {
        python != NULL && *python ? python : "python3", "-u", py_path, NULL });
  else
    return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                          "executor: no such preset '%s'", job->executor);
  return g_strv_builder_end (argv);
}
