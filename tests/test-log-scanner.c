/* test-log-scanner.c — log line classification with PCRE2. */
#include "config.h"

#include "fh-error.h"
#include "fh-log-scanner.h"

static FhLogScanner *
scanner (void)
{
  FhLogScanner *s = fh_log_scanner_new ();
  g_autoptr (GError) err = NULL;

  g_assert_true (fh_log_scanner_add (s, FH_LOG_ERRORS, "^ERROR:", &err));
  g_assert_true (fh_log_scanner_add (s, FH_LOG_ERRORS, "(?i)segmentation fault", &err));
  g_assert_true (fh_log_scanner_add (s, FH_LOG_WARNINGS, "^WARN", &err));
  g_assert_true (fh_log_scanner_add (s, FH_LOG_HIGHLIGHTS, "Render time", &err));
  g_assert_true (fh_log_scanner_add (s, FH_LOG_IGNORE, "ERROR: harmless", &err));
  g_assert_true (fh_log_scanner_add (s, FH_LOG_BAD_RESULT, "Render cancelled", &err));
  g_assert_true (fh_log_scanner_add (s, FH_LOG_PROGRESS, "(\\d+)% done", &err));
  g_assert_true (fh_log_scanner_add (s, FH_LOG_PROGRESS, "Rendering frame (?<frame>-?\\d+)", &err));
  g_assert_true (fh_log_scanner_add (s, FH_LOG_OUTPUTS, "Saved: '(?<path>[^']+)'", &err));
  g_assert_true (fh_log_scanner_add (s, FH_LOG_OUTPUTS, "^Wrote (\\S+)$", &err));
  g_assert_no_error (err);
  return s;
}

static FhLogHit
scan (FhLogScanner *s, const char *line)
{
  FhLogHit hit;

  fh_log_scanner_scan (s, line, strlen (line), &hit);
  return hit;
}

static void
test_categories (void)
{
  g_autoptr (FhLogScanner) s = scanner ();
  FhLogHit h;

  h = scan (s, "ERROR: out of memory");
  g_assert_true (FH_LOG_HIT (&h, FH_LOG_ERRORS));
  g_assert_cmpuint (h.error_pattern, ==, 0);
  h = scan (s, "child: SEGMENTATION FAULT at 0x0");
  g_assert_true (FH_LOG_HIT (&h, FH_LOG_ERRORS));
  g_assert_cmpuint (h.error_pattern, ==, 1);
  h = scan (s, "WARNING: slow disk");
  g_assert_cmpuint (h.categories, ==, 1u << FH_LOG_WARNINGS);
  h = scan (s, "Render time 00:03");
  g_assert_cmpuint (h.categories, ==, 1u << FH_LOG_HIGHLIGHTS);
  h = scan (s, "Render cancelled by user");
  g_assert_true (FH_LOG_HIT (&h, FH_LOG_BAD_RESULT));
  h = scan (s, "all is well");
  g_assert_cmpuint (h.categories, ==, 0);
}

static void
test_ignore_exempts (void)
{
  g_autoptr (FhLogScanner) s = scanner ();
  FhLogHit h = scan (s, "ERROR: harmless plugin message, Render time 3s");

  g_assert_cmpuint (h.categories, ==, 1u << FH_LOG_IGNORE);
}

static void
test_progress (void)
{
  g_autoptr (FhLogScanner) s = scanner ();
  FhLogHit h = scan (s, "tile 3/4: 75% done");

  g_assert_true (FH_LOG_HIT (&h, FH_LOG_PROGRESS));
  g_assert_cmpfloat_with_epsilon (h.fraction, 0.75, 1e-9);
  h = scan (s, "Rendering frame -12 of 40");
  g_assert_true (h.has_frame);
  g_assert_cmpint (h.frame, ==, -12);
  g_assert_cmpfloat (h.fraction, <, 0);
  h = scan (s, "250% done");
  g_assert_cmpfloat (h.fraction, ==, 1.0);
}

static void
test_progress_done_of_total (void)
{
  g_autoptr (FhLogScanner) s = fh_log_scanner_new ();
  g_autoptr (GError) err = NULL;
  FhLogHit h;

  g_assert_true (fh_log_scanner_add (s, FH_LOG_PROGRESS, "Sample (?<done>\\d+)/(?<total>\\d+)", NULL));
  h = scan (s, "Fra:3 Mem:10.33M | Scene, ViewLayer | Sample 4/16");
  g_assert_cmpfloat_with_epsilon (h.fraction, 0.25, 1e-9);
  h = scan (s, "Sample 0/0");
  g_assert_cmpfloat (h.fraction, <, 0);
  g_assert_false (fh_log_scanner_add (s, FH_LOG_PROGRESS, "(?<done>\\d+) of", &err));
  g_assert_true (strstr (err->message, "needs (?<total>...) too") != NULL);
}

static void
test_outputs (void)
{
  g_autoptr (FhLogScanner) s = scanner ();
  const char *line = "Saved: '/out/sh010.0001.png'  Time: 00:01.2";
  FhLogHit h = scan (s, line);

  g_assert_true (FH_LOG_HIT (&h, FH_LOG_OUTPUTS));
  g_assert_cmpint (h.path_len, ==, strlen ("/out/sh010.0001.png"));
  g_assert_true (strncmp (line + h.path_start, "/out/sh010.0001.png", h.path_len) == 0);
  h = scan (s, "Wrote out/x.exr");
  g_assert_true (FH_LOG_HIT (&h, FH_LOG_OUTPUTS));
  g_assert_cmpint (h.path_len, ==, 9);
}

static void
test_openjd (void)
{
  g_autoptr (FhLogScanner) empty = fh_log_scanner_new ();
  const char *status = "openjd_status: rendering tile 4";
  const char *fail = "openjd_fail: license server unreachable";
  FhLogHit h;

  g_assert_true (fh_log_scanner_is_empty (empty));
  h = scan (empty, "openjd_progress: 42.5");
  g_assert_true (FH_LOG_HIT (&h, FH_LOG_PROGRESS));
  g_assert_cmpfloat_with_epsilon (h.fraction, 0.425, 1e-9);
  h = scan (empty, status);
  g_assert_true (h.openjd_status);
  g_assert_cmpstr (status + h.text_start, ==, "rendering tile 4");
  h = scan (empty, fail);
  g_assert_true (h.openjd_fail);
  g_assert_cmpstr (fail + h.text_start, ==, "license server unreachable");
  h = scan (empty, "openjd_unknown: x");
  g_assert_cmpuint (h.categories, ==, 0);
  g_assert_false (h.openjd_fail || h.openjd_status);
}

static void
test_bad_patterns (void)
{
  const struct { FhLogCategory cat; const char *pattern, *message; } cases[] = {
    { FH_LOG_ERRORS, "(unclosed", "invalid regular expression: missing closing parenthesis at offset 9" },
    { FH_LOG_ERRORS, "a{2,1}", "invalid regular expression: numbers out of order in {} quantifier at offset 5" },
    { FH_LOG_PROGRESS, "no group", "a progress pattern needs a group*" },
    { FH_LOG_OUTPUTS, "Saved: .*", "an outputs pattern needs a group for the path*" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (FhLogScanner) s = fh_log_scanner_new ();
      g_autoptr (GError) err = NULL;

      g_assert_false (fh_log_scanner_add (s, cases[i].cat, cases[i].pattern, &err));
      g_assert_error (err, FH_JOB_ERROR, FH_JOB_ERROR_INVALID);
      if (!g_pattern_match_simple (cases[i].message, err->message))
        g_error ("'%s': %s", cases[i].pattern, err->message);
    }
}

/* The prefilter must never reject a line the pattern matches: caseless
 * first characters, classes and alternations at the start. */
static void
test_prefilter_is_safe (void)
{
  const struct { const char *pattern, *line; } cases[] = {
    { "(?i)^error", "ERROR: x" },
    { "^[Ee]rror", "error x" },
    { "^(?:ERROR|FATAL):", "FATAL: x" },
    { "^(?i:warn)", "WaRn" },
    { "^\\s*Error", "   Error" },
    { "^.?x", "x" },
    { "^(?:)", "" },
    { "(?i)^ümlaut", "ÜMLAUT" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (FhLogScanner) s = fh_log_scanner_new ();
      FhLogHit h;

      g_assert_true (fh_log_scanner_add (s, FH_LOG_ERRORS, cases[i].pattern, NULL));
      h = scan (s, cases[i].line);
      if (!FH_LOG_HIT (&h, FH_LOG_ERRORS))
        g_error ("'%s' should match '%s'", cases[i].pattern, cases[i].line);
    }
}

static void
test_utf8 (void)
{
  g_autoptr (FhLogScanner) s = fh_log_scanner_new ();
  FhLogHit h;

  g_assert_true (fh_log_scanner_add (s, FH_LOG_ERRORS, "(*UCP)Fehler: \\w+ fehlt", NULL));
  h = scan (s, "Fehler: Textur fehlt");
  g_assert_true (FH_LOG_HIT (&h, FH_LOG_ERRORS));
  h = scan (s, "Fehler: Größe fehlt");
  g_assert_true (FH_LOG_HIT (&h, FH_LOG_ERRORS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/log-scanner/categories", test_categories);
  g_test_add_func ("/log-scanner/ignore-exempts", test_ignore_exempts);
  g_test_add_func ("/log-scanner/progress", test_progress);
  g_test_add_func ("/log-scanner/progress-done-of-total", test_progress_done_of_total);
  g_test_add_func ("/log-scanner/outputs", test_outputs);
  g_test_add_func ("/log-scanner/openjd", test_openjd);
  g_test_add_func ("/log-scanner/bad-patterns", test_bad_patterns);
  g_test_add_func ("/log-scanner/utf8", test_utf8);
  g_test_add_func ("/log-scanner/prefilter-is-safe", test_prefilter_is_safe);
  return g_test_run ();
}
