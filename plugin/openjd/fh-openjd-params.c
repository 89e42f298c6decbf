/* fh-openjd-params.c — job parameter definitions (Template Schemas §2):
 * each type's fields, its constraints consistent with each other and
 * with its default and allowed values, and its user interface. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "fh-openjd-check.h"
#include "fh-openjd-params.h"

#define STRING_VALUE_MAX 1024
#define LABEL_MAX 64
#define FILTER_PATTERN_MAX 20
#define FILE_FILTERS_MAX 20

static const char *const type_names[] = {
  [FH_OJ_STRING] = "STRING", [FH_OJ_PATH] = "PATH", [FH_OJ_INT] = "INT", [FH_OJ_FLOAT] = "FLOAT",
  [FH_OJ_CHUNK_INT] = "CHUNK[INT]",
};

const char *
fh_oj_type_name (FhOjType type)
{
  return type < G_N_ELEMENTS (type_names) ? type_names[type] : "?";
}

void
fh_oj_value_clear (FhOjValue *v)
{
  g_clear_pointer (&v->text, g_free);
}

void
fh_oj_value_copy (FhOjValue *to, const FhOjValue *from)
{
  *to = *from;
  to->text = g_strdup (from->text);
}

static void
value_array_clear (gpointer p)
{
  fh_oj_value_clear (p);
}

void
fh_oj_param_def_free (FhOjParamDef *d)
{
  if (d == NULL)
    return;
  g_free (d->name);
  fh_oj_value_clear (&d->def);
  fh_oj_value_clear (&d->min);
  fh_oj_value_clear (&d->max);
  g_clear_pointer (&d->allowed, g_array_unref);
  g_free (d->object_type);
  g_free (d->data_flow);
  g_free (d);
}

GArray *
fh_oj_values_copy (GArray *values)
{
  GArray *c = g_array_new (FALSE, FALSE, sizeof (FhOjValue));

  g_array_set_clear_func (c, value_array_clear);
  for (guint i = 0; i < values->len; i++)
    {
      FhOjValue v;
      fh_oj_value_copy (&v, &g_array_index (values, FhOjValue, i));
      g_array_append_val (c, v);
    }
  return c;
}

FhOjParamDef *
fh_oj_param_def_copy (const FhOjParamDef *d)
{
  FhOjParamDef *c = g_new0 (FhOjParamDef, 1);

  *c = *d;
  c->name = g_strdup (d->name);
  fh_oj_value_copy (&c->def, &d->def);
  fh_oj_value_copy (&c->min, &d->min);
  fh_oj_value_copy (&c->max, &d->max);
  c->object_type = g_strdup (d->object_type);
  c->data_flow = g_strdup (d->data_flow);
  c->allowed = d->allowed ? fh_oj_values_copy (d->allowed) : NULL;
  return c;
}

/* ---- values ------------------------------------------------------------- */

static char *
int_text (gint64 i)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, i);
}

/* A value of @type at @node: what a default, an allowed value or a bound
 * may be.  The text of a FLOAT is kept as written. */
static gboolean
want_value (FhOjCheck *c, FhOjType type, const FhDocNode *node, const char *path, FhOjValue *out)
{
  const char *s;

  memset (out, 0, sizeof *out);
  switch (type)
    {
    case FH_OJ_INT:
      if (!fh_oj_want_int (c, node, path, &out->i))
        return FALSE;
      out->text = int_text (out->i);
      out->d = (double) out->i;
      return TRUE;
    case FH_OJ_FLOAT:
      return fh_oj_want_float (c, node, path, &out->d, &out->text);
    default:
      if ((s = fh_oj_want_string (c, node, path)) == NULL ||
          !fh_oj_check_text (c, path, node, s, 0, STRING_VALUE_MAX, 0))
        return FALSE;
      out->text = g_strdup (s);
      return TRUE;
    }
}

gboolean
fh_oj_value_from_text (FhOjType type, const char *text, FhOjValue *out, char **message)
{
  gboolean overflow = FALSE;

  memset (out, 0, sizeof *out);
  switch (type)
    {
    case FH_OJ_INT:
      if (!fh_oj_parse_int (text, &out->i, &overflow))
        {
          *message = overflow ? g_strdup_printf ("'%s' is beyond a 64-bit integer", text)
                              : g_strdup_printf ("'%s' is not an integer", text);
          return FALSE;
        }
      out->text = int_text (out->i);
      out->d = (double) out->i;
      return TRUE;
    case FH_OJ_FLOAT:
      if (!fh_oj_parse_float (text, &out->d))
        {
          *message = g_strdup_printf ("'%s' is not a finite number", text);
          return FALSE;
        }
      out->text = g_strstrip (g_strdup (text));
      return TRUE;
    default:
      if (g_utf8_strlen (text, -1) > STRING_VALUE_MAX)
        {
          *message = g_strdup_printf ("the value is %ld characters long; at most %d are allowed",
                                      g_utf8_strlen (text, -1), STRING_VALUE_MAX);
          return FALSE;
        }
      out->text = g_strdup (text);
      return TRUE;
    }
}

static gboolean
is_numeric (FhOjType type)
{
  return type == FH_OJ_INT || type == FH_OJ_FLOAT;
}

static int
compare_values (FhOjType type, const FhOjValue *a, const FhOjValue *b)
{
  if (type == FH_OJ_INT)
    return a->i < b->i ? -1 : a->i > b->i;
  if (type == FH_OJ_FLOAT)
    return a->d < b->d ? -1 : a->d > b->d;
  return strcmp (a->text, b->text);
}

gboolean
fh_oj_values_equal (FhOjType type, const FhOjValue *a, const FhOjValue *b)
{
  return compare_values (type, a, b) == 0;
}

char *
fh_oj_param_check_value (const FhOjParamDef *d, const FhOjValue *v)
{
  glong len = is_numeric (d->type) ? 0 : g_utf8_strlen (v->text, -1);

  if (d->min_length >= 0 && len < d->min_length)
    return g_strdup_printf ("'%s' is %ld characters long; at least %" G_GINT64_FORMAT " are required",
                            v->text, len, d->min_length);
  if (d->max_length >= 0 && len > d->max_length)
    return g_strdup_printf ("'%s' is %ld characters long; at most %" G_GINT64_FORMAT " are allowed",
                            v->text, len, d->max_length);
  if (d->has_min && compare_values (d->type, v, &d->min) < 0)
    return g_strdup_printf ("%s is below the minimum, %s", v->text, d->min.text);
  if (d->has_max && compare_values (d->type, v, &d->max) > 0)
    return g_strdup_printf ("%s is above the maximum, %s", v->text, d->max.text);
  if (d->allowed != NULL)
    {
      g_autoptr (GString) list = g_string_new (NULL);
      for (guint i = 0; i < d->allowed->len; i++)
        {
          const FhOjValue *a = &g_array_index (d->allowed, FhOjValue, i);
          if (compare_values (d->type, v, a) == 0)
            return NULL;
          g_string_append_printf (list, "%s'%s'", i ? ", " : "", a->text);
        }
      return g_strdup_printf ("'%s' is not one of the allowed values: %s", v->text, list->str);
    }
  return NULL;
}

/* ---- definitions -------------------------------------------------------- */

static const char *const common_fields[] = { "name", "type", "description", "default", "allowedValues",
                                             "userInterface", NULL };

static const char *const *
fields_of (FhOjType type)
{
  static const char *const string_fields[] = { "name", "type", "description", "default", "allowedValues",
                                               "userInterface", "minLength", "maxLength", NULL };
  static const char *const path_fields[] = { "name", "type", "description", "default", "allowedValues",
                                             "userInterface", "minLength", "maxLength", "objectType",
                                             "dataFlow", NULL };
  static const char *const number_fields[] = { "name", "type", "description", "default", "allowedValues",
                                               "userInterface", "minValue", "maxValue", NULL };

  switch (type)
    {
    case FH_OJ_STRING: return string_fields;
    case FH_OJ_PATH: return path_fields;
    case FH_OJ_INT:
    case FH_OJ_FLOAT: return number_fields;
    default: return common_fields;
    }
}

static gboolean
parse_type (FhOjCheck *c, const FhDocNode *node, const char *path, FhOjType *out)
{
  const char *s = fh_oj_want_string (c, node, path);

  for (guint t = FH_OJ_STRING; s != NULL && t <= FH_OJ_FLOAT; t++)
    if (g_str_equal (s, type_names[t]))
      {
        *out = t;
        return TRUE;
      }
  if (s != NULL)
    fh_oj_bad (c, path, node, "'%s' is not a parameter type: STRING, PATH, INT or FLOAT "
               "(upper case; the types of the EXPR extension are not supported)", s);
  return FALSE;
}

static gboolean
one_of (FhOjCheck *c, const FhDocNode *node, const char *path, const char *const *choices, char **out)
{
  const char *s = fh_oj_want_string (c, node, path);
  g_autofree char *known = NULL;

  for (const char *const *p = choices; s != NULL && *p != NULL; p++)
    if (g_str_equal (s, *p))
      {
        *out = g_strdup (s);
        return TRUE;
      }
  if (s != NULL)
    {
      known = g_strjoinv (", ", (char **) choices);
      fh_oj_bad (c, path, node, "'%s' is not one of %s", s, known);
    }
  return FALSE;
}

static void
length_bounds (FhOjCheck *c, const FhDocNode *def, const char *path, FhOjParamDef *d)
{
  const FhDocNode *min = fh_doc_get (def, "minLength"), *max = fh_doc_get (def, "maxLength");

  d->min_length = d->max_length = -1;
  if (min != NULL && fh_oj_want_int (c, min, fh_oj_path (c, "%s.minLength", path), &d->min_length) &&
      d->min_length < 0)
    fh_oj_bad (c, fh_oj_path (c, "%s.minLength", path), min, "must be 0 or more"), d->min_length = -1;
  if (max != NULL && fh_oj_want_int (c, max, fh_oj_path (c, "%s.maxLength", path), &d->max_length) &&
      d->max_length < 1)
    fh_oj_bad (c, fh_oj_path (c, "%s.maxLength", path), max, "must be 1 or more"), d->max_length = -1;
  if (d->min_length >= 0 && d->max_length >= 0 && d->min_length > d->max_length)
    fh_oj_bad (c, fh_oj_path (c, "%s.minLength", path), min,
               "minLength (%" G_GINT64_FORMAT ") is above maxLength (%" G_GINT64_FORMAT ")", d->min_length,
               d->max_length);
}

static void
value_bounds (FhOjCheck *c, const FhDocNode *def, const char *path, FhOjParamDef *d)
{
  const FhDocNode *min = fh_doc_get (def, "minValue"), *max = fh_doc_get (def, "maxValue");

  if (min != NULL)
    d->has_min = want_value (c, d->type, min, fh_oj_path (c, "%s.minValue", path), &d->min);
  if (max != NULL)
    d->has_max = want_value (c, d->type, max, fh_oj_path (c, "%s.maxValue", path), &d->max);
  if (d->has_min && d->has_max && compare_values (d->type, &d->min, &d->max) > 0)
    fh_oj_bad (c, fh_oj_path (c, "%s.minValue", path), min, "minValue (%s) is above maxValue (%s)",
               d->min.text, d->max.text);
}

static void
allowed_values (FhOjCheck *c, const FhDocNode *def, const char *path, FhOjParamDef *d)
{
  const FhDocNode *list = fh_doc_get (def, "allowedValues");
  const char *p = fh_oj_path (c, "%s.allowedValues", path);

  if (list == NULL || !fh_oj_check_list (c, list, p, 1, 0))
    return;
  d->allowed = g_array_new (FALSE, FALSE, sizeof (FhOjValue));
  g_array_set_clear_func (d->allowed, value_array_clear);
  for (guint i = 0; i < list->n_children; i++)
    {
      FhOjValue v;
      const char *vp = fh_oj_path (c, "%s[%u]", p, i);
      g_autofree char *why = NULL;
      if (!want_value (c, d->type, list->values[i], vp, &v))
        continue;
      /* Each allowed value within the other constraints. */
      {
        GArray *keep = d->allowed;
        d->allowed = NULL;
        why = fh_oj_param_check_value (d, &v);
        d->allowed = keep;
      }
      if (why != NULL)
        fh_oj_bad (c, vp, list->values[i], "%s", why);
      g_array_append_val (d->allowed, v);
    }
}

static void
default_value (FhOjCheck *c, const FhDocNode *def, const char *path, FhOjParamDef *d)
{
  const FhDocNode *node = fh_doc_get (def, "default");
  const char *p = fh_oj_path (c, "%s.default", path);
  g_autofree char *why = NULL;

  if (node == NULL || !(d->has_default = want_value (c, d->type, node, p, &d->def)))
    return;
  if ((why = fh_oj_param_check_value (d, &d->def)) != NULL)
    fh_oj_bad (c, p, node, "the default %s", why);
}

/* ---- the user interface ------------------------------------------------- */

static void
ui_label (FhOjCheck *c, const FhDocNode *ui, const char *path, const char *key)
{
  const FhDocNode *n = fh_doc_get (ui, key);
  const char *p = fh_oj_path (c, "%s.%s", path, key);
  const char *s;

  if (n != NULL && (s = fh_oj_want_string (c, n, p)) != NULL)
    fh_oj_check_text (c, p, n, s, 1, LABEL_MAX, FH_OJ_TEXT_NO_CC);
}

/* A file dialog pattern: "*", "*.*" or "*.EXT". */
static gboolean
is_filter_pattern (const char *s)
{
  static const char *forbidden = "\\/*?[]#%&{}<>$!'\":@`|=";

  if (g_str_equal (s, "*") || g_str_equal (s, "*.*"))
    return TRUE;
  if (!g_str_has_prefix (s, "*.") || s[2] == '\0')
    return FALSE;
  for (const char *p = s + 2; *p; p = g_utf8_next_char (p))
    {
      gunichar u = g_utf8_get_char (p);
      if (u < 0x20 || (u >= 0x7f && u <= 0x9f) || (u < 0x80 && strchr (forbidden, (int) u) != NULL))
        return FALSE;
    }
  return TRUE;
}

static void
file_filter (FhOjCheck *c, const FhDocNode *f, const char *path)
{
  static const char *const fields[] = { "label", "patterns", NULL };
  const FhDocNode *patterns;
  const char *pp = fh_oj_path (c, "%s.patterns", path);

  if (!fh_oj_check_map (c, f, path, fields, fields))
    return;
  ui_label (c, f, path, "label");
  patterns = fh_doc_get (f, "patterns");
  if (patterns == NULL || !fh_oj_check_list (c, patterns, pp, 1, FILE_FILTERS_MAX))
    return;
  for (guint i = 0; i < patterns->n_children; i++)
    {
      const char *p = fh_oj_path (c, "%s[%u]", pp, i);
      const char *s = fh_oj_want_string (c, patterns->values[i], p);
      if (s != NULL && fh_oj_check_text (c, p, patterns->values[i], s, 1, FILTER_PATTERN_MAX, 0) &&
          !is_filter_pattern (s))
        fh_oj_bad (c, p, patterns->values[i], "'%s' is not a file pattern: '*', '*.*' or '*.EXT' (an "
                   "extension without separators, wildcards or any of #%%&{}<>$!'\":@`|=)", s);
    }
}

/* The control a parameter gets when its interface names none. */
static const char *
default_control (const FhOjParamDef *d)
{
  if (d->allowed != NULL)
    return "DROPDOWN_LIST";
  switch (d->type)
    {
    case FH_OJ_STRING: return "LINE_EDIT";
    case FH_OJ_PATH:
      if (g_strcmp0 (d->object_type, "FILE") == 0)
        return g_strcmp0 (d->data_flow, "OUT") == 0 ? "CHOOSE_OUTPUT_FILE" : "CHOOSE_INPUT_FILE";
      return "CHOOSE_DIRECTORY";
    default: return "SPIN_BOX";
    }
}

/* CHECK_BOX: exactly two allowed values, one true and one false. */
static gboolean
check_box_pair (const FhOjParamDef *d)
{
  static const char *const pairs[][2] = { { "true", "false" }, { "yes", "no" }, { "on", "off" }, { "1", "0" } };
  const char *a, *b;

  if (d->allowed == NULL || d->allowed->len != 2)
    return FALSE;
  a = g_array_index (d->allowed, FhOjValue, 0).text;
  b = g_array_index (d->allowed, FhOjValue, 1).text;
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    if ((!g_ascii_strcasecmp (a, pairs[i][0]) && !g_ascii_strcasecmp (b, pairs[i][1])) ||
        (!g_ascii_strcasecmp (a, pairs[i][1]) && !g_ascii_strcasecmp (b, pairs[i][0])))
      return TRUE;
  return FALSE;
}

static void
control_fits (FhOjCheck *c, const FhDocNode *node, const char *path, const FhOjParamDef *d, const char *control)
{
  gboolean free_text = g_str_equal (control, "LINE_EDIT") || g_str_equal (control, "MULTILINE_EDIT") ||
                       g_str_has_prefix (control, "CHOOSE_") || g_str_equal (control, "SPIN_BOX");

  if (free_text && d->allowed != NULL)
    fh_oj_bad (c, path, node, "%s cannot be used with allowedValues (use DROPDOWN_LIST)", control);
  else if (g_str_equal (control, "DROPDOWN_LIST") && d->allowed == NULL)
    fh_oj_bad (c, path, node, "DROPDOWN_LIST needs allowedValues");
  else if (g_str_equal (control, "CHECK_BOX") && !check_box_pair (d))
    fh_oj_bad (c, path, node, "CHECK_BOX needs exactly two allowedValues, one true and one false: "
               "true/false, yes/no, on/off or 1/0 (in any case)");
}

static void
user_interface (FhOjCheck *c, const FhDocNode *def, const char *path, FhOjParamDef *d)
{
  static const char *const string_controls[] = { "LINE_EDIT", "MULTILINE_EDIT", "DROPDOWN_LIST", "CHECK_BOX",
                                                 "HIDDEN", NULL };
  static const char *const path_controls[] = { "CHOOSE_INPUT_FILE", "CHOOSE_OUTPUT_FILE", "CHOOSE_DIRECTORY",
                                               "DROPDOWN_LIST", "HIDDEN", NULL };
  static const char *const number_controls[] = { "SPIN_BOX", "DROPDOWN_LIST", "HIDDEN", NULL };
  static const char *const string_ui[] = { "control", "label", "groupLabel", NULL };
  static const char *const path_ui[] = { "control", "label", "groupLabel", "fileFilters", "fileFilterDefault", NULL };
  static const char *const int_ui[] = { "control", "label", "groupLabel", "singleStepDelta", NULL };
  static const char *const float_ui[] = { "control", "label", "groupLabel", "decimals", "singleStepDelta", NULL };
  const FhDocNode *ui = fh_doc_get (def, "userInterface"), *n;
  const char *p = fh_oj_path (c, "%s.userInterface", path);
  g_autofree char *control = NULL;
  const char *effective;

  if (ui == NULL ||
      !fh_oj_check_map (c, ui, p, d->type == FH_OJ_STRING ? string_ui : d->type == FH_OJ_PATH ? path_ui
                                  : d->type == FH_OJ_INT ? int_ui : float_ui, NULL))
    return;
  if ((n = fh_doc_get (ui, "control")) != NULL &&
      !one_of (c, n, fh_oj_path (c, "%s.control", p), d->type == FH_OJ_STRING ? string_controls
                                                      : d->type == FH_OJ_PATH ? path_controls : number_controls,
               &control))
    return;
  effective = control ? control : default_control (d);
  control_fits (c, n ? n : ui, fh_oj_path (c, "%s.control", p), d, effective);
  ui_label (c, ui, p, "label");
  ui_label (c, ui, p, "groupLabel");
  if (d->type == FH_OJ_PATH)
    {
      const FhDocNode *filters = fh_doc_get (ui, "fileFilters"), *deflt = fh_doc_get (ui, "fileFilterDefault");
      gboolean file_dialog = g_str_equal (effective, "CHOOSE_INPUT_FILE") || g_str_equal (effective, "CHOOSE_OUTPUT_FILE");
      if ((filters != NULL || deflt != NULL) && !file_dialog)
        fh_oj_bad (c, p, filters ? filters : deflt, "fileFilters and fileFilterDefault need the control "
                   "CHOOSE_INPUT_FILE or CHOOSE_OUTPUT_FILE, not %s", effective);
      if (filters != NULL && fh_oj_check_list (c, filters, fh_oj_path (c, "%s.fileFilters", p), 1, FILE_FILTERS_MAX))
        for (guint i = 0; i < filters->n_children; i++)
          file_filter (c, filters->values[i], fh_oj_path (c, "%s.fileFilters[%u]", p, i));
      if (deflt != NULL)
        file_filter (c, deflt, fh_oj_path (c, "%s.fileFilterDefault", p));
    }
  if ((n = fh_doc_get (ui, "singleStepDelta")) != NULL)
    {
      const char *sp = fh_oj_path (c, "%s.singleStepDelta", p);
      gint64 i;
      double f;
      if (d->type == FH_OJ_INT && (n->kind == FH_DOC_FLOAT && n->float_value != floor (n->float_value)))
        fh_oj_bad (c, sp, n, "must be a positive integer, not %s", n->text);
      else if (d->type == FH_OJ_INT ? fh_oj_want_int (c, n, sp, &i) && i <= 0
                                    : fh_oj_want_float (c, n, sp, &f, NULL) && f <= 0)
        fh_oj_bad (c, sp, n, "must be above 0");
    }
  if ((n = fh_doc_get (ui, "decimals")) != NULL)
    {
      const char *dp = fh_oj_path (c, "%s.decimals", p);
      gint64 i;
      if (fh_oj_want_int (c, n, dp, &i) && i < 0)
        fh_oj_bad (c, dp, n, "must be 0 or more");
      else if (!g_str_equal (effective, "SPIN_BOX"))
        fh_oj_bad (c, dp, n, "decimals is for the control SPIN_BOX, not %s", effective);
    }
}

/* ---- a definition ------------------------------------------------------- */

static FhOjParamDef *
param_def (FhOjCheck *c, const FhDocNode *def, const char *path)
{
  static const char *const required[] = { "name", "type", NULL };
  static const char *const object_types[] = { "FILE", "DIRECTORY", NULL };
  static const char *const data_flows[] = { "NONE", "IN", "OUT", "INOUT", NULL };
  g_autoptr (FhOjParamDef) d = g_new0 (FhOjParamDef, 1);
  const FhDocNode *n;
  const char *s;

  d->min_length = d->max_length = -1;
  d->node = def;
  d->source = c->source;
  if (def == NULL || def->kind != FH_DOC_MAP)
    {
      fh_oj_check_map (c, def, path, NULL, NULL);
      return NULL;
    }
  if ((n = fh_doc_get (def, "type")) == NULL || !parse_type (c, n, fh_oj_path (c, "%s.type", path), &d->type))
    {
      fh_oj_check_map (c, def, path, common_fields, required);
      return NULL;
    }
  fh_oj_check_map (c, def, path, fields_of (d->type), required);
  if ((n = fh_doc_get (def, "name")) != NULL &&
      (s = fh_oj_want_string (c, n, fh_oj_path (c, "%s.name", path))) != NULL &&
      fh_oj_check_identifier (c, fh_oj_path (c, "%s.name", path), n, s))
    d->name = g_strdup (s);
  if ((n = fh_doc_get (def, "description")) != NULL && (s = fh_oj_want_string (c, n, fh_oj_path (c, "%s.description", path))))
    fh_oj_check_text (c, fh_oj_path (c, "%s.description", path), n, s, 1, 2048,
                      FH_OJ_TEXT_NO_CC | FH_OJ_TEXT_ALLOW_SPACE_CC);
  if (d->type == FH_OJ_STRING || d->type == FH_OJ_PATH)
    length_bounds (c, def, path, d);
  else
    value_bounds (c, def, path, d);
  if (d->type == FH_OJ_PATH)
    {
      if ((n = fh_doc_get (def, "objectType")) != NULL)
        one_of (c, n, fh_oj_path (c, "%s.objectType", path), object_types, &d->object_type);
      if ((n = fh_doc_get (def, "dataFlow")) != NULL)
        one_of (c, n, fh_oj_path (c, "%s.dataFlow", path), data_flows, &d->data_flow);
    }
  allowed_values (c, def, path, d);
  default_value (c, def, path, d);
  user_interface (c, def, path, d);
  return d->name != NULL ? g_steal_pointer (&d) : NULL;
}

void
fh_oj_check_param_defs (FhOjCheck *c, const FhDocNode *node, const char *path, GPtrArray *out)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!fh_oj_check_list (c, node, path, 1, c->limits.params))
    return;
  for (guint i = 0; i < node->n_children; i++)
    {
      const char *p = fh_oj_path (c, "%s[%u]", path, i);
      FhOjParamDef *d = param_def (c, node->values[i], p);
      if (d == NULL)
        continue;
      if (g_hash_table_contains (seen, d->name))
        {
          fh_oj_bad (c, fh_oj_path (c, "%s.name", p), fh_doc_get (node->values[i], "name"),
                     "the parameter '%s' is defined twice", d->name);
          fh_oj_param_def_free (d);
          continue;
        }
      g_hash_table_add (seen, d->name);
      g_ptr_array_add (out, d);
    }
}

/* ---- the form of a definition ------------------------------------------------- */

/* @n (a scalar) as JSON: numbers as numbers, the rest as its text. */
static void
set_scalar (JsonObject *o, const char *member, const FhDocNode *n)
{
  if (n == NULL || !fh_doc_is_scalar (n))
    return;
  if (n->kind == FH_DOC_INT && !n->big)
    json_object_set_int_member (o, member, n->int_value);
  else if (n->kind == FH_DOC_FLOAT)
    json_object_set_double_member (o, member, n->float_value);
  else
    json_object_set_string_member (o, member, n->text);
}

static JsonArray *
file_filters (const FhDocNode *list)
{
  JsonArray *a = json_array_new ();

  for (guint i = 0; list != NULL && i < list->n_children; i++)
    {
      JsonObject *f = json_object_new ();
      const FhDocNode *patterns = fh_doc_get (list->values[i], "patterns");
      JsonArray *pa = json_array_new ();
      set_scalar (f, "label", fh_doc_get (list->values[i], "label"));
      for (guint k = 0; patterns != NULL && k < patterns->n_children; k++)
        if (fh_doc_is_scalar (patterns->values[k]))
          json_array_add_string_element (pa, patterns->values[k]->text);
      json_object_set_array_member (f, "patterns", pa);
      json_array_add_object_element (a, f);
    }
  return a;
}


JsonObject *
fh_oj_param_def_form (const FhOjParamDef *d)
{
  JsonObject *o = json_object_new ();
  const FhDocNode *ui = fh_doc_get (d->node, "userInterface");
  const char *control = fh_doc_scalar (fh_doc_get (ui, "control"));

  json_object_set_string_member (o, "name", d->name);
  json_object_set_string_member (o, "type", fh_oj_type_name (d->type));
  json_object_set_string_member (o, "control", control ? control : default_control (d));
  set_scalar (o, "description", fh_doc_get (d->node, "description"));
  set_scalar (o, "label", fh_doc_get (ui, "label"));
  set_scalar (o, "groupLabel", fh_doc_get (ui, "groupLabel"));
  set_scalar (o, "decimals", fh_doc_get (ui, "decimals"));
  set_scalar (o, "singleStepDelta", fh_doc_get (ui, "singleStepDelta"));
  if (fh_doc_get (ui, "fileFilters") != NULL)
    json_object_set_array_member (o, "fileFilters", file_filters (fh_doc_get (ui, "fileFilters")));
  if (fh_doc_get (ui, "fileFilterDefault") != NULL)
    {
      g_autoptr (JsonArray) one = file_filters (&(FhDocNode) { .kind = FH_DOC_SEQ, .n_children = 1,
                                                               .values = (FhDocNode *[]) { (FhDocNode *) fh_doc_get (ui, "fileFilterDefault") } });
      json_object_set_object_member (o, "fileFilterDefault", json_object_ref (json_array_get_object_element (one, 0)));
    }
  if (d->has_default)
    json_object_set_string_member (o, "default", d->def.text);
  if (d->allowed != NULL)
    {
      JsonArray *a = json_array_new ();
      for (guint i = 0; i < d->allowed->len; i++)
        json_array_add_string_element (a, g_array_index (d->allowed, FhOjValue, i).text);
      json_object_set_array_member (o, "allowedValues", a);
    }
  if (d->min_length >= 0)
    json_object_set_int_member (o, "minLength", d->min_length);
  if (d->max_length >= 0)
    json_object_set_int_member (o, "maxLength", d->max_length);
  if (d->has_min)
    json_object_set_string_member (o, "minValue", d->min.text);
  if (d->has_max)
    json_object_set_string_member (o, "maxValue", d->max.text);
  if (d->object_type != NULL)
    json_object_set_string_member (o, "objectType", d->object_type);
  if (d->data_flow != NULL)
    json_object_set_string_member (o, "dataFlow", d->data_flow);
  return o;
}
