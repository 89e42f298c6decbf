/* fh-tail.c — a ring of the last N lines. */
#include "config.h"

#include "fh-tail.h"

struct _FhTail
{
  char **ring;       /* max_lines slots */
  guint max_lines;
  gsize max_bytes;
  guint head;        /* next slot to write */
  guint len;         /* slots in use */
};

FhTail *
fh_tail_new (guint max_lines, gsize max_bytes)
{
  FhTail *self;

  g_return_val_if_fail (max_lines > 0 && max_bytes > 0, NULL);
  self = g_new0 (FhTail, 1);
  self->ring = g_new0 (char *, max_lines);
  self->max_lines = max_lines;
  self->max_bytes = max_bytes;
  return self;
}

void
fh_tail_free (FhTail *self)
{
  if (self == NULL)
    return;
  fh_tail_clear (self);
  g_free (self->ring);
  g_free (self);
}

void
fh_tail_push (FhTail *self, const char *line, gsize len)
{
  g_return_if_fail (self != NULL);
  g_free (self->ring[self->head]);
  if (len > self->max_bytes)
    {
      /* Cut on a character boundary so the result stays valid UTF-8. */
      const char *cut = g_utf8_find_prev_char (line, line + self->max_bytes + 1);
      gsize keep = cut != NULL ? (gsize) (cut - line) : self->max_bytes;
      self->ring[self->head] = g_strdup_printf ("%.*s…", (int) keep, line);
    }
  else
    self->ring[self->head] = g_strndup (line, len);
  self->head = (self->head + 1) % self->max_lines;
  self->len = MIN (self->len + 1, self->max_lines);
}

void
fh_tail_clear (FhTail *self)
{
  g_return_if_fail (self != NULL);
  for (guint i = 0; i < self->max_lines; i++)
    g_clear_pointer (&self->ring[i], g_free);
  self->head = 0;
  self->len = 0;
}

guint
fh_tail_get_length (FhTail *self)
{
  return self->len;
}

char *
fh_tail_join (FhTail *self, const char *indent)
{
  return fh_tail_join_last (self, self->len, indent);
}

char *
fh_tail_join_last (FhTail *self, guint max_lines, const char *indent)
{
  GString *out = g_string_new (NULL);
  guint n = MIN (max_lines, self->len);
  guint first = (self->head + self->max_lines - n) % self->max_lines;

  for (guint i = 0; i < n; i++)
    {
      if (indent != NULL)
        g_string_append (out, indent);
      g_string_append (out, self->ring[(first + i) % self->max_lines]);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}
