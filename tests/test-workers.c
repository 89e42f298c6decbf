/* test-workers.c — scale-out without a scheduler: `farmhand submit
 * --prepare`, several real `farmhand worker` processes claiming items from
 * one job directory, `farmhand status` and `farmhand cancel`.  The same
 * workers run under Slurm (test-slurm.c); here they are started by hand,
 * so this runs everywhere.  Every process a test starts carries a unique
 * marker ("sleep 314.N") so the test can prove none is left. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "fh-test-utils.h"

#define N_WORKERS 3

typedef struct
{
  char *dir;
  char *jobdir;
  GSubprocess *workers[N_WORKERS];
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  fx->dir = fh_test_mkdtemp ();
  fx->jobdir = g_build_filename (fx->dir, "jobdir", NULL);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  for (int i = 0; i < N_WORKERS; i++)
    if (fx->workers[i] != NULL)
      {
        g_subprocess_force_exit (fx->workers[i]);
        g_subprocess_wait (fx->workers[i], NULL, NULL);
        g_object_unref (fx->workers[i]);
      }
  fh_test_rmtree (fx->dir);
  g_free (fx->dir);
  g_free (fx->jobdir);
}

/* `farmhand submit --prepare` of @json with a short lease. */
static void
prepare (Fixture *fx, const char *json, const char *lease)
{
  g_autofree char *job = fh_test_write (fx->dir, "job.json", json);
  FhTestRun r = fh_test_farmhand (fx->dir, "submit", "--prepare", "--jobdir", fx->jobdir,
                                  "--lease", lease, job, NULL);

  g_assert_cmpint (r.exit_code, ==, 0);
  g_assert_true (strstr (r.out, "farmhand worker") != NULL);
  fh_test_run_clear (&r);
}

static const char *const worker_names[N_WORKERS] = { "w0", "w1", "w2" };

static void
start_workers (Fixture *fx)
{
  for (int i = 0; i < N_WORKERS; i++)
    {
      g_autofree char *out = g_strdup_printf ("%s/%s.out", fx->dir, worker_names[i]);
      fx->workers[i] = fh_test_farmhand_start (fx->dir, out, NULL, "worker", "--name", worker_names[i],
                                               fx->jobdir, NULL);
    }
}

static int
finish (GSubprocess *proc)
{
  g_subprocess_wait (proc, NULL, NULL);
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc)
                                           : 128 + g_subprocess_get_term_sig (proc);
}

static int
status (Fixture *fx, char **out)
{
  FhTestRun r = fh_test_farmhand (fx->dir, "status", fx->jobdir, NULL);
  int code = r.exit_code;

  if (out != NULL)
    *out = g_steal_pointer (&r.out);
  fh_test_run_clear (&r);
  return code;
}

static void
test_spread (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  GHashTable *by_worker = g_hash_table_new (g_str_hash, g_str_equal);

  prepare (fx, "{\"name\": \"spread\", \"setup\": \"echo $$ >> setups.txt\","
               " \"agenda\": {\"frames\": \"1-40\", \"command\": \"sleep 0.05; echo frame {frame}\"},"
               " \"teardown\": \"echo $$ >> teardowns.txt\"}", "5");
  start_workers (fx);
  for (int i = 0; i < N_WORKERS; i++)
    g_assert_cmpint (finish (fx->workers[i]), ==, 0);
  g_assert_cmpint (status (fx, &out), ==, 0);
  g_assert_true (strstr (out, "40 complete, 0 failed, 0 running, 0 pending") != NULL);
  /* Every item once, each worker took some, and each ran setup and
   * teardown once: the loadOnce benefit survives scale-out. */
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *name = g_strdup_printf ("results/%06u.json", i);
      g_autoptr (JsonObject) r = fh_test_read_json (fx->jobdir, name);
      g_assert_cmpstr (json_object_get_string_member (r, "status"), ==, "complete");
      g_assert_cmpint (json_object_get_int_member (r, "attempts"), ==, 1);
      g_hash_table_add (by_worker, (gpointer) g_intern_string (json_object_get_string_member (r, "worker")));
    }
  g_assert_cmpuint (g_hash_table_size (by_worker), ==, N_WORKERS);
  g_assert_cmpuint (fh_test_count_lines (fx->dir, "setups.txt"), ==, N_WORKERS);
  g_assert_cmpuint (fh_test_count_lines (fx->dir, "teardowns.txt"), ==, N_WORKERS);
  g_hash_table_unref (by_worker);
}

static void
test_dead_worker (Fixture *fx, gconstpointer data)
{
  g_autofree char *first = NULL;
  g_autoptr (JsonObject) claim = NULL;
  g_autoptr (JsonObject) result = NULL;
  const char *holder;
  int k = -1;

  /* Item 7's first run hangs; the worker running it is SIGKILLed, as when
   * a node is lost.  After the lease another worker runs it again. */
  prepare (fx, "{\"agenda\": {\"frames\": \"1-20\", \"command\":"
               " \"if [ {frame} = 7 ] && mkdir first-7 2>/dev/null; then sleep 314.1; fi; sleep 0.05\"}}", "1");
  start_workers (fx);
  first = g_build_filename (fx->dir, "first-7", NULL);
  fh_test_await_file (first, 30000 * fh_test_time_factor ());
  claim = fh_test_read_json (fx->jobdir, "claims/000006.1");
  holder = json_object_get_string_member (claim, "worker");
  for (int i = 0; i < N_WORKERS; i++)
    if (g_str_equal (holder, worker_names[i]))
      k = i;
  g_assert_cmpint (k, >=, 0);
  g_subprocess_send_signal (fx->workers[k], SIGKILL);
  for (int i = 0; i < N_WORKERS; i++)
    g_assert_cmpint (finish (fx->workers[i]), ==, i == k ? 128 + SIGKILL : 0);
  g_assert_cmpint (status (fx, NULL), ==, 0);
  result = fh_test_read_json (fx->jobdir, "results/000006.json");
  g_assert_cmpstr (json_object_get_string_member (result, "status"), ==, "complete");
  g_assert_cmpint (json_object_get_int_member (result, "attempts"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (result, "worker"), !=, holder);
  /* The dead worker's command died with it. */
  g_assert_true (fh_test_await_procs ("sleep 314.1", 0, 5000));
}

static void
test_status_codes (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;

  prepare (fx, "{\"agenda\": {\"frames\": \"1-3\", \"command\": \"[ {frame} != 2 ]\"}}", "5");
  /* Nobody has started: pending, still running as far as anyone knows. */
  g_assert_cmpint (status (fx, &out), ==, 3);
  g_assert_true (strstr (out, "3 pending") != NULL);
  g_clear_pointer (&out, g_free);
  start_workers (fx);
  for (int i = 0; i < N_WORKERS; i++)
    finish (fx->workers[i]);
  g_assert_cmpint (status (fx, &out), ==, 1);
  g_assert_true (strstr (out, "2 complete, 1 failed") != NULL);
  g_assert_true (strstr (out, "command exited with status 1") != NULL);
}

static void
test_cancel (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  FhTestRun r;

  prepare (fx, "{\"agenda\": {\"frames\": \"1-30\", \"command\": \"sleep 314.2\"},"
               " \"teardown\": \"echo $$ >> teardowns.txt\", \"timeouts\": {\"grace_s\": 2}}", "5");
  start_workers (fx);
  g_assert_true (fh_test_await_procs ("sleep 314.2", N_WORKERS, 20000 * fh_test_time_factor ()));
  r = fh_test_farmhand (fx->dir, "cancel", fx->jobdir, NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  fh_test_run_clear (&r);
  /* Each worker interrupts its command, runs teardown and exits; no item
   * is claimed after the cancel. */
  for (int i = 0; i < N_WORKERS; i++)
    g_assert_cmpint (finish (fx->workers[i]), ==, 128 + SIGTERM);
  g_assert_cmpuint (fh_test_count_lines (fx->dir, "teardowns.txt"), ==, N_WORKERS);
  g_assert_cmpuint (fh_test_count_procs ("sleep 314.2"), ==, 0);
  g_assert_cmpint (status (fx, &out), ==, 1);
  g_assert_true (strstr (out, "27 pending") != NULL);
  g_assert_true (strstr (out, "cancelled") != NULL);
}

/* `farmhand submit --resume --prepare JOBDIR`: its exit code; @out gets
 * its stdout, else its stderr. */
static int
resume (Fixture *fx, char **out)
{
  FhTestRun r = fh_test_farmhand (fx->dir, "submit", "--resume", "--prepare", fx->jobdir, NULL);
  int code = r.exit_code;

  *out = code == 0 ? g_steal_pointer (&r.out) : g_steal_pointer (&r.err);
  fh_test_run_clear (&r);
  return code;
}

/* Starts the workers and waits for them all to end with @code (-1: any;
 * a worker whose items failed exits 1). */
static void
run_workers (Fixture *fx, int code)
{
  start_workers (fx);
  for (int i = 0; i < N_WORKERS; i++)
    {
      int got = finish (fx->workers[i]);
      if (code >= 0)
        g_assert_cmpint (got, ==, code);
      g_clear_object (&fx->workers[i]);
    }
}

static void
test_resume (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *ok = g_build_filename (fx->dir, "ok", NULL);
  g_autoptr (JsonObject) earlier = NULL;

  /* Frames 5 and 6 fail until the file "ok" exists (a missing asset that
   * a wrangler then fixes). */
  prepare (fx, "{\"agenda\": {\"frames\": \"1-6\", \"command\":"
               " \"echo {frame} >> runs.txt; [ {frame} -le 4 ] || [ -e ok ]\"}}", "5");
  run_workers (fx, -1);
  g_assert_cmpint (status (fx, NULL), ==, 1);
  g_assert_true (g_file_set_contents (ok, "", 0, NULL));
  g_assert_cmpint (resume (fx, &out), ==, 0);
  g_assert_true (strstr (out, "resuming 2 of 6 items") != NULL);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (status (fx, &out), ==, 3);
  g_assert_true (strstr (out, "4 complete, 0 failed, 0 running, 2 pending") != NULL);
  g_clear_pointer (&out, g_free);
  run_workers (fx, 0);
  g_assert_cmpint (status (fx, NULL), ==, 0);
  /* Only the failed items ran again, as their second attempt; the failed
   * results are kept. */
  g_assert_cmpuint (fh_test_count_lines (fx->dir, "runs.txt"), ==, 8);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("results/%06u.json", i);
      g_autoptr (JsonObject) r = fh_test_read_json (fx->jobdir, name);
      g_assert_cmpstr (json_object_get_string_member (r, "status"), ==, "complete");
      g_assert_cmpint (json_object_get_int_member (r, "attempts"), ==, i < 4 ? 1 : 2);
    }
  earlier = fh_test_read_json (fx->jobdir, "history/000005.1.json");
  g_assert_cmpstr (json_object_get_string_member (earlier, "status"), ==, "failed");
  g_assert_cmpint (resume (fx, &out), ==, 0);
  g_assert_true (strstr (out, "nothing to run") != NULL);
}

static void
test_cancel_then_resume (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *hang = g_build_filename (fx->dir, "hang", NULL);
  FhTestRun r;

  g_assert_true (g_file_set_contents (hang, "", 0, NULL));
  prepare (fx, "{\"agenda\": {\"frames\": \"1-12\", \"command\":"
               " \"if [ -e hang ]; then sleep 314.3; fi\"}, \"timeouts\": {\"grace_s\": 2}}", "5");
  start_workers (fx);
  g_assert_true (fh_test_await_procs ("sleep 314.3", N_WORKERS, 20000 * fh_test_time_factor ()));
  /* Nothing is moved under running workers' feet. */
  g_assert_cmpint (resume (fx, &out), ==, 2);
  if (strstr (out, "3 workers are still alive") == NULL)
    g_error ("%s", out);
  g_clear_pointer (&out, g_free);
  r = fh_test_farmhand (fx->dir, "cancel", fx->jobdir, NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  fh_test_run_clear (&r);
  for (int i = 0; i < N_WORKERS; i++)
    {
      g_assert_cmpint (finish (fx->workers[i]), ==, 128 + SIGTERM);
      g_clear_object (&fx->workers[i]);
    }
  /* The cancel is lifted; the interrupted items and the rest run. */
  g_assert_cmpint (g_unlink (hang), ==, 0);
  g_assert_cmpint (resume (fx, &out), ==, 0);
  g_assert_true (strstr (out, "resuming 12 of 12 items") != NULL);
  g_clear_pointer (&out, g_free);
  run_workers (fx, 0);
  g_assert_cmpint (status (fx, &out), ==, 0);
  g_assert_true (strstr (out, "12 complete, 0 failed") != NULL);
}

#define LIBFAKETIME "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

static void
test_clock_skew (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = g_build_filename (fx->dir, "skewed.out", NULL);
  g_autofree char *running = g_build_filename (fx->dir, "running-1", NULL);
  g_autofree char *asan = g_strconcat ("ASAN_OPTIONS=", g_getenv ("ASAN_OPTIONS") ?: "",
                                       ":verify_asan_link_order=0", NULL);
  const char *env[] = { "LD_PRELOAD=" LIBFAKETIME, "FAKETIME=+10m", asan, NULL };
  g_autoptr (JsonObject) result = NULL;
  g_autofree char *second = NULL;

  if (!g_file_test (LIBFAKETIME, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("libfaketime is not installed");
      return;
    }
  if (g_getenv ("FH_TEST_WRAPPER") != NULL)
    {
      g_test_skip ("libfaketime's own code is not valgrind-clean");
      return;
    }
  /* Worker w0 runs item 1 (3 s) with a 2 s lease; a second worker whose
   * clock is 10 minutes ahead (a node whose NTP failed) finishes item 2
   * and must wait for w0, not take it for dead: leases are judged by the
   * job directory's clock, not the worker's. */
  prepare (fx, "{\"agenda\": {\"frames\": \"1-2\", \"command\":"
               " \"if [ {frame} = 1 ]; then touch running-1; sleep 3; fi\"}}", "2");
  fx->workers[0] = fh_test_farmhand_start (fx->dir, out, NULL, "worker", "--name", "w0", fx->jobdir, NULL);
  fh_test_await_file (running, 30000 * fh_test_time_factor ());
  fx->workers[1] = fh_test_farmhand_start (fx->dir, out, env, "worker", "--name", "skewed", fx->jobdir, NULL);
  g_assert_cmpint (finish (fx->workers[0]), ==, 0);
  g_assert_cmpint (finish (fx->workers[1]), ==, 0);
  g_assert_cmpint (status (fx, NULL), ==, 0);
  result = fh_test_read_json (fx->jobdir, "results/000000.json");
  g_assert_cmpstr (json_object_get_string_member (result, "worker"), ==, "w0");
  g_assert_cmpint (json_object_get_int_member (result, "attempts"), ==, 1);
  second = g_build_filename (fx->jobdir, "claims", "000000.2", NULL);
  g_assert_false (g_file_test (second, G_FILE_TEST_EXISTS));
}

static void
test_bad_input (Fixture *fx, gconstpointer data)
{
  g_autofree char *job = fh_test_write (fx->dir, "job.json", "{\"agenda\": {\"frames\": \"1\", \"command\": \"true\"}}");
  FhTestRun r = fh_test_farmhand (fx->dir, "worker", fx->dir, NULL);

  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_true (strstr (r.err, "is not a farmhand job directory") != NULL);
  fh_test_run_clear (&r);
  /* A job directory is never reused by accident. */
  r = fh_test_farmhand (fx->dir, "submit", "--prepare", "--jobdir", fx->dir, job, NULL);
  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_true (strstr (r.err, "exists and is not empty") != NULL);
  fh_test_run_clear (&r);
  r = fh_test_farmhand (fx->dir, "submit", job, NULL);
  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_true (strstr (r.err, "--slurm, or --prepare") != NULL);
  fh_test_run_clear (&r);
  r = fh_test_farmhand (fx->dir, "submit", "--prepare", "--resume", fx->dir, NULL);
  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_true (strstr (r.err, "is not a farmhand job directory") != NULL);
  fh_test_run_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/workers/spread", test_spread);
  ADD ("/workers/dead-worker-item-runs-again", test_dead_worker);
  ADD ("/workers/status-exit-codes", test_status_codes);
  ADD ("/workers/cancel-runs-teardown", test_cancel);
  ADD ("/workers/resume-failed-items", test_resume);
  ADD ("/workers/cancel-then-resume", test_cancel_then_resume);
  ADD ("/workers/clock-skew", test_clock_skew);
  ADD ("/workers/bad-input", test_bad_input);
#undef ADD
  return g_test_run ();
}
