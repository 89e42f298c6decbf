/* test-json.c — the JSON farmhand writes: doubles in their shortest form,
 * everything else as json-glib writes it, and every document read back by
 * json-glib as the tree it was written from. */
#include "config.h"

#include <math.h>

#include "fh-json.h"
#include "fh-json-writer.h"

static void
test_doubles (void)
{
  static const struct { double d; const char *text; } cases[] = {
    { 0.000325, "0.000325" }, { 5.9e-05, "5.9e-05" }, { 1.0, "1.0" }, { 0.0, "0.0" },
    { -0.0, "-0.0" }, { 0.1 + 0.2, "0.30000000000000004" }, { 1e300, "1e+300" },
    { 123456789.125, "123456789.125" }, { 2.5e-320, "2.5e-320" }, { -17.75, "-17.75" },
    { 1.0 / 3.0, "0.3333333333333333" }, { 9007199254740993.0, "9007199254740992.0" },
  };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (fh_json_writer_format_double (buf, cases[i].d), ==, cases[i].text);
}

/* Random doubles of every magnitude read back exactly, in no more digits
 * than %.17g. */
static void
test_doubles_round_trip (void)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < 100000; i++)
    {
      double d = g_test_rand_double_range (-1, 1) * pow (10, g_test_rand_int_range (-300, 300));
      const char *text = fh_json_writer_format_double (buf, d);

      g_assert_cmpfloat (g_ascii_strtod (text, NULL), ==, d);
      g_assert_cmpuint (strlen (text), <=, 24);
    }
}

static void
test_strings_and_order (void)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autoptr (JsonArray) a = json_array_new ();
  g_autofree char *text = NULL;
  g_autoptr (JsonNode) node = json_node_alloc ();
  g_autofree char *glib_text = NULL;

  json_object_set_string_member (o, "z", "quote \" backslash \\ tab \t nl \n bell \x07 é ✓");
  json_object_set_int_member (o, "a", -42);
  json_object_set_boolean_member (o, "m", TRUE);
  json_object_set_null_member (o, "n");
  json_array_add_int_element (a, 1);
  json_array_add_string_element (a, "two");
  json_array_add_object_element (a, json_object_new ());
  json_array_add_array_element (a, json_array_new ());
  json_object_set_array_member (o, "list", json_array_ref (a));
  text = fh_json_object_to_string (o);
  /* Without doubles, byte for byte what json-glib writes. */
  json_node_init_object (node, o);
  glib_text = json_to_string (node, FALSE);
  g_assert_cmpstr (text, ==, glib_text);
  g_assert_cmpstr (text, ==, "{\"z\":\"quote \\\" backslash \\\\ tab \\t nl \\n bell \\u0007 é ✓\","
                             "\"a\":-42,\"m\":true,\"n\":null,\"list\":[1,\"two\",{},[]]}");
}

static void
test_not_finite (void)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autofree char *text = NULL;

  json_object_set_double_member (o, "inf", INFINITY);
  json_object_set_double_member (o, "nan", NAN);
  text = fh_json_object_to_string (o);
  g_assert_cmpstr (text, ==, "{\"inf\":null,\"nan\":null}");
}

/* A random tree, written and read back, is the same tree. */
static JsonNode *
random_node (guint depth)
{
  JsonNode *node = json_node_alloc ();
  guint kind = depth > 3 ? g_test_rand_int_range (0, 4) : g_test_rand_int_range (0, 6);

  switch (kind)
    {
    case 0: return json_node_init_int (node, g_test_rand_int ());
    case 1: return json_node_init_double (node, g_test_rand_double_range (-1e6, 1e6));
    case 2:
      {
        char s[9];
        for (guint i = 0; i < 8; i++)
          s[i] = (char) g_test_rand_int_range (1, 128);
        s[8] = '\0';
        return json_node_init_string (node, s);
      }
    case 3: return json_node_init_boolean (node, g_test_rand_bit ());
    case 4:
      {
        JsonArray *a = json_array_new ();
        for (gint i = g_test_rand_int_range (0, 4); i > 0; i--)
          json_array_add_element (a, random_node (depth + 1));
        json_node_init_array (node, a);
        json_array_unref (a);  /* the node took its own reference */
        return node;
      }
    default:
      {
        JsonObject *o = json_object_new ();
        for (gint i = g_test_rand_int_range (0, 4); i > 0; i--)
          {
            g_autofree char *name = g_strdup_printf ("k%d", g_test_rand_int_range (0, 100));
            json_object_set_member (o, name, random_node (depth + 1));
          }
        json_node_init_object (node, o);
        json_object_unref (o);
        return node;
      }
    }
}

static void
test_round_trip (void)
{
  for (guint i = 0; i < 2000; i++)
    {
      g_autoptr (JsonNode) tree = random_node (0);
      g_autofree char *text = fh_json_writer_to_string (tree);
      g_autoptr (JsonNode) back = json_from_string (text, NULL);

      if (back == NULL || !json_node_equal (tree, back))
        g_error ("did not read back as written: %s", text);
    }
}

/* Reading: json-glib's domain and code, for each caller to put in its
 * own terms. */
static void
test_parse_errors (void)
{
  g_autoptr (GError) syntax = NULL;
  g_autoptr (GError) kind = NULL;

  g_assert_null (fh_json_parse_object ("{\"a\": ", -1, &syntax));
  g_assert_true (syntax->domain == JSON_PARSER_ERROR);
  g_assert_true (g_str_has_prefix (syntax->message, "not JSON: "));
  g_assert_null (fh_json_parse_object ("[1]", -1, &kind));
  g_assert_error (kind, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA);
  g_assert_cmpstr (kind->message, ==, "expected a JSON object, got an array");
}

/* The streaming writer writes what the tree writer writes for the same
 * document: commas, nesting, escapes, numbers, members of another tree. */
static void
test_streaming (void)
{
  const char *doc = "{\"name\":\"a \\\"b\\\"\\n\",\"index\":-3,\"frames\":[1,2,9223372036854775807],"
                    "\"empty\":[],\"nested\":{\"x\":[{\"y\":true}]},\"elapsed_s\":0.000325,\"nan\":null,"
                    "\"ok\":false,\"extra\":{\"k\":\"v\"},\"k2\":[\"s\",null]}";
  g_autoptr (JsonObject) extra = fh_json_parse_object ("{\"extra\":{\"k\":\"v\"},\"k2\":[\"s\",null]}", -1, NULL);
  g_autoptr (JsonObject) whole = fh_json_parse_object (doc, -1, NULL);
  g_autofree char *tree = fh_json_object_to_string (whole);
  g_autoptr (GString) out = g_string_new (NULL);

  fh_json_writer_begin (out, '{');
  fh_json_writer_key (out, "name");
  fh_json_writer_string (out, "a \"b\"\n");
  fh_json_writer_key (out, "index");
  fh_json_writer_int (out, -3);
  fh_json_writer_key (out, "frames");
  fh_json_writer_begin (out, '[');
  fh_json_writer_int (out, 1);
  fh_json_writer_int (out, 2);
  fh_json_writer_int (out, G_MAXINT64);
  fh_json_writer_end (out, ']');
  fh_json_writer_key (out, "empty");
  fh_json_writer_begin (out, '[');
  fh_json_writer_end (out, ']');
  fh_json_writer_key (out, "nested");
  fh_json_writer_begin (out, '{');
  fh_json_writer_key (out, "x");
  fh_json_writer_begin (out, '[');
  fh_json_writer_begin (out, '{');
  fh_json_writer_key (out, "y");
  fh_json_writer_boolean (out, TRUE);
  fh_json_writer_end (out, '}');
  fh_json_writer_end (out, ']');
  fh_json_writer_end (out, '}');
  fh_json_writer_key (out, "elapsed_s");
  fh_json_writer_micros (out, 325);
  fh_json_writer_key (out, "nan");
  {
    g_autoptr (JsonNode) nan = json_node_init_double (json_node_alloc (), NAN);

    fh_json_writer_node (out, nan);
  }
  fh_json_writer_key (out, "ok");
  fh_json_writer_boolean (out, FALSE);
  fh_json_writer_members (out, extra);
  fh_json_writer_end (out, '}');
  g_assert_cmpstr (out->str, ==, doc);
  g_assert_cmpstr (tree, ==, doc);
}

/* Elapsed microseconds as seconds: exact, no exponent, one digit after
 * the point at least; what a JSON reader gets back is us / 1e6. */
static void
test_micros (void)
{
  static const struct { gint64 us; const char *text; } cases[] = {
    { 0, "0.0" }, { 1, "0.000001" }, { 47, "0.000047" }, { 325, "0.000325" }, { 12500000, "12.5" },
    { 1000000, "1.0" }, { -1500000, "-1.5" }, { G_MAXINT64, "9223372036854.775807" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      fh_json_writer_append_micros (out, cases[i].us);
      g_assert_cmpstr (out->str, ==, cases[i].text);
      if (cases[i].us < 1000000000)
        g_assert_cmpfloat (g_ascii_strtod (out->str, NULL), ==, cases[i].us / 1e6);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/doubles", test_doubles);
  g_test_add_func ("/json/doubles-round-trip", test_doubles_round_trip);
  g_test_add_func ("/json/strings-and-order", test_strings_and_order);
  g_test_add_func ("/json/not-finite", test_not_finite);
  g_test_add_func ("/json/round-trip", test_round_trip);
  g_test_add_func ("/json/parse-errors", test_parse_errors);
  g_test_add_func ("/json/streaming", test_streaming);
  g_test_add_func ("/json/micros", test_micros);
  return g_test_run ();
}
