/* test-template.c — command tokens, padding, escapes and errors. */
#include "config.h"

#include "fh-error.h"
#include "fh-job-error.h"
#include "fh-template.h"

static char *
expand (const char *text, const gint64 *frames, guint n)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhTemplate) t = fh_template_parse (text, FH_TEMPLATE_TOKENS_FRAMES, "agenda commands", &err);
  FhTemplateVars vars = { "shot010", "/jobs/x", "1-10x3", frames, n };

  g_assert_no_error (err);
  return fh_template_expand (t, &vars);
}

static void
test_tokens (void)
{
  const gint64 chunk[] = { 1, 4, 7, 10 };
  const struct { const char *in, *out; } cases[] = {
    { "render -s {start} -e {end} -b {step}", "render -s 1 -e 10 -b 3" },
    { "img.{frame:04}.exr", "img.0001.exr" },
    { "[{frame:4}]", "[   1]" },
    { "for f in {frames}; do :; done", "for f in 1 4 7 10; do :; done" },
    { "{frames:03}", "001 004 007 010" },
    { "{job}/{name} in {job_dir}", "shot010/1-10x3 in /jobs/x" },
    { "echo $HOME ${HOME} ${frame}", "echo $HOME ${HOME} ${frame}" },
    { "d = {'a': 1}; s = { 1, 2 }", "d = {'a': 1}; s = { 1, 2 }" },
    { "{{frame}} {{ }}", "{frame} { }" },
    { "awk '{print $1}'", "awk '{print $1}'" },
    { "{frame", "{frame" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = expand (cases[i].in, chunk, 4);
      g_assert_cmpstr (got, ==, cases[i].out);
    }
}

static void
test_negative_padding (void)
{
  const gint64 f[] = { -5 };
  g_autofree char *got = expand ("{frame:04}", f, 1);

  g_assert_cmpstr (got, ==, "-005");
}

static void
test_errors (void)
{
  const struct { const char *in; guint allowed; const char *pattern; } cases[] = {
    { "render {fram}", FH_TEMPLATE_TOKENS_FRAMES, "unknown token {fram} at column 8, did you mean 'frame'?*" },
    { "x {bogus}", FH_TEMPLATE_TOKENS_FRAMES, "unknown token {bogus} at column 3 (write {{ and }} for literal braces)" },
    { "echo {frame}", FH_TEMPLATE_TOKENS_JOB, "token {frame} at column 6 has no value in setup commands (available: {job}, {job_dir})" },
    { "{name:04}", FH_TEMPLATE_TOKENS_FRAMES, "token {name:04} at column 1: only numeric tokens take a format" },
    { "{frame:x4}", FH_TEMPLATE_TOKENS_FRAMES, "*the format must be a width from 1 to 32*" },
    { "{frame:099}", FH_TEMPLATE_TOKENS_FRAMES, "*the format must be a width from 1 to 32*" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) err = NULL;
      g_autoptr (FhTemplate) t = fh_template_parse (cases[i].in, cases[i].allowed, "setup commands", &err);

      g_assert_null (t);
      g_assert_error (err, FH_JOB_ERROR, FH_JOB_ERROR_INVALID);
      if (!g_pattern_match_simple (cases[i].pattern, err->message))
        g_error ("'%s': got '%s'", cases[i].in, err->message);
    }
}

static void
test_used_tokens (void)
{
  g_autoptr (FhTemplate) t = fh_template_parse ("{start}-{end} {job}", FH_TEMPLATE_TOKENS_FRAMES, "x", NULL);

  g_assert_cmpuint (fh_template_get_tokens (t), ==, FH_TEMPLATE_TOKEN_START | FH_TEMPLATE_TOKEN_END | FH_TEMPLATE_TOKEN_JOB);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/template/tokens", test_tokens);
  g_test_add_func ("/template/negative-padding", test_negative_padding);
  g_test_add_func ("/template/errors", test_errors);
  g_test_add_func ("/template/used-tokens", test_used_tokens);
  return g_test_run ();
}
