/* fh-session-path.c — where sessions live (see the header). */
#include "fh-session-path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
fit (int n, size_t size)
{
  if (n < 0 || (size_t) n >= size)
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  return 0;
}

int
fh_session_path_base (char *buf, size_t size)
{
  const char *runtime = getenv ("XDG_RUNTIME_DIR");

  if (runtime != NULL && runtime[0] == '/')
    return fit (snprintf (buf, size, "%s/farmhand/sessions", runtime), size);
  return fit (snprintf (buf, size, "/tmp/farmhand-%u/sessions", (unsigned) getuid ()), size);
}

int
fh_session_path_dir (const char *id, char *buf, size_t size)
{
  char base[4096];

  if (strchr (id, '/') != NULL)
    return fit (snprintf (buf, size, "%s", id), size);
  if (fh_session_path_base (base, sizeof base) < 0)
    return -1;
  return fit (snprintf (buf, size, "%s/%s", base, id), size);
}

int
fh_session_path_socket (const char *dir, char *buf, size_t size)
{
  return fit (snprintf (buf, size, "%s/" FH_SESSION_SOCKET, dir), size);
}
