/* fh-action-process.c — one command, its own process group, its lines.
 *
 * Spawned with posix_spawn, through farmhand-action: GSubprocess forks
 * whenever a child needs a setup of its own (a session, a parent-death
 * signal), and a fork copies the host's page tables and then faults on
 * every page either side touches before the exec — milliseconds an
 * action should not pay, a thousand times in a step.  posix_spawn does
 * not copy (vfork); it gives the child its session, signals and pipes, and
 * farmhand-action does the rest (parent-death signal, descriptors,
 * directory) before it execs the command.  GLib watches the child. */
#include "config.h"

#include "fh-action-process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "fh-error.h"
#include "fh-line-splitter.h"
#include "fh-pipe-reader.h"
#include "fh-source.h"

struct _FhActionProcess
{
  pid_t pid;
  int out_fd;                 /* the read end of its stdout+stderr */
  FhPipeReader *reader;
  FhLineSplitter *splitter;
  GSource *child_watch;
  GSource *drain_timer;
  GMainContext *context;
  gboolean exited;
  gboolean output_ended;
  int exit_code;
  FhActionLineFunc func;
  gpointer user_data;
};

static void
on_line (const char *line, gsize len, FhLineFlags flags, gpointer user_data)
{
  FhActionProcess *self = user_data;

  self->func (line, len, self->user_data);
}

static void
on_data (const char *data, gsize len, gpointer user_data)
{
  FhActionProcess *self = user_data;

  if (len > 0)
    {
      fh_line_splitter_push (self->splitter, data, len);
      return;
    }
  fh_line_splitter_flush (self->splitter);
  self->output_ended = TRUE;
}

/* Something the command left running holds the output open: what it
 * printed by now is the command's; the rest is not read. */
static gboolean
on_drain_timeout (gpointer user_data)
{
  FhActionProcess *self = user_data;

  fh_pipe_reader_drain (self->reader, 16);
  fh_line_splitter_flush (self->splitter);
  self->output_ended = TRUE;
  fh_source_clear (&self->drain_timer);
  return G_SOURCE_REMOVE;
}

static void
on_child_exit (GPid pid, gint status, gpointer user_data)
{
  FhActionProcess *self = user_data;

  self->exited = TRUE;
  self->exit_code = WIFSIGNALED (status) ? -WTERMSIG (status) : WEXITSTATUS (status);
  fh_source_clear (&self->child_watch);
  fh_pipe_reader_drain (self->reader, 64);
  if (!self->output_ended)
    {
      self->drain_timer = g_timeout_source_new_seconds (FH_ACTION_DRAIN_S);
      g_source_set_callback (self->drain_timer, on_drain_timeout, self, NULL);
      g_source_attach (self->drain_timer, self->context);
    }
}

/* farmhand-action PARENT DIR ARGV... */
static char **
launcher_argv (const char *launcher, const char *cwd, const char *const *argv)
{
  GPtrArray *a = g_ptr_array_new ();

  g_ptr_array_add (a, g_strdup (launcher));
  g_ptr_array_add (a, g_strdup_printf ("%ld", (long) getpid ()));
  g_ptr_array_add (a, g_strdup (cwd));
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (a, g_strdup (argv[i]));
  g_ptr_array_add (a, NULL);
  return (char **) g_ptr_array_free (a, FALSE);
}

static int
spawn (const char *launcher, char **argv, const char *const *envp, int out_w, pid_t *pid)
{
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  sigset_t none, all;
  int rc;

  sigemptyset (&none);
  sigfillset (&all);
  posix_spawn_file_actions_init (&files);
  posix_spawn_file_actions_addopen (&files, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2 (&files, out_w, 1);
  posix_spawn_file_actions_adddup2 (&files, out_w, 2);
  posix_spawnattr_init (&attr);
  /* A session of its own (its own process group, no terminal), no signal
   * blocked, every signal at its default (the host may ignore SIGPIPE). */
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setsigmask (&attr, &none);
  posix_spawnattr_setsigdefault (&attr, &all);
  rc = posix_spawn (pid, launcher, &files, &attr, argv, (char **) envp);
  posix_spawnattr_destroy (&attr);
  posix_spawn_file_actions_destroy (&files);
  return rc;
}

FhActionProcess *
fh_action_process_spawn (GMainContext *context, const char *launcher, const char *const *argv,
                         const char *const *envp, const char *cwd, FhActionLineFunc func, gpointer user_data,
                         GError **error)
{
  g_autoptr (FhActionProcess) self = g_new0 (FhActionProcess, 1);
  g_auto (GStrv) full = launcher_argv (launcher, cwd, argv);
  int fds[2], rc;

  self->out_fd = -1;
  if (pipe2 (fds, O_CLOEXEC) != 0)
    return fh_throw_errno_null (error, G_IO_ERROR, g_io_error_from_errno (errno), errno, "a pipe for its output");
  rc = spawn (launcher, full, envp, fds[1], &self->pid);
  close (fds[1]);
  if (rc != 0)
    {
      close (fds[0]);
      return fh_throw_errno_null (error, G_IO_ERROR, g_io_error_from_errno (rc), rc, "starting %s", launcher);
    }
  self->out_fd = fds[0];
  self->context = g_main_context_ref (context);
  self->func = func;
  self->user_data = user_data;
  self->splitter = fh_line_splitter_new (FH_ACTION_MAX_LINE, on_line, self);
  self->reader = fh_pipe_reader_new (self->out_fd, context, on_data, self);
  fh_pipe_reader_set_priority (self->reader, FH_PRIORITY_LOG);
  self->child_watch = g_child_watch_source_new (self->pid);
  g_source_set_callback (self->child_watch, (GSourceFunc) (void (*) (void)) on_child_exit, self, NULL);
  g_source_attach (self->child_watch, context);
  return g_steal_pointer (&self);
}

void
fh_action_process_free (FhActionProcess *self)
{
  if (self == NULL)
    return;
  /* Abandoned while it runs: it goes.  What an exited command left
   * running (a service an environment started) is the session's. */
  if (self->pid > 0 && !self->exited)
    {
      kill (-self->pid, SIGKILL);
      /* The watch is gone with it: reap it here, it is dying. */
      fh_source_clear (&self->child_watch);
      waitpid (self->pid, NULL, 0);
    }
  fh_source_clear (&self->child_watch);
  fh_source_clear (&self->drain_timer);
  g_clear_pointer (&self->reader, fh_pipe_reader_free);
  g_clear_pointer (&self->splitter, fh_line_splitter_free);
  if (self->out_fd >= 0)
    close (self->out_fd);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self);
}

pid_t
fh_action_process_get_pgid (FhActionProcess *self)
{
  return self->pid;
}

void
fh_action_process_signal (FhActionProcess *self, int signum)
{
  if (self->pid > 0 && !self->exited)
    kill (-self->pid, signum);
}

gboolean
fh_action_process_is_done (FhActionProcess *self)
{
  return self->exited && self->output_ended;
}

int
fh_action_process_get_exit_code (FhActionProcess *self)
{
  return self->exit_code;
}
