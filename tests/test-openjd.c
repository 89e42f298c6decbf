/* test-openjd.c — the OpenJD model: YAML read as PyYAML reads it, every
 * class of invalid template reported with its file, line, column and
 * path, range expressions, parameter spaces, job creation, path mapping,
 * directives. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "fh-doc.h"
#include "fh-openjd-combination.h"
#include "fh-openjd-directives.h"
#include "fh-openjd-format.h"
#include "fh-openjd-job.h"
#include "fh-openjd-path-mapping.h"
#include "fh-openjd-range.h"
#include "fh-openjd-space.h"
#include "fh-openjd-template.h"

/* ---- YAML, typed as PyYAML types it --------------------------------------- */

static const FhDocNode *
value_of (FhDoc *doc, const char *key)
{
  return fh_doc_get (fh_doc_root (doc), key);
}

static void
test_doc_scalars (void)
{
  const char *yaml = "a: yes\nb: Off\nc: 010\nd: 0x1F\ne: 1_000\nf: 1e5\ng: 1.0e+5\nh: .inf\ni: ~\nj:\n"
                     "k: '010'\nl: 1:30\nm: 9223372036854775808\nn: \"on\"\no: 2024-01-01\np: !!str 12\n";
  g_autoptr (FhProblems) problems = fh_problems_new ("t.yaml");
  g_autoptr (FhDoc) doc = fh_doc_parse (yaml, strlen (yaml), FH_DOC_YAML, problems);

  g_assert_nonnull (doc);
  g_assert_true (value_of (doc, "a")->kind == FH_DOC_BOOL && value_of (doc, "a")->bool_value);
  g_assert_true (value_of (doc, "b")->kind == FH_DOC_BOOL && !value_of (doc, "b")->bool_value);
  g_assert_cmpint (value_of (doc, "c")->int_value, ==, 8);
  g_assert_cmpint (value_of (doc, "d")->int_value, ==, 31);
  g_assert_cmpint (value_of (doc, "e")->int_value, ==, 1000);
  g_assert_cmpint (value_of (doc, "f")->kind, ==, FH_DOC_STRING);
  g_assert_true (value_of (doc, "g")->kind == FH_DOC_FLOAT && value_of (doc, "g")->float_value == 1e5);
  g_assert_true (value_of (doc, "h")->kind == FH_DOC_FLOAT && isinf (value_of (doc, "h")->float_value));
  g_assert_cmpint (value_of (doc, "i")->kind, ==, FH_DOC_NULL);
  g_assert_cmpint (value_of (doc, "j")->kind, ==, FH_DOC_NULL);
  g_assert_true (value_of (doc, "k")->kind == FH_DOC_STRING && value_of (doc, "k")->quoted);
  g_assert_cmpint (value_of (doc, "l")->int_value, ==, 90);
  g_assert_true (value_of (doc, "m")->kind == FH_DOC_INT && value_of (doc, "m")->big);
  g_assert_cmpint (value_of (doc, "n")->kind, ==, FH_DOC_STRING);
  g_assert_cmpint (value_of (doc, "o")->kind, ==, FH_DOC_STRING);
  g_assert_cmpint (value_of (doc, "p")->kind, ==, FH_DOC_STRING);
  g_assert_cmpuint (value_of (doc, "c")->line, ==, 3);
  g_assert_cmpuint (value_of (doc, "c")->column, ==, 4);
}

static char *
doc_error (const char *text, FhDocFormat format)
{
  g_autoptr (FhProblems) problems = fh_problems_new ("t");
  g_autoptr (FhDoc) doc = fh_doc_parse (text, strlen (text), format, problems);

  g_assert_null (doc);
  return fh_problems_to_text (problems);
}

static void
test_doc_refusals (void)
{
  static const struct { const char *text; FhDocFormat format; const char *want; } cases[] = {
    { "a: 1\nb: 2\na: 3\n", FH_DOC_YAML, "t:3:1: the key 'a' appears twice*" },
    { "a: 1\n---\nb: 2\n", FH_DOC_YAML, "t:2:1: expected a single document*" },
    { "a: [1, 2\n", FH_DOC_YAML, "t:2:1: *" },
    { "a: !custom 1\n", FH_DOC_YAML, "t:1:4: a value tagged !custom*" },
    { "a: *nowhere\n", FH_DOC_YAML, "t:1:4: the alias *nowhere names no anchor*" },
    { "{\"a\": 1,}", FH_DOC_JSON, "t:1:*: not valid JSON*" },
    { "{\"a\": 1, \"a\": 2}", FH_DOC_JSON, "t:1:*: the key 'a' appears twice*" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *msg = doc_error (cases[i].text, cases[i].format);
      if (!g_pattern_match_simple (cases[i].want, msg))
        g_error ("case %u: '%s' does not match '%s'", i, msg, cases[i].want);
    }
}

/* A document that would expand exponentially through aliases is
 * refused, not expanded. */
static void
test_doc_billion_laughs (void)
{
  g_autoptr (GString) yaml = g_string_new ("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
  g_autofree char *msg = NULL;

  for (int i = 1; i < 12; i++)
    g_string_append_printf (yaml, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
                            i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
  msg = doc_error (yaml->str, FH_DOC_YAML);
  g_assert_nonnull (strstr (msg, "expands to more than"));
}

/* ---- templates ------------------------------------------------------------ */

#define HEAD "specificationVersion: jobtemplate-2023-09\nname: J\n"
#define STEP "steps:\n- name: S\n  script:\n    actions:\n      onRun:\n        command: echo\n"

static FhOjTemplate *
template_ok (const char *yaml)
{
  g_autoptr (FhProblems) problems = fh_problems_new ("t.yaml");
  FhOjTemplate *t = fh_oj_template_parse (yaml, strlen (yaml), "t.yaml", "/tmp", problems);

  if (t == NULL)
    {
      g_autofree char *text = fh_problems_to_text (problems);
      g_error ("refused: %s\n%s", text, yaml);
    }
  return t;
}

static char *
template_problems (const char *yaml)
{
  g_autoptr (FhProblems) problems = fh_problems_new ("t.yaml");
  g_autoptr (FhOjTemplate) t = fh_oj_template_parse (yaml, strlen (yaml), "t.yaml", "/tmp", problems);

  if (t != NULL)
    g_error ("accepted:\n%s", yaml);
  return fh_problems_to_text (problems);
}

static void
test_template_full (void)
{
  g_autoptr (FhOjTemplate) t = template_ok (
      "specificationVersion: jobtemplate-2023-09\n"
      "extensions: [FEATURE_BUNDLE_1, TASK_CHUNKING, REDACTED_ENV_VARS]\n"
      "name: Shot-{{Param.Shot}}\n"
      "parameterDefinitions:\n"
      "- {name: Shot, type: STRING, default: sh010, allowedValues: [sh010, sh020]}\n"
      "- {name: Frames, type: INT, default: '010', minValue: 1}\n"
      "- {name: Out, type: PATH, objectType: DIRECTORY, dataFlow: OUT, default: out}\n"
      "jobEnvironments:\n"
      "- name: Env\n"
      "  variables: {A: '{{Param.Out}}'}\n"
      "  script:\n"
      "    embeddedFiles: [{name: E, type: TEXT, data: '{{Env.File.E}}'}]\n"
      "    actions: {onEnter: {command: '{{Env.File.E}}'}}\n"
      "steps:\n"
      "- name: Render\n"
      "  parameterSpace:\n"
      "    taskParameterDefinitions:\n"
      "    - {name: F, type: 'CHUNK[INT]', range: '1-{{Param.Frames}}', chunks: {defaultTaskCount: 3, rangeConstraint: CONTIGUOUS}}\n"
      "    - {name: Cam, type: STRING, range: [a, b]}\n"
      "    combination: F * Cam\n"
      "  script:\n"
      "    actions: {onRun: {command: echo, args: ['{{Task.Param.F}}', '{{Task.Param.Cam}}'], timeout: 5}}\n"
      "- name: Encode\n"
      "  dependencies: [{dependsOn: Render}]\n"
      "  bash: {script: 'echo {{Param.Shot}}', args: [x]}\n");

  g_assert_cmpuint (t->kind, ==, FH_OJ_JOB_TEMPLATE);
  g_assert_cmpuint (t->params->len, ==, 3);
  g_assert_cmpuint (t->steps->len, ==, 2);
  g_assert_cmpint (((FhOjParamDef *) g_ptr_array_index (t->params, 1))->def.i, ==, 10);
}

/* Every class of invalid template: the problem named by file, line,
 * column and path, saying what is wrong and what is allowed. */
static void
test_template_problems (void)
{
  static const struct { const char *yaml; const char *want; } cases[] = {
    { "specificationVersion: jobtemplate-2023-09\n" STEP, "t.yaml:1:1: missing the required field 'name'" },
    { "specificationVersion: jobtemplate-2099-01\nname: J\n" STEP, "t.yaml:1:23: specificationVersion: '*' is not a template version*" },
    { HEAD "naem: x\n" STEP, "t.yaml:3:1: naem: unknown field 'naem', did you mean 'name'?*" },
    { HEAD "extensions: [EXPR]\n" STEP, "t.yaml:3:14: extensions[0]: the extension EXPR is not supported by farmhand (yet)*" },
    { HEAD "extensions: [NOPE]\n" STEP, "*extensions[0]: 'NOPE' is not an OpenJD extension*" },
    { HEAD "extensions: []\n" STEP, "t.yaml:3:13: extensions: must not be empty*" },
    { HEAD "parameterDefinitions:\n- {name: 1x, type: STRING}\n" STEP, "t.yaml:4:10: parameterDefinitions[0].name: '1x' is not an identifier*" },
    { HEAD "parameterDefinitions:\n- {name: P, type: string}\n" STEP, "*parameterDefinitions[0].type: 'string' is not a parameter type*" },
    { HEAD "parameterDefinitions:\n- {name: P, type: INT, default: false}\n" STEP, "*parameterDefinitions[0].default: must be an integer*" },
    { HEAD "parameterDefinitions:\n- {name: P, type: INT, default: 9223372036854775808}\n" STEP, "*default: 9223372036854775808 is beyond a 64-bit integer*" },
    { HEAD "parameterDefinitions:\n- {name: P, type: FLOAT, default: .nan}\n" STEP, "*default: must be a finite number*" },
    { HEAD "parameterDefinitions:\n- {name: P, type: STRING, minValue: 1}\n" STEP, "*parameterDefinitions[0].minValue: unknown field 'minValue'*" },
    { HEAD "parameterDefinitions:\n- {name: P, type: STRING, allowedValues: [a], default: b}\n" STEP, "*default: the default 'b' is not one of the allowed values: 'a'" },
    { HEAD "parameterDefinitions:\n- {name: P, type: STRING, userInterface: {control: CHECK_BOX}}\n" STEP, "*userInterface.control: CHECK_BOX needs exactly two allowedValues*" },
    { HEAD "parameterDefinitions:\n- {name: P, type: PATH, userInterface: {control: CHOOSE_DIRECTORY, fileFilters: [{label: A, patterns: ['*']}]}}\n" STEP, "*fileFilters and fileFilterDefault need the control CHOOSE_INPUT_FILE*" },
    { HEAD "parameterDefinitions:\n- {name: P, type: PATH, objectType: FILE, userInterface: {fileFilters: [{label: A, patterns: ['*.a#b']}]}}\n" STEP, "*patterns[0]: '*.a#b' is not a file pattern*" },
    { HEAD "parameterDefinitions:\n- {name: P, type: INT, userInterface: {singleStepDelta: 1.5}}\n" STEP, "*singleStepDelta: must be a positive integer, not 1.5" },
    { HEAD "steps: []\n", "t.yaml:3:8: steps: must not be empty*" },
    { HEAD STEP "        args: [1]\n", "t.yaml:9:16: steps[0].script.actions.onRun.args[0]: must be a string, not an integer (quote it: '1')" },
    { HEAD STEP "        args: ['{{Param.Nope}}']\n", "t.yaml:9:16: steps[0].script.actions.onRun.args[0]: the format string references 'Param.Nope' is not defined in a step's script" },
    { HEAD STEP "        args: ['{{Param.X + 1}}']\n", "*args[0]: not a valid format string: '{{ Param.X + 1 }}' * is an expression*EXPR*" },
    { HEAD STEP "        args: ['{{Param.X']\n", "*args[0]: not a valid format string: '{{' at offset 0 has no closing '}}'" },
    { HEAD STEP "        args: ['{{Env.File.F}}']\n", "*'Env.File.F' is not defined in a step's script" },
    { HEAD STEP "        args: [\"a\\tb\"]\n", "*args[0]: must not hold control characters*" },
    { HEAD STEP "        timeout: 0\n", "*timeout: must be a positive integer, not 0" },
    { HEAD STEP "        timeout: '{{Param.T}}'\n", "*timeout: a format string here needs the FEATURE_BUNDLE_1 extension*" },
    { HEAD STEP "        cancelation: {mode: NOTIFY_THEN_TERMINATE, notifyPeriodInSeconds: 601}\n", "*notifyPeriodInSeconds: must be 1 to 600, not 601" },
    { HEAD STEP "        cancelation: {mode: TERMINATE, notifyPeriodInSeconds: 5}\n", "*cancelation.notifyPeriodInSeconds: unknown field*" },
    { HEAD "steps:\n- name: S\n  bash: {script: x}\n", "*steps[0].bash: the simple action 'bash' needs the FEATURE_BUNDLE_1 extension" },
    { HEAD "steps:\n- name: S\n  dependencies: [{dependsOn: S}]\n  script: {actions: {onRun: {command: x}}}\n", "*dependencies[0].dependsOn: the step 'S' depends on itself" },
    { HEAD "steps:\n- name: A\n  dependencies: [{dependsOn: B}]\n  script: {actions: {onRun: {command: x}}}\n- name: B\n  dependencies: [{dependsOn: A}]\n  script: {actions: {onRun: {command: x}}}\n", "*the steps' dependencies form a cycle*" },
    { HEAD "steps:\n- name: A\n  dependencies: [{dependsOn: Z}]\n  script: {actions: {onRun: {command: x}}}\n", "*dependsOn: 'Z' is not a step of this job" },
    { HEAD "steps:\n- name: S\n  hostRequirements: {amounts: [{name: amount.worker.foo, min: 1}]}\n  script: {actions: {onRun: {command: x}}}\n", "*amounts[0].name: 'amount.worker.foo' uses the scope 'worker'*" },
    { HEAD "steps:\n- name: S\n  hostRequirements: {attributes: [{name: attr.worker.os.family, anyOf: [beos]}]}\n  script: {actions: {onRun: {command: x}}}\n", "*anyOf[0]: 'beos' is not an operating system family*" },
    { HEAD "steps:\n- name: S\n  hostRequirements: {amounts: [{name: amount.worker.vcpu, min: 4, max: 2}]}\n  script: {actions: {onRun: {command: x}}}\n", "*amounts[0].min: min (4) is above max (2)" },
    { HEAD "steps:\n- name: S\n  parameterSpace:\n    taskParameterDefinitions:\n    - {name: F, type: INT, range: '1-10:4,10-15'}\n  script: {actions: {onRun: {command: x}}}\n", "*range: not a range expression: '1-10:4' and '10-15' overlap*" },
    { HEAD "steps:\n- name: S\n  parameterSpace:\n    taskParameterDefinitions:\n    - {name: F, type: INT, range: [1, 2.5]}\n  script: {actions: {onRun: {command: x}}}\n", "*range[1]: must be an integer, not 2.5" },
    { HEAD "steps:\n- name: S\n  parameterSpace:\n    taskParameterDefinitions:\n    - {name: F, type: INT, range: '1-3'}\n    - {name: G, type: INT, range: '1-3'}\n    combination: F * F\n  script: {actions: {onRun: {command: x}}}\n", "*combination: 'F' appears 2 times*" },
    { HEAD "steps:\n- name: S\n  parameterSpace:\n    taskParameterDefinitions:\n    - {name: F, type: 'CHUNK[INT]', range: '1-3', chunks: {defaultTaskCount: 1, rangeConstraint: CONTIGUOUS}}\n  script: {actions: {onRun: {command: x}}}\n", "*type: CHUNK[INT] needs the TASK_CHUNKING extension" },
    { HEAD "jobEnvironments:\n- name: E\n" STEP, "t.yaml:4:3: jobEnvironments[0]: an environment needs a script, variables or both" },
    { HEAD "jobEnvironments:\n- {name: E, variables: {1A: x}}\n" STEP, "*variables.1A: '1A' is not an environment variable name*" },
    { HEAD "jobEnvironments:\n- {name: E, variables: {A: '{{Task.Param.X}}'}}\n" STEP, "*variables.A: the format string references 'Task.Param.X': Task.* values exist only in a step's script*" },
    { HEAD "jobEnvironments:\n- {name: E, variables: {A: x}}\nsteps:\n- name: S\n  stepEnvironments: [{name: E, variables: {B: y}}]\n  script: {actions: {onRun: {command: x}}}\n", "*stepEnvironments[0].name: the environment name 'E' is used twice*" },
    { HEAD "steps:\n- name: S\n  script:\n    embeddedFiles: [{name: F, type: TEXT, filename: a/b, data: x}]\n    actions: {onRun: {command: x}}\n", "*embeddedFiles[0].filename: 'a/b' must be a file's name alone*" },
    { HEAD "steps:\n- name: S\n  script:\n    embeddedFiles: [{name: F, type: TEXT, data: x, endOfLine: LF}]\n    actions: {onRun: {command: x}}\n", "*endOfLine: endOfLine needs the FEATURE_BUNDLE_1 extension" },
    { HEAD "parameterDefinitions:\n- {name: P, type: PATH}\nsteps:\n- name: S\n  hostRequirements: {attributes: [{name: attr.x, anyOf: ['{{Param.P}}']}]}\n  script: {actions: {onRun: {command: x}}}\n", "*'Param.P' is a PATH parameter*use RawParam.P here" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *msg = template_problems (cases[i].yaml);
      g_auto (GStrv) lines = g_strsplit (msg, "\n", -1);
      gboolean found = FALSE;
      for (guint l = 0; lines[l] != NULL && !found; l++)
        found = g_pattern_match_simple (cases[i].want, lines[l]);
      if (!found)
        g_error ("case %u: no line matches '%s':\n%s", i, cases[i].want, msg);
    }
}

static void
test_environment_template (void)
{
  g_autoptr (FhOjTemplate) t = template_ok ("specificationVersion: environment-2023-09\n"
                                            "parameterDefinitions: [{name: V, type: STRING, default: x}]\n"
                                            "environment: {name: E, variables: {A: '{{Param.V}}'}}\n");
  g_autofree char *msg = template_problems ("specificationVersion: environment-2023-09\n"
                                            "environment: {name: E, variables: {A: '{{Param.V}}'}}\n");

  g_assert_cmpuint (t->kind, ==, FH_OJ_ENVIRONMENT_TEMPLATE);
  g_assert_nonnull (strstr (msg, "t.yaml:2:39: environment.variables.A: the format string references 'Param.V' is not defined"));
}

/* ---- ranges, combinations, spaces ----------------------------------------- */

static char *
range_values (const char *text)
{
  g_autofree char *why = NULL;
  g_autoptr (FhOjRange) r = fh_oj_range_parse (text, &why);
  GString *s = g_string_new (NULL);

  if (r == NULL)
    return g_string_free (s, TRUE), g_strdup_printf ("ERROR %s", why);
  for (guint64 i = 0; i < fh_oj_range_count (r); i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? "," : "", fh_oj_range_get (r, i));
  return g_string_free (s, FALSE);
}

static void
test_range (void)
{
  static const struct { const char *text, *want; } cases[] = {
    { "1 - 5", "1,2,3,4,5" }, { "1 - -1", "1" }, { "-1 - 1", "-1,0,1" }, { "1-5:2", "1,3,5" },
    { "10-15:2,1-5", "10,12,14,1,2,3,4,5" }, { "1-10:4", "1,5,9" }, { "10-1:-1", "10,9,8,7,6,5,4,3,2,1" },
    { "-5--14:-2", "-5,-7,-9,-11,-13" }, { " 7 ", "7" }, { "1-10:4,10-15", "ERROR*overlap*" },
    { "1,2,3,2", "ERROR*overlap*" }, { "1-x", "ERROR*not a range element*" }, { "1-5:0", "ERROR*" },
    { "", "ERROR*" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = range_values (cases[i].text);
      if (!g_pattern_match_simple (cases[i].want, got))
        g_error ("'%s': got '%s', want '%s'", cases[i].text, got, cases[i].want);
    }
}

/* A billion frames cost what their expression costs. */
static void
test_range_huge (void)
{
  g_autofree char *why = NULL;
  g_autoptr (FhOjRange) r = fh_oj_range_parse ("1-1000000000", &why);

  g_assert_cmpuint (fh_oj_range_count (r), ==, 1000000000);
  g_assert_cmpint (fh_oj_range_get (r, 999999999), ==, 1000000000);
}

/* The tasks of a step's space, "A=1 B=x; ...", from a template. */
static char *
space_tasks (const char *params_yaml, const char *combination, guint64 *count)
{
  g_autofree char *yaml = g_strdup_printf (
      "specificationVersion: jobtemplate-2023-09\nextensions: [TASK_CHUNKING]\nname: J\nsteps:\n- name: S\n"
      "  parameterSpace:\n    taskParameterDefinitions:\n%s%s%s\n"
      "  script: {actions: {onRun: {command: x}}}\n", params_yaml, combination ? "    combination: " : "",
      combination ? combination : "");
  g_autoptr (FhProblems) problems = fh_problems_new ("t.yaml");
  FhOjTemplate *t = fh_oj_template_parse (yaml, strlen (yaml), "t.yaml", "/tmp", problems);
  FhOjJobInput input = { 0 };
  g_autoptr (FhOjJob) job = NULL;
  g_autoptr (GPtrArray) values = g_ptr_array_new ();
  GString *s = g_string_new (NULL);
  const FhOjJobStep *step;

  if (t == NULL)
    {
      g_autofree char *text = fh_problems_to_text (problems);
      g_error ("refused: %s\n%s", text, yaml);
    }
  job = fh_oj_job_new (t, NULL, &input, problems);
  if (job == NULL)
    {
      g_autofree char *text = fh_problems_to_text (problems);
      g_string_free (s, TRUE);
      return g_strdup_printf ("ERROR %s", text);
    }
  step = g_ptr_array_index (job->steps, 0);
  *count = step->n_tasks;
  for (guint64 i = 0; i < MIN (step->n_tasks, 12); i++)
    {
      fh_oj_space_get (step->space, i, values);
      for (guint p = 0; p < values->len; p++)
        g_string_append_printf (s, "%s%s=%s", p ? " " : i ? "; " : "", fh_oj_space_get_param (step->space, p)->name,
                                (char *) g_ptr_array_index (values, p));
    }
  return g_string_free (s, FALSE);
}

static void
test_space (void)
{
  static const struct { const char *params, *combination, *want; guint64 count; } cases[] = {
    { "    - {name: A, type: INT, range: '1-2'}\n    - {name: B, type: STRING, range: [x, y]}\n", NULL,
      "A=1 B=x; A=1 B=y; A=2 B=x; A=2 B=y", 4 },
    { "    - {name: A, type: INT, range: '1-2'}\n    - {name: B, type: STRING, range: [x, y]}\n", "B * A",
      "A=1 B=x; A=2 B=x; A=1 B=y; A=2 B=y", 4 },
    { "    - {name: A, type: INT, range: [1, 2]}\n    - {name: B, type: STRING, range: [x, y]}\n"
      "    - {name: C, type: FLOAT, range: [0.5, '1.25']}\n", "(A, B) * C",
      "A=1 B=x C=0.5; A=1 B=x C=1.25; A=2 B=y C=0.5; A=2 B=y C=1.25", 4 },
    { "    - {name: A, type: INT, range: [1, 2, 3]}\n    - {name: B, type: STRING, range: [x, y]}\n", "(A, B)",
      "ERROR *as many values each: 3 and 2*", 0 },
    { "    - {name: F, type: 'CHUNK[INT]', range: '1-8', chunks: {defaultTaskCount: 3, rangeConstraint: CONTIGUOUS}}\n",
      NULL, "F=1-3; F=4-6; F=7-8", 3 },
    { "    - {name: F, type: 'CHUNK[INT]', range: '1,10-12,18-30', chunks: {defaultTaskCount: 10, rangeConstraint: CONTIGUOUS}}\n",
      NULL, "F=1-1; F=10-12; F=18-24; F=25-30", 4 },
    { "    - {name: F, type: 'CHUNK[INT]', range: '1,3,5,7-9', chunks: {defaultTaskCount: 3, rangeConstraint: NONCONTIGUOUS}}\n",
      NULL, "F=1-5:2; F=7-9", 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint64 count = 0;
      g_autofree char *got = space_tasks (cases[i].params, cases[i].combination, &count);
      if (!g_pattern_match_simple (cases[i].want, got))
        g_error ("case %u: got '%s', want '%s'", i, got, cases[i].want);
      if (cases[i].count > 0)
        g_assert_cmpuint (count, ==, cases[i].count);
    }
}

/* A 100,000-task product of three parameters is made without making its
 * tasks: the last one is found by index. */
static void
test_space_large (void)
{
  guint64 count = 0;
  g_autofree char *got = space_tasks ("    - {name: A, type: INT, range: '1-100'}\n"
                                      "    - {name: B, type: INT, range: '1-100'}\n"
                                      "    - {name: C, type: INT, range: '1-10'}\n", NULL, &count);

  g_assert_cmpuint (count, ==, 100000);
  g_assert_true (g_str_has_prefix (got, "A=1 B=1 C=1; A=1 B=1 C=2"));
}

/* ---- format strings, path mapping, directives ----------------------------- */

static const char *
fixed_lookup (const char *name, gpointer unused)
{
  return g_str_equal (name, "Param.X") ? "42" : NULL;
}

static void
test_format (void)
{
  g_autofree char *msg = NULL;
  g_autoptr (FhOjFormat) f = fh_oj_format_parse ("a{{ Param.X }}b{{Param.X}}}", &msg);
  g_autofree char *s = fh_oj_format_resolve (f, fixed_lookup, NULL, NULL);
  const char *missing = NULL;
  g_autoptr (FhOjFormat) g = fh_oj_format_parse ("{{Param.Y}}", &msg);
  g_autofree char *none = fh_oj_format_resolve (g, fixed_lookup, NULL, &missing);

  g_assert_cmpstr (s, ==, "a42b42}");
  g_assert_null (none);
  g_assert_cmpstr (missing, ==, "Param.Y");
  g_assert_null (fh_oj_format_parse ("{{}}", &msg));
}

static void
test_path_mapping (void)
{
  g_autoptr (FhProblems) problems = fh_problems_new ("rules");
  g_autoptr (FhOjPathMapping) m = fh_oj_path_mapping_parse (
      "{\"version\": \"pathmapping-1.0\", \"path_mapping_rules\": ["
      "{\"source_path_format\": \"POSIX\", \"source_path\": \"/mnt\", \"destination_path\": \"/a\"},"
      "{\"source_path_format\": \"POSIX\", \"source_path\": \"/mnt/deep\", \"destination_path\": \"/b\"},"
      "{\"source_path_format\": \"WINDOWS\", \"source_path\": \"D:\\\\Proj\", \"destination_path\": \"/proj\"}]}",
      "rules", problems);
  static const struct { const char *in, *out; } cases[] = {
    { "/mnt/x", "/a/x" }, { "/mnt/deep/y", "/b/y" }, { "/mntx", "/mntx" }, { "/mnt", "/a" },
    { "d:/proj/shot/a.exr", "/proj/shot/a.exr" }, { "D:\\PROJ\\s", "/proj/s" },
  };

  g_assert_nonnull (m);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = fh_oj_path_mapping_apply (m, cases[i].in);
      g_assert_cmpstr (got, ==, cases[i].out);
    }
}

static void
test_directives (void)
{
  static const struct { const char *line; FhOjLineKind kind; const char *name, *value; } cases[] = {
    { "openjd_progress: 42.5", FH_OJ_LINE_PROGRESS, NULL, NULL },
    { "openjd_progress: lots", FH_OJ_LINE_OUTPUT, NULL, NULL },
    { "openjd_status: rendering", FH_OJ_LINE_STATUS, NULL, NULL },
    { "openjd_env: A=b=c", FH_OJ_LINE_ENV, "A", "b=c" },
    { "openjd_env: \"A=two\\nlines\"", FH_OJ_LINE_ENV, "A", "two\nlines" },
    { "openjd_unset_env: A", FH_OJ_LINE_UNSET_ENV, "A", NULL },
    { "openjd_redacted_env: S=secret", FH_OJ_LINE_REDACTED_ENV, "S", "secret" },
    { "openjd_ENV: A=b", FH_OJ_LINE_MALFORMED, NULL, NULL },
    { "openjd_env:A=b", FH_OJ_LINE_MALFORMED, NULL, NULL },
    { "openjd_env: 1A=b", FH_OJ_LINE_MALFORMED, NULL, NULL },
    { "openjd_environment: x", FH_OJ_LINE_OUTPUT, NULL, NULL },
    { "plain output", FH_OJ_LINE_OUTPUT, NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (FhOjDirective) d = { 0 };
      FhOjLineKind k = fh_oj_directive_parse (cases[i].line, strlen (cases[i].line), &d);
      if (k != cases[i].kind)
        g_error ("'%s': kind %d, want %d", cases[i].line, k, cases[i].kind);
      g_assert_cmpstr (d.name, ==, cases[i].name);
      g_assert_cmpstr (d.value, ==, cases[i].value);
    }
}

/* ---- job creation --------------------------------------------------------- */

static void
test_job_parameters (void)
{
  const char *yaml = HEAD "parameterDefinitions:\n- {name: N, type: INT, minValue: 1}\n- {name: F, type: FLOAT, default: '5'}\n"
                     "- {name: P, type: PATH, default: sub/dir}\n" STEP;
  g_autoptr (FhProblems) problems = fh_problems_new ("t.yaml");
  FhOjTemplate *t = fh_oj_template_parse (yaml, strlen (yaml), "t.yaml", "/base", problems);
  g_autoptr (GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  FhOjJobInput input = { values, NULL, "/cwd", NULL, NULL };
  g_autoptr (FhOjJob) job = NULL;
  g_autofree char *msg = NULL;

  g_hash_table_insert (values, "N", "007");
  job = fh_oj_job_new (t, NULL, &input, problems);
  g_assert_nonnull (job);
  g_assert_cmpstr (g_hash_table_lookup (job->symbols, "Param.N"), ==, "7");
  g_assert_cmpstr (g_hash_table_lookup (job->symbols, "Param.F"), ==, "5");
  g_assert_cmpstr (g_hash_table_lookup (job->symbols, "RawParam.P"), ==, "/base/sub/dir");
  g_assert_null (g_hash_table_lookup (job->symbols, "Param.P"));

  g_hash_table_insert (values, "N", "0");
  g_hash_table_insert (values, "Q", "1");
  t = fh_oj_template_parse (yaml, strlen (yaml), "t.yaml", "/base", problems);
  g_assert_null (fh_oj_job_new (t, NULL, &input, problems));
  msg = fh_problems_to_text (problems);
  g_assert_nonnull (strstr (msg, "'Q' is not a parameter of this job"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/openjd/doc/scalars", test_doc_scalars);
  g_test_add_func ("/openjd/doc/refusals", test_doc_refusals);
  g_test_add_func ("/openjd/doc/billion-laughs", test_doc_billion_laughs);
  g_test_add_func ("/openjd/template/full", test_template_full);
  g_test_add_func ("/openjd/template/problems", test_template_problems);
  g_test_add_func ("/openjd/template/environment", test_environment_template);
  g_test_add_func ("/openjd/range", test_range);
  g_test_add_func ("/openjd/range/huge", test_range_huge);
  g_test_add_func ("/openjd/space", test_space);
  g_test_add_func ("/openjd/space/large", test_space_large);
  g_test_add_func ("/openjd/format", test_format);
  g_test_add_func ("/openjd/path-mapping", test_path_mapping);
  g_test_add_func ("/openjd/directives", test_directives);
  g_test_add_func ("/openjd/job/parameters", test_job_parameters);
  return g_test_run ();
}
