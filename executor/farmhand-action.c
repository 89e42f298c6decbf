/* farmhand-action PARENT_PID DIR COMMAND [ARG...] — the first moments of
 * an OpenJD action (plugin/connection/fh-action-process.c), between the
 * spawn and the command: what posix_spawn cannot do itself.
 *
 * farmhand spawns actions with posix_spawn, which does not copy farmhand's
 * memory (GSubprocess forks whenever a child needs a setup of its own, and
 * a fork of the host costs milliseconds an action should not pay); the
 * spawn gives this program a session of its own, default signals and its
 * pipes.  Here: die with farmhand (SIGKILL when PARENT_PID goes, at once
 * if it went already), close every other descriptor, go to DIR, exec the
 * command (COMMAND looked up in this environment's PATH).  Plain libc, so
 * that it starts in a fraction of a millisecond; it exits 127 saying why
 * when the command cannot be run, as a shell does.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc < 4)
    {
      fprintf (stderr, "usage: farmhand-action PARENT_PID DIR COMMAND [ARG...]\n");
      return 2;
    }
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid () != (pid_t) atol (argv[1]))
    _exit (127);
  close_range (3, ~0U, 0);
  if (chdir (argv[2]) != 0)
    {
      fprintf (stderr, "farmhand: cannot enter the session's directory %s: %s\n", argv[2], strerror (errno));
      _exit (127);
    }
  execvp (argv[3], argv + 3);
  fprintf (stderr, "farmhand: cannot run '%s': %s\n", argv[3], strerror (errno));
  _exit (127);
}
