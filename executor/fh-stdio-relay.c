/* fh-stdio-relay.c — the stdio channel, shell executor side (see the header). */
#include "config.h"

#include "fh-stdio-relay.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fh-error.h"
#include "fh-pipe-reader.h"
#include "fh-proc.h"
#include "fh-wire.h"

/* What the session started gets between SIGTERM and SIGKILL. */
#define END_TREE_GRACE_MS 2000
/* Fds of ours sit above the ones jobs use. */
#define HIGH_FD 100

struct _FhStdioRelay
{
  int in_fd, out_fd;            /* the channel */
  int frames_r, frames_w;       /* command frames for bash (direct mode) */
  int results[2];               /* [0] ours, [1] the shell's */
  int pipes[2];                 /* what commands print: stdout, stderr (read ends) */
  GString *carry[2];            /* an unfinished UTF-8 character per stream */
  FhWireDecoder *in, *up;       /* the channel's input; the shell's frames */
  FhPipeReader *readers[4];     /* in, results, stdout, stderr */
  gint in_flight;               /* commands sent down and not yet answered */
  gint64 last_in;
  gint64 limit_us;              /* no heartbeat for this long: the dispatcher is gone */
  guint timer;
  FhStdioRelayCommandFunc func;
  gpointer user_data;
};

/* The dispatcher is gone, or asked us to go: nothing may outlive us. */
static void G_GNUC_NORETURN
end_all (int code)
{
  fh_proc_end_tree (getpgrp (), getpid (), END_TREE_GRACE_MS);
  _exit (code);
}

static void
write_up (FhStdioRelay *self, const void *data, gsize len)
{
  g_autoptr (GError) err = NULL;

  /* The channel broke: nobody is left to report to. */
  if (!fh_wire_write_all (self->out_fd, data, len, &err))
    end_all (128 + SIGHUP);
}

void
fh_stdio_relay_send (FhStdioRelay *self, const FhMessage *msg)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  if (fh_message_append_frame (msg, out, NULL))
    write_up (self, out->data, out->len);
}

/* ---- what commands print ------------------------------------------------ */

/* The longest prefix of @data that ends on a whole UTF-8 character, when
 * only a character cut by the read follows it. */
static gsize
whole_chars (const char *data, gsize len)
{
  const char *end;

  if (g_utf8_validate_len (data, len, &end) || len - (gsize) (end - data) >= 4 ||
      g_utf8_get_char_validated (end, (gssize) (len - (gsize) (end - data))) != (gunichar) -2)
    return len;
  return (gsize) (end - data);
}

static void
on_stream (FhStdioRelay *self, int i, const char *data, gsize len)
{
  GString *buf = self->carry[i];
  g_autoptr (FhMessage) msg = fh_message_new (FH_MESSAGE_STREAM);
  gsize n;

  g_string_append_len (buf, data, (gssize) len);
  n = len == 0 ? buf->len : whole_chars (buf->str, buf->len);
  if (n == 0)
    return;
  msg->stream = i == 0 ? FH_STREAM_STDOUT : FH_STREAM_STDERR;
  msg->text = g_utf8_make_valid (buf->str, (gssize) n);
  g_string_erase (buf, 0, (gssize) n);
  fh_stdio_relay_send (self, msg);
}

static void
on_stdout (const char *data, gsize len, gpointer user_data)
{
  on_stream (user_data, 0, data, len);
}

static void
on_stderr (const char *data, gsize len, gpointer user_data)
{
  on_stream (user_data, 1, data, len);
}

static void
drain_output (FhStdioRelay *self)
{
  for (int i = 2; i < 4; i++)
    if (self->readers[i] != NULL && fh_pipe_reader_is_open (self->readers[i]))
      fh_pipe_reader_drain (self->readers[i], 64);
}

/* ---- the shell's frames, up --------------------------------------------- */

static void
on_results (const char *data, gsize len, gpointer user_data)
{
  FhStdioRelay *self = user_data;
  const char *payload;
  gsize plen;

  fh_wire_decoder_push (self->up, data, len);
  while (fh_wire_decoder_next (self->up, &payload, &plen, NULL))
    {
      g_autoptr (GByteArray) frame = g_byte_array_new ();
      g_autoptr (FhMessage) msg = fh_message_parse (payload, plen, NULL);

      if (msg != NULL && msg->type == FH_MESSAGE_RESULT && self->in_flight > 0)
        self->in_flight--;
      /* The shell wrote its output before this frame: it goes first. */
      drain_output (self);
      fh_wire_append_frame (frame, payload, plen, NULL);
      write_up (self, frame->data, frame->len);
    }
}

/* ---- the dispatcher's frames, down -------------------------------------- */

static void
on_signal (const FhMessage *msg)
{
  switch (msg->signal)
    {
    case FH_SIGNAL_INTERRUPT:
      /* As the dispatcher does locally: SIGURG first, for bash. */
      killpg (getpgrp (), SIGURG);
      killpg (getpgrp (), SIGINT);
      break;
    case FH_SIGNAL_TERMINATE:
      end_all (128 + SIGTERM);
    case FH_SIGNAL_KILL:
      killpg (getpgrp (), SIGKILL);
      _exit (128 + SIGKILL);  /* pid 1 of a namespace does not get it */
    }
}

static void G_GNUC_NORETURN
protocol_error (const char *what, const char *detail)
{
  g_printerr ("farmhand-executor: protocol error on the channel: %s%s%s\n", what,
              detail ? ": " : "", detail ? detail : "");
  end_all (2);
}

static void
handle_down (FhStdioRelay *self, const char *payload, gsize len)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhMessage) msg = fh_message_parse (payload, len, &err);

  if (msg == NULL)
    protocol_error ("a bad frame", err->message);
  self->last_in = g_get_monotonic_time ();
  if (msg->type == FH_MESSAGE_SIGNAL)
    on_signal (msg);
  else if (msg->type == FH_MESSAGE_COMMAND || msg->type == FH_MESSAGE_EXIT)
    {
      self->in_flight += msg->type == FH_MESSAGE_COMMAND;
      if (self->func != NULL)
        self->func (msg, self->user_data);
      else
        {
          g_autoptr (GByteArray) frame = g_byte_array_new ();
          fh_wire_append_frame (frame, payload, len, NULL);
          if (!fh_wire_write_all (self->frames_w, frame->data, frame->len, &err))
            protocol_error ("the shell does not take commands", err->message);
        }
    }
  else if (msg->type != FH_MESSAGE_HEARTBEAT)
    protocol_error ("an unexpected frame", fh_message_type_to_string (msg->type));
}

static void
handle_input (FhStdioRelay *self)
{
  g_autoptr (GError) err = NULL;
  const char *payload;
  gsize plen;

  while (fh_wire_decoder_next (self->in, &payload, &plen, &err))
    handle_down (self, payload, plen);
  if (err != NULL)
    protocol_error ("a bad frame", err->message);
}

static void
on_input (const char *data, gsize len, gpointer user_data)
{
  FhStdioRelay *self = user_data;

  if (len == 0)
    {
      /* The end of input during a command: the dispatcher is gone. */
      if (self->in_flight > 0)
        end_all (128 + SIGHUP);
      if (self->func != NULL)
        self->func (NULL, self->user_data);
      else if (self->frames_w >= 0)
        {
          close (self->frames_w);
          self->frames_w = -1;
        }
      return;
    }
  fh_wire_decoder_push (self->in, data, len);
  handle_input (self);
}

static gboolean
on_heartbeat_check (gpointer user_data)
{
  FhStdioRelay *self = user_data;

  if (self->in_flight > 0 && g_get_monotonic_time () - self->last_in > self->limit_us)
    {
      g_printerr ("farmhand-executor: no heartbeat from the dispatcher for %" G_GINT64_FORMAT
                  " s; ending everything\n", self->limit_us / G_USEC_PER_SEC);
      end_all (128 + SIGHUP);
    }
  return G_SOURCE_CONTINUE;
}

/* ---- opening ------------------------------------------------------------ */

/* The dispatcher's first frame, read from fd 0; what follows it stays in
 * @self->in. */
/* The dispatcher's first frame, which must be its channel message. */
static FhMessage *
read_channel (FhStdioRelay *self, GError **error)
{
  char buf[65536];
  const char *payload;
  gsize len;
  g_autoptr (GError) local = NULL;
  FhMessage *msg;

  while (!fh_wire_decoder_next (self->in, &payload, &len, &local))
    {
      ssize_t n;
      if (local != NULL)
        return fh_throw_null (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_UNEXPECTED,
                              "the channel frame: %s", local->message);
      if ((n = read (STDIN_FILENO, buf, sizeof buf)) < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return fh_throw_null (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_UNEXPECTED,
                              "stdin ended before the dispatcher's channel frame: this "
                              "program is started by the farmhand dispatcher");
      fh_wire_decoder_push (self->in, buf, (gsize) n);
    }
  if ((msg = fh_message_parse (payload, len, error)) == NULL)
    return NULL;
  if (msg->type != FH_MESSAGE_CHANNEL)
    {
      fh_message_free (msg);
      return fh_throw_null (error, FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_UNEXPECTED,
                            "the dispatcher's first frame is not a channel frame");
    }
  return msg;
}

/* The job's environment and directory: they do not cross sudo or ssh. */
static gboolean
enter (FhStdioRelay *self, const FhMessage *channel, GError **error)
{
  for (guint i = 0; channel->env[i] != NULL; i++)
    {
      const char *eq = strchr (channel->env[i], '=');
      g_autofree char *name = g_strndup (channel->env[i], (gsize) (eq - channel->env[i]));
      g_setenv (name, eq + 1, TRUE);
    }
  if (channel->cwd != NULL && chdir (channel->cwd) < 0)
    return fh_throw_errno (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN, errno,
                           "cannot change to the job's directory %s on %s", channel->cwd, g_get_host_name ());
  self->limit_us = MAX (10, 10 * channel->heartbeat_s) * G_USEC_PER_SEC;
  /* Our own group, for the signal frames (EPERM: we lead a session). */
  setpgid (0, 0);
  return TRUE;
}

/* fds 0/1 become the channel's, fd 0 /dev/null, fds 1/2 our pipes. */
static gboolean
take_stdio (FhStdioRelay *self, GError **error)
{
  int devnull, fds[2];

  if ((self->in_fd = fcntl (STDIN_FILENO, F_DUPFD_CLOEXEC, HIGH_FD)) < 0 ||
      (self->out_fd = fcntl (STDOUT_FILENO, F_DUPFD_CLOEXEC, HIGH_FD)) < 0 ||
      (devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
    return fh_throw_errno (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN, errno, "taking stdio");
  dup2 (devnull, STDIN_FILENO);
  close (devnull);
  for (int i = 0; i < 2; i++)
    {
      if (pipe2 (fds, O_CLOEXEC) < 0)
        return fh_throw_errno (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN, errno, "pipe");
      dup2 (fds[1], i + 1);
      close (fds[1]);
      self->pipes[i] = fds[0];
    }
  if (pipe2 (fds, O_CLOEXEC) < 0 || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, self->results) < 0)
    return fh_throw_errno (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN, errno, "pipe");
  self->frames_r = fds[0];
  self->frames_w = fds[1];
  return TRUE;
}

FhStdioRelay *
fh_stdio_relay_new (GError **error)
{
  g_autoptr (FhMessage) channel = NULL;
  g_autofree char *sentinel = NULL;
  FhStdioRelay *self = g_new0 (FhStdioRelay, 1);

  self->in = fh_wire_decoder_new (FH_WIRE_MAX_FRAME);
  self->up = fh_wire_decoder_new (FH_WIRE_MAX_FRAME);
  self->frames_r = self->frames_w = self->in_fd = self->out_fd = -1;
  self->results[0] = self->results[1] = self->pipes[0] = self->pipes[1] = -1;
  for (int i = 0; i < 2; i++)
    self->carry[i] = g_string_new (NULL);
  if ((channel = read_channel (self, error)) == NULL || !enter (self, channel, error) ||
      !take_stdio (self, error))
    goto fail;
  /* The sentinel opens the channel: what came before it on stdout was the
   * transport's (a banner, a MOTD). */
  sentinel = g_strdup_printf ("\n" FH_CHANNEL_SENTINEL " %s\n", channel->token);
  write_up (self, sentinel, strlen (sentinel));
  return self;
fail:
  fh_stdio_relay_free (self);
  return NULL;
}

int
fh_stdio_relay_get_frames_fd (FhStdioRelay *self)
{
  return self->frames_r;
}

int
fh_stdio_relay_get_results_fd (FhStdioRelay *self)
{
  return self->results[1];
}

void
fh_stdio_relay_start (FhStdioRelay *self, FhStdioRelayCommandFunc func, gpointer user_data)
{
  FhPipeDataFunc funcs[4] = { on_input, on_results, on_stdout, on_stderr };
  int fds[4] = { self->in_fd, self->results[0], self->pipes[0], self->pipes[1] };

  self->func = func;
  self->user_data = user_data;
  self->last_in = g_get_monotonic_time ();
  for (int i = 0; i < 4; i++)
    self->readers[i] = fh_pipe_reader_new (fds[i], NULL, funcs[i], self);
  /* Output first: a frame must not overtake what was printed before it. */
  fh_pipe_reader_set_priority (self->readers[2], FH_PRIORITY_LOG);
  fh_pipe_reader_set_priority (self->readers[3], FH_PRIORITY_LOG);
  /* What came with the channel frame. */
  handle_input (self);
  self->timer = g_timeout_add_seconds (1, on_heartbeat_check, self);
}

void
fh_stdio_relay_free (FhStdioRelay *self)
{
  if (self == NULL)
    return;
  /* The last of what the session printed and answered (translator mode
   * answers for a shell that ended as the shell goes). */
  if (self->readers[1] != NULL)
    fh_pipe_reader_drain (self->readers[1], 64);
  drain_output (self);
  for (int i = 0; i < 2; i++)
    {
      if (self->readers[i + 2] != NULL)
        on_stream (self, i, "", 0);
      g_string_free (self->carry[i], TRUE);
    }
  if (self->timer != 0)
    g_source_remove (self->timer);
  for (int i = 0; i < 4; i++)
    g_clear_pointer (&self->readers[i], fh_pipe_reader_free);
  fh_wire_decoder_free (self->in);
  fh_wire_decoder_free (self->up);
  for (int i = 0; i < 2; i++)
    {
      if (self->pipes[i] >= 0)
        close (self->pipes[i]);
      if (self->results[i] >= 0)
        close (self->results[i]);
    }
  if (self->frames_r >= 0)
    close (self->frames_r);
  if (self->frames_w >= 0)
    close (self->frames_w);
  if (self->in_fd >= 0)
    close (self->in_fd);
  if (self->out_fd >= 0)
    close (self->out_fd);
  g_free (self);
}
