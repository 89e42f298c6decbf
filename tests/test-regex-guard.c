/* test-regex-guard.c — the literals a regex cannot match without: what
 * they are for the patterns log presets use, and that a line without
 * them never matches (against PCRE2 itself, on random lines). */
#include "config.h"

#include <pcre2.h>

#include "fh-literal-pattern.h"
#include "fh-regex-guard.h"

static void
test_examples (void)
{
  static const struct { const char *pattern; const char *guard; gboolean caseless; } cases[] = {
    { "^Error: Cannot read file", "Error: Cannot read file", FALSE },
    { "^Fra:-?\\d+\\b.*\\|\\s*Finished\\s*$", "Finished", FALSE },
    { "(?i)\\bout of memory\\b|std::bad_alloc", "out of memory|td::bad_alloc", TRUE },
    { "Saved: '(?<path>[^']+)'", "Saved: '", FALSE },
    { "colou?r scheme", "r scheme", FALSE },
    { "abc+defg", "defg", FALSE },
    { "x{0,3}yyy(zzz)?", "yyy", FALSE },
    { "\\[driver_\\w+\\] writing", "\\] writing", FALSE },
    { "(?i)licen[cs]e", "licen", TRUE },
    { "\\d+% done", "% done", FALSE },
    /* No guard: too short, not understood, an alternative without one. */
    { "ab", NULL, FALSE },
    { "foo|\\d+", NULL, FALSE },
    { "\\Qa.b\\E", NULL, FALSE },
    { "(*UCP)\\w+ error", NULL, FALSE },
    { "abc(?i)def", NULL, FALSE },
    { "(?x) a b c", NULL, FALSE },
    { "[abc", NULL, FALSE },
    { "(abc", NULL, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean caseless = FALSE;
      g_autofree char *guard = fh_regex_guard (cases[i].pattern, &caseless);

      if (g_strcmp0 (guard, cases[i].guard) != 0)
        g_error ("%s: guard '%s', expected '%s'", cases[i].pattern, guard ? guard : "(none)",
                 cases[i].guard ? cases[i].guard : "(none)");
      if (guard != NULL)
        g_assert_cmpint (caseless, ==, cases[i].caseless);
    }
}

static void
random_text (GString *out)
{
  static const char *const pieces[] = {
    "Error", "error", "ERROR", ": ", "Cannot", "read", "file", "out of", " memory", "MEMORY", "std::",
    "bad_alloc", "abccdefg", "Saved: '", "'", "/x/y.png", "Fra:", "12", "-", "|", " Finished", "licence", "LICENSE",
    "colour", "color", " scheme", "abbbcd", "yyy", "zzz", "[driver_exr]", " writing", "% done", "45",
    "\xc3\xbc", "\xe2\x84\xaa", "\xc5\xbf", "K", "s", " ", "\t",
  };

  for (int n = g_test_rand_int_range (0, 8); n > 0; n--)
    g_string_append (out, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
}

/* A guard never says "cannot match" of a line the pattern matches. */
static void
test_guard_is_safe (void)
{
  static const char *const patterns[] = {
    "^Error: Cannot read file", "^Fra:-?\\d+\\b.*\\|\\s*Finished\\s*$",
    "(?i)\\bout of memory\\b|std::bad_alloc", "Saved: '(?<path>[^']+)'", "colou?r scheme",
    "abc+defg", "x{0,3}yyy(zzz)?", "\\[driver_\\w+\\] writing", "(?i)licen[cs]e", "\\d+% done",
    "(?i)error: .*\\bcannot (?:read|open)\\b", "(?i)\\bkelvin\\b|\\bs\\b.*", "(?i)K.*memory",
  };

  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      int err;
      PCRE2_SIZE off;
      pcre2_code *code = pcre2_compile ((PCRE2_SPTR) patterns[i], PCRE2_ZERO_TERMINATED, PCRE2_UTF,
                                        &err, &off, NULL);
      pcre2_match_data *md = pcre2_match_data_create_from_pattern (code, NULL);
      gboolean caseless = FALSE;
      g_autofree char *guard = fh_regex_guard (patterns[i], &caseless);
      g_autoptr (FhLiteralPattern) lit = guard ? fh_literal_pattern_new (guard) : NULL;
      guint matched = 0;

      g_assert_true (guard == NULL || lit != NULL);
      for (int round = 0; round < 20000 && lit != NULL; round++)
        {
          g_autoptr (GString) line = g_string_new (NULL);
          g_autofree char *lower = NULL;
          gboolean pcre = FALSE;

          random_text (line);
          pcre = pcre2_match (code, (PCRE2_SPTR) line->str, line->len, 0, 0, md, NULL) > 0;
          lower = g_ascii_strdown (line->str, (gssize) line->len);
          matched += pcre;
          if (pcre && !fh_literal_pattern_match (lit, caseless ? lower : line->str, line->len))
            g_error ("%s: guard '%s' refuses '%s', which matches", patterns[i], guard, line->str);
        }
      pcre2_match_data_free (md);
      pcre2_code_free (code);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/regex-guard/examples", test_examples);
  g_test_add_func ("/regex-guard/safe", test_guard_is_safe);
  return g_test_run ();
}
