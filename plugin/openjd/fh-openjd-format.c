/* fh-openjd-format.c — format strings: literal text and {{ references }}. */
#include "config.h"

#include "fh-openjd-format.h"

#include <string.h>

typedef struct
{
  gsize start;     /* of the literal text before the reference */
  gsize len;       /* of that text */
  char *name;      /* the reference, or NULL for trailing text */
  gsize offset;    /* of its "{{" */
} Part;

struct _FhOjFormat
{
  char *text;
  GArray *parts;   /* Part */
  guint n_refs;
};

static void
part_clear (gpointer p)
{
  g_free (((Part *) p)->name);
}

/* A dotted name of identifiers: Param.Frame, Task.File.script. */
static gboolean
is_value_reference (const char *s, gsize len)
{
  gboolean start = TRUE;

  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];
      if (c == '.')
        {
          if (start)
            return FALSE;
          start = TRUE;
          continue;
        }
      if (!(g_ascii_isalpha (c) || c == '_' || (!start && g_ascii_isdigit (c))))
        return FALSE;
      start = FALSE;
    }
  return !start;
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The reference between @open (its "{{") and @close (its "}}"). */
static char *
reference (const char *text, gsize open, gsize close, char **message)
{
  gsize a = open + 2, b = close;

  while (a < b && is_space (text[a]))
    a++;
  while (b > a && is_space (text[b - 1]))
    b--;
  if (a == b)
    *message = g_strdup_printf ("'{{' at offset %zu holds nothing: a reference is '{{ Param.Name }}'", open);
  else if (is_value_reference (text + a, b - a))
    return g_strndup (text + a, b - a);
  else
    *message = g_strdup_printf ("'{{ %.*s }}' at offset %zu is an expression, not a value reference "
                                "(Name.Name): expressions need the EXPR extension, which farmhand "
                                "does not support (yet)", (int) (b - a), text + a, open);
  return NULL;
}

FhOjFormat *
fh_oj_format_parse (const char *text, char **message)
{
  g_autoptr (GArray) parts = g_array_new (FALSE, FALSE, sizeof (Part));
  FhOjFormat *self;
  gsize from = 0, len = strlen (text);
  guint n_refs = 0;

  g_array_set_clear_func (parts, part_clear);
  for (const char *open = strstr (text, "{{"); open != NULL; open = strstr (text + from, "{{"))
    {
      gsize at = open - text;
      const char *close = strstr (open + 2, "}}");
      Part p = { from, at - from, NULL, at };

      if (close == NULL)
        {
          *message = g_strdup_printf ("'{{' at offset %zu has no closing '}}'", at);
          return NULL;
        }
      if ((p.name = reference (text, at, close - text, message)) == NULL)
        return NULL;
      g_array_append_val (parts, p);
      n_refs++;
      from = close - text + 2;
    }
  if (from < len || parts->len == 0)
    {
      Part tail = { from, len - from, NULL, len };
      g_array_append_val (parts, tail);
    }
  self = g_new0 (FhOjFormat, 1);
  self->text = g_strdup (text);
  self->parts = g_steal_pointer (&parts);
  self->n_refs = n_refs;
  return self;
}

void
fh_oj_format_free (FhOjFormat *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->parts);
  g_free (self->text);
  g_free (self);
}

const char *
fh_oj_format_get_text (const FhOjFormat *self)
{
  return self->text;
}

gboolean
fh_oj_format_has_refs (const FhOjFormat *self)
{
  return self->n_refs > 0;
}

guint
fh_oj_format_get_n_refs (const FhOjFormat *self)
{
  return self->n_refs;
}

const char *
fh_oj_format_get_ref (const FhOjFormat *self, guint i, gsize *offset)
{
  for (guint k = 0; k < self->parts->len; k++)
    {
      const Part *p = &g_array_index (self->parts, Part, k);
      if (p->name != NULL && i-- == 0)
        {
          if (offset != NULL)
            *offset = p->offset;
          return p->name;
        }
    }
  return NULL;
}

char *
fh_oj_format_resolve (const FhOjFormat *self, FhOjLookupFunc lookup, gpointer user_data,
                      const char **missing)
{
  g_autoptr (GString) out = g_string_sized_new (strlen (self->text));

  for (guint k = 0; k < self->parts->len; k++)
    {
      const Part *p = &g_array_index (self->parts, Part, k);
      const char *value;

      g_string_append_len (out, self->text + p->start, p->len);
      if (p->name == NULL)
        continue;
      if ((value = lookup (p->name, user_data)) == NULL)
        {
          if (missing != NULL)
            *missing = p->name;
          return NULL;
        }
      g_string_append (out, value);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
