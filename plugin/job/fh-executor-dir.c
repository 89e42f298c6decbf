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

/* The first stage of a Python executor that nothing installed (as
 * execnet and mitogen bootstrap): read the source from stdin, unbuffered,
 * so that the frames after it stay there, and run it on the stdio channel.
 * Plain enough to survive g_shell_quote() and one remote shell. */
static const char bootstrap_loader[] =
  "import os,sys\n"
  "def r(n):\n"
  " b=b''\n"
  " while len(b)<n:\n"
  "  c=os.read(0,n-len(b))\n"
  "  if not c:sys.exit('farmhand: stdin ended before the executor source did')\n"
  "  b+=c\n"
  " return b\n"
  "g={'__name__':'farmhand_executor','__file__':'<farmhand_executor>'}\n"
  "exec(compile(r(int.from_bytes(r(4),'big')),'<farmhand_executor>','exec'),g)\n"
  "sys.exit(g['main'](channel='stdio'))\n";

/* {farmhand_bootstrap} becomes @loader (nullable: stays as it is). */
static char **
expand (const char *const *argv, const char *shell_path, const char *py_path, const char *loader,
        gboolean *bootstraps)
{
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autoptr (GString) s = g_string_new (argv[i]);
      g_string_replace (s, "{farmhand_executor_py}", py_path, 0);
      g_string_replace (s, "{farmhand_executor}", shell_path, 0);
      if (loader != NULL && g_string_replace (s, "{farmhand_bootstrap}", loader, 0) > 0)
        *bootstraps = TRUE;
      g_strv_builder_add (out, s->str);
    }
  return g_strv_builder_end (out);
}

char **
fh_executor_dir_expand_argv (const char *const *argv)
{
  g_autofree char *dir = fh_executor_dir ();
  g_autofree char *shell_path = g_build_filename (dir, SHELL_EXECUTOR, NULL);
  g_autofree char *py_path = g_build_filename (dir, PYTHON_EXECUTOR, NULL);

  return expand (argv, shell_path, py_path, NULL, NULL);
}

char **
fh_executor_dir_expand_remote_argv (const char *const *argv, const char *remote_executor,
                                    GBytes **bootstrap, char **shown, GError **error)
{
  g_autofree char *dir = fh_executor_dir ();
  g_autofree char *shell_path = g_build_filename (dir, SHELL_EXECUTOR, NULL);
  g_autofree char *py_path = g_build_filename (dir, PYTHON_EXECUTOR, NULL);
  gboolean bootstraps = FALSE;
  const char *shell = remote_executor ? remote_executor : shell_path;
  const char *py = remote_executor ? remote_executor : py_path;
  g_auto (GStrv) out = expand (argv, shell, py, bootstrap_loader, &bootstraps);
  g_auto (GStrv) display = expand (argv, shell, py, NULL, NULL);
  g_autofree char *source = NULL;
  gsize len = 0;

  *bootstrap = NULL;
  *shown = g_strjoinv (" ", display);
  if (bootstraps)
    {
      if (!g_file_get_contents (py_path, &source, &len, error))
        return NULL;
      *bootstrap = g_bytes_new_take (g_steal_pointer (&source), len);
    }
  return g_steal_pointer (&out);
}

/* ssh hands the remote shell one string: the executor's argv must reach
 * it quoted.  Every other transport passes argv on as it is. */
static gboolean
takes_a_command_line (const char *transport)
{
  g_autofree char *name = g_path_get_basename (transport);

  return g_strcmp0 (name, "ssh") == 0;
}

char **
fh_executor_dir_prefix_argv (const char *const *via, const char *const *argv)
{
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();
  gboolean quote = takes_a_command_line (via[0]);

  g_strv_builder_addv (out, (const char **) via);
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *arg = quote ? g_shell_quote (argv[i]) : g_strdup (argv[i]);
      g_strv_builder_add (out, arg);
    }
  return g_strv_builder_end (out);
}
