/* fh-executor-main.c — farmhand-executor: runs dispatcher commands in one
 * persistent shell session.
 *
 *   stdin        command frames from the dispatcher
 *   backchannel  hello (from us), then one result frame per command (from
 *                the shell itself; see fh-shell-session.c)
 *                (fd in $FARMHAND_BACKCHANNEL_FD)
 *   stdout/err   the job log: each command's own output, as it happens
 *
 * The executor exits as its shell does: with the shell's exit status once
 * its input ends, or when a command ends the shell (`exit 3`); killed by
 * the same signal when the shell was.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib-unix.h>

#include "fh-error.h"
#include "fh-message.h"
#include "fh-pipe-reader.h"
#include "fh-shell-session.h"
#include "fh-wire.h"

typedef struct
{
  GMainLoop *loop;
  int bc_fd;
  FhWireDecoder *decoder;
  FhPipeReader *input;
  FhShellSession *shell;
  int exit_code;
  int signum;
} Executor;

static void G_GNUC_NORETURN
die (Executor *ex, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
die (Executor *ex, int code, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_printerr ("farmhand-executor: %s\n", msg);
  if (ex != NULL && ex->shell != NULL)
    fh_shell_session_signal (ex->shell, SIGKILL);
  exit (code);
}

static void
send_message (Executor *ex, const FhMessage *msg)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GError) err = NULL;

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
  if (msg->type != FH_MESSAGE_COMMAND)
    die (ex, 2, "protocol error: expected a command, got a '%s' message",
         fh_message_type_to_string (msg->type));
  fh_shell_session_run (ex->shell, msg->seq, msg->command);
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

static int
backchannel_fd (void)
{
  const char *s = g_getenv ("FARMHAND_BACKCHANNEL_FD");
  struct stat st;
  char *end;
  long fd;

  if (s == NULL)
    die (NULL, 2, "FARMHAND_BACKCHANNEL_FD is not set: this program is started "
         "by the farmhand dispatcher, which passes it a private backchannel");
  fd = strtol (s, &end, 10);
  if (*end != '\0' || fd < 0 || fd > 65535 || fstat ((int) fd, &st) < 0 || !S_ISSOCK (st.st_mode))
    die (NULL, 2, "FARMHAND_BACKCHANNEL_FD=%s is not an open socket", s);
  /* Commands must never inherit the backchannel. */
  fcntl ((int) fd, F_SETFD, FD_CLOEXEC);
  g_unsetenv ("FARMHAND_BACKCHANNEL_FD");
  return (int) fd;
}

int
main (int argc, char **argv)
{
  g_autofree char *shell = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "shell", 0, 0, G_OPTION_ARG_FILENAME, &shell, "Shell to run commands in (default: $FARMHAND_SHELL or /bin/sh)", "PATH" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- run farmhand commands in a persistent shell");
  g_autoptr (GError) err = NULL;
  Executor ex = { 0 };

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
  if (shell == NULL)
    shell = g_strdup (g_getenv ("FARMHAND_SHELL") ? g_getenv ("FARMHAND_SHELL") : "/bin/sh");
  ex.bc_fd = backchannel_fd ();
  signal (SIGPIPE, SIG_IGN);
  ex.loop = g_main_loop_new (NULL, FALSE);
  ex.decoder = fh_wire_decoder_new (FH_WIRE_MAX_FRAME);
  ex.shell = fh_shell_session_new (shell, ex.bc_fd, on_shell_exit, &ex, &err);
  if (ex.shell == NULL)
    die (&ex, 1, "%s", err->message);
  {
    /* The dispatcher echoes commands into the log for us: it costs it no
     * system call, and us one per command. */
    g_autoptr (FhMessage) hello = fh_message_new_hello ("shell", getpid (), NULL);
    send_message (&ex, hello);
  }
  ex.input = fh_pipe_reader_new (STDIN_FILENO, NULL, on_input, &ex);
  g_main_loop_run (ex.loop);
  fh_pipe_reader_free (ex.input);
  fh_shell_session_free (ex.shell);
  fh_wire_decoder_free (ex.decoder);
  g_main_loop_unref (ex.loop);
  if (ex.signum != 0)
    {
      /* Die the way the shell died, so the dispatcher reports the signal. */
      signal (ex.signum, SIG_DFL);
      kill (getpid (), ex.signum);
    }
  return ex.exit_code;
}
