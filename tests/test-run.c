/* test-run.c — end to end: the real `farmhand run` loading the real plugin,
 * starting real executors, writing real files. */
#include "config.h"

#include "fh-test-utils.h"

typedef FhTestJobDir Fixture;

static FhTestRun
run_job (Fixture *fx, const char *json)
{
  fh_test_job_dir_write_job (fx, json);
  return fh_test_farmhand (fx->dir, "run", fx->job, "--results", fx->results, NULL);
}

static gboolean
exists (Fixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->dir, name, NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_shell_frames (Fixture *fx, gconstpointer data)
{
  FhTestRun r = run_job (fx,
      "{\"name\": \"frames\","
      " \"setup\": [\"export GREETING='hello from setup'\", \"mkdir -p out\"],"
      " \"agenda\": {\"frames\": \"1-5\", \"command\": \"echo \\\"$GREETING: frame {frame}\\\" > out/f{frame:04}.txt\"},"
      " \"teardown\": [\"ls out > teardown.txt\"]}");
  g_autoptr (GPtrArray) results = fh_test_read_results (fx->results);
  g_autofree char *listing_path = g_build_filename (fx->dir, "teardown.txt", NULL);
  g_autofree char *listing = NULL;

  g_assert_cmpint (r.exit_code, ==, 0);
  g_assert_cmpuint (results->len, ==, 5);
  for (int i = 1; i <= 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("out/f%04d.txt", i);
      g_autofree char *path = g_build_filename (fx->dir, name, NULL);
      g_autofree char *text = fh_test_read (path);
      g_autofree char *want = g_strdup_printf ("hello from setup: frame %d\n", i);
      g_autofree char *item = g_strdup_printf ("%d", i);

      g_assert_cmpstr (text, ==, want);
      g_assert_cmpstr (fh_test_result_field (results, i - 1, "name"), ==, item);
      g_assert_cmpstr (fh_test_result_field (results, i - 1, "status"), ==, "complete");
    }
  /* Teardown ran after every frame. */
  listing = fh_test_read (listing_path);
  g_assert_cmpstr (listing, ==, "f0001.txt\nf0002.txt\nf0003.txt\nf0004.txt\nf0005.txt\n");
  g_assert_true (strstr (r.out, "job frames: 5 complete, 0 failed (5 items)") != NULL);
  fh_test_run_clear (&r);
}

static void
test_failing_frame (Fixture *fx, gconstpointer data)
{
  FhTestRun r = run_job (fx,
      "{\"agenda\": {\"frames\": \"1-5\", \"command\": "
      "\"if [ {frame} = 3 ]; then echo 'Error: cannot open scene' >&2; exit_status=4; else exit_status=0; fi; touch done{frame}; (exit $exit_status)\"}}");
  g_autoptr (GPtrArray) results = fh_test_read_results (fx->results);
  const char *tb;

  g_assert_cmpint (r.exit_code, ==, 1);
  g_assert_cmpuint (results->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpstr (fh_test_result_field (results, i, "status"), ==, i == 2 ? "failed" : "complete");
  tb = fh_test_result_field (results, 2, "traceback");
  g_assert_nonnull (tb);
  g_assert_true (strstr (tb, "command exited with status 4") != NULL);
  g_assert_true (strstr (tb, "Error: cannot open scene") != NULL);
  g_assert_null (fh_test_result_field (results, 1, "traceback"));
  /* The failure does not stop the job. */
  g_assert_true (exists (fx, "done5"));
  g_assert_true (strstr (r.out, "FAILED    3") != NULL);
  fh_test_run_clear (&r);
}

static void
test_python_job (Fixture *fx, gconstpointer data)
{
  FhTestRun r = run_job (fx,
      "{\"executor\": \"python\","
      " \"setup\": [\"scene = {{'loaded': 0}}\", \"scene['loaded'] += 1\\nrendered = []\"],"
      " \"agenda\": {\"frames\": \"1-3\", \"command\": \"rendered.append({frame})\\nassert scene['loaded'] == 1\\nif {frame} == 2:\\n    open('/nonexistent/scene.blend')\"},"
      " \"teardown\": \"open('teardown.txt', 'w').write(repr(rendered))\"}");
  g_autoptr (GPtrArray) results = fh_test_read_results (fx->results);
  const char *tb = fh_test_result_field (results, 1, "traceback");
  g_autofree char *td_path = g_build_filename (fx->dir, "teardown.txt", NULL);
  g_autofree char *td = fh_test_read (td_path);

  g_assert_cmpint (r.exit_code, ==, 1);
  g_assert_cmpstr (fh_test_result_field (results, 0, "status"), ==, "complete");
  g_assert_cmpstr (fh_test_result_field (results, 1, "status"), ==, "failed");
  g_assert_cmpstr (fh_test_result_field (results, 2, "status"), ==, "complete");
  /* A real Python traceback... */
  g_assert_true (g_str_has_prefix (tb, "Traceback (most recent call last):"));
  g_assert_true (strstr (tb, "FileNotFoundError: [Errno 2] No such file or directory: '/nonexistent/scene.blend'") != NULL);
  /* ...and one namespace across setup, items and teardown. */
  g_assert_cmpstr (td, ==, "[1, 2, 3]");
  fh_test_run_clear (&r);
}

static void
test_setup_fails (Fixture *fx, gconstpointer data)
{
  FhTestRun r = run_job (fx,
      "{\"setup\": [\"true\", \"echo 'license server unreachable' >&2; false\", \"touch setup3\"],"
      " \"agenda\": {\"frames\": \"1-3\", \"command\": \"touch item{frame}\"},"
      " \"teardown\": [\"touch teardown\"]}");
  g_autoptr (GPtrArray) results = fh_test_read_results (fx->results);

  g_assert_cmpint (r.exit_code, ==, 1);
  /* No agenda item ran, setup stopped at the failure, teardown still ran. */
  g_assert_false (exists (fx, "item1"));
  g_assert_false (exists (fx, "setup3"));
  g_assert_true (exists (fx, "teardown"));
  g_assert_cmpuint (results->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      const char *tb = fh_test_result_field (results, i, "traceback");
      g_assert_cmpstr (fh_test_result_field (results, i, "status"), ==, "failed");
      g_assert_true (g_str_has_prefix (tb, "not run: setup[1] failed: command exited with status 1"));
      g_assert_true (strstr (tb, "license server unreachable") != NULL);
    }
  fh_test_run_clear (&r);
}

static void
test_executor_dies (Fixture *fx, gconstpointer data)
{
  FhTestRun r = run_job (fx,
      "{\"setup\": \"echo setup >> setups.txt\","
      " \"agenda\": {\"frames\": \"1-4\", \"command\": \"echo rendering {frame}; if [ {frame} = 2 ]; then kill -9 $PPID; sleep 10; fi\"},"
      " \"teardown\": [\"touch teardown\"]}");
  g_autoptr (GPtrArray) results = fh_test_read_results (fx->results);
  g_autofree char *setups_path = g_build_filename (fx->dir, "setups.txt", NULL);
  g_autofree char *setups = fh_test_read (setups_path);
  const char *tb2;

  /* Item 2 fails with how the executor died; a fresh executor (setup run
   * again) finishes the job. */
  g_assert_cmpint (r.exit_code, ==, 1);
  g_assert_cmpuint (results->len, ==, 4);
  tb2 = fh_test_result_field (results, 1, "traceback");
  g_assert_true (strstr (tb2, "was killed by signal 9 (Killed) while running this command") != NULL);
  g_assert_true (strstr (tb2, "rendering 2") != NULL);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpstr (fh_test_result_field (results, i, "status"), ==, i == 1 ? "failed" : "complete");
  g_assert_cmpstr (setups, ==, "setup\nsetup\n");
  g_assert_true (exists (fx, "teardown"));
  fh_test_run_clear (&r);
}

static void
test_invalid_job (Fixture *fx, gconstpointer data)
{
  FhTestRun r = run_job (fx, "{\"agenda\": {\"frames\": \"1-3\", \"comand\": \"x\"}}");

  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_true (strstr (r.err, "agenda.comand: unknown field, did you mean 'command'?") != NULL);
  g_assert_true (strstr (r.err, "agenda.command: is required with 'frames'") != NULL);
  g_assert_false (exists (fx, "results.jsonl"));
  fh_test_run_clear (&r);
}

static void
test_usage (Fixture *fx, gconstpointer data)
{
  FhTestRun none = fh_test_farmhand (fx->dir, NULL);
  FhTestRun bad = fh_test_farmhand (fx->dir, "frobnicate", NULL);
  FhTestRun missing = fh_test_farmhand (fx->dir, "run", "nope.json", NULL);
  FhTestRun help = fh_test_farmhand (fx->dir, "run", "--help", NULL);

  g_assert_cmpint (none.exit_code, ==, 2);
  g_assert_cmpint (bad.exit_code, ==, 2);
  g_assert_true (strstr (bad.err, "unknown command 'frobnicate'") != NULL);
  g_assert_cmpint (missing.exit_code, ==, 2);
  g_assert_true (strstr (missing.err, "nope.json") != NULL);
  g_assert_cmpint (help.exit_code, ==, 0);
  g_assert_true (strstr (help.out, "--results") != NULL);
  fh_test_run_clear (&none);
  fh_test_run_clear (&bad);
  fh_test_run_clear (&missing);
  fh_test_run_clear (&help);
}

static void
test_relative_cwd (Fixture *fx, gconstpointer data)
{
  g_autofree char *sub = g_build_filename (fx->dir, "jobs", "shot", NULL);
  g_autofree char *work = g_build_filename (sub, "work", NULL);
  g_autofree char *here_path = g_build_filename (work, "here.txt", NULL);
  g_autofree char *name_path = g_build_filename (work, "name.txt", NULL);
  g_autofree char *job = NULL;
  FhTestRun r;

  g_mkdir_with_parents (work, 0755);
  job = fh_test_write (sub, "job.json",
                       "{\"cwd\": \"work\", \"agenda\": {\"frames\": \"1\", \"command\": \"pwd > here.txt; echo {job} > name.txt\"}}");
  /* Run from elsewhere: the relative cwd is anchored at the job file. */
  r = fh_test_farmhand ("/", "run", job, NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  {
    g_autofree char *here = fh_test_read (here_path);
    g_autofree char *name = fh_test_read (name_path);
    g_autofree char *want = g_strdup_printf ("%s\n", work);
    g_assert_cmpstr (here, ==, want);
    g_assert_cmpstr (name, ==, "shot\n");
  }
  fh_test_run_clear (&r);
}

static void
test_example_frames (Fixture *fx, gconstpointer data)
{
  g_autofree char *job = g_test_build_filename (G_TEST_DIST, "..", "examples", "frames", "job.json", NULL);
  FhTestRun r = fh_test_farmhand (fx->dir, "run", job, "--results", fx->results, NULL);
  g_autoptr (GPtrArray) results = fh_test_read_results (fx->results);

  g_assert_cmpint (r.exit_code, ==, 0);
  /* 24 frames in chunks of 4. */
  g_assert_cmpuint (results->len, ==, 6);
  for (guint i = 0; i < results->len; i++)
    {
      g_autofree char *name = g_strdup_printf ("%u-%u", 4 * i + 1, 4 * i + 4);
      g_assert_cmpstr (fh_test_result_field (results, i, "status"), ==, "complete");
      g_assert_cmpstr (fh_test_result_field (results, i, "name"), ==, name);
    }
  /* Output lands under the current directory, never in the source tree. */
  g_assert_true (exists (fx, "farmhand-out/frames"));
  fh_test_run_clear (&r);
}

/* Every failed result says what kind of failure it was, and retries
 * follow the class: a log preset's classes, signals, exit statuses,
 * timeouts, the job's own error patterns. */
static void
test_failure_classes (Fixture *fx, gconstpointer data)
{
  FhTestRun r = run_job (fx,
      "{\"log\": {\"preset\": \"blender\", \"errors\": \"^STUDIO-ERR-4410\"},"
      " \"timeouts\": {\"command_s\": 2},"
      " \"retries\": {\"default\": 1, \"missing_input\": 0, \"timeout\": 0},"
      " \"agenda\": {\"items\": ["
      "  {\"name\": \"gpu\", \"command\": \"echo 'Error: CUDA error: Launch failed in cuCtxSynchronize()'\"},"
      "  {\"name\": \"missing\", \"command\": \"echo 'Error: Cannot read file \\\"/x.blend\\\": No such file'\"},"
      "  {\"name\": \"crash\", \"command\": \"sh -c 'kill -SEGV $$'\"},"
      "  {\"name\": \"exit\", \"command\": \"(exit 3)\"},"
      "  {\"name\": \"timeout\", \"command\": \"sleep 30\"},"
      "  {\"name\": \"error\", \"command\": \"echo STUDIO-ERR-4410 the pipeline says no\"},"
      "  {\"name\": \"fine\", \"command\": \"echo \\\"Saved: '$PWD/fine.png'\\\"; echo png > fine.png\"}]}}");
  g_autoptr (GPtrArray) results = fh_test_read_results (fx->results);
  static const struct { const char *cls; const char *reason; gint64 attempts; } want[] = {
    { "gpu", "Error: CUDA error: Launch failed in cuCtxSynchronize()", 2 },
    { "missing_input", "Error: Cannot read file \"/x.blend\": No such file", 1 },
    { "crash", "the command was killed by SIGSEGV (status 139)", 2 },
    { "exit_code", "the command exited with status 3", 2 },
    { "timeout", "timeout after 2 s*", 1 },
    { "error", "STUDIO-ERR-4410 the pipeline says no", 2 },
    { NULL, NULL, 1 },
  };

  g_assert_cmpint (r.exit_code, ==, 1);
  g_assert_cmpuint (results->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      JsonObject *o = g_ptr_array_index (results, i);
      const char *cls = json_object_get_string_member_with_default (o, "class", NULL);
      const char *reason = json_object_get_string_member_with_default (o, "reason", NULL);

      g_assert_cmpstr (cls, ==, want[i].cls);
      if (want[i].reason != NULL && !g_pattern_match_simple (want[i].reason, reason))
        g_error ("item %u: reason '%s', not '%s'", i, reason, want[i].reason);
      g_assert_cmpint (json_object_get_int_member (o, "attempts"), ==, want[i].attempts);
    }
  g_assert_cmpstr (fh_test_result_field (results, 6, "status"), ==, "complete");
  /* What a wrangler sees. */
  /* What a wrangler sees: the line, which names the file. */
  g_assert_nonnull (strstr (r.out, "missing_input: Error: Cannot read file \"/x.blend\": No such file"));
  fh_test_run_clear (&r);
}

/* Outputs: none reported though required, and a file too small. */
static void
test_output_classes (Fixture *fx, gconstpointer data)
{
  FhTestRun r = run_job (fx,
      "{\"outputs_required\": true, \"min_output_bytes\": 10, \"log\": {\"preset\": \"blender\"},"
      " \"agenda\": {\"items\": ["
      "  {\"name\": \"none\", \"command\": \"echo rendered nothing\"},"
      "  {\"name\": \"small\", \"command\": \"echo \\\"Saved: '$PWD/small.png'\\\"; echo x > small.png\"}]}}");
  g_autoptr (GPtrArray) results = fh_test_read_results (fx->results);

  g_assert_cmpint (r.exit_code, ==, 1);
  g_assert_cmpstr (fh_test_result_field (results, 0, "class"), ==, "output_missing");
  g_assert_cmpstr (fh_test_result_field (results, 1, "class"), ==, "bad_output");
  g_assert_nonnull (strstr (fh_test_result_field (results, 1, "reason"), "small.png"));
  fh_test_run_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fh_test_job_dir_set_up, func, fh_test_job_dir_tear_down)
  ADD ("/run/shell-frames", test_shell_frames);
  ADD ("/run/failing-frame", test_failing_frame);
  ADD ("/run/python-job", test_python_job);
  ADD ("/run/setup-fails", test_setup_fails);
  ADD ("/run/executor-dies", test_executor_dies);
  ADD ("/run/invalid-job", test_invalid_job);
  ADD ("/run/usage", test_usage);
  ADD ("/run/relative-cwd", test_relative_cwd);
  ADD ("/run/example-frames", test_example_frames);
  ADD ("/run/failure-classes", test_failure_classes);
  ADD ("/run/output-classes", test_output_classes);
#undef ADD
  return g_test_run ();
}
