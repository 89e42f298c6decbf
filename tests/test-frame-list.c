/* test-frame-list.c — frame-list syntax, errors with columns, compact
 * names. */
#include "config.h"

#include "fh-error.h"
#include "fh-job-error.h"
#include "fh-frame-list.h"

static char *
expand (const char *spec)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhFrameList) list = fh_frame_list_parse (spec, &err);
  g_autoptr (GString) out = g_string_new (NULL);

  g_assert_no_error (err);
  for (guint i = 0; i < fh_frame_list_get_length (list); i++)
    g_string_append_printf (out, "%s%" G_GINT64_FORMAT, i ? " " : "",
                            fh_frame_list_get_frames (list)[i]);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_valid (void)
{
  const struct { const char *spec, *frames; } cases[] = {
    { "7", "7" },
    { "1-5", "1 2 3 4 5" },
    { "1-10x3", "1 4 7 10" },
    { "1-10x3,20", "1 4 7 10 20" },
    { "1,5,10-12", "1 5 10 11 12" },
    { " 3 - 5 , 9 ", "3 4 5 9" },
    { "-5--3", "-5 -4 -3" },
    { "-2-2", "-2 -1 0 1 2" },
    { "10,1-3", "10 1 2 3" },
    { "1-9x4", "1 5 9" },
    { "1-8x4", "1 5" },
    { "0", "0" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = expand (cases[i].spec);
      g_assert_cmpstr (got, ==, cases[i].frames);
    }
}

static void
test_errors (void)
{
  const struct { const char *spec, *pattern; } cases[] = {
    { "", "bad frame list \"\": unexpected end at column 1" },
    { "1-x", "bad frame list \"1-x\": expected a number at column 3" },
    { "1,,2", "*expected a number at column 3" },
    { "1-10x0", "*step must be at least 1 at column 6" },
    { "10-1", "*range runs backwards (write the smaller frame first) at column 1" },
    { "1-5,3", "*frame 3 is listed more than once" },
    { "1 2", "*expected ',' or the end at column 3" },
    { "1-5y2", "*expected ',' or the end at column 4" },
    { "1234567890", "*number larger than 999999999 at column 1" },
    { "1-999999999", "*more than 1000000 frames at column 1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) err = NULL;
      g_autoptr (FhFrameList) list = fh_frame_list_parse (cases[i].spec, &err);

      g_assert_null (list);
      g_assert_error (err, FH_JOB_ERROR, FH_JOB_ERROR_INVALID);
      if (!g_pattern_match_simple (cases[i].pattern, err->message))
        g_error ("'%s': got '%s', want '%s'", cases[i].spec, err->message, cases[i].pattern);
    }
}

static void
test_format (void)
{
  const struct { gint64 f[6]; guint n; const char *name; } cases[] = {
    { { 7 }, 1, "7" },
    { { 1, 2 }, 2, "1-2" },
    { { 1, 4 }, 2, "1,4" },
    { { 1, 2, 3, 4 }, 4, "1-4" },
    { { 1, 4, 7, 10 }, 4, "1-10x3" },
    { { 1, 4, 9 }, 3, "1,4,9" },
    { { 1, 2, 3, 10, 20, 30 }, 6, "1-3,10-30x10" },
    { { -3, -2, -1 }, 3, "-3--1" },
    { { 5, 1 }, 2, "5,1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = fh_frame_list_format (cases[i].f, cases[i].n);
      g_autoptr (FhFrameList) back = fh_frame_list_parse (name, NULL);

      g_assert_cmpstr (name, ==, cases[i].name);
      /* A name reads back as the same frames. */
      g_assert_nonnull (back);
      g_assert_cmpuint (fh_frame_list_get_length (back), ==, cases[i].n);
      g_assert_true (memcmp (fh_frame_list_get_frames (back), cases[i].f, cases[i].n * sizeof (gint64)) == 0);
    }
}

static void
test_uniform (void)
{
  const gint64 even[] = { 1, 4, 7 }, uneven[] = { 1, 4, 9 }, desc[] = { 5, 1 };
  gint64 step = 0;

  g_assert_true (fh_frame_list_is_uniform (even, 3, &step));
  g_assert_cmpint (step, ==, 3);
  g_assert_true (fh_frame_list_is_uniform (even, 1, &step));
  g_assert_cmpint (step, ==, 1);
  g_assert_false (fh_frame_list_is_uniform (uneven, 3, NULL));
  g_assert_false (fh_frame_list_is_uniform (desc, 2, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/frame-list/valid", test_valid);
  g_test_add_func ("/frame-list/errors", test_errors);
  g_test_add_func ("/frame-list/format", test_format);
  g_test_add_func ("/frame-list/uniform", test_uniform);
  return g_test_run ();
}
