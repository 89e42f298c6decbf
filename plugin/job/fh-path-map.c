/* fh-path-map.c — path mapping. */
#include "config.h"

#include "fh-path-map.h"

#include <string.h>

typedef struct
{
  char *from;
  char *to;
  gsize from_len;
} Rule;

struct _FhPathMap
{
  GArray *rules;  /* Rule, longest `from` first */
};

static void
rule_clear (gpointer p)
{
  Rule *r = p;

  g_free (r->from);
  g_free (r->to);
}

FhPathMap *
fh_path_map_new (void)
{
  FhPathMap *self = g_new0 (FhPathMap, 1);

  self->rules = g_array_new (FALSE, FALSE, sizeof (Rule));
  g_array_set_clear_func (self->rules, rule_clear);
  return self;
}

void
fh_path_map_free (FhPathMap *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->rules);
  g_free (self);
}

static char *
strip_slash (const char *path)
{
  gsize len = strlen (path);

  while (len > 1 && path[len - 1] == '/')
    len--;
  return g_strndup (path, len);
}

static gint
longer_first (gconstpointer a, gconstpointer b)
{
  gsize la = ((const Rule *) a)->from_len, lb = ((const Rule *) b)->from_len;

  return la < lb ? 1 : la > lb ? -1 : 0;
}

void
fh_path_map_add (FhPathMap *self, const char *from, const char *to)
{
  Rule r = { strip_slash (from), strip_slash (to), 0 };

  r.from_len = strlen (r.from);
  g_array_append_val (self->rules, r);
  g_array_sort (self->rules, longer_first);
}

/* Characters that continue a path component. */
static gboolean
is_path_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-' || c == '.' || c == '~' ||
         c == '+' || c == '@' || (guchar) c >= 0x80;
}

static const Rule *
match_at (FhPathMap *self, const char *text, const char *p)
{
  if (p > text && (is_path_char (p[-1]) || p[-1] == '/'))
    return NULL;
  for (guint i = 0; i < self->rules->len; i++)
    {
      const Rule *r = &g_array_index (self->rules, Rule, i);
      char next;

      if (strncmp (p, r->from, r->from_len) != 0)
        continue;
      next = p[r->from_len];
      if (next == '\0' || next == '/' || !is_path_char (next))
        return r;
    }
  return NULL;
}

char *
fh_path_map_apply (FhPathMap *self, const char *text)
{
  GString *out;

  if (self == NULL || self->rules->len == 0)
    return g_strdup (text);
  out = g_string_sized_new (strlen (text));
  for (const char *p = text; *p;)
    {
      const Rule *r = match_at (self, text, p);
      if (r != NULL)
        {
          g_string_append (out, r->to);
          p += r->from_len;
        }
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}
