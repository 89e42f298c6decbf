/* fh-executor-log.c — an executor's stdout and stderr. */
#include "config.h"

#include "fh-executor-log.h"

#include <string.h>

#include "fh-line-splitter.h"
#include "fh-pipe-reader.h"
#include "fh-tail.h"

#define MAX_LINE FH_EXECUTOR_LOG_MAX_LINE
#define TAIL_LINES 20
#define TAIL_LINE_BYTES 512
#define MAX_STDERR_LINES 50

struct _FhExecutorLog
{
  FhPipeReader *readers[2];     /* stdout, stderr; channel mode: NULL, the transport's stderr */
  FhLineSplitter *splitters[2]; /* stdout, stderr */
  FhLineSplitter *transport;    /* channel mode: the transport's stderr */
  char *transport_label;
  FhTail *tail;                 /* the whole log */
  FhTail *cmd_stderr;           /* the current command's stderr */
  gboolean in_command;
  GQueue echo_lines;            /* echo an echoing executor will print */
  gint64 last_activity;
  FhExecutorLogFunc func;
  FhExecutorLogBlockFunc block_func;
  gpointer user_data;
};

static void
emit (FhExecutorLog *self, FhLogStream stream, const char *line, gsize len, gboolean echo)
{
  fh_tail_push (self->tail, line, len);
  self->func (stream, line, len, echo, self->user_data);
}

/* Is @line the next line of the echo the executor was expected to print? */
static gboolean
is_echo (FhExecutorLog *self, const char *line, gsize len)
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
  FhExecutorLog *self = data;

  emit (self, FH_LOG_STDOUT, line, len, is_echo (self, line, len));
}

static void
on_stderr_line (const char *line, gsize len, FhLineFlags flags, gpointer data)
{
  FhExecutorLog *self = data;

  if (self->in_command)
    fh_tail_push (self->cmd_stderr, line, len);
  emit (self, FH_LOG_STDERR, line, len, FALSE);
}

static void
on_data (FhExecutorLog *self, int i, const char *data, gsize len)
{
  self->last_activity = g_get_monotonic_time ();
  if (len == 0)
    {
      fh_line_splitter_flush (self->splitters[i]);
      return;
    }
  if (self->block_func != NULL)
    self->block_func (data, len, MAX_LINE, self->user_data);
  fh_line_splitter_push (self->splitters[i], data, len);
  if (self->block_func != NULL)
    self->block_func (NULL, 0, 0, self->user_data);
}

/* The transport's lines are farmhand's, marked as the transport's: not
 * output of a command, so never part of a command's stderr tail. */
static void
on_transport_line (const char *line, gsize len, FhLineFlags flags, gpointer data)
{
  FhExecutorLog *self = data;
  g_autofree char *marked = g_strdup_printf ("via %s: %.*s", self->transport_label, (int) len, line);

  self->last_activity = g_get_monotonic_time ();
  emit (self, FH_LOG_FARMHAND, marked, strlen (marked), FALSE);
}

static void
on_transport_data (const char *data, gsize len, gpointer user_data)
{
  FhExecutorLog *self = user_data;

  if (len == 0)
    fh_line_splitter_flush (self->transport);
  else
    fh_line_splitter_push (self->transport, data, len);
}

void
fh_executor_log_set_block_func (FhExecutorLog *self, FhExecutorLogBlockFunc func)
{
  self->block_func = func;
}

static void
on_stdout_data (const char *data, gsize len, gpointer user_data)
{
  on_data (user_data, 0, data, len);
}

static void
on_stderr_data (const char *data, gsize len, gpointer user_data)
{
  on_data (user_data, 1, data, len);
}

/* A log with its line splitters and tails, reading nothing yet. */
static FhExecutorLog *
log_new (FhExecutorLogFunc func, gpointer user_data)
{
  FhExecutorLog *self = g_new0 (FhExecutorLog, 1);
  FhLineFunc line_funcs[2] = { on_stdout_line, on_stderr_line };

  self->func = func;
  self->user_data = user_data;
  self->tail = fh_tail_new (TAIL_LINES, TAIL_LINE_BYTES);
  self->cmd_stderr = fh_tail_new (MAX_STDERR_LINES, TAIL_LINE_BYTES * 2);
  self->last_activity = g_get_monotonic_time ();
  for (int i = 0; i < 2; i++)
    self->splitters[i] = fh_line_splitter_new (MAX_LINE, line_funcs[i], self);
  return self;
}

FhExecutorLog *
fh_executor_log_new (GMainContext *context, int stdout_fd, int stderr_fd,
                     FhExecutorLogFunc func, gpointer user_data)
{
  FhExecutorLog *self = log_new (func, user_data);
  FhPipeDataFunc data_funcs[2] = { on_stdout_data, on_stderr_data };
  int fds[2] = { stdout_fd, stderr_fd };

  for (int i = 0; i < 2; i++)
    {
      self->readers[i] = fh_pipe_reader_new (fds[i], context, data_funcs[i], self);
      fh_pipe_reader_set_priority (self->readers[i], FH_PRIORITY_LOG);
    }
  return self;
}

FhExecutorLog *
fh_executor_log_new_channel (GMainContext *context, int transport_fd, const char *label,
                             FhExecutorLogFunc func, gpointer user_data)
{
  FhExecutorLog *self = log_new (func, user_data);

  self->transport_label = g_strdup (label);
  self->transport = fh_line_splitter_new (MAX_LINE, on_transport_line, self);
  self->readers[1] = fh_pipe_reader_new (transport_fd, context, on_transport_data, self);
  return self;
}

void
fh_executor_log_push (FhExecutorLog *self, FhLogStream stream, const char *data, gsize len)
{
  if (len > 0)
    on_data (self, stream == FH_LOG_STDERR ? 1 : 0, data, len);
}

void
fh_executor_log_transport_line (FhExecutorLog *self, const char *line, gsize len)
{
  g_autofree char *valid = g_utf8_make_valid (line, (gssize) len);

  on_transport_line (valid, strlen (valid), 0, self);
}

void
fh_executor_log_free (FhExecutorLog *self)
{
  if (self == NULL)
    return;
  for (int i = 0; i < 2; i++)
    {
      g_clear_pointer (&self->readers[i], fh_pipe_reader_free);
      fh_line_splitter_free (self->splitters[i]);
    }
  g_clear_pointer (&self->transport, fh_line_splitter_free);
  g_free (self->transport_label);
  fh_tail_free (self->tail);
  fh_tail_free (self->cmd_stderr);
  g_queue_clear_full (&self->echo_lines, g_free);
  g_free (self);
}

/* Lines split on '\n' only, as the executors do. */
void
fh_executor_log_begin_command (FhExecutorLog *self, const char *command,
                               gboolean executor_echoes, const char *prompt)
{
  g_auto (GStrv) lines = g_strsplit (command, "\n", -1);
  guint n = g_strv_length (lines);

  self->in_command = TRUE;
  fh_tail_clear (self->cmd_stderr);
  g_queue_clear_full (&self->echo_lines, g_free);
  if (n > 1 && lines[n - 1][0] == '\0')
    n--;
  for (guint i = 0; i < n; i++)
    {
      char *line = g_strconcat (i == 0 ? (executor_echoes ? FH_EXECUTOR_LOG_ECHO_PROMPT : prompt)
                                       : "      ... ", lines[i], NULL);
      if (executor_echoes)
        g_queue_push_tail (&self->echo_lines, line);
      else
        {
          emit (self, FH_LOG_STDOUT, line, strlen (line), TRUE);
          g_free (line);
        }
    }
}

void
fh_executor_log_end_command (FhExecutorLog *self)
{
  /* Nothing is left in the pipes when a result is handled (the readers
   * outrank the backchannel), so this costs no system call. */
  for (int i = 0; i < 2; i++)
    fh_line_splitter_flush (self->splitters[i]);
  self->in_command = FALSE;
}

void
fh_executor_log_drain (FhExecutorLog *self)
{
  /* Bounded: a stray background process that never stops writing must not
   * hold us here. */
  for (int i = 0; i < 2; i++)
    if (self->readers[i] != NULL)
      fh_pipe_reader_drain (self->readers[i], 64);
  for (int i = 0; i < 2; i++)
    fh_line_splitter_flush (self->splitters[i]);
  if (self->transport != NULL)
    fh_line_splitter_flush (self->transport);
}

void
fh_executor_log_note (FhExecutorLog *self, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  self->func (FH_LOG_FARMHAND, msg, strlen (msg), FALSE, self->user_data);
}

char *
fh_executor_log_tail (FhExecutorLog *self, const char *indent)
{
  return fh_tail_join (self->tail, indent);
}

char *
fh_executor_log_command_stderr (FhExecutorLog *self, guint n)
{
  if (fh_tail_get_length (self->cmd_stderr) == 0)
    return NULL;
  return fh_tail_join_last (self->cmd_stderr, n, NULL);
}

gint64
fh_executor_log_get_last_activity (FhExecutorLog *self)
{
  return self->last_activity;
}
