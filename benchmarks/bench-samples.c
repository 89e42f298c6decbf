/* bench-samples.c — latency samples: collect, summarize, write. */
#include "bench-samples.h"

#include "bench-usage.h"

#include <stdio.h>
#include <time.h>

struct _BenchSamples
{
  GArray *ns;   /* gint64 */
  guint expected;
  BenchUsage begin;
  BenchUsage end;
  gboolean have_usage;
};

BenchSamples *
bench_samples_new (guint capacity)
{
  BenchSamples *self = g_new0 (BenchSamples, 1);

  self->ns = g_array_sized_new (FALSE, FALSE, sizeof (gint64), capacity);
  return self;
}

void
bench_samples_free (BenchSamples *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->ns);
  g_free (self);
}

gint64
bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
bench_samples_begin (BenchSamples *self, guint n)
{
  self->expected = n;
  bench_usage_place_apart ();
  bench_usage_now (&self->begin);
}

void
bench_samples_add (BenchSamples *self, gint64 ns)
{
  g_array_append_val (self->ns, ns);
  if (self->expected != 0 && self->ns->len == self->expected)
    {
      bench_usage_now (&self->end);
      self->have_usage = TRUE;
    }
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Nearest-rank quantile of sorted samples, in µs. */
static double
quantile_us (GArray *sorted, double q)
{
  guint i = (guint) (q * (sorted->len - 1) + 0.5);

  return g_array_index (sorted, gint64, i) / 1000.0;
}

static gboolean
write_samples (GArray *ns, const char *path, GError **error)
{
  g_autoptr (GString) text = g_string_sized_new (ns->len * 10);

  for (guint i = 0; i < ns->len; i++)
    g_string_append_printf (text, "%.3f\n", g_array_index (ns, gint64, i) / 1000.0);
  return g_file_set_contents (path, text->str, text->len, error);
}

gboolean
bench_samples_report (BenchSamples *self, const char *path, GError **error)
{
  g_autoptr (GArray) sorted = NULL;
  double sum = 0;

  if (self->ns->len == 0)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "no samples");
      return FALSE;
    }
  /* Unsorted, in the order measured: a plot can show drift over time. */
  if (path != NULL && !write_samples (self->ns, path, error))
    return FALSE;
  sorted = g_array_copy (self->ns);
  g_array_sort (sorted, cmp_i64);
  for (guint i = 0; i < sorted->len; i++)
    sum += g_array_index (sorted, gint64, i);
  printf ("{\"n\": %u, \"median\": %.2f, \"p99\": %.2f, \"mean\": %.2f, \"min\": %.2f",
          sorted->len, quantile_us (sorted, 0.5), quantile_us (sorted, 0.99),
          sum / sorted->len / 1000.0, quantile_us (sorted, 0.0));
  if (self->have_usage)
    printf (", \"cs_per_cmd\": %.2f, \"cpu_us_per_cmd\": %.1f",
            (double) (self->end.switches - self->begin.switches) / sorted->len,
            (self->end.cpu_ns - self->begin.cpu_ns) / 1000.0 / sorted->len);
  printf ("}\n");
  fflush (stdout);
  return TRUE;
}
