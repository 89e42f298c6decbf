/* test-log-scanner.c — log line classification with PCRE2. */
#include "config.h"

#include <pcre2.h>

#include "fh-error.h"
#include "fh-job-error.h"
#include "fh-log-error.h"
#include "fh-line-splitter.h"
#include "fh-literal-pattern.h"
#include "fh-log-rules.h"
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
  g_assert_cmpuint (h.pattern[FH_LOG_ERRORS], ==, 0);
  h = scan (s, "child: SEGMENTATION FAULT at 0x0");
  g_assert_true (FH_LOG_HIT (&h, FH_LOG_ERRORS));
  g_assert_cmpuint (h.pattern[FH_LOG_ERRORS], ==, 1);
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
      g_assert_error (err, FH_LOG_ERROR, FH_LOG_ERROR_PATTERN);
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

/* ---- literal patterns and blocks: properties ---------------------------- */

/* A random line from fragments that the patterns below care about, and
 * noise: plain and multibyte text, invalid UTF-8. */
static void
random_line (GString *out)
{
  static const char *const pieces[] = {
    "ERROR: boom", "ERROR: harmless", "ERROR", "WARN here", "Traceback (most recent call last):",
    "Segmentation fault", "core dumped", "a|b", "ab", "Sample ", "% done", "openjd_progress: 40",
    "Saved: 'out/f.png'", "Rendering frame 7", "Rendering frame 42", "seg", "fault", "// Warning: x", "DeprecationWarning",
    "ü-ß", "x.y", " ", "\xff\xfe", "12", "/128",
  };
  int n = g_test_rand_int_range (0, 5);

  for (int i = 0; i < n; i++)
    {
      if (g_test_rand_int_range (0, 6) == 0)
        g_string_append_printf (out, "Fra:1 | Sample %d/128", g_test_rand_int_range (0, 129));
      else
        g_string_append (out, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
    }
  if (g_test_rand_int_range (0, 20) == 0)  /* longer than the cap below */
    for (int i = 0; i < 30; i++)
      g_string_append (out, "long ");
}

static void
test_literal_patterns_agree_with_pcre2 (void)
{
  static const struct { const char *pattern; gboolean literal; } cases[] = {
    { "ERROR", TRUE }, { "^ERROR:", TRUE }, { "Segmentation fault|core dumped", TRUE },
    { "Traceback \\(most recent call last\\)", TRUE }, { "a\\|b", TRUE }, { "ü-ß", TRUE },
    { "^// Warning: |DeprecationWarning", TRUE }, { "x.y", FALSE }, { "ab$", FALSE },
    { "(?i)error", FALSE }, { "a||b", FALSE }, { "\\d+", FALSE }, { "^", FALSE }, { "[ab]", FALSE },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (FhLiteralPattern) lit = fh_literal_pattern_new (cases[c].pattern);
      pcre2_code *code;
      pcre2_match_data *md;
      int err;
      PCRE2_SIZE off;

      g_assert_true ((lit != NULL) == cases[c].literal);
      if (lit == NULL)
        continue;
      code = pcre2_compile ((PCRE2_SPTR) cases[c].pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off, NULL);
      md = pcre2_match_data_create_from_pattern (code, NULL);
      for (int i = 0; i < 2000; i++)
        {
          g_autoptr (GString) line = g_string_new (NULL);
          gboolean want, got;
          random_line (line);
          if (!g_utf8_validate_len (line->str, line->len, NULL))
            continue;  /* the scanner only ever sees valid UTF-8 */
          want = pcre2_match (code, (PCRE2_SPTR) line->str, line->len, 0, 0, md, NULL) >= 0;
          got = fh_literal_pattern_match (lit, line->str, line->len);
          if (want != got)
            g_error ("'%s' on '%s': PCRE2 says %d, literal %d", cases[c].pattern, line->str, want, got);
        }
      pcre2_match_data_free (md);
      pcre2_code_free (code);
    }
}

/* What one line was classified as; progress is compared separately. */
typedef struct
{
  FhLogScanner *scanner;
  GString *records;     /* one line per log line */
  double progress;      /* the latest, as the item report keeps it */
} Run;

static void
on_line (const char *line, gsize len, FhLineFlags flags, gpointer data)
{
  Run *run = data;
  FhLogHit hit;

  g_autofree char *text = g_strndup (line, len);
  g_autofree char *shown = g_strescape (text, NULL);

  fh_log_scanner_scan (run->scanner, line, len, &hit);
  g_string_append_printf (run->records, "%x", hit.categories & ~(1u << FH_LOG_PROGRESS));
  for (int c = 0; c < FH_LOG_N_CATEGORIES; c++)
    if (c != FH_LOG_PROGRESS && FH_LOG_HIT (&hit, c))
      g_string_append_printf (run->records, " %s=%u", fh_log_category_name (c), hit.pattern[c]);
  g_string_append_printf (run->records, " %d %d %.*s | %s\n", hit.openjd_fail, hit.openjd_status,
                          (int) hit.path_len, FH_LOG_HIT (&hit, FH_LOG_OUTPUTS) ? line + hit.path_start : "",
                          shown);
  /* As FhItemReport does for an item of frames 1-10: a fraction, else the
   * frame's place in the item; a frame not in it changes nothing. */
  if (hit.fraction >= 0)
    run->progress = hit.fraction;
  else if (hit.has_frame && hit.frame >= 1 && hit.frame <= 10)
    run->progress = hit.frame / 10.0;
}

/* The first line classified differently, if any. */
static void
assert_same_records (const char *block, const char *plain)
{
  g_auto (GStrv) a = g_strsplit (block, "\n", -1);
  g_auto (GStrv) b = g_strsplit (plain, "\n", -1);

  for (guint i = 0; a[i] != NULL || b[i] != NULL; i++)
    if (a[i] == NULL || b[i] == NULL || strcmp (a[i], b[i]) != 0)
      g_error ("line %u: in a block '%s', alone '%s'", i, a[i] ? a[i] : "(none)", b[i] ? b[i] : "(none)");
}

static const struct { FhLogCategory c; const char *p; } block_patterns[] = {
  { FH_LOG_ERRORS, "^ERROR:" }, { FH_LOG_ERRORS, "Segmentation fault|core dumped" },
  { FH_LOG_ERRORS, "seg(fault)?" }, { FH_LOG_WARNINGS, "WARN" }, { FH_LOG_WARNINGS, "^// Warning: " },
  { FH_LOG_IGNORE, "ERROR: harmless" }, { FH_LOG_HIGHLIGHTS, "Traceback \\(most recent call last\\)" },
  { FH_LOG_BAD_RESULT, "DeprecationWarning" },
  { FH_LOG_PROGRESS, "Sample (?<done>\\d+)/(?<total>\\d+)" }, { FH_LOG_PROGRESS, "(\\d+)% done" },
  { FH_LOG_PROGRESS, "Rendering frame (?<frame>\\d+)" },
  { FH_LOG_OUTPUTS, "^Saved: '(?<path>[^']+)'" },
};

static FhLogScanner *
block_scanner (void)
{
  FhLogScanner *s = fh_log_scanner_new ();

  for (guint i = 0; i < G_N_ELEMENTS (block_patterns); i++)
    g_assert_true (fh_log_scanner_add (s, block_patterns[i].c, block_patterns[i].p, NULL));
  return s;
}

/* block_scanner() with a log preset's kind of patterns too: unwrapped,
 * regexes with guards (caseless ones too), an ignore of their own. */
static FhLogScanner *
block_scanner_unwrapped (void)
{
  FhLogScanner *s = block_scanner ();
  const struct { FhLogCategory c; const char *p; } patterns[] = {
    { FH_LOG_ERRORS, "^ERROR: (?:boom|harm)" }, { FH_LOG_ERRORS, "(?i)segmentation\\s+fault|core dump" },
    { FH_LOG_WARNINGS, "^// Warning: \\w" }, { FH_LOG_IGNORE, "(?i)^error: harmless" },
    { FH_LOG_HIGHLIGHTS, "Rendering frame (?:7|42)" }, { FH_LOG_PROGRESS, "Sample (?<done>\\d+)/(?<total>\\d+)" },
    { FH_LOG_OUTPUTS, "Saved: '(?<path>[^']+)'" }, { FH_LOG_FRAME_DONE, "^Rendering frame (?<frame>\\d+)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    g_assert_true (fh_log_scanner_add_unwrapped (s, patterns[i].c, patterns[i].p, NULL));
  return s;
}

static void
block_mode_rounds (FhLogScanner *(*make) (void), gboolean wrap)
{
  static const char *const ends[] = { "\n", "\r", "\r\n" };
  static const char *const wrappers[] = { "", "0: STDOUT: ", "ADAPTOR_OUTPUT: STDOUT: ", "[12:00:01] ",
                                          "2026-12-01 12:00:01 ", "  12 | " };
  const gsize cap = 100;

  for (int round = 0; round < 300; round++)
    {
      g_autoptr (GString) log = g_string_new (NULL);
      Run plain = { make (), g_string_new (NULL), -1 };
      Run block = { make (), g_string_new (NULL), -1 };
      g_autoptr (FhLineSplitter) s1 = fh_line_splitter_new (cap, on_line, &plain);
      g_autoptr (FhLineSplitter) s2 = fh_line_splitter_new (cap, on_line, &block);

      for (int i = g_test_rand_int_range (0, 60); i > 0; i--)
        {
          if (wrap)
            g_string_append (log, wrappers[g_test_rand_int_range (0, G_N_ELEMENTS (wrappers))]);
          random_line (log);
          g_string_append (log, ends[g_test_rand_int_range (0, 3)]);
        }
      for (gsize at = 0; at < log->len;)
        {
          /* Drawn first: MIN() evaluates its arguments twice. */
          gsize want = (gsize) g_test_rand_int_range (1, 400);
          gsize n = MIN (want, log->len - at);
          fh_line_splitter_push (s1, log->str + at, n);
          fh_log_scanner_set_block (block.scanner, log->str + at, n, cap);
          fh_line_splitter_push (s2, log->str + at, n);
          fh_log_scanner_set_block (block.scanner, NULL, 0, 0);
          /* After every block the latest progress is the same. */
          g_assert_cmpfloat (block.progress, ==, plain.progress);
          at += n;
        }
      fh_line_splitter_flush (s1);
      fh_line_splitter_flush (s2);
      assert_same_records (block.records->str, plain.records->str);
      g_assert_cmpfloat (block.progress, ==, plain.progress);
      for (Run *r = &plain; r != NULL; r = r == &plain ? &block : NULL)
        {
          fh_log_scanner_free (r->scanner);
          g_string_free (r->records, TRUE);
        }
    }
}

static void
test_block_mode_same_as_per_line (void)
{
  block_mode_rounds (block_scanner, FALSE);
}

/* The same with unwrapped patterns on wrapped lines: the literal index
 * must see what each pattern sees. */
static void
test_block_mode_unwrapped (void)
{
  block_mode_rounds (block_scanner_unwrapped, TRUE);
}

/* ---- presets never change what the job's own patterns match ----------- */

/* A preset that overlaps the job's patterns everywhere it can. */
static const char overlapping_preset[] =
  "{\"preset\": \"overlap\", \"version\": 1, \"rules\": ["
  "{\"name\": \"e1\", \"errors\": \"ERROR\", \"class\": \"license\"},"
  "{\"name\": \"e2\", \"errors\": \"fault\", \"class\": \"crash\", \"continuation\": \"^\\\\s\"},"
  "{\"name\": \"tb\", \"errors\": \"^Traceback\", \"continuation\": \"^(\\\\s|\\\\w+Error)\"},"
  "{\"name\": \"w\", \"warnings\": \"Warning|WARN\"},"
  "{\"name\": \"i\", \"ignore\": \"harmless|12\"},"
  "{\"name\": \"h\", \"highlights\": \"done|Sample\"},"
  "{\"name\": \"p\", \"progress\": \"(?<done>\\\\d+)/(?<total>\\\\d+)\"},"
  "{\"name\": \"o\", \"outputs\": \"'(?<path>[^']+)'\"},"
  "{\"name\": \"f\", \"frame_done\": \"frame (?<frame>\\\\d+)\"},"
  "{\"name\": \"b\", \"bad_result\": \"Deprecation\"}]}";

/* The job's patterns of block_scanner(), over @preset. */
static FhLogRules *
rules_over_preset (FhLogPreset *preset)
{
  FhLogRules *r = fh_log_rules_new ();

  for (guint i = 0; i < G_N_ELEMENTS (block_patterns); i++)
    g_assert_true (fh_log_rules_add (r, block_patterns[i].c, block_patterns[i].p, NULL));
  g_assert_true (fh_log_rules_use_preset (r, preset, NULL, NULL));
  return r;
}

static void
assert_job_matches_kept (const char *line, const FhLogHit *alone, const FhLogHit *with)
{
  if (FH_LOG_HIT (alone, FH_LOG_IGNORE))
    g_assert_cmphex (with->categories, ==, alone->categories);
  for (int c = 0; c < FH_LOG_N_CATEGORIES; c++)
    {
      if (!FH_LOG_HIT (alone, c))
        {
          /* Whatever else matched is the preset's. */
          if (FH_LOG_HIT (with, c) && with->rule[c] == NULL && !(c == FH_LOG_PROGRESS && with->openjd_progress))
            g_error ("'%s': category %s matched by no rule", line, fh_log_category_name (c));
          continue;
        }
      if (!FH_LOG_HIT (with, c) || with->rule[c] != NULL || with->pattern[c] != alone->pattern[c])
        g_error ("'%s': the job's %s pattern %u was lost to the preset", line,
                 fh_log_category_name (c), alone->pattern[c]);
    }
  if (FH_LOG_HIT (alone, FH_LOG_PROGRESS))
    g_assert_cmpfloat (with->fraction, ==, alone->fraction);
  if (FH_LOG_HIT (alone, FH_LOG_OUTPUTS))
    {
      g_assert_cmpuint (with->path_start, ==, alone->path_start);
      g_assert_cmpuint (with->path_len, ==, alone->path_len);
    }
}

static void
test_presets_keep_job_matches (void)
{
  static const char *const wrappers[] = {
    "", "0: STDOUT: ", "ADAPTOR_OUTPUT: STDOUT: ", "2026-12-01 12:00:01 ", "[12:00:01] ", "  12 | ",
  };
  g_autoptr (GError) err = NULL;
  g_autoptr (FhLogPreset) preset = fh_log_preset_new_from_data (overlapping_preset, "overlap.json", &err);
  g_autoptr (FhLogScanner) alone = block_scanner ();
  g_autoptr (FhLogRules) with = NULL;
  guint preset_hits = 0;

  g_assert_no_error (err);
  with = rules_over_preset (preset);
  for (int round = 0; round < 20000; round++)
    {
      g_autoptr (GString) line = g_string_new (wrappers[g_test_rand_int_range (0, G_N_ELEMENTS (wrappers))]);
      g_autofree char *text = NULL;
      FhLogHit a, w;

      random_line (line);
      text = g_utf8_make_valid (line->str, (gssize) line->len);
      fh_log_scanner_scan (alone, text, strlen (text), &a);
      fh_log_rules_scan (with, text, strlen (text), &w);
      assert_job_matches_kept (text, &a, &w);
      preset_hits += w.categories != a.categories;
    }
  /* The preset did add things: the test can see a difference. */
  g_assert_cmpuint (preset_hits, >, 1000);
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
  g_test_add_func ("/log-scanner/literal-patterns-agree-with-pcre2", test_literal_patterns_agree_with_pcre2);
  g_test_add_func ("/log-scanner/block-mode-same-as-per-line", test_block_mode_same_as_per_line);
  g_test_add_func ("/log-scanner/block-mode-unwrapped", test_block_mode_unwrapped);
  g_test_add_func ("/log-scanner/presets-keep-job-matches", test_presets_keep_job_matches);
  return g_test_run ();
}
