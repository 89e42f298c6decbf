/* fh-openjd-template.c — job and environment templates, read and checked:
 * the structure (fields, types, limits), the extensions a feature needs,
 * then every format string's references against the scope it is in. */
#include "config.h"

#include "fh-openjd-template.h"

#include <string.h>

#include "fh-openjd-check.h"
#include "fh-openjd-combination.h"
#include "fh-openjd-params.h"
#include "fh-openjd-range.h"

#define JOB_VERSION "jobtemplate-2023-09"
#define ENV_VERSION "environment-2023-09"
#define DESCRIPTION_MAX 2048
#define TASK_PARAMS_MAX 16
#define RANGE_LIST_MAX 1024
#define REQUIREMENTS_MAX 50
#define CAPABILITY_NAME_MAX 100
#define ENV_VALUE_MAX 2048
#define NOTIFY_PERIOD_MAX 600

/* ---- freeing ------------------------------------------------------------ */

static void
action_free (FhOjAction *a)
{
  if (a == NULL)
    return;
  fh_oj_format_free (a->command);
  g_ptr_array_unref (a->args);
  fh_oj_format_free (a->timeout);
  fh_oj_format_free (a->notify_period);
  g_free (a->path);
  g_free (a);
}

static void
file_free (FhOjEmbeddedFile *f)
{
  g_free (f->name);
  g_free (f->filename);
  fh_oj_format_free (f->data);
  g_free (f->extension);
  g_free (f);
}

static void
variable_free (FhOjVariable *v)
{
  g_free (v->name);
  fh_oj_format_free (v->value);
  g_free (v);
}

static void
environment_free (FhOjEnvironment *e)
{
  g_free (e->name);
  g_ptr_array_unref (e->variables);
  action_free (e->on_enter);
  action_free (e->on_exit);
  g_ptr_array_unref (e->files);
  g_free (e->path);
  g_free (e);
}

static void
task_param_free (FhOjTaskParam *p)
{
  g_free (p->name);
  g_clear_pointer (&p->list, g_ptr_array_unref);
  fh_oj_format_free (p->expression);
  fh_oj_format_free (p->chunk_count);
  fh_oj_format_free (p->chunk_target);
  g_free (p->path);
  g_free (p);
}

static void
requirement_free (FhOjRequirement *r)
{
  g_free (r->name);
  fh_oj_format_free (r->name_format);
  fh_oj_format_free (r->min);
  fh_oj_format_free (r->max);
  g_clear_pointer (&r->any_of, g_ptr_array_unref);
  g_clear_pointer (&r->all_of, g_ptr_array_unref);
  g_free (r->path);
  g_free (r);
}

static void
step_free (FhOjStep *s)
{
  g_free (s->name);
  g_ptr_array_unref (s->depends_on);
  g_ptr_array_unref (s->environments);
  g_ptr_array_unref (s->requirements);
  g_ptr_array_unref (s->task_params);
  g_free (s->combination);
  action_free (s->on_run);
  g_ptr_array_unref (s->files);
  g_free (s->path);
  g_free (s);
}

void
fh_oj_template_free (FhOjTemplate *self)
{
  if (self == NULL)
    return;
  g_free (self->source);
  g_free (self->dir);
  fh_oj_format_free (self->name);
  g_free (self->description);
  g_ptr_array_unref (self->params);
  g_ptr_array_unref (self->environments);
  g_ptr_array_unref (self->steps);
  fh_doc_free (self->doc);
  g_free (self);
}

static GPtrArray *
formats (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) fh_oj_format_free);
}

/* ---- format strings and their scopes ------------------------------------ */

/* What a format string may name where it is. */
typedef struct
{
  GHashTable *names;   /* the full names defined */
  const char *where;   /* for messages: "in a step's script" */
  gboolean session;    /* Session.* defined (environment and step scripts) */
  gboolean task;       /* Task.* defined (step scripts) */
} Scope;

typedef struct
{
  FhOjCheck *c;
  FhOjTemplate *t;
  GPtrArray *also;        /* FhOjParamDef*: parameters other templates bring */
  Scope template_scope;   /* job creation: Param (not PATH), RawParam */
  GPtrArray *pending;     /* Pending: the current environment's or step's */
} Checker;

typedef enum { SCOPE_TEMPLATE, SCOPE_ENV, SCOPE_STEP } ScopeKind;

/* A format string of an environment or a step, checked when all it may
 * name (its embedded files, task parameters) is known: at its end. */
typedef struct
{
  FhOjFormat *format;     /* a copy: the checked one may be dropped */
  const char *path;
  const FhDocNode *node;
} Pending;

static void check_refs (Checker *k, const Pending *p, const Scope *scope);

static void
pending_free (gpointer p)
{
  fh_oj_format_free (((Pending *) p)->format);
  g_free (p);
}

static FhOjFormat *
want_format (Checker *k, const FhDocNode *node, const char *path, ScopeKind kind)
{
  FhOjFormat *f = fh_oj_want_format (k->c, node, path);
  Pending p = { f, path, node };

  if (f == NULL || !fh_oj_format_has_refs (f))
    return f;
  /* Parameters are read first: a template-scope string is checked now. */
  if (kind == SCOPE_TEMPLATE)
    check_refs (k, &p, &k->template_scope);
  else
    {
      Pending *copy = g_new (Pending, 1);
      *copy = (Pending) { fh_oj_format_parse (fh_oj_format_get_text (f), NULL), path, node };
      g_ptr_array_add (k->pending, copy);
    }
  return f;
}

/* Why @name is not in @scope, as helpfully as can be said. */
static char *
undefined (const Scope *scope, const FhOjTemplate *t, const char *name)
{
  if (g_str_has_prefix (name, "Task.") && !scope->task)
    return g_strdup_printf ("'%s': Task.* values exist only in a step's script, not %s", name, scope->where);
  if (g_str_has_prefix (name, "Session.") && !scope->session)
    return g_strdup_printf ("'%s': Session.* values exist only on the worker (environment and step "
                            "scripts), not %s", name, scope->where);
  if (g_str_has_prefix (name, "Param."))
    for (guint i = 0; i < t->params->len; i++)
      {
        const FhOjParamDef *d = g_ptr_array_index (t->params, i);
        if (d->type == FH_OJ_PATH && g_str_equal (name + 6, d->name))
          return g_strdup_printf ("'%s' is a PATH parameter: as Param.* it exists only in environment and "
                                  "step scripts (mapped on the worker); use RawParam.%s here", name, d->name);
      }
  return g_strdup_printf ("'%s' is not defined %s", name, scope->where);
}

static void
check_refs (Checker *k, const Pending *p, const Scope *scope)
{
  for (guint i = 0; i < fh_oj_format_get_n_refs (p->format); i++)
    {
      gsize offset;
      const char *name = fh_oj_format_get_ref (p->format, i, &offset);
      if (!g_hash_table_contains (scope->names, name))
        {
          g_autofree char *why = undefined (scope, k->t, name);
          fh_oj_bad (k->c, p->path, p->node, "the format string references %s", why);
        }
    }
}

static void
add_name (GHashTable *names, const char *prefix, const char *name)
{
  g_hash_table_add (names, g_strconcat (prefix, name, NULL));
}

static void
defs_into (GHashTable *names, GPtrArray *defs, gboolean with_path)
{
  for (guint i = 0; defs != NULL && i < defs->len; i++)
    {
      const FhOjParamDef *d = g_ptr_array_index (defs, i);
      add_name (names, "RawParam.", d->name);
      if (with_path || d->type != FH_OJ_PATH)
        add_name (names, "Param.", d->name);
    }
}

/* The template's parameters, and those the environment templates it is
 * submitted with define (one namespace, §1.2.1). */
static void
params_into (GHashTable *names, const Checker *k, gboolean with_path)
{
  defs_into (names, k->also, with_path);
  defs_into (names, k->t->params, with_path);
}

static void
files_into (GHashTable *names, const char *prefix, GPtrArray *files)
{
  for (guint i = 0; i < files->len; i++)
    add_name (names, prefix, ((FhOjEmbeddedFile *) g_ptr_array_index (files, i))->name);
}

static void
session_into (GHashTable *names)
{
  g_hash_table_add (names, g_strdup ("Session.WorkingDirectory"));
  g_hash_table_add (names, g_strdup ("Session.HasPathMappingRules"));
  g_hash_table_add (names, g_strdup ("Session.PathMappingRulesFile"));
}

static GHashTable *
names_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Checks what an environment (@env) or a step (@step) holds, against
 * what it defines, and starts a new list for the next. */
static void
flush_pending (Checker *k, const FhOjEnvironment *env, const FhOjStep *step)
{
  Scope s = { names_new (), env ? "in an environment" : "in a step's script", TRUE, step != NULL };

  params_into (s.names, k, TRUE);
  session_into (s.names);
  if (env != NULL)
    files_into (s.names, "Env.File.", env->files);
  else
    {
      files_into (s.names, "Task.File.", step->files);
      for (guint i = 0; i < step->task_params->len; i++)
        {
          const FhOjTaskParam *tp = g_ptr_array_index (step->task_params, i);
          add_name (s.names, "Task.Param.", tp->name);
          add_name (s.names, "Task.RawParam.", tp->name);
        }
    }
  for (guint i = 0; i < k->pending->len; i++)
    check_refs (k, g_ptr_array_index (k->pending, i), &s);
  g_ptr_array_set_size (k->pending, 0);
  g_hash_table_unref (s.names);
}

/* ---- actions and embedded files ----------------------------------------- */

/* A number of seconds: a positive integer, or with FEATURE_BUNDLE_1 a
 * format string resolved at job creation (checked then).  Kept as a
 * format string either way. */
static FhOjFormat *
seconds (Checker *k, const FhDocNode *node, const char *path, gint64 max)
{
  gint64 v = 0;
  g_autofree char *text = NULL;

  if (node->kind == FH_DOC_STRING && strstr (node->text, "{{") != NULL)
    {
      if (!(k->c->ext & FH_OJ_EXT_FEATURE_BUNDLE_1))
        {
          fh_oj_bad (k->c, path, node, "a format string here needs the FEATURE_BUNDLE_1 extension; "
                     "without it this is a positive integer");
          return NULL;
        }
      return want_format (k, node, path, SCOPE_TEMPLATE);
    }
  if (!fh_oj_want_int (k->c, node, path, &v))
    return NULL;
  if (v < 1 || (max > 0 && v > max))
    {
      if (max > 0)
        fh_oj_bad (k->c, path, node, "must be 1 to %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT, max, v);
      else
        fh_oj_bad (k->c, path, node, "must be a positive integer, not %" G_GINT64_FORMAT, v);
      return NULL;
    }
  text = g_strdup_printf ("%" G_GINT64_FORMAT, v);
  return fh_oj_format_parse (text, NULL);
}

static void
cancelation (Checker *k, const FhDocNode *node, const char *path, FhOjAction *a)
{
  static const char *const terminate[] = { "mode", NULL };
  static const char *const notify[] = { "mode", "notifyPeriodInSeconds", NULL };
  const FhDocNode *mode = fh_doc_get (node, "mode"), *period;
  const char *m;

  if (node == NULL || node->kind != FH_DOC_MAP || mode == NULL)
    {
      fh_oj_check_map (k->c, node, path, notify, terminate);
      return;
    }
  if ((m = fh_oj_want_string (k->c, mode, fh_oj_path (k->c, "%s.mode", path))) == NULL)
    return;
  if (g_str_equal (m, "TERMINATE"))
    {
      fh_oj_check_map (k->c, node, path, terminate, terminate);
      a->cancel_mode = FH_OJ_CANCEL_TERMINATE;
    }
  else if (g_str_equal (m, "NOTIFY_THEN_TERMINATE"))
    {
      fh_oj_check_map (k->c, node, path, notify, terminate);
      a->cancel_mode = FH_OJ_CANCEL_NOTIFY_THEN_TERMINATE;
      if ((period = fh_doc_get (node, "notifyPeriodInSeconds")) != NULL && period->kind != FH_DOC_NULL)
        a->notify_period = seconds (k, period, fh_oj_path (k->c, "%s.notifyPeriodInSeconds", path),
                                    NOTIFY_PERIOD_MAX);
    }
  else
    fh_oj_bad (k->c, fh_oj_path (k->c, "%s.mode", path), mode,
               "'%s' is not a cancelation mode: TERMINATE or NOTIFY_THEN_TERMINATE", m);
}

static FhOjAction *
action (Checker *k, const FhDocNode *node, const char *path, ScopeKind kind)
{
  static const char *const fields[] = { "command", "args", "timeout", "cancelation", NULL };
  static const char *const required[] = { "command", NULL };
  FhOjAction *a;
  const FhDocNode *n;

  if (!fh_oj_check_map (k->c, node, path, fields, required))
    return NULL;
  a = g_new0 (FhOjAction, 1);
  a->path = g_strdup (path);
  a->args = formats ();
  if ((n = fh_doc_get (node, "command")) != NULL &&
      (a->command = want_format (k, n, fh_oj_path (k->c, "%s.command", path), kind)) != NULL)
    fh_oj_check_text (k->c, fh_oj_path (k->c, "%s.command", path), n, fh_oj_format_get_text (a->command), 1, 0,
                      FH_OJ_TEXT_NO_CC);
  if ((n = fh_doc_get (node, "args")) != NULL && fh_oj_check_list (k->c, n, fh_oj_path (k->c, "%s.args", path), 0, 0))
    for (guint i = 0; i < n->n_children; i++)
      {
        const char *p = fh_oj_path (k->c, "%s.args[%u]", path, i);
        FhOjFormat *f = want_format (k, n->values[i], p, kind);
        if (f != NULL)
          {
            fh_oj_check_text (k->c, p, n->values[i], fh_oj_format_get_text (f), 0, 0, FH_OJ_TEXT_NO_CC);
            g_ptr_array_add (a->args, f);
          }
      }
  if ((n = fh_doc_get (node, "timeout")) != NULL && n->kind != FH_DOC_NULL)
    a->timeout = seconds (k, n, fh_oj_path (k->c, "%s.timeout", path), 0);
  if ((n = fh_doc_get (node, "cancelation")) != NULL)
    cancelation (k, n, fh_oj_path (k->c, "%s.cancelation", path), a);
  return a;
}

static void
end_of_line (Checker *k, const FhDocNode *n, const char *path, FhOjEmbeddedFile *f)
{
  const char *s;

  if (!(k->c->ext & FH_OJ_EXT_FEATURE_BUNDLE_1))
    fh_oj_bad (k->c, path, n, "endOfLine needs the FEATURE_BUNDLE_1 extension");
  else if ((s = fh_oj_want_string (k->c, n, path)) == NULL)
    return;
  else if (g_str_equal (s, "AUTO"))
    f->end_of_line = FH_OJ_EOL_AUTO;
  else if (g_str_equal (s, "LF"))
    f->end_of_line = FH_OJ_EOL_LF;
  else if (g_str_equal (s, "CRLF"))
    f->end_of_line = FH_OJ_EOL_CRLF;
  else
    fh_oj_bad (k->c, path, n, "'%s' is not an end of line: AUTO, LF or CRLF", s);
}

static FhOjEmbeddedFile *
embedded_file (Checker *k, const FhDocNode *node, const char *path, ScopeKind kind)
{
  static const char *const fields[] = { "name", "type", "filename", "runnable", "data", "endOfLine", NULL };
  static const char *const required[] = { "name", "type", "data", NULL };
  g_autoptr (GError) unused = NULL;
  FhOjEmbeddedFile *f;
  const FhDocNode *n;
  const char *s;

  if (!fh_oj_check_map (k->c, node, path, fields, required))
    return NULL;
  f = g_new0 (FhOjEmbeddedFile, 1);
  if ((n = fh_doc_get (node, "name")) != NULL && (s = fh_oj_want_string (k->c, n, fh_oj_path (k->c, "%s.name", path))) &&
      fh_oj_check_identifier (k->c, fh_oj_path (k->c, "%s.name", path), n, s))
    f->name = g_strdup (s);
  if ((n = fh_doc_get (node, "type")) != NULL && (s = fh_oj_want_string (k->c, n, fh_oj_path (k->c, "%s.type", path))) &&
      !g_str_equal (s, "TEXT"))
    fh_oj_bad (k->c, fh_oj_path (k->c, "%s.type", path), n, "'%s' is not an embedded file type: TEXT", s);
  if ((n = fh_doc_get (node, "filename")) != NULL &&
      (s = fh_oj_want_string (k->c, n, fh_oj_path (k->c, "%s.filename", path))) != NULL &&
      fh_oj_check_text (k->c, fh_oj_path (k->c, "%s.filename", path), n, s, 1, k->c->limits.filename, FH_OJ_TEXT_NO_CC))
    {
      if (strpbrk (s, "/\\") != NULL || g_str_equal (s, ".") || g_str_equal (s, ".."))
        fh_oj_bad (k->c, fh_oj_path (k->c, "%s.filename", path), n,
                   "'%s' must be a file's name alone, without a directory ('/' or '\\') and not '.' or '..'", s);
      else
        f->filename = g_strdup (s);
    }
  if ((n = fh_doc_get (node, "runnable")) != NULL)
    fh_oj_want_bool (k->c, n, fh_oj_path (k->c, "%s.runnable", path), &f->runnable);
  if ((n = fh_doc_get (node, "data")) != NULL &&
      (f->data = want_format (k, n, fh_oj_path (k->c, "%s.data", path), kind)) != NULL)
    fh_oj_check_text (k->c, fh_oj_path (k->c, "%s.data", path), n, fh_oj_format_get_text (f->data), 1, 0, 0);
  if ((n = fh_doc_get (node, "endOfLine")) != NULL)
    end_of_line (k, n, fh_oj_path (k->c, "%s.endOfLine", path), f);
  if (f->name == NULL || f->data == NULL)
    {
      file_free (f);
      return NULL;
    }
  return f;
}

static void
embedded_files (Checker *k, const FhDocNode *node, const char *path, GPtrArray *out, ScopeKind kind)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!fh_oj_check_list (k->c, node, path, 1, 0))
    return;
  for (guint i = 0; i < node->n_children; i++)
    {
      const char *p = fh_oj_path (k->c, "%s[%u]", path, i);
      FhOjEmbeddedFile *f = embedded_file (k, node->values[i], p, kind);
      if (f == NULL)
        continue;
      if (!g_hash_table_add (seen, f->name))
        {
          fh_oj_bad (k->c, fh_oj_path (k->c, "%s.name", p), fh_doc_get (node->values[i], "name"),
                     "the embedded file '%s' is defined twice", f->name);
          file_free (f);
          continue;
        }
      g_ptr_array_add (out, f);
    }
}

/* ---- environments ------------------------------------------------------- */

static gboolean
is_env_var_name (const char *s)
{
  if (!(g_ascii_isalpha (*s) || *s == '_'))
    return FALSE;
  for (; *s; s++)
    if (!(g_ascii_isalnum (*s) || *s == '_'))
      return FALSE;
  return TRUE;
}

static void
variables (Checker *k, const FhDocNode *node, const char *path, FhOjEnvironment *e)
{
  if (!fh_oj_check_map (k->c, node, path, NULL, NULL))
    return;
  if (node->n_children == 0)
    fh_oj_bad (k->c, path, node, "must not be empty (leave it out instead)");
  for (guint i = 0; i < node->n_children; i++)
    {
      const FhDocNode *key = node->keys[i], *value = node->values[i];
      const char *p = fh_oj_path (k->c, "%s.%s", path, key->text);
      FhOjVariable *v;
      if (key->kind != FH_DOC_STRING || !is_env_var_name (key->text) || strlen (key->text) > 256)
        {
          fh_oj_bad (k->c, p, key, "'%s' is not an environment variable name: a latin letter or '_', then "
                     "letters, digits or '_', at most 256", key->text);
          continue;
        }
      v = g_new0 (FhOjVariable, 1);
      v->name = g_strdup (key->text);
      if ((v->value = want_format (k, value, p, SCOPE_ENV)) != NULL &&
          fh_oj_check_text (k->c, p, value, fh_oj_format_get_text (v->value), 0, ENV_VALUE_MAX, 0))
        g_ptr_array_add (e->variables, v);
      else
        variable_free (v);
    }
}

static void
environment_script (Checker *k, const FhDocNode *node, const char *path, FhOjEnvironment *e)
{
  static const char *const fields[] = { "actions", "embeddedFiles", NULL };
  static const char *const required[] = { "actions", NULL };
  static const char *const action_fields[] = { "onEnter", "onExit", NULL };
  const FhDocNode *actions, *n;
  const char *ap = fh_oj_path (k->c, "%s.actions", path);

  if (!fh_oj_check_map (k->c, node, path, fields, required))
    return;
  /* Files first: the actions' scope names them. */
  if ((n = fh_doc_get (node, "embeddedFiles")) != NULL)
    embedded_files (k, n, fh_oj_path (k->c, "%s.embeddedFiles", path), e->files, SCOPE_ENV);
  if ((actions = fh_doc_get (node, "actions")) == NULL || !fh_oj_check_map (k->c, actions, ap, action_fields, NULL))
    return;
  if ((n = fh_doc_get (actions, "onEnter")) != NULL)
    e->on_enter = action (k, n, fh_oj_path (k->c, "%s.onEnter", ap), SCOPE_ENV);
  if ((n = fh_doc_get (actions, "onExit")) != NULL)
    e->on_exit = action (k, n, fh_oj_path (k->c, "%s.onExit", ap), SCOPE_ENV);
  if (fh_doc_get (actions, "onEnter") == NULL && fh_doc_get (actions, "onExit") == NULL)
    fh_oj_bad (k->c, ap, actions, "needs onEnter, onExit or both");
}

static FhOjEnvironment *
environment (Checker *k, const FhDocNode *node, const char *path)
{
  static const char *const fields[] = { "name", "description", "script", "variables", NULL };
  static const char *const required[] = { "name", NULL };
  FhOjEnvironment *e;
  const FhDocNode *n;
  const char *s;

  GPtrArray *outer = k->pending;

  if (!fh_oj_check_map (k->c, node, path, fields, required))
    return NULL;
  /* A step's environment is checked on its own, in the middle of the step. */
  k->pending = g_ptr_array_new_with_free_func (pending_free);
  e = g_new0 (FhOjEnvironment, 1);
  e->path = g_strdup (path);
  e->source = k->t->source;
  e->variables = g_ptr_array_new_with_free_func ((GDestroyNotify) variable_free);
  e->files = g_ptr_array_new_with_free_func ((GDestroyNotify) file_free);
  if ((n = fh_doc_get (node, "name")) != NULL && (s = fh_oj_want_string (k->c, n, fh_oj_path (k->c, "%s.name", path))) &&
      fh_oj_check_text (k->c, fh_oj_path (k->c, "%s.name", path), n, s, 1, k->c->limits.env_name, FH_OJ_TEXT_NO_CC))
    e->name = g_strdup (s);
  if ((n = fh_doc_get (node, "description")) != NULL &&
      (s = fh_oj_want_string (k->c, n, fh_oj_path (k->c, "%s.description", path))))
    fh_oj_check_text (k->c, fh_oj_path (k->c, "%s.description", path), n, s, 1, DESCRIPTION_MAX,
                      FH_OJ_TEXT_NO_CC | FH_OJ_TEXT_ALLOW_SPACE_CC);
  if ((n = fh_doc_get (node, "script")) != NULL)
    environment_script (k, n, fh_oj_path (k->c, "%s.script", path), e);
  if ((n = fh_doc_get (node, "variables")) != NULL)
    variables (k, n, fh_oj_path (k->c, "%s.variables", path), e);
  if (fh_doc_get (node, "script") == NULL && fh_doc_get (node, "variables") == NULL)
    fh_oj_bad (k->c, path, node, "an environment needs a script, variables or both");
  flush_pending (k, e, NULL);
  g_ptr_array_unref (k->pending);
  k->pending = outer;
  if (e->name == NULL)
    {
      environment_free (e);
      return NULL;
    }
  return e;
}

static void
environments (Checker *k, const FhDocNode *node, const char *path, GPtrArray *out)
{
  if (!fh_oj_check_list (k->c, node, path, 1, 0))
    return;
  for (guint i = 0; i < node->n_children; i++)
    {
      FhOjEnvironment *e = environment (k, node->values[i], fh_oj_path (k->c, "%s[%u]", path, i));
      if (e != NULL)
        g_ptr_array_add (out, e);
    }
}

/* ---- host requirements -------------------------------------------------- */

static gboolean
is_capability_name (const char *s, const char *kind)
{
  g_autofree char *re = g_strdup_printf ("^(?i)([A-Za-z_][A-Za-z0-9_]*:)?%s\\.[A-Za-z_][A-Za-z0-9_]*"
                                         "(\\.[A-Za-z_][A-Za-z0-9_]*)*$", kind);
  return g_regex_match_simple (re, s, 0, 0);
}

gboolean
fh_oj_check_capability_name (const char *name, gboolean amount, char **message)
{
  static const char *const standard_amounts[] = { "amount.worker.vcpu", "amount.worker.memory", "amount.worker.gpu",
                                                  "amount.worker.gpu.memory", "amount.worker.disk.scratch", NULL };
  static const char *const standard_attributes[] = { "attr.worker.os.family", "attr.worker.cpu.arch", NULL };
  static const char *const reserved[] = { "worker", "job", "step", "task", NULL };
  const char *kind = amount ? "amount" : "attr";
  g_autofree char *lower = g_ascii_strdown (name, -1);
  const char *bare = strchr (lower, ':') ? strchr (lower, ':') + 1 : lower;
  g_auto (GStrv) parts = g_strsplit (bare, ".", -1);

  if (g_utf8_strlen (name, -1) > CAPABILITY_NAME_MAX || *name == '\0')
    *message = g_strdup_printf ("'%s' must be 1 to %d characters long", name, CAPABILITY_NAME_MAX);
  else if (!is_capability_name (name, kind))
    *message = g_strdup_printf ("'%s' is not %s capability name: [VENDOR:]%s.NAME[.NAME...], each an identifier",
                                name, amount ? "an amount" : "an attribute", kind);
  else if (parts[1] != NULL && g_strv_contains (reserved, parts[1]) &&
           !g_strv_contains (amount ? standard_amounts : standard_attributes, lower))
    *message = g_strdup_printf ("'%s' uses the scope '%s', which the specification reserves for its own "
                                "capabilities", name, parts[1]);
  else
    return TRUE;
  return FALSE;
}

gboolean
fh_oj_check_attribute_value (const char *name, const char *value, char **message)
{
  static const char *const families[] = { "linux", "windows", "macos", NULL };
  static const char *const archs[] = { "x86_64", "arm64", NULL };
  g_autofree char *lower = g_ascii_strdown (value, -1);
  gboolean ok = (g_ascii_isalpha (*value) || *value == '_') && strlen (value) <= CAPABILITY_NAME_MAX;

  for (const char *p = value; ok && *p; p++)
    ok = g_ascii_isalnum (*p) || *p == '_' || *p == '-';
  if (!ok)
    *message = g_strdup_printf ("'%s' is not an attribute value: a latin letter or '_', then letters, digits, "
                                "'_' or '-', at most %d", value, CAPABILITY_NAME_MAX);
  else if (name != NULL && !g_ascii_strcasecmp (name, "attr.worker.os.family") && !g_strv_contains (families, lower))
    *message = g_strdup_printf ("'%s' is not an operating system family: linux, windows or macos", value);
  else if (name != NULL && !g_ascii_strcasecmp (name, "attr.worker.cpu.arch") && !g_strv_contains (archs, lower))
    *message = g_strdup_printf ("'%s' is not a CPU architecture: x86_64 or arm64", value);
  else
    return TRUE;
  return FALSE;
}

/* An amount's min or max: a number, or with FEATURE_BUNDLE_1 a format
 * string (resolved at job creation).  Literal values are checked now. */
static FhOjFormat *
amount_bound (Checker *k, const FhDocNode *node, const char *path, gboolean is_min, double *value, gboolean *known)
{
  g_autofree char *text = NULL;

  *known = FALSE;
  if (node->kind == FH_DOC_STRING && strstr (node->text, "{{") != NULL)
    {
      if (!(k->c->ext & FH_OJ_EXT_FEATURE_BUNDLE_1))
        {
          fh_oj_bad (k->c, path, node, "a format string here needs the FEATURE_BUNDLE_1 extension");
          return NULL;
        }
      return want_format (k, node, path, SCOPE_TEMPLATE);
    }
  if (!fh_oj_want_float (k->c, node, path, value, &text))
    return NULL;
  if (is_min ? *value < 0 : *value <= 0)
    {
      fh_oj_bad (k->c, path, node, is_min ? "must be 0 or more" : "must be above 0");
      return NULL;
    }
  *known = TRUE;
  return fh_oj_format_parse (text, NULL);
}

static FhOjRequirement *
amount (Checker *k, const FhDocNode *node, const char *path)
{
  static const char *const fields[] = { "name", "min", "max", NULL };
  static const char *const required[] = { "name", NULL };
  FhOjRequirement *r;
  const FhDocNode *n, *min = NULL, *max = NULL;
  double lo = 0, hi = 0;
  gboolean lo_known = FALSE, hi_known = FALSE;

  if (!fh_oj_check_map (k->c, node, path, fields, required))
    return NULL;
  r = g_new0 (FhOjRequirement, 1);
  r->amount = TRUE;
  r->path = g_strdup (path);
  if ((n = fh_doc_get (node, "name")) != NULL &&
      (r->name_format = want_format (k, n, fh_oj_path (k->c, "%s.name", path), SCOPE_TEMPLATE)) != NULL &&
      !fh_oj_format_has_refs (r->name_format))
    {
      g_autofree char *why = NULL;
      r->name = g_strdup (fh_oj_format_get_text (r->name_format));
      if (!fh_oj_check_capability_name (r->name, TRUE, &why))
        fh_oj_bad (k->c, fh_oj_path (k->c, "%s.name", path), n, "%s", why);
    }
  if ((min = fh_doc_get (node, "min")) != NULL)
    r->min = amount_bound (k, min, fh_oj_path (k->c, "%s.min", path), TRUE, &lo, &lo_known);
  if ((max = fh_doc_get (node, "max")) != NULL)
    r->max = amount_bound (k, max, fh_oj_path (k->c, "%s.max", path), FALSE, &hi, &hi_known);
  if (min == NULL && max == NULL)
    fh_oj_bad (k->c, path, node, "an amount needs min, max or both");
  else if (lo_known && hi_known && lo > hi)
    fh_oj_bad (k->c, fh_oj_path (k->c, "%s.min", path), min, "min (%g) is above max (%g)", lo, hi);
  return r;
}

static GPtrArray *
attribute_values (Checker *k, const FhDocNode *node, const char *path, const char *name)
{
  GPtrArray *out;

  if (!fh_oj_check_list (k->c, node, path, 1, REQUIREMENTS_MAX))
    return NULL;
  out = formats ();
  for (guint i = 0; i < node->n_children; i++)
    {
      const char *p = fh_oj_path (k->c, "%s[%u]", path, i);
      FhOjFormat *f = want_format (k, node->values[i], p, SCOPE_TEMPLATE);
      g_autofree char *why = NULL;
      if (f == NULL)
        continue;
      if (!fh_oj_format_has_refs (f) && !fh_oj_check_attribute_value (name, fh_oj_format_get_text (f), &why))
        fh_oj_bad (k->c, p, node->values[i], "%s", why);
      g_ptr_array_add (out, f);
    }
  return out;
}

static FhOjRequirement *
attribute (Checker *k, const FhDocNode *node, const char *path)
{
  static const char *const fields[] = { "name", "anyOf", "allOf", NULL };
  static const char *const required[] = { "name", NULL };
  FhOjRequirement *r;
  const FhDocNode *n;

  if (!fh_oj_check_map (k->c, node, path, fields, required))
    return NULL;
  r = g_new0 (FhOjRequirement, 1);
  r->path = g_strdup (path);
  if ((n = fh_doc_get (node, "name")) != NULL &&
      (r->name_format = want_format (k, n, fh_oj_path (k->c, "%s.name", path), SCOPE_TEMPLATE)) != NULL &&
      !fh_oj_format_has_refs (r->name_format))
    {
      g_autofree char *why = NULL;
      r->name = g_strdup (fh_oj_format_get_text (r->name_format));
      if (!fh_oj_check_capability_name (r->name, FALSE, &why))
        fh_oj_bad (k->c, fh_oj_path (k->c, "%s.name", path), n, "%s", why);
    }
  if ((n = fh_doc_get (node, "anyOf")) != NULL)
    r->any_of = attribute_values (k, n, fh_oj_path (k->c, "%s.anyOf", path), r->name);
  if ((n = fh_doc_get (node, "allOf")) != NULL)
    r->all_of = attribute_values (k, n, fh_oj_path (k->c, "%s.allOf", path), r->name);
  if (fh_doc_get (node, "anyOf") == NULL && fh_doc_get (node, "allOf") == NULL)
    fh_oj_bad (k->c, path, node, "an attribute needs anyOf, allOf or both");
  return r;
}

static void
requirements (Checker *k, const FhDocNode *node, const char *path, FhOjStep *s)
{
  static const char *const fields[] = { "amounts", "attributes", NULL };
  const char *const keys[] = { "amounts", "attributes" };
  guint total = 0;

  if (!fh_oj_check_map (k->c, node, path, fields, NULL))
    return;
  if (fh_doc_get (node, "amounts") == NULL && fh_doc_get (node, "attributes") == NULL)
    fh_oj_bad (k->c, path, node, "host requirements need amounts, attributes or both");
  for (guint w = 0; w < 2; w++)
    {
      const FhDocNode *list = fh_doc_get (node, keys[w]);
      const char *lp = fh_oj_path (k->c, "%s.%s", path, keys[w]);
      g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
      if (list == NULL || !fh_oj_check_list (k->c, list, lp, 1, 0))
        continue;
      total += list->n_children;
      for (guint i = 0; i < list->n_children; i++)
        {
          const char *p = fh_oj_path (k->c, "%s[%u]", lp, i);
          FhOjRequirement *r = w == 0 ? amount (k, list->values[i], p) : attribute (k, list->values[i], p);
          if (r == NULL)
            continue;
          if (r->name != NULL && !g_hash_table_add (seen, r->name))
            fh_oj_bad (k->c, fh_oj_path (k->c, "%s.name", p), list->values[i], "'%s' is required twice", r->name);
          g_ptr_array_add (s->requirements, r);
        }
    }
  if (total > REQUIREMENTS_MAX)
    fh_oj_bad (k->c, path, node, "has %u amounts and attributes; at most %d are allowed", total, REQUIREMENTS_MAX);
}

/* ---- the parameter space ------------------------------------------------ */

static gboolean
parse_task_type (Checker *k, const FhDocNode *node, const char *path, FhOjType *out)
{
  const char *s = fh_oj_want_string (k->c, node, path);

  if (s == NULL)
    return FALSE;
  for (guint t = FH_OJ_STRING; t <= FH_OJ_CHUNK_INT; t++)
    if (g_str_equal (s, fh_oj_type_name (t)))
      {
        if (t == FH_OJ_CHUNK_INT && !(k->c->ext & FH_OJ_EXT_TASK_CHUNKING))
          {
            fh_oj_bad (k->c, path, node, "CHUNK[INT] needs the TASK_CHUNKING extension");
            return FALSE;
          }
        *out = t;
        return TRUE;
      }
  fh_oj_bad (k->c, path, node, "'%s' is not a task parameter type: INT, FLOAT, STRING, PATH%s", s,
             k->c->ext & FH_OJ_EXT_TASK_CHUNKING ? " or CHUNK[INT]" : "");
  return FALSE;
}

/* One item of a range list, as its type allows. */
static FhOjFormat *
range_item (Checker *k, FhOjTaskParam *tp, const FhDocNode *n, const char *path)
{
  g_autofree char *text = NULL;
  gint64 i;
  double d;

  if (n->kind == FH_DOC_STRING && strstr (n->text, "{{") != NULL)
    return want_format (k, n, path, SCOPE_TEMPLATE);
  switch (tp->type)
    {
    case FH_OJ_INT:
    case FH_OJ_CHUNK_INT:
      if (n->kind == FH_DOC_FLOAT || !fh_oj_want_int (k->c, n, path, &i))
        {
          if (n->kind == FH_DOC_FLOAT)
            fh_oj_bad (k->c, path, n, "must be an integer, not %s", n->text);
          return NULL;
        }
      text = g_strdup_printf ("%" G_GINT64_FORMAT, i);
      break;
    case FH_OJ_FLOAT:
      if (!fh_oj_want_float (k->c, n, path, &d, &text))
        return NULL;
      break;
    default:
      {
        FhOjFormat *f = want_format (k, n, path, SCOPE_TEMPLATE);
        if (f != NULL && !fh_oj_check_text (k->c, path, n, fh_oj_format_get_text (f), 0, 1024, 0))
          g_clear_pointer (&f, fh_oj_format_free);
        return f;
      }
    }
  return fh_oj_format_parse (text, NULL);
}

static void
range (Checker *k, FhOjTaskParam *tp, const FhDocNode *n, const char *path)
{
  gboolean integer = tp->type == FH_OJ_INT || tp->type == FH_OJ_CHUNK_INT;

  if (integer && n->kind == FH_DOC_STRING)
    {
      g_autofree char *why = NULL;
      g_autoptr (FhOjRange) r = NULL;
      if ((tp->expression = want_format (k, n, path, SCOPE_TEMPLATE)) == NULL)
        return;
      if (!fh_oj_format_has_refs (tp->expression) && (r = fh_oj_range_parse (n->text, &why)) == NULL)
        fh_oj_bad (k->c, path, n, "not a range expression: %s", why);
      return;
    }
  if (!fh_oj_check_list (k->c, n, path, 1, RANGE_LIST_MAX))
    {
      if (integer && n->kind != FH_DOC_SEQ)
        fh_oj_bad (k->c, path, n, "a range is a list of values or a range expression such as \"1-100\"");
      return;
    }
  tp->list = formats ();
  for (guint i = 0; i < n->n_children; i++)
    {
      FhOjFormat *f = range_item (k, tp, n->values[i], fh_oj_path (k->c, "%s[%u]", path, i));
      if (f != NULL)
        g_ptr_array_add (tp->list, f);
    }
}

static void
chunks (Checker *k, FhOjTaskParam *tp, const FhDocNode *node, const char *path)
{
  static const char *const fields[] = { "defaultTaskCount", "targetRuntimeSeconds", "rangeConstraint", NULL };
  static const char *const required[] = { "defaultTaskCount", "rangeConstraint", NULL };
  const FhDocNode *n;
  const char *s;
  gint64 v;

  if (!fh_oj_check_map (k->c, node, path, fields, required))
    return;
  if ((n = fh_doc_get (node, "defaultTaskCount")) != NULL)
    {
      const char *p = fh_oj_path (k->c, "%s.defaultTaskCount", path);
      if (n->kind == FH_DOC_STRING && strstr (n->text, "{{") != NULL)
        tp->chunk_count = want_format (k, n, p, SCOPE_TEMPLATE);
      else if (fh_oj_want_int (k->c, n, p, &v))
        {
          g_autofree char *t = g_strdup_printf ("%" G_GINT64_FORMAT, v);
          if (v < 1)
            fh_oj_bad (k->c, p, n, "must be 1 or more");
          tp->chunk_count = fh_oj_format_parse (t, NULL);
        }
    }
  if ((n = fh_doc_get (node, "targetRuntimeSeconds")) != NULL)
    {
      const char *p = fh_oj_path (k->c, "%s.targetRuntimeSeconds", path);
      if (n->kind == FH_DOC_STRING && strstr (n->text, "{{") != NULL)
        tp->chunk_target = want_format (k, n, p, SCOPE_TEMPLATE);
      else if (fh_oj_want_int (k->c, n, p, &v))
        {
          g_autofree char *t = g_strdup_printf ("%" G_GINT64_FORMAT, v);
          if (v < 0)
            fh_oj_bad (k->c, p, n, "must be 0 or more");
          tp->chunk_target = fh_oj_format_parse (t, NULL);
        }
    }
  if ((n = fh_doc_get (node, "rangeConstraint")) != NULL &&
      (s = fh_oj_want_string (k->c, n, fh_oj_path (k->c, "%s.rangeConstraint", path))) != NULL)
    {
      if (g_str_equal (s, "CONTIGUOUS") || g_str_equal (s, "NONCONTIGUOUS"))
        tp->chunk_contiguous = g_str_equal (s, "CONTIGUOUS");
      else
        fh_oj_bad (k->c, fh_oj_path (k->c, "%s.rangeConstraint", path), n,
                   "'%s' is not a range constraint: CONTIGUOUS or NONCONTIGUOUS", s);
    }
}

static FhOjTaskParam *
task_param (Checker *k, const FhDocNode *node, const char *path)
{
  static const char *const fields[] = { "name", "type", "range", NULL };
  static const char *const chunk_fields[] = { "name", "type", "range", "chunks", NULL };
  static const char *const chunk_required[] = { "name", "type", "range", "chunks", NULL };
  FhOjTaskParam *tp;
  const FhDocNode *n;
  const char *s;

  if (!fh_oj_check_map (k->c, node, path, chunk_fields, fields))
    return NULL;
  tp = g_new0 (FhOjTaskParam, 1);
  tp->path = g_strdup (path);
  if ((n = fh_doc_get (node, "name")) != NULL && (s = fh_oj_want_string (k->c, n, fh_oj_path (k->c, "%s.name", path))) &&
      fh_oj_check_identifier (k->c, fh_oj_path (k->c, "%s.name", path), n, s))
    tp->name = g_strdup (s);
  if ((n = fh_doc_get (node, "type")) == NULL || !parse_task_type (k, n, fh_oj_path (k->c, "%s.type", path), &tp->type))
    {
      task_param_free (tp);
      return NULL;
    }
  if (tp->type == FH_OJ_CHUNK_INT)
    fh_oj_check_map (k->c, node, path, chunk_fields, chunk_required);
  else if (fh_doc_get (node, "chunks") != NULL)
    fh_oj_bad (k->c, fh_oj_path (k->c, "%s.chunks", path), fh_doc_get (node, "chunks"),
               "chunks is for a CHUNK[INT] parameter only");
  if ((n = fh_doc_get (node, "range")) != NULL)
    range (k, tp, n, fh_oj_path (k->c, "%s.range", path));
  if (tp->type == FH_OJ_CHUNK_INT && (n = fh_doc_get (node, "chunks")) != NULL)
    chunks (k, tp, n, fh_oj_path (k->c, "%s.chunks", path));
  if (tp->name == NULL || (tp->list == NULL && tp->expression == NULL))
    {
      task_param_free (tp);
      return NULL;
    }
  return tp;
}

typedef struct
{
  GHashTable *counts;     /* name -> times named */
  GHashTable *chunked;    /* the CHUNK[INT] parameter's name */
  GPtrArray *in_association;
} CombinationUse;

static void
count_name (const char *name, gboolean associated, gpointer data)
{
  CombinationUse *u = data;

  g_hash_table_insert (u->counts, (gpointer) name,
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (u->counts, name)) + 1));
  if (associated && g_hash_table_contains (u->chunked, name))
    g_ptr_array_add (u->in_association, (gpointer) name);
}

static void
combination (Checker *k, const FhDocNode *node, const char *path, FhOjStep *s)
{
  const char *text = fh_oj_want_string (k->c, node, path);
  g_autofree char *why = NULL;
  g_autoptr (FhOjComb) comb = NULL;
  CombinationUse u = { g_hash_table_new (g_str_hash, g_str_equal), g_hash_table_new (g_str_hash, g_str_equal),
                       g_ptr_array_new () };

  if (text == NULL)
    goto out;
  if ((comb = fh_oj_comb_parse (text, &why)) == NULL)
    {
      fh_oj_bad (k->c, path, node, "not a combination expression: %s", why);
      goto out;
    }
  s->combination = g_strdup (text);
  for (guint i = 0; i < s->task_params->len; i++)
    {
      FhOjTaskParam *tp = g_ptr_array_index (s->task_params, i);
      if (tp->type == FH_OJ_CHUNK_INT)
        g_hash_table_add (u.chunked, tp->name);
    }
  fh_oj_comb_foreach_name (comb, count_name, &u);
  for (guint i = 0; i < s->task_params->len; i++)
    {
      const char *name = ((FhOjTaskParam *) g_ptr_array_index (s->task_params, i))->name;
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (u.counts, name));
      if (n != 1)
        fh_oj_bad (k->c, path, node, n == 0 ? "'%s' is not in the expression: each task parameter must be, once"
                                            : "'%s' appears %u times: each task parameter may appear once", name, n);
      g_hash_table_remove (u.counts, name);
    }
  {
    GHashTableIter it;
    gpointer name;
    g_hash_table_iter_init (&it, u.counts);
    while (g_hash_table_iter_next (&it, &name, NULL))
      fh_oj_bad (k->c, path, node, "'%s' is not a task parameter of this step", (const char *) name);
  }
  for (guint i = 0; i < u.in_association->len; i++)
    fh_oj_bad (k->c, path, node, "the CHUNK[INT] parameter '%s' may not be inside parentheses",
               (const char *) g_ptr_array_index (u.in_association, i));
out:
  g_hash_table_unref (u.counts);
  g_hash_table_unref (u.chunked);
  g_ptr_array_unref (u.in_association);
}

static void
parameter_space (Checker *k, const FhDocNode *node, const char *path, FhOjStep *s)
{
  static const char *const fields[] = { "taskParameterDefinitions", "combination", NULL };
  static const char *const required[] = { "taskParameterDefinitions", NULL };
  const FhDocNode *defs, *n;
  const char *dp = fh_oj_path (k->c, "%s.taskParameterDefinitions", path);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint chunked = 0;

  if (!fh_oj_check_map (k->c, node, path, fields, required))
    return;
  if ((defs = fh_doc_get (node, "taskParameterDefinitions")) == NULL ||
      !fh_oj_check_list (k->c, defs, dp, 1, TASK_PARAMS_MAX))
    return;
  for (guint i = 0; i < defs->n_children; i++)
    {
      const char *p = fh_oj_path (k->c, "%s[%u]", dp, i);
      FhOjTaskParam *tp = task_param (k, defs->values[i], p);
      if (tp == NULL)
        continue;
      if (!g_hash_table_add (seen, tp->name))
        {
          fh_oj_bad (k->c, fh_oj_path (k->c, "%s.name", p), defs->values[i], "the task parameter '%s' is "
                     "defined twice", tp->name);
          task_param_free (tp);
          continue;
        }
      if (tp->type == FH_OJ_CHUNK_INT && ++chunked > 1)
        fh_oj_bad (k->c, p, defs->values[i], "a step may have one CHUNK[INT] parameter");
      g_ptr_array_add (s->task_params, tp);
    }
  if ((n = fh_doc_get (node, "combination")) != NULL)
    combination (k, n, fh_oj_path (k->c, "%s.combination", path), s);
}

/* ---- steps -------------------------------------------------------------- */

static const char *const simple_actions[] = { "bash", "python", "node", "cmd", "powershell", NULL };

/* FEATURE_BUNDLE_1's `bash: {script, args}` (and python, node, cmd,
 * powershell): an embedded file holding the script, run by its
 * interpreter with the args after it. */
static void
simple_action (Checker *k, const FhDocNode *node, const char *path, const char *kind, FhOjStep *s)
{
  static const char *const fields[] = { "script", "args", "timeout", "cancelation", NULL };
  static const char *const required[] = { "script", NULL };
  static const struct { const char *kind, *command, *ext; const char *pre[4]; } interpreters[] = {
    { "bash", "bash", ".sh", { NULL } },
    { "python", "python", ".py", { NULL } },
    { "node", "node", ".js", { NULL } },
    { "cmd", "cmd", ".bat", { "/C", NULL } },
    { "powershell", "powershell", ".ps1", { "-NoProfile", "-ExecutionPolicy", "Bypass", "-File" } },
  };
  g_autoptr (FhOjFormat) file_ref = fh_oj_format_parse ("{{Task.File.SimpleActionScript}}", NULL);
  FhOjEmbeddedFile *f;
  const FhDocNode *n;
  guint w = 0;

  while (!g_str_equal (interpreters[w].kind, kind))
    w++;
  if (!fh_oj_check_map (k->c, node, path, fields, required) || (n = fh_doc_get (node, "script")) == NULL)
    return;
  f = g_new0 (FhOjEmbeddedFile, 1);
  f->name = g_strdup ("SimpleActionScript");
  f->extension = g_strdup (interpreters[w].ext);
  if ((f->data = want_format (k, n, fh_oj_path (k->c, "%s.script", path), SCOPE_STEP)) == NULL)
    {
      file_free (f);
      return;
    }
  g_ptr_array_add (s->files, f);
  {
    /* The action is the interpreter on the file, then the args. */
    FhOjAction *a = g_new0 (FhOjAction, 1);
    const FhDocNode *args = fh_doc_get (node, "args"), *t;
    a->path = g_strdup (path);
    a->args = formats ();
    a->command = fh_oj_format_parse (interpreters[w].command, NULL);
    for (guint i = 0; i < G_N_ELEMENTS (interpreters[w].pre) && interpreters[w].pre[i]; i++)
      g_ptr_array_add (a->args, fh_oj_format_parse (interpreters[w].pre[i], NULL));
    g_ptr_array_add (a->args, g_steal_pointer (&file_ref));
    if (args != NULL && fh_oj_check_list (k->c, args, fh_oj_path (k->c, "%s.args", path), 0, 0))
      for (guint i = 0; i < args->n_children; i++)
        {
          FhOjFormat *af = want_format (k, args->values[i], fh_oj_path (k->c, "%s.args[%u]", path, i), SCOPE_STEP);
          if (af != NULL)
            g_ptr_array_add (a->args, af);
        }
    if ((t = fh_doc_get (node, "timeout")) != NULL && t->kind != FH_DOC_NULL)
      a->timeout = seconds (k, t, fh_oj_path (k->c, "%s.timeout", path), 0);
    if ((t = fh_doc_get (node, "cancelation")) != NULL)
      cancelation (k, t, fh_oj_path (k->c, "%s.cancelation", path), a);
    s->on_run = a;
  }
}

static void
step_script (Checker *k, const FhDocNode *node, const char *path, FhOjStep *s)
{
  static const char *const fields[] = { "actions", "embeddedFiles", NULL };
  static const char *const action_fields[] = { "onRun", NULL };
  const FhDocNode *actions, *n;
  const char *ap = fh_oj_path (k->c, "%s.actions", path);

  static const char *const required[] = { "actions", NULL };

  if (!fh_oj_check_map (k->c, node, path, fields, required))
    return;
  if ((n = fh_doc_get (node, "embeddedFiles")) != NULL)
    embedded_files (k, n, fh_oj_path (k->c, "%s.embeddedFiles", path), s->files, SCOPE_STEP);
  if ((actions = fh_doc_get (node, "actions")) != NULL && fh_oj_check_map (k->c, actions, ap, action_fields, action_fields) &&
      (n = fh_doc_get (actions, "onRun")) != NULL)
    s->on_run = action (k, n, fh_oj_path (k->c, "%s.onRun", ap), SCOPE_STEP);
}

static void
dependencies (Checker *k, const FhDocNode *node, const char *path, FhOjStep *s)
{
  static const char *const fields[] = { "dependsOn", NULL };

  if (!fh_oj_check_list (k->c, node, path, 1, 0))
    return;
  for (guint i = 0; i < node->n_children; i++)
    {
      const char *p = fh_oj_path (k->c, "%s[%u]", path, i);
      const FhDocNode *d = node->values[i], *n;
      const char *name;
      if (!fh_oj_check_map (k->c, d, p, fields, fields) || (n = fh_doc_get (d, "dependsOn")) == NULL ||
          (name = fh_oj_want_string (k->c, n, fh_oj_path (k->c, "%s.dependsOn", p))) == NULL)
        continue;
      for (guint j = 0; j < s->depends_on->len; j++)
        if (g_str_equal (g_ptr_array_index (s->depends_on, j), name))
          {
            fh_oj_bad (k->c, fh_oj_path (k->c, "%s.dependsOn", p), n, "'%s' is named twice", name);
            name = NULL;
            break;
          }
      if (name != NULL)
        g_ptr_array_add (s->depends_on, g_strdup (name));
    }
}

static FhOjStep *
step (Checker *k, const FhDocNode *node, const char *path)
{
  static const char *const fields[] = { "name", "description", "dependencies", "stepEnvironments",
                                        "hostRequirements", "parameterSpace", "script", "bash", "python",
                                        "node", "cmd", "powershell", NULL };
  static const char *const required[] = { "name", NULL };
  FhOjStep *s;
  const FhDocNode *n;
  const char *str;
  guint n_actions = 0;

  if (!fh_oj_check_map (k->c, node, path, fields, required))
    return NULL;
  s = g_new0 (FhOjStep, 1);
  s->path = g_strdup (path);
  s->depends_on = g_ptr_array_new_with_free_func (g_free);
  s->environments = g_ptr_array_new_with_free_func ((GDestroyNotify) environment_free);
  s->requirements = g_ptr_array_new_with_free_func ((GDestroyNotify) requirement_free);
  s->task_params = g_ptr_array_new_with_free_func ((GDestroyNotify) task_param_free);
  s->files = g_ptr_array_new_with_free_func ((GDestroyNotify) file_free);
  if ((n = fh_doc_get (node, "name")) != NULL && (str = fh_oj_want_string (k->c, n, fh_oj_path (k->c, "%s.name", path))) &&
      fh_oj_check_text (k->c, fh_oj_path (k->c, "%s.name", path), n, str, 1, k->c->limits.step_name, FH_OJ_TEXT_NO_CC))
    s->name = g_strdup (str);
  if ((n = fh_doc_get (node, "description")) != NULL &&
      (str = fh_oj_want_string (k->c, n, fh_oj_path (k->c, "%s.description", path))))
    fh_oj_check_text (k->c, fh_oj_path (k->c, "%s.description", path), n, str, 1, DESCRIPTION_MAX,
                      FH_OJ_TEXT_NO_CC | FH_OJ_TEXT_ALLOW_SPACE_CC);
  if ((n = fh_doc_get (node, "dependencies")) != NULL)
    dependencies (k, n, fh_oj_path (k->c, "%s.dependencies", path), s);
  if ((n = fh_doc_get (node, "stepEnvironments")) != NULL)
    environments (k, n, fh_oj_path (k->c, "%s.stepEnvironments", path), s->environments);
  if ((n = fh_doc_get (node, "hostRequirements")) != NULL)
    requirements (k, n, fh_oj_path (k->c, "%s.hostRequirements", path), s);
  if ((n = fh_doc_get (node, "parameterSpace")) != NULL)
    parameter_space (k, n, fh_oj_path (k->c, "%s.parameterSpace", path), s);
  if ((n = fh_doc_get (node, "script")) != NULL)
    {
      n_actions++;
      step_script (k, n, fh_oj_path (k->c, "%s.script", path), s);
    }
  for (const char *const *a = simple_actions; *a != NULL; a++)
    if ((n = fh_doc_get (node, *a)) != NULL)
      {
        const char *p = fh_oj_path (k->c, "%s.%s", path, *a);
        if (!(k->c->ext & FH_OJ_EXT_FEATURE_BUNDLE_1))
          fh_oj_bad (k->c, p, n, "the simple action '%s' needs the FEATURE_BUNDLE_1 extension", *a);
        else if (++n_actions == 1)
          simple_action (k, n, p, *a, s);
      }
  if (n_actions == 0)
    fh_oj_bad (k->c, path, node, "a step needs a script%s", k->c->ext & FH_OJ_EXT_FEATURE_BUNDLE_1
               ? " or one simple action (bash, python, node, cmd, powershell)" : "");
  else if (n_actions > 1)
    fh_oj_bad (k->c, path, node, "a step has one script or one simple action (bash, python, node, cmd, "
               "powershell), not %u", n_actions);
  flush_pending (k, NULL, s);
  if (s->name == NULL)
    {
      step_free (s);
      return NULL;
    }
  return s;
}

/* Each step's dependencies name another step; no cycle. */
static void
check_dependencies (Checker *k, const FhDocNode *steps_node)
{
  GPtrArray *steps = k->t->steps;
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree guint8 *state = g_new0 (guint8, steps->len);
  guint before = fh_problems_get_count (k->c->problems);

  for (guint i = 0; i < steps->len; i++)
    g_hash_table_insert (index, ((FhOjStep *) g_ptr_array_index (steps, i))->name, GUINT_TO_POINTER (i + 1));
  for (guint i = 0; i < steps->len; i++)
    {
      FhOjStep *s = g_ptr_array_index (steps, i);
      for (guint j = 0; j < s->depends_on->len; j++)
        {
          const char *d = g_ptr_array_index (s->depends_on, j);
          const char *p = fh_oj_path (k->c, "%s.dependencies[%u].dependsOn", s->path, j);
          if (g_str_equal (d, s->name))
            fh_oj_bad (k->c, p, steps_node, "the step '%s' depends on itself", d);
          else if (!g_hash_table_contains (index, d))
            fh_oj_bad (k->c, p, steps_node, "'%s' is not a step of this job", d);
        }
    }
  if (fh_problems_get_count (k->c->problems) > before)
    return;
  /* A depth-first walk: a step met again while its walk is open closes a cycle. */
  for (guint start = 0; start < steps->len; start++)
    {
      g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint) * 2);
      guint top[2] = { start, 0 };
      if (state[start])
        continue;
      state[start] = 1;
      g_array_append_val (stack, top);
      while (stack->len > 0)
        {
          guint *fr = &g_array_index (stack, guint, (stack->len - 1) * 2);
          FhOjStep *s = g_ptr_array_index (steps, fr[0]);
          if (fr[1] >= s->depends_on->len)
            {
              state[fr[0]] = 2;
              g_array_set_size (stack, stack->len - 1);
              continue;
            }
          {
            guint next = GPOINTER_TO_UINT (g_hash_table_lookup (index, g_ptr_array_index (s->depends_on, fr[1]++))) - 1;
            guint push[2] = { next, 0 };
            if (state[next] == 1)
              {
                fh_oj_bad (k->c, fh_oj_path (k->c, "%s.dependencies", s->path), steps_node,
                           "the steps' dependencies form a cycle through '%s' and '%s'", s->name,
                           ((FhOjStep *) g_ptr_array_index (steps, next))->name);
                return;
              }
            if (state[next] == 0)
              {
                state[next] = 1;
                g_array_append_val (stack, push);
              }
          }
        }
    }
}

GPtrArray *
fh_oj_template_step_order (const FhOjTemplate *self)
{
  GPtrArray *steps = self->steps, *out = g_ptr_array_new ();
  g_autofree guint8 *done = g_new0 (guint8, steps->len);
  gboolean progress = TRUE;

  /* Template order, each step as soon as what it depends on has run
   * (checked acyclic). */
  while (out->len < steps->len && progress)
    {
      progress = FALSE;
      for (guint i = 0; i < steps->len; i++)
        {
          FhOjStep *s = g_ptr_array_index (steps, i);
          gboolean ready = !done[i];
          for (guint j = 0; ready && j < s->depends_on->len; j++)
            for (guint x = 0; x < steps->len; x++)
              if (g_str_equal (((FhOjStep *) g_ptr_array_index (steps, x))->name, g_ptr_array_index (s->depends_on, j)))
                ready = ready && done[x];
          if (ready)
            {
              done[i] = 1;
              g_ptr_array_add (out, s);
              progress = TRUE;
              break;
            }
        }
    }
  return out;
}

static void
unique_environment_names (Checker *k)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) all = g_ptr_array_new ();

  g_ptr_array_extend (all, k->t->environments, NULL, NULL);
  for (guint i = 0; i < k->t->steps->len; i++)
    g_ptr_array_extend (all, ((FhOjStep *) g_ptr_array_index (k->t->steps, i))->environments, NULL, NULL);
  for (guint i = 0; i < all->len; i++)
    {
      FhOjEnvironment *e = g_ptr_array_index (all, i);
      if (!g_hash_table_add (seen, e->name))
        fh_oj_bad (k->c, fh_oj_path (k->c, "%s.name", e->path), NULL,
                   "the environment name '%s' is used twice: environments of a job and its steps need "
                   "names of their own", e->name);
    }
}

static void
steps (Checker *k, const FhDocNode *node, const char *path)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!fh_oj_check_list (k->c, node, path, 1, 0))
    return;
  for (guint i = 0; i < node->n_children; i++)
    {
      const char *p = fh_oj_path (k->c, "%s[%u]", path, i);
      FhOjStep *s = step (k, node->values[i], p);
      if (s == NULL)
        continue;
      if (!g_hash_table_add (seen, s->name))
        fh_oj_bad (k->c, fh_oj_path (k->c, "%s.name", p), fh_doc_get (node->values[i], "name"),
                   "the step name '%s' is used twice", s->name);
      g_ptr_array_add (k->t->steps, s);
    }
  check_dependencies (k, node);
}

/* ---- the roots ---------------------------------------------------------- */

static const struct { const char *name; FhOjExtensions bit; } known_extensions[] = {
  { "FEATURE_BUNDLE_1", FH_OJ_EXT_FEATURE_BUNDLE_1 },
  { "TASK_CHUNKING", FH_OJ_EXT_TASK_CHUNKING },
  { "REDACTED_ENV_VARS", FH_OJ_EXT_REDACTED_ENV_VARS },
};

char *
fh_oj_extensions_to_string (FhOjExtensions ext)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (known_extensions); i++)
    if (ext & known_extensions[i].bit)
      g_string_append_printf (s, "%s%s", s->len ? ", " : "", known_extensions[i].name);
  return g_string_free (s, FALSE);
}

/* The extensions a template declares.  FALSE when one cannot be used:
 * then that is the only problem said (what follows would be noise). */
static gboolean
extensions (FhOjCheck *c, const FhDocNode *node, FhOjExtensions *out)
{
  *out = 0;
  if (node == NULL)
    return TRUE;
  if (!fh_oj_check_list (c, node, "extensions", 1, 0))
    return FALSE;
  for (guint i = 0; i < node->n_children; i++)
    {
      const char *p = fh_oj_path (c, "extensions[%u]", i);
      const char *s = fh_oj_want_string (c, node->values[i], p);
      guint k = 0;
      if (s == NULL)
        return FALSE;
      while (k < G_N_ELEMENTS (known_extensions) && !g_str_equal (known_extensions[k].name, s))
        k++;
      if (k < G_N_ELEMENTS (known_extensions))
        *out |= known_extensions[k].bit;
      else if (g_str_equal (s, "EXPR") || g_str_equal (s, "WRAP_ACTIONS"))
        {
          fh_problems_set_code (c->problems, FH_PROBLEMS_INVALID_JOB);
          fh_oj_bad (c, p, node->values[i], "the extension %s is not supported by farmhand (yet); it supports "
                     "FEATURE_BUNDLE_1, TASK_CHUNKING and REDACTED_ENV_VARS", s);
          return FALSE;
        }
      else
        {
          fh_oj_bad (c, p, node->values[i], "'%s' is not an OpenJD extension farmhand knows: FEATURE_BUNDLE_1, "
                     "TASK_CHUNKING, REDACTED_ENV_VARS (EXPR and WRAP_ACTIONS exist, unsupported)", s);
          return FALSE;
        }
    }
  return TRUE;
}

static void
job_template (Checker *k, const FhDocNode *root)
{
  static const char *const fields[] = { "specificationVersion", "$schema", "extensions", "name", "description",
                                        "parameterDefinitions", "jobEnvironments", "steps", NULL };
  static const char *const required[] = { "specificationVersion", "name", "steps", NULL };
  const FhDocNode *n;
  const char *s;

  fh_oj_check_map (k->c, root, "", fields, required);
  /* Parameters first: every format string's scope names them. */
  if ((n = fh_doc_get (root, "parameterDefinitions")) != NULL)
    fh_oj_check_param_defs (k->c, n, "parameterDefinitions", k->t->params);
  params_into (k->template_scope.names, k, FALSE);
  if ((n = fh_doc_get (root, "name")) != NULL && (k->t->name = want_format (k, n, "name", SCOPE_TEMPLATE)))
    {
      const char *text = fh_oj_format_get_text (k->t->name);
      /* Its length counts once resolved: with references, at job creation. */
      fh_oj_check_text (k->c, "name", n, text, 1, fh_oj_format_has_refs (k->t->name) ? 0 : k->c->limits.job_name,
                        FH_OJ_TEXT_NO_CC);
    }
  if ((n = fh_doc_get (root, "description")) != NULL && (s = fh_oj_want_string (k->c, n, "description")) &&
      fh_oj_check_text (k->c, "description", n, s, 1, DESCRIPTION_MAX, FH_OJ_TEXT_NO_CC | FH_OJ_TEXT_ALLOW_SPACE_CC))
    k->t->description = g_strdup (s);
  if ((n = fh_doc_get (root, "jobEnvironments")) != NULL)
    environments (k, n, "jobEnvironments", k->t->environments);
  if ((n = fh_doc_get (root, "steps")) != NULL)
    steps (k, n, "steps");
  unique_environment_names (k);
}

static void
environment_template (Checker *k, const FhDocNode *root)
{
  static const char *const fields[] = { "specificationVersion", "$schema", "extensions", "parameterDefinitions",
                                        "environment", NULL };
  static const char *const required[] = { "specificationVersion", "environment", NULL };
  const FhDocNode *n;
  FhOjEnvironment *e;

  fh_oj_check_map (k->c, root, "", fields, required);
  if ((n = fh_doc_get (root, "parameterDefinitions")) != NULL)
    fh_oj_check_param_defs (k->c, n, "parameterDefinitions", k->t->params);
  params_into (k->template_scope.names, k, FALSE);
  if ((n = fh_doc_get (root, "environment")) != NULL && (e = environment (k, n, "environment")) != NULL)
    g_ptr_array_add (k->t->environments, e);
}

static FhOjTemplate *
template_new (const char *source, const char *dir)
{
  FhOjTemplate *t = g_new0 (FhOjTemplate, 1);

  t->source = g_strdup (source);
  t->dir = dir ? g_canonicalize_filename (dir, NULL) : g_get_current_dir ();
  t->params = g_ptr_array_new_with_free_func ((GDestroyNotify) fh_oj_param_def_free);
  t->environments = g_ptr_array_new_with_free_func ((GDestroyNotify) environment_free);
  t->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);
  return t;
}

/* Which template @root is, by its specificationVersion. */
static gboolean
kind_of (FhOjCheck *c, const FhDocNode *root, FhOjKind *kind)
{
  const FhDocNode *v = fh_doc_get (root, "specificationVersion");
  const char *s;

  if (root == NULL || root->kind != FH_DOC_MAP)
    {
      fh_oj_bad (c, "", root, "an OpenJD template is a mapping, not %s",
                 root ? fh_doc_kind_name (root->kind) : "an empty document");
      return FALSE;
    }
  if (v == NULL)
    {
      fh_oj_bad (c, "", root, "missing the required field 'specificationVersion' (jobtemplate-2023-09 or "
                 "environment-2023-09)");
      return FALSE;
    }
  if ((s = fh_oj_want_string (c, v, "specificationVersion")) == NULL)
    return FALSE;
  if (g_str_equal (s, JOB_VERSION) || g_str_equal (s, ENV_VERSION))
    {
      *kind = g_str_equal (s, JOB_VERSION) ? FH_OJ_JOB_TEMPLATE : FH_OJ_ENVIRONMENT_TEMPLATE;
      return TRUE;
    }
  fh_oj_bad (c, "specificationVersion", v, "'%s' is not a template version farmhand reads: %s or %s", s,
             JOB_VERSION, ENV_VERSION);
  return FALSE;
}

FhOjTemplate *
fh_oj_template_parse (const char *data, gsize len, const char *source, const char *dir, FhProblems *problems)
{
  return fh_oj_template_parse_with (data, len, source, dir, NULL, problems);
}

FhOjTemplate *
fh_oj_template_parse_with (const char *data, gsize len, const char *source, const char *dir, GPtrArray *also,
                           FhProblems *problems)
{
  g_autoptr (FhOjTemplate) t = template_new (source, dir);
  g_autoptr (FhDoc) doc = NULL;
  FhOjCheck c;
  Checker k = { &c, t, also, { names_new (), "in a template-scope field (resolved at job creation)", FALSE, FALSE },
                g_ptr_array_new_with_free_func (pending_free) };
  guint before = fh_problems_get_count (problems);
  const FhDocNode *root;

  fh_problems_set_code (problems, FH_PROBLEMS_INVALID_JOB);
  if ((doc = fh_doc_parse (data, len, fh_doc_format_for (source), problems)) != NULL)
    {
      root = fh_doc_root (doc);
      fh_oj_check_init (&c, problems, t->source, 0);
      if (kind_of (&c, root, &t->kind) && extensions (&c, fh_doc_get (root, "extensions"), &t->extensions))
        {
          fh_oj_limits_for (&c.limits, c.ext = t->extensions);
          if (t->kind == FH_OJ_JOB_TEMPLATE)
            job_template (&k, root);
          else
            environment_template (&k, root);
        }
      fh_oj_check_clear (&c);
    }
  g_hash_table_unref (k.template_scope.names);
  g_ptr_array_unref (k.pending);
  if (fh_problems_get_count (problems) > before)
    return NULL;
  t->doc = g_steal_pointer (&doc);
  return g_steal_pointer (&t);
}

FhOjTemplate *
fh_oj_template_load (const char *path, FhProblems *problems)
{
  return fh_oj_template_load_with (path, NULL, problems);
}

FhOjTemplate *
fh_oj_template_load_with (const char *path, GPtrArray *also, FhProblems *problems)
{
  g_autofree char *data = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, &error))
    {
      fh_problems_set_code (problems, FH_PROBLEMS_INVALID_INPUT);
      fh_problems_add_in (problems, path, "", 0, 0, error->message);
      return NULL;
    }
  return fh_oj_template_parse_with (data, len, path, dir, also, problems);
}
