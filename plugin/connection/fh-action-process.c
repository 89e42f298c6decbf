/* fh-action-process.c — one command, its own process group, its lines. */
#include "config.h"

#include "fh-action-process.h"

#include <signal.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>

#include "fh-line-splitter.h"
#include "fh-pipe-reader.h"
#include "fh-proc.h"
#include "fh-source.h"

struct _FhActionProcess
{
  GSubprocess *proc;
  GCancellable *cancellable;
  pid_t pid;
  FhPipeReader *reader;
  FhLineSplitter *splitter;
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
on_process_exit (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autoptr (GError) err = NULL;
  FhActionProcess *self;

  if (!g_subprocess_wait_finish (proc, res, &err) && g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* freed */
  self = user_data;
  self->exited = TRUE;
  self->exit_code = g_subprocess_get_if_signaled (proc) ? -g_subprocess_get_term_sig (proc)
                                                         : g_subprocess_get_exit_status (proc);
  fh_pipe_reader_drain (self->reader, 64);
  if (!self->output_ended)
    {
      self->drain_timer = g_timeout_source_new_seconds (FH_ACTION_DRAIN_S);
      g_source_set_callback (self->drain_timer, on_drain_timeout, self, NULL);
      g_source_attach (self->drain_timer, self->context);
    }
}

static void
child_setup (gpointer user_data)
{
  /* Between fork and exec: async-signal-safe calls only.  A session of
   * its own: its own process group, no controlling terminal. */
  setsid ();
  fh_proc_child_setup ((pid_t) GPOINTER_TO_INT (user_data), SIGKILL);
}

FhActionProcess *
fh_action_process_spawn (GMainContext *context, const char *const *argv, const char *const *envp,
                         const char *cwd, FhActionLineFunc func, gpointer user_data, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (FhActionProcess) self = g_new0 (FhActionProcess, 1);
  const char *id;

  g_subprocess_launcher_set_environ (launcher, (char **) envp);
  g_subprocess_launcher_set_cwd (launcher, cwd);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()), NULL);
  self->context = g_main_context_ref (context);
  self->func = func;
  self->user_data = user_data;
  self->splitter = fh_line_splitter_new (FH_ACTION_MAX_LINE, on_line, self);
  /* GSubprocess looks argv[0] up in the PATH it is given. */
  g_main_context_push_thread_default (context);
  self->proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (self->proc != NULL)
    {
      self->cancellable = g_cancellable_new ();
      g_subprocess_wait_async (self->proc, self->cancellable, on_process_exit, self);
    }
  g_main_context_pop_thread_default (context);
  if (self->proc == NULL)
    return NULL;
  id = g_subprocess_get_identifier (self->proc);
  self->pid = id ? (pid_t) atoi (id) : 0;
  self->reader = fh_pipe_reader_new (
      g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (g_subprocess_get_stdout_pipe (self->proc))),
      context, on_data, self);
  fh_pipe_reader_set_priority (self->reader, FH_PRIORITY_LOG);
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
    kill (-self->pid, SIGKILL);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_object_unref (self->cancellable);
    }
  fh_source_clear (&self->drain_timer);
  g_clear_pointer (&self->reader, fh_pipe_reader_free);
  g_clear_pointer (&self->splitter, fh_line_splitter_free);
  g_clear_object (&self->proc);
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
