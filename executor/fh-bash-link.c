/* fh-bash-link.c — command frames in, result frames out, inside bash. */
#include "config.h"

#include "fh-bash-link.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fh-message.h"
#include "fh-shell-result.h"
#include "fh-shell-vars.h"
#include "fh-wire.h"

/* One read takes whatever the dispatcher has written, usually one frame. */
#define READ_SIZE 65536
/* bash's script only grows; what bash has read is freed in steps of this. */
#define RECLAIM_STEP (1 << 20)
/* Lines appended at a time: one write (and about one read by bash) per
 * this many commands. */
#define BATCH_LINES 64

struct _FhBashLink
{
  int exit_code;          /* what bash exits with at the end (an exit frame's) */
  int frames_fd;
  int backchannel_fd;
  int script_fd;        /* bash's script; -1 once it has ended */
  gint64 script_start;   /* where the first queued line starts */
  gint64 queued;         /* lines appended */
  gint64 steps;          /* commands taken; the next runs from line steps */
  gint64 reclaimed;
  GString *batch;
  FhWireDecoder *decoder;
  gint64 pending;       /* seq of the command without a result, or 0 */
  gint64 pending_compact; /* it came as a compact frame: so goes its result */
  char *command;        /* the current command, for the caller */
  FhShellVars vars;     /* and what it knows of its item */
  char *message;        /* the last error */
  GByteArray *out;
};

FhBashLink *
fh_bash_link_new (int frames_fd, int backchannel_fd, int script_fd)
{
  FhBashLink *self = g_new0 (FhBashLink, 1);

  self->frames_fd = frames_fd;
  self->backchannel_fd = backchannel_fd;
  self->script_fd = script_fd;
  self->script_start = lseek (script_fd, 0, SEEK_CUR);
  self->batch = g_string_new (NULL);
  for (int i = 0; i < BATCH_LINES; i++)
    g_string_append (self->batch, FH_BASH_LINK_LINE);
  self->decoder = fh_wire_decoder_new (FH_WIRE_MAX_FRAME);
  self->out = g_byte_array_sized_new (256);
  return self;
}

void
fh_bash_link_free (FhBashLink *self)
{
  if (self == NULL)
    return;
  close (self->frames_fd);
  close (self->backchannel_fd);
  if (self->script_fd >= 0)
    close (self->script_fd);
  fh_wire_decoder_free (self->decoder);
  g_byte_array_unref (self->out);
  g_string_free (self->batch, TRUE);
  g_free (self->command);
  fh_shell_vars_clear (&self->vars);
  g_free (self->message);
  g_free (self);
}

static int
fail (FhBashLink *self, const char **message, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static int
fail (FhBashLink *self, const char **message, const char *fmt, ...)
{
  va_list args;

  g_free (self->message);
  va_start (args, fmt);
  self->message = g_strdup_vprintf (fmt, args);
  va_end (args);
  *message = self->message;
  return -1;
}

static int
send_result (FhBashLink *self, FhMessage *result, const char **message)
{
  g_autoptr (GError) err = NULL;

  g_byte_array_set_size (self->out, 0);
  if (!fh_message_append_frame (result, self->out, &err) ||
      !fh_wire_send_all (self->backchannel_fd, self->out->data, self->out->len, &err))
    return fail (self, message, "backchannel: %s", err->message);
  return 0;
}

int
fh_bash_link_answer (FhBashLink *self, FhBashAnswer how, int status, const char **message)
{
  g_autoptr (FhMessage) result = NULL;
  static const FhShellEnd ends[] = {
    [FH_BASH_ANSWER_DONE] = FH_SHELL_END_DONE,
    [FH_BASH_ANSWER_INTERRUPTED] = FH_SHELL_END_INTERRUPTED,
    [FH_BASH_ANSWER_EXIT] = FH_SHELL_END_SESSION,
    [FH_BASH_ANSWER_ORPHAN] = FH_SHELL_END_ORPHAN,
  };

  if (self->pending == 0)
    return 0;
  result = fh_shell_result_new (self->pending, ends[how], status);
  result->compact = self->pending_compact;
  self->pending = 0;
  return send_result (self, result, message);
}

/* bash is running line @steps - 1 (or the preamble): everything before it
 * has been read, and the memory of those whole pages can go (the file
 * keeps its size and offsets; bash never reads there again). */
static void
reclaim_script (FhBashLink *self)
{
  gint64 read_upto = self->script_start + (self->steps - 1) * (gint64) strlen (FH_BASH_LINK_LINE);
  gint64 upto = read_upto & ~(gint64) 4095;

  if (upto - self->reclaimed < RECLAIM_STEP)
    return;
  if (fallocate (self->script_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, upto) == 0)
    self->reclaimed = upto;
}

/* Once command @steps is taken, bash must find line @steps after it. */
static gboolean
queue_lines (FhBashLink *self, const char **message)
{
  g_autoptr (GError) err = NULL;

  if (self->queued >= self->steps)
    return TRUE;
  reclaim_script (self);
  if (!fh_wire_write_all (self->script_fd, self->batch->str, self->batch->len, &err))
    {
      fail (self, message, "writing bash's script: %s", err->message);
      return FALSE;
    }
  self->queued += BATCH_LINES;
  return TRUE;
}

static FhBashNext
take_frame (FhBashLink *self, const char *payload, gsize len, const char **command,
            const char **message)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhMessage) msg = fh_message_parse (payload, len, &err);

  if (msg == NULL)
    {
      fail (self, message, "protocol error in command frame %" G_GUINT64_FORMAT ": %s",
            fh_wire_decoder_get_n_frames (self->decoder), err->message);
      return FH_BASH_NEXT_ERROR;
    }
  if (msg->type == FH_MESSAGE_EXIT)
    {
      self->exit_code = (int) msg->code;
      return FH_BASH_NEXT_END;
    }
  if (msg->type != FH_MESSAGE_COMMAND)
    {
      fail (self, message, "protocol error: expected a command, got a '%s' message",
            fh_message_type_to_string (msg->type));
      return FH_BASH_NEXT_ERROR;
    }
  self->steps++;
  if (!queue_lines (self, message))
    return FH_BASH_NEXT_ERROR;
  g_free (self->command);
  self->command = g_steal_pointer (&msg->command);
  fh_shell_vars_clear (&self->vars);
  fh_shell_vars_init (&self->vars, msg);
  self->pending = msg->seq;
  self->pending_compact = msg->compact;
  *command = self->command;
  return FH_BASH_NEXT_COMMAND;
}

FhBashNext
fh_bash_link_next (FhBashLink *self, FhBashAnswer how, int status, const char **command,
                   const char **message)
{
  g_autoptr (GError) err = NULL;
  char buf[READ_SIZE];
  const char *payload;
  gsize len;
  ssize_t n;

  if (fh_bash_link_answer (self, how, status, message) < 0)
    return FH_BASH_NEXT_ERROR;
  while (!fh_wire_decoder_next (self->decoder, &payload, &len, &err))
    {
      if (err != NULL)
        {
          fail (self, message, "protocol error on the command stream: %s", err->message);
          return FH_BASH_NEXT_ERROR;
        }
      n = read (self->frames_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        return FH_BASH_NEXT_INTERRUPTED;
      if (n < 0)
        {
          fail (self, message, "reading commands: %s", g_strerror (errno));
          return FH_BASH_NEXT_ERROR;
        }
      if (n == 0)
        {
          if (!fh_wire_decoder_finish (self->decoder, &err))
            {
              fail (self, message, "protocol error on the command stream: %s", err->message);
              return FH_BASH_NEXT_ERROR;
            }
          return FH_BASH_NEXT_END;
        }
      fh_wire_decoder_push (self->decoder, buf, n);
    }
  return take_frame (self, payload, len, command, message);
}

int
fh_bash_link_get_exit_code (FhBashLink *self)
{
  return self->exit_code;
}

void
fh_bash_link_get_vars (FhBashLink *self, const char **phase, const char **item, const char **frames)
{
  *phase = self->vars.phase;
  *item = self->vars.item;
  *frames = self->vars.frames;
}
