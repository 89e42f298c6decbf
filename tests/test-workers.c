/* test-workers.c — scale-out without a scheduler: `farmhand submit
 * --prepare`, several real `farmhand worker` processes claiming items from
 * one job directory, `farmhand status` and `farmhand cancel`, and the
 * faults of docs/jobdir.md: a worker killed, a worker frozen past its
 * lease that wakes up, a worker restarted under its old name, a node
 * whose clock is wrong.  The same workers run under Slurm (test-slurm.c);
 * here they are started by hand, so this runs everywhere.  Every process
 * a test starts carries a marker unique to the test, matched exactly, so
 * the test can prove none is left. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "fh-test-utils.h"

#define N_WORKERS 3

typedef struct
{
  char *dir;
  char *jobdir;
  char *marker;       /* "sleep MARKER" is this test's hanging command */
  char *sleeper;
  GSubprocess *workers[N_WORKERS];
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  fx->dir = fh_test_mkdtemp ();
  fx->jobdir = g_build_filename (fx->dir, "jobdir", NULL);
  fx->marker = fh_test_marker ();
  fx->sleeper = g_strdup_printf ("sleep %s", fx->marker);
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
  g_free (fx->marker);
  g_free (fx->sleeper);
}

/* `farmhand submit --prepare` of @json with lease @lease. */
static void
prepare (Fixture *fx, const char *json, const char *lease)
{
  g_autofree char *text = fh_test_with_marker (json, fx->marker);
  g_autofree char *job = fh_test_write (fx->dir, "job.json", text);
  FhTestRun r = fh_test_farmhand (fx->dir, "submit", "--prepare", "--jobdir", fx->jobdir,
                                  "--lease", lease, job, NULL);

  g_assert_cmpint (r.exit_code, ==, 0);
  g_assert_nonnull (strstr (r.out, "farmhand worker"));
  fh_test_run_clear (&r);
}

static const char *const worker_names[N_WORKERS] = { "w0", "w1", "w2" };

static GSubprocess *
start_worker (Fixture *fx, const char *name)
{
  g_autofree char *out = g_strdup_printf ("%s/%s.out", fx->dir, name);

  return fh_test_farmhand_start (fx->dir, out, NULL, "worker", "--name", name, fx->jobdir, NULL);
}

static void
start_workers (Fixture *fx)
{
  for (int i = 0; i < N_WORKERS; i++)
    fx->workers[i] = start_worker (fx, worker_names[i]);
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

static GPtrArray *
results (Fixture *fx)
{
  return fh_test_jobdir_results (fx->dir, fx->jobdir);
}

static char *
claim_owner (Fixture *fx, guint index, guint attempt)
{
  return fh_test_claim_owner (fx->jobdir, index, attempt);
}

static gboolean
claim_exists (Fixture *fx, guint index, guint attempt)
{
  g_autofree char *path = fh_test_claim_path (fx->jobdir, index, attempt);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static int
worker_index (const char *name)
{
  for (int i = 0; i < N_WORKERS; i++)
    if (g_str_equal (name, worker_names[i]))
      return i;
  g_error ("no worker %s", name);
}

static void
test_spread (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GHashTable) by_worker = g_hash_table_new (g_str_hash, g_str_equal);

  /* The first item each worker takes waits until every worker has one:
   * then each of them has claimed at least one, whatever the speed of the
   * machine.  Setup and teardown run once per worker. */
  prepare (fx, "{\"name\": \"spread\", \"setup\": \"echo $$ >> setups.txt\","
               " \"agenda\": {\"frames\": \"1-40\", \"command\":"
               " \"touch started-$FARMHAND_WORKER; while [ $(ls started-* | wc -l) -lt 3 ]; do sleep 0.05; done\"},"
               " \"teardown\": \"echo $$ >> teardowns.txt\"}", "30");
  start_workers (fx);
  for (int i = 0; i < N_WORKERS; i++)
    g_assert_cmpint (finish (fx->workers[i]), ==, 0);
  g_assert_cmpint (status (fx, &out), ==, 0);
  g_assert_nonnull (strstr (out, "40 complete, 0 failed, 0 running, 0 pending"));
  all = results (fx);
  g_assert_cmpuint (all->len, ==, 40);
  for (guint i = 0; i < 40; i++)
    {
      JsonObject *r = g_ptr_array_index (all, i);
      g_assert_cmpstr (json_object_get_string_member (r, "status"), ==, "complete");
      g_assert_cmpint (json_object_get_int_member (r, "attempts"), ==, 1);
      g_hash_table_add (by_worker, (gpointer) json_object_get_string_member (r, "worker"));
    }
  g_assert_cmpuint (g_hash_table_size (by_worker), ==, N_WORKERS);
  g_assert_cmpuint (fh_test_count_lines (fx->dir, "setups.txt"), ==, N_WORKERS);
  g_assert_cmpuint (fh_test_count_lines (fx->dir, "teardowns.txt"), ==, N_WORKERS);
}

static void
test_dead_worker (Fixture *fx, gconstpointer data)
{
  g_autofree char *first = NULL;
  g_autofree char *holder = NULL;
  g_autoptr (GPtrArray) all = NULL;
  JsonObject *result;
  int k;

  /* Item 7's first run hangs; the worker running it is SIGKILLed, as when
   * a node is lost.  After the lease another worker runs it again. */
  prepare (fx, "{\"agenda\": {\"frames\": \"1-20\", \"command\":"
               " \"if [ {frame} = 7 ] && mkdir first-7 2>/dev/null; then sleep MARKER; fi; sleep 0.05\"}}", "1");
  start_workers (fx);
  first = g_build_filename (fx->dir, "first-7", NULL);
  fh_test_await_file (first, 30000 * fh_test_time_factor ());
  holder = claim_owner (fx, 6, 1);
  k = worker_index (holder);
  g_subprocess_send_signal (fx->workers[k], SIGKILL);
  for (int i = 0; i < N_WORKERS; i++)
    g_assert_cmpint (finish (fx->workers[i]), ==, i == k ? 128 + SIGKILL : 0);
  g_assert_cmpint (status (fx, NULL), ==, 0);
  all = results (fx);
  result = g_ptr_array_index (all, 6);
  g_assert_cmpstr (json_object_get_string_member (result, "status"), ==, "complete");
  g_assert_cmpint (json_object_get_int_member (result, "attempts"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (result, "worker"), !=, holder);
  /* The dead worker's command died with it. */
  g_assert_true (fh_test_await_procs (fx->sleeper, 0, 5000 * fh_test_time_factor ()));
}

static void
test_frozen_worker (Fixture *fx, gconstpointer data)
{
  g_autofree char *started = g_build_filename (fx->dir, "started-3", NULL);
  g_autofree char *taken = g_build_filename (fx->dir, "ran-3-twice", NULL);
  g_autofree char *holder = NULL;
  g_autofree char *log = NULL;
  g_autofree char *out_path = NULL;
  g_autoptr (GPtrArray) all = NULL;
  JsonObject *result;
  int k;

  /* Item 3 waits, the first time, until it has been run a second time
   * elsewhere; its worker is frozen (SIGSTOP) past the lease meanwhile,
   * as a paused VM would be, and woken once the item ran again.  The
   * woken worker must not overwrite the newer attempt's result, and must
   * stop working under the claim it lost. */
  prepare (fx, "{\"agenda\": {\"frames\": \"1-6\", \"command\":"
               " \"if [ {frame} = 3 ]; then if mkdir once 2>/dev/null; then touch started-3;"
               " while [ ! -e ran-3-twice ]; do sleep 0.05; done; else touch ran-3-twice; fi; fi\"},"
               " \"timeouts\": {\"grace_s\": 2}}", "1");
  start_workers (fx);
  fh_test_await_file (started, 30000 * fh_test_time_factor ());
  holder = claim_owner (fx, 2, 1);
  k = worker_index (holder);
  g_subprocess_send_signal (fx->workers[k], SIGSTOP);
  fh_test_await_file (taken, 60000 * fh_test_time_factor ());
  for (int i = 0; i < N_WORKERS; i++)
    if (i != k)
      g_assert_cmpint (finish (fx->workers[i]), ==, 0);
  g_subprocess_send_signal (fx->workers[k], SIGCONT);
  /* It finds its claim taken over and leaves: exit 1, state "fenced". */
  g_assert_cmpint (finish (fx->workers[k]), ==, 1);
  out_path = g_strdup_printf ("%s/%s.out", fx->dir, holder);
  log = fh_test_read (out_path);
  g_assert_nonnull (strstr (log, "was taken over by another worker"));
  g_assert_cmpint (status (fx, NULL), ==, 0);
  all = results (fx);
  result = g_ptr_array_index (all, 2);
  g_assert_cmpint (json_object_get_int_member (result, "attempts"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (result, "worker"), !=, holder);
  g_assert_false (claim_exists (fx, 2, 3));
}

static void
test_restart_same_name (Fixture *fx, gconstpointer data)
{
  g_autofree char *started = g_build_filename (fx->dir, "started-1", NULL);
  g_autoptr (GPtrArray) all = NULL;
  JsonObject *result;

  /* One worker, killed in item 1 and started again at once under its
   * name (a requeued Slurm task): it takes its own stale claim back
   * instead of waiting out the lease (10 minutes here). */
  prepare (fx, "{\"agenda\": {\"frames\": \"1-3\", \"command\":"
               " \"if [ {frame} = 1 ] && mkdir once 2>/dev/null; then touch started-1; sleep MARKER; fi\"}}", "600");
  fx->workers[0] = start_worker (fx, "w0");
  fh_test_await_file (started, 30000 * fh_test_time_factor ());
  g_subprocess_send_signal (fx->workers[0], SIGKILL);
  finish (fx->workers[0]);
  g_clear_object (&fx->workers[0]);
  g_assert_true (fh_test_await_procs (fx->sleeper, 0, 10000 * fh_test_time_factor ()));
  fx->workers[0] = start_worker (fx, "w0");
  g_assert_cmpint (finish (fx->workers[0]), ==, 0);
  all = results (fx);
  result = g_ptr_array_index (all, 0);
  g_assert_cmpint (json_object_get_int_member (result, "attempts"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (result, "worker"), ==, "w0");
}

static void
test_name_in_use (Fixture *fx, gconstpointer data)
{
  g_autofree char *started = g_build_filename (fx->dir, "started-1", NULL);
  g_autofree char *out_path = g_strdup_printf ("%s/w0.out", fx->dir);
  g_autofree char *release = g_build_filename (fx->dir, "release", NULL);
  g_autofree char *log = NULL;
  g_autoptr (GPtrArray) all = NULL;

  /* A second live worker under the same name would take the first's
   * claims for its own: it waits until the first has gone. */
  prepare (fx, "{\"agenda\": {\"frames\": \"1-2\", \"command\":"
               " \"if [ {frame} = 1 ]; then touch started-1; while [ ! -e release ]; do sleep 0.05; done; fi\"}}", "30");
  fx->workers[0] = start_worker (fx, "w0");
  fh_test_await_file (started, 30000 * fh_test_time_factor ());
  fx->workers[1] = fh_test_farmhand_start (fx->dir, out_path, NULL, "worker", "--name", "w0",
                                           fx->jobdir, NULL);
  /* It says so before doing anything. */
  for (gint64 until = g_get_monotonic_time () + 30 * G_USEC_PER_SEC * fh_test_time_factor ();;)
    {
      g_free (log);
      log = fh_test_read (out_path);
      if (strstr (log, "another worker of this name is alive") != NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (50 * 1000);
    }
  g_assert_true (g_file_set_contents (release, "", 0, NULL));
  g_assert_cmpint (finish (fx->workers[0]), ==, 0);
  g_assert_cmpint (finish (fx->workers[1]), ==, 0);
  all = results (fx);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (all, i), "attempts"), ==, 1);
}

static void
test_status_codes (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  FhTestRun r;

  prepare (fx, "{\"agenda\": {\"frames\": \"1-3\", \"command\": \"[ {frame} != 2 ]\"}}", "5");
  /* Nobody has started: pending, still running as far as anyone knows. */
  g_assert_cmpint (status (fx, &out), ==, 3);
  g_assert_nonnull (strstr (out, "3 pending"));
  g_clear_pointer (&out, g_free);
  start_workers (fx);
  for (int i = 0; i < N_WORKERS; i++)
    finish (fx->workers[i]);
  g_assert_cmpint (status (fx, &out), ==, 1);
  g_assert_nonnull (strstr (out, "2 complete, 1 failed"));
  g_assert_nonnull (strstr (out, "command exited with status 1"));
  r = fh_test_farmhand (fx->dir, "status", "--json", fx->jobdir, NULL);
  g_assert_cmpint (r.exit_code, ==, 1);
  g_assert_nonnull (strstr (r.out, "\"counts\":{\"items\":3,\"complete\":2,\"failed\":1,\"running\":0,\"pending\":0}"));
  fh_test_run_clear (&r);
}

static void
test_cancel (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  FhTestRun r;

  prepare (fx, "{\"agenda\": {\"frames\": \"1-30\", \"command\": \"sleep MARKER\"},"
               " \"teardown\": \"echo $$ >> teardowns.txt\", \"timeouts\": {\"grace_s\": 2}}", "5");
  start_workers (fx);
  g_assert_true (fh_test_await_procs (fx->sleeper, N_WORKERS, 20000 * fh_test_time_factor ()));
  r = fh_test_farmhand (fx->dir, "cancel", fx->jobdir, NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  fh_test_run_clear (&r);
  /* Each worker interrupts its command, runs teardown and exits; no item
   * is claimed after the cancel. */
  for (int i = 0; i < N_WORKERS; i++)
    g_assert_cmpint (finish (fx->workers[i]), ==, 128 + SIGTERM);
  g_assert_cmpuint (fh_test_count_lines (fx->dir, "teardowns.txt"), ==, N_WORKERS);
  g_assert_cmpuint (fh_test_count_procs (fx->sleeper), ==, 0);
  g_assert_cmpint (status (fx, &out), ==, 1);
  g_assert_nonnull (strstr (out, "27 pending"));
  g_assert_nonnull (strstr (out, "cancelled"));
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

/* How many results of item @index with @status the ledgers keep. */
static guint
count_kept (Fixture *fx, guint index, const char *status_text)
{
  g_autofree char *ledgers = g_build_filename (fx->jobdir, "ledgers", NULL);
  g_autoptr (GDir) d = g_dir_open (ledgers, 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr (GPtrArray) lines = NULL;
      if (!g_str_has_suffix (name, ".results"))
        continue;
      path = g_build_filename (ledgers, name, NULL);
      lines = fh_test_read_results (path);
      for (guint i = 0; i < lines->len; i++)
        {
          JsonObject *o = g_ptr_array_index (lines, i);
          n += json_object_get_int_member (o, "index") == index &&
               g_strcmp0 (json_object_get_string_member (o, "status"), status_text) == 0;
        }
    }
  return n;
}

static void
test_resume (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *ok = g_build_filename (fx->dir, "ok", NULL);
  g_autoptr (GPtrArray) all = NULL;

  /* Frames 5 and 6 fail until the file "ok" exists (a missing asset that
   * a wrangler then fixes). */
  prepare (fx, "{\"agenda\": {\"frames\": \"1-6\", \"command\":"
               " \"echo {frame} >> runs.txt; [ {frame} -le 4 ] || [ -e ok ]\"}}", "5");
  run_workers (fx, -1);
  g_assert_cmpint (status (fx, NULL), ==, 1);
  g_assert_true (g_file_set_contents (ok, "", 0, NULL));
  g_assert_cmpint (resume (fx, &out), ==, 0);
  g_assert_nonnull (strstr (out, "resuming 2 of 6 items"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (status (fx, &out), ==, 3);
  g_assert_nonnull (strstr (out, "4 complete, 0 failed, 0 running, 2 pending"));
  g_clear_pointer (&out, g_free);
  run_workers (fx, 0);
  g_assert_cmpint (status (fx, NULL), ==, 0);
  /* Only the failed items ran again, as their second attempt; the failed
   * results are kept as history. */
  g_assert_cmpuint (fh_test_count_lines (fx->dir, "runs.txt"), ==, 8);
  all = results (fx);
  for (guint i = 0; i < 6; i++)
    {
      JsonObject *r = g_ptr_array_index (all, i);
      g_assert_cmpstr (json_object_get_string_member (r, "status"), ==, "complete");
      g_assert_cmpint (json_object_get_int_member (r, "attempts"), ==, i < 4 ? 1 : 2);
    }
  g_assert_cmpuint (count_kept (fx, 5, "failed"), ==, 1);
  g_assert_cmpint (resume (fx, &out), ==, 0);
  g_assert_nonnull (strstr (out, "nothing to run"));
}

static void
test_cancel_then_resume (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *hang = g_build_filename (fx->dir, "hang", NULL);
  FhTestRun r;

  g_assert_true (g_file_set_contents (hang, "", 0, NULL));
  prepare (fx, "{\"agenda\": {\"frames\": \"1-12\", \"command\":"
               " \"if [ -e hang ]; then sleep MARKER; fi\"}, \"timeouts\": {\"grace_s\": 2}}", "5");
  start_workers (fx);
  g_assert_true (fh_test_await_procs (fx->sleeper, N_WORKERS, 20000 * fh_test_time_factor ()));
  /* Nothing is set aside under running workers' feet. */
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
  g_assert_nonnull (strstr (out, "resuming 12 of 12 items"));
  g_clear_pointer (&out, g_free);
  run_workers (fx, 0);
  g_assert_cmpint (status (fx, &out), ==, 0);
  g_assert_nonnull (strstr (out, "12 complete, 0 failed"));
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
  g_autoptr (GPtrArray) all = NULL;
  JsonObject *result;

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
  all = results (fx);
  result = g_ptr_array_index (all, 0);
  g_assert_cmpstr (json_object_get_string_member (result, "worker"), ==, "w0");
  g_assert_cmpint (json_object_get_int_member (result, "attempts"), ==, 1);
  g_assert_false (claim_exists (fx, 0, 2));
}

static void
test_bad_input (Fixture *fx, gconstpointer data)
{
  g_autofree char *job = fh_test_write (fx->dir, "job.json", "{\"agenda\": {\"frames\": \"1\", \"command\": \"true\"}}");
  FhTestRun r = fh_test_farmhand (fx->dir, "worker", fx->dir, NULL);

  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_nonnull (strstr (r.err, "is not a farmhand job directory"));
  fh_test_run_clear (&r);
  /* A job directory is never reused by accident. */
  r = fh_test_farmhand (fx->dir, "submit", "--prepare", "--jobdir", fx->dir, job, NULL);
  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_nonnull (strstr (r.err, "exists and is not empty"));
  fh_test_run_clear (&r);
  r = fh_test_farmhand (fx->dir, "submit", job, NULL);
  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_nonnull (strstr (r.err, "--slurm, or --prepare"));
  fh_test_run_clear (&r);
  r = fh_test_farmhand (fx->dir, "submit", "--prepare", "--resume", fx->dir, NULL);
  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_nonnull (strstr (r.err, "is not a farmhand job directory"));
  fh_test_run_clear (&r);
}

/* "Errors avoid host": a worker whose items fail again and again with one
 * machine-bound class stops taking items and says why; another worker
 * (a healthy machine) finishes the job. */
static void
test_avoid_host (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *ok = g_build_filename (fx->dir, "ok", NULL);
  g_autoptr (GPtrArray) all = NULL;

  prepare (fx, "{\"log\": {\"preset\": \"blender\"}, \"avoid_host_after\": 2,"
               " \"agenda\": {\"frames\": \"1-5\", \"command\":"
               " \"if [ -e ok ]; then echo fine {frame}; else echo 'Error: CUDA error: device lost'; fi\"}}", "5");
  fx->workers[0] = start_worker (fx, "w0");
  g_assert_cmpint (finish (fx->workers[0]), ==, 1);
  g_clear_object (&fx->workers[0]);
  g_assert_cmpint (status (fx, &out), ==, 3);
  g_assert_nonnull (strstr (out, "0 complete, 2 failed, 0 running, 3 pending"));
  g_assert_nonnull (strstr (out, "avoided"));
  g_assert_nonnull (strstr (out, "2 items in a row failed with gpu on this machine"));
  all = results (fx);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (all, i), "class"), ==, "gpu");
  /* A healthy machine takes the rest. */
  g_assert_true (g_file_set_contents (ok, "", 0, NULL));
  fx->workers[1] = start_worker (fx, "w1");
  g_assert_cmpint (finish (fx->workers[1]), ==, 0);
  g_clear_object (&fx->workers[1]);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (status (fx, &out), ==, 1);
  g_assert_nonnull (strstr (out, "3 complete, 2 failed, 0 running, 0 pending"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/workers/spread", test_spread);
  ADD ("/workers/dead-worker-item-runs-again", test_dead_worker);
  ADD ("/workers/frozen-worker-is-fenced", test_frozen_worker);
  ADD ("/workers/restart-under-old-name", test_restart_same_name);
  ADD ("/workers/name-in-use-waits", test_name_in_use);
  ADD ("/workers/status-exit-codes", test_status_codes);
  ADD ("/workers/cancel-runs-teardown", test_cancel);
  ADD ("/workers/resume-failed-items", test_resume);
  ADD ("/workers/cancel-then-resume", test_cancel_then_resume);
  ADD ("/workers/clock-skew", test_clock_skew);
  ADD ("/workers/bad-input", test_bad_input);
  ADD ("/workers/avoid-host", test_avoid_host);
#undef ADD
  return g_test_run ();
}
