/* bench-limit.c — the physical limit of farmhand's round trip: a
 * length-prefixed frame down a pipe to a child's stdin, a frame back over
 * a socketpair, one read and one write on each side, no parsing.  The
 * frames are as long as farmhand's own for a no-op command.
 *
 * --hops 3 puts a relay process in the middle (pipe → relay → pipe →
 * child → socketpair back): the floor for any design where a command
 * crosses two processes before its answer comes back, as it does through
 * farmhand-executor and the shell it feeds.
 *
 *   bench-limit [--hops 2|3] [-n N] [--warmup W] [--samples FILE]
 * prints {"n", "median", "p99", "mean", "min"} in µs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-samples.h"

typedef struct
{
  guint8 bytes[256];
  gsize len;
} Frame;

static Frame command, reply;

/* A 4-byte big-endian length, then the JSON. */
static void
frame_init (Frame *f, const char *json)
{
  guint32 len = strlen (json);
  guint32 be = GUINT32_TO_BE (len);

  g_assert (len + 4 <= sizeof f->bytes);
  memcpy (f->bytes, &be, 4);
  memcpy (f->bytes + 4, json, len);
  f->len = len + 4;
}

/* The relay: passes every frame on until its input closes. */
static void G_GNUC_NORETURN
relay (int in, int out)
{
  char buf[4096];
  ssize_t n;

  while ((n = read (in, buf, sizeof buf)) > 0)
    if (write (out, buf, n) != n)
      _exit (1);
  _exit (0);
}

/* The child: a reply for every frame until stdin closes. */
static void G_GNUC_NORETURN
child (int in, int back)
{
  char buf[4096];

  while (read (in, buf, sizeof buf) > 0)
    if (write (back, reply.bytes, reply.len) < 0)
      _exit (1);
  _exit (0);
}

static gboolean
ping (int out, int back)
{
  char buf[4096];

  return write (out, command.bytes, command.len) == (ssize_t) command.len &&
         read (back, buf, sizeof buf) == (ssize_t) reply.len;
}

/* Puts a relay in front of the child: @in becomes the pipe into the relay
 * (in[1]) and the relay's output pipe (in[0]) for the child to read. */
static pid_t
start_relay (int in[2])
{
  int mid[2];
  pid_t pid;

  if (pipe (mid) != 0 || (pid = fork ()) < 0)
    {
      g_printerr ("bench-limit: %s\n", g_strerror (errno));
      return -1;
    }
  if (pid == 0)
    {
      close (in[1]);
      close (mid[0]);
      relay (in[0], mid[1]);
    }
  close (in[0]);
  close (mid[1]);
  in[0] = mid[0];
  return pid;
}

int
main (int argc, char **argv)
{
  gint n = 20000, warmup = 500, hops = 2;
  g_autofree char *samples_path = NULL;
  GOptionEntry entries[] = {
    { "hops", 0, 0, G_OPTION_ARG_INT, &hops, "2 (default) or 3: with a relay in the middle", "H" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &n, "Round trips to measure", "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Round trips before measuring", "W" },
    { "samples", 0, 0, G_OPTION_ARG_FILENAME, &samples_path, "Write every sample (µs) to FILE", "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— pipe in, socketpair back: the limit");
  g_autoptr (BenchSamples) samples = NULL;
  g_autoptr (GError) err = NULL;
  int in[2], sv[2], status;
  pid_t pid, relay_pid = -1;

  frame_init (&command, "{\"seq\":1234,\"phase\":\"agenda\",\"command\":\":\","
                        "\"item\":{\"name\":\"1234\",\"frames\":[1234]}}");
  frame_init (&reply, "{\"type\":\"result\",\"seq\":1234,\"status\":0}");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || n < 1 || hops < 2 || hops > 3)
    {
      g_printerr ("bench-limit: %s\n", err ? err->message : "--count must be at least 1, --hops 2 or 3");
      return 2;
    }
  if (pipe (in) != 0 || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    {
      g_printerr ("bench-limit: %s\n", g_strerror (errno));
      return 1;
    }
  if (hops == 3 && (relay_pid = start_relay (in)) < 0)
    return 1;
  if ((pid = fork ()) < 0)
    {
      g_printerr ("bench-limit: fork: %s\n", g_strerror (errno));
      return 1;
    }
  if (pid == 0)
    {
      close (in[1]);
      close (sv[0]);
      child (in[0], sv[1]);
    }
  close (in[0]);
  close (sv[1]);
  samples = bench_samples_new (n);
  for (int i = 0; i < warmup + n; i++)
    {
      gint64 t0;

      if (i == warmup)
        bench_samples_begin (samples, n);
      t0 = bench_now_ns ();
      if (!ping (in[1], sv[0]))
        {
          g_printerr ("bench-limit: the child stopped answering\n");
          return 1;
        }
      if (i >= warmup)
        bench_samples_add (samples, bench_now_ns () - t0);
    }
  close (in[1]);
  waitpid (pid, &status, 0);
  if (relay_pid > 0)
    waitpid (relay_pid, &status, 0);
  if (!bench_samples_report (samples, samples_path, &err))
    {
      g_printerr ("bench-limit: %s\n", err->message);
      return 1;
    }
  return 0;
}
