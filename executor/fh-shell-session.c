/* fh-shell-session.c — one persistent shell (see the header for the two
 * modes, the fd layout and the per-command script).
 *
 * Why the shell writes results itself: a result that went shell → executor
 * → dispatcher would cost one more process wake-up per command.  In direct
 * mode bash also reads the frames itself, so a round trip is dispatcher →
 * bash → dispatcher; in translator mode it is dispatcher → executor →
 * shell → dispatcher.
 *
 * Ordering.  Commands write the log straight into the dispatcher's pipes
 * before the shell writes their result, and the dispatcher reads its log
 * pipes before its backchannel, so every line reaches the right item.
 */
#include "config.h"

#include "fh-shell-session.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "fh-bash-link.h"
#include "fh-error.h"
#include "fh-fd-writer.h"
#include "fh-pipe-reader.h"
#include "fh-proc.h"
#include "fh-shell-result.h"
#include "fh-shell-vars.h"
#include "fh-wire.h"

#define SCRIPT_FD 3
/* Direct mode: bash's script (a memfd bash reads at SCRIPT_FD, which the
 * builtin appends to at SCRIPT_W_FD), command frames, backchannel and
 * ready pipe. */
#define FRAMES_FD 4
#define BACKCHANNEL_FD 5
#define SCRIPT_W_FD 6
#define READY_FD 7

/* Translator mode: run once, first.  Close the script's own fd so
 * commands cannot read it.  Interrupting a command (SIGURG and SIGINT to
 * the process group) ends the session: a POSIX shell has no way to
 * discard the rest of a command and go on, so it exits rather than run
 * more of it (see docs/protocol.md); farmhand-executor answers the
 * command.  Between commands ($__fh_seq empty) there is nothing to stop. */
static const char preamble[] =
  "exec 3<&-\n"
  "trap '[ -z \"$__fh_seq\" ] || exit 130' INT URG\n";

/* Direct mode: the start of bash's script; the builtin appends the rest
 * (see fh-bash-link.h).  exit 125 when the builtin cannot load, so the
 * executor can tell.  The script is padded to 8 KiB before its last line:
 * bash sizes its read buffer by the script's size when it opens it. */
static const char direct_preamble[] =
  "exec 3<&-\n"
  "BASH_ARGV0=farmhand\n"
  "enable -f \"$FARMHAND_BASH_BUILTIN\" farmhand_step || exit 125\n"
  "unset FARMHAND_BASH_BUILTIN\n"
  "trap 'farmhand_step --sigint' INT\n"
  "trap 'farmhand_step --exit $?' EXIT\n";
#define DIRECT_SCRIPT_SIZE 8192

static GString *
direct_script (void)
{
  GString *s = g_string_new (direct_preamble);
  gsize pad = DIRECT_SCRIPT_SIZE - s->len - strlen (FH_BASH_LINK_LINE) - 2;

  g_string_append (s, "#");
  while (pad-- > 0)
    g_string_append_c (s, ' ');
  g_string_append (s, "\n" FH_BASH_LINK_LINE);
  return s;
}

struct _FhShellSession
{
  GSubprocess *proc;
  gboolean direct;
  GCancellable *wait_cancellable;
  pid_t pid;
  gboolean exited;
  FhShellExitFunc exit_func;
  gpointer user_data;
  /* Translator mode: the script we write, the shell's answers ("SEQ
   * STATUS" lines on its stdout) and the results we make of them. */
  int script_fd;
  FhFdWriter *script;
  int answers_fd;
  FhPipeReader *answers;
  GString *answer_line;
  int backchannel_fd;
  gint64 pending;          /* the command without an answer, or 0 */
  gint64 pending_compact;  /* it came as a compact frame: so goes its result */
  gboolean interrupted;    /* farmhand interrupted it */
};

/* ---- translator mode: answers ------------------------------------------- */

static void
send_result (FhShellSession *self, FhShellEnd how, int status)
{
  g_autoptr (FhMessage) result = fh_shell_result_new (self->pending, how, status);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GError) err = NULL;

  result->compact = self->pending_compact;
  self->pending = 0;
  self->interrupted = FALSE;
  /* A dispatcher that is gone cannot be told; the executor notices it
   * (its end of the backchannel closes) and ends everything. */
  if (!fh_message_append_frame (result, out, &err) ||
      !fh_wire_send_all (self->backchannel_fd, out->data, out->len, &err))
    g_printerr ("farmhand-executor: backchannel: %s\n", err->message);
}

/* "SEQ STATUS": the shell finished command SEQ. */
static void
take_answer (FhShellSession *self, const char *line)
{
  char *end;
  gint64 seq = g_ascii_strtoll (line, &end, 10);
  gint64 status = g_ascii_strtoll (end, &end, 10);

  if (seq != self->pending || self->pending == 0 || *end != '\0')
    {
      g_printerr ("farmhand-executor: the shell answered '%s' for command %" G_GINT64_FORMAT
                  "; ignored\n", line, self->pending);
      return;
    }
  send_result (self, FH_SHELL_END_DONE, (int) status);
}

static void
on_answers (const char *data, gsize len, gpointer user_data)
{
  FhShellSession *self = user_data;
  const char *nl;

  g_string_append_len (self->answer_line, data, (gssize) len);
  while ((nl = memchr (self->answer_line->str, '\n', self->answer_line->len)) != NULL)
    {
      gsize n = (gsize) (nl - self->answer_line->str);
      self->answer_line->str[n] = '\0';
      take_answer (self, self->answer_line->str);
      g_string_erase (self->answer_line, 0, (gssize) n + 1);
    }
  /* Only our own short lines reach this pipe. */
  if (self->answer_line->len > 64)
    g_string_truncate (self->answer_line, 0);
}

/* The shell exited in the middle of a command: the command ended the
 * session (`exit 3`, `set -e`), or farmhand interrupted it.  A shell
 * killed by a signal is not answered for: the executor dies the same
 * way, and the dispatcher reports that. */
static void
answer_for_exit (FhShellSession *self, int exit_code, int signum)
{
  if (self->answers != NULL)
    fh_pipe_reader_drain (self->answers, 16);
  if (self->pending == 0 || signum != 0)
    return;
  send_result (self, self->interrupted ? FH_SHELL_END_INTERRUPTED_SESSION : FH_SHELL_END_SESSION,
               exit_code);
}

static void
on_child_exit (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autoptr (GError) err = NULL;
  FhShellSession *self;

  if (!g_subprocess_wait_finish (proc, res, &err) &&
      g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  self->exited = TRUE;
  if (g_subprocess_get_if_signaled (proc))
    {
      answer_for_exit (self, 128 + g_subprocess_get_term_sig (proc), g_subprocess_get_term_sig (proc));
      self->exit_func (128 + g_subprocess_get_term_sig (proc),
                       g_subprocess_get_term_sig (proc), self->user_data);
    }
  else
    {
      answer_for_exit (self, g_subprocess_get_exit_status (proc), 0);
      self->exit_func (g_subprocess_get_exit_status (proc), 0, self->user_data);
    }
}

static void
child_setup (gpointer user_data)
{
  /* Between fork and exec: async-signal-safe calls only. */
  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  /* The shell stays in the executor's process group: a signal to the group
   * reaches the executor, the shell and every command at once. */
  fh_proc_child_setup ((pid_t) GPOINTER_TO_INT (user_data), SIGKILL);
}

static int
dup_above (int fd, GError **error)
{
  int copy = fcntl (fd, F_DUPFD_CLOEXEC, 10);

  if (copy < 0)
    fh_throw_errno (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN, errno,
                    "duplicating fd %d", fd);
  return copy;
}

/* Translator mode: @shell reading its script from @script_r (taken), its
 * stdout the answers pipe @answers_w (taken). */
static GSubprocess *
spawn_shell (const char *shell, int script_r, int answers_w, GError **error)
{
  /* stderr is inherited: the job log's. */
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *script_path = g_strdup_printf ("/dev/fd/%d", SCRIPT_FD);
  const char *argv[] = { shell, script_path, NULL };
  int log_fd;
  GSubprocess *proc;

  g_subprocess_launcher_take_fd (launcher, script_r, SCRIPT_FD);
  g_subprocess_launcher_take_stdout_fd (launcher, answers_w);
  if ((log_fd = dup_above (STDOUT_FILENO, error)) < 0)
    return NULL;
  g_subprocess_launcher_take_fd (launcher, log_fd, FH_SHELL_LOG_FD);
  g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  g_subprocess_launcher_unsetenv (launcher, FH_ENV_BACKCHANNEL_FD);
  g_subprocess_launcher_set_child_setup (launcher, child_setup,
                                         GINT_TO_POINTER (getpid ()), NULL);
  proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL)
    g_prefix_error (error, "starting the shell %s: ", shell);
  return proc;
}

/* Direct mode: bash reading its script (@script: a file, opened twice —
 * [0] for bash to read as /dev/fd/SCRIPT_FD, [1] positioned at its end
 * for the builtin to append to; both taken) with the frames, the
 * backchannel and the ready pipe (@ready_w, taken). */
static GSubprocess *
spawn_direct (const char *bash, const char *builtin, int frames_fd, int backchannel_fd,
              const int script[2], int ready_w, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *script_path = g_strdup_printf ("/dev/fd/%d", SCRIPT_FD);
  const char *argv[] = { bash, script_path, NULL };
  int frames, bc;
  GSubprocess *proc;

  g_subprocess_launcher_take_fd (launcher, script[0], SCRIPT_FD);
  g_subprocess_launcher_take_fd (launcher, script[1], SCRIPT_W_FD);
  g_subprocess_launcher_take_fd (launcher, ready_w, READY_FD);
  if ((frames = dup_above (frames_fd, error)) < 0)
    return NULL;
  g_subprocess_launcher_take_fd (launcher, frames, FRAMES_FD);
  if ((bc = dup_above (backchannel_fd, error)) < 0)
    return NULL;
  g_subprocess_launcher_take_fd (launcher, bc, BACKCHANNEL_FD);
  g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  g_subprocess_launcher_setenv (launcher, "FARMHAND_BASH_LINK",
                                G_STRINGIFY (FRAMES_FD) " " G_STRINGIFY (BACKCHANNEL_FD) " "
                                G_STRINGIFY (SCRIPT_W_FD) " " G_STRINGIFY (READY_FD), TRUE);
  g_subprocess_launcher_setenv (launcher, "FARMHAND_BASH_BUILTIN", builtin, TRUE);
  g_subprocess_launcher_unsetenv (launcher, FH_ENV_BACKCHANNEL_FD);
  g_subprocess_launcher_set_child_setup (launcher, child_setup,
                                         GINT_TO_POINTER (getpid ()), NULL);
  proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL)
    g_prefix_error (error, "starting %s: ", bash);
  return proc;
}

/* One byte when bash has loaded the builtin; end of file if it could not. */
static gboolean
await_ready (int ready_r)
{
  char c;
  ssize_t n;

  do
    n = read (ready_r, &c, 1);
  while (n < 0 && errno == EINTR);
  return n == 1;
}

FhShellSession *
fh_shell_session_new_direct (const char *bash, const char *builtin, int frames_fd,
                             int backchannel_fd, FhShellExitFunc on_exit_func,
                             gpointer user_data, GError **error)
{
  g_autoptr (FhShellSession) self = g_new0 (FhShellSession, 1);
  g_autoptr (GString) script_text = NULL;
  int ready[2], script[2] = { -1, -1 };
  gboolean ok;

  self->exit_func = on_exit_func;
  self->user_data = user_data;
  self->script_fd = self->answers_fd = -1;
  self->direct = TRUE;
  /* A file, not a pipe: bash reads a script it cannot seek one byte at a
   * time (so as not to read past what it runs), a file in blocks. */
  if ((script[1] = memfd_create ("farmhand-bash-script", MFD_CLOEXEC)) < 0)
    return fh_throw_null (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN,
                          "creating bash's script: %s", g_strerror (errno));
  script_text = direct_script ();
  if (write (script[1], script_text->str, script_text->len) != (ssize_t) script_text->len ||
      (script[0] = fcntl (script[1], F_DUPFD_CLOEXEC, 0)) < 0 || pipe2 (ready, O_CLOEXEC) < 0)
    {
      int saved = errno;
      if (script[0] >= 0)
        close (script[0]);
      close (script[1]);
      return fh_throw_null (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN,
                            "starting bash's script: %s", g_strerror (saved));
    }
  self->proc = spawn_direct (bash, builtin, frames_fd, backchannel_fd, script, ready[1], error);
  if (self->proc == NULL)
    {
      close (ready[0]);
      return NULL;
    }
  ok = await_ready (ready[0]);
  close (ready[0]);
  if (!ok)
    {
      GSubprocess *p = self->proc;

      g_subprocess_wait (p, NULL, NULL);
      self->exited = TRUE;
      return fh_throw_null (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN,
                            "%s could not load the farmhand builtin %s (exit status %d)", bash, builtin,
                            g_subprocess_get_if_exited (p) ? g_subprocess_get_exit_status (p)
                                                           : 128 + g_subprocess_get_term_sig (p));
    }
  self->pid = (pid_t) atoi (g_subprocess_get_identifier (self->proc));
  self->wait_cancellable = g_cancellable_new ();
  g_subprocess_wait_async (self->proc, self->wait_cancellable, on_child_exit, self);
  return g_steal_pointer (&self);
}

static void
on_script_error (int saved_errno, gpointer user_data)
{
  /* The shell is gone; its exit is reported by on_child_exit(). */
}

FhShellSession *
fh_shell_session_new (const char *shell, int backchannel_fd,
                      FhShellExitFunc on_exit_func, gpointer user_data,
                      GError **error)
{
  g_autoptr (FhShellSession) self = g_new0 (FhShellSession, 1);
  int script[2] = { -1, -1 }, answers[2] = { -1, -1 };

  self->exit_func = on_exit_func;
  self->user_data = user_data;
  self->backchannel_fd = backchannel_fd;
  self->script_fd = self->answers_fd = -1;
  self->answer_line = g_string_new (NULL);
  if (pipe2 (script, O_CLOEXEC) < 0 || pipe2 (answers, O_CLOEXEC) < 0)
    {
      int saved = errno;

      /* pipe2() leaves the array alone when it fails. */
      for (int i = 0; i < 2; i++)
        if (script[i] >= 0)
          close (script[i]);
      fh_throw_errno (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN, saved,
                      "creating the shell's pipes");
      return NULL;
    }
  self->script_fd = script[1];
  self->answers_fd = answers[0];
  if ((self->proc = spawn_shell (shell, script[0], answers[1], error)) == NULL)
    return NULL;
  self->pid = (pid_t) atoi (g_subprocess_get_identifier (self->proc));
  self->script = fh_fd_writer_new (self->script_fd, g_main_context_get_thread_default (),
                                   on_script_error, self);
  self->answers = fh_pipe_reader_new (self->answers_fd, NULL, on_answers, self);
  self->wait_cancellable = g_cancellable_new ();
  g_subprocess_wait_async (self->proc, self->wait_cancellable, on_child_exit, self);
  fh_fd_writer_write (self->script, preamble, sizeof preamble - 1);
  return g_steal_pointer (&self);
}

static void
close_script (FhShellSession *self)
{
  g_clear_pointer (&self->script, fh_fd_writer_free);
  if (self->script_fd >= 0)
    {
      close (self->script_fd);
      self->script_fd = -1;
    }
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
  close_script (self);
  g_clear_pointer (&self->answers, fh_pipe_reader_free);
  if (self->answers_fd >= 0)
    close (self->answers_fd);
  if (self->answer_line != NULL)
    g_string_free (self->answer_line, TRUE);
  g_clear_object (&self->proc);
  g_free (self);
}

/* @text single-quoted for the shell: ' becomes '\'' and nothing else is
 * special. */
static void
append_quoted (GString *line, const char *text)
{
  g_string_append_c (line, '\'');
  for (const char *p = text; *p; p++)
    if (*p == '\'')
      g_string_append (line, "'\\''");
    else
      g_string_append_c (line, *p);
  g_string_append_c (line, '\'');
}

/* NAME='VALUE'; or unset NAME; */
static void
append_var (GString *line, const char *name, const char *value)
{
  if (value == NULL)
    {
      g_string_append_printf (line, "unset %s; ", name);
      return;
    }
  g_string_append_printf (line, "%s=", name);
  append_quoted (line, value);
  g_string_append (line, "; ");
}

void
fh_shell_session_run (FhShellSession *self, const FhMessage *command)
{
  GByteArray *buf;
  g_autoptr (GString) line = g_string_sized_new (strlen (command->command) + 256);
  g_auto (FhShellVars) vars;

  g_return_if_fail (!self->direct);
  if (self->script == NULL)
    return;
  self->pending = command->seq;
  self->pending_compact = command->compact;
  self->interrupted = FALSE;
  fh_shell_vars_init (&vars, command);
  append_var (line, "FARMHAND_PHASE", vars.phase);
  append_var (line, "FARMHAND_ITEM", vars.item);
  append_var (line, "FARMHAND_FRAMES", vars.frames);
  g_string_append (line, "export FARMHAND_PHASE; ");
  if (vars.item != NULL)
    g_string_append (line, "export FARMHAND_ITEM; ");
  if (vars.frames != NULL)
    g_string_append (line, "export FARMHAND_FRAMES; ");
  g_string_append_printf (line, "__fh_seq=%" G_GINT64_FORMAT "; command eval ", command->seq);
  append_quoted (line, command->command);
  g_string_append_printf (line, " >&%d; __fh_s=$?; __fh_seq=; echo %" G_GINT64_FORMAT " $__fh_s\n",
                          FH_SHELL_LOG_FD, command->seq);
  buf = fh_fd_writer_get_buffer (self->script);
  g_byte_array_append (buf, (const guint8 *) line->str, (guint) line->len);
  fh_fd_writer_flush (self->script);
}

void
fh_shell_session_note_interrupt (FhShellSession *self)
{
  if (!self->direct && self->pending != 0)
    self->interrupted = TRUE;
}

void
fh_shell_session_end_input (FhShellSession *self)
{
  g_return_if_fail (!self->direct);
  /* Whatever is still buffered must reach the shell before the end. */
  if (self->script != NULL && fh_fd_writer_get_pending (self->script) > 0)
    {
      g_unix_set_fd_nonblocking (self->script_fd, FALSE, NULL);
      fh_fd_writer_flush (self->script);
    }
  close_script (self);
}

void
fh_shell_session_signal (FhShellSession *self, int signum)
{
  if (self->pid > 0 && !self->exited)
    kill (self->pid, signum);
}
