/* fh-shell-session.c — one persistent shell (see the header for the fd
 * layout and the per-command script line).
 *
 * Ordering.  A command's stderr is in the relay pipe before the shell
 * prints its status (the command has exited by then), so on each status
 * line we drain the relay first: the traceback's stderr tail is complete.
 * When the shell exits we drain the status channel before concluding that
 * pending commands ended the session.
 */
#include "config.h"

#include "fh-shell-session.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>

#include "fh-error.h"
#include "fh-fd-writer.h"
#include "fh-line-splitter.h"
#include "fh-message.h"
#include "fh-pipe-reader.h"
#include "fh-tail.h"
#include "fh-wire.h"

#define SCRIPT_FD 3
#define TAIL_LINES 20
#define TAIL_LINE_BYTES 1024
#define MAX_LINE (64 * 1024)

struct _FhShellSession
{
  GSubprocess *proc;
  GCancellable *wait_cancellable;
  pid_t pid;
  gboolean echo;

  int script_fd;
  FhFdWriter *script;
  GInputStream *status_stream;
  FhPipeReader *status_reader;
  FhLineSplitter *status_lines;
  GInputStream *err_stream;
  FhPipeReader *err_reader;
  FhLineSplitter *err_lines;
  FhTail *err_tail;          /* stderr of the command in flight */

  GArray *pending;           /* gint64 seqs sent, not yet reported */
  guint pending_head;
  gboolean exited;

  FhShellDoneFunc done;
  FhShellExitFunc exit_func;
  gpointer user_data;
};

/* ---- output ------------------------------------------------------------- */

static void
write_all_or_die (int fd, const char *data, gsize len)
{
  g_autoptr (GError) err = NULL;

  /* Our stdout/stderr are the job log; if the dispatcher stopped reading
   * them it is gone, and so is the point of going on. */
  if (!fh_wire_write_all (fd, data, len, &err))
    _exit (1);
}

static void
on_err_data (const char *data, gsize len, gpointer user_data)
{
  FhShellSession *self = user_data;

  if (len == 0)
    {
      fh_line_splitter_flush (self->err_lines);
      return;
    }
  write_all_or_die (STDERR_FILENO, data, len);
  fh_line_splitter_push (self->err_lines, data, len);
}

static void
on_err_line (const char *line, gsize len, FhLineFlags flags, gpointer user_data)
{
  FhShellSession *self = user_data;

  fh_tail_push (self->err_tail, line, len);
}

static gboolean
has_pending (FhShellSession *self)
{
  return self->pending_head < self->pending->len;
}

static gint64
pop_pending (FhShellSession *self)
{
  gint64 seq = g_array_index (self->pending, gint64, self->pending_head++);

  if (self->pending_head == self->pending->len)
    {
      g_array_set_size (self->pending, 0);
      self->pending_head = 0;
    }
  return seq;
}

static char *
traceback_for (FhShellSession *self, const char *what)
{
  g_autofree char *tail = fh_tail_join (self->err_tail, NULL);

  if (*tail == '\0')
    return g_strdup (what);
  return g_strdup_printf ("%s\n--- last stderr lines ---\n%s", what, tail);
}

static void
report (FhShellSession *self, int code, const char *what)
{
  gint64 seq = pop_pending (self);
  g_autofree char *tb = code != 0 ? traceback_for (self, what) : NULL;

  self->done (seq, code == 0 ? FH_STATUS_OK : FH_STATUS_FAILED, code, tb, self->user_data);
}

/* "<status> <seq>" from the shell, or anything else (an EXIT trap that
 * prints, say), which is log text. */
static gboolean
parse_status (const char *line, gsize len, int *code, gint64 *seq)
{
  g_autofree char *copy = g_strndup (line, len);
  char *end;
  long c;

  c = strtol (copy, &end, 10);
  if (end == copy || *end != ' ' || c < 0 || c > 255)
    return FALSE;
  *seq = g_ascii_strtoll (end + 1, &end, 10);
  *code = (int) c;
  return *end == '\0';
}

static void
on_status_line (const char *line, gsize len, FhLineFlags flags, gpointer user_data)
{
  FhShellSession *self = user_data;
  g_autofree char *what = NULL;
  int code;
  gint64 seq;

  if (!parse_status (line, len, &code, &seq) || !has_pending (self) ||
      g_array_index (self->pending, gint64, self->pending_head) != seq)
    {
      g_autofree char *text = g_strdup_printf ("%.*s\n", (int) len, line);
      write_all_or_die (STDOUT_FILENO, text, strlen (text));
      return;
    }
  fh_pipe_reader_drain (self->err_reader, 64);
  fh_line_splitter_flush (self->err_lines);
  what = g_strdup_printf ("command exited with status %d", code);
  report (self, code, what);
  fh_tail_clear (self->err_tail);
}

static void
on_status_data (const char *data, gsize len, gpointer user_data)
{
  FhShellSession *self = user_data;

  if (len > 0)
    fh_line_splitter_push (self->status_lines, data, len);
  else
    fh_line_splitter_flush (self->status_lines);
}

/* ---- the process -------------------------------------------------------- */

static void
on_child_exit (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autoptr (GError) err = NULL;
  FhShellSession *self;
  g_autofree char *how = NULL;
  int code;

  if (!g_subprocess_wait_finish (proc, res, &err) &&
      g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  self->exited = TRUE;
  code = g_subprocess_get_if_signaled (proc) ? 128 + g_subprocess_get_term_sig (proc)
                                             : g_subprocess_get_exit_status (proc);
  fh_pipe_reader_drain (self->status_reader, 64);
  fh_line_splitter_flush (self->status_lines);
  fh_pipe_reader_drain (self->err_reader, 64);
  fh_line_splitter_flush (self->err_lines);
  how = g_subprocess_get_if_signaled (proc)
            ? g_strdup_printf ("the shell was killed by signal %d (%s) while running "
                               "this command", code - 128, g_strsignal (code - 128))
            : g_strdup_printf ("the command ended the shell session with exit status %d", code);
  /* The command in flight took the shell with it; later ones never ran. */
  if (has_pending (self))
    report (self, code, how);
  while (has_pending (self))
    report (self, 1, "the shell session ended before this command ran");
  self->exit_func (code, self->user_data);
}

static void
child_setup (gpointer user_data)
{
  pid_t parent = (pid_t) GPOINTER_TO_INT (user_data);
  sigset_t none;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (127);
}

static GSubprocess *
spawn_shell (const char *shell, int script_r, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *script_path = g_strdup_printf ("/dev/fd/%d", SCRIPT_FD);
  const char *argv[] = { shell, script_path, NULL };
  int log_fd = fcntl (STDOUT_FILENO, F_DUPFD_CLOEXEC, 10);
  GSubprocess *proc;

  if (log_fd < 0)
    return fh_throw_null (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN,
                          "duplicating stdout: %s", g_strerror (errno));
  g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  g_subprocess_launcher_take_fd (launcher, script_r, SCRIPT_FD);
  g_subprocess_launcher_take_fd (launcher, log_fd, FH_SHELL_LOG_FD);
  g_subprocess_launcher_unsetenv (launcher, "FARMHAND_BACKCHANNEL_FD");
  g_subprocess_launcher_set_child_setup (launcher, child_setup,
                                         GINT_TO_POINTER (getpid ()), NULL);
  proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL)
    g_prefix_error (error, "starting the shell %s: ", shell);
  return proc;
}

static void
on_script_error (int saved_errno, gpointer user_data)
{
  /* The shell is gone; its exit is reported by on_child_exit(). */
}

FhShellSession *
fh_shell_session_new (const char *shell, gboolean echo, FhShellDoneFunc done,
                      FhShellExitFunc on_exit_func, gpointer user_data, GError **error)
{
  g_autoptr (FhShellSession) self = g_new0 (FhShellSession, 1);
  GMainContext *ctx = g_main_context_get_thread_default ();
  int fds[2];

  self->echo = echo;
  self->done = done;
  self->exit_func = on_exit_func;
  self->user_data = user_data;
  self->pending = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->err_tail = fh_tail_new (TAIL_LINES, TAIL_LINE_BYTES);
  self->script_fd = -1;
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return fh_throw_null (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN,
                          "creating the script pipe: %s", g_strerror (errno));
  self->proc = spawn_shell (shell, fds[0], error);
  if (self->proc == NULL)
    {
      close (fds[1]);
      return NULL;
    }
  self->pid = (pid_t) atoi (g_subprocess_get_identifier (self->proc));
  self->script_fd = fds[1];
  self->script = fh_fd_writer_new (fds[1], ctx, on_script_error, self);
  self->status_stream = g_object_ref (g_subprocess_get_stdout_pipe (self->proc));
  self->status_lines = fh_line_splitter_new (MAX_LINE, on_status_line, self);
  self->status_reader = fh_pipe_reader_new (
      g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (self->status_stream)),
      ctx, on_status_data, self);
  self->err_stream = g_object_ref (g_subprocess_get_stderr_pipe (self->proc));
  self->err_lines = fh_line_splitter_new (MAX_LINE, on_err_line, self);
  self->err_reader = fh_pipe_reader_new (
      g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (self->err_stream)),
      ctx, on_err_data, self);
  self->wait_cancellable = g_cancellable_new ();
  g_subprocess_wait_async (self->proc, self->wait_cancellable, on_child_exit, self);
  /* Close the script's original fd so commands cannot read the script. */
  fh_fd_writer_write (self->script, "exec 3<&-\n", 10);
  return g_steal_pointer (&self);
}

void
fh_shell_session_free (FhShellSession *self)
{
  if (self == NULL)
    return;
  if (self->proc != NULL && !self->exited)
    fh_shell_session_signal (self, SIGKILL);
  if (self->wait_cancellable != NULL)
    g_cancellable_cancel (self->wait_cancellable);
  g_clear_object (&self->wait_cancellable);
  g_clear_pointer (&self->script, fh_fd_writer_free);
  if (self->script_fd >= 0)
    close (self->script_fd);
  g_clear_pointer (&self->status_reader, fh_pipe_reader_free);
  g_clear_pointer (&self->err_reader, fh_pipe_reader_free);
  g_clear_pointer (&self->status_lines, fh_line_splitter_free);
  g_clear_pointer (&self->err_lines, fh_line_splitter_free);
  g_clear_object (&self->status_stream);
  g_clear_object (&self->err_stream);
  g_clear_pointer (&self->err_tail, fh_tail_free);
  g_clear_pointer (&self->pending, g_array_unref);
  g_clear_object (&self->proc);
  g_free (self);
}

/* Echo the command into the log so it reads like a session. */
static void
echo_command (const char *command)
{
  g_autoptr (GString) out = g_string_new ("farmhand$ ");

  for (const char *p = command; *p; p++)
    {
      g_string_append_c (out, *p);
      if (*p == '\n' && p[1] != '\0')
        g_string_append (out, "       ... ");
    }
  if (out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');
  write_all_or_die (STDOUT_FILENO, out->str, out->len);
}

void
fh_shell_session_run (FhShellSession *self, gint64 seq, const char *command)
{
  GByteArray *buf;
  g_autoptr (GString) line = g_string_sized_new (strlen (command) + 48);

  if (self->echo)
    echo_command (command);
  g_array_append_val (self->pending, seq);
  if (self->exited || self->script == NULL)
    {
      report (self, 1, "the shell session has ended");
      return;
    }
  /* Single-quote the command: ' becomes '\'' and nothing else is special. */
  g_string_append (line, "command eval '");
  for (const char *p = command; *p; p++)
    if (*p == '\'')
      g_string_append (line, "'\\''");
    else
      g_string_append_c (line, *p);
  g_string_append_printf (line, "' >&%d; echo \"$? %" G_GINT64_FORMAT "\"\n",
                          FH_SHELL_LOG_FD, seq);
  buf = fh_fd_writer_get_buffer (self->script);
  g_byte_array_append (buf, (const guint8 *) line->str, (guint) line->len);
  fh_fd_writer_flush (self->script);
}

void
fh_shell_session_end_input (FhShellSession *self)
{
  /* Whatever is still buffered must reach the shell before the end. */
  if (self->script != NULL && fh_fd_writer_get_pending (self->script) > 0)
    {
      g_unix_set_fd_nonblocking (self->script_fd, FALSE, NULL);
      fh_fd_writer_flush (self->script);
    }
  g_clear_pointer (&self->script, fh_fd_writer_free);
  if (self->script_fd >= 0)
    {
      close (self->script_fd);
      self->script_fd = -1;
    }
}

void
fh_shell_session_signal (FhShellSession *self, int signum)
{
  if (self->pid > 0 && !self->exited)
    kill (-self->pid, signum);
}

pid_t
fh_shell_session_get_pid (FhShellSession *self)
{
  return self->pid;
}
