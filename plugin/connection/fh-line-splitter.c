/* fh-line-splitter.c — streaming line splitter.
 *
 * Lines that lie wholly inside one pushed chunk are delivered straight from
 * the caller's buffer; only a line that spans chunks is copied, into a
 * buffer that never exceeds the cap.  End-of-line search uses memchr for
 * '\n' and '\r' separately, remembering each hit, so a chunk full of bare
 * CRs is still scanned once.
 */
#include "config.h"

#include "fh-line-splitter.h"

#include <string.h>

struct _FhLineSplitter
{
  const char *valid_start; /* [valid_start, valid_end) of the current push */
  const char *valid_end;   /* is ASCII, hence valid UTF-8 */
  FhLineFunc func;
  gpointer user_data;
  gsize max_line;
  GString *partial;      /* start of a line that spans chunks */
  gboolean swallowing;   /* inside an over-long line already delivered */
  gboolean after_cr;     /* last chunk ended with '\r': skip a leading '\n' */
  guint64 n_lines;
  guint64 n_truncated;
  guint64 n_dropped;
};

FhLineSplitter *
fh_line_splitter_new (gsize max_line, FhLineFunc func, gpointer user_data)
{
  FhLineSplitter *self;

  g_return_val_if_fail (max_line > 0 && func != NULL, NULL);
  self = g_new0 (FhLineSplitter, 1);
  self->func = func;
  self->user_data = user_data;
  self->max_line = max_line;
  self->partial = g_string_sized_new (MIN (max_line, 256));
  return self;
}

void
fh_line_splitter_free (FhLineSplitter *self)
{
  if (self == NULL)
    return;
  g_string_free (self->partial, TRUE);
  g_free (self);
}

/* Length of the pure-ASCII prefix of @p, eight bytes at a time: logs are
 * nearly all ASCII, and that is valid UTF-8 without further checks. */
static gsize
ascii_prefix (const char *p, gsize len)
{
  gsize i = 0;

  for (; i + 8 <= len; i += 8)
    {
      guint64 w;
      memcpy (&w, p + i, 8);
      if (w & G_GUINT64_CONSTANT (0x8080808080808080))
        break;
    }
  while (i < len && (guchar) p[i] < 0x80)
    i++;
  return i;
}

static void
deliver (FhLineSplitter *self, const char *line, gsize len, FhLineFlags flags)
{
  self->n_lines++;
  if (flags & FH_LINE_TRUNCATED)
    self->n_truncated++;
  if (G_LIKELY (line + len <= self->valid_end && line >= self->valid_start) ||
      g_utf8_validate_len (line, len, NULL))
    {
      self->func (line, len, flags, self->user_data);
      return;
    }
  {
    g_autofree char *fixed = g_utf8_make_valid (line, (gssize) len);
    self->func (fixed, strlen (fixed), flags | FH_LINE_REPAIRED, self->user_data);
  }
}

/* Adds bytes of the current line, delivering it truncated when it reaches
 * the cap. */
static void
accumulate (FhLineSplitter *self, const char *p, gsize len)
{
  gsize room;

  if (self->swallowing)
    {
      self->n_dropped += len;
      return;
    }
  room = self->max_line - self->partial->len;
  if (len <= room)
    {
      g_string_append_len (self->partial, p, (gssize) len);
      return;
    }
  g_string_append_len (self->partial, p, (gssize) room);
  deliver (self, self->partial->str, self->partial->len, FH_LINE_TRUNCATED);
  g_string_truncate (self->partial, 0);
  self->swallowing = TRUE;
  self->n_dropped += len - room;
}

/* The line ends at @p + @len. */
static void
end_line (FhLineSplitter *self, const char *p, gsize len)
{
  if (self->partial->len == 0 && !self->swallowing)
    {
      if (len <= self->max_line)
        deliver (self, p, len, FH_LINE_NONE);
      else
        {
          deliver (self, p, self->max_line, FH_LINE_TRUNCATED);
          self->n_dropped += len - self->max_line;
        }
      return;
    }
  accumulate (self, p, len);
  if (!self->swallowing)
    deliver (self, self->partial->str, self->partial->len, FH_LINE_NONE);
  g_string_truncate (self->partial, 0);
  self->swallowing = FALSE;
}

static const char *
find (const char *p, const char *end, char c)
{
  const char *hit = memchr (p, c, (gsize) (end - p));
  return hit != NULL ? hit : end;
}

void
fh_line_splitter_push (FhLineSplitter *self, const char *data, gsize len)
{
  const char *p = data, *end = data + len, *nl, *cr;

  g_return_if_fail (self != NULL);
  if (len == 0)
    return;
  self->valid_start = data;
  self->valid_end = data + ascii_prefix (data, len);
  if (self->after_cr && *p == '\n')
    p++;
  self->after_cr = FALSE;
  nl = find (p, end, '\n');
  cr = find (p, end, '\r');
  while (p < end)
    {
      const char *eol = MIN (nl, cr);

      if (eol == end)
        {
          accumulate (self, p, (gsize) (end - p));
          break;
        }
      end_line (self, p, (gsize) (eol - p));
      p = eol + 1;
      if (*eol == '\r' && p < end && *p == '\n')
        p++;
      else if (*eol == '\r' && p == end)
        self->after_cr = TRUE;
      if (nl < p)
        nl = find (p, end, '\n');
      if (cr < p)
        cr = find (p, end, '\r');
    }
  self->valid_start = self->valid_end = NULL;
}

void
fh_line_splitter_flush (FhLineSplitter *self)
{
  g_return_if_fail (self != NULL);
  if (self->partial->len > 0 && !self->swallowing)
    deliver (self, self->partial->str, self->partial->len, FH_LINE_NONE);
  g_string_truncate (self->partial, 0);
  self->swallowing = FALSE;
}

guint64
fh_line_splitter_get_n_lines (FhLineSplitter *self)
{
  return self->n_lines;
}

guint64
fh_line_splitter_get_n_truncated (FhLineSplitter *self)
{
  return self->n_truncated;
}

guint64
fh_line_splitter_get_n_dropped (FhLineSplitter *self)
{
  return self->n_dropped;
}
