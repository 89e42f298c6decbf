/* fh-log-preset.c — log presets (see the header). */
#include "config.h"

#include "fh-log-preset.h"

#include <string.h>

#include "fh-error.h"
#include "fh-executor-dir.h"
#include "fh-job-error.h"
#include "fh-json.h"

struct _FhLogPreset
{
  char *name;
  char *source;
  guint version;
  GPtrArray *rules;    /* FhLogRule*: its own, then those it includes */
  char **includes;     /* the presets whose rules follow its own */
};

/* How deep includes may nest: deeper is a cycle or a mistake. */
#define MAX_INCLUDE_DEPTH 4

static const char *const preset_fields[] = {
  "$comment", "preset", "version", "description", "include", "rules", NULL
};
static const char *const rule_fields[] = {
  "name", "errors", "warnings", "highlights", "ignore", "progress", "outputs", "bad_result",
  "frame_done", "class", "reason", "continuation", "$comment", NULL
};

static void
rule_free (gpointer p)
{
  FhLogRule *r = p;

  g_free (r->name);
  g_free (r->pattern);
  g_free (r->reason);
  g_free (r->continuation);
  g_free (r);
}

void
fh_log_preset_free (FhLogPreset *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->rules, g_ptr_array_unref);
  g_strfreev (self->includes);
  g_free (self->name);
  g_free (self->source);
  g_free (self);
}

static gboolean
bad (GError **error, const char *source, const char *path, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
bad (GError **error, const char *source, const char *path, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  return fh_throw (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID, "%s: %s: %s", source, path, msg);
}

/* NULL, for "return null_after (bad (...))" in functions that return a
 * pointer. */
static gpointer
null_after (G_GNUC_UNUSED gboolean ignored)
{
  return NULL;
}

static const char *
string_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
             ? json_node_get_string (n) : NULL;
}

/* The pattern compiles, for @category (groups it needs included). */
static gboolean
check_pattern (const char *source, const char *path, FhLogCategory category, const char *pattern,
               GError **error)
{
  g_autoptr (FhLogScanner) probe = fh_log_scanner_new ();
  g_autoptr (GError) local = NULL;

  if (fh_log_scanner_add (probe, category, pattern, &local))
    return TRUE;
  return bad (error, source, path, "%s in \"%s\"", local->message, pattern);
}

static FhLogRule *
parse_rule (const char *source, JsonNode *node, guint index, GHashTable *names, GError **error)
{
  g_autofree char *path = g_strdup_printf ("rules[%u]", index);
  g_autoptr (GList) members = NULL;
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  FhLogRule *rule;
  const char *name, *cls;
  int category = -1;

  if (o == NULL)
    return null_after (bad (error, source, path, "must be an object, not %s", fh_json_kind (node)));
  members = json_object_get_members (o);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (rule_fields, l->data))
      return null_after (bad (error, source, path, "unknown field '%s'", (char *) l->data));
  if ((name = string_member (o, "name")) == NULL || *name == '\0')
    return null_after (bad (error, source, path, "needs a \"name\""));
  g_free (path);
  path = g_strdup_printf ("rules[%u] (%s)", index, name);
  if (strchr (name, '/') != NULL)
    return null_after (bad (error, source, path, "a rule's name cannot hold '/': PRESET/RULE names included rules"));
  if (g_hash_table_contains (names, name))
    return null_after (bad (error, source, path, "a second rule named '%s'", name));
  for (int c = 0; c < FH_LOG_N_CATEGORIES; c++)
    if (json_object_has_member (o, fh_log_category_name (c)))
      {
        if (category >= 0)
          return null_after (bad (error, source, path, "gives both '%s' and '%s': one category a rule",
                                  fh_log_category_name (category), fh_log_category_name (c)));
        category = c;
      }
  if (category < 0)
    return null_after (bad (error, source, path, "needs one pattern: errors, warnings, highlights, ignore, "
                            "progress, outputs, bad_result or frame_done"));
  rule = g_new0 (FhLogRule, 1);
  rule->name = g_strdup (name);
  rule->category = (FhLogCategory) category;
  rule->pattern = g_strdup (string_member (o, fh_log_category_name (category)));
  rule->reason = g_strdup (string_member (o, "reason"));
  rule->continuation = g_strdup (string_member (o, "continuation"));
  if (rule->pattern == NULL ||
      !check_pattern (source, path, rule->category, rule->pattern, error) ||
      (rule->continuation != NULL &&
       (rule->category != FH_LOG_ERRORS
            ? bad (error, source, path, "a continuation goes with an errors rule")
            : !check_pattern (source, path, FH_LOG_ERRORS, rule->continuation, error))))
    {
      if (rule->pattern == NULL)
        bad (error, source, path, "%s must be a pattern (a string)", fh_log_category_name (category));
      rule_free (rule);
      return NULL;
    }
  if ((cls = string_member (o, "class")) != NULL)
    {
      g_autofree char *known = g_strjoinv (", ", (char **) fh_failure_names ());
      if (rule->category != FH_LOG_ERRORS && rule->category != FH_LOG_BAD_RESULT)
        {
          rule_free (rule);
          return null_after (bad (error, source, path, "a class goes with an errors or bad_result rule"));
        }
      if (!fh_failure_from_name (cls, &rule->failure))
        {
          rule_free (rule);
          return null_after (bad (error, source, path, "unknown class '%s' (classes: %s)", cls, known));
        }
    }
  g_hash_table_add (names, rule->name);
  return rule;
}

/* "include": ["arnold", ...], optional.  (out, transfer full) */
static gboolean
read_includes (JsonObject *root, const char *source, char ***out, GError **error)
{
  JsonNode *node = json_object_get_member (root, "include");
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  JsonArray *a;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return bad (error, source, "include", "must be an array of preset names");
  a = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        {
          g_autofree char *path = g_strdup_printf ("include[%u]", i);
          return bad (error, source, path, "must be a preset name (a string)");
        }
      g_strv_builder_add (names, json_node_get_string (e));
    }
  *out = g_strv_builder_end (names);
  return TRUE;
}

FhLogPreset *
fh_log_preset_new_from_data (const char *data, const char *source, GError **error)
{
  g_autoptr (FhLogPreset) self = g_new0 (FhLogPreset, 1);
  g_autoptr (JsonObject) root = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GList) members = NULL;
  JsonNode *rules, *version;
  const char *name;

  self->source = g_strdup (source);
  self->rules = g_ptr_array_new_with_free_func (rule_free);
  if ((root = fh_json_parse_object (data, -1, &local)) == NULL)
    return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID, "%s: %s", source, local->message);
  members = json_object_get_members (root);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (preset_fields, l->data))
      return null_after (bad (error, source, l->data, "unknown field"));
  if ((name = string_member (root, "preset")) == NULL || *name == '\0')
    return null_after (bad (error, source, "preset", "needs the preset's name"));
  version = json_object_get_member (root, "version");
  if (version == NULL || !JSON_NODE_HOLDS_VALUE (version) ||
      json_node_get_value_type (version) != G_TYPE_INT64 || json_node_get_int (version) < 1)
    return null_after (bad (error, source, "version", "needs a version number (1, 2, ...)"));
  if (!read_includes (root, source, &self->includes, error))
    return NULL;
  rules = json_object_get_member (root, "rules");
  if (rules == NULL || !JSON_NODE_HOLDS_ARRAY (rules))
    return null_after (bad (error, source, "rules", "needs an array of rules"));
  self->name = g_strdup (name);
  self->version = (guint) json_node_get_int (version);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (rules)); i++)
    {
      FhLogRule *rule = parse_rule (source, json_array_get_element (json_node_get_array (rules), i), i,
                                    names, error);
      if (rule == NULL)
        return NULL;
      g_ptr_array_add (self->rules, rule);
    }
  return g_steal_pointer (&self);
}

/* ---- finding presets ---------------------------------------------------------------- */

/* Where presets are looked for, in order.  (transfer full) */
static char **
preset_dirs (void)
{
  g_autoptr (GStrvBuilder) dirs = g_strv_builder_new ();
  const char *env = g_getenv ("FARMHAND_LOG_PRESETS");

  if (env != NULL && *env != '\0')
    {
      g_auto (GStrv) parts = g_strsplit (env, ":", -1);
      for (guint i = 0; parts[i] != NULL; i++)
        if (*parts[i] != '\0')
          g_strv_builder_add (dirs, parts[i]);
    }
  {
    g_autofree char *own = fh_executor_dir_in_build_tree ()
                               ? g_build_filename (FH_BUILD_ROOT, "presets", "log", NULL)
                               : g_build_filename (FH_DATADIR, "log-presets", NULL);
    g_strv_builder_add (dirs, own);
  }
  return g_strv_builder_end (dirs);
}

static GMutex cache_lock;
static GHashTable *cache;   /* name -> FhLogPreset* */

static FhLogPreset *find_locked (const char *name, guint depth, GError **error);

/* @included's rules, after @self's own, named "ORIGIN/RULE" by the preset
 * that has them (so a job can switch one off by one name wherever it came
 * from).  A rule included twice (the common base, through arnold and
 * redshift) is kept once, at its last place: a shared base stays after
 * every specific rule, which must see a line first. */
static void
append_rules (FhLogPreset *self, FhLogPreset *included)
{
  for (guint i = 0; i < included->rules->len; i++)
    {
      const FhLogRule *r = g_ptr_array_index (included->rules, i);
      FhLogRule *copy = g_new0 (FhLogRule, 1);
      char *name = strchr (r->name, '/') ? g_strdup (r->name) : g_strdup_printf ("%s/%s", included->name, r->name);

      for (guint j = 0; j < self->rules->len; j++)
        if (g_str_equal (((FhLogRule *) g_ptr_array_index (self->rules, j))->name, name))
          {
            g_ptr_array_remove_index (self->rules, j);
            break;
          }
      *copy = (FhLogRule) {
        .name = name, .category = r->category,
        .pattern = g_strdup (r->pattern), .failure = r->failure, .reason = g_strdup (r->reason),
        .continuation = g_strdup (r->continuation),
      };
      g_ptr_array_add (self->rules, copy);
    }
}

static gboolean
resolve_includes (FhLogPreset *self, guint depth, GError **error)
{
  for (guint i = 0; self->includes != NULL && self->includes[i] != NULL; i++)
    {
      FhLogPreset *included;

      if (depth >= MAX_INCLUDE_DEPTH)
        return fh_throw (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                         "%s: include: presets include each other more than %d deep (a cycle?)",
                         self->source, MAX_INCLUDE_DEPTH);
      if ((included = find_locked (self->includes[i], depth + 1, error)) == NULL)
        {
          g_prefix_error (error, "%s: include[%u]: ", self->source, i);
          return FALSE;
        }
      append_rules (self, included);
    }
  return TRUE;
}

/* The preset file @path for @name, with its includes.  (transfer full) */
static FhLogPreset *
load (const char *name, const char *path, const char *text, guint depth, GError **error)
{
  g_autoptr (FhLogPreset) preset = fh_log_preset_new_from_data (text, path, error);

  if (preset == NULL)
    return NULL;
  if (g_strcmp0 (preset->name, name) != 0)
    return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                          "%s: preset: says '%s', but the file is %s.json", path, preset->name, name);
  if (!resolve_includes (preset, depth, error))
    return NULL;
  return g_steal_pointer (&preset);
}

static FhLogPreset *
find_locked (const char *name, guint depth, GError **error)
{
  g_auto (GStrv) dirs = NULL;
  FhLogPreset *preset;

  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) fh_log_preset_free);
  if ((preset = g_hash_table_lookup (cache, name)) != NULL)
    return preset;
  dirs = preset_dirs ();
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *file = g_strdup_printf ("%s.json", name);
      g_autofree char *path = g_build_filename (dirs[i], file, NULL);
      g_autofree char *text = NULL;

      if (strchr (name, '/') != NULL || !g_file_get_contents (path, &text, NULL, NULL))
        continue;
      if ((preset = load (name, path, text, depth, error)) == NULL)
        return NULL;
      g_hash_table_insert (cache, g_strdup (name), preset);
      return preset;
    }
  {
    g_auto (GStrv) known = fh_log_preset_list ();
    g_autofree char *list = g_strjoinv (", ", known);
    g_autofree char *where = g_strjoinv (":", dirs);
    return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                          "no log preset '%s' (presets: %s; looked in %s)", name,
                          *list ? list : "none", where);
  }
}

FhLogPreset *
fh_log_preset_find (const char *name, GError **error)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&cache_lock);

  return find_locked (name, 0, error);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

char **
fh_log_preset_list (void)
{
  g_auto (GStrv) dirs = preset_dirs ();
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (dirs[i], 0, NULL);
      const char *entry;

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (entry, ".json"))
          {
            char *name = g_strndup (entry, strlen (entry) - 5);
            if (g_hash_table_contains (seen, name))
              {
                g_free (name);
                continue;
              }
            g_hash_table_add (seen, name);
            g_ptr_array_add (names, name);
          }
    }
  g_ptr_array_sort (names, compare_names);
  {
    char **out = g_new0 (char *, names->len + 1);
    for (guint i = 0; i < names->len; i++)
      out[i] = g_strdup (g_ptr_array_index (names, i));
    return out;
  }
}

const char *fh_log_preset_get_name (FhLogPreset *self) { return self->name; }
guint fh_log_preset_get_version (FhLogPreset *self) { return self->version; }
const char *fh_log_preset_get_source (FhLogPreset *self) { return self->source; }
GPtrArray *fh_log_preset_get_rules (FhLogPreset *self) { return self->rules; }
