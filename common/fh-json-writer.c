/* fh-json-writer.c — JSON text with shortest doubles (see the header). */
#include "config.h"

#include "fh-json-writer.h"

#include <float.h>
#include <math.h>
#include <string.h>

const char *
fh_json_writer_format_double (char *buf, double d)
{
  static const char *const formats[] = {
    "%.1g", "%.2g", "%.3g", "%.4g", "%.5g", "%.6g", "%.7g", "%.8g", "%.9g",
    "%.10g", "%.11g", "%.12g", "%.13g", "%.14g", "%.15g", "%.16g", "%.17g",
  };
  /* A normal double has 53 bits, so %.15g finds its form of 15 digits or
   * fewer when it has one (%g drops trailing zeros): start there.  A
   * subnormal one has fewer bits, and a shorter form than %.15g's. */
  guint first = fabs (d) < DBL_MIN ? 0 : 14;

  for (guint i = first; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, G_ASCII_DTOSTR_BUF_SIZE, formats[i], d);
      if (g_ascii_strtod (buf, NULL) == d)
        break;
    }
  if (strpbrk (buf, ".eEn") == NULL)
    strcat (buf, ".0");
  return buf;
}

static void
append_string (GString *out, const char *s)
{
  const char *run = s;

  g_string_append_c (out, '"');
  for (const char *p = s; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      const char *escape = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                           : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                           : c == '\f' ? "\\f" : NULL;

      if (escape == NULL && c >= 0x20)
        continue;
      g_string_append_len (out, run, p - run);
      if (escape != NULL)
        g_string_append (out, escape);
      else
        g_string_append_printf (out, "\\u%04x", c);
      run = p + 1;
    }
  g_string_append (out, run);
  g_string_append_c (out, '"');
}

/* Decimal digits without printf: a result's index, frames and attempts
 * are written for every item, and printf's machinery was most of it. */
void
fh_json_writer_append_int (GString *out, gint64 v)
{
  char buf[24];
  char *p = buf + sizeof buf;
  guint64 u = v < 0 ? -(guint64) v : (guint64) v;

  do
    *--p = (char) ('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    *--p = '-';
  g_string_append_len (out, p, buf + sizeof buf - p);
}

static void
append_double (GString *out, double d)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (d))
    g_string_append (out, "null");
  else
    g_string_append (out, fh_json_writer_format_double (buf, d));
}

static void
append_value (GString *out, JsonNode *node)
{
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      append_string (out, json_node_get_string (node));
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    case G_TYPE_DOUBLE:
      append_double (out, json_node_get_double (node));
      break;
    default:
      fh_json_writer_append_int (out, json_node_get_int (node));
      break;
    }
}

void
fh_json_writer_append (GString *out, JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            append_string (out, name);
            g_string_append_c (out, ':');
            fh_json_writer_append (out, member);
          }
        g_string_append_c (out, '}');
        break;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (node);

        g_string_append_c (out, '[');
        for (guint i = 0; i < json_array_get_length (a); i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            fh_json_writer_append (out, json_array_get_element (a, i));
          }
        g_string_append_c (out, ']');
        break;
      }
    case JSON_NODE_VALUE:
      append_value (out, node);
      break;
    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

char *
fh_json_writer_to_string (JsonNode *node)
{
  GString *out = g_string_sized_new (256);

  fh_json_writer_append (out, node);
  return g_string_free (out, FALSE);
}

/* ---- streaming ----------------------------------------------------------- */

/* A comma, unless what comes is the first of its object or array, or the
 * value of the key just written. */
static void
separate (GString *out)
{
  char last = out->len > 0 ? out->str[out->len - 1] : '{';

  if (last != '{' && last != '[' && last != ':')
    g_string_append_c (out, ',');
}

void
fh_json_writer_begin (GString *out, char bracket)
{
  separate (out);
  g_string_append_c (out, bracket);
}

void
fh_json_writer_end (GString *out, char bracket)
{
  g_string_append_c (out, bracket);
}

void
fh_json_writer_key (GString *out, const char *key)
{
  separate (out);
  append_string (out, key);
  g_string_append_c (out, ':');
}

void
fh_json_writer_string (GString *out, const char *s)
{
  separate (out);
  append_string (out, s);
}

void
fh_json_writer_int (GString *out, gint64 v)
{
  separate (out);
  fh_json_writer_append_int (out, v);
}

void
fh_json_writer_append_micros (GString *out, gint64 us)
{
  guint64 u = us < 0 ? -(guint64) us : (guint64) us;
  guint r = (guint) (u % 1000000);
  char frac[6];
  int n = 6;

  if (us < 0)
    g_string_append_c (out, '-');
  fh_json_writer_append_int (out, (gint64) (u / 1000000));
  g_string_append_c (out, '.');
  for (int i = 5; i >= 0; i--, r /= 10)
    frac[i] = (char) ('0' + r % 10);
  while (n > 1 && frac[n - 1] == '0')
    n--;
  g_string_append_len (out, frac, n);
}

void
fh_json_writer_micros (GString *out, gint64 us)
{
  separate (out);
  fh_json_writer_append_micros (out, us);
}

void
fh_json_writer_boolean (GString *out, gboolean b)
{
  separate (out);
  g_string_append (out, b ? "true" : "false");
}

void
fh_json_writer_node (GString *out, JsonNode *node)
{
  separate (out);
  fh_json_writer_append (out, node);
}

void
fh_json_writer_members (GString *out, JsonObject *o)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init_ordered (&iter, o);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      fh_json_writer_key (out, name);
      fh_json_writer_node (out, member);
    }
}
