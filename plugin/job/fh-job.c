/* fh-job.c — job description parsing and validation.
 *
 * The checker walks the JSON once and records every problem with its path
 * instead of stopping at the first, so `farmhand validate` can list them
 * all.  Sub-parsers return NULL/FALSE after recording a problem and the
 * walk goes on with the next field.
 */
#include "config.h"

#include "fh-job.h"

#include <stdio.h>
#include <string.h>

#include "fh-error.h"
#include "fh-frame-list.h"
#include "fh-json.h"
#include "fh-suggest.h"


static const char *const job_fields[] = {
  "$schema", "name", "description", "executor", "cwd", "env", "path_map",
  "setup", "agenda", "teardown", "log", "outputs_required", "min_output_bytes",
  "timeouts", "retries", "max_restarts", "avoid_host_after", NULL
};
static const char *const timeout_fields[] = {
  "hello_s", "setup_s", "command_s", "teardown_s", "stall_s", "grace_s", NULL
};
static const char *const log_fields[] = {
  "preset", "disable", "errors", "warnings", "highlights", "ignore", "progress", "outputs",
  "bad_result", "frame_done", "fail_on_errors", "max_lines", NULL
};
static const char *const path_map_fields[] = { "from", "to", NULL };
static const char *const agenda_fields[] = { "frames", "chunk", "command", "items", NULL };
static const char *const item_fields[] = { "name", "command", NULL };
static const char *const executor_fields[] = { "argv", "preset", "backchannel", "via", "channel",
                                               "remote_executor", NULL };
static const char *const env_fields[] = { "value", "redact", NULL };

typedef struct
{
  FhProblems *problems;
  FhJob *job;
  FhExecutorPresets *presets; /* nullable: none could be read, */
  GError *no_presets; /* and this says why (to jobs naming a preset) */
  const char *default_log_preset;  /* the executor preset's log_preset */
} Checker;

static void complain (Checker *c, const char *path, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
complain (Checker *c, const char *path, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  fh_problems_add (c->problems, path, 0, 0, msg);
}

static char *
path_member (const char *parent, const char *member)
{
  return *parent ? g_strdup_printf ("%s.%s", parent, member) : g_strdup (member);
}

static char *
path_index (const char *parent, guint i)
{
  return g_strdup_printf ("%s[%u]", parent, i);
}

/* Reports members of @o that are not in @known, with a suggestion. */
static void
check_members (Checker *c, JsonObject *o, const char *path, const char *const *known)
{
  g_autoptr (GList) names = json_object_get_members (o);

  for (GList *l = names; l != NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_autofree char *p = path_member (path, l->data);
        g_autofree char *hint = fh_suggest_phrase (l->data, known);
        complain (c, p, "unknown field%s", hint);
      }
}

static const char *
want_string (Checker *c, JsonNode *node, const char *path, gboolean nonempty)
{
  const char *s;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      complain (c, path, "must be a string, not %s", fh_json_kind (node));
      return NULL;
    }
  s = json_node_get_string (node);
  if (nonempty && *s == '\0')
    {
      complain (c, path, "must not be empty");
      return NULL;
    }
  return s;
}

static gboolean
want_int (Checker *c, JsonNode *node, const char *path, gint64 min, gint64 max,
          gint64 *out)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      complain (c, path, "must be a whole number, not %s", fh_json_kind (node));
      return FALSE;
    }
  *out = json_node_get_int (node);
  if (*out < min || *out > max)
    {
      complain (c, path, "must be from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                ", not %" G_GINT64_FORMAT, min, max, *out);
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
want_object (Checker *c, JsonNode *node, const char *path)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      complain (c, path, "must be an object, not %s", fh_json_kind (node));
      return NULL;
    }
  return json_node_get_object (node);
}

static FhTemplate *
want_template (Checker *c, JsonNode *node, const char *path, guint allowed,
               const char *where)
{
  const char *text = want_string (c, node, path, TRUE);
  g_autoptr (GError) local = NULL;
  FhTemplate *t;

  if (text == NULL)
    return NULL;
  t = fh_template_parse (text, allowed, where, &local);
  if (t == NULL)
    complain (c, path, "%s", local->message);
  return t;
}

/* "setup"/"teardown": one command or a list of them. */
static GPtrArray *
parse_hooks (Checker *c, JsonObject *root, const char *field)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) fh_template_free);
  g_autofree char *where = g_strdup_printf ("%s commands", field);
  JsonNode *node = json_object_get_member (root, field);
  JsonArray *arr;

  if (node == NULL)
    return out;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      FhTemplate *t = want_template (c, node, field, FH_TEMPLATE_TOKENS_JOB, where);
      if (t != NULL)
        g_ptr_array_add (out, t);
      return out;
    }
  arr = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      g_autofree char *p = path_index (field, i);
      FhTemplate *t = want_template (c, json_array_get_element (arr, i), p,
                                     FH_TEMPLATE_TOKENS_JOB, where);
      if (t != NULL)
        g_ptr_array_add (out, t);
    }
  return out;
}

static void
parse_env_var (Checker *c, const char *name, JsonNode *node)
{
  g_autofree char *path = path_member ("env", name);
  FhEnvVar *var;
  const char *value;
  gboolean redact = FALSE;

  if (*name == '\0' || strchr (name, '=') != NULL)
    {
      complain (c, path, "a variable name must be non-empty and contain no '='");
      return;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      JsonNode *v = json_object_get_member (o, "value");
      JsonNode *r = json_object_get_member (o, "redact");
      g_autofree char *vpath = path_member (path, "value");

      check_members (c, o, path, env_fields);
      if (v == NULL)
        {
          complain (c, path, "needs a 'value'");
          return;
        }
      if (r != NULL && !(JSON_NODE_HOLDS_VALUE (r) &&
                         json_node_get_value_type (r) == G_TYPE_BOOLEAN))
        complain (c, path, "'redact' must be true or false");
      else if (r != NULL)
        redact = json_node_get_boolean (r);
      node = v;
      g_free (path);
      path = g_steal_pointer (&vpath);
    }
  value = want_string (c, node, path, FALSE);
  if (value == NULL)
    return;
  var = g_new0 (FhEnvVar, 1);
  var->name = g_strdup (name);
  var->value = g_strdup (value);
  var->redact = redact;
  g_ptr_array_add (c->job->env, var);
}

static void
parse_env (Checker *c, JsonNode *node)
{
  JsonObject *o = want_object (c, node, "env");
  g_autoptr (GList) names = NULL;

  if (o == NULL)
    return;
  names = json_object_get_members (o);
  for (GList *l = names; l != NULL; l = l->next)
    parse_env_var (c, l->data, json_object_get_member (o, l->data));
}

static gboolean
set_preset (Checker *c, JsonNode *node, const char *path, gboolean *socket)
{
  const char *name = want_string (c, node, path, TRUE);
  const FhExecutorPreset *preset;

  if (name == NULL)
    return FALSE;
  if (c->presets == NULL)
    {
      complain (c, path, "preset '%s': %s", name, c->no_presets->message);
      return FALSE;
    }
  if ((preset = fh_executor_presets_lookup (c->presets, name)) == NULL)
    {
      g_auto (GStrv) names = fh_executor_presets_names (c->presets);
      g_autofree char *hint = fh_suggest_phrase (name, (const char *const *) names);
      g_autofree char *known = g_strjoinv (", ", names);
      complain (c, path, "unknown executor preset '%s'%s (presets: %s; or give "
                "{\"argv\": [...]})", name, hint, known);
      return FALSE;
    }
  g_free (c->job->executor);
  c->job->executor = g_strdup (name);
  g_strfreev (c->job->executor_argv);
  c->job->executor_argv = g_strdupv (preset->argv);
  g_strfreev (c->job->bootstrap_argv);
  c->job->bootstrap_argv = g_strdupv (preset->bootstrap_argv);
  c->default_log_preset = preset->log_preset;
  *socket = preset->socket;
  return TRUE;
}

/* A non-empty array of strings at @path (its first one non-empty), or
 * NULL after a complaint.  (transfer full) */
static char **
want_argv (Checker *c, JsonNode *node, const char *path)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  JsonArray *arr;

  if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (arr = json_node_get_array (node)) == 0)
    {
      complain (c, path, "must be a non-empty array of strings");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      g_autofree char *p = path_index (path, i);
      const char *s = want_string (c, json_array_get_element (arr, i), p, i == 0);
      if (s == NULL)
        return NULL;
      g_ptr_array_add (argv, g_strdup (s));
    }
  g_ptr_array_add (argv, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
}

static void
set_argv (Checker *c, JsonNode *argv_node)
{
  char **argv = want_argv (c, argv_node, "executor.argv");

  if (argv == NULL)
    return;
  g_clear_pointer (&c->job->executor, g_free);
  g_strfreev (c->job->executor_argv);
  c->job->executor_argv = argv;
}

/* "via", "channel" and "remote_executor": how the executor is reached. */
static void
parse_transport (Checker *c, JsonObject *o)
{
  JsonNode *via = json_object_get_member (o, "via");
  JsonNode *channel = json_object_get_member (o, "channel");
  JsonNode *remote = json_object_get_member (o, "remote_executor");
  const char *s;

  if (via != NULL)
    c->job->via = want_argv (c, via, "executor.via");
  c->job->stdio = via != NULL;
  if (channel != NULL && (s = want_string (c, channel, "executor.channel", TRUE)) != NULL)
    {
      if (g_strcmp0 (s, "stdio") != 0 && g_strcmp0 (s, "backchannel") != 0)
        complain (c, "executor.channel", "must be \"stdio\" or \"backchannel\", not '%s'", s);
      else if (via != NULL && g_strcmp0 (s, "backchannel") == 0)
        complain (c, "executor.channel", "must be \"stdio\" with \"via\": a transport carries only "
                  "stdin and stdout (sudo closes inherited fds, ssh and containers do not carry them)");
      else
        c->job->stdio = g_strcmp0 (s, "stdio") == 0;
    }
  if (c->job->stdio)
    c->job->backchannel_socket = FALSE;
  if (c->job->stdio && json_object_has_member (o, "backchannel"))
    complain (c, "executor.backchannel", "has no meaning over the stdio channel (\"via\" or "
              "\"channel\": \"stdio\"): frames travel on the executor's stdin and stdout");
  if (remote != NULL && (s = want_string (c, remote, "executor.remote_executor", TRUE)) != NULL)
    {
      if (!c->job->stdio)
        complain (c, "executor.remote_executor", "needs \"via\": it names farmhand's executor on "
                  "the far side of a transport");
      else if (!g_path_is_absolute (s))
        complain (c, "executor.remote_executor", "must be an absolute path on the far side, not '%s'", s);
      c->job->remote_executor = g_strdup (s);
    }
}

/* "shell", or {"preset": "...", "backchannel": ...}, or {"argv": [...], ...}. */
static void
parse_executor (Checker *c, JsonNode *node)
{
  JsonObject *o;
  JsonNode *argv_node, *preset_node, *bc_node;
  const char *bc;
  gboolean socket = FALSE;

  if (JSON_NODE_HOLDS_VALUE (node))
    {
      set_preset (c, node, "executor", &c->job->backchannel_socket);
      return;
    }
  if ((o = want_object (c, node, "executor")) == NULL)
    return;
  check_members (c, o, "executor", executor_fields);
  argv_node = json_object_get_member (o, "argv");
  preset_node = json_object_get_member (o, "preset");
  if ((argv_node == NULL) == (preset_node == NULL))
    complain (c, "executor", "give either 'preset' or 'argv'");
  else if (preset_node != NULL)
    set_preset (c, preset_node, "executor.preset", &socket);
  else
    set_argv (c, argv_node);
  c->job->backchannel_socket = socket;
  if ((bc_node = json_object_get_member (o, "backchannel")) != NULL &&
      (bc = want_string (c, bc_node, "executor.backchannel", TRUE)) != NULL)
    {
      if (g_strcmp0 (bc, "socket") != 0 && g_strcmp0 (bc, "socketpair") != 0)
        complain (c, "executor.backchannel", "must be \"socketpair\" (default) or \"socket\", not '%s'", bc);
      c->job->backchannel_socket = g_strcmp0 (bc, "socket") == 0;
    }
  parse_transport (c, o);
}

static void
parse_path_map (Checker *c, JsonNode *node)
{
  JsonArray *arr;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      complain (c, "path_map", "must be an array of {\"from\", \"to\"} objects, not %s",
                fh_json_kind (node));
      return;
    }
  arr = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      g_autofree char *p = path_index ("path_map", i);
      g_autofree char *pfrom = path_member (p, "from");
      g_autofree char *pto = path_member (p, "to");
      JsonObject *o = want_object (c, json_array_get_element (arr, i), p);
      JsonNode *from_node, *to_node;
      const char *from = NULL, *to = NULL;

      if (o == NULL)
        continue;
      check_members (c, o, p, path_map_fields);
      if ((from_node = json_object_get_member (o, "from")) == NULL)
        complain (c, pfrom, "is required");
      else
        from = want_string (c, from_node, pfrom, TRUE);
      if ((to_node = json_object_get_member (o, "to")) == NULL)
        complain (c, pto, "is required");
      else
        to = want_string (c, to_node, pto, TRUE);
      if (from != NULL && to != NULL)
        fh_path_map_add (c->job->path_map, from, to);
    }
}

static gboolean
want_bool (Checker *c, JsonNode *node, const char *path, gboolean *out)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      complain (c, path, "must be true or false, not %s", fh_json_kind (node));
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

static void
add_pattern (Checker *c, FhLogCategory cat, JsonNode *node, const char *path)
{
  g_autoptr (GError) err = NULL;
  const char *text = want_string (c, node, path, TRUE);

  if (text != NULL && !fh_log_rules_add (c->job->log, cat, text, &err))
    complain (c, path, "%s in \"%s\"", err->message, text);
}

/* A pattern list: one string or an array of them. */
static void
parse_patterns (Checker *c, JsonObject *log, FhLogCategory cat)
{
  const char *name = fh_log_category_name (cat);
  g_autofree char *path = path_member ("log", name);
  JsonNode *node = json_object_get_member (log, name);
  JsonArray *arr;

  if (node == NULL)
    return;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      add_pattern (c, cat, node, path);
      return;
    }
  arr = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      g_autofree char *p = path_index (path, i);
      add_pattern (c, cat, json_array_get_element (arr, i), p);
    }
}

/* log.disable: names of preset rules to switch off.  (transfer full) */
static char **
parse_disabled (Checker *c, JsonNode *node)
{
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  JsonArray *arr = node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  if (node == NULL)
    return NULL;
  if (arr == NULL)
    {
      complain (c, "log.disable", "must be an array of the preset's rule names");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      g_autofree char *p = path_index ("log.disable", i);
      const char *name = want_string (c, json_array_get_element (arr, i), p, TRUE);
      if (name != NULL)
        g_strv_builder_add (names, name);
    }
  return g_strv_builder_end (names);
}

/* log.preset (a name, or "none"), else the executor preset's log_preset. */
static void
parse_log_preset (Checker *c, JsonObject *log)
{
  JsonNode *node = log ? json_object_get_member (log, "preset") : NULL;
  const char *name = node ? want_string (c, node, "log.preset", TRUE) : c->default_log_preset;
  g_auto (GStrv) disabled = parse_disabled (c, log ? json_object_get_member (log, "disable") : NULL);
  g_autoptr (GError) err = NULL;
  FhLogPreset *preset;

  if (name == NULL || g_str_equal (name, "none"))
    {
      if (disabled != NULL)
        complain (c, "log.disable", "there is no log preset to disable rules of");
      return;
    }
  if ((preset = fh_log_preset_find (name, &err)) == NULL ||
      !fh_log_rules_use_preset (c->job->log, preset, (const char *const *) disabled, &err))
    complain (c, node ? "log.preset" : "executor", "%s", err->message);
}

static void
parse_log (Checker *c, JsonNode *node)
{
  JsonObject *log = want_object (c, node, "log");
  JsonNode *n;
  gint64 max_lines;

  if (log == NULL)
    return;
  check_members (c, log, "log", log_fields);
  parse_log_preset (c, log);
  for (int cat = 0; cat < FH_LOG_N_CATEGORIES; cat++)
    parse_patterns (c, log, cat);
  if ((n = json_object_get_member (log, "fail_on_errors")) != NULL)
    want_bool (c, n, "log.fail_on_errors", &c->job->fail_on_errors);
  if ((n = json_object_get_member (log, "max_lines")) != NULL &&
      want_int (c, n, "log.max_lines", 0, 1000, &max_lines))
    c->job->log_max_lines = (guint) max_lines;
}

static gboolean
want_seconds (Checker *c, JsonNode *node, const char *path, double *out)
{
  GType t = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    {
      complain (c, path, "must be a number of seconds, not %s", fh_json_kind (node));
      return FALSE;
    }
  if (json_node_get_double (node) < 0 || json_node_get_double (node) > 31 * 86400.0)
    {
      complain (c, path, "must be from 0 (no limit) to 2678400 seconds, not %g", json_node_get_double (node));
      return FALSE;
    }
  *out = json_node_get_double (node);
  return TRUE;
}

static void
parse_timeouts (Checker *c, JsonNode *node)
{
  JsonObject *o = want_object (c, node, "timeouts");
  FhTimeouts *t = &c->job->timeouts;
  double *slots[] = { &t->hello_s, &t->setup_s, &t->command_s, &t->teardown_s,
                      &t->stall_s, &t->grace_s };

  if (o == NULL)
    return;
  check_members (c, o, "timeouts", timeout_fields);
  for (guint i = 0; timeout_fields[i] != NULL; i++)
    {
      JsonNode *n = json_object_get_member (o, timeout_fields[i]);
      g_autofree char *path = path_member ("timeouts", timeout_fields[i]);
      if (n != NULL)
        want_seconds (c, n, path, slots[i]);
    }
}

/* "retries": N, or {"default": N, CLASS: N, ...}. */
static void
parse_retries (Checker *c, JsonNode *node)
{
  g_autoptr (GList) members = NULL;
  JsonObject *o;
  gint64 v;

  if (JSON_NODE_HOLDS_VALUE (node))
    {
      if (want_int (c, node, "retries", 0, 100, &v))
        c->job->retries = (guint) v;
      return;
    }
  if ((o = want_object (c, node, "retries")) == NULL)
    return;
  members = json_object_get_members (o);
  for (GList *l = members; l != NULL; l = l->next)
    {
      g_autofree char *path = path_member ("retries", l->data);
      FhFailureClass cls;

      if (!want_int (c, json_object_get_member (o, l->data), path, 0, 100, &v))
        continue;
      if (g_str_equal (l->data, "default"))
        c->job->retries = (guint) v;
      else if (fh_failure_from_name (l->data, &cls))
        c->job->retries_by_class[cls] = (gint) v;
      else
        {
          g_autofree char *known = g_strjoinv (", ", (char **) fh_failure_names ());
          complain (c, path, "not a failure class (default, %s)", known);
        }
    }
}

static void
parse_timeouts_and_retries (Checker *c, JsonObject *root)
{
  JsonNode *n;
  gint64 v;

  if ((n = json_object_get_member (root, "timeouts")) != NULL)
    parse_timeouts (c, n);
  if ((n = json_object_get_member (root, "retries")) != NULL)
    parse_retries (c, n);
  if ((n = json_object_get_member (root, "avoid_host_after")) != NULL &&
      want_int (c, n, "avoid_host_after", 0, 1000, &v))
    c->job->avoid_host_after = (guint) v;
  if ((n = json_object_get_member (root, "max_restarts")) != NULL &&
      want_int (c, n, "max_restarts", 0, 1000, &v))
    c->job->max_restarts = (guint) v;
}

static void
parse_outputs (Checker *c, JsonObject *root)
{
  JsonNode *n;

  if ((n = json_object_get_member (root, "outputs_required")) != NULL)
    want_bool (c, n, "outputs_required", &c->job->outputs_required);
  if ((n = json_object_get_member (root, "min_output_bytes")) != NULL)
    want_int (c, n, "min_output_bytes", 0, G_MAXINT64, &c->job->min_output_bytes);
}

static void
parse_items (Checker *c, JsonNode *node)
{
  g_autoptr (FhAgenda) agenda = fh_agenda_new_items ();
  JsonArray *arr;

  if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (arr = json_node_get_array (node)) == 0)
    {
      complain (c, "agenda.items", "must be a non-empty array of {\"name\", \"command\"} objects");
      return;
    }
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      g_autofree char *p = path_index ("agenda.items", i);
      g_autofree char *pname = path_member (p, "name");
      g_autofree char *pcmd = path_member (p, "command");
      JsonObject *o = want_object (c, json_array_get_element (arr, i), p);
      JsonNode *name_node, *cmd_node;
      const char *name = NULL;
      FhTemplate *t = NULL;

      if (o == NULL)
        continue;
      check_members (c, o, p, item_fields);
      name_node = json_object_get_member (o, "name");
      cmd_node = json_object_get_member (o, "command");
      if (name_node == NULL)
        complain (c, pname, "is required");
      else
        name = want_string (c, name_node, pname, TRUE);
      if (cmd_node == NULL)
        complain (c, pcmd, "is required");
      else
        t = want_template (c, cmd_node, pcmd, FH_TEMPLATE_TOKENS_ITEM, "explicit items");
      if (name != NULL && t != NULL && !fh_agenda_add_item (agenda, name, t))
        complain (c, pname, "'%s' names another item already", name);
      else if (t != NULL && name == NULL)
        fh_template_free (t);
    }
  c->job->agenda = g_steal_pointer (&agenda);
}

/* {start}/{end}/{step} describe a chunk only if its frames are evenly
 * spaced; catch the chunks where they would silently render wrong frames. */
static void
check_uniform_chunks (Checker *c, FhAgenda *agenda)
{
  guint n = fh_agenda_get_n_items (agenda);

  for (guint i = 0; i < n; i++)
    {
      guint nf;
      const gint64 *f = fh_agenda_get_item_frames (agenda, i, &nf);
      if (!fh_frame_list_is_uniform (f, nf, NULL))
        {
          g_autofree char *name = fh_agenda_dup_item_name (agenda, i);
          complain (c, "agenda.command", "uses {start}, {end} or {step}, but item "
                    "%u (frames %s) is not evenly spaced; use {frames}", i + 1, name);
          return;
        }
    }
}

static void
parse_frames_agenda (Checker *c, JsonObject *o)
{
  JsonNode *frames_node = json_object_get_member (o, "frames");
  JsonNode *chunk_node = json_object_get_member (o, "chunk");
  JsonNode *cmd_node = json_object_get_member (o, "command");
  g_autoptr (GError) local = NULL;
  g_autoptr (FhFrameList) frames = NULL;
  g_autoptr (FhTemplate) command = NULL;
  const char *spec;
  gint64 chunk = 1;
  gboolean ok = TRUE;

  if ((spec = want_string (c, frames_node, "agenda.frames", FALSE)) != NULL &&
      (frames = fh_frame_list_parse (spec, &local)) == NULL)
    complain (c, "agenda.frames", "%s", local->message);
  if (chunk_node != NULL)
    ok = want_int (c, chunk_node, "agenda.chunk", 1, FH_FRAME_LIST_MAX_FRAMES, &chunk);
  if (cmd_node == NULL)
    complain (c, "agenda.command", "is required with 'frames'");
  else
    command = want_template (c, cmd_node, "agenda.command", FH_TEMPLATE_TOKENS_FRAMES,
                             "agenda commands");
  if (frames == NULL || command == NULL || !ok)
    return;
  c->job->agenda = fh_agenda_new_frames (g_steal_pointer (&frames), (guint) chunk,
                                         g_steal_pointer (&command));
  if (fh_template_get_tokens (fh_agenda_get_item_template (c->job->agenda, 0)) & FH_TEMPLATE_TOKENS_RANGE)
    check_uniform_chunks (c, c->job->agenda);
}

static void
parse_agenda (Checker *c, JsonNode *node)
{
  JsonObject *o;
  gboolean has_frames, has_items;

  /* Without an agenda the job has no items of its own: setup, teardown,
   * and the commands its host sends (a Qube-style job type). */
  if (node == NULL)
    {
      c->job->agenda = fh_agenda_new_items ();
      return;
    }
  if ((o = want_object (c, node, "agenda")) == NULL)
    return;
  check_members (c, o, "agenda", agenda_fields);
  has_frames = json_object_has_member (o, "frames");
  has_items = json_object_has_member (o, "items");
  if (has_frames && has_items)
    complain (c, "agenda", "give either 'frames' or 'items', not both");
  else if (has_items)
    {
      if (json_object_has_member (o, "command") || json_object_has_member (o, "chunk"))
        complain (c, "agenda", "'command' and 'chunk' go with 'frames'; each item "
                  "has its own command");
      parse_items (c, json_object_get_member (o, "items"));
    }
  else if (has_frames)
    parse_frames_agenda (c, o);
  else
    complain (c, "agenda", "needs 'frames' (with 'command') or 'items'");
}

static char *
default_name (const char *source)
{
  g_autofree char *base = g_path_get_basename (source);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  if (strcmp (base, "job") == 0)
    {
      g_autofree char *dir = g_path_get_dirname (source);
      g_autofree char *abs = g_canonicalize_filename (dir, NULL);
      return g_path_get_basename (abs);
    }
  return g_steal_pointer (&base);
}

/* name, description, $schema, cwd. */
static void
parse_identity (Checker *c, JsonObject *root)
{
  JsonNode *node;
  const char *s;

  if ((node = json_object_get_member (root, "name")) != NULL &&
      (s = want_string (c, node, "name", TRUE)) != NULL)
    {
      g_free (c->job->name);
      c->job->name = g_strdup (s);
    }
  if ((node = json_object_get_member (root, "description")) != NULL)
    want_string (c, node, "description", FALSE);
  if ((node = json_object_get_member (root, "$schema")) != NULL)
    want_string (c, node, "$schema", FALSE);
  if ((node = json_object_get_member (root, "cwd")) != NULL &&
      (s = want_string (c, node, "cwd", TRUE)) != NULL)
    {
      g_free (c->job->cwd);
      c->job->cwd = g_canonicalize_filename (s, c->job->base_dir);
    }
}

/* "executor", or the "shell" preset. */
static void
parse_executor_field (Checker *c, JsonObject *root)
{
  JsonNode *node = json_object_get_member (root, "executor");
  g_autoptr (JsonNode) shell = NULL;

  if (node == NULL)
    node = shell = json_node_init_string (json_node_alloc (), "shell");
  parse_executor (c, node);
}

static void
check_job (Checker *c, JsonNode *root_node)
{
  JsonObject *root = want_object (c, root_node, "");
  JsonNode *node;

  if (root == NULL)
    return;
  check_members (c, root, "", job_fields);
  parse_identity (c, root);
  parse_executor_field (c, root);
  if ((node = json_object_get_member (root, "env")) != NULL)
    parse_env (c, node);
  if ((node = json_object_get_member (root, "path_map")) != NULL)
    parse_path_map (c, node);
  if ((node = json_object_get_member (root, "log")) != NULL)
    parse_log (c, node);
  else
    parse_log_preset (c, NULL);
  parse_outputs (c, root);
  parse_timeouts_and_retries (c, root);
  g_ptr_array_unref (c->job->setup);
  c->job->setup = parse_hooks (c, root, "setup");
  parse_agenda (c, json_object_get_member (root, "agenda"));
  g_ptr_array_unref (c->job->teardown);
  c->job->teardown = parse_hooks (c, root, "teardown");
}

static void
env_var_free (gpointer p)
{
  FhEnvVar *var = p;

  g_free (var->name);
  g_free (var->value);
  g_free (var);
}

static FhJob *
job_new (const char *source, const char *base_dir)
{
  FhJob *job = g_new0 (FhJob, 1);
  g_autofree char *cwd = g_get_current_dir ();

  job->source = g_strdup (source);
  job->base_dir = g_canonicalize_filename (base_dir != NULL ? base_dir : ".", cwd);
  job->name = default_name (source);
  /* Relative things in a job are relative to the job file, so a job runs
   * the same from anywhere. */
  job->cwd = g_strdup (job->base_dir);
  job->path_map = fh_path_map_new ();
  job->log = fh_log_rules_new ();
  for (guint i = 0; i < FH_FAILURE_N_CLASSES; i++)
    job->retries_by_class[i] = -1;
  job->avoid_host_after = 3;
  job->fail_on_errors = TRUE;
  job->log_max_lines = 5;
  job->min_output_bytes = 1;
  /* Every wait has a deadline by default except the work itself, which on
   * a farm may legitimately take hours. */
  job->timeouts = (FhTimeouts) { .hello_s = 120, .teardown_s = 600, .grace_s = 10 };
  job->max_restarts = 3;
  job->env = g_ptr_array_new_with_free_func (env_var_free);
  job->setup = g_ptr_array_new_with_free_func ((GDestroyNotify) fh_template_free);
  job->teardown = g_ptr_array_new_with_free_func ((GDestroyNotify) fh_template_free);
  return job;
}

/* The JSON of @data, or NULL with the syntax error (where json-glib
 * says it is) in @problems. */
static JsonNode *
parse_json (const char *data, gssize len, FhProblems *problems)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local = NULL;

  fh_problems_set_code (problems, FH_PROBLEMS_SYNTAX);
  if (!json_parser_load_from_data (parser, data, len, &local))
    {
      /* json-glib says "<data>:LINE:COLUMN: message". */
      guint line = 0, column = 0;
      int at = 0;
      if (sscanf (local->message, "<data>:%u:%u: %n", &line, &column, &at) == 2 && at > 0)
        fh_problems_add (problems, "", line, column, local->message + at);
      else
        fh_problems_add (problems, "", 0, 0, local->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      fh_problems_add (problems, "", 0, 0, "empty file, expected a JSON object");
      return NULL;
    }
  fh_problems_set_code (problems, FH_PROBLEMS_INVALID_JOB);
  return json_node_copy (json_parser_get_root (parser));
}

FhJob *
fh_job_check (const char *data, gssize len, const char *source, const char *base_dir,
              FhExecutorPresets *presets, FhProblems *problems)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (FhJob) job = NULL;
  g_autoptr (GError) no_presets = NULL;
  Checker c;

  g_return_val_if_fail (data != NULL && source != NULL && problems != NULL, NULL);
  if ((root = parse_json (data, len, problems)) == NULL)
    return NULL;
  job = job_new (source, base_dir);
  c = (Checker) { problems, job, presets ? presets : fh_executor_presets_get_default (&no_presets) };
  c.no_presets = no_presets;
  check_job (&c, root);
  return fh_problems_get_count (problems) > 0 ? NULL : g_steal_pointer (&job);
}

FhJob *
fh_job_new_from_data (const char *data, gssize len, const char *source,
                      const char *base_dir, FhExecutorPresets *presets, GError **error)
{
  g_autoptr (FhProblems) problems = fh_problems_new (source);
  FhJob *job = fh_job_check (data, len, source, base_dir, presets, problems);

  if (job == NULL)
    fh_problems_throw (problems, error);
  return job;
}

FhJob *
fh_job_new_from_file (const char *path, FhExecutorPresets *presets, GError **error)
{
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      /* G_FILE_ERROR and its code, with what we were doing. */
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "reading the job: ");
      return NULL;
    }
  dir = g_path_get_dirname (path);
  return fh_job_new_from_data (data, (gssize) len, path, dir, presets, error);
}

void
fh_job_free (FhJob *job)
{
  if (job == NULL)
    return;
  g_free (job->name);
  g_free (job->base_dir);
  g_free (job->source);
  g_free (job->executor);
  g_strfreev (job->executor_argv);
  g_strfreev (job->bootstrap_argv);
  g_strfreev (job->via);
  g_free (job->remote_executor);
  g_free (job->cwd);
  g_clear_pointer (&job->env, g_ptr_array_unref);
  g_clear_pointer (&job->setup, g_ptr_array_unref);
  g_clear_pointer (&job->teardown, g_ptr_array_unref);
  g_clear_pointer (&job->agenda, fh_agenda_free);
  g_clear_pointer (&job->path_map, fh_path_map_free);
  g_clear_pointer (&job->log, fh_log_rules_free);
  g_free (job);
}

guint
fh_job_retries_for (const FhJob *job, FhFailureClass failure)
{
  gint n = (guint) failure < FH_FAILURE_N_CLASSES ? job->retries_by_class[failure] : -1;

  return n >= 0 ? (guint) n : job->retries;
}

const char **
fh_job_get_secrets (const FhJob *job)
{
  GPtrArray *secrets = g_ptr_array_new ();

  for (guint i = 0; i < job->env->len; i++)
    if (((FhEnvVar *) g_ptr_array_index (job->env, i))->redact)
      g_ptr_array_add (secrets, ((FhEnvVar *) g_ptr_array_index (job->env, i))->value);
  g_ptr_array_add (secrets, NULL);
  return (const char **) g_ptr_array_free (secrets, FALSE);
}

guint
fh_job_get_n_items (const FhJob *job)
{
  return fh_agenda_get_n_items (job->agenda);
}

char *
fh_job_map_path (const FhJob *job, const char *path)
{
  return fh_path_map_apply (job->path_map, path);
}

char *
fh_job_expand_hook (const FhJob *job, const FhTemplate *tmpl)
{
  FhTemplateVars vars = { .job = job->name, .job_dir = job->base_dir };
  g_autofree char *text = fh_template_expand (tmpl, &vars);

  return fh_path_map_apply (job->path_map, text);
}

char *
fh_job_expand_item (const FhJob *job, guint index)
{
  g_autofree char *name = fh_agenda_dup_item_name (job->agenda, index);
  FhTemplateVars vars = { .job = job->name, .job_dir = job->base_dir, .name = name };
  g_autofree char *text = NULL;

  vars.frames = fh_agenda_get_item_frames (job->agenda, index, &vars.n_frames);
  text = fh_template_expand (fh_agenda_get_item_template (job->agenda, index), &vars);
  return fh_path_map_apply (job->path_map, text);
}
