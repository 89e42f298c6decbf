/* fh-launcher.c — the farmhand command.  `farmhand session run` is answered
 * here, in plain libc (fh-session-client.c: a scheduler may start it for
 * every frame, so it must start fast); every other command is in the
 * host module, libfarmhand-host.so, loaded here on demand with GLib and
 * everything else it needs. */
#include "config.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fh-session-client.h"

#define HOST_MODULE "libfarmhand-host.so"

/* Beside this program in a build tree (config.h's FH_BUILD_ROOT), else
 * the installed libexec directory. */
static void
host_module_path (char *buf, size_t size)
{
  char exe[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  size_t root = strlen (FH_BUILD_ROOT);

  if (n > 0)
    exe[n] = '\0';
  if (n > 0 && strncmp (exe, FH_BUILD_ROOT, root) == 0 && exe[root] == '/')
    snprintf (buf, size, "%s/host/%s", FH_BUILD_ROOT, HOST_MODULE);
  else
    snprintf (buf, size, "%s/%s", FH_LIBEXECDIR, HOST_MODULE);
}

int
main (int argc, char **argv)
{
  char path[PATH_MAX];
  void *module;
  int (*host_main) (int, char **);

  if (argc >= 3 && strcmp (argv[1], "session") == 0 && strcmp (argv[2], "run") == 0)
    return fh_session_client_run (argc - 2, argv + 2);
  host_module_path (path, sizeof path);
  if ((module = dlopen (path, RTLD_NOW | RTLD_LOCAL)) == NULL)
    {
      fprintf (stderr, "farmhand: cannot load farmhand's host module: %s\n", dlerror ());
      return 2;
    }
  if ((host_main = (int (*) (int, char **)) dlsym (module, "fh_cli_main")) == NULL)
    {
      fprintf (stderr, "farmhand: %s has no fh_cli_main(): %s\n", path, dlerror ());
      return 2;
    }
  return host_main (argc, argv);
}
