/* fh-template.c — command templates.
 *
 * Parsed once into pieces (literal runs and tokens) so that expanding a
 * template per item is a single pass with no re-scanning.
 */
#include "config.h"

#include "fh-template.h"

#include <string.h>

#include "fh-error.h"
#include "fh-job-error.h"
#include "fh-suggest.h"

typedef struct
{
  guint token;     /* 0 for a literal */
  char *literal;
  guint width;
  gboolean zero;
} Piece;

struct _FhTemplate
{
  char *text;
  GArray *pieces;  /* Piece */
  guint tokens;
};

static const struct
{
  const char *name;
  FhTemplateToken token;
  gboolean numeric;
} token_table[] = {
  { "frame", FH_TEMPLATE_TOKEN_FRAME, TRUE },
  { "start", FH_TEMPLATE_TOKEN_START, TRUE },
  { "end", FH_TEMPLATE_TOKEN_END, TRUE },
  { "step", FH_TEMPLATE_TOKEN_STEP, TRUE },
  { "frames", FH_TEMPLATE_TOKEN_FRAMES, TRUE },
  { "name", FH_TEMPLATE_TOKEN_NAME, FALSE },
  { "job", FH_TEMPLATE_TOKEN_JOB, FALSE },
  { "job_dir", FH_TEMPLATE_TOKEN_JOB_DIR, FALSE },
};

static const char *const token_names[] = {
  "frame", "start", "end", "step", "frames", "name", "job", "job_dir", NULL
};

static void
piece_clear (gpointer p)
{
  g_free (((Piece *) p)->literal);
}

static void
add_literal (FhTemplate *self, GString *lit)
{
  Piece piece = { 0 };

  if (lit->len == 0)
    return;
  piece.literal = g_strndup (lit->str, lit->len);
  g_array_append_val (self->pieces, piece);
  g_string_truncate (lit, 0);
}

static char *
names_of (guint mask)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (token_table); i++)
    if (mask & token_table[i].token)
      g_string_append_printf (out, "%s{%s}", out->len ? ", " : "", token_table[i].name);
  return g_string_free (out, FALSE);
}

static gboolean
parse_spec (const char *spec, gsize len, Piece *piece)
{
  guint width = 0;

  if (len == 0 || len > 3)
    return FALSE;
  piece->zero = spec[0] == '0';
  for (gsize i = piece->zero ? 1 : 0; i < len; i++)
    {
      if (!g_ascii_isdigit (spec[i]))
        return FALSE;
      width = width * 10 + (guint) (spec[i] - '0');
    }
  piece->width = width;
  return width >= 1 && width <= 32;
}

/* Scans "{name[:spec]}" at @p; returns its length, or 0 when @p does not
 * start a token (so the brace is literal). */
static gsize
scan_token (const char *p, gsize *name_len, const char **spec, gsize *spec_len)
{
  const char *q = p + 1;

  if (!(g_ascii_isalpha (*q) || *q == '_'))
    return 0;
  while (g_ascii_isalnum (*q) || *q == '_')
    q++;
  *name_len = (gsize) (q - p - 1);
  *spec = NULL;
  *spec_len = 0;
  if (*q == ':')
    {
      *spec = ++q;
      while (*q && *q != '}' && *q != '{' && *q != '\n')
        q++;
      *spec_len = (gsize) (q - *spec);
    }
  return *q == '}' ? (gsize) (q - p + 1) : 0;
}

static gboolean
add_token (FhTemplate *self, const char *p, gsize name_len, const char *spec,
           gsize spec_len, guint allowed, const char *where, GError **error)
{
  g_autofree char *name = g_strndup (p + 1, name_len);
  long col = (long) (p - self->text) + 1;
  Piece piece = { 0 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (token_table); i++)
    if (strcmp (token_table[i].name, name) == 0)
      break;
  if (i == G_N_ELEMENTS (token_table))
    {
      g_autofree char *hint = fh_suggest_phrase (name, token_names);
      return fh_throw (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                       "unknown token {%s} at column %ld%s (write {{ and }} "
                       "for literal braces)", name, col, hint);
    }
  if (!(allowed & token_table[i].token))
    {
      g_autofree char *avail = names_of (allowed);
      return fh_throw (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                       "token {%s} at column %ld has no value in %s (available: %s)",
                       name, col, where, avail);
    }
  if (spec != NULL && (!token_table[i].numeric || !parse_spec (spec, spec_len, &piece)))
    return fh_throw (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                     "token {%s:%.*s} at column %ld: %s", name, (int) spec_len,
                     spec, col, token_table[i].numeric
                         ? "the format must be a width from 1 to 32, like 4 or 04"
                         : "only numeric tokens take a format");
  piece.token = token_table[i].token;
  g_array_append_val (self->pieces, piece);
  self->tokens |= piece.token;
  return TRUE;
}

FhTemplate *
fh_template_parse (const char *text, guint allowed, const char *where,
                   GError **error)
{
  g_autoptr (FhTemplate) self = g_new0 (FhTemplate, 1);
  g_autoptr (GString) lit = g_string_new (NULL);

  self->text = g_strdup (text);
  self->pieces = g_array_new (FALSE, FALSE, sizeof (Piece));
  g_array_set_clear_func (self->pieces, piece_clear);
  for (const char *p = self->text; *p;)
    {
      gsize name_len, spec_len, n;
      const char *spec;

      if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))
        {
          g_string_append_c (lit, *p);
          p += 2;
          continue;
        }
      n = (*p == '{' && (p == self->text || p[-1] != '$'))
              ? scan_token (p, &name_len, &spec, &spec_len) : 0;
      if (n == 0)
        {
          g_string_append_c (lit, *p++);
          continue;
        }
      add_literal (self, lit);
      if (!add_token (self, p, name_len, spec, spec_len, allowed, where, error))
        return NULL;
      p += n;
    }
  add_literal (self, lit);
  return g_steal_pointer (&self);
}

void
fh_template_free (FhTemplate *self)
{
  if (self == NULL)
    return;
  g_free (self->text);
  g_clear_pointer (&self->pieces, g_array_unref);
  g_free (self);
}

guint
fh_template_get_tokens (const FhTemplate *self)
{
  return self->tokens;
}

static void
append_number (GString *out, const Piece *piece, gint64 v)
{
  if (piece->width == 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, v);
  else if (piece->zero)
    g_string_append_printf (out, "%0*" G_GINT64_FORMAT, (int) piece->width, v);
  else
    g_string_append_printf (out, "%*" G_GINT64_FORMAT, (int) piece->width, v);
}

static void
append_token (GString *out, const Piece *piece, const FhTemplateVars *vars)
{
  guint n = vars->n_frames;
  const gint64 *f = vars->frames;

  switch (piece->token)
    {
    case FH_TEMPLATE_TOKEN_FRAME:
    case FH_TEMPLATE_TOKEN_START: append_number (out, piece, n ? f[0] : 0); break;
    case FH_TEMPLATE_TOKEN_END: append_number (out, piece, n ? f[n - 1] : 0); break;
    case FH_TEMPLATE_TOKEN_STEP: append_number (out, piece, n > 1 ? f[1] - f[0] : 1); break;
    case FH_TEMPLATE_TOKEN_FRAMES:
      for (guint i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append_c (out, ' ');
          append_number (out, piece, f[i]);
        }
      break;
    case FH_TEMPLATE_TOKEN_NAME: g_string_append (out, vars->name ? vars->name : ""); break;
    case FH_TEMPLATE_TOKEN_JOB: g_string_append (out, vars->job ? vars->job : ""); break;
    case FH_TEMPLATE_TOKEN_JOB_DIR: g_string_append (out, vars->job_dir ? vars->job_dir : ""); break;
    default: g_assert_not_reached ();
    }
}

char *
fh_template_expand (const FhTemplate *self, const FhTemplateVars *vars)
{
  GString *out = g_string_sized_new (strlen (self->text) + 16);

  for (guint i = 0; i < self->pieces->len; i++)
    {
      const Piece *piece = &g_array_index (self->pieces, Piece, i);
      if (piece->token == 0)
        g_string_append (out, piece->literal);
      else
        append_token (out, piece, vars);
    }
  return g_string_free (out, FALSE);
}
