/* fh-session-client.c — `farmhand session run ID ITEM`, the per-task
 * client: connects to the session, asks for one item, prints the item's
 * log as it streams and exits with its status.
 *
 * Plain libc on purpose: a scheduler that starts a process per task pays
 * this program's start for every frame.  Loading GLib, GIO and json-glib
 * costs ~2 ms here, three times `sh -c :` (benchmarks/RESULTS.md); this
 * starts like any small C program.  There is no event loop to hand-roll:
 * one request out, then blocking reads of frames until the result.
 * The session on the other side is GLib (fh-session-daemon.c).
 */
#include "fh-session-client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fh-session-path.h"
#include "fh-session-protocol.h"

typedef struct
{
  const char *id;
  const char *item;
  double wait_s;
  int openjd;
} Args;

/* "farmhand: WHAT ARG", the usage, and the usage error's exit code. */
static int
usage (const char *what, const char *arg)
{
  fprintf (stderr, "farmhand: %s%s\nUsage: farmhand session run ID ITEM [--wait S] [--openjd]\n"
                   "Run 'farmhand session --help' for the session commands.\n", what, arg);
  return FH_SESSION_EXIT_USAGE;
}

static int
parse_args (int argc, char **argv, Args *a)
{
  int positional = 0;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          printf ("Usage: farmhand session run ID ITEM [--wait S] [--openjd]\n\n"
                  "Run agenda item ITEM (its name, as 'farmhand expand' prints it) in session ID's\n"
                  "executor; print its log as it streams.\n\n"
                  "  --wait S   when another item runs, wait up to S seconds for it (default: refuse)\n"
                  "  --openjd   also print OpenJD's 'openjd_progress: N' lines\n\n"
                  "Exit status: 0 complete, 1 failed, 2 usage error or no such item,\n"
                  "3 no such session (or it ended), 4 refused (busy, or another user's).\n");
          exit (0);
        }
      if (strcmp (argv[i], "--openjd") == 0)
        a->openjd = 1;
      else if (strcmp (argv[i], "--wait") == 0 || strncmp (argv[i], "--wait=", 7) == 0)
        {
          const char *v = argv[i][6] == '=' ? argv[i] + 7 : (i + 1 < argc ? argv[++i] : NULL);
          char *end;
          if (v == NULL)
            return usage ("--wait needs a number of seconds", "");
          a->wait_s = strtod (v, &end);
          if (*v == '\0' || *end != '\0' || a->wait_s < 0)
            return usage ("--wait takes a number of seconds, not ", v);
        }
      else if (argv[i][0] == '-' && argv[i][1] != '\0')
        return usage ("unknown option ", argv[i]);
      else if (positional == 0)
        a->id = argv[i], positional++;
      else if (positional == 1)
        a->item = argv[i], positional++;
      else
        return usage ("unexpected argument ", argv[i]);
    }
  if (a->item == NULL)
    return usage ("session run needs a session ID and an item", "");
  return -1;
}

/* Connects to the session's socket; the path through /proc/self/fd when
 * it is longer than a socket address holds (deep working directories). */
static int
connect_session (const char *dir)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char path[4096];
  int dirfd = -1, fd, saved;

  if (fh_session_path_socket (dir, path, sizeof path) < 0)
    return -1;
  if (strlen (path) >= sizeof addr.sun_path)
    {
      if ((dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
      snprintf (path, sizeof path, "/proc/self/fd/%d/" FH_SESSION_SOCKET, dirfd);
    }
  memcpy (addr.sun_path, path, strlen (path) + 1);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      saved = errno;
      close (fd);
      fd = -1;
      errno = saved;
    }
  if (dirfd >= 0)
    {
      saved = errno;
      close (dirfd);
      errno = saved;
    }
  return fd;
}

/* All @len bytes sent (@sending) or read, retrying short transfers and
 * EINTR: 0, or -1 (errno set; 0 bytes read is the peer gone). */
static int
transfer_all (int fd, char *data, size_t len, int sending)
{
  while (len > 0)
    {
      ssize_t n = sending ? send (fd, data, len, MSG_NOSIGNAL) : read (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      data += n;
      len -= (size_t) n;
    }
  return 0;
}

static int
send_request (int fd, const Args *a)
{
  char wait[32], head[4];
  size_t wlen = (size_t) snprintf (wait, sizeof wait, "%lld", (long long) (a->wait_s * 1000));
  size_t ilen = strlen (a->item);
  size_t len = 4 + wlen + 1 + ilen;
  char *frame = malloc (4 + len);
  int ok;

  if (frame == NULL)
    return -1;
  head[0] = (char) (len >> 24), head[1] = (char) (len >> 16), head[2] = (char) (len >> 8), head[3] = (char) len;
  memcpy (frame, head, 4);
  memcpy (frame + 4, "run\0", 4);
  memcpy (frame + 8, wait, wlen + 1);
  memcpy (frame + 9 + wlen, a->item, ilen);
  ok = transfer_all (fd, frame, 4 + len, 1);
  free (frame);
  return ok;
}

/* The next frame's payload (malloc'd, NUL-terminated) and its length, or
 * NULL at the end of the stream. */
static char *
read_frame (int fd, size_t *len)
{
  unsigned char head[4];
  char *payload;

  if (transfer_all (fd, (char *) head, 4, 0) < 0)
    return NULL;
  *len = (size_t) head[0] << 24 | (size_t) head[1] << 16 | (size_t) head[2] << 8 | head[3];
  if (*len == 0 || *len > FH_SESSION_MAX_FRAME || (payload = malloc (*len + 1)) == NULL)
    return NULL;
  if (transfer_all (fd, payload, *len, 0) < 0)
    {
      free (payload);
      return NULL;
    }
  payload[*len] = '\0';
  return payload;
}

/* What one frame means for the run: -1 go on, else the exit code. */
static int
take_frame (const Args *a, const char *p, size_t len)
{
  const char *text = p + 1;

  switch (p[0])
    {
    case FH_SESSION_OUT:
      fwrite (text, 1, len - 1, stdout);
      fputc ('\n', stdout);
      fflush (stdout);
      return -1;
    case FH_SESSION_ERR:
    case FH_SESSION_NOTE:
      fwrite (text, 1, len - 1, stderr);
      fputc ('\n', stderr);
      return -1;
    case FH_SESSION_PROGRESS:
      if (a->openjd)
        {
          printf ("openjd_progress: %.1f\n", strtod (text, NULL) * 100);
          fflush (stdout);
        }
      return -1;
    case FH_SESSION_WAITING:
      fprintf (stderr, "farmhand: session %s is busy with item %s; waiting (up to %g s)\n", a->id,
               text, a->wait_s);
      return -1;
    case FH_SESSION_DONE:
      if (text[0] == '0')
        return FH_SESSION_EXIT_COMPLETE;
      fprintf (stderr, "farmhand: item %s failed: %s\n", a->item, text + 2);
      return FH_SESSION_EXIT_FAILED;
    case FH_SESSION_UNKNOWN:
      fprintf (stderr, "farmhand: %s\n", text);
      return FH_SESSION_EXIT_USAGE;
    case FH_SESSION_REFUSED:
      fprintf (stderr, "farmhand: session %s refused item %s: %s\n", a->id, a->item, text);
      return FH_SESSION_EXIT_REFUSED;
    case FH_SESSION_GONE:
      fprintf (stderr, "farmhand: session %s: %s\n", a->id, text);
      return FH_SESSION_EXIT_GONE;
    default:
      fprintf (stderr, "farmhand: session %s sent a frame of unknown kind '%c'\n", a->id, p[0]);
      return FH_SESSION_EXIT_GONE;
    }
}

int
fh_session_client_run (int argc, char **argv)
{
  Args a = { 0 };
  char dir[4096];
  int fd, code = parse_args (argc, argv, &a);

  if (code >= 0)
    return code;
  if (fh_session_path_dir (a.id, dir, sizeof dir) < 0)
    return usage ("session ID too long: ", a.id);
  if ((fd = connect_session (dir)) < 0)
    {
      if (errno == EACCES || errno == EPERM)
        {
          fprintf (stderr, "farmhand: session %s (%s) is not yours: %s\n", a.id, dir, strerror (errno));
          return FH_SESSION_EXIT_REFUSED;
        }
      fprintf (stderr, "farmhand: no session %s (%s): %s\n", a.id, dir,
               errno == ENOENT || errno == ECONNREFUSED ? "it is not running" : strerror (errno));
      return FH_SESSION_EXIT_GONE;
    }
  /* A session that refuses us at once (another user) may close before
   * the request is out: its answer is still there to read. */
  int send_errno = send_request (fd, &a) < 0 ? errno : 0;

  for (;;)
    {
      size_t len = 0;
      char *payload = read_frame (fd, &len);

      if (payload == NULL)
        {
          if (send_errno != 0)
            fprintf (stderr, "farmhand: session %s went away: %s\n", a.id, strerror (send_errno));
          else
            fprintf (stderr, "farmhand: session %s ended before item %s finished\n", a.id, a.item);
          code = FH_SESSION_EXIT_GONE;
          break;
        }
      code = take_frame (&a, payload, len);
      free (payload);
      if (code >= 0)
        break;
    }
  close (fd);
  return code;
}
