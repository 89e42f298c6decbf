/* fh-regex-guard.c — required literals of a regex (see the header). */
#include "config.h"

#include "fh-regex-guard.h"

#include <string.h>

/* A guard: literals of which every match contains one.  Its worth is its
 * shortest literal. */
typedef GPtrArray Guard;

static gsize
worth (Guard *g)
{
  gsize min = G_MAXSIZE;

  for (guint i = 0; g != NULL && i < g->len; i++)
    min = MIN (min, strlen (g_ptr_array_index (g, i)));
  return g == NULL || g->len == 0 ? 0 : min;
}

typedef struct
{
  const char *p;        /* the next character */
  const char *end;      /* the alternative's end */
  gboolean caseless;
  GString *run;         /* the literal run being read */
  Guard *best;          /* the best guard of the alternative so far */
  gboolean failed;      /* something not understood: no guard */
} Reader;

/* Keeps @g if it is worth more than the best so far.  (transfer full) */
static void
offer (Reader *r, Guard *g)
{
  if (worth (g) > worth (r->best))
    {
      g_clear_pointer (&r->best, g_ptr_array_unref);
      r->best = g;
    }
  else if (g != NULL)
    g_ptr_array_unref (g);
}

static Guard *
single (const char *literal)
{
  Guard *g = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (g, g_strdup (literal));
  return g;
}

static void
end_run (Reader *r)
{
  if (r->run->len > 0)
    offer (r, single (r->run->str));
  g_string_truncate (r->run, 0);
}

/* Past the group or class starting at r->p (balanced, escapes and
 * classes inside skipped). */
static void
skip_class (Reader *r)
{
  const char *p = r->p + 1;

  if (p < r->end && *p == '^')
    p++;
  if (p < r->end && *p == ']')
    p++;
  while (p < r->end && *p != ']')
    {
      if (*p == '\\')
        p++;
      else if (*p == '[' && p + 1 < r->end && p[1] == ':')
        {
          const char *close = g_strstr_len (p + 2, r->end - (p + 2), ":]");
          if (close == NULL)
            break;
          p = close + 1;
        }
      p++;
    }
  if (p >= r->end)
    r->failed = TRUE;
  r->p = p + 1;
}

static void
skip_group (Reader *r)
{
  int depth = 0;

  if (r->p + 1 < r->end && r->p[1] == '*')   /* a verb: (*UCP), (*MARK:x) */
    {
      r->failed = TRUE;
      return;
    }
  while (r->p < r->end)
    {
      char c = *r->p;
      if (c == '\\')
        r->p += 2;
      else if (c == '[')
        skip_class (r);
      else
        {
          depth += c == '(' ? 1 : c == ')' ? -1 : 0;
          r->p++;
          if (depth == 0)
            return;
        }
    }
  r->failed = TRUE;
}

/* A quantifier at r->p: skipped; TRUE when it allows zero repeats. */
static gboolean
quantifier (Reader *r, gboolean *present)
{
  const char *p = r->p;
  gboolean zero = FALSE;

  *present = FALSE;
  if (p >= r->end)
    return FALSE;
  if (*p == '?' || *p == '*' || *p == '+')
    {
      zero = *p != '+';
      p++;
    }
  else if (*p == '{')
    {
      const char *q = p + 1;
      while (q < r->end && (g_ascii_isdigit (*q) || *q == ','))
        q++;
      /* "{" not followed by a count is a literal brace. */
      if (q >= r->end || *q != '}' || q == p + 1)
        return FALSE;
      zero = p[1] == '0' || p[1] == ',';
      p = q + 1;
    }
  else
    return FALSE;
  if (p < r->end && (*p == '?' || *p == '+'))   /* lazy or possessive */
    p++;
  r->p = p;
  *present = TRUE;
  return zero;
}

/* One literal character (escaped punctuation or plain ASCII), or -1. */
static int
literal_char (Reader *r, gsize *width)
{
  unsigned char c = (unsigned char) *r->p;

  *width = 1;
  if (c == '\\')
    {
      unsigned char n = r->p + 1 < r->end ? (unsigned char) r->p[1] : 0;
      *width = 2;
      if (n == 'Q' || n == 'E' || n == 'x' || n == 'p' || n == 'P' || n == 'g' || n == 'k' ||
          n == 'N' || n == 'o' || n == 'c' || n == 0)
        r->failed = TRUE;
      /* A backreference's digits are all its own. */
      while (g_ascii_isdigit (n) && r->p + *width < r->end && g_ascii_isdigit (r->p[*width]))
        (*width)++;
      return n < 0x80 && g_ascii_ispunct (n) ? n : -1;
    }
  if (c >= 0x80 || strchr (".^$[]()|?*+{}", c) != NULL)
    return -1;
  if (r->caseless && (g_ascii_tolower (c) == 'k' || g_ascii_tolower (c) == 's'))
    return -1;
  return r->caseless ? g_ascii_tolower (c) : c;
}

static Guard *guard_of (const char *p, const char *end, gboolean caseless, gboolean *failed);

/* Where a group's pattern starts (past "(?:", "(?<name>"...), or NULL for
 * one whose text is not part of the match (a lookaround). */
static const char *
group_body (const char *open, const char *close)
{
  const char *p = open + 1;

  if (*p != '?')
    return p;
  if (p[1] == ':')
    return p + 2;
  if ((p[1] == '<' && p[2] != '=' && p[2] != '!') || (p[1] == 'P' && p[2] == '<') || p[1] == '\'')
    {
      const char *name_end = memchr (p, p[1] == '\'' ? '\'' : '>', (gsize) (close - p));
      return name_end && name_end != p + 1 ? name_end + 1 : NULL;
    }
  return NULL;
}

/* A group: its alternatives' guards together are one, if the group must
 * match (no quantifier allowing zero). */
static void
read_group (Reader *r)
{
  const char *open = r->p, *body;
  gboolean quantified, zero, failed = FALSE;
  Guard *g;

  skip_group (r);
  if (r->failed)
    return;
  zero = quantifier (r, &quantified);
  body = group_body (open, r->p);
  if (zero || body == NULL)
    return;
  /* r->p is past the quantifier; the group's ")" is before it. */
  {
    const char *close = r->p - 1;
    while (close > body && *close != ')')
      close--;
    g = guard_of (body, close, r->caseless, &failed);
  }
  if (failed)
    r->failed = TRUE;
  offer (r, g);
}

/* Reads one top-level alternative. */
static void
read_alternative (Reader *r)
{
  while (r->p < r->end && !r->failed)
    {
      gboolean quantified, zero;
      gsize width;
      int c;

      if (*r->p == '(')
        {
          end_run (r);
          read_group (r);
          continue;
        }
      if (*r->p == '[')
        {
          end_run (r);
          skip_class (r);
          quantifier (r, &quantified);
          continue;
        }
      c = literal_char (r, &width);
      r->p += width;
      zero = quantifier (r, &quantified);
      if (c < 0 || zero)
        {
          end_run (r);
          continue;
        }
      g_string_append_c (r->run, (char) c);
      if (quantified)   /* "a+": one a is required, what follows is not next to it */
        end_run (r);
    }
  end_run (r);
}

/* The end of the top-level alternative starting at @p. */
static const char *
alternative_end (const char *p, const char *end)
{
  int depth = 0;

  while (p < end)
    {
      if (*p == '\\')
        p += 2;
      else if (*p == '[')
        {
          Reader r = { .p = p, .end = end };
          skip_class (&r);
          p = r.p;
        }
      else if (*p == '|' && depth == 0)
        return p;
      else
        {
          depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
          p++;
        }
    }
  return end;
}

static void
append_escaped (GString *out, const char *literal)
{
  for (const char *c = literal; *c != '\0'; c++)
    {
      if (strchr ("\\^$.|?*+()[]{}", *c) != NULL)
        g_string_append_c (out, '\\');
      g_string_append_c (out, *c);
    }
}

/* The guard of the alternatives in [@p, @end): each must have one; NULL
 * otherwise.  @failed: something in it is not understood.  (transfer full) */
static Guard *
guard_of (const char *p, const char *end, gboolean caseless, gboolean *failed)
{
  Guard *all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) run = g_string_new (NULL);

  while (p <= end)
    {
      const char *alt_end = alternative_end (p, end);
      Reader r = { .p = p, .end = alt_end, .caseless = caseless, .run = run };

      read_alternative (&r);
      if (r.failed || worth (r.best) < FH_REGEX_GUARD_MIN)
        {
          *failed = *failed || r.failed;
          g_clear_pointer (&r.best, g_ptr_array_unref);
          g_ptr_array_unref (all);
          return NULL;
        }
      for (guint i = 0; i < r.best->len; i++)
        g_ptr_array_add (all, g_strdup (g_ptr_array_index (r.best, i)));
      g_ptr_array_unref (r.best);
      p = alt_end + 1;
    }
  return all;
}

char *
fh_regex_guard (const char *pattern, gboolean *caseless)
{
  const char *p = pattern, *end = pattern + strlen (pattern);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GPtrArray) guard = NULL;
  gboolean failed = FALSE;

  *caseless = g_str_has_prefix (p, "(?i)");
  if (*caseless)
    p += 4;
  /* Any other option setting, anywhere, would change what the text means. */
  for (const char *q = p; (q = strstr (q, "(?")) != NULL; q += 2)
    if (q[2] != ':' && q[2] != '<' && q[2] != '=' && q[2] != '!' && q[2] != 'P' && q[2] != '\'')
      return NULL;
  if ((guard = guard_of (p, end, *caseless, &failed)) == NULL || failed)
    return NULL;
  for (guint i = 0; i < guard->len; i++)
    {
      if (out->len > 0)
        g_string_append_c (out, '|');
      append_escaped (out, g_ptr_array_index (guard, i));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
