/* fh-doc.c — YAML (libyaml events) and JSON read into a tree with
 * positions, scalars typed as PyYAML's SafeLoader types them. */
#include "config.h"

#include "fh-doc.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <yaml.h>

struct _FhDoc
{
  GPtrArray *nodes;      /* FhDocNode*, owned (with their arrays) */
  GStringChunk *texts;
  FhDocNode *root;
};

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

/* ---- scalar typing ------------------------------------------------------ */

/* PyYAML's implicit resolvers (resolver.py, YAML 1.1), in its order. */
typedef struct
{
  GRegex *bool_re;
  GRegex *float_re;
  GRegex *int_re;
  GRegex *null_re;
  GRegex *json_number_re;
} Resolvers;

static const Resolvers *
resolvers (void)
{
  static Resolvers r;
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      r.bool_re = g_regex_new ("^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE"
                               "|on|On|ON|off|Off|OFF)$", 0, 0, NULL);
      r.float_re = g_regex_new ("^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?"
                                "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
                                "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
                                "|[-+]?\\.(?:inf|Inf|INF)"
                                "|\\.(?:nan|NaN|NAN))$", 0, 0, NULL);
      r.int_re = g_regex_new ("^(?:[-+]?0b[0-1_]+"
                              "|[-+]?0[0-7_]+"
                              "|[-+]?(?:0|[1-9][0-9_]*)"
                              "|[-+]?0x[0-9a-fA-F_]+"
                              "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$", 0, 0, NULL);
      r.null_re = g_regex_new ("^(?:~|null|Null|NULL|)$", 0, 0, NULL);
      r.json_number_re = g_regex_new ("^-?(?:0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?$",
                                      0, 0, NULL);
      g_once_init_leave (&done, 1);
    }
  return &r;
}

static gboolean
matches (GRegex *re, const char *text)
{
  return g_regex_match (re, text, 0, NULL);
}

/* PyYAML's construct_yaml_int: '_' ignored; 0b, 0x, a leading 0 (octal)
 * and a:b:c (base 60).  Beyond 64 bits: @big. */
static void
construct_int (FhDocNode *n, const char *text)
{
  g_autoptr (GString) digits = g_string_new (NULL);
  gboolean negative = FALSE;
  const char *p = text;
  guint64 value = 0;
  gboolean overflow = FALSE;

  for (const char *c = text; *c; c++)
    if (*c != '_')
      g_string_append_c (digits, *c);
  p = digits->str;
  if (*p == '-' || *p == '+')
    negative = *p++ == '-';
  if (strchr (p, ':') != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (p, ":", -1);
      for (guint i = 0; parts[i] != NULL; i++)
        {
          guint64 d = g_ascii_strtoull (parts[i], NULL, 10);
          if (value > (G_MAXUINT64 - d) / 60)
            overflow = TRUE;
          value = value * 60 + d;
        }
    }
  else
    {
      guint base = 10;
      if (g_str_has_prefix (p, "0b"))
        base = 2, p += 2;
      else if (g_str_has_prefix (p, "0x"))
        base = 16, p += 2;
      else if (p[0] == '0' && p[1] != '\0')
        base = 8;
      errno = 0;
      value = g_ascii_strtoull (p, NULL, base);
      overflow = errno == ERANGE;
    }
  n->kind = FH_DOC_INT;
  if (overflow || value > (guint64) G_MAXINT64 + (negative ? 1 : 0))
    n->big = TRUE;
  else
    n->int_value = negative ? (gint64) (0 - value) : (gint64) value;
}

static void
construct_float (FhDocNode *n, const char *text)
{
  g_autoptr (GString) s = g_string_new (NULL);

  for (const char *c = text; *c; c++)
    if (*c != '_')
      g_string_append_c (s, g_ascii_tolower (*c));
  n->kind = FH_DOC_FLOAT;
  if (g_str_has_suffix (s->str, ".inf"))
    n->float_value = s->str[0] == '-' ? -INFINITY : INFINITY;
  else if (g_str_equal (s->str, ".nan"))
    n->float_value = NAN;
  else if (strchr (s->str, ':') != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (s->str[0] == '-' || s->str[0] == '+' ? s->str + 1 : s->str, ":", -1);
      double v = 0;
      for (guint i = 0; parts[i] != NULL; i++)
        v = v * 60 + g_ascii_strtod (parts[i], NULL);
      n->float_value = s->str[0] == '-' ? -v : v;
    }
  else
    n->float_value = g_ascii_strtod (s->str, NULL);
}

/* A plain YAML scalar, typed by PyYAML's implicit resolvers. */
static void
type_plain_yaml (FhDocNode *n)
{
  const Resolvers *r = resolvers ();

  if (matches (r->bool_re, n->text))
    {
      n->kind = FH_DOC_BOOL;
      n->bool_value = strchr ("yYtToO", n->text[0]) != NULL && g_ascii_strcasecmp (n->text, "off") != 0;
    }
  else if (matches (r->float_re, n->text))
    construct_float (n, n->text);
  else if (matches (r->int_re, n->text))
    construct_int (n, n->text);
  else if (matches (r->null_re, n->text))
    n->kind = FH_DOC_NULL;
  else
    n->kind = FH_DOC_STRING;
}

/* A bare JSON value: true, false, null or a number. */
static void
type_plain_json (FhDocNode *n)
{
  g_autoptr (GMatchInfo) m = NULL;

  if (g_str_equal (n->text, "true") || g_str_equal (n->text, "false"))
    {
      n->kind = FH_DOC_BOOL;
      n->bool_value = n->text[0] == 't';
    }
  else if (g_str_equal (n->text, "null"))
    n->kind = FH_DOC_NULL;
  else if (g_regex_match (resolvers ()->json_number_re, n->text, 0, &m))
    {
      g_autofree char *frac = g_match_info_fetch (m, 1);
      g_autofree char *exp = g_match_info_fetch (m, 2);
      if ((frac && *frac) || (exp && *exp))
        {
          n->kind = FH_DOC_FLOAT;
          n->float_value = g_ascii_strtod (n->text, NULL);
        }
      else
        construct_int (n, n->text);
    }
  else
    n->kind = FH_DOC_STRING;
}

/* ---- building the tree -------------------------------------------------- */

typedef struct
{
  FhDocNode *node;
  GPtrArray *children;   /* maps: key, value, key, value...; seqs: items */
  char *anchor;
} Open;

typedef struct
{
  FhDoc *doc;
  FhDocFormat format;
  FhProblems *problems;
  GArray *stack;         /* Open */
  GHashTable *anchors;   /* name -> FhDocNode* (the document's) */
  GHashTable *sizes;     /* FhDocNode* -> expanded node count (GUINT) */
  guint64 expanded;
  gboolean failed;
  gboolean yaml_syntax;  /* libyaml refused it (not one of our checks) */
} Builder;

static void
fail (Builder *b, guint line, guint column, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static void
fail (Builder *b, guint line, guint column, const char *fmt, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  if (b->failed)
    return;
  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  b->failed = TRUE;
  fh_problems_set_code (b->problems, FH_PROBLEMS_SYNTAX);
  fh_problems_add (b->problems, "", line, column, msg);
}

static FhDocNode *
new_node (Builder *b, FhDocKind kind, const yaml_mark_t *mark)
{
  FhDocNode *n = g_new0 (FhDocNode, 1);

  n->kind = kind;
  n->line = mark->line + 1;
  n->column = mark->column + 1;
  g_ptr_array_add (b->doc->nodes, n);
  return n;
}

static guint64
size_of (Builder *b, FhDocNode *n)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (b->sizes, n));
}

/* Counts what walking @n would visit, aliases expanded: a document that
 * grows past FH_DOC_MAX_NODES this way is refused. */
static gboolean
count (Builder *b, FhDocNode *n, guint64 size)
{
  g_hash_table_insert (b->sizes, n, GUINT_TO_POINTER ((guint) MIN (size, G_MAXUINT)));
  if (size > FH_DOC_MAX_NODES)
    {
      fail (b, n->line, n->column, "the document expands to more than %u nodes (aliases count "
            "each time they are used)", FH_DOC_MAX_NODES);
      return FALSE;
    }
  return TRUE;
}

static void
remember_anchor (Builder *b, const char *anchor, FhDocNode *n)
{
  if (anchor != NULL)
    g_hash_table_insert (b->anchors, g_strdup (anchor), n);
}

/* Adds @n to the open container (or makes it the root). */
static void
attach (Builder *b, FhDocNode *n)
{
  if (b->stack->len == 0)
    {
      b->doc->root = n;
      return;
    }
  g_ptr_array_add (g_array_index (b->stack, Open, b->stack->len - 1).children, n);
}

static gboolean
is_yaml_tag (const char *tag, const char *name)
{
  return tag != NULL && g_str_has_prefix (tag, YAML_TAG_PREFIX) &&
         g_str_equal (tag + strlen (YAML_TAG_PREFIX), name);
}

/* A scalar with an explicit tag: YAML's own only. */
static gboolean
type_tagged (Builder *b, FhDocNode *n, const char *tag)
{
  const Resolvers *r = resolvers ();

  if (g_str_equal (tag, "!") || is_yaml_tag (tag, "str"))
    n->kind = FH_DOC_STRING;
  else if (is_yaml_tag (tag, "int") && matches (r->int_re, n->text))
    construct_int (n, n->text);
  else if (is_yaml_tag (tag, "float") && (matches (r->float_re, n->text) || matches (r->int_re, n->text)))
    construct_float (n, n->text);
  else if (is_yaml_tag (tag, "bool") && matches (r->bool_re, n->text))
    type_plain_yaml (n);
  else if (is_yaml_tag (tag, "null") && matches (r->null_re, n->text))
    n->kind = FH_DOC_NULL;
  else
    {
      fail (b, n->line, n->column, "a value tagged %s the document cannot hold here ('%s')", tag, n->text);
      return FALSE;
    }
  return TRUE;
}

static void
on_scalar (Builder *b, yaml_event_t *e)
{
  FhDocNode *n = new_node (b, FH_DOC_STRING, &e->start_mark);
  const char *tag = (const char *) e->data.scalar.tag;

  n->text = g_string_chunk_insert_len (b->doc->texts, (const char *) e->data.scalar.value,
                                       e->data.scalar.length);
  n->text_len = e->data.scalar.length;
  n->quoted = e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
  if (tag != NULL)
    type_tagged (b, n, tag);
  else if (!n->quoted)
    {
      if (b->format == FH_DOC_JSON)
        type_plain_json (n);
      else
        type_plain_yaml (n);
    }
  remember_anchor (b, (const char *) e->data.scalar.anchor, n);
  if (count (b, n, 1))
    attach (b, n);
}

static void
open_container (Builder *b, yaml_event_t *e, FhDocKind kind)
{
  const char *tag = kind == FH_DOC_MAP ? (const char *) e->data.mapping_start.tag
                                       : (const char *) e->data.sequence_start.tag;
  const char *anchor = kind == FH_DOC_MAP ? (const char *) e->data.mapping_start.anchor
                                          : (const char *) e->data.sequence_start.anchor;
  Open o = { new_node (b, kind, &e->start_mark), g_ptr_array_new (), g_strdup (anchor) };

  if (tag != NULL && !g_str_equal (tag, "!") && !is_yaml_tag (tag, kind == FH_DOC_MAP ? "map" : "seq"))
    fail (b, o.node->line, o.node->column, "a %s tagged %s the document cannot hold",
          kind == FH_DOC_MAP ? "mapping" : "sequence", tag);
  if (b->stack->len >= FH_DOC_MAX_DEPTH)
    fail (b, o.node->line, o.node->column, "nested deeper than %d levels", FH_DOC_MAX_DEPTH);
  g_array_append_val (b->stack, o);
}

static gboolean
is_merge_key (const FhDocNode *k)
{
  return k->kind == FH_DOC_STRING && !k->quoted && g_str_equal (k->text, "<<");
}

/* Whether @key is among the first @n keys of @keys. */
static gboolean
has_key (GPtrArray *keys, guint n, const FhDocNode *key)
{
  for (guint i = 0; i < n; i++)
    {
      const FhDocNode *k = g_ptr_array_index (keys, i);
      if (k->kind == key->kind && k->text_len == key->text_len && memcmp (k->text, key->text, k->text_len) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The pairs of the maps a "<<" merge key names (a map, or a sequence of
 * maps, earlier ones first), as PyYAML's flatten_mapping merges them. */
static gboolean
merge_sources (Builder *b, const FhDocNode *value, GPtrArray *into_keys, GPtrArray *into_values)
{
  const FhDocNode *maps[] = { value };
  const FhDocNode *const *list = maps;
  guint n = 1;

  if (value->kind == FH_DOC_SEQ)
    list = (const FhDocNode *const *) value->values, n = value->n_children;
  for (guint i = 0; i < n; i++)
    {
      const FhDocNode *m = list[i];
      if (m->kind != FH_DOC_MAP)
        {
          fail (b, m->line, m->column, "a merge key (<<) takes a mapping or a list of mappings, not %s",
                fh_doc_kind_name (m->kind));
          return FALSE;
        }
      for (guint j = 0; j < m->n_children; j++)
        if (!has_key (into_keys, into_keys->len, m->keys[j]))
          {
            g_ptr_array_add (into_keys, m->keys[j]);
            g_ptr_array_add (into_values, m->values[j]);
          }
    }
  return TRUE;
}

/* A mapping's pairs: keys must be scalars, each once; "<<" merges. */
static void
close_map (Builder *b, Open *o)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  g_autoptr (GPtrArray) values = g_ptr_array_new ();
  g_autoptr (GPtrArray) merged_keys = g_ptr_array_new ();
  g_autoptr (GPtrArray) merged_values = g_ptr_array_new ();
  guint64 size = 1;

  for (guint i = 0; i + 1 < o->children->len; i += 2)
    {
      FhDocNode *k = g_ptr_array_index (o->children, i), *v = g_ptr_array_index (o->children, i + 1);
      if (!fh_doc_is_scalar (k))
        return fail (b, k->line, k->column, "a mapping key must be a scalar, not %s", fh_doc_kind_name (k->kind));
      if (b->format == FH_DOC_YAML && is_merge_key (k))
        {
          if (!merge_sources (b, v, merged_keys, merged_values))
            return;
          continue;
        }
      if (has_key (keys, keys->len, k))
        return fail (b, k->line, k->column, "the key '%s' appears twice in this mapping", k->text);
      g_ptr_array_add (keys, k);
      g_ptr_array_add (values, v);
    }
  o->node->n_children = 0;
  o->node->keys = g_new (FhDocNode *, keys->len + merged_keys->len + 1);
  o->node->values = g_new (FhDocNode *, keys->len + merged_keys->len + 1);
  for (guint i = 0; i < merged_keys->len; i++)
    if (!has_key (keys, keys->len, g_ptr_array_index (merged_keys, i)))
      {
        o->node->keys[o->node->n_children] = g_ptr_array_index (merged_keys, i);
        o->node->values[o->node->n_children++] = g_ptr_array_index (merged_values, i);
      }
  for (guint i = 0; i < keys->len; i++)
    {
      o->node->keys[o->node->n_children] = g_ptr_array_index (keys, i);
      o->node->values[o->node->n_children++] = g_ptr_array_index (values, i);
    }
  for (guint i = 0; i < o->node->n_children; i++)
    size += size_of (b, o->node->keys[i]) + size_of (b, o->node->values[i]);
  count (b, o->node, size);
}

static void
close_seq (Builder *b, Open *o)
{
  guint64 size = 1;

  o->node->n_children = o->children->len;
  o->node->values = g_new (FhDocNode *, o->children->len + 1);
  for (guint i = 0; i < o->children->len; i++)
    {
      o->node->values[i] = g_ptr_array_index (o->children, i);
      size += size_of (b, o->node->values[i]);
    }
  count (b, o->node, size);
}

static void
close_container (Builder *b)
{
  Open o = g_array_index (b->stack, Open, b->stack->len - 1);

  g_array_set_size (b->stack, b->stack->len - 1);
  if (!b->failed)
    {
      if (o.node->kind == FH_DOC_MAP)
        close_map (b, &o);
      else
        close_seq (b, &o);
    }
  /* The node's arrays are freed with it (fh_doc_free). */
  remember_anchor (b, o.anchor, o.node);
  g_ptr_array_unref (o.children);
  g_free (o.anchor);
  if (!b->failed)
    attach (b, o.node);
}

static void
on_alias (Builder *b, yaml_event_t *e)
{
  FhDocNode *n = g_hash_table_lookup (b->anchors, e->data.alias.anchor);

  if (n == NULL)
    return fail (b, e->start_mark.line + 1, e->start_mark.column + 1,
                 "the alias *%s names no anchor defined before it", e->data.alias.anchor);
  attach (b, n);
}

/* libyaml's own message, with where it happened. */
static void
syntax_error (Builder *b, yaml_parser_t *p)
{
  const yaml_mark_t *m = p->problem_mark.line || p->problem_mark.column ? &p->problem_mark : &p->context_mark;

  b->yaml_syntax = TRUE;

  if (p->context != NULL)
    fail (b, m->line + 1, m->column + 1, "%s %s", p->problem ? p->problem : "syntax error", p->context);
  else
    fail (b, m->line + 1, m->column + 1, "%s", p->problem ? p->problem : "syntax error");
}

/* Handles one event; FALSE at the end of the stream or an error. */
static gboolean
on_event (Builder *b, yaml_event_t *e, guint *documents)
{
  switch (e->type)
    {
    case YAML_DOCUMENT_START_EVENT:
      if (++*documents > 1)
        fail (b, e->start_mark.line + 1, e->start_mark.column + 1,
              "expected a single document in the stream, but found another document");
      break;
    case YAML_SCALAR_EVENT:
      on_scalar (b, e);
      break;
    case YAML_SEQUENCE_START_EVENT:
      open_container (b, e, FH_DOC_SEQ);
      break;
    case YAML_MAPPING_START_EVENT:
      open_container (b, e, FH_DOC_MAP);
      break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      close_container (b);
      break;
    case YAML_ALIAS_EVENT:
      on_alias (b, e);
      break;
    case YAML_STREAM_END_EVENT:
      return FALSE;
    default:
      break;
    }
  return !b->failed;
}

static gboolean
build_yaml (Builder *b, const char *data, gsize len)
{
  yaml_parser_t parser;
  guint documents = 0;
  gboolean more = TRUE;

  if (!yaml_parser_initialize (&parser))
    g_error ("libyaml: out of memory");
  yaml_parser_set_input_string (&parser, (const unsigned char *) data, len);
  yaml_parser_set_encoding (&parser, YAML_UTF8_ENCODING);
  while (more)
    {
      yaml_event_t e;
      if (!yaml_parser_parse (&parser, &e))
        {
          syntax_error (b, &parser);
          break;
        }
      more = on_event (b, &e, &documents);
      yaml_event_delete (&e);
    }
  while (b->stack->len > 0)
    {
      Open *o = &g_array_index (b->stack, Open, b->stack->len - 1);
      g_ptr_array_unref (o->children);
      g_free (o->anchor);
      g_array_set_size (b->stack, b->stack->len - 1);
    }
  yaml_parser_delete (&parser);
  return !b->failed;
}

/* ---- JSON --------------------------------------------------------------- */

/* "<data>:3:14: Parse error: ..." → 3, 14 and the message. */
static void
json_syntax_error (Builder *b, const GError *error)
{
  g_autoptr (GRegex) re = g_regex_new ("^[^:]*:(\\d+):(\\d+): (?:Parse error: )?(.*)$", G_REGEX_DOTALL, 0, NULL);
  g_autoptr (GMatchInfo) m = NULL;

  if (g_regex_match (re, error->message, 0, &m))
    {
      g_autofree char *line = g_match_info_fetch (m, 1), *col = g_match_info_fetch (m, 2);
      g_autofree char *what = g_match_info_fetch (m, 3);
      fail (b, atoi (line), atoi (col), "not valid JSON: %s", what);
    }
  else
    fail (b, 0, 0, "not valid JSON: %s", error->message);
}

static FhDocNode *
from_json (Builder *b, JsonNode *j)
{
  static const yaml_mark_t nowhere = { 0, (size_t) -1, (size_t) -1 };
  FhDocNode *n;

  switch (json_node_get_node_type (j))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *o = json_node_get_object (j);
        g_autoptr (GList) members = json_object_get_members (o);
        guint i = 0;
        n = new_node (b, FH_DOC_MAP, &nowhere);
        n->n_children = json_object_get_size (o);
        n->keys = g_new (FhDocNode *, n->n_children + 1);
        n->values = g_new (FhDocNode *, n->n_children + 1);
        for (GList *l = members; l != NULL; l = l->next, i++)
          {
            n->keys[i] = new_node (b, FH_DOC_STRING, &nowhere);
            n->keys[i]->text = g_string_chunk_insert (b->doc->texts, l->data);
            n->keys[i]->text_len = strlen (l->data);
            n->keys[i]->quoted = TRUE;
            n->values[i] = from_json (b, json_object_get_member (o, l->data));
          }
        return n;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (j);
        n = new_node (b, FH_DOC_SEQ, &nowhere);
        n->n_children = json_array_get_length (a);
        n->values = g_new (FhDocNode *, n->n_children + 1);
        for (guint i = 0; i < n->n_children; i++)
          n->values[i] = from_json (b, json_array_get_element (a, i));
        return n;
      }
    case JSON_NODE_NULL:
      return new_node (b, FH_DOC_NULL, &nowhere);
    case JSON_NODE_VALUE:
    default:
      break;
    }
  n = new_node (b, FH_DOC_STRING, &nowhere);
  if (json_node_get_value_type (j) == G_TYPE_STRING)
    {
      n->text = g_string_chunk_insert (b->doc->texts, json_node_get_string (j));
      n->text_len = strlen (n->text);
      n->quoted = TRUE;
      return n;
    }
  else if (json_node_get_value_type (j) == G_TYPE_BOOLEAN)
    n->text = json_node_get_boolean (j) ? "true" : "false";
  else if (json_node_get_value_type (j) == G_TYPE_INT64)
    n->text = g_string_chunk_insert (b->doc->texts, g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (j)));
  else
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      n->text = g_string_chunk_insert (b->doc->texts, g_ascii_dtostr (buf, sizeof buf, json_node_get_double (j)));
    }
  n->text_len = strlen (n->text);
  type_plain_json (n);
  return n;
}

/* Strict JSON first (json-glib); then libyaml for the positions, which
 * JSON's flow syntax gives it.  Should libyaml refuse what JSON allows
 * (tabs where YAML forbids them), the tree comes from json-glib, without
 * positions. */
static gboolean
build_json (Builder *b, const char *data, gsize len)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) error = NULL;
  g_autoptr (FhProblems) quiet = fh_problems_new (NULL);
  FhProblems *loud = b->problems;

  if (!json_parser_load_from_data (parser, data, len, &error))
    {
      json_syntax_error (b, error);
      return FALSE;
    }
  b->problems = quiet;
  if (build_yaml (b, data, len))
    {
      b->problems = loud;
      return TRUE;
    }
  b->problems = loud;
  b->failed = FALSE;
  if (!b->yaml_syntax)
    {
      /* One of our checks (a key twice): again, aloud, with its place. */
      g_ptr_array_set_size (b->doc->nodes, 0);
      g_hash_table_remove_all (b->anchors);
      g_hash_table_remove_all (b->sizes);
      b->doc->root = NULL;
      return build_yaml (b, data, len);
    }
  b->doc->root = json_parser_get_root (parser) ? from_json (b, json_parser_get_root (parser)) : NULL;
  return TRUE;
}

/* ---- the document ------------------------------------------------------- */

static void
node_free (gpointer p)
{
  FhDocNode *n = p;

  g_free (n->keys);
  g_free (n->values);
  g_free (n);
}

FhDocFormat
fh_doc_format_for (const char *filename)
{
  return filename != NULL && g_str_has_suffix (filename, ".json") ? FH_DOC_JSON : FH_DOC_YAML;
}

FhDoc *
fh_doc_parse (const char *data, gsize len, FhDocFormat format, FhProblems *problems)
{
  g_autoptr (FhDoc) doc = g_new0 (FhDoc, 1);
  Builder b = { doc, format, problems, g_array_new (FALSE, FALSE, sizeof (Open)),
                g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
                g_hash_table_new (NULL, NULL), 0, FALSE };
  const char *bad;
  gboolean ok;

  doc->nodes = g_ptr_array_new_with_free_func (node_free);
  doc->texts = g_string_chunk_new (4096);
  if (len > FH_DOC_MAX_BYTES)
    fail (&b, 0, 0, "the document is %" G_GSIZE_FORMAT " bytes; at most %d are read", len, FH_DOC_MAX_BYTES);
  else if (!g_utf8_validate (data, len, &bad))
    fail (&b, 0, 0, "not valid UTF-8 (at byte %" G_GSIZE_FORMAT ")", (gsize) (bad - data));
  ok = !b.failed && (format == FH_DOC_JSON ? build_json (&b, data, len) : build_yaml (&b, data, len));
  g_array_unref (b.stack);
  g_hash_table_unref (b.anchors);
  g_hash_table_unref (b.sizes);
  return ok ? g_steal_pointer (&doc) : NULL;
}

void
fh_doc_free (FhDoc *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->nodes);
  g_string_chunk_free (self->texts);
  g_free (self);
}

const FhDocNode *
fh_doc_root (FhDoc *self)
{
  return self->root;
}

gboolean
fh_doc_is_scalar (const FhDocNode *node)
{
  return node != NULL && node->kind != FH_DOC_MAP && node->kind != FH_DOC_SEQ;
}

const char *
fh_doc_scalar (const FhDocNode *node)
{
  return fh_doc_is_scalar (node) ? node->text : NULL;
}

const FhDocNode *
fh_doc_get (const FhDocNode *map, const char *key)
{
  if (map == NULL || map->kind != FH_DOC_MAP)
    return NULL;
  for (guint i = 0; i < map->n_children; i++)
    if (map->keys[i]->kind == FH_DOC_STRING && g_str_equal (map->keys[i]->text, key))
      return map->values[i];
  return NULL;
}

const char *
fh_doc_kind_name (FhDocKind kind)
{
  switch (kind)
    {
    case FH_DOC_MAP: return "a mapping";
    case FH_DOC_SEQ: return "a list";
    case FH_DOC_STRING: return "a string";
    case FH_DOC_INT: return "an integer";
    case FH_DOC_FLOAT: return "a number";
    case FH_DOC_BOOL: return "a boolean";
    case FH_DOC_NULL: return "null";
    default: return "?";
    }
}
