/* test-log.c — real-time log parsing end to end: items that "succeed" with
 * errors in their log or wrong outputs fail, with a reason naming what is
 * wrong; progress and outputs reach the results. */
#include "config.h"

#include "fh-test-utils.h"

typedef FhTestJobDir Fixture;

static int
run_job (Fixture *fx, const char *json)
{
  FhTestRun r;
  int code;

  fh_test_job_dir_write_job (fx, json);
  r = fh_test_farmhand (fx->dir, "run", fx->job, "--results", fx->results, NULL);
  code = r.exit_code;
  fh_test_run_clear (&r);
  fh_test_job_dir_load_results (fx);
  return code;
}

static void
assert_status (Fixture *fx, guint i, const char *status, const char *traceback_pattern)
{
  JsonObject *o = fh_test_job_dir_result (fx, i);
  const char *tb = json_object_get_string_member_with_default (o, "traceback", "");

  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, status);
  if (traceback_pattern != NULL && !g_pattern_match_simple (traceback_pattern, tb))
    g_error ("item %u: traceback '%s' does not match '%s'", i, tb, traceback_pattern);
}

static const char acceptance_job[] =
  "{\"outputs_required\": true,"
  " \"log\": {\"errors\": [\"^ERROR:\"], \"warnings\": \"^WARNING:\", \"highlights\": \"^Render time\","
  "         \"ignore\": \"ERROR: harmless\", \"progress\": \"(?<pct>\\\\d+)% done\","
  "         \"outputs\": \"Saved: '(?<path>[^']+)'\"},"
  " \"setup\": \"mkdir -p out\","
  " \"agenda\": {\"items\": ["
  "  {\"name\": \"good\", \"command\": \"echo '50% done'; echo 'WARNING: slow'; printf png > out/good.png;"
  "     echo \\\"Saved: 'out/good.png'\\\"; echo 'ERROR: harmless thing'; echo 'Render time 3s'; echo '100% done'\"},"
  "  {\"name\": \"error-line\", \"command\": \"printf x > out/e.png; echo \\\"Saved: 'out/e.png'\\\"; echo 'ERROR: out of memory'\"},"
  "  {\"name\": \"silent\", \"command\": \"true\"},"
  "  {\"name\": \"empty\", \"command\": \": > out/empty.png; echo \\\"Saved: 'out/empty.png'\\\"\"},"
  "  {\"name\": \"missing\", \"command\": \"echo \\\"Saved: 'out/nope.png'\\\"\"}]}}";

static void
test_acceptance (Fixture *fx, gconstpointer data)
{
  JsonObject *good, *outs0;

  g_assert_cmpint (run_job (fx, acceptance_job), ==, 1);
  g_assert_cmpuint (fx->lines->len, ==, 5);
  assert_status (fx, 0, "complete", "");
  assert_status (fx, 1, "failed", "the log matched an error pattern 1 time; first (log.errors[0]): ERROR: out of memory");
  assert_status (fx, 2, "failed", "no output was reported (outputs_required)");
  assert_status (fx, 3, "failed", "output */out/empty.png is 0 bytes, less than min_output_bytes (1)");
  assert_status (fx, 4, "failed", "output */out/nope.png does not exist (No such file or directory)");
  /* What the good item's log said is in its result. */
  good = fh_test_job_dir_result (fx, 0);
  g_assert_cmpint (json_object_get_int_member (good, "warnings"), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (good, "highlights"), 0), ==, "Render time 3s");
  g_assert_cmpfloat (json_object_get_double_member (good, "progress"), ==, 1.0);
  g_assert_false (json_object_has_member (good, "errors"));
  outs0 = json_array_get_object_element (json_object_get_array_member (good, "outputs"), 0);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (outs0, "path"), "/out/good.png"));
  g_assert_cmpint (json_object_get_int_member (outs0, "bytes"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (fh_test_job_dir_result (fx, 1), "errors"), "count"), ==, 1);
}

static void
test_invalid_regex_stops_job (Fixture *fx, gconstpointer data)
{
  g_autofree char *job = fh_test_write (fx->dir, "job.json",
      "{\"log\": {\"errors\": [\"^ERROR\", \"(unclosed\"]}, \"setup\": \"touch setup-ran\","
      " \"agenda\": {\"frames\": \"1\", \"command\": \"touch item-ran\"}}");
  g_autofree char *marker = g_build_filename (fx->dir, "setup-ran", NULL);
  FhTestRun r = fh_test_farmhand (fx->dir, "run", job, NULL);

  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_true (strstr (r.err, "log.errors[1]: invalid regular expression: missing closing "
                                "parenthesis at offset 9 in \"(unclosed\"") != NULL);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  fh_test_run_clear (&r);
}

static void
test_python_api (Fixture *fx, gconstpointer data)
{
  JsonObject *o;
  JsonArray *outs;

  g_assert_cmpint (run_job (fx,
      "{\"executor\": \"python\", \"setup\": \"import os\\nos.makedirs('out', exist_ok=True)\","
      " \"agenda\": {\"frames\": \"1-2\", \"command\":"
      " \"farmhand.progress(0.5)\\np = 'out/f{frame}.exr'\\nif {frame} == 1:\\n    open(p, 'w').write('pixels')\\n"
      "farmhand.output(p)\\nfarmhand.log('wrote ' + p)\\nfarmhand.progress(1.0)\"}}"), ==, 1);
  o = fh_test_job_dir_result (fx, 0);
  assert_status (fx, 0, "complete", NULL);
  g_assert_cmpfloat (json_object_get_double_member (o, "progress"), ==, 1.0);
  outs = json_object_get_array_member (o, "outputs");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (outs, 0), "bytes"), ==, 6);
  assert_status (fx, 1, "failed", "output */out/f2.exr does not exist*");
}

static void
test_openjd_directives (Fixture *fx, gconstpointer data)
{
  g_assert_cmpint (run_job (fx,
      "{\"agenda\": {\"items\": ["
      " {\"name\": \"a\", \"command\": \"echo 'openjd_progress: 30'; echo 'openjd_status: tile 3 of 10'\"},"
      " {\"name\": \"b\", \"command\": \"echo 'openjd_fail: scene has no camera'\"}]}}"), ==, 1);
  assert_status (fx, 0, "complete", NULL);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (fh_test_job_dir_result (fx, 0), "progress"), 0.3, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (fh_test_job_dir_result (fx, 0), "status_message"), ==, "tile 3 of 10");
  assert_status (fx, 1, "failed", "openjd_fail: scene has no camera");
}

static void
test_line_endings_and_utf8 (Fixture *fx, gconstpointer data)
{
  JsonObject *o;
  const char *line;

  /* Progress redraws with bare CRs, CRLF endings, and bytes that are not
   * UTF-8: every line is seen, repaired, never fatal. */
  g_assert_cmpint (run_job (fx,
      "{\"log\": {\"errors\": \"^ERR\", \"progress\": \"(\\\\d+)%\", \"fail_on_errors\": false},"
      " \"agenda\": {\"frames\": \"1\", \"command\":"
      " \"printf 'render 10%%\\\\rrender 55%%\\\\rrender 90%%\\\\r\\\\nERR \\\\377\\\\376 bad bytes\\\\r\\\\n'\"}}"), ==, 0);
  o = fh_test_job_dir_result (fx, 0);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "progress"), 0.9, 1e-9);
  line = json_array_get_string_element (json_object_get_array_member (
      json_object_get_object_member (o, "errors"), "lines"), 0);
  g_assert_cmpstr (line, ==, "ERR \xef\xbf\xbd\xef\xbf\xbd bad bytes");
}

static void
test_long_line (Fixture *fx, gconstpointer data)
{
  JsonObject *errors;
  JsonArray *highlights;

  /* A 1 MB line starting with ERROR: matched on its first part, then the
   * line after it is seen too. */
  g_assert_cmpint (run_job (fx,
      "{\"log\": {\"errors\": \"^ERROR:\", \"highlights\": \"^after$\"},"
      " \"agenda\": {\"frames\": \"1\", \"command\":"
      " \"printf 'ERROR: '; head -c 1000000 /dev/zero | tr '\\\\0' x; printf '\\\\nafter\\\\n'\"}}"), ==, 1);
  errors = json_object_get_object_member (fh_test_job_dir_result (fx, 0), "errors");
  g_assert_cmpint (json_object_get_int_member (errors, "count"), ==, 1);
  g_assert_cmpuint (strlen (json_array_get_string_element (json_object_get_array_member (errors, "lines"), 0)), <=, 1024);
  highlights = json_object_get_array_member (fh_test_job_dir_result (fx, 0), "highlights");
  g_assert_nonnull (highlights);
  g_assert_cmpuint (json_array_get_length (highlights), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (highlights, 0), ==, "after");
}

static void
test_path_mapped_outputs (Fixture *fx, gconstpointer data)
{
  g_autofree char *json = g_strdup_printf (
      "{\"path_map\": [{\"from\": \"/mnt/proj\", \"to\": \"%s\"}], \"log\": {\"outputs\": \"Saved: (\\\\S+)\"},"
      " \"agenda\": {\"frames\": \"1\", \"command\": \"printf abc > f.png; echo Saved: /mnt/proj/f.png\"}}", fx->dir);
  g_autofree char *want = g_build_filename (fx->dir, "f.png", NULL);
  JsonObject *out;

  g_assert_cmpint (run_job (fx, json), ==, 0);
  out = json_array_get_object_element (json_object_get_array_member (fh_test_job_dir_result (fx, 0), "outputs"), 0);
  g_assert_cmpstr (json_object_get_string_member (out, "path"), ==, want);
  g_assert_cmpint (json_object_get_int_member (out, "bytes"), ==, 3);
}

static void
test_setup_log_error (Fixture *fx, gconstpointer data)
{
  g_assert_cmpint (run_job (fx,
      "{\"log\": {\"errors\": \"^// Error:\"}, \"setup\": \"echo '// Error: file not found: shot.ma'\","
      " \"agenda\": {\"frames\": \"1-2\", \"command\": \"touch ran{frame}\"}}"), ==, 1);
  assert_status (fx, 0, "failed", "not run: setup[0] failed: the log matched an error pattern 1 time*shot.ma");
  assert_status (fx, 1, "failed", "not run: setup[0] failed*");
}

static void
test_echo_is_not_output (Fixture *fx, gconstpointer data)
{
  /* The commands contain the error pattern; only their echo shows it. */
  g_assert_cmpint (run_job (fx,
      "{\"log\": {\"errors\": \"ERROR\"}, \"agenda\": {\"frames\": \"1\", \"command\": \"true # ERROR in a comment\\necho fine\"}}"), ==, 0);
  g_assert_cmpint (run_job (fx,
      "{\"executor\": \"python\", \"log\": {\"errors\": \"ERROR\"},"
      " \"agenda\": {\"frames\": \"1\", \"command\": \"x = 'ERROR not printed'\\nprint('fine')\"}}"), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fh_test_job_dir_set_up, func, fh_test_job_dir_tear_down)
  ADD ("/log/acceptance", test_acceptance);
  ADD ("/log/invalid-regex-stops-job", test_invalid_regex_stops_job);
  ADD ("/log/python-api", test_python_api);
  ADD ("/log/openjd-directives", test_openjd_directives);
  ADD ("/log/line-endings-and-utf8", test_line_endings_and_utf8);
  ADD ("/log/long-line", test_long_line);
  ADD ("/log/path-mapped-outputs", test_path_mapped_outputs);
  ADD ("/log/setup-log-error", test_setup_log_error);
  ADD ("/log/echo-is-not-output", test_echo_is_not_output);
#undef ADD
  return g_test_run ();
}
