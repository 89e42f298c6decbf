/* test-slurm.c — scale-out on a real Slurm cluster: `farmhand submit
 * --slurm` puts one array job of workers on it, `farmhand status` follows
 * it, a worker killed mid-item has its item run again by another, and
 * `farmhand cancel` leaves nothing behind.  .ci/run starts a local
 * single-node cluster (../shared/slurm/start-local-slurm.sh); without one
 * the tests skip and say so. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "fh-test-utils.h"

typedef struct
{
  char *dir;
  char *jobdir;
  char *slurm_job;
  char *marker;       /* "sleep MARKER" is this test's hanging command */
  char *sleeper;
} Fixture;

static gboolean
have_cluster (void)
{
  g_autofree char *out = NULL;
  g_auto (GStrv) states = NULL;
  int status = -1;
  const char *argv[] = { "sinfo", "--noheader", "--responding", "--format=%T", NULL };

  /* Any node that answers and is not down, drained or failing will do
   * (between jobs it may be "completing"). */
  if (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, &out, NULL, &status, NULL) && status == 0)
    {
      states = g_strsplit (out, "\n", -1);
      for (guint i = 0; states[i] != NULL; i++)
        if (states[i][0] != '\0' && !g_str_has_prefix (states[i], "down") &&
            !g_str_has_prefix (states[i], "drain") && !g_str_has_prefix (states[i], "fail"))
          return TRUE;
    }
  g_test_skip ("no Slurm cluster here: .ci/run starts one with "
               "../shared/slurm/start-local-slurm.sh (as root)");
  return FALSE;
}

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
  /* Whatever a failed test left queued goes. */
  if (fx->slurm_job != NULL)
    {
      const char *argv[] = { "scancel", fx->slurm_job, NULL };
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                    G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    }
  fh_test_rmtree (fx->dir);
  g_free (fx->dir);
  g_free (fx->jobdir);
  g_free (fx->slurm_job);
  g_free (fx->marker);
  g_free (fx->sleeper);
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

/* `farmhand submit --slurm --workers 3` of @json; keeps the job id. */
static void
submit (Fixture *fx, const char *json, const char *lease)
{
  g_autofree char *text = fh_test_with_marker (json, fx->marker);
  g_autofree char *job = fh_test_write (fx->dir, "job.json", text);
  FhTestRun r = fh_test_farmhand (fx->dir, "submit", "--slurm", "--workers", "3", "--jobdir",
                                  fx->jobdir, "--lease", lease, "--quiet", job, NULL);

  if (r.exit_code != 0)
    g_error ("submit failed (%d): %s%s", r.exit_code, r.out, r.err);
  fx->slurm_job = g_strdup (g_strstrip (r.out));
  g_assert_true (g_ascii_isdigit (fx->slurm_job[0]));
  fh_test_run_clear (&r);
}

/* `farmhand status` until it says the job is over (not 3). */
static int
await_end (Fixture *fx, char **out)
{
  gint64 until = g_get_monotonic_time () + 180 * G_USEC_PER_SEC * fh_test_time_factor ();

  for (;;)
    {
      FhTestRun r = fh_test_farmhand (fx->dir, "status", fx->jobdir, NULL);
      int code = r.exit_code;

      if (code != 3 || g_get_monotonic_time () > until)
        {
          *out = g_steal_pointer (&r.out);
          fh_test_run_clear (&r);
          return code;
        }
      fh_test_run_clear (&r);
      g_usleep (250 * 1000);
    }
}

static void
test_forty_items (Fixture *fx, gconstpointer data)
{
  g_autoptr (GHashTable) by_worker = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) all = NULL;
  g_autofree char *out = NULL;
  gint64 t0 = g_get_monotonic_time ();

  if (!have_cluster ())
    return;
  submit (fx, "{\"name\": \"forty\", \"setup\": \"echo $$ >> setups.txt\","
              " \"agenda\": {\"frames\": \"1-40\", \"command\": \"sleep 0.3; echo frame {frame}\"}}", "10");
  g_assert_cmpint (await_end (fx, &out), ==, 0);
  g_test_message ("40 items over 3 Slurm workers in %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (strstr (out, "40 complete, 0 failed, 0 running, 0 pending") != NULL);
  all = results (fx);
  g_assert_cmpuint (all->len, ==, 40);
  for (guint i = 0; i < 40; i++)
    {
      JsonObject *r = g_ptr_array_index (all, i);
      const char *worker = json_object_get_string_member (r, "worker");
      g_autofree char *prefix = g_strdup_printf ("slurm-%s_", fx->slurm_job);
      g_assert_true (g_str_has_prefix (worker, prefix));
      g_hash_table_add (by_worker, g_strdup (worker));
    }
  /* Dynamic claiming spread the work over all three array tasks, each of
   * which ran setup once. */
  g_assert_cmpuint (g_hash_table_size (by_worker), ==, 3);
  g_assert_cmpuint (fh_test_count_lines (fx->dir, "setups.txt"), ==, 3);
}

static void
test_worker_killed (Fixture *fx, gconstpointer data)
{
  g_autofree char *first = NULL;
  g_autofree char *out = NULL;
  g_autofree char *worker_file = NULL;
  g_autofree char *holder = NULL;
  g_autoptr (JsonObject) worker = NULL;
  g_autoptr (GPtrArray) all = NULL;
  JsonObject *result;

  if (!have_cluster ())
    return;
  /* Item 7's first run hangs; its worker is SIGKILLed (a lost node). */
  submit (fx, "{\"agenda\": {\"frames\": \"1-20\", \"command\":"
              " \"if [ {frame} = 7 ] && mkdir first-7 2>/dev/null; then sleep MARKER; fi; sleep 0.2\"}}", "2");
  first = g_build_filename (fx->dir, "first-7", NULL);
  fh_test_await_file (first, 60000 * fh_test_time_factor ());
  holder = claim_owner (fx, 6, 1);
  worker_file = g_strdup_printf ("workers/%s.json", holder);
  worker = fh_test_read_json (fx->jobdir, worker_file);
  g_assert_cmpint (kill ((pid_t) json_object_get_int_member (worker, "pid"), SIGKILL), ==, 0);
  g_assert_cmpint (await_end (fx, &out), ==, 0);
  all = results (fx);
  result = g_ptr_array_index (all, 6);
  g_assert_cmpint (json_object_get_int_member (result, "attempts"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (result, "worker"), !=, holder);
  g_assert_true (fh_test_await_procs (fx->sleeper, 0, 5000 * fh_test_time_factor ()));
}

static void
test_cancel_then_resume (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *hang = g_build_filename (fx->dir, "hang", NULL);
  FhTestRun r;

  if (!have_cluster ())
    return;
  g_assert_true (g_file_set_contents (hang, "", 0, NULL));
  submit (fx, "{\"agenda\": {\"frames\": \"1-30\", \"command\": \"if [ -e hang ]; then sleep MARKER; fi\"},"
              " \"teardown\": \"echo $$ >> teardowns.txt\", \"timeouts\": {\"grace_s\": 2}}", "10");
  g_assert_true (fh_test_await_procs (fx->sleeper, 3, 60000 * fh_test_time_factor ()));
  /* A resume while the array runs would race its workers. */
  r = fh_test_farmhand (fx->dir, "submit", "--resume", "--slurm", fx->jobdir, NULL);
  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_true (strstr (r.err, "still runs job") != NULL);
  fh_test_run_clear (&r);
  r = fh_test_farmhand (fx->dir, "cancel", "--grace", "30", fx->jobdir, NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  fh_test_run_clear (&r);
  /* Each worker ran teardown; nothing of the job is left running. */
  g_assert_cmpuint (fh_test_count_lines (fx->dir, "teardowns.txt"), ==, 3);
  g_assert_true (fh_test_await_procs (fx->sleeper, 0, 10000 * fh_test_time_factor ()));
  g_assert_true (fh_test_await_procs_with_arg (fx->jobdir, 0, 10000 * fh_test_time_factor ()));
  g_assert_cmpint (await_end (fx, &out), ==, 1);
  g_assert_true (strstr (out, "cancelled") != NULL);
  g_clear_pointer (&out, g_free);
  /* With the cause gone, a new array finishes the job. */
  g_assert_cmpint (g_unlink (hang), ==, 0);
  r = fh_test_farmhand (fx->dir, "submit", "--resume", "--slurm", "--workers", "2", "--quiet",
                        fx->jobdir, NULL);
  if (r.exit_code != 0)
    g_error ("resume failed (%d): %s%s", r.exit_code, r.out, r.err);
  g_free (fx->slurm_job);
  fx->slurm_job = g_strdup (g_strstrip (r.out));
  fh_test_run_clear (&r);
  g_assert_cmpint (await_end (fx, &out), ==, 0);
  g_assert_true (strstr (out, "30 complete, 0 failed") != NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/slurm/forty-items-three-workers", test_forty_items);
  ADD ("/slurm/killed-worker-item-runs-again", test_worker_killed);
  ADD ("/slurm/cancel-leaves-nothing-then-resume", test_cancel_then_resume);
#undef ADD
  return g_test_run ();
}
