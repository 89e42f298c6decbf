/* fh-dispatcher.c — one executor process and the conversation with it.
 *
 * State model.  After fh_dispatcher_start() the executor runs and four
 * event sources feed the state: the backchannel (frames → messages), its
 * stdout and stderr (bytes → log lines), and the child watch (exit).  At
 * most one command is in flight (pending_seq != 0); its result is parked
 * in `result` until fh_dispatcher_run() collects it.
 *
 * Ordering.  An executor writes a command's output before it sends the
 * command's result, so when a result arrives the output is already in the
 * pipes.  We drain the pipes before returning the result, so every line is
 * attributed to the command that printed it.  Likewise when the executor
 * exits we drain the backchannel and the pipes before concluding anything:
 * a result may still be in flight.
 *
 * Failure.  Anything the executor does wrong on the backchannel is fatal
 * for the conversation: the error is kept in `fatal` and the executor's
 * process group is killed.  A waiting call returns that error.
 */
#include "config.h"

#include "fh-dispatcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>

#include "fh-error.h"
#include "fh-fd-writer.h"
#include "fh-line-splitter.h"
#include "fh-pipe-reader.h"
#include "fh-tail.h"
#include "fh-wire.h"

#define READ_CHUNK 65536
#define MAX_LOG_LINE (64 * 1024)
#define TAIL_LINES 20
#define TAIL_LINE_BYTES 512
#define MAX_STDERR_LINES 50

struct _FhDispatcher
{
  GMainContext *context;
  GCancellable *cancellable;
  GSource *cancel_source;

  GSubprocess *proc;
  GCancellable *wait_cancellable;  /* cancels our wait_async at free */
  gint pid;
  char *kind;                      /* argv[0] basename until hello */

  GOutputStream *stdin_stream;     /* keeps the fd alive */
  FhFdWriter *stdin_writer;        /* commands not yet written */

  GSocket *bc;
  GSource *bc_source;
  FhWireDecoder *decoder;

  GInputStream *log_streams[2];    /* stdout, stderr: keep the fds alive */
  FhPipeReader *log_readers[2];
  FhLineSplitter *splitters[2];
  FhTail *tail;                    /* last log lines, for death reports */
  FhTail *cmd_stderr;              /* stderr of the command in flight */
  GQueue echo_lines;               /* echo an echoing executor will print */

  FhMessage *hello;
  gint64 next_seq;
  gint64 pending_seq;              /* 0: nothing in flight */
  FhMessage *result;

  gboolean bc_eof;                 /* the executor closed the backchannel */
  gboolean exited;
  gint exit_code;                  /* exit status, or 128 + signal */
  gboolean killed_by_us;
  GError *fatal;

  FhDispatcherLogFunc log_func;
  gpointer log_data;
  FhDispatcherMessageFunc msg_func;
  gpointer msg_data;
};

static gboolean debug_protocol;

static void
debug_frame (const char *dir, const char *json, gsize len)
{
  if (G_UNLIKELY (debug_protocol))
    g_printerr ("farmhand[protocol] %s %.*s\n", dir, (int) MIN (len, 2000), json);
}

/* ---- lifecycle ---------------------------------------------------------- */

static gboolean
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  /* Nothing to do: waking the context makes the wait loop look. */
  return G_SOURCE_CONTINUE;
}

FhDispatcher *
fh_dispatcher_new (GCancellable *cancellable)
{
  FhDispatcher *self = g_new0 (FhDispatcher, 1);
  const char *dbg = g_getenv ("FARMHAND_DEBUG");

  debug_protocol = dbg != NULL && strstr (dbg, "protocol") != NULL;
  self->context = g_main_context_ref_thread_default ();
  self->decoder = fh_wire_decoder_new (FH_WIRE_MAX_FRAME);
  self->tail = fh_tail_new (TAIL_LINES, TAIL_LINE_BYTES);
  self->cmd_stderr = fh_tail_new (MAX_STDERR_LINES, TAIL_LINE_BYTES * 2);
  self->wait_cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      self->cancellable = g_object_ref (cancellable);
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (on_cancelled), NULL, NULL);
      g_source_attach (self->cancel_source, self->context);
    }
  return self;
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
kill_group (FhDispatcher *self, int signum)
{
  if (self->pid <= 0 || self->exited)
    return;
  /* The executor leads its own process group; signal the group so that
   * whatever it started goes too, and the pid in case setpgid failed. */
  kill (-self->pid, signum);
  kill (self->pid, signum);
}

void
fh_dispatcher_free (FhDispatcher *self)
{
  if (self == NULL)
    return;
  kill_group (self, SIGKILL);
  g_cancellable_cancel (self->wait_cancellable);
  destroy_source (&self->cancel_source);
  g_clear_pointer (&self->stdin_writer, fh_fd_writer_free);
  destroy_source (&self->bc_source);
  for (int i = 0; i < 2; i++)
    {
      g_clear_pointer (&self->log_readers[i], fh_pipe_reader_free);
      g_clear_object (&self->log_streams[i]);
      g_clear_pointer (&self->splitters[i], fh_line_splitter_free);
    }
  g_clear_object (&self->stdin_stream);
  if (self->bc != NULL)
    g_socket_close (self->bc, NULL);
  g_clear_object (&self->bc);
  g_clear_object (&self->proc);
  g_clear_object (&self->wait_cancellable);
  g_clear_object (&self->cancellable);
  fh_wire_decoder_free (self->decoder);
  fh_tail_free (self->tail);
  fh_tail_free (self->cmd_stderr);
  g_queue_clear_full (&self->echo_lines, g_free);
  fh_message_free (self->hello);
  fh_message_free (self->result);
  g_clear_error (&self->fatal);
  g_free (self->kind);
  g_main_context_unref (self->context);
  g_free (self);
}

void
fh_dispatcher_set_log_func (FhDispatcher *self, FhDispatcherLogFunc func,
                            gpointer user_data)
{
  self->log_func = func;
  self->log_data = user_data;
}

void
fh_dispatcher_set_message_func (FhDispatcher *self, FhDispatcherMessageFunc func,
                                gpointer user_data)
{
  self->msg_func = func;
  self->msg_data = user_data;
}

gboolean
fh_dispatcher_is_alive (FhDispatcher *self)
{
  return self->proc != NULL && !self->exited && self->fatal == NULL;
}

const FhMessage *
fh_dispatcher_get_hello (FhDispatcher *self)
{
  return self->hello;
}

void
fh_dispatcher_signal (FhDispatcher *self, int signum)
{
  kill_group (self, signum);
}

/* ---- the job log -------------------------------------------------------- */

static void
emit_log (FhDispatcher *self, FhLogStream stream, const char *line, gsize len,
          gboolean echo)
{
  fh_tail_push (self->tail, line, len);
  if (self->log_func != NULL)
    self->log_func (stream, line, len, echo, self->log_data);
}

/* Is @line the next line of the echo the executor was expected to print? */
static gboolean
is_echo (FhDispatcher *self, const char *line, gsize len)
{
  char *want = g_queue_peek_head (&self->echo_lines);

  if (want == NULL)
    return FALSE;
  if (strlen (want) != len || memcmp (want, line, len) != 0)
    {
      /* Out of step (it printed before echoing?): stop guessing. */
      g_queue_clear_full (&self->echo_lines, g_free);
      return FALSE;
    }
  g_free (g_queue_pop_head (&self->echo_lines));
  return TRUE;
}

static void
on_stdout_line (const char *line, gsize len, FhLineFlags flags, gpointer data)
{
  FhDispatcher *self = data;

  emit_log (self, FH_LOG_STDOUT, line, len, is_echo (self, line, len));
}

static void
on_stderr_line (const char *line, gsize len, FhLineFlags flags, gpointer data)
{
  FhDispatcher *self = data;

  if (self->pending_seq != 0)
    fh_tail_push (self->cmd_stderr, line, len);
  emit_log (self, FH_LOG_STDERR, line, len, FALSE);
}

static void
note (FhDispatcher *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* A line of farmhand's own in the job log. */
static void
note (FhDispatcher *self, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  if (self->log_func != NULL)
    self->log_func (FH_LOG_FARMHAND, msg, strlen (msg), FALSE, self->log_data);
}

static void
on_log_data (FhDispatcher *self, int i, const char *data, gsize len)
{
  if (len > 0)
    fh_line_splitter_push (self->splitters[i], data, len);
  else
    fh_line_splitter_flush (self->splitters[i]);
}

static void
on_stdout_data (const char *data, gsize len, gpointer user_data)
{
  on_log_data (user_data, 0, data, len);
}

static void
on_stderr_data (const char *data, gsize len, gpointer user_data)
{
  on_log_data (user_data, 1, data, len);
}

/* Reads whatever the log pipes hold right now.  The bound keeps a stray
 * background process that never stops writing from holding us here. */
static void
drain_logs (FhDispatcher *self, guint max_reads)
{
  for (int i = 0; i < 2; i++)
    if (self->log_readers[i] != NULL)
      fh_pipe_reader_drain (self->log_readers[i], max_reads);
}

/* A command ended: its last unterminated line belongs to it.  Nothing is
 * left in the pipes when a result is handled (the log readers outrank the
 * backchannel, see FH_PRIORITY_LOG), so this costs no system call. */
static void
flush_logs (FhDispatcher *self)
{
  for (int i = 0; i < 2; i++)
    if (self->splitters[i] != NULL)
      fh_line_splitter_flush (self->splitters[i]);
}

/* Commands appear in the log like a session: "farmhand$ cmd" written here
 * (no system call) unless the executor echoes them itself, as its hello
 * says; then we note the lines it will print so they are recognised as
 * echo, not output.  Lines split on '\n' only, as the executors do. */
static void
echo_command (FhDispatcher *self, const char *command)
{
  g_auto (GStrv) lines = g_strsplit (command, "\n", -1);
  gboolean by_executor = self->hello != NULL && self->hello->echo;
  guint n = g_strv_length (lines);

  g_queue_clear_full (&self->echo_lines, g_free);
  if (n > 1 && lines[n - 1][0] == '\0')
    n--;
  for (guint i = 0; i < n; i++)
    {
      char *line = g_strconcat (i == 0 ? (by_executor ? "farmhand> " : "farmhand$ ")
                                       : "      ... ", lines[i], NULL);
      if (by_executor)
        g_queue_push_tail (&self->echo_lines, line);
      else
        {
          emit_log (self, FH_LOG_STDOUT, line, strlen (line), TRUE);
          g_free (line);
        }
    }
}

/* ---- failure ------------------------------------------------------------ */

static void
set_fatal (FhDispatcher *self, GError *error)
{
  if (self->fatal != NULL)
    {
      g_error_free (error);
      return;
    }
  self->fatal = error;
  note (self, "farmhand: %s; stopping the executor", error->message);
  if (!self->exited)
    self->killed_by_us = TRUE;
  kill_group (self, SIGKILL);
}

/* "executor shell (pid 12) was killed by signal 9 (Killed) <while>; last
 * log lines: ..." */
static char *
describe_exit (FhDispatcher *self, const char *while_doing)
{
  g_autofree char *tail = fh_tail_join (self->tail, "  ");
  g_autofree char *how = NULL;

  if (self->exit_code > 128 && self->exit_code < 128 + 65)
    how = g_strdup_printf ("was killed by signal %d (%s)", self->exit_code - 128,
                           g_strsignal (self->exit_code - 128));
  else
    how = g_strdup_printf ("exited with code %d", self->exit_code);
  return g_strdup_printf ("executor %s (pid %d) %s %s%s%s", self->kind, self->pid, how,
                          while_doing, *tail ? "; last log lines:\n" : "", tail);
}

/* Why there is no answer: the executor died, broke the protocol, or we
 * were cancelled. */
static gboolean
throw_no_answer (FhDispatcher *self, const char *while_doing, GError **error)
{
  if (self->exited && !self->killed_by_us)
    {
      g_autofree char *why = describe_exit (self, while_doing);
      return fh_throw (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_EXITED, "%s", why);
    }
  if (self->fatal != NULL)
    {
      g_propagate_error (error, g_error_copy (self->fatal));
      return FALSE;
    }
  if (self->exited)
    {
      g_autofree char *why = describe_exit (self, while_doing);
      return fh_throw (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_EXITED, "%s", why);
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    return fh_throw (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_CANCELLED,
                     "cancelled %s", while_doing);
  return fh_throw (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_TIMEOUT,
                   "no answer from executor %s (pid %d) %s", self->kind,
                   self->pid, while_doing);
}

/* ---- backchannel -------------------------------------------------------- */

static GError *
unexpected (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static GError *
unexpected (const char *fmt, ...)
{
  va_list args;
  GError *e;

  va_start (args, fmt);
  e = g_error_new_valist (FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_UNEXPECTED, fmt, args);
  va_end (args);
  return e;
}

static GError *
check_hello (FhDispatcher *self, const FhMessage *msg)
{
  if (self->hello != NULL)
    return unexpected ("executor sent a second hello");
  if (msg->protocol != FH_PROTOCOL_VERSION)
    return g_error_new (FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_VERSION,
                        "executor speaks protocol %" G_GINT64_FORMAT
                        ", this dispatcher speaks protocol %d",
                        msg->protocol, FH_PROTOCOL_VERSION);
  return NULL;
}

/* Takes ownership of @msg.  Returns an error when @msg breaks the protocol. */
static GError *
handle_message (FhDispatcher *self, FhMessage *msg)
{
  g_autoptr (FhMessage) owned = msg;
  GError *err;

  if (msg->type == FH_MESSAGE_HELLO)
    {
      if ((err = check_hello (self, msg)) != NULL)
        return err;
      g_free (self->kind);
      self->kind = g_strdup (msg->kind);
      self->hello = g_steal_pointer (&owned);
      return NULL;
    }
  if (self->hello == NULL)
    return unexpected ("executor sent a '%s' message before its hello",
                       fh_message_type_to_string (msg->type));
  if (msg->type == FH_MESSAGE_COMMAND)
    return unexpected ("executor sent a command message");
  if (self->pending_seq == 0 || msg->seq != self->pending_seq || self->result != NULL)
    return unexpected ("executor sent a '%s' message for command %" G_GINT64_FORMAT
                       ", but the command in flight is %" G_GINT64_FORMAT,
                       fh_message_type_to_string (msg->type), msg->seq,
                       self->result != NULL ? (gint64) 0 : self->pending_seq);
  if (msg->type == FH_MESSAGE_RESULT)
    self->result = g_steal_pointer (&owned);
  else if (self->msg_func != NULL)
    self->msg_func (msg, self->msg_data);
  return NULL;
}

static void
process_frames (FhDispatcher *self)
{
  const char *payload;
  gsize len;
  GError *err = NULL;

  while (self->fatal == NULL)
    {
      FhMessage *msg;

      if (!fh_wire_decoder_next (self->decoder, &payload, &len, &err))
        {
          if (err != NULL)
            {
              g_prefix_error (&err, "backchannel: ");
              set_fatal (self, err);
            }
          return;
        }
      debug_frame ("<-", payload, len);
      msg = fh_message_parse (payload, len, &err);
      if (msg == NULL || (err = handle_message (self, msg)) != NULL)
        {
          g_prefix_error (&err, "backchannel frame %" G_GUINT64_FORMAT ": ",
                          fh_wire_decoder_get_n_frames (self->decoder));
          set_fatal (self, err);
          return;
        }
    }
}

/* Reads what the backchannel holds.  Returns FALSE at end of stream. */
static gboolean
read_backchannel (FhDispatcher *self)
{
  char buf[READ_CHUNK];

  for (;;)
    {
      g_autoptr (GError) err = NULL;
      gssize n = g_socket_receive (self->bc, buf, sizeof buf, NULL, &err);

      if (n < 0 && g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      if (n < 0)
        {
          g_prefix_error (&err, "reading the backchannel: ");
          set_fatal (self, g_steal_pointer (&err));
          return FALSE;
        }
      if (n == 0)
        {
          if (!fh_wire_decoder_finish (self->decoder, &err))
            {
              g_prefix_error (&err, "backchannel: ");
              set_fatal (self, g_steal_pointer (&err));
            }
          return FALSE;
        }
      fh_wire_decoder_push (self->decoder, buf, (gsize) n);
      process_frames (self);
      /* A short read emptied the socket; poll tells us when there is more. */
      if ((gsize) n < sizeof buf || self->fatal != NULL)
        return TRUE;
    }
}

static void
close_backchannel (FhDispatcher *self)
{
  destroy_source (&self->bc_source);
  self->bc_eof = TRUE;
}

static gboolean
on_backchannel (GSocket *socket, GIOCondition cond, gpointer user_data)
{
  FhDispatcher *self = user_data;

  if (read_backchannel (self))
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->bc_source, g_source_unref);
  self->bc_eof = TRUE;
  return G_SOURCE_REMOVE;
}

/* ---- stdin -------------------------------------------------------------- */

static void
on_stdin_error (int saved_errno, gpointer user_data)
{
  set_fatal (user_data, g_error_new (FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_IO,
                                     "writing a command to the executor's stdin: %s",
                                     g_strerror (saved_errno)));
}

/* ---- process ------------------------------------------------------------ */

static void
on_child_exit (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autoptr (GError) err = NULL;
  FhDispatcher *self;

  if (!g_subprocess_wait_finish (proc, res, &err) &&
      g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* the dispatcher is gone */
  self = user_data;
  self->exited = TRUE;
  if (g_subprocess_get_if_signaled (proc))
    self->exit_code = 128 + g_subprocess_get_term_sig (proc);
  else
    self->exit_code = g_subprocess_get_exit_status (proc);
  /* It is dead: whatever it sent is already in the socket and pipes. */
  drain_logs (self, 64);
  if (self->bc_source != NULL && !read_backchannel (self))
    close_backchannel (self);
  flush_logs (self);
}

static void
child_setup (gpointer user_data)
{
  pid_t parent = (pid_t) GPOINTER_TO_INT (user_data);
  sigset_t none;

  /* Only async-signal-safe calls here: we are between fork and exec. */
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (127);
}

/* The plugin writes to pipes: a dead executor must be an EPIPE error, not a
 * SIGPIPE that kills the host.  Only touch the default disposition. */
static void
ignore_sigpipe (void)
{
  struct sigaction old;

  if (sigaction (SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
    signal (SIGPIPE, SIG_IGN);
}

static GSubprocessLauncher *
make_launcher (const char *cwd, const char *const *env, int child_bc_fd)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *fd_str = g_strdup_printf ("%d", FH_BACKCHANNEL_CHILD_FD);

  if (cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      const char *eq = strchr (env[i], '=');
      g_autofree char *name = eq ? g_strndup (env[i], (gsize) (eq - env[i])) : g_strdup (env[i]);
      g_subprocess_launcher_setenv (launcher, name, eq ? eq + 1 : "", TRUE);
    }
  g_subprocess_launcher_setenv (launcher, "FARMHAND_BACKCHANNEL_FD", fd_str, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "FARMHAND_BACKCHANNEL_PATH");
  g_subprocess_launcher_unsetenv (launcher, "FARMHAND_BACKCHANNEL_TOKEN");
  g_subprocess_launcher_take_fd (launcher, child_bc_fd, FH_BACKCHANNEL_CHILD_FD);
  g_subprocess_launcher_set_child_setup (launcher, child_setup,
                                         GINT_TO_POINTER (getpid ()), NULL);
  return launcher;
}

static void
watch_log_stream (FhDispatcher *self, int i, GInputStream *stream)
{
  FhLineFunc line_funcs[2] = { on_stdout_line, on_stderr_line };
  FhPipeDataFunc data_funcs[2] = { on_stdout_data, on_stderr_data };

  self->log_streams[i] = g_object_ref (stream);
  self->splitters[i] = fh_line_splitter_new (MAX_LOG_LINE, line_funcs[i], self);
  self->log_readers[i] = fh_pipe_reader_new (
      g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (stream)), self->context,
      data_funcs[i], self);
  fh_pipe_reader_set_priority (self->log_readers[i], FH_PRIORITY_LOG);
}

static gboolean
watch_streams (FhDispatcher *self, int bc_fd, GError **error)
{
  self->bc = g_socket_new_from_fd (bc_fd, error);
  if (self->bc == NULL)
    {
      close (bc_fd);
      return FALSE;
    }
  g_socket_set_blocking (self->bc, FALSE);
  self->bc_source = g_socket_create_source (self->bc, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (self->bc_source, G_SOURCE_FUNC (on_backchannel), self, NULL);
  g_source_set_can_recurse (self->bc_source, TRUE);  /* see fh-pipe-reader.c */
  g_source_attach (self->bc_source, self->context);

  self->stdin_stream = g_object_ref (g_subprocess_get_stdin_pipe (self->proc));
  self->stdin_writer = fh_fd_writer_new (
      g_unix_output_stream_get_fd (G_UNIX_OUTPUT_STREAM (self->stdin_stream)),
      self->context, on_stdin_error, self);
  watch_log_stream (self, 0, g_subprocess_get_stdout_pipe (self->proc));
  watch_log_stream (self, 1, g_subprocess_get_stderr_pipe (self->proc));
  return TRUE;
}

/* ---- waiting ------------------------------------------------------------ */

typedef gboolean (*DoneFunc) (FhDispatcher *self);

static gboolean
has_hello (FhDispatcher *self)
{
  return self->hello != NULL;
}

static gboolean
has_result (FhDispatcher *self)
{
  return self->result != NULL;
}

static gboolean
has_exited (FhDispatcher *self)
{
  return self->exited;
}

static gboolean
set_flag (gpointer flag)
{
  *(gboolean *) flag = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the context until @done, the executor exits, the conversation
 * fails, the backchannel closes (when @stop_on_eof), the dispatcher's
 * cancellable fires, or @timeout_ms passes.  Returns @done's answer. */
static gboolean
iterate_until (FhDispatcher *self, DoneFunc done, gboolean stop_on_eof,
               guint timeout_ms, gboolean *timed_out)
{
  g_autoptr (GSource) timer = NULL;

  *timed_out = FALSE;
  if (timeout_ms > 0)
    {
      timer = g_timeout_source_new (timeout_ms);
      g_source_set_callback (timer, set_flag, timed_out, NULL);
      g_source_attach (timer, self->context);
    }
  while (!done (self) && !self->exited && self->fatal == NULL &&
         !(stop_on_eof && self->bc_eof) && !*timed_out &&
         !g_cancellable_is_cancelled (self->cancellable))
    g_main_context_iteration (self->context, TRUE);
  if (timer != NULL)
    g_source_destroy (timer);
  return done (self);
}

/* The executor closed its end of the backchannel: normally because it is
 * exiting.  Give it a moment to do so; one that lingers is killed. */
#define EOF_GRACE_MS 2000

static void
await_exit_after_eof (FhDispatcher *self)
{
  gboolean timed_out;

  if (iterate_until (self, has_exited, FALSE, EOF_GRACE_MS, &timed_out) || self->fatal != NULL)
    return;
  if (timed_out)
    set_fatal (self, g_error_new (FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_UNEXPECTED,
                                  "executor closed its backchannel but did not exit"));
  iterate_until (self, has_exited, FALSE, EOF_GRACE_MS, &timed_out);
}

static gboolean
wait_for (FhDispatcher *self, DoneFunc done, guint timeout_ms, const char *what)
{
  gboolean timed_out;

  if (iterate_until (self, done, TRUE, timeout_ms, &timed_out))
    return TRUE;
  if (self->bc_eof && !self->exited && self->fatal == NULL)
    await_exit_after_eof (self);
  if (timed_out && self->fatal == NULL)
    set_fatal (self, g_error_new (FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_TIMEOUT,
                                  "no %s from executor %s (pid %d) within %.1f s",
                                  what, self->kind, self->pid, timeout_ms / 1000.0));
  return done (self);
}

/* ---- public operations -------------------------------------------------- */

gboolean
fh_dispatcher_start (FhDispatcher *self, const char *const *argv, const char *cwd,
                     const char *const *env, guint hello_timeout_ms, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) local = NULL;
  int sv[2];

  g_return_val_if_fail (self->proc == NULL, FALSE);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return fh_throw_errno (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN, errno,
                           "creating the backchannel socketpair");
  ignore_sigpipe ();
  launcher = make_launcher (cwd, env, sv[1]);
  self->proc = g_subprocess_launcher_spawnv (launcher, argv, &local);
  /* The launcher owns the child's end; dropping it closes that end here,
   * so the executor's death is an end of stream on ours. */
  g_clear_object (&launcher);
  if (self->proc == NULL)
    {
      close (sv[0]);
      return fh_throw (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN,
                       "cannot start executor '%s': %s", argv[0], local->message);
    }
  self->pid = atoi (g_subprocess_get_identifier (self->proc));
  self->kind = g_path_get_basename (argv[0]);
  g_subprocess_wait_async (self->proc, self->wait_cancellable, on_child_exit, self);
  if (!watch_streams (self, sv[0], error))
    return FALSE;
  if (!wait_for (self, has_hello, hello_timeout_ms, "hello"))
    return throw_no_answer (self, "before saying hello", error);
  return TRUE;
}

/* The executor asked (stderr_lines) for the command's last stderr lines
 * to be part of its traceback: the shell executor does, since its commands
 * write stderr straight into our pipe. */
static char *
traceback_of (FhDispatcher *self, const FhMessage *msg)
{
  g_autofree char *tail = NULL;

  if (msg->traceback == NULL || msg->stderr_lines == 0 || fh_tail_get_length (self->cmd_stderr) == 0)
    return g_strdup (msg->traceback);
  tail = fh_tail_join_last (self->cmd_stderr, (guint) msg->stderr_lines, NULL);
  return g_strdup_printf ("%s\n--- last stderr lines ---\n%s", msg->traceback, tail);
}

static FhCommandResult *
take_result (FhDispatcher *self, gint64 started)
{
  g_autoptr (FhMessage) msg = g_steal_pointer (&self->result);
  g_autofree char *traceback = traceback_of (self, msg);
  FhCommandResult *result = fh_command_result_new (msg->status, traceback);

  result->has_code = msg->has_code;
  result->code = msg->code;
  result->elapsed_us = g_get_monotonic_time () - started;
  self->pending_seq = 0;
  return result;
}

FhCommandResult *
fh_dispatcher_run (FhDispatcher *self, FhPhase phase, const char *command,
                   JsonObject *item, GError **error)
{
  g_autoptr (FhMessage) msg = NULL;
  gint64 started;

  g_return_val_if_fail (self->proc != NULL && self->pending_seq == 0, NULL);
  if (!fh_dispatcher_is_alive (self))
    {
      throw_no_answer (self, "before this command was sent", error);
      return NULL;
    }
  msg = fh_message_new_command (self->next_seq + 1, phase, command, item);
  if (!fh_message_append_frame (msg, fh_fd_writer_get_buffer (self->stdin_writer), error))
    return NULL;
  if (G_UNLIKELY (debug_protocol))
    {
      g_autofree char *json = fh_message_to_json (msg, NULL);
      debug_frame ("->", json, strlen (json));
    }
  self->pending_seq = ++self->next_seq;
  fh_tail_clear (self->cmd_stderr);
  echo_command (self, command);
  started = g_get_monotonic_time ();
  fh_fd_writer_flush (self->stdin_writer);
  if (!wait_for (self, has_result, 0, "result"))
    {
      self->pending_seq = 0;
      throw_no_answer (self, "while running this command", error);
      return NULL;
    }
  flush_logs (self);
  return take_result (self, started);
}

#define TERM_GRACE_MS 5000

gboolean
fh_dispatcher_close (FhDispatcher *self, guint timeout_ms, gint *exit_code,
                     GError **error)
{
  gboolean timed_out;

  g_return_val_if_fail (self->proc != NULL, FALSE);
  if (!self->exited)
    {
      g_clear_pointer (&self->stdin_writer, fh_fd_writer_free);
      g_output_stream_close (self->stdin_stream, NULL, NULL);
      iterate_until (self, has_exited, FALSE, timeout_ms, &timed_out);
    }
  if (!self->exited && timed_out)
    {
      note (self, "farmhand: executor did not exit within %.1f s of the end of "
            "its input; terminating it", timeout_ms / 1000.0);
      self->killed_by_us = TRUE;
      kill_group (self, SIGTERM);
      if (!iterate_until (self, has_exited, FALSE, TERM_GRACE_MS, &timed_out))
        kill_group (self, SIGKILL);
    }
  while (!self->exited)
    g_main_context_iteration (self->context, TRUE);
  *exit_code = self->exit_code;
  return TRUE;
}
