/* fh-openjd-path-mapping.c — pathmapping-1.0 rules. */
#include "config.h"

#include "fh-openjd-path-mapping.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "fh-doc.h"
#include "fh-json.h"

typedef struct
{
  gboolean windows;
  char *source;        /* without a trailing separator (but for a root) */
  char *destination;
  char *source_as_written;
} Rule;

struct _FhOjPathMapping
{
  GArray *rules;       /* Rule, longest source first */
};

static void
rule_clear (gpointer p)
{
  Rule *r = p;

  g_free (r->source);
  g_free (r->destination);
  g_free (r->source_as_written);
}

FhOjPathMapping *
fh_oj_path_mapping_new (void)
{
  FhOjPathMapping *self = g_new0 (FhOjPathMapping, 1);

  self->rules = g_array_new (FALSE, FALSE, sizeof (Rule));
  g_array_set_clear_func (self->rules, rule_clear);
  return self;
}

void
fh_oj_path_mapping_free (FhOjPathMapping *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->rules);
  g_free (self);
}

gboolean
fh_oj_path_mapping_is_empty (const FhOjPathMapping *self)
{
  return self->rules->len == 0;
}

/* A Windows path with '\' only, no trailing one (but "C:\"). */
static char *
windows_normal (const char *path)
{
  char *s = g_strdelimit (g_strdup (path), "/", '\\');
  gsize n = strlen (s);

  while (n > 1 && s[n - 1] == '\\' && !(n == 3 && s[1] == ':'))
    s[--n] = '\0';
  return s;
}

static char *
posix_normal (const char *path)
{
  char *s = g_strdup (path);
  gsize n = strlen (s);

  while (n > 1 && s[n - 1] == '/')
    s[--n] = '\0';
  return s;
}

static gint
longest_first (gconstpointer a, gconstpointer b)
{
  gsize x = strlen (((const Rule *) a)->source), y = strlen (((const Rule *) b)->source);

  return x > y ? -1 : x < y;
}

static gboolean
rule (const FhDocNode *node, guint i, const char *source, FhProblems *problems, Rule *out)
{
  static const char *const fields[] = { "source_path_format", "source_path", "destination_path", NULL };
  g_autofree char *path = g_strdup_printf ("path_mapping_rules[%u]", i);
  const char *format, *src, *dst;

  if (node->kind != FH_DOC_MAP)
    goto bad;
  for (guint k = 0; k < node->n_children; k++)
    if (!g_strv_contains (fields, node->keys[k]->text))
      {
        g_autofree char *m = g_strdup_printf ("unknown field '%s'", node->keys[k]->text);
        fh_problems_add_in (problems, source, path, node->keys[k]->line, node->keys[k]->column, m);
        return FALSE;
      }
  format = fh_doc_scalar (fh_doc_get (node, "source_path_format"));
  src = fh_doc_scalar (fh_doc_get (node, "source_path"));
  dst = fh_doc_scalar (fh_doc_get (node, "destination_path"));
  if (format == NULL || src == NULL || dst == NULL || *src == '\0' || *dst == '\0' ||
      (g_strcmp0 (format, "POSIX") != 0 && g_strcmp0 (format, "WINDOWS") != 0))
    goto bad;
  out->windows = g_str_equal (format, "WINDOWS");
  out->source = out->windows ? windows_normal (src) : posix_normal (src);
  out->destination = posix_normal (dst);
  out->source_as_written = g_strdup (src);
  return TRUE;
bad:
  fh_problems_add_in (problems, source, path, node->line, node->column,
                      "a rule is {\"source_path_format\": \"POSIX\" or \"WINDOWS\", \"source_path\", "
                      "\"destination_path\"}, the paths not empty");
  return FALSE;
}

FhOjPathMapping *
fh_oj_path_mapping_parse (const char *text, const char *source, FhProblems *problems)
{
  g_autoptr (FhProblems) syntax = fh_problems_new (source);
  g_autoptr (FhDoc) doc = fh_doc_parse (text, strlen (text), FH_DOC_JSON, syntax);
  g_autoptr (FhOjPathMapping) self = fh_oj_path_mapping_new ();
  const FhDocNode *root, *rules;
  guint before = fh_problems_get_count (problems);

  if (doc == NULL)
    {
      g_autofree char *t = fh_problems_to_text (syntax);
      fh_problems_add_in (problems, source, "", 0, 0, t);
      return NULL;
    }
  root = fh_doc_root (doc);
  if (g_strcmp0 (fh_doc_scalar (fh_doc_get (root, "version")), "pathmapping-1.0") != 0 ||
      (rules = fh_doc_get (root, "path_mapping_rules")) == NULL || rules->kind != FH_DOC_SEQ)
    {
      fh_problems_add_in (problems, source, "", root ? root->line : 0, root ? root->column : 0,
                          "path mapping rules are {\"version\": \"pathmapping-1.0\", \"path_mapping_rules\": [...]}");
      return NULL;
    }
  for (guint i = 0; i < rules->n_children; i++)
    {
      Rule r = { 0 };
      if (rule (rules->values[i], i, source, problems, &r))
        g_array_append_val (self->rules, r);
    }
  if (fh_problems_get_count (problems) > before)
    return NULL;
  g_array_sort (self->rules, longest_first);
  return g_steal_pointer (&self);
}

/* The rest of @path below @r's source, or NULL when it is not below. */
static const char *
below (const Rule *r, const char *path, char **normal)
{
  gsize n = strlen (r->source);
  char sep = r->windows ? '\\' : '/';
  const char *p;

  *normal = r->windows ? windows_normal (path) : g_strdup (path);
  p = *normal;
  if (r->windows ? g_ascii_strncasecmp (p, r->source, n) != 0 : strncmp (p, r->source, n) != 0)
    return NULL;
  if (p[n] == '\0')
    return p + n;
  if (p[n] == sep)
    return p + n + 1;
  if (n > 0 && r->source[n - 1] == sep)
    return p + n;
  return NULL;
}

char *
fh_oj_path_mapping_apply (const FhOjPathMapping *self, const char *path)
{
  for (guint i = 0; i < self->rules->len; i++)
    {
      const Rule *r = &g_array_index (self->rules, Rule, i);
      g_autofree char *normal = NULL;
      const char *rest = below (r, path, &normal);
      g_autofree char *tail = NULL;
      if (rest == NULL)
        continue;
      if (*rest == '\0')
        return g_strdup (r->destination);
      tail = r->windows ? g_strdelimit (g_strdup (rest), "\\", '/') : g_strdup (rest);
      return g_str_has_suffix (r->destination, "/") ? g_strconcat (r->destination, tail, NULL)
                                                    : g_strconcat (r->destination, "/", tail, NULL);
    }
  return g_strdup (path);
}

char *
fh_oj_path_mapping_to_json (const FhOjPathMapping *self)
{
  g_autoptr (JsonObject) o = json_object_new ();
  JsonArray *rules = json_array_new ();

  json_object_set_string_member (o, "version", "pathmapping-1.0");
  for (guint i = 0; i < self->rules->len; i++)
    {
      const Rule *r = &g_array_index (self->rules, Rule, i);
      JsonObject *j = json_object_new ();
      json_object_set_string_member (j, "source_path_format", r->windows ? "WINDOWS" : "POSIX");
      json_object_set_string_member (j, "source_path", r->source_as_written);
      json_object_set_string_member (j, "destination_path", r->destination);
      json_array_add_object_element (rules, j);
    }
  json_object_set_array_member (o, "path_mapping_rules", rules);
  return fh_json_object_to_string (o);
}

gboolean
fh_oj_path_is_absolute (const char *path)
{
  if (g_path_is_absolute (path))
    return TRUE;
  if (g_ascii_isalpha (path[0]) && path[1] == ':' && (path[2] == '\\' || path[2] == '/'))
    return TRUE;
  return (path[0] == '\\' && path[1] == '\\') || (path[0] == '/' && path[1] == '/');
}
