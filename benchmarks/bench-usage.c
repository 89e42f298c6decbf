/* bench-usage.c — a process tree's CPU time and context switches, from
 * /proc (see the header).  Per thread: schedstat's run time (ns, not the
 * 10 ms ticks of /proc/PID/stat) and status's switch counts; the tree
 * from each thread's children file. */
#include "bench-usage.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static gint64
status_field (const char *status, const char *name)
{
  const char *p = strstr (status, name);

  return p ? g_ascii_strtoll (p + strlen (name), NULL, 10) : 0;
}

/* Adds one process's threads to @out (nullable) and its children to
 * @pids; pins each thread to @cpu when it is not negative. */
static void
add_process (GPid pid, BenchUsage *out, GArray *pids, int cpu)
{
  g_autofree char *task_dir = g_strdup_printf ("/proc/%d/task", pid);
  g_autoptr (GDir) dir = g_dir_open (task_dir, 0, NULL);
  const char *tid;

  while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *base = g_build_filename (task_dir, tid, NULL);
      g_autofree char *schedstat_path = g_build_filename (base, "schedstat", NULL);
      g_autofree char *status_path = g_build_filename (base, "status", NULL);
      g_autofree char *children_path = g_build_filename (base, "children", NULL);
      g_autofree char *schedstat = NULL, *status = NULL, *children = NULL;

      if (cpu >= 0)
        {
          cpu_set_t set;
          CPU_ZERO (&set);
          CPU_SET (cpu, &set);
          sched_setaffinity ((pid_t) atoi (tid), sizeof set, &set);
        }
      if (out == NULL)
        ;
      else if (g_file_get_contents (schedstat_path, &schedstat, NULL, NULL))
        out->cpu_ns += g_ascii_strtoll (schedstat, NULL, 10);
      if (out != NULL && g_file_get_contents (status_path, &status, NULL, NULL))
        out->switches += status_field (status, "\nvoluntary_ctxt_switches:") +
                         status_field (status, "\nnonvoluntary_ctxt_switches:");
      if (g_file_get_contents (children_path, &children, NULL, NULL))
        {
          g_auto (GStrv) kids = g_strsplit (g_strstrip (children), " ", -1);
          for (guint i = 0; kids[i] != NULL; i++)
            if (*kids[i] != '\0')
              {
                GPid child = (GPid) atoi (kids[i]);
                g_array_append_val (pids, child);
              }
        }
    }
}

void
bench_usage_now (BenchUsage *out)
{
  g_autoptr (GArray) pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  GPid self = getpid ();
  struct rusage reaped;

  *out = (BenchUsage) { 0 };
  g_array_append_val (pids, self);
  for (guint i = 0; i < pids->len; i++)
    add_process (g_array_index (pids, GPid, i), out, pids, -1);
  /* Children that ran and were reaped in between (a process per command). */
  getrusage (RUSAGE_CHILDREN, &reaped);
  out->cpu_ns += ((gint64) reaped.ru_utime.tv_sec + reaped.ru_stime.tv_sec) * 1000000000 +
                 ((gint64) reaped.ru_utime.tv_usec + reaped.ru_stime.tv_usec) * 1000;
  out->switches += reaped.ru_nvcsw + reaped.ru_nivcsw;
}

void
bench_usage_place_apart (void)
{
  g_autoptr (GArray) pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  GPid self = getpid ();

  if (g_getenv ("FH_BENCH_APART") == NULL)
    return;
  add_process (self, NULL, pids, 0);
  for (guint i = 0; i < pids->len; i++)
    add_process (g_array_index (pids, GPid, i), NULL, pids, 1);
}
