/* fh-executor-main.c — farmhand-executor: runs dispatcher commands in one
 * persistent shell session.
 *
 *   stdin        command frames from the dispatcher
 *   backchannel  hello (from us), then one result frame per command (from
 *                the shell itself; see fh-shell-session.c): the socket in
 *                $FARMHAND_BACKCHANNEL_FD, or $FARMHAND_BACKCHANNEL_PATH
 *                with $FARMHAND_BACKCHANNEL_TOKEN in our hello
 *   stdout/err   the job log: each command's own output, as it happens
 *
 * Commands run in bash with farmhand's builtin (direct mode: bash reads
 * the frames and answers them itself, see fh-shell-session.h) when bash
 * and the builtin are there and no other shell was asked for; otherwise
 * this process translates frames into script lines for the shell.
 *
 * The executor leads the process group everything it starts lives in, and
 * is a child subreaper, so it can always end what it started:
 *   SIGINT        ignored here; the shell's foreground command dies
 *   SIGTERM       (from the dispatcher, or ours when the host dies) end
 *                 the whole tree, exit
 *   the dispatcher closes the backchannel (it died): end the tree, exit
 *   end of stdin  the shell finishes and exits; we end what it left
 *                 running in the background and exit with its status
 *
 * With no backchannel in the environment (behind sudo, ssh or a
 * container: the job's executor.via) stdin and stdout are the channel and
 * fh-stdio-relay.c carries frames between them and the shell.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#include "fh-error.h"
#include "fh-message.h"
#include "fh-pipe-reader.h"
#include "fh-proc.h"
#include "fh-shell-session.h"
#include "fh-stdio-relay.h"
#include "fh-wire.h"

/* How long what the session started gets between SIGTERM and SIGKILL. */
#define END_TREE_GRACE_MS 2000
#define BASH_BUILTIN "libfarmhand-bash.so"

typedef struct
{
  GMainLoop *loop;
  int bc_fd;
  char *token;            /* socket mode */
  FhWireDecoder *decoder;
  FhPipeReader *input;
  FhShellSession *shell;
  FhStdioRelay *relay;    /* the stdio channel, or NULL */
  int exit_code;
  int signum;
  int asked_exit;         /* an exit frame's code, -1: none came */
} Executor;

/* Everything we started: our process group, and orphans that came back to
 * us as the subreaper. */
static void
end_tree (void)
{
  fh_proc_end_tree (getpgrp (), getpid (), END_TREE_GRACE_MS);
}

static void G_GNUC_NORETURN die (Executor *ex, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
die (Executor *ex, int code, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_printerr ("farmhand-executor: %s\n", msg);
  end_tree ();
  _exit (code);
}

static void
send_message (Executor *ex, const FhMessage *msg)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GError) err = NULL;

  if (ex->relay != NULL)
    {
      fh_stdio_relay_send (ex->relay, msg);
      return;
    }
  if (!fh_message_append_frame (msg, out, &err) ||
      !fh_wire_send_all (ex->bc_fd, out->data, out->len, &err))
    die (ex, 1, "backchannel: %s", err->message);
}

static void
on_shell_exit (int exit_code, int signum, gpointer user_data)
{
  Executor *ex = user_data;

  ex->exit_code = exit_code;
  ex->signum = signum;
  g_main_loop_quit (ex->loop);
}

static void
handle_frame (Executor *ex, const char *payload, gsize len)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhMessage) msg = fh_message_parse (payload, len, &err);

  if (msg == NULL)
    die (ex, 2, "protocol error in command frame %" G_GUINT64_FORMAT ": %s",
         fh_wire_decoder_get_n_frames (ex->decoder), err->message);
  if (msg->type == FH_MESSAGE_EXIT)
    {
      ex->asked_exit = (int) msg->code;
      fh_shell_session_end_input (ex->shell);
      return;
    }
  if (msg->type != FH_MESSAGE_COMMAND)
    die (ex, 2, "protocol error: expected a command, got a '%s' message",
         fh_message_type_to_string (msg->type));
  fh_shell_session_run (ex->shell, msg);
}

static void
on_input (const char *data, gsize len, gpointer user_data)
{
  Executor *ex = user_data;
  g_autoptr (GError) err = NULL;
  const char *payload;
  gsize plen;

  if (len == 0)
    {
      /* End of input: the shell finishes what it has, then exits. */
      if (!fh_wire_decoder_finish (ex->decoder, &err))
        die (ex, 2, "protocol error on stdin: %s", err->message);
      fh_shell_session_end_input (ex->shell);
      return;
    }
  fh_wire_decoder_push (ex->decoder, data, len);
  while (fh_wire_decoder_next (ex->decoder, &payload, &plen, &err))
    handle_frame (ex, payload, plen);
  if (err != NULL)
    die (ex, 2, "protocol error on stdin: %s", err->message);
}

/* Translator mode behind the stdio channel: the relay's commands. */
static void
on_relay_command (const FhMessage *command, gpointer user_data)
{
  Executor *ex = user_data;

  if (command == NULL || command->type == FH_MESSAGE_EXIT)
    {
      if (command != NULL)
        ex->asked_exit = (int) command->code;
      fh_shell_session_end_input (ex->shell);
    }
  else
    fh_shell_session_run (ex->shell, command);
}

static gboolean
on_sigint (gpointer user_data)
{
  Executor *ex = user_data;

  /* The dispatcher is interrupting the command: the signal went to the
   * whole process group.  bash (direct mode) discards the rest of the
   * command; a translator-mode shell ends, and its result must say why. */
  if (ex->shell != NULL)
    fh_shell_session_note_interrupt (ex->shell);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigterm (gpointer user_data)
{
  end_tree ();
  _exit (128 + SIGTERM);
}

/* The dispatcher never writes to the backchannel: any readiness is its
 * end closing, i.e. the dispatcher is gone.  Nobody is left to report to;
 * end everything. */
static gboolean
on_backchannel_closed (int fd, GIOCondition cond, gpointer user_data)
{
  end_tree ();
  _exit (128 + SIGHUP);
}

static int
inherited_backchannel (const char *s)
{
  struct stat st;
  char *end;
  long fd = strtol (s, &end, 10);

  if (*end != '\0' || fd < 0 || fd > 65535 || fstat ((int) fd, &st) < 0 || !S_ISSOCK (st.st_mode))
    die (NULL, 2, FH_ENV_BACKCHANNEL_FD "=%s is not an open socket", s);
  return (int) fd;
}

static int
connect_backchannel (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (strlen (path) >= sizeof addr.sun_path)
    die (NULL, 2, FH_ENV_BACKCHANNEL_PATH " is too long: %s", path);
  strcpy (addr.sun_path, path);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    die (NULL, 2, "cannot connect to the backchannel %s: %s", path, g_strerror (errno));
  return fd;
}

/* No backchannel in the environment: the dispatcher reaches us through a
 * transport, over stdin and stdout. */
static int
open_channel (Executor *ex)
{
  g_autoptr (GError) err = NULL;

  if ((ex->relay = fh_stdio_relay_new (&err)) == NULL)
    die (NULL, 2, "%s", err->message);
  return fh_stdio_relay_get_results_fd (ex->relay);
}

/* The inherited socket (FARMHAND_BACKCHANNEL_FD), or the fallback socket
 * plus token, or the stdio channel.  Commands must never hold it or learn
 * of it. */
static int
open_backchannel (Executor *ex)
{
  const char *fd_str = g_getenv (FH_ENV_BACKCHANNEL_FD);
  const char *path = g_getenv (FH_ENV_BACKCHANNEL_PATH);
  int fd;

  if (fd_str != NULL)
    fd = inherited_backchannel (fd_str);
  else if (path != NULL)
    {
      fd = connect_backchannel (path);
      ex->token = g_strdup (g_getenv (FH_ENV_BACKCHANNEL_TOKEN));
    }
  else
    return open_channel (ex);
  fcntl (fd, F_SETFD, FD_CLOEXEC);
  g_unsetenv (FH_ENV_BACKCHANNEL_FD);
  g_unsetenv (FH_ENV_BACKCHANNEL_PATH);
  g_unsetenv (FH_ENV_BACKCHANNEL_TOKEN);
  return fd;
}

static void
watch_everything (Executor *ex)
{
  /* Before the shell's exit is handled in the same iteration (translator
   * mode): the interrupt came first. */
  g_unix_signal_add_full (G_PRIORITY_HIGH, SIGINT, on_sigint, ex, NULL);
  g_unix_signal_add (SIGTERM, on_sigterm, ex);
  /* (The relay watches the stdio channel itself.) */
  if (ex->relay == NULL)
    g_unix_fd_add (ex->bc_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_backchannel_closed, ex);
}

/* The shell asked for (--shell, $FARMHAND_SHELL), else bash, else /bin/sh;
 * bash's `source`, `declare` and arrays are what job scripts expect. */
static char *
choose_shell (const char *asked)
{
  const char *env = g_getenv ("FARMHAND_SHELL");
  char *bash;

  if (asked != NULL)
    return g_strdup (asked);
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if ((bash = g_find_program_in_path ("bash")) != NULL)
    return bash;
  return g_strdup ("/bin/sh");
}

/* The bash builtin is installed (and built) beside this program, wherever
 * that is: on the far side of a transport as much as here. */
static char *
builtin_path (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : g_strdup (FH_LIBEXECDIR);

  return g_build_filename (dir, BASH_BUILTIN, NULL);
}

/* Direct mode when @shell is bash and our builtin is installed beside us;
 * if bash cannot load it, say so in the log and translate instead. */
static FhShellSession *
start_direct (Executor *ex, const char *shell)
{
  g_autofree char *base = g_path_get_basename (shell);
  g_autofree char *builtin = NULL;
  g_autoptr (GError) err = NULL;
  FhShellSession *session;

  if (!g_str_equal (base, "bash"))
    return NULL;
  builtin = builtin_path ();
  if (!g_file_test (builtin, G_FILE_TEST_EXISTS))
    return NULL;
  session = fh_shell_session_new_direct (shell, builtin,
                                         ex->relay ? fh_stdio_relay_get_frames_fd (ex->relay) : STDIN_FILENO,
                                         ex->bc_fd, on_shell_exit, ex, &err);
  if (session == NULL)
    g_printerr ("farmhand-executor: %s; commands go through this process instead\n", err->message);
  return session;
}

static void
start_shell (Executor *ex, const char *shell, gboolean translate)
{
  g_autoptr (GError) err = NULL;

  if (!translate && (ex->shell = start_direct (ex, shell)) != NULL)
    {
      if (ex->relay != NULL)
        fh_stdio_relay_start (ex->relay, NULL, NULL);
      return;
    }
  ex->shell = fh_shell_session_new (shell, ex->bc_fd, on_shell_exit, ex, &err);
  if (ex->shell == NULL)
    die (ex, 1, "%s", err->message);
  if (ex->relay != NULL)
    fh_stdio_relay_start (ex->relay, on_relay_command, ex);
  else
    ex->input = fh_pipe_reader_new (STDIN_FILENO, NULL, on_input, ex);
}

int
main (int argc, char **argv)
{
  g_autofree char *shell = NULL;
  g_autofree char *chosen = NULL;
  gboolean version = FALSE;
  gboolean translate = FALSE;
  GOptionEntry entries[] = {
    { "shell", 0, 0, G_OPTION_ARG_FILENAME, &shell, "Shell to run commands in (default: $FARMHAND_SHELL, else bash, else /bin/sh)", "PATH" },
    { "translate", 0, 0, G_OPTION_ARG_NONE, &translate, "Pass commands to the shell through this process (translator mode) even for bash", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- run farmhand commands in a persistent shell");
  g_autoptr (GError) err = NULL;
  g_autoptr (FhMessage) hello = NULL;
  Executor ex = { .asked_exit = -1 };

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx, "Started by the farmhand dispatcher, not by hand: "
                                    "commands arrive as frames on stdin,\nresults leave on the "
                                    "backchannel named by FARMHAND_BACKCHANNEL_FD.");
  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    die (NULL, 2, "%s", err->message);
  if (version)
    {
      g_print ("farmhand-executor %s (protocol %d)\n", FH_VERSION, FH_PROTOCOL_VERSION);
      return 0;
    }
  chosen = choose_shell (shell);
  ex.bc_fd = open_backchannel (&ex);
  signal (SIGPIPE, SIG_IGN);
  fh_proc_become_subreaper ();
  ex.loop = g_main_loop_new (NULL, FALSE);
  ex.decoder = fh_wire_decoder_new (FH_WIRE_MAX_FRAME);
  watch_everything (&ex);
  start_shell (&ex, chosen, translate);
  /* The dispatcher echoes commands into the log for us (echo: false): it
   * costs it no system call, and us one per command. */
  hello = fh_message_new_hello ("shell", getpid (), ex.token);
  hello->user = g_strdup (g_get_user_name ());
  hello->host = g_strdup (g_get_host_name ());
  /* Both shell modes answer a compact command with a compact result. */
  hello->compact = FH_WIRE_COMPACT_VERSION;
  send_message (&ex, hello);
  g_main_loop_run (ex.loop);
  fh_pipe_reader_free (ex.input);
  fh_shell_session_free (ex.shell);
  /* Sends the last of the output before the exit status travels back. */
  g_clear_pointer (&ex.relay, fh_stdio_relay_free);
  fh_wire_decoder_free (ex.decoder);
  g_main_loop_unref (ex.loop);
  g_free (ex.token);
  /* The shell is gone; whatever it left running in the background goes. */
  end_tree ();
  if (ex.signum != 0)
    {
      /* Die the way the shell died, so the dispatcher reports the signal. */
      signal (ex.signum, SIG_DFL);
      kill (getpid (), ex.signum);
    }
  /* A shell that ended cleanly at the dispatcher's exit frame (translator
   * mode; in direct mode bash exits with the code itself). */
  if (ex.asked_exit >= 0 && ex.exit_code == 0)
    return ex.asked_exit;
  return ex.exit_code;
}
