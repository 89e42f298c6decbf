/* test-cli.c — the wrangler's side of farmhand: validate, expand, and run's
 * --resume, --items, --dry-run, --log, --output-dir; one-line errors that
 * name the field. */
#include "config.h"

#include "fh-test-utils.h"

typedef FhTestJobDir Fixture;

static char *
file_text (Fixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS) ? fh_test_read (path) : g_strdup ("");
}

/* ---- validate ----------------------------------------------------------- */

static const struct
{
  const char *json;
  const char *error;   /* the one line expected */
} bad_jobs[] = {
  { "{\"agenda\": {\"frames\": \"1-10\", \"command\": \"x\"}, \"setpu\": []}", "setpu: unknown field, did you mean 'setup'?" },
  { "{\"agenda\": {\"frames\": \"1-10\", \"command\": \"x\"}, \"env\": []}", "env: must be an object, not an array" },
  { "{\"agenda\": {\"frames\": \"1-10\", \"command\": \"x\"}, \"cwd\": 7}", "cwd: must be a string, not a number" },
  { "{\"agenda\": {\"items\": []}}", "agenda.items: must be a non-empty array of {\"name\", \"command\"} objects" },
  { "{\"agenda\": {\"frames\": \"1-10x\", \"command\": \"x\"}}", "agenda.frames: bad frame list \"1-10x\": unexpected end at column 6" },
  { "{\"agenda\": {\"frames\": \"5-1\", \"command\": \"x\"}}", "agenda.frames: bad frame list \"5-1\": range runs backwards (write the smaller frame first) at column 1" },
  { "{\"agenda\": {\"frames\": \"1-3,2\", \"command\": \"x\"}}", "agenda.frames: bad frame list \"1-3,2\": frame 2 is listed more than once" },
  { "{\"agenda\": {\"frames\": \"1-10\", \"chunk\": 0, \"command\": \"x\"}}", "agenda.chunk: must be from 1 to 1000000, not 0" },
  { "{\"agenda\": {\"frames\": \"1-10\", \"chunk\": \"2\", \"command\": \"x\"}}", "agenda.chunk: must be a whole number, not a string" },
  { "{\"agenda\": {\"frames\": \"1-10\", \"command\": \"r {frme}\"}}", "agenda.command: unknown token {frme} at column 3, did you mean 'frame'? (write {{ and }} for literal braces)" },
  { "{\"agenda\": {\"frames\": \"1\", \"command\": \"x\"}, \"path_map\": [{\"from\": \"/a\"}]}", "path_map[0].to: is required" },
};

static void
test_validate_bad (Fixture *fx, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_jobs); i++)
    {
      FhTestRun r;
      g_autofree char *want = NULL;

      fh_test_job_dir_write_job (fx, bad_jobs[i].json);
      r = fh_test_farmhand (fx->dir, "validate", fx->job, NULL);
      want = g_strdup_printf ("%s: %s\n", fx->job, bad_jobs[i].error);
      g_assert_cmpint (r.exit_code, ==, 2);
      g_assert_cmpstr (r.err, ==, want);
      fh_test_run_clear (&r);
    }
}

static void
test_validate_all_errors (Fixture *fx, gconstpointer data)
{
  FhTestRun r;

  fh_test_job_dir_write_job (fx, "{\"nme\": 1, \"agenda\": {\"frames\": \"x\", \"command\": \"{bad}\"}}");
  r = fh_test_farmhand (fx->dir, "validate", fx->job, NULL);
  g_assert_cmpint (r.exit_code, ==, 2);
  g_assert_true (strstr (r.err, "nme: unknown field, did you mean 'name'?") != NULL);
  g_assert_true (strstr (r.err, "agenda.frames: bad frame list") != NULL);
  g_assert_true (strstr (r.err, "agenda.command: unknown token {bad}") != NULL);
  fh_test_run_clear (&r);
}

static void
test_validate_syntax (Fixture *fx, gconstpointer data)
{
  FhTestRun r;
  g_autofree char *want = NULL;

  fh_test_job_dir_write_job (fx, "{\n  \"agenda\": {\n    \"frames\": \"1-3\",\n  }\n}\n");
  r = fh_test_farmhand (fx->dir, "validate", fx->job, NULL);
  want = g_strdup_printf ("%s:3:20: Parse error", fx->job);
  g_assert_cmpint (r.exit_code, ==, 2);
  /* A JSON syntax error names the file, line and column. */
  g_assert_true (g_str_has_prefix (r.err, want));
  fh_test_run_clear (&r);
}

static void
test_validate_examples (Fixture *fx, gconstpointer data)
{
  const char *names[] = { "hello", "frames", "python" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *job = g_test_build_filename (G_TEST_DIST, "..", "examples", names[i], "job.json", NULL);
      FhTestRun r = fh_test_farmhand (fx->dir, "validate", job, NULL);

      g_assert_cmpint (r.exit_code, ==, 0);
      g_assert_true (strstr (r.out, ": valid: job '") != NULL);
      fh_test_run_clear (&r);
    }
}

/* ---- expand ------------------------------------------------------------- */

static void
test_expand_chunks_and_padding (Fixture *fx, gconstpointer data)
{
  FhTestRun r;

  fh_test_job_dir_write_job (fx, "{\"name\": \"sh010\", \"agenda\": {\"frames\": \"1-10x3,20\", \"chunk\": 2, "
                 "\"command\": \"render -o img.{frame:04}.exr -f {frames} -n {name}\"}}");
  r = fh_test_farmhand (fx->dir, "expand", fx->job, NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  g_assert_cmpstr (r.out, ==,
                   "1\t1,4\trender -o img.0001.exr -f 1 4 -n 1,4\n"
                   "2\t7,10\trender -o img.0007.exr -f 7 10 -n 7,10\n"
                   "3\t20\trender -o img.0020.exr -f 20 -n 20\n");
  fh_test_run_clear (&r);
  r = fh_test_farmhand (fx->dir, "expand", "--json", fx->job, NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  g_assert_true (strstr (r.out, "{\"index\":1,\"name\":\"7,10\",\"frames\":[7,10],\"number\":2,"
                                "\"command\":\"render -o img.0007.exr -f 7 10 -n 7,10\"}\n") != NULL);
  fh_test_run_clear (&r);
}

static void
test_path_map (Fixture *fx, gconstpointer data)
{
  FhTestRun r;

  fh_test_job_dir_write_job (fx, "{\"path_map\": [{\"from\": \"/mnt/proj\", \"to\": \"/proj\"}, {\"from\": \"/mnt/proj/cache\", \"to\": \"/fast\"}],"
                 " \"agenda\": {\"frames\": \"1\", \"command\": \"r /mnt/proj/a.ma '/mnt/proj' /mnt/project /x/mnt/proj /mnt/proj/cache/b\"}}");
  r = fh_test_farmhand (fx->dir, "expand", fx->job, NULL);
  g_assert_cmpstr (r.out, ==, "1\t1\tr /proj/a.ma '/proj' /mnt/project /x/mnt/proj /fast/b\n");
  fh_test_run_clear (&r);
}

/* ---- run ---------------------------------------------------------------- */

/* Four items; item 3 fails until the file "fixed" exists.  Every item that
 * runs appends its name to ran.txt. */
static const char resume_job[] =
  "{\"agenda\": {\"items\": ["
  "{\"name\": \"a\", \"command\": \"echo {name} >> ran.txt\"},"
  "{\"name\": \"b\", \"command\": \"echo {name} >> ran.txt\"},"
  "{\"name\": \"c\", \"command\": \"echo {name} >> ran.txt; [ -e fixed ] || { echo 'missing texture' >&2; (exit 3); }\"},"
  "{\"name\": \"d\", \"command\": \"echo {name} >> ran.txt\"}]}}";

static void
test_resume (Fixture *fx, gconstpointer data)
{
  FhTestRun first, second;
  g_autofree char *ran = NULL;
  g_autoptr (GPtrArray) results = NULL;
  g_autofree char *fixed = NULL;

  fh_test_job_dir_write_job (fx, resume_job);
  first = fh_test_farmhand (fx->dir, "run", fx->job, "--results", fx->results, NULL);
  g_assert_cmpint (first.exit_code, ==, 1);
  fixed = fh_test_write (fx->dir, "fixed", "");
  second = fh_test_farmhand (fx->dir, "run", fx->job, "--results", fx->results, "--resume", NULL);
  g_assert_cmpint (second.exit_code, ==, 0);
  g_assert_true (strstr (second.out, "1 of 4 items to run") != NULL);
  /* Only item c ran again. */
  ran = file_text (fx, "ran.txt");
  g_assert_cmpstr (ran, ==, "a\nb\nc\nd\nc\n");
  /* The file now holds exactly one line per item, in agenda order. */
  results = fh_test_read_results (fx->results);
  g_assert_cmpuint (results->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      const char names[] = "abcd";
      char name[2] = { names[i], 0 };
      g_assert_cmpstr (fh_test_result_field (results, i, "name"), ==, name);
      g_assert_cmpstr (fh_test_result_field (results, i, "status"), ==, "complete");
      g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (results, i), "attempts"), ==, i == 2 ? 2 : 1);
    }
  fh_test_run_clear (&first);
  fh_test_run_clear (&second);
}

static void
test_items_subset (Fixture *fx, gconstpointer data)
{
  FhTestRun r, bad;
  g_autofree char *ran = NULL;

  fh_test_job_dir_write_job (fx, "{\"agenda\": {\"frames\": \"101-110\", \"command\": \"echo {frame} >> ran.txt\"}}");
  r = fh_test_farmhand (fx->dir, "run", fx->job, "--items", "3-5,9", NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  ran = file_text (fx, "ran.txt");
  g_assert_cmpstr (ran, ==, "103\n104\n105\n109\n");
  bad = fh_test_farmhand (fx->dir, "run", fx->job, "--items", "9-12", NULL);
  g_assert_cmpint (bad.exit_code, ==, 2);
  g_assert_true (strstr (bad.err, "--items: there is no item 11; the job has 10") != NULL);
  fh_test_run_clear (&r);
  fh_test_run_clear (&bad);
}

static void
test_dry_run (Fixture *fx, gconstpointer data)
{
  g_autofree char *marker = g_build_filename (fx->dir, "setup-ran", NULL);
  FhTestRun r;

  fh_test_job_dir_write_job (fx, "{\"setup\": \"touch setup-ran\", \"agenda\": {\"frames\": \"1-2\", \"command\": \"touch f{frame:03}\"}, \"teardown\": \"echo {job}\"}");
  r = fh_test_farmhand (fx->dir, "run", fx->job, "--dry-run", NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  g_assert_true (strstr (r.out, "setup[0]: touch setup-ran\nitem 1 (1): touch f001\nitem 2 (2): touch f002\nteardown[0]: echo ") != NULL);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  fh_test_run_clear (&r);
}

static void
test_log_file (Fixture *fx, gconstpointer data)
{
  g_autofree char *log_path = g_build_filename (fx->dir, "job.log", NULL);
  g_autofree char *log = NULL;
  FhTestRun r;

  fh_test_job_dir_write_job (fx, "{\"name\": \"logged\", \"setup\": \"echo loading\", \"agenda\": {\"frames\": \"1-2\", \"command\": \"echo out {frame}; echo err {frame} >&2\"}}");
  r = fh_test_farmhand (fx->dir, "run", fx->job, "--log", log_path, NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  log = fh_test_read (log_path);
  /* Timestamps, item boundaries, and which item and stream each line is. */
  g_assert_true (g_regex_match_simple ("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} ==== job logged started: 2 items$",
                                       log, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^\\S+ \\S+ -        \\| loading$", log, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^\\S+ \\S+ ==== item 2 \\(2 of 2\\) started$", log, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^\\S+ \\S+ 2        \\| out 2$", log, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^\\S+ \\S+ 2        ! err 2$", log, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^\\S+ \\S+ ==== item 2 complete in \\d+\\.\\d{3} s$", log, G_REGEX_MULTILINE, 0));
  fh_test_run_clear (&r);
}

static void
test_output_dir (Fixture *fx, gconstpointer data)
{
  g_autofree char *out = g_build_filename (fx->dir, "renders", NULL);
  g_autofree char *seen = NULL;
  FhTestRun r;

  fh_test_job_dir_write_job (fx, "{\"name\": \"od\", \"agenda\": {\"frames\": \"1\", \"command\": \"echo $FARMHAND_OUTPUT_DIR > seen.txt\"}}");
  r = fh_test_farmhand ("/", "run", fx->job, "--output-dir", out, NULL);
  g_assert_cmpint (r.exit_code, ==, 0);
  seen = file_text (fx, "seen.txt");
  /* Exactly the directory given (absolute), not one below or beside it. */
  g_assert_cmpstr (g_strchomp (seen), ==, out);
  fh_test_run_clear (&r);
}

static void
test_help_everywhere (Fixture *fx, gconstpointer data)
{
  const char *cmds[] = { "run", "validate", "expand" };

  for (guint i = 0; i < G_N_ELEMENTS (cmds); i++)
    {
      FhTestRun r = fh_test_farmhand (fx->dir, cmds[i], "--help", NULL);
      g_autofree char *want = g_strdup_printf ("farmhand %s [OPTION", cmds[i]);
      g_assert_cmpint (r.exit_code, ==, 0);
      g_assert_true (strstr (r.out, want) != NULL);
      fh_test_run_clear (&r);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fh_test_job_dir_set_up, func, fh_test_job_dir_tear_down)
  ADD ("/cli/validate/bad-inputs", test_validate_bad);
  ADD ("/cli/validate/all-errors", test_validate_all_errors);
  ADD ("/cli/validate/syntax-error", test_validate_syntax);
  ADD ("/cli/validate/examples", test_validate_examples);
  ADD ("/cli/expand/chunks-and-padding", test_expand_chunks_and_padding);
  ADD ("/cli/expand/path-map", test_path_map);
  ADD ("/cli/run/resume", test_resume);
  ADD ("/cli/run/items", test_items_subset);
  ADD ("/cli/run/dry-run", test_dry_run);
  ADD ("/cli/run/log-file", test_log_file);
  ADD ("/cli/run/output-dir", test_output_dir);
  ADD ("/cli/help", test_help_everywhere);
#undef ADD
  return g_test_run ();
}
