/* fh-tail.c — a ring of the last N lines. */
#include "config.h"

#include "fh-tail.h"

#include <string.h>

/* One allocation: max_lines slots of max_bytes, each with its length.
 * Pushing a line is a memcpy — it happens for every line of every log. */
struct _FhTail
{
  char *slots;       /* max_lines * max_bytes */
  gsize *lens;       /* bytes used per slot */
  gboolean *cut;     /* the line was longer than the slot */
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
  self->slots = g_malloc ((gsize) max_lines * max_bytes);
  self->lens = g_new0 (gsize, max_lines);
  self->cut = g_new0 (gboolean, max_lines);
  self->max_lines = max_lines;
  self->max_bytes = max_bytes;
  return self;
}

void
fh_tail_free (FhTail *self)
{
  if (self == NULL)
    return;
  g_free (self->slots);
  g_free (self->lens);
  g_free (self->cut);
  g_free (self);
}

void
fh_tail_push (FhTail *self, const char *line, gsize len)
{
  gsize keep = len;

  g_return_if_fail (self != NULL);
  if (len > self->max_bytes)
    {
      /* Cut on a character boundary so the slot stays valid UTF-8. */
      const char *cut = g_utf8_find_prev_char (line, line + self->max_bytes + 1);
      keep = cut != NULL ? (gsize) (cut - line) : self->max_bytes;
    }
  memcpy (self->slots + (gsize) self->head * self->max_bytes, line, keep);
  self->lens[self->head] = keep;
  self->cut[self->head] = keep < len;
  self->head = (self->head + 1) % self->max_lines;
  self->len = MIN (self->len + 1, self->max_lines);
}

void
fh_tail_clear (FhTail *self)
{
  g_return_if_fail (self != NULL);
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
      guint slot = (first + i) % self->max_lines;
      g_string_append_len (out, self->slots + (gsize) slot * self->max_bytes, (gssize) self->lens[slot]);
      if (self->cut[slot])
        g_string_append (out, "…");
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}
