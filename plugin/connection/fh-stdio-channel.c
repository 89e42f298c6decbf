/* fh-stdio-channel.c — handshake, then frames (see the header). */
#include "config.h"

#include "fh-stdio-channel.h"

#include <string.h>

#include "fh-executor-log.h"
#include "fh-pipe-reader.h"
#include "fh-wire.h"
#include "fh-channel-token.h"

struct _FhStdioChannel
{
  FhPipeReader *reader;
  char *token;
  GString *pending;     /* an unfinished line before the handshake */
  gboolean open;
  FhStdioLineFunc line_func;
  FhStdioDataFunc data_func;
  gpointer user_data;
};

/* Is @line (without its newline) the sentinel with our token? */
static gboolean
is_sentinel (FhStdioChannel *self, const char *line, gsize len)
{
  gsize n = strlen (FH_CHANNEL_SENTINEL);

  if (len > 0 && line[len - 1] == '\r')
    len--;
  return len > n + 1 && memcmp (line, FH_CHANNEL_SENTINEL " ", n + 1) == 0 &&
         fh_channel_token_equal (self->token, line + n + 1, len - n - 1);
}

/* Lines of @data until the sentinel; returns how many bytes it used. */
static gsize
take_lines (FhStdioChannel *self, const char *data, gsize len)
{
  gsize used = 0;

  while (used < len && !self->open)
    {
      const char *nl = memchr (data + used, '\n', len - used);
      gsize n = nl ? (gsize) (nl - (data + used)) : len - used;

      g_string_append_len (self->pending, data + used, (gssize) n);
      used += n + (nl ? 1 : 0);
      if (nl == NULL && self->pending->len < FH_EXECUTOR_LOG_MAX_LINE)
        break;
      if (is_sentinel (self, self->pending->str, self->pending->len))
        self->open = TRUE;
      else if (self->pending->len > 0)
        self->line_func (self->pending->str, self->pending->len, self->user_data);
      g_string_truncate (self->pending, 0);
    }
  return used;
}

static void
on_data (const char *data, gsize len, gpointer user_data)
{
  FhStdioChannel *self = user_data;
  gsize used = 0;

  if (len == 0 && !self->open && self->pending->len > 0)
    {
      self->line_func (self->pending->str, self->pending->len, self->user_data);
      g_string_truncate (self->pending, 0);
    }
  if (!self->open)
    used = take_lines (self, data, len);
  if (len == 0 || (self->open && used < len))
    self->data_func (data + used, len - used, self->user_data);
}

FhStdioChannel *
fh_stdio_channel_new (GMainContext *context, int fd, const char *token,
                      FhStdioLineFunc line_func, FhStdioDataFunc data_func, gpointer user_data)
{
  FhStdioChannel *self = g_new0 (FhStdioChannel, 1);

  self->token = g_strdup (token);
  self->pending = g_string_new (NULL);
  self->line_func = line_func;
  self->data_func = data_func;
  self->user_data = user_data;
  self->reader = fh_pipe_reader_new (fd, context, on_data, self);
  return self;
}

void
fh_stdio_channel_free (FhStdioChannel *self)
{
  if (self == NULL)
    return;
  fh_pipe_reader_free (self->reader);
  fh_channel_token_free (self->token);
  g_string_free (self->pending, TRUE);
  g_free (self);
}

void
fh_stdio_channel_drain (FhStdioChannel *self, guint max_reads)
{
  fh_pipe_reader_drain (self->reader, max_reads);
}
