/* fh-openjd-space.c — parameter spaces as a tree of index arithmetic. */
#include "config.h"

#include "fh-openjd-space.h"

#include "fh-openjd-combination.h"
#include "fh-openjd-range.h"

typedef struct _Node Node;
struct _Node
{
  FhOjCombKind kind;
  guint param;          /* FH_OJ_COMB_NAME: which parameter */
  GPtrArray *children;  /* Node* */
  guint64 count;
};

/* A CHUNK[INT] parameter's chunks, over its sorted range. */
typedef struct
{
  FhOjRange *sorted;
  guint64 *first_chunk; /* per part (CONTIGUOUS), or NULL */
  guint64 *first_value; /* per part: its first value's position */
  guint64 n_chunks;
  gboolean contiguous;
  guint64 size;
} Chunks;

struct _FhOjSpace
{
  GPtrArray *params;    /* FhOjSpaceParam* */
  Chunks **chunks;      /* per parameter, NULL but for CHUNK[INT] */
  Node *root;           /* NULL: no parameters, one task */
};

static void
node_free (Node *n)
{
  if (n == NULL)
    return;
  if (n->children != NULL)
    g_ptr_array_unref (n->children);
  g_free (n);
}

static void
chunks_free (Chunks *c)
{
  if (c == NULL)
    return;
  fh_oj_range_free (c->sorted);
  g_free (c->first_chunk);
  g_free (c->first_value);
  g_free (c);
}

void
fh_oj_space_param_free (FhOjSpaceParam *p)
{
  if (p == NULL)
    return;
  g_clear_pointer (&p->values, g_ptr_array_unref);
  g_clear_pointer (&p->range, fh_oj_range_free);
  g_free (p);
}

void
fh_oj_space_free (FhOjSpace *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->params->len; i++)
    chunks_free (self->chunks[i]);
  g_free (self->chunks);
  g_ptr_array_unref (self->params);
  node_free (self->root);
  g_free (self);
}

/* ---- chunks ------------------------------------------------------------- */

static guint64
ceil_div (guint64 a, guint64 b)
{
  return a / b + (a % b != 0);
}

static Chunks *
chunks_new (const FhOjSpaceParam *p)
{
  Chunks *c = g_new0 (Chunks, 1);
  guint n;

  c->sorted = fh_oj_range_sorted (p->range);
  c->contiguous = p->param->chunk_contiguous;
  c->size = (guint64) MAX (p->chunk_size, 1);
  n = fh_oj_range_get_n_parts (c->sorted);
  c->first_value = g_new (guint64, n + 1);
  c->first_chunk = g_new (guint64, n + 1);
  c->first_value[0] = c->first_chunk[0] = 0;
  for (guint k = 0; k < n; k++)
    {
      const FhOjRangePart *part = fh_oj_range_get_part (c->sorted, k);
      c->first_value[k + 1] = c->first_value[k] + part->count;
      /* A run of consecutive values is cut evenly; a stepped part is
       * gaps between single values. */
      c->first_chunk[k + 1] = c->first_chunk[k] + (part->step == 1 ? ceil_div (part->count, c->size) : part->count);
    }
  c->n_chunks = c->contiguous ? c->first_chunk[n] : ceil_div (c->first_value[n], c->size);
  return c;
}

/* The last @k whose @starts[k] is at or below @at. */
static guint
find (const guint64 *starts, guint n, guint64 at)
{
  guint lo = 0, hi = n;

  while (hi - lo > 1)
    {
      guint mid = (lo + hi) / 2;
      if (starts[mid] <= at)
        lo = mid;
      else
        hi = mid;
    }
  return lo;
}

/* Chunk @m of @n_chunks over @total values: where it starts, how long. */
static void
even_chunk (guint64 total, guint64 n_chunks, guint64 m, guint64 *offset, guint64 *length)
{
  guint64 small = total / n_chunks, left = total % n_chunks;

  *offset = m * small + MIN (m, left);
  *length = small + (m < left ? 1 : 0);
}

static char *
contiguous_chunk (const Chunks *c, guint64 index)
{
  guint n = fh_oj_range_get_n_parts (c->sorted);
  guint k = find (c->first_chunk, n, index);
  const FhOjRangePart *part = fh_oj_range_get_part (c->sorted, k);
  guint64 m = index - c->first_chunk[k], off, len;
  gint64 first;

  if (part->step != 1)
    {
      gint64 v = part->start + (gint64) m * part->step;
      return g_strdup_printf ("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, v, v);
    }
  even_chunk (part->count, ceil_div (part->count, c->size), m, &off, &len);
  first = part->start + (gint64) off;
  return g_strdup_printf ("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, first, first + (gint64) len - 1);
}

/* Values as the shortest range expression, as openjd's compress does:
 * runs of three or more at one step are "a-b" (step 1) or "a-b:s", the
 * rest single values. */
static void
compress (const gint64 *v, guint64 n, GString *out)
{
  for (guint64 i = 0; i < n;)
    {
      guint64 j = i;
      if (i + 2 < n && v[i + 1] - v[i] == v[i + 2] - v[i + 1])
        {
          gint64 step = v[i + 1] - v[i];
          while (j + 1 < n && v[j + 1] - v[j] == step)
            j++;
          if (out->len > 0)
            g_string_append_c (out, ',');
          if (step == 1)
            g_string_append_printf (out, "%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, v[i], v[j]);
          else
            g_string_append_printf (out, "%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                                    v[i], v[j], step);
          i = j + 1;
          continue;
        }
      if (out->len > 0)
        g_string_append_c (out, ',');
      g_string_append_printf (out, "%" G_GINT64_FORMAT, v[i]);
      i++;
    }
}

/* A chunk this large is written part by part (each part already
 * compressed) rather than value by value. */
#define COMPRESS_MAX 65536

static char *
noncontiguous_chunk (const Chunks *c, guint64 index)
{
  guint n = fh_oj_range_get_n_parts (c->sorted);
  GString *out = g_string_new (NULL);
  guint64 off, len;

  even_chunk (c->first_value[n], c->n_chunks, index, &off, &len);
  if (len <= COMPRESS_MAX)
    {
      g_autofree gint64 *values = g_new (gint64, len);
      for (guint64 i = 0; i < len; i++)
        values[i] = fh_oj_range_get (c->sorted, off + i);
      compress (values, len, out);
      return g_string_free (out, FALSE);
    }
  for (guint k = find (c->first_value, n, off); len > 0 && k < n; k++)
    {
      const FhOjRangePart *part = fh_oj_range_get_part (c->sorted, k);
      guint64 from = off - c->first_value[k], take = MIN (len, part->count - from);
      if (out->len > 0)
        g_string_append_c (out, ',');
      fh_oj_range_part_slice_to_string (part, from, take, out);
      off += take;
      len -= take;
    }
  return g_string_free (out, FALSE);
}

/* ---- the tree ----------------------------------------------------------- */

static guint64
leaf_count (const FhOjSpace *self, guint i)
{
  const FhOjSpaceParam *p = g_ptr_array_index (self->params, i);

  if (self->chunks[i] != NULL)
    return self->chunks[i]->n_chunks;
  return p->values != NULL ? p->values->len : fh_oj_range_count (p->range);
}

static guint
param_index (const FhOjSpace *self, const char *name)
{
  for (guint i = 0; i < self->params->len; i++)
    if (g_str_equal (((FhOjSpaceParam *) g_ptr_array_index (self->params, i))->param->name, name))
      return i;
  return G_MAXUINT;
}

static Node *
build (FhOjSpace *self, const FhOjComb *c, char **message)
{
  Node *n = g_new0 (Node, 1);

  n->kind = c->kind;
  if (c->kind == FH_OJ_COMB_NAME)
    {
      n->param = param_index (self, c->name);
      n->count = leaf_count (self, n->param);
      return n;
    }
  n->children = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  n->count = c->kind == FH_OJ_COMB_PRODUCT ? 1 : 0;
  for (guint i = 0; i < c->children->len; i++)
    {
      Node *child = build (self, g_ptr_array_index (c->children, i), message);
      if (child == NULL)
        {
          node_free (n);
          return NULL;
        }
      g_ptr_array_add (n->children, child);
      if (c->kind == FH_OJ_COMB_ASSOCIATION)
        {
          if (i > 0 && child->count != n->count)
            {
              *message = g_strdup_printf ("the parameters in parentheses go value by value, so they must "
                                          "have as many values each: %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT,
                                          n->count, child->count);
              node_free (n);
              return NULL;
            }
          n->count = child->count;
        }
      else if (child->count != 0 && n->count > G_MAXUINT64 / child->count)
        {
          *message = g_strdup ("the parameter space has more than 2^64 tasks");
          node_free (n);
          return NULL;
        }
      else
        n->count *= child->count;
    }
  return n;
}

FhOjSpace *
fh_oj_space_new (const FhOjStep *step, GPtrArray *params, char **message)
{
  g_autoptr (FhOjComb) comb = NULL;
  FhOjSpace *self = g_new0 (FhOjSpace, 1);

  self->params = g_ptr_array_ref (params);
  self->chunks = g_new0 (Chunks *, params->len + 1);
  for (guint i = 0; i < params->len; i++)
    {
      FhOjSpaceParam *p = g_ptr_array_index (params, i);
      if (p->param->type == FH_OJ_CHUNK_INT)
        self->chunks[i] = chunks_new (p);
    }
  if (params->len == 0)
    return self;
  if (step->combination != NULL)
    comb = fh_oj_comb_parse (step->combination, message);
  else
    {
      g_autoptr (GPtrArray) names = g_ptr_array_new ();
      for (guint i = 0; i < params->len; i++)
        g_ptr_array_add (names, ((FhOjSpaceParam *) g_ptr_array_index (params, i))->param->name);
      g_ptr_array_add (names, NULL);
      comb = fh_oj_comb_product ((const char *const *) names->pdata);
    }
  if (comb == NULL || (self->root = build (self, comb, message)) == NULL)
    {
      fh_oj_space_free (self);
      return NULL;
    }
  return self;
}

guint64
fh_oj_space_count (const FhOjSpace *self)
{
  return self->root != NULL ? self->root->count : 1;
}

guint
fh_oj_space_get_n_params (const FhOjSpace *self)
{
  return self->params->len;
}

const FhOjTaskParam *
fh_oj_space_get_param (const FhOjSpace *self, guint i)
{
  return ((FhOjSpaceParam *) g_ptr_array_index (self->params, i))->param;
}

static char *
leaf_value (const FhOjSpace *self, guint i, guint64 index)
{
  const FhOjSpaceParam *p = g_ptr_array_index (self->params, i);
  const Chunks *c = self->chunks[i];

  if (c != NULL)
    return c->contiguous ? contiguous_chunk (c, index) : noncontiguous_chunk (c, index);
  if (p->values != NULL)
    return g_strdup (g_ptr_array_index (p->values, index));
  return g_strdup_printf ("%" G_GINT64_FORMAT, fh_oj_range_get (p->range, index));
}

static void
get (const FhOjSpace *self, const Node *n, guint64 index, GPtrArray *values)
{
  if (n->kind == FH_OJ_COMB_NAME)
    {
      g_free (values->pdata[n->param]);
      values->pdata[n->param] = leaf_value (self, n->param, index);
      return;
    }
  if (n->kind == FH_OJ_COMB_ASSOCIATION)
    {
      for (guint i = 0; i < n->children->len; i++)
        get (self, g_ptr_array_index (n->children, i), index, values);
      return;
    }
  /* Row-major: the rightmost factor changes fastest. */
  for (guint i = n->children->len; i-- > 0;)
    {
      const Node *child = g_ptr_array_index (n->children, i);
      get (self, child, index % child->count, values);
      index /= child->count;
    }
}

void
fh_oj_space_get (const FhOjSpace *self, guint64 index, GPtrArray *values)
{
  g_ptr_array_set_free_func (values, g_free);
  g_ptr_array_set_size (values, 0);
  g_ptr_array_set_size (values, self->params->len);
  if (self->root != NULL)
    get (self, self->root, index, values);
}
