/* test-reliability.c — faults on real processes: timeouts, stalls, dead
 * executors, retries, cancel, orphans (also when the host is SIGKILLed),
 * executors that break the protocol, the socket-and-token backchannel and
 * secrets.  Every process a test starts carries a marker unique to the
 * test ("sleep MARKER", fh_test_marker()), matched exactly, so the test
 * can prove none is left. */
#include "config.h"

#include <signal.h>

#include <gio/gunixsocketaddress.h>

#include "fh-test-utils.h"

typedef struct
{
  char *dir;
  char *results;
  char *out;
  char *marker;       /* MARKER in a job's text */
  char *sleeper;      /* "sleep MARKER" */
  GPtrArray *lines;
  char *stdout_text;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  fx->dir = fh_test_mkdtemp ();
  fx->results = g_build_filename (fx->dir, "results.jsonl", NULL);
  fx->out = g_build_filename (fx->dir, "out.txt", NULL);
  fx->marker = fh_test_marker ();
  fx->sleeper = g_strdup_printf ("sleep %s", fx->marker);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  fh_test_rmtree (fx->dir);
  g_free (fx->dir);
  g_free (fx->results);
  g_free (fx->out);
  g_free (fx->marker);
  g_free (fx->sleeper);
  g_free (fx->stdout_text);
  g_clear_pointer (&fx->lines, g_ptr_array_unref);
}

static void
load_results (Fixture *fx)
{
  g_clear_pointer (&fx->lines, g_ptr_array_unref);
  fx->lines = fh_test_read_results (fx->results);
}

/* Runs @json to the end; returns the exit code and how long it took. */
static int
run_job (Fixture *fx, const char *json, double *seconds)
{
  g_autofree char *text = fh_test_with_marker (json, fx->marker);
  g_autofree char *job = fh_test_write (fx->dir, "job.json", text);
  gint64 t0 = g_get_monotonic_time ();
  FhTestRun r = fh_test_farmhand (fx->dir, "run", job, "--results", fx->results, "--plain", NULL);
  int code = r.exit_code;

  if (seconds != NULL)
    *seconds = (g_get_monotonic_time () - t0) / 1e6;
  g_free (fx->stdout_text);
  fx->stdout_text = g_strconcat (r.out, r.err, NULL);
  fh_test_run_clear (&r);
  load_results (fx);
  return code;
}

static const char *
field (Fixture *fx, guint i, const char *name)
{
  return fh_test_result_field (fx->lines, i, name);
}

static void
assert_tb (Fixture *fx, guint i, const char *pattern)
{
  const char *tb = field (fx, i, "traceback");

  if (tb == NULL || !g_pattern_match_simple (pattern, tb))
    g_error ("item %u: traceback '%s' does not match '%s'", i, tb ? tb : "(none)", pattern);
}

/* ---- timeouts and stalls ------------------------------------------------ */

static void
test_timeout_ends_tree (Fixture *fx, gconstpointer data)
{
  double secs;

  /* Item 2 hangs, ignores SIGINT and has a background grandchild. */
  g_assert_cmpint (run_job (fx,
      "{\"setup\": \"echo up >> setups.txt\", \"timeouts\": {\"command_s\": 2, \"grace_s\": 1},"
      " \"agenda\": {\"frames\": \"1-3\", \"command\":"
      " \"if [ {frame} = 2 ]; then sleep MARKER & trap '' INT; sleep MARKER; fi; echo done {frame}\"}}", &secs), ==, 1);
  g_assert_cmpfloat (secs, <, 10 * fh_test_time_factor ());
  g_assert_cmpstr (field (fx, 1, "status"), ==, "failed");
  assert_tb (fx, 1, "timeout after 2 s; the command did not stop on SIGINT*");
  /* No survivor, and the job went on with a fresh executor. */
  g_assert_cmpuint (fh_test_count_procs (fx->sleeper), ==, 0);
  g_assert_cmpstr (field (fx, 0, "status"), ==, "complete");
  g_assert_cmpstr (field (fx, 2, "status"), ==, "complete");
}

static void
test_timeout_python_traceback (Fixture *fx, gconstpointer data)
{
  g_assert_cmpint (run_job (fx,
      "{\"executor\": \"python\", \"timeouts\": {\"command_s\": 1},"
      " \"setup\": \"import time\\ndef render(f):\\n    time.sleep(300)\","
      " \"agenda\": {\"frames\": \"1\", \"command\": \"render({frame})\"}}", NULL), ==, 1);
  /* KeyboardInterrupt shows where it hung, down to the line in setup. */
  assert_tb (fx, 0, "timeout after 1 s; interrupted:\nTraceback (most recent call last):*"
                    "in render\n    time.sleep(300)\nKeyboardInterrupt*");
}

static void
test_stall (Fixture *fx, gconstpointer data)
{
  double secs;

  g_assert_cmpint (run_job (fx,
      "{\"timeouts\": {\"stall_s\": 1, \"grace_s\": 1},"
      " \"agenda\": {\"frames\": \"1-2\", \"command\":"
      " \"if [ {frame} = 1 ]; then for i in 1 2 3; do echo tick; sleep 0.4; done; else echo hung; sleep MARKER; fi\"}}", &secs), ==, 1);
  /* Output keeps an item alive; silence past stall_s ends it. */
  g_assert_cmpstr (field (fx, 0, "status"), ==, "complete");
  assert_tb (fx, 1, "stalled: no output and no result for 1 s*");
  g_assert_cmpfloat (secs, <, 8 * fh_test_time_factor ());
  g_assert_cmpuint (fh_test_count_procs (fx->sleeper), ==, 0);
}

static void
test_hello_timeout (Fixture *fx, gconstpointer data)
{
  double secs;

  g_assert_cmpint (run_job (fx,
      "{\"executor\": {\"argv\": [\"sleep\", \"MARKER\"]}, \"timeouts\": {\"hello_s\": 1},"
      " \"agenda\": {\"frames\": \"1-2\", \"command\": \"x\"}}", &secs), ==, 1);
  g_assert_cmpfloat (secs, <, 5 * fh_test_time_factor ());
  assert_tb (fx, 0, "not run: the executor did not start: no hello from executor sleep (pid *) within 1 s (timeouts.hello_s)");
  g_assert_cmpuint (fh_test_count_procs (fx->sleeper), ==, 0);
}

/* ---- dead executors, retries -------------------------------------------- */

static void
test_kill9_recovers (Fixture *fx, gconstpointer data)
{
  /* Items 3 and 7 kill their executor the first time they run; with one
   * retry every item completes, each reported once. */
  g_assert_cmpint (run_job (fx,
      "{\"retries\": 1, \"setup\": \"echo up >> setups.txt\","
      " \"agenda\": {\"frames\": \"1-8\", \"command\":"
      " \"case {frame} in 3|7) [ -e killed{frame} ] || { touch killed{frame}; kill -9 $PPID; sleep 5; };; esac; echo ok\"}}", NULL), ==, 0);
  g_assert_cmpuint (fx->lines->len, ==, 8);
  for (guint i = 0; i < 8; i++)
    {
      g_assert_cmpstr (field (fx, i, "status"), ==, "complete");
      g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (fx->lines, i), "attempts"), ==,
                       ((i == 2 || i == 6) ? 2 : 1));
    }
  {
    g_autofree char *path = g_build_filename (fx->dir, "setups.txt", NULL);
    g_autofree char *setups = fh_test_read (path);
    g_assert_cmpstr (setups, ==, "up\nup\nup\n");
  }
}

static void
test_max_restarts (Fixture *fx, gconstpointer data)
{
  g_assert_cmpint (run_job (fx,
      "{\"max_restarts\": 2, \"agenda\": {\"frames\": \"1-6\", \"command\": \"kill -9 $PPID; sleep 5\"}}", NULL), ==, 1);
  g_assert_cmpuint (fx->lines->len, ==, 6);
  assert_tb (fx, 0, "executor shell (pid *) was killed by signal 9*");
  assert_tb (fx, 2, "executor shell (pid *) was killed by signal 9*");
  assert_tb (fx, 3, "not run: the executor stopped 3 times; max_restarts (2) reached");
}

static void
test_retries_then_fail (Fixture *fx, gconstpointer data)
{
  g_assert_cmpint (run_job (fx,
      "{\"retries\": 2, \"agenda\": {\"items\": [{\"name\": \"flaky\", \"command\": \"echo x >> tries; [ $(wc -l < tries) -ge 2 ]\"},"
      " {\"name\": \"broken\", \"command\": \"false\"}]}}", NULL), ==, 1);
  g_assert_cmpstr (field (fx, 0, "status"), ==, "complete");
  g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (fx->lines, 0), "attempts"), ==, 2);
  g_assert_cmpstr (field (fx, 1, "status"), ==, "failed");
  g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (fx->lines, 1), "attempts"), ==, 3);
}

/* ---- cancel and orphans ------------------------------------------------- */

static GSubprocess *
start_job (Fixture *fx, const char *json)
{
  g_autofree char *text = fh_test_with_marker (json, fx->marker);
  g_autofree char *job = fh_test_write (fx->dir, "job.json", text);

  return fh_test_farmhand_start (fx->dir, fx->out, NULL, "run", job, "--results", fx->results, "--plain", "-v", NULL);
}

static int
finish (GSubprocess *proc)
{
  g_autoptr (GError) err = NULL;

  g_subprocess_wait (proc, NULL, &err);
  g_assert_no_error (err);
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc)
                                           : 128 + g_subprocess_get_term_sig (proc);
}

/* Waits until the host's output says @text.  Nothing to wait on but the
 * file it writes. */
static void
await_output (Fixture *fx, const char *text)
{
  gint64 until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC * fh_test_time_factor ();

  for (;;)
    {
      g_autofree char *out = NULL;
      if (g_file_get_contents (fx->out, &out, NULL, NULL) && strstr (out, text) != NULL)
        return;
      if (g_get_monotonic_time () > until)
        g_error ("the host never said '%s'", text);
      g_usleep (20 * 1000);
    }
}

static void
test_cancel_sigterm (Fixture *fx, gconstpointer data)
{
  g_autoptr (GSubprocess) host = start_job (fx,
      "{\"timeouts\": {\"grace_s\": 2}, \"teardown\": \"echo cleaned > teardown.txt\","
      " \"agenda\": {\"frames\": \"1-3\", \"command\": \"sleep MARKER & sleep MARKER\"}}");
  g_autofree char *teardown_path = g_build_filename (fx->dir, "teardown.txt", NULL);
  g_autofree char *teardown = NULL;

  g_assert_true (fh_test_await_procs (fx->sleeper, 2, 10000 * fh_test_time_factor ()));
  g_subprocess_send_signal (host, SIGTERM);
  g_assert_cmpint (finish (host), ==, 143);
  teardown = fh_test_read (teardown_path);
  g_assert_cmpstr (teardown, ==, "cleaned\n");
  load_results (fx);
  g_assert_cmpuint (fx->lines->len, ==, 3);
  assert_tb (fx, 0, "cancelled; interrupted:*status 130*");
  assert_tb (fx, 1, "not run: the job was cancelled");
  g_assert_cmpuint (fh_test_count_procs (fx->sleeper), ==, 0);
}

static void
test_cancel_twice_skips_grace (Fixture *fx, gconstpointer data)
{
  g_autoptr (GSubprocess) host = start_job (fx,
      "{\"timeouts\": {\"grace_s\": 60}, \"teardown\": \"touch teardown\","
      " \"agenda\": {\"frames\": \"1\", \"command\": \"trap '' INT; sleep MARKER\"}}");
  gint64 t0;

  g_assert_true (fh_test_await_procs (fx->sleeper, 1, 10000 * fh_test_time_factor ()));
  t0 = g_get_monotonic_time ();
  g_subprocess_send_signal (host, SIGINT);
  /* A second signal counts as one only once the first was handled (two
   * sent at once are delivered once): the host says so. */
  await_output (fx, "cancelling");
  g_subprocess_send_signal (host, SIGINT);
  g_assert_cmpint (finish (host), ==, 130);
  /* Not the 60 s grace: the second SIGINT means now. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC * fh_test_time_factor ());
  g_assert_cmpuint (fh_test_count_procs (fx->sleeper), ==, 0);
}

static void
test_nothing_left_at_end (Fixture *fx, gconstpointer data)
{
  /* Background jobs from setup and items, one escaped with setsid. */
  g_assert_cmpint (run_job (fx,
      "{\"setup\": \"sleep MARKER &\", \"agenda\": {\"frames\": \"1-2\", \"command\":"
      " \"sleep MARKER & setsid sleep MARKER & echo ok\"}}", NULL), ==, 0);
  g_assert_true (fh_test_await_procs (fx->sleeper, 0, 5000 * fh_test_time_factor ()));
}

static void
test_host_sigkill (Fixture *fx, gconstpointer data)
{
  const char *kind = data;
  g_autofree char *json = g_strcmp0 (kind, "shell") == 0
      ? g_strdup ("{\"agenda\": {\"frames\": \"1\", \"command\": \"sleep MARKER & setsid sleep MARKER & sleep MARKER\"}}")
      : g_strdup ("{\"executor\": \"python\", \"agenda\": {\"frames\": \"1\", \"command\":"
                  " \"import subprocess, time\\nsubprocess.Popen(['sleep', 'MARKER'])\\n"
                  "subprocess.Popen(['sleep', 'MARKER'], start_new_session=True)\\ntime.sleep(300)\"}}");
  g_autoptr (GSubprocess) host = start_job (fx, json);

  g_assert_true (fh_test_await_procs (fx->sleeper, g_strcmp0 (kind, "shell") == 0 ? 3 : 2, 10000 * fh_test_time_factor ()));
  /* The host dies without a chance to clean up; the executor notices (its
   * parent-death signal, the backchannel closing) and ends its tree. */
  g_subprocess_force_exit (host);
  finish (host);
  g_assert_true (fh_test_await_procs (fx->sleeper, 0, 10000 * fh_test_time_factor ()));
}

/* ---- executors that break the protocol ---------------------------------- */

static void
test_bad_executor (Fixture *fx, gconstpointer data)
{
  const char *const *c = data;  /* mode, expected pattern */
  g_autofree char *helper = g_test_build_filename (G_TEST_DIST, "helpers", "bad-executor.py", NULL);
  g_autofree char *json = g_strdup_printf (
      "{\"executor\": {\"argv\": [\"python3\", \"%s\", \"%s\"]}, \"max_restarts\": 0,"
      " \"timeouts\": {\"hello_s\": 3, \"grace_s\": 1}, \"agenda\": {\"frames\": \"1-2\", \"command\": \"x\"}}",
      helper, c[0]);
  double secs;
  int code = run_job (fx, json, &secs);

  /* A clear error, quickly, never a crash or a hang. */
  g_assert_cmpfloat (secs, <, 15 * fh_test_time_factor ());
  if (g_strcmp0 (c[1], "complete") == 0)
    {
      g_assert_cmpint (code, ==, 0);
      g_assert_cmpstr (field (fx, 1, "status"), ==, "complete");
      return;
    }
  g_assert_cmpint (code, ==, 1);
  assert_tb (fx, 0, c[1]);
}

static const char *const bad_cases[][2] = {
  { "no-hello", "not run: the executor did not start: no hello from executor python3 (pid *) within 3 s*" },
  { "exit-early", "not run: the executor did not start: executor python3 (pid *) exited with code 3 before saying hello;*cannot load plugin libbad.so*" },
  { "garbage", "not run: the executor did not start: backchannel frame 1: payload of 9 bytes: not JSON:*" },
  { "oversized", "not run: the executor did not start: backchannel: frame 1 (stream byte 0) declares 2147483648 bytes, more than the maximum of 16777216" },
  { "zero-length", "not run: the executor did not start: backchannel: frame 1 (stream byte 0) has length 0" },
  { "bad-utf8", "not run: the executor did not start: backchannel frame 1: payload of 6 bytes is not valid UTF-8*" },
  { "truncated", "not run: the executor did not start: backchannel: stream ended inside frame 1: 8 of 100 payload bytes received" },
  { "duplicate-hello", "*executor sent a second hello*" },
  { "wrong-version", "not run: the executor did not start: backchannel frame 1: executor speaks protocol 2, this plugin speaks protocol 1" },
  { "unknown-seq", "backchannel frame 2: executor sent a 'result' message for command 101, but the command in flight is 1" },
  { "progress-flood", "complete" },
  { "binary-stdout", "complete" },
  /* Compact frames (docs/protocol.md): an executor that announces them is
   * sent them, and its are checked field by field. */
  { "compact-ok", "complete" },
  { "compact-short", "backchannel frame 2: compact 'result' frame: field 'traceback' runs past the end of the frame (0 bytes left)" },
  { "compact-trailing", "backchannel frame 2: compact 'result' frame: 1 bytes after its last field" },
  { "compact-flags", "backchannel frame 2: compact 'result' frame: field 'flags' must be a combination of 0x01, 0x02 and 0x04" },
};

/* ---- security ----------------------------------------------------------- */

static void
test_socket_backchannel (Fixture *fx, gconstpointer data)
{
  const char *kind = data;
  g_autofree char *json = g_strdup_printf (
      "{\"executor\": {\"preset\": \"%s\", \"backchannel\": \"socket\"},"
      " \"agenda\": {\"frames\": \"1-3\", \"command\": %s}}", kind,
      g_strcmp0 (kind, "shell") == 0
          ? "\"test -z \\\"$FARMHAND_BACKCHANNEL_TOKEN$FARMHAND_BACKCHANNEL_PATH\\\" && echo frame {frame}\""
          : "\"import os\\nassert 'FARMHAND_BACKCHANNEL_TOKEN' not in os.environ\\nprint('frame', {frame})\"");

  g_assert_cmpint (run_job (fx, json, NULL), ==, 0);
  g_assert_cmpuint (fx->lines->len, ==, 3);
}

/* Connects to @path and says hello with @token (nullable); returns TRUE
 * when the listener hung up on us. */
static gboolean
intrude (const char *path, const char *token)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) addr = g_unix_socket_address_new (path);
  g_autoptr (GSocketConnection) conn = NULL;
  g_autofree char *hello = g_strdup_printf ("{\"type\":\"hello\",\"protocol\":1,\"pid\":1,\"kind\":\"intruder\"%s%s%s}",
                                            token ? ",\"token\":\"" : "", token ? token : "", token ? "\"" : "");
  guint8 header[4] = { 0, 0, 0, (guint8) strlen (hello) };
  char buf[16];

  /* The socket file appears at bind(), a moment before listen(). */
  for (int i = 0; i < 500 && conn == NULL; i++)
    if ((conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (addr), NULL, NULL)) == NULL)
      g_usleep (10 * 1000);
  g_assert_nonnull (conn);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), header, 4, NULL, NULL, NULL);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), hello, strlen (hello), NULL, NULL, NULL);
  return g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf, sizeof buf, NULL, NULL) == 0;
}

static char *
find_socket (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "farmhand-bc-"))
      {
        char *sock = g_build_filename (dir, name, "backchannel.sock", NULL);
        if (g_file_test (sock, G_FILE_TEST_EXISTS))
          return sock;
        g_free (sock);
      }
  return NULL;
}

/* An intruder (same user, so it can reach the socket) without the token
 * is turned away, and the job is not disturbed.  The executor starts only
 * once both intruders have come. */
static void
test_socket_rejects_intruder (Fixture *fx, gconstpointer data)
{
  g_autofree char *log_path = g_build_filename (fx->dir, "job.log", NULL);
  g_autofree char *job = fh_test_write (fx->dir, "job.json",
      "{\"executor\": {\"argv\": [\"sh\", \"-c\", \"while [ ! -e intruded ]; do sleep 0.02; done;"
      " exec python3 -u {farmhand_executor_py}\"],"
      " \"backchannel\": \"socket\"}, \"agenda\": {\"frames\": \"1-2\", \"command\": \"print('frame', {frame})\"}}");
  g_autoptr (GSubprocess) host = NULL;
  g_autofree char *sock = NULL;
  g_autofree char *log = NULL;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC * fh_test_time_factor ();

  /* The socket directory goes under $TMPDIR: keep it in this test's dir. */
  g_autofree char *tmpdir = g_strdup_printf ("TMPDIR=%s", fx->dir);
  const char *env[] = { tmpdir, NULL };

  host = fh_test_farmhand_start (fx->dir, fx->out, env, "run", job, "--results", fx->results, "--log", log_path, NULL);
  while ((sock = find_socket (fx->dir)) == NULL && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_assert_nonnull (sock);
  g_assert_true (intrude (sock, NULL));
  g_assert_true (intrude (sock, "00000000000000000000000000000000"));
  g_free (fh_test_write (fx->dir, "intruded", ""));
  g_assert_cmpint (finish (host), ==, 0);
  load_results (fx);
  g_assert_cmpuint (fx->lines->len, ==, 2);
  g_assert_cmpstr (field (fx, 1, "status"), ==, "complete");
  log = fh_test_read (log_path);
  g_assert_nonnull (strstr (log, "farmhand: rejected a backchannel connection: its hello has no token"));
  g_assert_nonnull (strstr (log, "farmhand: rejected a backchannel connection: wrong token"));
  /* Once the executor is in, the socket is gone: nothing left to attack. */
  g_assert_false (g_file_test (sock, G_FILE_TEST_EXISTS));
}

static void
test_redact (Fixture *fx, gconstpointer data)
{
  g_autofree char *log_path = g_build_filename (fx->dir, "job.log", NULL);
  g_autofree char *job = fh_test_write (fx->dir, "job.json",
      "{\"env\": {\"API_KEY\": {\"value\": \"s3cr3t-v4lue\", \"redact\": true}, \"PLAIN\": \"visible\"},"
      " \"log\": {\"errors\": \"^ERROR\"},"
      " \"agenda\": {\"frames\": \"1-2\", \"command\": \"echo key=$API_KEY plain=$PLAIN; echo ERROR with $API_KEY; echo $API_KEY >&2; exit {frame}\"}}");
  FhTestRun r = fh_test_farmhand (fx->dir, "run", job, "--results", fx->results, "--log", log_path, "-v", NULL);
  g_autofree char *results = fh_test_read (fx->results);
  g_autofree char *log = fh_test_read (log_path);

  g_assert_cmpint (r.exit_code, ==, 1);
  g_assert_null (strstr (r.out, "s3cr3t"));
  g_assert_null (strstr (r.err, "s3cr3t"));
  g_assert_null (strstr (log, "s3cr3t"));
  g_assert_null (strstr (results, "s3cr3t"));
  g_assert_nonnull (strstr (log, "key=*** plain=visible"));
  g_assert_nonnull (strstr (results, "ERROR with ***"));
  fh_test_run_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
#define ADD_DATA(path, data, func) g_test_add (path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("/reliability/timeout-ends-tree", test_timeout_ends_tree);
  ADD ("/reliability/timeout-python-traceback", test_timeout_python_traceback);
  ADD ("/reliability/stall", test_stall);
  ADD ("/reliability/hello-timeout", test_hello_timeout);
  ADD ("/reliability/kill-9-recovers", test_kill9_recovers);
  ADD ("/reliability/max-restarts", test_max_restarts);
  ADD ("/reliability/retries", test_retries_then_fail);
  ADD ("/reliability/cancel-sigterm", test_cancel_sigterm);
  ADD ("/reliability/cancel-twice-skips-grace", test_cancel_twice_skips_grace);
  ADD ("/reliability/nothing-left-at-end", test_nothing_left_at_end);
  ADD_DATA ("/reliability/host-sigkill/shell", "shell", test_host_sigkill);
  ADD_DATA ("/reliability/host-sigkill/python", "python", test_host_sigkill);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/reliability/bad-executor/%s", bad_cases[i][0]);
      ADD_DATA (path, bad_cases[i], test_bad_executor);
    }
  ADD_DATA ("/reliability/socket-backchannel/shell", "shell", test_socket_backchannel);
  ADD_DATA ("/reliability/socket-backchannel/python", "python", test_socket_backchannel);
  ADD ("/reliability/socket-rejects-intruder", test_socket_rejects_intruder);
  ADD ("/reliability/redact", test_redact);
#undef ADD
#undef ADD_DATA
  return g_test_run ();
}
