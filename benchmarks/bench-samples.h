/* bench-samples.h — latency samples of one benchmark: collected in
 * nanoseconds, reported as one JSON line in microseconds
 * ({"n", "median", "p99", "mean", "min", "cs_per_cmd", "cpu_us_per_cmd"}),
 * optionally written one per line (µs) to a file for plotting.  The
 * per-command switches and CPU time are those of the process tree
 * (bench-usage.h) from bench_samples_begin() to the last sample. */
#pragma once

#include <glib.h>

typedef struct _BenchSamples BenchSamples;

/* (transfer full) */
BenchSamples *bench_samples_new (guint capacity);
void bench_samples_free (BenchSamples *self);

/* A monotonic clock in nanoseconds. */
gint64 bench_now_ns (void);

/* Before the first measured command; @n: how many will be measured (the
 * usage is taken again at the @n-th sample). */
void bench_samples_begin (BenchSamples *self, guint n);

void bench_samples_add (BenchSamples *self, gint64 ns);

/* Prints the summary line to stdout; writes every sample to @path when it
 * is not NULL.  FALSE (with @error set) when there are no samples or the
 * file cannot be written. */
gboolean bench_samples_report (BenchSamples *self, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchSamples, bench_samples_free)
