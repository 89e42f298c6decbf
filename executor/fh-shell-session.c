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
#include "fh-proc.h"

#define SCRIPT_FD 3
/* Direct mode: bash's script (a memfd bash reads at SCRIPT_FD, which the
 * builtin appends to at SCRIPT_W_FD), command frames, backchannel and
 * ready pipe. */
#define FRAMES_FD 4
#define BACKCHANNEL_FD 5
#define SCRIPT_W_FD 6
#define READY_FD 7

/* Run once, first: close the script's own fd so commands cannot read it;
 * define the slow-path result writer (failures, where the frame length
 * depends on the exit status); answer for a command that ends the session
 * (a "final" result: the dispatcher starts a new session for the next).
 * printf "\\ddd" writes the octal byte ddd, so the length header needs no
 * external program. */
static const char preamble[] =
  "exec 3<&-\n"
  /* Interrupting a command (SIGINT to the process group) must not end the
   * session: only the foreground command dies, as at a terminal. */
  "trap : INT\n"
  "__fh_result () {\n"
  "  __fh_f=\n"
  "  [ -z \"$4\" ] || __fh_f=',\"final\":true'\n"
  "  if [ \"$2\" = 0 ]; then\n"
  "    __fh_j=\"{\\\"type\\\":\\\"result\\\",\\\"seq\\\":$1,\\\"status\\\":0,\\\"code\\\":0$__fh_f}\"\n"
  "  else\n"
  "    __fh_j=\"{\\\"type\\\":\\\"result\\\",\\\"seq\\\":$1,\\\"status\\\":1,\\\"code\\\":$2,"
  "\\\"traceback\\\":\\\"$3 $2\\\",\\\"stderr_lines\\\":" G_STRINGIFY (FH_SHELL_STDERR_LINES) "$__fh_f}\"\n"
  "  fi\n"
  "  __fh_n=${#__fh_j}\n"
  "  printf \"\\\\000\\\\000\\\\$((__fh_n / 16384))$((__fh_n / 2048 % 8))$((__fh_n / 256 % 8))"
  "\\\\$((__fh_n % 256 / 64))$((__fh_n / 8 % 8))$((__fh_n % 8))%s\" \"$__fh_j\"\n"
  "}\n"
  "trap '__fh_s=$?; [ -z \"$__fh_seq\" ] || __fh_result \"$__fh_seq\" \"$__fh_s\" "
  "\"" FH_SHELL_TB_ENDED "\" final' EXIT\n";

/* Direct mode: the start of bash's script; the builtin appends the rest
 * (see fh-bash-link.h).  exit 125 when the builtin cannot load, so the
 * executor can tell.  The script is padded to 8 KiB before its last line:
 * bash sizes its read buffer by the script's size when it opens it. */
static const char direct_preamble[] =
  "exec 3<&-\n"
  "BASH_ARGV0=farmhand\n"
  "enable -f \"$FARMHAND_BASH_BUILTIN\" farmhand_step || exit 125\n"
  "unset FARMHAND_BASH_BUILTIN\n"
  "trap : INT\n"
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
  int script_fd;
  FhFdWriter *script;
  gboolean exited;
  FhShellExitFunc exit_func;
  gpointer user_data;
};

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
    self->exit_func (128 + g_subprocess_get_term_sig (proc),
                     g_subprocess_get_term_sig (proc), self->user_data);
  else
    self->exit_func (g_subprocess_get_exit_status (proc), 0, self->user_data);
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

static GSubprocess *
spawn_shell (const char *shell, int script_r, int backchannel_fd, GError **error)
{
  /* stdout is the backchannel, set below; stderr is inherited. */
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *script_path = g_strdup_printf ("/dev/fd/%d", SCRIPT_FD);
  const char *argv[] = { shell, script_path, NULL };
  int log_fd, bc_fd;
  GSubprocess *proc;

  if ((log_fd = dup_above (STDOUT_FILENO, error)) < 0)
    return NULL;
  if ((bc_fd = dup_above (backchannel_fd, error)) < 0)
    {
      close (log_fd);
      return NULL;
    }
  g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  g_subprocess_launcher_take_stdout_fd (launcher, bc_fd);
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
  g_subprocess_launcher_unsetenv (launcher, "FARMHAND_BACKCHANNEL_FD");
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
  self->script_fd = -1;
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
  int fds[2];

  self->exit_func = on_exit_func;
  self->user_data = user_data;
  self->script_fd = -1;
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return fh_throw_null (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN,
                          "creating the script pipe: %s", g_strerror (errno));
  self->proc = spawn_shell (shell, fds[0], backchannel_fd, error);
  if (self->proc == NULL)
    {
      close (fds[1]);
      return NULL;
    }
  self->pid = (pid_t) atoi (g_subprocess_get_identifier (self->proc));
  self->script_fd = fds[1];
  self->script = fh_fd_writer_new (fds[1], g_main_context_get_thread_default (),
                                   on_script_error, self);
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
  g_clear_object (&self->proc);
  g_free (self);
}

/* printf '<frame>' for a successful result: the common case, built here so
 * the shell only has to print it. */
static void
append_ok_frame (GString *line, gint64 seq)
{
  g_autofree char *json = g_strdup_printf (
      "{\"type\":\"result\",\"seq\":%" G_GINT64_FORMAT ",\"status\":0,\"code\":0}", seq);
  gsize n = strlen (json);

  g_string_append_printf (line, "printf '\\%03o\\%03o\\%03o\\%03o%s'",
                          (guint) (n >> 24) & 0xff, (guint) (n >> 16) & 0xff,
                          (guint) (n >> 8) & 0xff, (guint) n & 0xff, json);
}

void
fh_shell_session_run (FhShellSession *self, gint64 seq, const char *command)
{
  GByteArray *buf;
  g_autoptr (GString) line = g_string_sized_new (strlen (command) + 256);

  g_return_if_fail (!self->direct);
  if (self->script == NULL)
    return;
  g_string_append_printf (line, "__fh_seq=%" G_GINT64_FORMAT "; command eval '", seq);
  /* Single-quote the command: ' becomes '\'' and nothing else is special. */
  for (const char *p = command; *p; p++)
    if (*p == '\'')
      g_string_append (line, "'\\''");
    else
      g_string_append_c (line, *p);
  g_string_append_printf (line, "' >&%d; __fh_s=$?; __fh_seq=; case $__fh_s in 0) ",
                          FH_SHELL_LOG_FD);
  append_ok_frame (line, seq);
  g_string_append_printf (line, ";; *) __fh_result %" G_GINT64_FORMAT
                          " $__fh_s '" FH_SHELL_TB_EXITED "';; esac\n", seq);
  buf = fh_fd_writer_get_buffer (self->script);
  g_byte_array_append (buf, (const guint8 *) line->str, (guint) line->len);
  fh_fd_writer_flush (self->script);
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

pid_t
fh_shell_session_get_pid (FhShellSession *self)
{
  return self->pid;
}
