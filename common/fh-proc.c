/* fh-proc.c — finding and ending leftover processes via /proc. */
#include "config.h"

#include "fh-proc.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

gboolean
fh_proc_become_subreaper (void)
{
  return prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
}

/* Field 6 of /proc/PID/stat (the session) and the state, of @pid. */
static gboolean
read_session (pid_t pid, char *state, pid_t *sid)
{
  char path[64], buf[512];
  FILE *f;
  size_t n;
  char *close_paren;
  int ppid, pgrp, session;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  if ((f = fopen (path, "re")) == NULL)
    return FALSE;
  n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  if ((close_paren = strrchr (buf, ')')) == NULL ||
      sscanf (close_paren + 1, " %c %d %d %d", state, &ppid, &pgrp, &session) != 4)
    return FALSE;
  *sid = session;
  return TRUE;
}

/* The zombies among the children listed in @path (a task's "children"). */
static guint
reap_listed (const char *path, pid_t our_sid)
{
  char buf[4096];
  FILE *f = fopen (path, "re");
  size_t n;
  guint reaped = 0;
  char *p, *end;

  if (f == NULL)
    return 0;
  n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  for (p = buf; *p != '\0'; p = end)
    {
      long pid = strtol (p, &end, 10);
      char state;
      pid_t sid;
      if (end == p)
        break;
      /* Born in another session than ours and not its leader: not a child
       * we spawned (ours keep our session or lead their own), an orphan. */
      if (pid > 0 && read_session ((pid_t) pid, &state, &sid) && state == 'Z' && sid != our_sid && sid != pid &&
          waitpid ((pid_t) pid, NULL, WNOHANG) == pid)
        reaped++;
    }
  return reaped;
}

guint
fh_proc_reap_orphans (void)
{
  DIR *d = opendir ("/proc/self/task");
  struct dirent *e;
  pid_t our_sid = getsid (0);
  guint reaped = 0;

  if (d == NULL)
    return 0;
  while ((e = readdir (d)) != NULL)
    {
      char path[300];
      if (e->d_name[0] == '.')
        continue;
      snprintf (path, sizeof path, "/proc/self/task/%s/children", e->d_name);
      reaped += reap_listed (path, our_sid);
    }
  closedir (d);
  return reaped;
}

void
fh_proc_child_setup (pid_t parent, int death_signal)
{
  sigset_t none;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
  prctl (PR_SET_PDEATHSIG, death_signal);
  /* The parent may have died before prctl: nobody would signal us. */
  if (getppid () != parent)
    _exit (127);
}

/* Parent and process group from /proc/PID/stat: "pid (comm) S ppid pgrp ..."
 * where comm may hold spaces and parentheses, so parse after the last ')'. */
static gboolean
read_stat (const char *pid, pid_t *ppid, pid_t *pgrp)
{
  char path[64], buf[512];
  FILE *f;
  size_t n;
  char *close_paren;
  char state;
  int a, b;

  snprintf (path, sizeof path, "/proc/%s/stat", pid);
  if ((f = fopen (path, "re")) == NULL)
    return FALSE;
  n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  if ((close_paren = strrchr (buf, ')')) == NULL ||
      sscanf (close_paren + 1, " %c %d %d", &state, &a, &b) != 3)
    return FALSE;
  *ppid = a;
  *pgrp = b;
  /* A zombie is already dead: nothing to signal, only to reap. */
  return state != 'Z';
}

/* Whether @pid is an ancestor of ours: a wrapper that started us (`sh -c`)
 * may share our process group, and is not ours to end. */
static gboolean
is_ancestor (pid_t pid)
{
  pid_t p = getppid (), parent, group;
  char name[32];

  for (guint depth = 0; p > 1 && depth < 64; depth++)
    {
      if (p == pid)
        return TRUE;
      snprintf (name, sizeof name, "%d", (int) p);
      if (!read_stat (name, &parent, &group))
        return FALSE;
      p = parent;
    }
  return FALSE;
}

GArray *
fh_proc_find (pid_t pgid, pid_t ppid)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (pid_t));
  pid_t self = getpid ();
  DIR *d = opendir ("/proc");
  struct dirent *e;

  if (d == NULL)
    return out;
  while ((e = readdir (d)) != NULL)
    {
      pid_t pid, p, g;
      char *end;

      pid = (pid_t) strtol (e->d_name, &end, 10);
      if (*end != '\0' || pid <= 0 || pid == self || !read_stat (e->d_name, &p, &g) ||
          (g == pgid && is_ancestor (pid)))
        continue;
      if ((pgid != 0 && g == pgid) || (ppid != 0 && p == ppid))
        g_array_append_val (out, pid);
    }
  closedir (d);
  return out;
}

static void
reap_adopted (void)
{
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
}

guint
fh_proc_end (pid_t pgid, pid_t ppid, int signum, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint left;

  for (;;)
    {
      g_autoptr (GArray) pids = fh_proc_find (pgid, ppid);

      for (guint i = 0; i < pids->len; i++)
        kill (g_array_index (pids, pid_t, i), signum);
      left = pids->len;
      if (left == 0 || g_get_monotonic_time () >= deadline)
        break;
      /* Shutdown only, bounded: give them a moment to go. */
      g_usleep (20 * 1000);
      reap_adopted ();
    }
  reap_adopted ();
  return left;
}

void
fh_proc_end_tree (pid_t pgid, pid_t ppid, guint grace_ms)
{
  if (fh_proc_end (pgid, ppid, SIGTERM, grace_ms) > 0)
    fh_proc_end (pgid, ppid, SIGKILL, 2000);
}
