/* test-job.c — job descriptions: the agenda they expand to, and every
 * problem reported with its JSON path. */
#include "config.h"

#include "fh-error.h"
#include "fh-job.h"

/* The tests' own presets: what a job may name does not depend on the
 * presets.json of the build. */
static FhExecutorPresets *
test_presets (void)
{
  static FhExecutorPresets *presets;

  if (presets == NULL)
    {
      g_autoptr (GError) err = NULL;
      presets = fh_executor_presets_new_from_data (
                                                   "{\"shell\": {\"argv\": [\"{farmhand_executor}\"]},"
                                                   " \"python\": {\"argv\": [\"python3\", \"-u\", \"{farmhand_executor_py}\"]},"
                                                   " \"blender\": {\"argv\": [\"blender\", \"-b\", \"--python\", \"{farmhand_executor_py}\"]}}",
                                                   "test presets", &err);
      g_assert_no_error (err);
    }
  return presets;
}

static FhJob *
parse_ok (const char *json)
{
  g_autoptr (GError) err = NULL;
  FhJob *job = fh_job_new_from_data (json, -1, "/jobs/shot010/job.json", "/jobs/shot010",
                                     test_presets (), &err);

  g_assert_no_error (err);
  return job;
}

static char *
parse_error (const char *json)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJob) job = fh_job_new_from_data (json, -1, "job.json", "/tmp", test_presets (), &err);

  g_assert_null (job);
  g_assert_nonnull (err);
  return g_strdup (err->message);
}

static char *
item_names (FhJob *job)
{
  g_autoptr (GString) s = g_string_new (NULL);

  for (guint i = 0; i < fh_job_get_n_items (job); i++)
    {
      g_autofree char *name = fh_agenda_dup_item_name (job->agenda, i);
      g_string_append_printf (s, "%s{%s}", i ? " " : "", name);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_minimal (void)
{
  g_autoptr (FhJob) job = parse_ok ("{\"agenda\": {\"frames\": \"1-3\", \"command\": \"echo {frame}\"}}");
  g_autofree char *cmd = fh_job_expand_item (job, 2);

  /* Defaults: named after the job file's directory, shell executor. */
  g_assert_cmpstr (job->name, ==, "shot010");
  g_assert_cmpstr (job->executor, ==, "shell");
  g_assert_cmpstr (job->cwd, ==, "/jobs/shot010");
  g_assert_cmpuint (fh_job_get_n_items (job), ==, 3);
  g_assert_cmpstr (cmd, ==, "echo 3");
}

static void
test_chunks (void)
{
  g_autoptr (FhJob) job = parse_ok ("{\"name\": \"c\", \"agenda\": {\"frames\": \"1-10x3,20\", \"chunk\": 2, \"command\": \"r {frames}\"}}");
  g_autofree char *names = item_names (job);
  g_autofree char *c0 = fh_job_expand_item (job, 0);
  g_autofree char *c2 = fh_job_expand_item (job, 2);
  guint index = 99;

  g_assert_cmpstr (names, ==, "{1,4} {7,10} {20}");
  g_assert_cmpstr (c0, ==, "r 1 4");
  g_assert_cmpstr (c2, ==, "r 20");
  g_assert_true (fh_agenda_lookup (job->agenda, "7,10", &index));
  g_assert_cmpuint (index, ==, 1);
  g_assert_false (fh_agenda_lookup (job->agenda, "7", &index));
}

static void
test_full (void)
{
  g_autoptr (FhJob) job = parse_ok (
      "{\"name\": \"full\", \"executor\": {\"argv\": [\"python3\", \"{farmhand_executor_py}\"]},"
      " \"cwd\": \"work\", \"env\": {\"A\": \"1\", \"SECRET\": {\"value\": \"s3\", \"redact\": true}},"
      " \"setup\": \"cd {job_dir}\", \"teardown\": [\"echo {job}\", \"true\"],"
      " \"agenda\": {\"items\": [{\"name\": \"lighting\", \"command\": \"echo {name}\"}, {\"name\": \"comp\", \"command\": \"c\"}]}}");
  const FhEnvVar *secret = g_ptr_array_index (job->env, 1);
  g_autofree char *setup = fh_job_expand_hook (job, g_ptr_array_index (job->setup, 0));
  g_autofree char *item0 = fh_job_expand_item (job, 0);

  g_assert_null (job->executor);
  g_assert_cmpstr (job->executor_argv[1], ==, "{farmhand_executor_py}");
  g_assert_cmpstr (job->cwd, ==, "/jobs/shot010/work");
  g_assert_cmpuint (job->env->len, ==, 2);
  g_assert_cmpstr (secret->name, ==, "SECRET");
  g_assert_true (secret->redact);
  g_assert_cmpstr (setup, ==, "cd /jobs/shot010");
  g_assert_cmpuint (job->teardown->len, ==, 2);
  g_assert_cmpstr (item0, ==, "echo lighting");
  g_assert_false (fh_agenda_has_frames (job->agenda));
}

static void
assert_lines (const char *msg, const char *const *patterns)
{
  g_auto (GStrv) lines = g_strsplit (msg, "\n", -1);

  g_assert_cmpuint (g_strv_length (lines), ==, g_strv_length ((char **) patterns));
  for (guint i = 0; patterns[i] != NULL; i++)
    if (!g_pattern_match_simple (patterns[i], lines[i]))
      g_error ("line %u: '%s' does not match '%s'\nall:\n%s", i, lines[i], patterns[i], msg);
}

static void
test_all_errors_reported (void)
{
  g_autofree char *msg = parse_error (
      "{\"nmae\": \"x\", \"executor\": \"pyhton\", \"env\": {\"A=B\": \"1\", \"N\": 3},"
      " \"setup\": [\"echo {frame}\", 5],"
      " \"agenda\": {\"frames\": \"1-x\", \"chunk\": 0, \"comand\": \"x\"}}");
  const char *const want[] = {
    "nmae: unknown field, did you mean 'name'?",
    "executor: unknown executor preset 'pyhton', did you mean 'python'? (presets: shell, python, blender; or give {\"argv\": [...]})",
    "env.A=B: a variable name must be non-empty and contain no '='",
    "env.N: must be a string, not a number",
    "setup[0]: token {frame} at column 6 has no value in setup commands (available: {job}, {job_dir})",
    "setup[1]: must be a string, not a number",
    "agenda.comand: unknown field, did you mean 'command'?",
    "agenda.frames: bad frame list \"1-x\": expected a number at column 3",
    "agenda.chunk: must be from 1 to 1000000, not 0",
    "agenda.command: is required with 'frames'",
    NULL
  };

  assert_lines (msg, want);
}

static void
test_agenda_errors (void)
{
  const struct { const char *json, *pattern; } cases[] = {
    { "{\"agenda\": 3}", "agenda: must be an object*" },
    { "{\"agenda\": []}", "agenda: must be an object, not an array" },
    { "{\"agenda\": {}}", "agenda: needs 'frames' (with 'command') or 'items'" },
    { "{\"agenda\": {\"items\": []}}", "agenda.items: must be a non-empty array*" },
    { "{\"agenda\": {\"frames\": \"1\", \"items\": []}}", "agenda: give either 'frames' or 'items', not both" },
    { "{\"agenda\": {\"items\": [{\"name\": \"a\", \"command\": \"x\"}, {\"name\": \"a\", \"command\": \"y\"}]}}",
      "agenda.items[1].name: 'a' names another item already" },
    { "{\"agenda\": {\"items\": [{\"command\": \"x\"}]}}", "agenda.items[0].name: is required" },
    { "{\"agenda\": {\"items\": [{\"name\": \"a\", \"command\": \"{frame}\"}]}}",
      "agenda.items[0].command: token {frame} at column 1 has no value in explicit items*" },
    { "{\"agenda\": {\"frames\": \"1,5,10\", \"chunk\": 3, \"command\": \"r -s {start} -e {end}\"}}",
      "agenda.command: uses {start}, {end} or {step}, but item 1 (frames 1,5,10) is not evenly spaced; use {frames}" },
    { "{\"agenda\": {\"frames\": 5, \"command\": \"x\"}}", "agenda.frames: must be a string, not a number" },
    { "[1]", "(top level): must be an object, not an array" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *msg = parse_error (cases[i].json);
      if (!g_pattern_match_simple (cases[i].pattern, msg))
        g_error ("%s: got '%s'", cases[i].json, msg);
    }
}

static void
test_transport (void)
{
  g_autoptr (FhJob) job = parse_ok ("{\"executor\": {\"preset\": \"python\", \"via\": [\"sudo\", \"-u\", \"render\", \"--\"]},"
                                    " \"agenda\": {\"frames\": \"1\", \"command\": \"x\"}}");
  g_autoptr (FhJob) local = parse_ok ("{\"executor\": {\"preset\": \"shell\", \"channel\": \"stdio\"},"
                                      " \"agenda\": {\"frames\": \"1\", \"command\": \"x\"}}");
  const struct { const char *executor, *pattern; } bad[] = {
    { "{\"preset\": \"python\", \"via\": []}", "executor.via: must be a non-empty array of strings" },
    { "{\"preset\": \"python\", \"via\": \"sudo\"}", "executor.via: must be a non-empty array of strings" },
    { "{\"preset\": \"python\", \"via\": [\"\"]}", "executor.via[0]: must not be empty" },
    { "{\"preset\": \"python\", \"via\": [\"ssh\", 3]}", "executor.via[1]: must be a string, not a number" },
    { "{\"preset\": \"python\", \"via\": [\"ssh\", \"h\"], \"channel\": \"backchannel\"}",
      "executor.channel: must be \"stdio\" with \"via\": a transport carries only stdin and stdout*" },
    { "{\"preset\": \"python\", \"channel\": \"pipes\"}", "executor.channel: must be \"stdio\" or \"backchannel\", not 'pipes'" },
    { "{\"preset\": \"shell\", \"remote_executor\": \"/opt/fh/farmhand-executor\"}",
      "executor.remote_executor: needs \"via\"*" },
    { "{\"preset\": \"shell\", \"via\": [\"ssh\", \"h\"], \"remote_executor\": \"fh\"}",
      "executor.remote_executor: must be an absolute path on the far side, not 'fh'" },
    { "{\"preset\": \"shell\", \"via\": [\"ssh\", \"h\"], \"backchannel\": \"socket\"}",
      "executor.backchannel: has no meaning over the stdio channel*" },
  };

  g_assert_true (job->stdio);
  g_assert_cmpstr (job->via[0], ==, "sudo");
  g_assert_cmpstr (job->via[3], ==, "--");
  g_assert_true (local->stdio && local->via == NULL);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"executor\": %s, \"agenda\": {\"frames\": \"1\", \"command\": \"x\"}}",
                                               bad[i].executor);
      g_autofree char *msg = parse_error (json);
      if (!g_pattern_match_simple (bad[i].pattern, msg))
        g_error ("%s: got '%s'", bad[i].executor, msg);
    }
}

static void
test_syntax_error (void)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJob) job = fh_job_new_from_data ("{\n  \"name\": \"x\",\n  \"agenda\": oops\n}", -1,
                                                "shots/job.json", NULL, test_presets (), &err);

  g_assert_error (err, FH_JOB_ERROR, FH_JOB_ERROR_SYNTAX);
  g_assert_true (g_str_has_prefix (err->message, "shots/job.json:3:16: Parse error: unexpected identifier"));
}

static void
test_missing_file (void)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJob) job = fh_job_new_from_file ("/nonexistent/job.json", test_presets (), &err);

  /* The code stays G_FILE_ERROR's: a host can tell "missing" from "bad". */
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_true (g_str_has_prefix (err->message, "reading the job: "));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/job/minimal", test_minimal);
  g_test_add_func ("/job/chunks", test_chunks);
  g_test_add_func ("/job/full", test_full);
  g_test_add_func ("/job/all-errors-reported", test_all_errors_reported);
  g_test_add_func ("/job/agenda-errors", test_agenda_errors);
  g_test_add_func ("/job/transport", test_transport);
  g_test_add_func ("/job/syntax-error", test_syntax_error);
  g_test_add_func ("/job/missing-file", test_missing_file);
  return g_test_run ();
}
