/* bench-usage.h — CPU time and context switches of a benchmark: this
 * process, every live process below it (its executor, the executor's
 * shell, ...), and the children it has reaped.  Taken before the first
 * measured command and after the last, it gives what each command cost
 * every process on its path, start-up and shutdown left out. */
#pragma once

#include <glib.h>

typedef struct
{
  gint64 cpu_ns;      /* user + system, every thread */
  gint64 switches;    /* voluntary + involuntary context switches */
} BenchUsage;

/* Now, for this process and its tree. */
void bench_usage_now (BenchUsage *out);

/* With FH_BENCH_APART set: this process on one CPU and every thread of
 * every process below it on another, so that every wake-up of a round
 * trip crosses cores (a free scheduler may keep two light processes on
 * one core some runs and not others).  Called once the processes of the
 * round trip exist; does nothing otherwise. */
void bench_usage_place_apart (void);
