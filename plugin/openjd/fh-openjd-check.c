/* fh-openjd-check.c — the small checks every field of a template needs. */
#include "config.h"

#include "fh-openjd-check.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "fh-suggest.h"

void
fh_oj_limits_for (FhOjLimits *limits, FhOjExtensions ext)
{
  gboolean fb1 = (ext & FH_OJ_EXT_FEATURE_BUNDLE_1) != 0;

  *limits = (FhOjLimits) {
    .identifier = fb1 ? 512 : 64,
    .job_name = fb1 ? 512 : 128,
    .step_name = fb1 ? 512 : 64,
    .env_name = fb1 ? 512 : 64,
    .params = fb1 ? 200 : 50,
    .filename = fb1 ? 256 : 64,
  };
}

void
fh_oj_check_init (FhOjCheck *c, FhProblems *problems, const char *source, FhOjExtensions ext)
{
  c->problems = problems;
  c->source = source;
  c->ext = ext;
  fh_oj_limits_for (&c->limits, ext);
  c->paths = g_string_chunk_new (1024);
}

void
fh_oj_check_clear (FhOjCheck *c)
{
  g_clear_pointer (&c->paths, g_string_chunk_free);
}

const char *
fh_oj_path (FhOjCheck *c, const char *fmt, ...)
{
  va_list args;
  g_autofree char *s = NULL;

  va_start (args, fmt);
  s = g_strdup_vprintf (fmt, args);
  va_end (args);
  return g_string_chunk_insert (c->paths, s);
}

void
fh_oj_bad (FhOjCheck *c, const char *path, const FhDocNode *node, const char *fmt, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  fh_problems_add_in (c->problems, c->source, path, node ? node->line : 0, node ? node->column : 0, msg);
}

static gboolean
in_list (const char *const *list, const char *name)
{
  for (; list != NULL && *list != NULL; list++)
    if (g_str_equal (*list, name))
      return TRUE;
  return FALSE;
}

gboolean
fh_oj_check_map (FhOjCheck *c, const FhDocNode *node, const char *path,
                 const char *const *allowed, const char *const *required)
{
  if (node == NULL || node->kind != FH_DOC_MAP)
    {
      fh_oj_bad (c, path, node, "must be a mapping, not %s", node ? fh_doc_kind_name (node->kind) : "nothing");
      return FALSE;
    }
  for (guint i = 0; i < node->n_children; i++)
    {
      const FhDocNode *k = node->keys[i];
      if (k->kind != FH_DOC_STRING)
        fh_oj_bad (c, path, k, "a key must be a string, not %s ('%s')", fh_doc_kind_name (k->kind), k->text);
      else if (allowed != NULL && !in_list (allowed, k->text))
        {
          g_autofree char *hint = fh_suggest_phrase (k->text, allowed);
          g_autofree char *known = g_strjoinv (", ", (char **) allowed);
          fh_oj_bad (c, fh_oj_path (c, "%s%s%s", path, *path ? "." : "", k->text), k,
                     "unknown field '%s'%s (allowed here: %s)", k->text, hint, known);
        }
    }
  for (; required != NULL && *required != NULL; required++)
    if (fh_doc_get (node, *required) == NULL)
      fh_oj_bad (c, path, node, "missing the required field '%s'", *required);
  return TRUE;
}

gboolean
fh_oj_check_list (FhOjCheck *c, const FhDocNode *node, const char *path, guint min, guint max)
{
  if (node == NULL || node->kind != FH_DOC_SEQ)
    {
      fh_oj_bad (c, path, node, "must be a list, not %s", node ? fh_doc_kind_name (node->kind) : "nothing");
      return FALSE;
    }
  if (node->n_children < min)
    {
      fh_oj_bad (c, path, node, min == 1 ? "must not be empty (leave it out instead)"
                                         : "must have at least %u items, not %u", min, node->n_children);
      return FALSE;
    }
  if (max > 0 && node->n_children > max)
    {
      fh_oj_bad (c, path, node, "has %u items; at most %u are allowed", node->n_children, max);
      return FALSE;
    }
  return TRUE;
}

const char *
fh_oj_want_string (FhOjCheck *c, const FhDocNode *node, const char *path)
{
  if (node == NULL || node->kind != FH_DOC_STRING)
    {
      if (node != NULL && fh_doc_is_scalar (node) && node->kind != FH_DOC_NULL)
        fh_oj_bad (c, path, node, "must be a string, not %s (quote it: '%s')", fh_doc_kind_name (node->kind),
                   node->text);
      else
        fh_oj_bad (c, path, node, "must be a string, not %s", node ? fh_doc_kind_name (node->kind) : "nothing");
      return NULL;
    }
  if (memchr (node->text, '\0', node->text_len) != NULL)
    {
      fh_oj_bad (c, path, node, "must not hold a NUL character");
      return NULL;
    }
  return node->text;
}

gboolean
fh_oj_has_cc (const char *text, gboolean allow_space)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar u = g_utf8_get_char (p);
      if ((u < 0x20 || (u >= 0x7f && u <= 0x9f)) && !(allow_space && (u == '\n' || u == '\r' || u == '\t')))
        return TRUE;
    }
  return FALSE;
}

gboolean
fh_oj_check_text (FhOjCheck *c, const char *path, const FhDocNode *node, const char *text,
                  guint min, guint max, FhOjTextFlags flags)
{
  glong n = g_utf8_strlen (text, -1);

  if (n < (glong) min)
    fh_oj_bad (c, path, node, min == 1 ? "must not be empty" : "must be at least %u characters long", min);
  else if (max > 0 && n > (glong) max)
    fh_oj_bad (c, path, node, "is %ld characters long; at most %u are allowed", n, max);
  else if ((flags & FH_OJ_TEXT_NO_CC) && fh_oj_has_cc (text, (flags & FH_OJ_TEXT_ALLOW_SPACE_CC) != 0))
    fh_oj_bad (c, path, node, "must not hold control characters%s",
               (flags & FH_OJ_TEXT_ALLOW_SPACE_CC) ? " (other than newline, carriage return and tab)"
                                                   : " (newline, tab, ...)");
  else
    return TRUE;
  return FALSE;
}

gboolean
fh_oj_check_identifier (FhOjCheck *c, const char *path, const FhDocNode *node, const char *text)
{
  gboolean ok = *text != '\0' && (g_ascii_isalpha (*text) || *text == '_');

  for (const char *p = text; ok && *p; p++)
    ok = g_ascii_isalnum (*p) || *p == '_';
  if (!ok)
    {
      fh_oj_bad (c, path, node, "'%s' is not an identifier: a letter or '_', then letters, digits "
                 "or '_' (latin letters only)", text);
      return FALSE;
    }
  return fh_oj_check_text (c, path, node, text, 1, c->limits.identifier, 0);
}

FhOjFormat *
fh_oj_want_format (FhOjCheck *c, const FhDocNode *node, const char *path)
{
  const char *text = fh_oj_want_string (c, node, path);
  g_autofree char *message = NULL;
  FhOjFormat *f;

  if (text == NULL)
    return NULL;
  if ((f = fh_oj_format_parse (text, &message)) == NULL)
    fh_oj_bad (c, path, node, "not a valid format string: %s", message);
  return f;
}

gboolean
fh_oj_parse_int (const char *text, gint64 *out, gboolean *overflow)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  const char *p = t;
  char *end;

  *overflow = FALSE;
  if (*p == '-' || *p == '+')
    p++;
  if (!g_ascii_isdigit (*p))
    return FALSE;
  for (const char *q = p; *q; q++)
    if (!g_ascii_isdigit (*q))
      return FALSE;
  errno = 0;
  *out = g_ascii_strtoll (t, &end, 10);
  if (errno == ERANGE)
    {
      *overflow = TRUE;
      return FALSE;
    }
  return TRUE;
}

gboolean
fh_oj_parse_float (const char *text, double *out)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  char *end;

  if (*t == '\0')
    return FALSE;
  errno = 0;
  *out = g_ascii_strtod (t, &end);
  /* strtod reads "inf", "nan" and hex; a float string is base-10. */
  if (*end != '\0' || !isfinite (*out) || strpbrk (t, "xXpP") != NULL)
    return FALSE;
  for (const char *p = t; *p; p++)
    if (g_ascii_isalpha (*p) && *p != 'e' && *p != 'E')
      return FALSE;
  return TRUE;
}

gboolean
fh_oj_want_int (FhOjCheck *c, const FhDocNode *node, const char *path, gint64 *out)
{
  gboolean overflow = FALSE;

  if (node != NULL && node->kind == FH_DOC_INT && !node->big)
    {
      *out = node->int_value;
      return TRUE;
    }
  if (node != NULL && node->kind == FH_DOC_FLOAT && isfinite (node->float_value) &&
      node->float_value == floor (node->float_value) && fabs (node->float_value) < 9.2e18)
    {
      *out = (gint64) node->float_value;
      return TRUE;
    }
  if (node != NULL && node->kind == FH_DOC_STRING && fh_oj_parse_int (node->text, out, &overflow))
    return TRUE;
  if (node != NULL && (node->big || overflow))
    fh_oj_bad (c, path, node, "%s is beyond a 64-bit integer (%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")",
               node->text, G_MININT64, G_MAXINT64);
  else
    fh_oj_bad (c, path, node, "must be an integer (or a string of one), not %s%s%s%s",
               node ? fh_doc_kind_name (node->kind) : "nothing", node && node->text ? " '" : "",
               node && node->text ? node->text : "", node && node->text ? "'" : "");
  return FALSE;
}

gboolean
fh_oj_want_float (FhOjCheck *c, const FhDocNode *node, const char *path, double *out, char **text)
{
  double v = 0;
  gboolean ok = FALSE;

  if (node != NULL && node->kind == FH_DOC_INT)
    ok = !node->big, v = (double) node->int_value;
  else if (node != NULL && node->kind == FH_DOC_FLOAT)
    ok = isfinite (node->float_value), v = node->float_value;
  else if (node != NULL && node->kind == FH_DOC_STRING)
    ok = fh_oj_parse_float (node->text, &v);
  if (!ok)
    {
      fh_oj_bad (c, path, node, "must be a finite number (or a string of one), not %s%s%s%s",
                 node ? fh_doc_kind_name (node->kind) : "nothing", node && node->text ? " '" : "",
                 node && node->text ? node->text : "", node && node->text ? "'" : "");
      return FALSE;
    }
  *out = v;
  if (text != NULL)
    *text = g_strstrip (g_strdup (node->text));
  return TRUE;
}

gboolean
fh_oj_want_bool (FhOjCheck *c, const FhDocNode *node, const char *path, gboolean *out)
{
  if (node != NULL && node->kind == FH_DOC_BOOL)
    {
      *out = node->bool_value;
      return TRUE;
    }
  fh_oj_bad (c, path, node, "must be true or false, not %s", node ? fh_doc_kind_name (node->kind) : "nothing");
  return FALSE;
}
