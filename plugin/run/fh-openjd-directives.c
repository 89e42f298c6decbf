/* fh-openjd-directives.c — openjd_* lines. */
#include "config.h"

#include "fh-openjd-directives.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

void
fh_oj_directive_clear (FhOjDirective *d)
{
  g_clear_pointer (&d->text, g_free);
  g_clear_pointer (&d->name, g_free);
  g_clear_pointer (&d->value, g_free);
  d->kind = FH_OJ_LINE_OUTPUT;
}

static gboolean
is_name (const char *s, gsize len)
{
  if (len == 0 || !(g_ascii_isalpha (s[0]) || s[0] == '_'))
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!(g_ascii_isalnum (s[i]) || s[i] == '_'))
      return FALSE;
  return TRUE;
}

static FhOjLineKind
malformed (FhOjDirective *out, const char *why)
{
  out->kind = FH_OJ_LINE_MALFORMED;
  out->text = g_strdup (why);
  return out->kind;
}

/* NAME=VALUE, or the same as a JSON string. */
static FhOjLineKind
assignment (const char *payload, FhOjLineKind kind, FhOjDirective *out)
{
  g_autofree char *decoded = NULL;
  const char *eq;

  if (payload[0] == '"')
    {
      g_autoptr (JsonNode) node = json_from_string (payload, NULL);
      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        return malformed (out, "a quoted NAME=VALUE must be one JSON string");
      payload = decoded = g_strdup (json_node_get_string (node));
    }
  if ((eq = strchr (payload, '=')) == NULL || !is_name (payload, eq - payload))
    return malformed (out, "the payload must be NAME=VALUE, NAME a letter or '_' and then letters, digits or '_'");
  out->kind = kind;
  out->name = g_strndup (payload, eq - payload);
  out->value = g_strdup (eq + 1);
  return kind;
}

/* `openjd_env`, `openjd_unset_env`, `openjd_redacted_env` in any case,
 * then ':', ' ' or the end: meant as a directive. */
static gboolean
looks_like_env (const char *line)
{
  static const char *const names[] = { "openjd_env", "openjd_unset_env", "openjd_redacted_env" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      gsize n = strlen (names[i]);
      if (g_ascii_strncasecmp (line, names[i], n) == 0 && (line[n] == ':' || line[n] == ' ' || line[n] == '\0'))
        return TRUE;
    }
  return FALSE;
}

FhOjLineKind
fh_oj_directive_parse (const char *line_data, gsize len, FhOjDirective *out)
{
  g_autofree char *line = g_strndup (line_data, len);
  const char *colon, *payload, *kind;
  gsize kind_len;

  fh_oj_directive_clear (out);
  if (len < 8 || g_ascii_strncasecmp (line, "openjd_", 7) != 0)
    return FH_OJ_LINE_OUTPUT;
  kind = line + 7;
  colon = strstr (kind, ": ");
  if (colon == NULL || strncmp (line, "openjd_", 7) != 0 || colon[2] == '\0')
    goto not_exact;
  kind_len = colon - kind;
  payload = colon + 2;
#define IS(k) (kind_len == strlen (k) && strncmp (kind, k, kind_len) == 0)
  if (IS ("progress"))
    {
      char *end;
      double v = g_ascii_strtod (payload, &end);
      if (*end != '\0' || end == payload || !isfinite (v) || v < 0 || v > 100)
        return FH_OJ_LINE_OUTPUT;  /* a progress that is not one: output */
      out->kind = FH_OJ_LINE_PROGRESS;
      out->progress = v;
      return out->kind;
    }
  if (IS ("status") || IS ("fail") || IS ("session_runtime_loglevel"))
    {
      out->kind = IS ("status") ? FH_OJ_LINE_STATUS : IS ("fail") ? FH_OJ_LINE_FAIL : FH_OJ_LINE_LOGLEVEL;
      out->text = g_strdup (payload);
      return out->kind;
    }
  if (IS ("env"))
    return assignment (payload, FH_OJ_LINE_ENV, out);
  if (IS ("redacted_env"))
    return assignment (payload, FH_OJ_LINE_REDACTED_ENV, out);
  if (IS ("unset_env"))
    {
      if (!is_name (payload, strlen (payload)))
        return malformed (out, "openjd_unset_env takes one variable name");
      out->kind = FH_OJ_LINE_UNSET_ENV;
      out->name = g_strdup (payload);
      return out->kind;
    }
#undef IS
not_exact:
  if (looks_like_env (line))
    return malformed (out, "an environment directive is exactly `openjd_env: NAME=VALUE`, "
                      "`openjd_unset_env: NAME` or `openjd_redacted_env: NAME=VALUE` (lower case, "
                      "one space after the colon)");
  return FH_OJ_LINE_OUTPUT;
}
