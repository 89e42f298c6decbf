/* fh-openjd-combination.c — combination expressions, by recursive descent:
 *
 *   expr    := element ('*' element)*
 *   element := NAME | '(' expr (',' expr)* ')'
 */
#include "config.h"

#include "fh-openjd-combination.h"

#include <string.h>

#define MAX_LENGTH 1280
#define MAX_DEPTH 64

typedef struct
{
  const char *text;
  const char *p;
  char *message;
  guint depth;
} Parser;

static FhOjComb *expr (Parser *ps);

static FhOjComb *
node_new (FhOjCombKind kind)
{
  FhOjComb *n = g_new0 (FhOjComb, 1);

  n->kind = kind;
  if (kind != FH_OJ_COMB_NAME)
    n->children = g_ptr_array_new_with_free_func ((GDestroyNotify) fh_oj_comb_free);
  return n;
}

void
fh_oj_comb_free (FhOjComb *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  if (self->children != NULL)
    g_ptr_array_unref (self->children);
  g_free (self);
}

static void
skip_space (Parser *ps)
{
  while (*ps->p == ' ')
    ps->p++;
}

static gpointer
fail (Parser *ps, const char *what)
{
  if (ps->message == NULL)
    ps->message = *ps->p ? g_strdup_printf ("%s at offset %zu ('%s')", what, (gsize) (ps->p - ps->text), ps->p)
                         : g_strdup_printf ("%s at the end", what);
  return NULL;
}

static FhOjComb *
element (Parser *ps)
{
  g_autoptr (FhOjComb) n = NULL;

  skip_space (ps);
  if (*ps->p == '(')
    {
      if (++ps->depth > MAX_DEPTH)
        return fail (ps, "nested too deeply");
      ps->p++;
      n = node_new (FH_OJ_COMB_ASSOCIATION);
      do
        {
          FhOjComb *e = expr (ps);
          if (e == NULL)
            return NULL;
          g_ptr_array_add (n->children, e);
          skip_space (ps);
        }
      while (*ps->p == ',' && ps->p++);
      if (*ps->p != ')')
        return fail (ps, "expected ',' or ')'");
      ps->p++;
      ps->depth--;
      /* "(A)" is A. */
      if (n->children->len == 1)
        return g_ptr_array_steal_index (n->children, 0);
      return g_steal_pointer (&n);
    }
  if (g_ascii_isalpha (*ps->p) || *ps->p == '_')
    {
      const char *start = ps->p;
      while (g_ascii_isalnum (*ps->p) || *ps->p == '_')
        ps->p++;
      n = node_new (FH_OJ_COMB_NAME);
      n->name = g_strndup (start, ps->p - start);
      return g_steal_pointer (&n);
    }
  return fail (ps, "expected a task parameter's name or '('");
}

static FhOjComb *
expr (Parser *ps)
{
  g_autoptr (FhOjComb) product = NULL;
  FhOjComb *first = element (ps);

  if (first == NULL)
    return NULL;
  skip_space (ps);
  if (*ps->p != '*')
    return first;
  product = node_new (FH_OJ_COMB_PRODUCT);
  g_ptr_array_add (product->children, first);
  while (*ps->p == '*')
    {
      FhOjComb *e;
      ps->p++;
      if ((e = element (ps)) == NULL)
        return NULL;
      g_ptr_array_add (product->children, e);
      skip_space (ps);
    }
  return g_steal_pointer (&product);
}

FhOjComb *
fh_oj_comb_parse (const char *text, char **message)
{
  Parser ps = { text, text, NULL, 0 };
  g_autoptr (FhOjComb) root = NULL;

  for (const char *c = text; *c; c++)
    if (!(g_ascii_isalnum (*c) || strchr ("_ *(),", *c) != NULL))
      {
        *message = g_strdup_printf ("'%c' at offset %zu: only task parameter names, spaces, '*', '(', ')' "
                                    "and ',' are allowed", *c, (gsize) (c - text));
        return NULL;
      }
  if (strlen (text) > MAX_LENGTH)
    {
      *message = g_strdup_printf ("is %zu characters long; at most %d are allowed", strlen (text), MAX_LENGTH);
      return NULL;
    }
  root = expr (&ps);
  if (root != NULL)
    {
      skip_space (&ps);
      if (*ps.p != '\0')
        fail (&ps, "expected '*' or the end");
    }
  if (ps.message != NULL)
    {
      *message = ps.message;
      return NULL;
    }
  return g_steal_pointer (&root);
}

FhOjComb *
fh_oj_comb_product (const char *const *names)
{
  FhOjComb *product = node_new (FH_OJ_COMB_PRODUCT);

  for (; *names != NULL; names++)
    {
      FhOjComb *n = node_new (FH_OJ_COMB_NAME);
      n->name = g_strdup (*names);
      g_ptr_array_add (product->children, n);
    }
  return product;
}

static void
foreach_name (const FhOjComb *n, gboolean associated, FhOjCombNameFunc func, gpointer user_data)
{
  if (n->kind == FH_OJ_COMB_NAME)
    {
      func (n->name, associated, user_data);
      return;
    }
  for (guint i = 0; i < n->children->len; i++)
    foreach_name (g_ptr_array_index (n->children, i), associated || n->kind == FH_OJ_COMB_ASSOCIATION,
                  func, user_data);
}

void
fh_oj_comb_foreach_name (const FhOjComb *self, FhOjCombNameFunc func, gpointer user_data)
{
  foreach_name (self, FALSE, func, user_data);
}
