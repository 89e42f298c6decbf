/* fh-executor-connection.c — one executor process and the conversation with it.
 *
 * State model.  After fh_executor_connection_start() the executor runs and four
 * event sources feed the state: the backchannel (frames → messages), its
 * stdout and stderr (FhExecutorLog), and the child watch (exit).  At most
 * one command is in flight (pending_seq != 0); its result is parked in
 * `result` until fh_executor_connection_run() collects it.
 *
 * Ordering.  An executor writes a command's output before it sends the
 * command's result, and the log readers outrank the backchannel in the
 * main loop, so when a result is handled the command's output has been
 * read.  When the executor exits we drain the pipes and the backchannel
 * before concluding anything: a result may still be in flight.
 *
 * Waiting.  Every blocking call iterates the context until a condition
 * holds or something stops it (wait_until(): exit, protocol failure, end
 * of the backchannel, a deadline, a stall, cancel, kill).  Nothing polls.
 *
 * Failure.  Anything the executor does wrong on the backchannel is fatal
 * for the conversation: the error is kept in `fatal` and the executor's
 * process group is killed.  A waiting call returns that error.
 */
#include "config.h"

#include "fh-executor-connection.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>

#include "fh-backchannel-listener.h"
#include "fh-error.h"
#include "fh-executor-log.h"
#include "fh-fd-writer.h"
#include "fh-proc.h"
#include "fh-json.h"
#include "fh-source.h"
#include "fh-stdio-channel.h"
#include "fh-channel-token.h"
#include "fh-wire.h"

#define READ_CHUNK 65536
/* An executor that closed its backchannel gets this long to exit. */
#define EOF_GRACE_US (2 * G_USEC_PER_SEC)
/* After SIGKILL a process is gone unless the kernel is stuck on it. */
#define KILL_WAIT_US (30 * G_USEC_PER_SEC)
/* The stdio channel: a heartbeat frame this often while a command runs;
 * the far side ends its tree when it misses them for ten times as long. */
#define HEARTBEAT_S 1

struct _FhExecutorConnection
{
  GMainContext *context;
  GCancellable *cancel;            /* graceful stop requested */
  GCancellable *kill;              /* immediate stop requested */
  gulong cancel_handler;           /* wake the loop when they fire */
  gulong kill_handler;
  GCancellable *interrupt;         /* the last command's FhRunLimits.interrupt, */
  gulong interrupt_handler;        /* watched until another comes (a job passes one) */
  gint64 grace_us;
  gboolean socket_mode;
  FhBackchannelListener *listener;

  /* The stdio channel (fh_executor_connection_set_stdio()). */
  gboolean stdio;
  char *transport;                 /* "sudo -u render --", or NULL */
  char *transport_label;           /* "sudo", or "stdio" */
  GBytes *bootstrap;               /* nullable: the executor's source */
  char *token;
  FhStdioChannel *channel;         /* the executor's stdout */
  GSource *heartbeat;

  GSubprocess *proc;
  GCancellable *wait_cancellable;  /* cancels our wait_async at free */
  gint pid;                        /* also the executor's process group */
  char *kind;                      /* argv[0] basename until hello */

  GOutputStream *stdin_stream;     /* the stdio channel's: keeps the fd alive */
  int stdin_fd;                    /* a local executor's stdin, our end of a
                                      socketpair (owned), or -1 */
  FhFdWriter *stdin_writer;        /* commands not yet written */

  int bc;                          /* the backchannel, -1 until there is one */
  GSource *bc_source;
  FhWireDecoder *decoder;

  GInputStream *log_streams[2];    /* keep the fds alive */
  FhExecutorLog *log;

  FhMessage *hello;
  gint64 next_seq;
  gint64 pending_seq;              /* 0: nothing in flight */
  FhMessage *result;
  gint64 last_message;             /* monotonic time of the last message */

  gboolean bc_eof;                 /* the executor closed the backchannel */
  gboolean exited;
  gint exit_code;                  /* exit status, or 128 + signal */
  gint term_sig;                   /* the signal that killed it, or 0 */
  gboolean killed_by_us;
  GError *fatal;
  gboolean sending_command;        /* a stdin error is the sender's to handle */
  int stdin_errno;                 /* the first write error on stdin, or 0 */

  FhExecutorConnectionLogFunc log_func;
  FhExecutorConnectionBlockFunc block_func;
  gpointer log_data;
  FhExecutorConnectionMessageFunc msg_func;
  gpointer msg_data;
};

static gboolean debug_protocol;

static void
debug_frame (const char *dir, const char *json, gsize len)
{
  if (G_UNLIKELY (debug_protocol))
    g_printerr ("farmhand[protocol] %s %.*s\n", dir, (int) MIN (len, 2000), json);
}

/* A compact frame is shown as the JSON it stands for. */
static void
debug_incoming (const char *payload, gsize len, const FhMessage *msg)
{
  g_autofree char *json = NULL;

  if (G_LIKELY (!debug_protocol))
    return;
  if (msg != NULL && msg->compact && msg->type != FH_MESSAGE_HELLO)
    {
      json = fh_message_to_json (msg, &len);
      payload = json;
    }
  debug_frame ("<-", payload, len);
}

/* ---- lifecycle ---------------------------------------------------------- */

/* Runs in the thread that cancels: wakes our loop, whose waits look at the
 * cancellables.  (Not a GCancellableSource: dropping one while another
 * thread is still inside g_cancellable_cancel() leaks it in GLib 2.74.) */
static void
on_cancelled (GCancellable *cancellable, gpointer context)
{
  g_main_context_wakeup (context);
}

static gulong
watch_cancellable (FhExecutorConnection *self, GCancellable *c)
{
  if (c == NULL)
    return 0;
  return g_cancellable_connect (c, G_CALLBACK (on_cancelled), g_main_context_ref (self->context),
                                (GDestroyNotify) g_main_context_unref);
}

/* A command's own interrupt: watched from its first command on, not
 * connected and disconnected per command (a job passes the same one to
 * every item; a wake-up between commands costs one loop iteration). */
static void
watch_interrupt (FhExecutorConnection *self, GCancellable *c)
{
  if (c == self->interrupt)
    return;
  if (self->interrupt != NULL)
    g_cancellable_disconnect (self->interrupt, self->interrupt_handler);
  g_set_object (&self->interrupt, c);
  self->interrupt_handler = watch_cancellable (self, c);
}

FhExecutorConnection *
fh_executor_connection_new (GCancellable *cancel, GCancellable *kill)
{
  FhExecutorConnection *self = g_new0 (FhExecutorConnection, 1);
  const char *dbg = g_getenv ("FARMHAND_DEBUG");

  self->bc = -1;
  self->stdin_fd = -1;
  debug_protocol = dbg != NULL && strstr (dbg, "protocol") != NULL;
  self->context = g_main_context_ref_thread_default ();
  self->decoder = fh_wire_decoder_new (FH_WIRE_MAX_FRAME);
  self->wait_cancellable = g_cancellable_new ();
  self->grace_us = 10 * G_USEC_PER_SEC;
  self->cancel = cancel ? g_object_ref (cancel) : NULL;
  self->kill = kill ? g_object_ref (kill) : NULL;
  self->cancel_handler = watch_cancellable (self, cancel);
  self->kill_handler = watch_cancellable (self, kill);
  return self;
}

static void send_signal (FhExecutorConnection *self, int signum);

static void
kill_group (FhExecutorConnection *self, int signum)
{
  if (self->pid <= 0 || self->exited)
    return;
  if (self->stdio)
    {
      /* Signals do not cross ssh or docker exec, and sudo's target may be
       * beyond ours: the far side signals its own group. */
      send_signal (self, signum);
      if (signum != SIGKILL)
        return;
    }
  /* The executor leads its own process group; signal the group so that
   * whatever it started goes too — once: a second SIGINT could interrupt
   * the handling of the first.  The pid alone if there is no group. */
  if (kill (-self->pid, signum) < 0 && errno == ESRCH)
    kill (self->pid, signum);
}

void
fh_executor_connection_free (FhExecutorConnection *self)
{
  if (self == NULL)
    return;
  kill_group (self, SIGKILL);
  g_cancellable_cancel (self->wait_cancellable);
  /* Waits for a handler running in another thread to return. */
  if (self->cancel != NULL)
    g_cancellable_disconnect (self->cancel, self->cancel_handler);
  if (self->kill != NULL)
    g_cancellable_disconnect (self->kill, self->kill_handler);
  if (self->interrupt != NULL)
    g_cancellable_disconnect (self->interrupt, self->interrupt_handler);
  g_clear_object (&self->interrupt);
  g_clear_pointer (&self->listener, fh_backchannel_listener_free);
  fh_source_clear (&self->heartbeat);
  g_clear_pointer (&self->channel, fh_stdio_channel_free);
  g_clear_pointer (&self->stdin_writer, fh_fd_writer_free);
  fh_source_clear (&self->bc_source);
  g_clear_pointer (&self->log, fh_executor_log_free);
  for (int i = 0; i < 2; i++)
    g_clear_object (&self->log_streams[i]);
  g_clear_object (&self->stdin_stream);
  if (self->stdin_fd >= 0)
    close (self->stdin_fd);
  if (self->bc >= 0)
    close (self->bc);
  g_clear_object (&self->proc);
  g_clear_object (&self->wait_cancellable);
  g_clear_object (&self->cancel);
  g_clear_object (&self->kill);
  fh_wire_decoder_free (self->decoder);
  fh_message_free (self->hello);
  fh_message_free (self->result);
  g_clear_error (&self->fatal);
  g_free (self->kind);
  g_free (self->transport);
  g_free (self->transport_label);
  g_clear_pointer (&self->bootstrap, g_bytes_unref);
  fh_channel_token_free (self->token);
  g_main_context_unref (self->context);
  g_free (self);
}

void
fh_executor_connection_set_log_func (FhExecutorConnection *self, FhExecutorConnectionLogFunc func,
                            gpointer user_data)
{
  self->log_func = func;
  self->log_data = user_data;
}

void
fh_executor_connection_set_block_func (FhExecutorConnection *self, FhExecutorConnectionBlockFunc func)
{
  self->block_func = func;
}

void
fh_executor_connection_set_message_func (FhExecutorConnection *self, FhExecutorConnectionMessageFunc func,
                                gpointer user_data)
{
  self->msg_func = func;
  self->msg_data = user_data;
}

void
fh_executor_connection_set_grace (FhExecutorConnection *self, double grace_s)
{
  self->grace_us = (gint64) (grace_s * G_USEC_PER_SEC);
}

void
fh_executor_connection_set_socket_mode (FhExecutorConnection *self, gboolean socket_mode)
{
  g_return_if_fail (self->proc == NULL);
  self->socket_mode = socket_mode;
}

void
fh_executor_connection_set_stdio (FhExecutorConnection *self, const char *transport,
                                  GBytes *bootstrap)
{
  g_return_if_fail (self->proc == NULL);
  self->stdio = TRUE;
  g_free (self->transport);
  self->transport = g_strdup (transport);
  g_free (self->transport_label);
  if (transport != NULL)
    {
      /* "/usr/bin/sudo -u render --" is the transport "sudo". */
      g_autofree char *first = g_strndup (transport, strcspn (transport, " "));
      self->transport_label = g_path_get_basename (first);
    }
  else
    self->transport_label = g_strdup ("stdio");
  g_clear_pointer (&self->bootstrap, g_bytes_unref);
  self->bootstrap = bootstrap != NULL ? g_bytes_ref (bootstrap) : NULL;
}

gboolean
fh_executor_connection_is_alive (FhExecutorConnection *self)
{
  return self->proc != NULL && !self->exited && self->fatal == NULL;
}

const FhMessage *
fh_executor_connection_get_hello (FhExecutorConnection *self)
{
  return self->hello;
}

/* ---- the job log -------------------------------------------------------- */

static void
on_log_line (FhLogStream stream, const char *line, gsize len, gboolean echo,
             gpointer user_data)
{
  FhExecutorConnection *self = user_data;

  if (self->log_func != NULL)
    self->log_func (stream, line, len, echo, self->log_data);
}

static void
on_log_block (const char *block, gsize len, gsize max_line, gpointer user_data)
{
  FhExecutorConnection *self = user_data;

  self->block_func (block, len, max_line, self->log_data);
}

static void note (FhExecutorConnection *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* A line of farmhand's own in the job log. */
static void
note (FhExecutorConnection *self, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  if (self->log != NULL)
    fh_executor_log_note (self->log, "%s", msg);
  else
    on_log_line (FH_LOG_FARMHAND, msg, strlen (msg), FALSE, self);
}

/* ---- failure ------------------------------------------------------------ */

static void
set_fatal (FhExecutorConnection *self, GError *error)
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
describe_exit (FhExecutorConnection *self, const char *while_doing)
{
  g_autofree char *tail = self->log ? fh_executor_log_tail (self->log, "  ") : g_strdup ("");
  g_autofree char *how = NULL;

  if (self->term_sig != 0)
    how = g_strdup_printf ("was killed by signal %d (%s)", self->term_sig,
                           g_strsignal (self->term_sig));
  else
    how = g_strdup_printf ("exited with code %d", self->exit_code);
  if (self->transport != NULL && self->hello == NULL)
    return g_strdup_printf ("the transport %s (`%s`, pid %d) %s %s%s%s",
                            self->transport_label, self->transport, self->pid, how, while_doing,
                            *tail ? "; what it printed:\n" : " and printed nothing", tail);
  return g_strdup_printf ("executor %s (pid %d) %s %s%s%s", self->kind, self->pid, how,
                          while_doing, *tail ? "; last log lines:\n" : "", tail);
}

/* Why there is no answer: the executor died or broke the protocol. */
static gboolean
throw_no_answer (FhExecutorConnection *self, const char *while_doing, GError **error)
{
  if (self->fatal != NULL && !(self->exited && !self->killed_by_us))
    {
      g_propagate_error (error, g_error_copy (self->fatal));
      return FALSE;
    }
  if (self->exited)
    {
      g_autofree char *why = describe_exit (self, while_doing);
      return fh_throw (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_EXITED, "%s", why);
    }
  return fh_throw (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_EXITED,
                   "executor %s (pid %d) is not running %s", self->kind, self->pid,
                   while_doing);
}

char *
fh_executor_connection_describe_loss (FhExecutorConnection *self)
{
  g_autoptr (GError) err = NULL;

  throw_no_answer (self, "between commands", &err);
  return g_strdup (err->message);
}

/* ---- backchannel -------------------------------------------------------- */

static GError *unexpected (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

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
check_hello (FhExecutorConnection *self, const FhMessage *msg)
{
  if (self->hello != NULL)
    return unexpected ("executor sent a second hello");
  if (msg->protocol != FH_PROTOCOL_VERSION)
    return g_error_new (FH_PROTOCOL_ERROR, FH_PROTOCOL_ERROR_VERSION,
                        "executor speaks protocol %" G_GINT64_FORMAT
                        ", this plugin speaks protocol %d",
                        msg->protocol, FH_PROTOCOL_VERSION);
  return NULL;
}

/* The log says which transport ran the executor, and as whom. */
static void
note_hello (FhExecutorConnection *self)
{
  const FhMessage *h = self->hello;

  note (self, "farmhand: executor %s (pid %" G_GINT64_FORMAT ") runs as %s@%s through %s",
        h->kind, h->pid, h->user ? h->user : "?", h->host ? h->host : "?",
        self->transport ? self->transport : "its stdin and stdout (no transport)");
}

/* Takes ownership of @msg.  Returns an error when @msg breaks the protocol. */
static GError *
handle_message (FhExecutorConnection *self, FhMessage *msg)
{
  g_autoptr (FhMessage) owned = msg;
  GError *err;

  self->last_message = g_get_monotonic_time ();
  if (msg->type == FH_MESSAGE_HELLO)
    {
      if ((err = check_hello (self, msg)) != NULL)
        return err;
      g_free (self->kind);
      self->kind = g_strdup (msg->kind);
      self->hello = g_steal_pointer (&owned);
      if (self->stdio)
        note_hello (self);
      return NULL;
    }
  if (self->hello == NULL)
    return unexpected ("executor sent a '%s' message before its hello",
                       fh_message_type_to_string (msg->type));
  if (msg->type == FH_MESSAGE_STREAM && self->stdio)
    {
      /* Output arrives between commands too (a background job's). */
      fh_executor_log_push (self->log, msg->stream == FH_STREAM_STDERR ? FH_LOG_STDERR : FH_LOG_STDOUT,
                            msg->text, strlen (msg->text));
      return NULL;
    }
  if (msg->type == FH_MESSAGE_COMMAND || msg->type == FH_MESSAGE_SIGNAL ||
      msg->type == FH_MESSAGE_HEARTBEAT || msg->type == FH_MESSAGE_STREAM)
    return unexpected ("executor sent a '%s' message, which only %s", fh_message_type_to_string (msg->type),
                       msg->type == FH_MESSAGE_STREAM ? "the stdio channel carries"
                                                      : "the dispatcher sends");
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
process_frames (FhExecutorConnection *self)
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
              g_prefix_error (&err, "%s: ", self->stdio ? "channel" : "backchannel");
              set_fatal (self, err);
            }
          return;
        }
      msg = fh_message_parse (payload, len, &err);
      debug_incoming (payload, len, msg);
      if (msg == NULL || (err = handle_message (self, msg)) != NULL)
        {
          g_prefix_error (&err, "%s frame %" G_GUINT64_FORMAT ": ",
                          self->stdio ? "channel" : "backchannel",
                          fh_wire_decoder_get_n_frames (self->decoder));
          set_fatal (self, err);
          return;
        }
    }
}

/* Reads what the backchannel holds.  Returns FALSE at end of stream. */
static gboolean
read_backchannel (FhExecutorConnection *self)
{
  char buf[READ_CHUNK];

  for (;;)
    {
      g_autoptr (GError) err = NULL;
      gssize n = recv (self->bc, buf, sizeof buf, MSG_DONTWAIT);

      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return TRUE;
      if (n < 0)
        {
          set_fatal (self, g_error_new (FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_IO, "reading the backchannel: %s",
                                        g_strerror (errno)));
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

static gboolean
on_backchannel (int fd, GIOCondition cond, gpointer user_data)
{
  FhExecutorConnection *self = user_data;

  if (read_backchannel (self))
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->bc_source, g_source_unref);
  self->bc_eof = TRUE;
  return G_SOURCE_REMOVE;
}

/* Raw descriptors, not GSocket: its class sets SIGPIPE to SIG_IGN for the
 * whole process, which is the host's. */
static void
watch_backchannel (FhExecutorConnection *self, int fd)
{
  self->bc = fd;
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  self->bc_source = g_unix_fd_source_new (fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (self->bc_source, G_SOURCE_FUNC (on_backchannel), self, NULL);
  g_source_set_can_recurse (self->bc_source, TRUE);  /* see fh-pipe-reader.c */
  g_source_attach (self->bc_source, self->context);
}

/* Socket mode: a connection presented the token in its hello. */
static void
on_accept (int fd, FhMessage *hello, GBytes *rest, gpointer user_data)
{
  FhExecutorConnection *self = user_data;
  g_autoptr (GBytes) owned_rest = rest;
  GError *err;

  watch_backchannel (self, fd);
  debug_frame ("<-", "(authenticated hello)", 21);
  if ((err = handle_message (self, hello)) != NULL)
    {
      set_fatal (self, err);
      return;
    }
  fh_wire_decoder_push (self->decoder, g_bytes_get_data (owned_rest, NULL), g_bytes_get_size (owned_rest));
  process_frames (self);
}

static void
on_reject (const char *why, gpointer user_data)
{
  note (user_data, "farmhand: %s", why);
}

/* ---- the stdio channel -------------------------------------------------- */

/* Frames after the handshake, or the end of the executor's stdout. */
static void
on_channel_data (const char *data, gsize len, gpointer user_data)
{
  FhExecutorConnection *self = user_data;
  g_autoptr (GError) err = NULL;

  if (len > 0)
    {
      fh_wire_decoder_push (self->decoder, data, len);
      process_frames (self);
      return;
    }
  if (!fh_wire_decoder_finish (self->decoder, &err))
    {
      g_prefix_error (&err, "channel: ");
      set_fatal (self, g_steal_pointer (&err));
    }
  self->bc_eof = TRUE;
}

/* A banner, MOTD or prompt before the executor started. */
static void
on_channel_line (const char *line, gsize len, gpointer user_data)
{
  FhExecutorConnection *self = user_data;

  fh_executor_log_transport_line (self->log, line, len);
}

static void
send_message (FhExecutorConnection *self, const FhMessage *msg)
{
  g_autoptr (GError) err = NULL;

  if (self->stdin_writer == NULL)
    return;
  if (!fh_message_append_frame (msg, fh_fd_writer_get_buffer (self->stdin_writer), &err))
    g_warning ("%s", err->message);  /* our own small frames always fit */
  if (G_UNLIKELY (debug_protocol))
    {
      g_autofree char *json = fh_message_to_json (msg, NULL);
      debug_frame ("->", json, strlen (json));
    }
  fh_fd_writer_flush (self->stdin_writer);
}

static void
send_signal (FhExecutorConnection *self, int signum)
{
  g_autoptr (FhMessage) msg = fh_message_new_signal (
      signum == SIGKILL ? FH_SIGNAL_KILL : signum == SIGTERM ? FH_SIGNAL_TERMINATE : FH_SIGNAL_INTERRUPT);

  /* SIGURG and SIGINT go as one interrupt: the far side sends both. */
  if (signum != SIGURG)
    send_message (self, msg);
}

static gboolean
on_heartbeat (gpointer user_data)
{
  FhExecutorConnection *self = user_data;
  g_autoptr (FhMessage) msg = NULL;

  /* The far side watches the heartbeat only while a command runs. */
  if (self->pending_seq != 0 && !self->exited)
    {
      msg = fh_message_new (FH_MESSAGE_HEARTBEAT);
      send_message (self, msg);
    }
  return G_SOURCE_CONTINUE;
}

/* "NAME=VALUE": the name (transfer full), and *@value (borrowed). */
static char *
env_name (const char *entry, const char **value)
{
  const char *eq = strchr (entry, '=');

  *value = eq ? eq + 1 : "";
  return eq ? g_strndup (entry, (gsize) (eq - entry)) : g_strdup (entry);
}

/* What the executor reads first: its own source when it bootstraps (a
 * frame of its own, for the loader in its argv), then the channel
 * message — the token it must answer with, and the environment and
 * directory it must set up, since env and cwd do not cross sudo or ssh. */
static gboolean
write_preamble (FhExecutorConnection *self, const char *cwd, const char *const *env, GError **error)
{
  GByteArray *out = fh_fd_writer_get_buffer (self->stdin_writer);
  g_autoptr (FhMessage) channel = fh_message_new_channel (self->token, env, cwd, HEARTBEAT_S);
  gsize len;

  if (self->bootstrap != NULL &&
      !fh_wire_append_frame (out, g_bytes_get_data (self->bootstrap, &len), g_bytes_get_size (self->bootstrap), error))
    return FALSE;
  if (!fh_message_append_frame (channel, out, error))
    return FALSE;
  fh_fd_writer_flush (self->stdin_writer);
  return TRUE;
}

/* ---- stdin -------------------------------------------------------------- */

static void
on_stdin_error (int saved_errno, gpointer user_data)
{
  FhExecutorConnection *self = user_data;

  self->stdin_errno = saved_errno;
  if (self->sending_command)
    return;
  /* A transport that failed (ssh to a closed port, sudo with no rule)
   * closes its stdin as it exits: its exit status and stderr say why. */
  if (self->stdio && self->hello == NULL && saved_errno == EPIPE)
    return;
  set_fatal (self, g_error_new (FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_IO,
                                     "writing a command to the executor's stdin: %s",
                                     g_strerror (saved_errno)));
}

/* ---- process ------------------------------------------------------------ */

static void
on_child_exit (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autoptr (GError) err = NULL;
  FhExecutorConnection *self;

  if (!g_subprocess_wait_finish (proc, res, &err) &&
      g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* the connection is gone */
  self = user_data;
  /* Whatever it left in its process group goes with it (pid 0: it was
   * gone before we learnt its pid, and kill (0) would be our own group). */
  if (self->pid > 0)
    kill (-self->pid, SIGKILL);
  self->exited = TRUE;
  if (g_subprocess_get_if_signaled (proc))
    {
      self->term_sig = g_subprocess_get_term_sig (proc);
      self->exit_code = 128 + self->term_sig;
    }
  else
    self->exit_code = g_subprocess_get_exit_status (proc);
  /* It is dead: whatever it sent is already in the socket and pipes. */
  if (self->log != NULL)
    fh_executor_log_drain (self->log);
  if (self->channel != NULL)
    fh_stdio_channel_drain (self->channel, 64);
  if (self->bc_source != NULL && !read_backchannel (self))
    {
      fh_source_clear (&self->bc_source);
      self->bc_eof = TRUE;
    }
}

static void
child_setup (gpointer user_data)
{
  /* Only async-signal-safe calls here: we are between fork and exec. */
  setpgid (0, 0);
  /* SIGTERM, not SIGKILL: the executor ends everything it started before
   * it goes (see the executors), so a dead host leaves no orphans. */
  fh_proc_child_setup ((pid_t) GPOINTER_TO_INT (user_data), SIGTERM);
}

static void
child_setup_stdio (gpointer user_data)
{
  /* A session of its own: no controlling terminal, so a transport cannot
   * stop to ask for a password on one (sudo, ssh), and its own group. */
  setsid ();
  fh_proc_child_setup ((pid_t) GPOINTER_TO_INT (user_data), SIGTERM);
}

/* @child_in_fd: the local executor's stdin (taken), or -1: a pipe (the
 * stdio channel's, which a transport carries). */
static GSubprocessLauncher *
make_launcher (FhExecutorConnection *self, const char *cwd, const char *const *env, int child_bc_fd,
               int child_in_fd)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (
      (child_in_fd < 0 ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0) | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);

  if (child_in_fd >= 0)
    g_subprocess_launcher_take_stdin_fd (launcher, child_in_fd);
  /* The stdio channel carries env and cwd to the far side (write_preamble()). */
  if (cwd != NULL && !self->stdio)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  for (guint i = 0; env != NULL && env[i] != NULL && !self->stdio; i++)
    {
      const char *value;
      g_autofree char *name = env_name (env[i], &value);
      g_subprocess_launcher_setenv (launcher, name, value, TRUE);
    }
  g_subprocess_launcher_unsetenv (launcher, FH_ENV_BACKCHANNEL_FD);
  g_subprocess_launcher_unsetenv (launcher, FH_ENV_BACKCHANNEL_PATH);
  g_subprocess_launcher_unsetenv (launcher, FH_ENV_BACKCHANNEL_TOKEN);
  if (self->stdio)
    ;  /* no backchannel: the executor's stdout is the channel */
  else if (self->listener != NULL)
    {
      g_subprocess_launcher_setenv (launcher, FH_ENV_BACKCHANNEL_PATH,
                                    fh_backchannel_listener_get_path (self->listener), TRUE);
      g_subprocess_launcher_setenv (launcher, FH_ENV_BACKCHANNEL_TOKEN,
                                    fh_backchannel_listener_get_token (self->listener), TRUE);
    }
  else
    {
      g_autofree char *fd_str = g_strdup_printf ("%d", FH_BACKCHANNEL_CHILD_FD);
      g_subprocess_launcher_setenv (launcher, FH_ENV_BACKCHANNEL_FD, fd_str, TRUE);
      g_subprocess_launcher_take_fd (launcher, child_bc_fd, FH_BACKCHANNEL_CHILD_FD);
    }
  g_subprocess_launcher_set_child_setup (launcher, self->stdio ? child_setup_stdio : child_setup,
                                         GINT_TO_POINTER (getpid ()), NULL);
  return launcher;
}

/* The executor's stdout is the channel, its stderr the transport's. */
static void
watch_channel (FhExecutorConnection *self)
{
  self->log = fh_executor_log_new_channel (
      self->context, g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (self->log_streams[1])),
      self->transport_label, on_log_line, self);
  if (self->block_func != NULL)
    fh_executor_log_set_block_func (self->log, on_log_block);
  self->channel = fh_stdio_channel_new (
      self->context, g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (self->log_streams[0])),
      self->token, on_channel_line, on_channel_data, self);
  self->heartbeat = g_timeout_source_new_seconds (HEARTBEAT_S);
  g_source_set_callback (self->heartbeat, on_heartbeat, self, NULL);
  g_source_attach (self->heartbeat, self->context);
}

static void
watch_streams (FhExecutorConnection *self)
{
  if (self->stdin_fd >= 0)
    {
      /* A socket: send(MSG_NOSIGNAL) makes a dead executor an EPIPE on
       * this write without touching the host's SIGPIPE, and costs no
       * system call more, where a pipe's write costs two (blocking
       * SIGPIPE around it). */
      self->stdin_writer = fh_fd_writer_new (self->stdin_fd, self->context, on_stdin_error, self);
      fh_fd_writer_set_socket (self->stdin_writer);
    }
  else
    {
      self->stdin_stream = g_object_ref (g_subprocess_get_stdin_pipe (self->proc));
      self->stdin_writer = fh_fd_writer_new (
          g_unix_output_stream_get_fd (G_UNIX_OUTPUT_STREAM (self->stdin_stream)),
          self->context, on_stdin_error, self);
      /* The host's SIGPIPE is not ours to change: a dead executor is an
       * EPIPE on this write, not a signal to the host. */
      fh_fd_writer_keep_sigpipe (self->stdin_writer);
    }
  self->log_streams[0] = g_object_ref (g_subprocess_get_stdout_pipe (self->proc));
  self->log_streams[1] = g_object_ref (g_subprocess_get_stderr_pipe (self->proc));
  if (self->stdio)
    {
      watch_channel (self);
      return;
    }
  self->log = fh_executor_log_new (
      self->context,
      g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (self->log_streams[0])),
      g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (self->log_streams[1])),
      on_log_line, self);
  if (self->block_func != NULL)
    fh_executor_log_set_block_func (self->log, on_log_block);
}

/* ---- waiting ------------------------------------------------------------ */

typedef gboolean (*DoneFunc) (FhExecutorConnection *self);

typedef enum {
  STOP_NOT_YET,    /* keep waiting */
  STOP_DONE,
  STOP_EXITED,
  STOP_FATAL,
  STOP_EOF,
  STOP_DEADLINE,
  STOP_STALL,
  STOP_CANCEL,
  STOP_INTERRUPT,  /* this command alone */
  STOP_KILL,
} Stop;

typedef struct
{
  DoneFunc done;
  gint64 deadline;     /* monotonic µs; 0: none */
  gint64 stall_us;     /* 0: none */
  gboolean on_eof;     /* stop when the backchannel closes */
  gboolean on_cancel;  /* stop on a graceful cancel */
  gboolean on_kill;    /* stop on a kill */
  GCancellable *interrupt;  /* nullable: stop when cancelled */
} Wait;

static gboolean
has_hello (FhExecutorConnection *self)
{
  return self->hello != NULL;
}

static gboolean
has_result (FhExecutorConnection *self)
{
  return self->result != NULL;
}

static gboolean
has_exited (FhExecutorConnection *self)
{
  return self->exited;
}

static gint64
last_activity (FhExecutorConnection *self)
{
  gint64 log = self->log ? fh_executor_log_get_last_activity (self->log) : 0;

  return MAX (log, self->last_message);
}

static Stop
check (FhExecutorConnection *self, const Wait *w, gint64 now)
{
  if (w->done (self))
    return STOP_DONE;
  if (self->exited)
    return STOP_EXITED;
  if (self->fatal != NULL)
    return STOP_FATAL;
  if (w->on_eof && self->bc_eof)
    return STOP_EOF;
  if (w->on_kill && g_cancellable_is_cancelled (self->kill))
    return STOP_KILL;
  if (w->on_cancel && g_cancellable_is_cancelled (self->cancel))
    return STOP_CANCEL;
  if (w->interrupt != NULL && g_cancellable_is_cancelled (w->interrupt))
    return STOP_INTERRUPT;
  if (w->deadline != 0 && now >= w->deadline)
    return STOP_DEADLINE;
  if (w->stall_us != 0 && now - last_activity (self) >= w->stall_us)
    return STOP_STALL;
  return STOP_NOT_YET;
}

static gboolean
on_wake (gpointer flag)
{
  *(gboolean *) flag = TRUE;
  return G_SOURCE_REMOVE;
}

/* When the loop must wake by itself: the deadline, or when the command
 * would have stalled if nothing happens before then. */
static gint64
next_wake (FhExecutorConnection *self, const Wait *w)
{
  gint64 t = w->deadline;

  if (w->stall_us != 0)
    {
      gint64 s = last_activity (self) + w->stall_us;
      t = t == 0 ? s : MIN (t, s);
    }
  return t;
}

static Stop
wait_until (FhExecutorConnection *self, const Wait *w)
{
  g_autoptr (GSource) timer = NULL;
  gboolean fired = TRUE;
  Stop stop;

  for (;;)
    {
      gint64 now = (w->deadline || w->stall_us) ? g_get_monotonic_time () : 0;
      gint64 wake;

      if ((stop = check (self, w, now)) != STOP_NOT_YET)
        break;
      /* A timer only when there is a time limit, re-armed when it fires. */
      if (fired && (wake = next_wake (self, w)) != 0)
        {
          if (timer != NULL)
            g_source_destroy (timer);
          g_clear_pointer (&timer, g_source_unref);
          timer = g_timeout_source_new ((guint) MAX (1, (wake - now + 999) / 1000));
          fired = FALSE;
          g_source_set_callback (timer, on_wake, &fired, NULL);
          g_source_attach (timer, self->context);
        }
      g_main_context_iteration (self->context, TRUE);
    }
  if (timer != NULL)
    g_source_destroy (timer);
  return stop;
}

/* The executor is exiting: it closed its end of the backchannel, or its
 * last result said so (final).  Give it a moment to do so; one that
 * lingers is killed. */
static void
await_exit (FhExecutorConnection *self, const char *what)
{
  Wait w = { .done = has_exited, .deadline = g_get_monotonic_time () + EOF_GRACE_US, .on_kill = TRUE };

  if (wait_until (self, &w) == STOP_DEADLINE)
    set_fatal (self, unexpected ("executor %s but did not exit", what));
  w.deadline = g_get_monotonic_time () + KILL_WAIT_US;
  wait_until (self, &w);
}

/* ---- stopping ----------------------------------------------------------- */

/* How a signal reaches the executor, for the log. */
static const char *
in_band (FhExecutorConnection *self)
{
  return self->stdio ? ", sent as a frame for the far side's group" : "";
}

/* Ends the executor's process group: SIGTERM, grace, SIGKILL (at once
 * when @hard or when a kill is requested during the grace). */
static void
end_group (FhExecutorConnection *self, gboolean hard)
{
  Wait w = { .done = has_exited, .on_kill = TRUE };

  if (self->exited || self->proc == NULL)
    return;
  self->killed_by_us = TRUE;
  if (!hard)
    {
      note (self, "farmhand: terminating the executor's process group (SIGTERM%s)", in_band (self));
      kill_group (self, SIGTERM);
      w.deadline = g_get_monotonic_time () + self->grace_us;
      if (wait_until (self, &w) == STOP_DONE)
        return;
    }
  note (self, "farmhand: killing the executor's process group (SIGKILL%s)", in_band (self));
  kill_group (self, SIGKILL);
  w.deadline = g_get_monotonic_time () + KILL_WAIT_US;
  w.on_kill = FALSE;
  wait_until (self, &w);
}

/* Interrupts the command in flight: SIGINT to the executor's process group
 * (Python raises KeyboardInterrupt; the shell's foreground command dies)
 * and the grace period for its result.  Returns TRUE when the result came:
 * the session is alive.  Otherwise the group is ended. */
static gboolean
interrupt_command (FhExecutorConnection *self, gboolean hard)
{
  Wait w = { .done = has_result, .on_kill = TRUE };

  if (!hard && fh_executor_connection_is_alive (self))
    {
      note (self, "farmhand: interrupting the command (SIGINT%s)", in_band (self));
      /* SIGURG first: the shell executor's bash takes it as notice to
       * discard the rest of the command, and must have it before the
       * command's programs can react to SIGINT (docs/protocol.md).  Its
       * default action is to ignore it, so nothing else minds. */
      kill_group (self, SIGURG);
      kill_group (self, SIGINT);
      w.deadline = g_get_monotonic_time () + self->grace_us;
      switch (wait_until (self, &w))
        {
        case STOP_DONE: return TRUE;
        case STOP_KILL: hard = TRUE; break;
        default: break;
        }
    }
  end_group (self, hard);
  return FALSE;
}

/* ---- public operations -------------------------------------------------- */

static gboolean
spawn (FhExecutorConnection *self, const char *const *argv, const char *cwd,
       const char *const *env, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) local = NULL;
  int sv[2] = { -1, -1 };
  int in[2] = { -1, -1 };

  if (self->stdio)
    {
      if ((self->token = fh_channel_token_new (error)) == NULL)
        return FALSE;
    }
  else if (self->socket_mode)
    self->listener = fh_backchannel_listener_new (self->context, on_accept, on_reject, self, error);
  else if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return fh_throw_errno (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN, errno,
                           "creating the backchannel socketpair");
  if (self->socket_mode && self->listener == NULL)
    return FALSE;
  /* A local executor's stdin is a socket too (see watch_streams()). */
  if (!self->stdio && socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
    {
      int saved = errno;
      if (sv[0] >= 0)
        {
          close (sv[0]);
          close (sv[1]);
        }
      return fh_throw_errno (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN, saved,
                             "creating the executor's stdin socketpair");
    }
  /* Ours only writes, the executor's only reads. */
  if (in[0] >= 0)
    {
      shutdown (in[0], SHUT_RD);
      shutdown (in[1], SHUT_WR);
    }
  self->stdin_fd = in[0];
  launcher = make_launcher (self, cwd, env, sv[1], in[1]);
  self->proc = g_subprocess_launcher_spawnv (launcher, argv, &local);
  /* The launcher owns the child's end; dropping it closes that end here,
   * so the executor's death is an end of stream on ours. */
  g_clear_object (&launcher);
  if (self->proc == NULL)
    {
      if (sv[0] >= 0)
        close (sv[0]);
      return fh_throw (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN,
                       "cannot start %s '%s': %s", self->transport ? "the transport" : "executor",
                       argv[0], local->message);
    }
  if (sv[0] >= 0)
    watch_backchannel (self, sv[0]);
  return TRUE;
}

gboolean
fh_executor_connection_start (FhExecutorConnection *self, const char *const *argv, const char *cwd,
                     const char *const *env, double hello_s, GError **error)
{
  Wait w = { .done = has_hello, .on_eof = TRUE, .on_cancel = TRUE, .on_kill = TRUE };
  const char *identifier;
  Stop stop;

  g_return_val_if_fail (self->proc == NULL, FALSE);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);
  if (!spawn (self, argv, cwd, env, error))
    return FALSE;
  /* NULL when it has exited (and been reaped) already. */
  identifier = g_subprocess_get_identifier (self->proc);
  self->pid = identifier != NULL ? atoi (identifier) : 0;
  self->kind = g_path_get_basename (argv[0]);
  self->last_message = g_get_monotonic_time ();
  g_subprocess_wait_async (self->proc, self->wait_cancellable, on_child_exit, self);
  watch_streams (self);
  if (self->stdio && !write_preamble (self, cwd, env, error))
    return FALSE;
  w.deadline = hello_s > 0 ? g_get_monotonic_time () + (gint64) (hello_s * G_USEC_PER_SEC) : 0;
  stop = wait_until (self, &w);
  if (stop == STOP_DONE)
    {
      g_clear_pointer (&self->listener, fh_backchannel_listener_free);
      return TRUE;
    }
  if (stop == STOP_EOF)
    await_exit (self, "closed its backchannel");
  if (stop == STOP_DEADLINE)
    {
      /* Through a transport, what it said is the reason (a prompt?). */
      g_autofree char *tail = self->stdio ? fh_executor_log_tail (self->log, "  ") : g_strdup ("");
      set_fatal (self, g_error_new (FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_TIMEOUT,
                                    "no hello from executor %s (pid %d)%s%s within %g s (timeouts.hello_s)%s%s",
                                    self->kind, self->pid, self->transport ? " through " : "",
                                    self->transport ? self->transport : "", hello_s,
                                    *tail ? "; its output and stderr:\n" : "", tail));
    }
  if (stop == STOP_CANCEL || stop == STOP_KILL)
    {
      end_group (self, stop == STOP_KILL);
      return fh_throw (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_CANCELLED,
                       "cancelled while executor %s was starting", self->kind);
    }
  return throw_no_answer (self, "before saying hello", error);
}

/* The executor asked (stderr_lines) for the command's last stderr lines
 * to be part of its traceback: the shell executor does, since its commands
 * write stderr straight into our pipe. */
static char *
traceback_of (FhExecutorConnection *self, const FhMessage *msg)
{
  g_autofree char *tail = NULL;

  if (msg->traceback == NULL || msg->stderr_lines == 0 ||
      (tail = fh_executor_log_command_stderr (self->log, (guint) msg->stderr_lines)) == NULL)
    return g_strdup (msg->traceback);
  return g_strdup_printf ("%s\n--- last stderr lines ---\n%s", msg->traceback, tail);
}

static FhCommandResult *
take_result (FhExecutorConnection *self, gint64 started)
{
  g_autoptr (FhMessage) msg = g_steal_pointer (&self->result);
  g_autofree char *traceback = traceback_of (self, msg);
  FhCommandResult *result = fh_command_result_new (msg->status, traceback);

  fh_executor_log_end_command (self->log);
  result->has_code = msg->has_code;
  result->code = msg->code;
  result->elapsed_us = g_get_monotonic_time () - started;
  self->pending_seq = 0;
  return result;
}

static char *
describe_stop (Stop stop, const FhRunLimits *limits)
{
  switch (stop)
    {
    case STOP_DEADLINE: return g_strdup_printf ("timeout after %g s", limits->timeout_s);
    case STOP_STALL: return g_strdup_printf ("stalled: no output and no result for %g s", limits->stall_s);
    case STOP_KILL: return g_strdup ("cancelled (kill)");
    case STOP_INTERRUPT: return g_strdup ("stopped by the host");
    default: return g_strdup ("cancelled");
    }
}

/* The command ran out of time, stalled or was cancelled: interrupt it and
 * say so, with what the interrupted command said if it said anything.  An
 * interrupted command has failed whatever its result says: a shell runs
 * the rest of a command list after SIGINT killed one part of it. */
static FhCommandResult *
stop_command (FhExecutorConnection *self, Stop stop, const FhRunLimits *limits,
              gint64 started, GError **error)
{
  g_autofree char *why = describe_stop (stop, limits);
  g_autoptr (FhCommandResult) r = NULL;
  gboolean alive;

  note (self, "farmhand: %s", why);
  alive = interrupt_command (self, stop == STOP_KILL);
  /* The command was answered, but its session may have ended with it
   * (translator mode): the next command needs a new one. */
  if (alive && self->result->final)
    await_exit (self, "said its session ended");
  if (alive)
    r = take_result (self, started);
  else if (self->log != NULL)
    fh_executor_log_end_command (self->log);
  self->pending_seq = 0;
  return fh_throw_null (error, FH_EXECUTOR_ERROR,
                        stop == STOP_CANCEL || stop == STOP_KILL || stop == STOP_INTERRUPT
                            ? FH_EXECUTOR_ERROR_CANCELLED
                            : stop == STOP_STALL ? FH_EXECUTOR_ERROR_STALLED : FH_EXECUTOR_ERROR_TIMEOUT,
                        "%s%s%s", why, r && r->traceback ? "; interrupted:\n" : "",
                        r && r->traceback ? r->traceback
                        : alive ? "; interrupted"
                                : "; the command did not stop on SIGINT, so the "
                                  "executor's process group was ended");
}

/* Writes a command frame.  An executor that died while it had nothing to
 * do (between two items, or a session's tasks) has closed its stdin: the
 * write fails before a byte of the frame is out, and the caller learns
 * the command did not run (FH_EXECUTOR_ERROR_GONE, with how the executor
 * ended) — so the host does not have to look for a death before every
 * command.  A frame cut short is the executor lost under it. */
static gboolean
send_command (FhExecutorConnection *self, const FhMessage *msg, GError **error)
{
  gsize before = fh_fd_writer_get_pending (self->stdin_writer);
  gsize frame_len;

  if (!fh_message_append_frame (msg, fh_fd_writer_get_buffer (self->stdin_writer), error))
    return FALSE;
  frame_len = fh_fd_writer_get_pending (self->stdin_writer) - before;
  if (G_UNLIKELY (debug_protocol))
    {
      g_autofree char *json = fh_message_to_json (msg, NULL);
      debug_frame ("->", json, strlen (json));
    }
  self->sending_command = TRUE;
  fh_fd_writer_flush (self->stdin_writer);
  self->sending_command = FALSE;
  if (self->stdin_errno == 0)
    return TRUE;
  if ((self->stdin_errno == EPIPE || self->stdin_errno == ECONNRESET) &&
      fh_fd_writer_get_pending (self->stdin_writer) >= frame_len)
    {
      g_autoptr (GError) lost = NULL;
      g_autofree char *what = g_strdup_printf ("closed its stdin (writing a command to it: %s)",
                                               g_strerror (self->stdin_errno));

      await_exit (self, what);
      throw_no_answer (self, "before this command was sent", &lost);
      return fh_throw (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_GONE, "%s", lost->message);
    }
  on_stdin_error (self->stdin_errno, self);
  return throw_no_answer (self, "while this command was sent", error);
}

FhCommandResult *
fh_executor_connection_run (FhExecutorConnection *self, FhPhase phase, const char *command,
                   const FhItemFields *item, const FhRunLimits *limits, GError **error)
{
  static const FhRunLimits no_limits = { .cancellable = TRUE };
  g_autoptr (FhMessage) msg = NULL;
  Wait w = { .done = has_result, .on_eof = TRUE, .on_cancel = TRUE, .on_kill = TRUE };
  gint64 started;
  Stop stop;

  g_return_val_if_fail (self->proc != NULL && self->pending_seq == 0, NULL);
  if (limits == NULL)
    limits = &no_limits;
  if (!fh_executor_connection_is_alive (self))
    {
      throw_no_answer (self, "before this command was sent", error);
      return NULL;
    }
  msg = fh_message_new_command_with_fields (self->next_seq + 1, phase, command, item);
  /* An executor that reads compact frames gets one (docs/protocol.md). */
  msg->compact = self->hello->compact;
  if (!send_command (self, msg, error))
    return NULL;
  self->pending_seq = ++self->next_seq;
  fh_executor_log_begin_command (self->log, command, self->hello->echo,
                                 g_strcmp0 (self->hello->kind, "shell") == 0 ? "farmhand$ " : "farmhand> ");
  started = self->last_message = g_get_monotonic_time ();
  w.deadline = limits->timeout_s > 0 ? started + (gint64) (limits->timeout_s * G_USEC_PER_SEC) : 0;
  w.stall_us = (gint64) (limits->stall_s * G_USEC_PER_SEC);
  w.on_cancel = limits->cancellable;
  w.interrupt = limits->interrupt;
  watch_interrupt (self, limits->interrupt);
  stop = wait_until (self, &w);
  if (stop == STOP_EOF)
    await_exit (self, "closed its backchannel");
  /* A command that ended the session (`exit` in a shell): the next one
   * must go to a new executor, not to this one on its way out. */
  if (stop == STOP_DONE && self->result->final)
    {
      note (self, "farmhand: the command ended the executor's session");
      await_exit (self, "said its session ended");
    }
  if (stop == STOP_DONE || (stop == STOP_EOF && has_result (self)))
    return take_result (self, started);
  if (stop == STOP_DEADLINE || stop == STOP_STALL || stop == STOP_CANCEL || stop == STOP_KILL ||
      stop == STOP_INTERRUPT)
    return stop_command (self, stop, limits, started, error);
  fh_executor_log_end_command (self->log);
  self->pending_seq = 0;
  throw_no_answer (self, "while running this command", error);
  return NULL;
}

gint
fh_executor_connection_close (FhExecutorConnection *self, int exit_code, double timeout_s)
{
  Wait w = { .done = has_exited, .on_kill = TRUE };
  Stop stop;

  if (self->proc == NULL)
    return -1;  /* it never started */
  if (!self->exited)
    {
      if (exit_code >= 0 && self->stdin_writer != NULL)
        {
          g_autoptr (FhMessage) bye = fh_message_new_exit (exit_code);
          send_message (self, bye);
        }
      g_clear_pointer (&self->stdin_writer, fh_fd_writer_free);
      if (self->stdin_stream != NULL)
        g_output_stream_close (self->stdin_stream, NULL, NULL);
      if (self->stdin_fd >= 0)
        {
          close (self->stdin_fd);
          self->stdin_fd = -1;
        }
      w.deadline = timeout_s > 0 ? g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC) : 0;
      stop = wait_until (self, &w);
      if (stop == STOP_DEADLINE)
        note (self, "farmhand: the executor did not exit within %g s of the end of its input", timeout_s);
      if (stop != STOP_DONE)
        end_group (self, stop == STOP_KILL);
    }
  return self->exit_code;
}

void
fh_executor_connection_terminate (FhExecutorConnection *self)
{
  end_group (self, g_cancellable_is_cancelled (self->kill));
}
