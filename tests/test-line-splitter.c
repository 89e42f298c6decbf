/* test-line-splitter.c — LF, CRLF and CR endings, over-long lines and bad
 * UTF-8, however the bytes are chunked. */
#include "config.h"

#include "fh-line-splitter.h"

typedef struct
{
  GPtrArray *lines;
  GArray *flags;
} Collected;

static void
collect (const char *line, gsize len, FhLineFlags flags, gpointer data)
{
  Collected *c = data;

  g_ptr_array_add (c->lines, g_strndup (line, len));
  g_array_append_val (c->flags, flags);
}

/* Splits @input pushed in chunks of @step and returns the lines joined
 * with '|'. */
static char *
split (const char *input, gsize len, gsize step, gsize max, GArray **flags_out)
{
  Collected c = { g_ptr_array_new_with_free_func (g_free), g_array_new (FALSE, FALSE, sizeof (FhLineFlags)) };
  g_autoptr (FhLineSplitter) s = fh_line_splitter_new (max, collect, &c);
  char *joined;

  for (gsize off = 0; off < len; off += step)
    fh_line_splitter_push (s, input + off, MIN (step, len - off));
  fh_line_splitter_flush (s);
  g_ptr_array_add (c.lines, NULL);
  joined = g_strjoinv ("|", (char **) c.lines->pdata);
  g_ptr_array_unref (c.lines);
  if (flags_out != NULL)
    *flags_out = c.flags;
  else
    g_array_unref (c.flags);
  return joined;
}

static void
test_endings (void)
{
  const char *in = "a\nb\r\nc\rd\r\re\n\nf";
  for (gsize step = 1; step <= strlen (in); step++)
    {
      g_autofree char *got = split (in, strlen (in), step, 100, NULL);
      /* CR CR is two line ends (an empty line); CRLF is one. */
      g_assert_cmpstr (got, ==, "a|b|c|d||e||f");
    }
}

static void
test_crlf_across_pushes (void)
{
  g_autofree char *got = split ("x\r\ny", 4, 2, 100, NULL);

  g_assert_cmpstr (got, ==, "x|y");
}

static void
test_long_line (void)
{
  g_autoptr (GString) in = g_string_new ("short\n");
  g_autoptr (GArray) flags = NULL;
  g_autofree char *got = NULL;

  for (int i = 0; i < 1000; i++)
    g_string_append (in, "0123456789");
  g_string_append (in, "\nafter\n");
  for (gsize step = 1; step < 20000; step = step * 3 + 1)
    {
      g_clear_pointer (&got, g_free);
      g_clear_pointer (&flags, g_array_unref);
      got = split (in->str, in->len, step, 64, &flags);
      g_assert_cmpstr (got, ==, "short|0123456789012345678901234567890123456789012345678901234567890123|after");
      g_assert_cmpint (g_array_index (flags, FhLineFlags, 1) & FH_LINE_TRUNCATED, !=, 0);
      g_assert_cmpint (g_array_index (flags, FhLineFlags, 2), ==, FH_LINE_NONE);
    }
}

static void
test_counts (void)
{
  Collected c = { g_ptr_array_new_with_free_func (g_free), g_array_new (FALSE, FALSE, sizeof (FhLineFlags)) };
  g_autoptr (FhLineSplitter) s = fh_line_splitter_new (10, collect, &c);

  fh_line_splitter_push (s, "0123456789abcdef\nok\n", 20);
  g_assert_cmpuint (fh_line_splitter_get_n_lines (s), ==, 2);
  g_assert_cmpuint (fh_line_splitter_get_n_truncated (s), ==, 1);
  g_assert_cmpuint (fh_line_splitter_get_n_dropped (s), ==, 6);
  g_ptr_array_unref (c.lines);
  g_array_unref (c.flags);
}

static void
test_bad_utf8 (void)
{
  g_autoptr (GArray) flags = NULL;
  g_autofree char *got = split ("ok\nbad \xff\xfe here\n", 15, 3, 100, &flags);

  g_assert_cmpstr (got, ==, "ok|bad \xef\xbf\xbd\xef\xbf\xbd here");
  g_assert_cmpint (g_array_index (flags, FhLineFlags, 1) & FH_LINE_REPAIRED, !=, 0);
  g_assert_true (g_utf8_validate (got, -1, NULL));
}

static void
test_partial_flush (void)
{
  g_autofree char *got = split ("no newline at the end", 21, 5, 100, NULL);

  g_assert_cmpstr (got, ==, "no newline at the end");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/line-splitter/endings", test_endings);
  g_test_add_func ("/line-splitter/crlf-across-pushes", test_crlf_across_pushes);
  g_test_add_func ("/line-splitter/long-line", test_long_line);
  g_test_add_func ("/line-splitter/counts", test_counts);
  g_test_add_func ("/line-splitter/bad-utf8", test_bad_utf8);
  g_test_add_func ("/line-splitter/partial-flush", test_partial_flush);
  return g_test_run ();
}
