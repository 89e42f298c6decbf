/* fh-frame-list.c — frame-list parsing and compact formatting. */
#include "config.h"

#include "fh-frame-list.h"

#include <stdlib.h>

#include "fh-error.h"
#include "fh-job-error.h"
#include "fh-json-writer.h"

struct _FhFrameList
{
  GArray *frames;  /* gint64 */
};

typedef struct
{
  const char *spec;
  const char *p;
  GArray *frames;
  const char *what;   /* "frame", "item" */
} Parser;

static gboolean
fail (Parser *ps, const char *at, GError **error, const char *what)
{
  return fh_throw (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                   "bad %s list \"%s\": %s at column %ld",
                   ps->what, ps->spec, what, (long) (at - ps->spec) + 1);
}

static void
skip_spaces (Parser *ps)
{
  while (*ps->p == ' ' || *ps->p == '\t')
    ps->p++;
}

static gboolean
parse_int (Parser *ps, gboolean allow_sign, gint64 *out, GError **error)
{
  const char *start = ps->p;
  gboolean neg = FALSE;
  gint64 v = 0;

  skip_spaces (ps);
  start = ps->p;
  if (allow_sign && *ps->p == '-')
    {
      neg = TRUE;
      ps->p++;
    }
  if (!g_ascii_isdigit (*ps->p))
    return fail (ps, ps->p, error, *ps->p ? "expected a number" : "unexpected end");
  while (g_ascii_isdigit (*ps->p))
    {
      v = v * 10 + (*ps->p - '0');
      if (v > FH_FRAME_MAX)
        return fail (ps, start, error, "number larger than 999999999");
      ps->p++;
    }
  *out = neg ? -v : v;
  skip_spaces (ps);
  return TRUE;
}

static gboolean
append_range (Parser *ps, const char *at, gint64 first, gint64 last,
              gint64 step, GError **error)
{
  gint64 count = (last - first) / step + 1;

  if (ps->frames->len + count > FH_FRAME_LIST_MAX_FRAMES)
    {
      g_autofree char *msg = g_strdup_printf ("more than %d %ss", FH_FRAME_LIST_MAX_FRAMES, ps->what);
      return fail (ps, at, error, msg);
    }
  for (gint64 f = first; f <= last; f += step)
    g_array_append_val (ps->frames, f);
  return TRUE;
}

static gboolean
parse_term (Parser *ps, GError **error)
{
  const char *at;
  gint64 first, last, step = 1;

  skip_spaces (ps);
  at = ps->p;
  if (!parse_int (ps, TRUE, &first, error))
    return FALSE;
  if (*ps->p != '-')
    return append_range (ps, at, first, first, 1, error);
  ps->p++;
  if (!parse_int (ps, TRUE, &last, error))
    return FALSE;
  if (last < first)
    return fail (ps, at, error, "range runs backwards (write the smaller frame first)");
  if (*ps->p == 'x' || *ps->p == 'X')
    {
      const char *step_at;
      ps->p++;
      skip_spaces (ps);
      step_at = ps->p;
      if (!parse_int (ps, FALSE, &step, error))
        return FALSE;
      if (step == 0)
        return fail (ps, step_at, error, "step must be at least 1");
    }
  return append_range (ps, at, first, last, step, error);
}

static int
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static gboolean
check_duplicates (Parser *ps, GError **error)
{
  g_autofree gint64 *sorted = g_memdup2 (ps->frames->data,
                                         ps->frames->len * sizeof (gint64));

  qsort (sorted, ps->frames->len, sizeof (gint64), compare_int64);
  for (guint i = 1; i < ps->frames->len; i++)
    if (sorted[i] == sorted[i - 1])
      return fh_throw (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                       "bad %s list \"%s\": %s %" G_GINT64_FORMAT
                       " is listed more than once", ps->what, ps->spec, ps->what, sorted[i]);
  return TRUE;
}

FhFrameList *
fh_frame_list_parse (const char *spec, GError **error)
{
  return fh_frame_list_parse_full (spec, "frame", error);
}

FhFrameList *
fh_frame_list_parse_full (const char *spec, const char *what, GError **error)
{
  g_autoptr (GArray) frames = g_array_new (FALSE, FALSE, sizeof (gint64));
  Parser ps = { spec, spec, frames, what };
  FhFrameList *self;

  g_return_val_if_fail (spec != NULL, NULL);
  for (;;)
    {
      if (!parse_term (&ps, error))
        return NULL;
      if (*ps.p == '\0')
        break;
      if (*ps.p != ',')
        {
          fail (&ps, ps.p, error, "expected ',' or the end");
          return NULL;
        }
      ps.p++;
    }
  if (!check_duplicates (&ps, error))
    return NULL;
  self = g_new0 (FhFrameList, 1);
  self->frames = g_steal_pointer (&frames);
  return self;
}

void
fh_frame_list_free (FhFrameList *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->frames);
  g_free (self);
}

guint
fh_frame_list_get_length (const FhFrameList *self)
{
  return self->frames->len;
}

const gint64 *
fh_frame_list_get_frames (const FhFrameList *self)
{
  return (const gint64 *) self->frames->data;
}

gboolean
fh_frame_list_is_uniform (const gint64 *frames, guint n, gint64 *step)
{
  gint64 d = n > 1 ? frames[1] - frames[0] : 1;

  if (d <= 0)
    return FALSE;
  for (guint i = 2; i < n; i++)
    if (frames[i] - frames[i - 1] != d)
      return FALSE;
  if (step != NULL)
    *step = d;
  return TRUE;
}

/* Length of the longest arithmetic run (positive step) starting at @i. */
static guint
run_length (const gint64 *frames, guint n, guint i, gint64 *step)
{
  guint j = i + 1;

  if (j >= n || frames[j] <= frames[i])
    return 1;
  *step = frames[j] - frames[i];
  while (j + 1 < n && frames[j + 1] - frames[j] == *step)
    j++;
  return j - i + 1;
}

char *
fh_frame_list_format (const gint64 *frames, guint n)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n;)
    {
      gint64 step = 1;
      guint run = run_length (frames, n, i, &step);

      if (out->len > 0)
        g_string_append_c (out, ',');
      /* Two frames read better as "1,4" than as "1-4x3". */
      if (run < 3 && !(run == 2 && step == 1))
        run = 1;
      /* (Digits without printf: an item's name is made for every item.) */
      fh_json_writer_append_int (out, frames[i]);
      if (run > 1)
        {
          g_string_append_c (out, '-');
          fh_json_writer_append_int (out, frames[i + run - 1]);
        }
      if (run > 1 && step != 1)
        {
          g_string_append_c (out, 'x');
          fh_json_writer_append_int (out, step);
        }
      i += run;
    }
  return g_string_free (out, FALSE);
}
