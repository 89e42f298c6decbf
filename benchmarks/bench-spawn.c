/* bench-spawn.c — a process per command, the way a job type without a
 * persistent executor runs work: posix_spawn, then waitpid, timed.
 *
 *   bench-spawn [-n N] [--warmup W] [--samples FILE] -- PROGRAM ARGS...
 * prints {"n", "median", "p99", "mean", "min"} in µs. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

#include "bench-samples.h"

extern char **environ;

static gboolean
spawn_wait (char **argv, GError **error)
{
  pid_t pid;
  int status, rc = posix_spawnp (&pid, argv[0], NULL, NULL, argv, environ);

  if (rc != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (rc), "%s: %s", argv[0], g_strerror (rc));
      return FALSE;
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "waitpid: %s", g_strerror (errno));
        return FALSE;
      }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s did not exit 0", argv[0]);
      return FALSE;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  gint n = 1000, warmup = 10;
  g_autofree char *samples_path = NULL;
  GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT, &n, "Processes to time", "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Processes before timing", "W" },
    { "samples", 0, 0, G_OPTION_ARG_FILENAME, &samples_path, "Write every sample (µs) to FILE", "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("-- PROGRAM ARGS... — a process per command");
  g_autoptr (BenchSamples) samples = NULL;
  g_autoptr (GError) err = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc < 2 || n < 1)
    {
      g_printerr ("bench-spawn: %s\n", err ? err->message : "usage: bench-spawn [-n N] -- PROGRAM ARGS...");
      return 2;
    }
  /* GOption leaves a "--" in place when options follow it. */
  if (g_str_equal (argv[1], "--"))
    argv++, argc--;
  if (argc < 2)
    {
      g_printerr ("bench-spawn: no PROGRAM after --\n");
      return 2;
    }
  samples = bench_samples_new (n);
  for (int i = 0; i < warmup + n; i++)
    {
      gint64 t0;

      if (i == warmup)
        bench_samples_begin (samples, n);
      t0 = bench_now_ns ();
      if (!spawn_wait (argv + 1, &err))
        break;
      if (i >= warmup)
        bench_samples_add (samples, bench_now_ns () - t0);
    }
  if (err != NULL || !bench_samples_report (samples, samples_path, &err))
    {
      g_printerr ("bench-spawn: %s\n", err->message);
      return 1;
    }
  return 0;
}
