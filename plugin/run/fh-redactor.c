/* fh-redactor.c — replacing secrets with "***". */
#include "config.h"

#include "fh-redactor.h"

#include <string.h>

#define MASK "***"

struct _FhRedactor
{
  GPtrArray *secrets;  /* char*, longest first so a secret containing
                          another is hidden whole */
};

static gint
longer_first (gconstpointer a, gconstpointer b)
{
  gsize la = strlen (*(char **) a), lb = strlen (*(char **) b);

  return la < lb ? 1 : la > lb ? -1 : 0;
}

FhRedactor *
fh_redactor_new (const char *const *secrets)
{
  FhRedactor *self = g_new0 (FhRedactor, 1);

  self->secrets = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; secrets != NULL && secrets[i] != NULL; i++)
    if (secrets[i][0] != '\0')
      g_ptr_array_add (self->secrets, g_strdup (secrets[i]));
  g_ptr_array_sort (self->secrets, longer_first);
  return self;
}

void
fh_redactor_free (FhRedactor *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->secrets);
  g_free (self);
}

static const char *
first_secret (FhRedactor *self, const char *p, gsize len, gsize *which_len)
{
  const char *best = NULL;

  for (guint i = 0; i < self->secrets->len; i++)
    {
      const char *s = g_ptr_array_index (self->secrets, i);
      gsize n = strlen (s);
      const char *hit = memmem (p, len, s, n);
      if (hit != NULL && (best == NULL || hit < best))
        {
          best = hit;
          *which_len = n;
        }
    }
  return best;
}

char *
fh_redactor_apply (FhRedactor *self, const char *text, gsize len)
{
  GString *out = NULL;
  const char *p = text, *end = text + len;
  gsize n = 0;
  const char *hit;

  if (self == NULL || self->secrets->len == 0)
    return NULL;
  while ((hit = first_secret (self, p, (gsize) (end - p), &n)) != NULL)
    {
      if (out == NULL)
        out = g_string_sized_new (len);
      g_string_append_len (out, p, hit - p);
      g_string_append (out, MASK);
      p = hit + n;
    }
  if (out == NULL)
    return NULL;
  g_string_append_len (out, p, end - p);
  return g_string_free (out, FALSE);
}
