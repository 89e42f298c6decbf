/* fh-openjd-submission.c — templates, bundles and values into a job. */
#include "config.h"

#include "fh-openjd-submission.h"

#include <string.h>

#include "fh-doc.h"
#include "fh-openjd-path-mapping.h"

#define INPUT_MAX_BYTES (10 * 1024 * 1024)

typedef struct
{
  GHashTable *values;    /* name -> text */
  GHashTable *sources;   /* name -> where it was given */
  GPtrArray *ignored;
  FhProblems *problems;
  const char *cwd;
} Values;

static void
problem (Values *v, const char *source, const FhDocNode *node, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static void
problem (Values *v, const char *source, const FhDocNode *node, const char *fmt, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  fh_problems_add_in (v->problems, source, "", node ? node->line : 0, node ? node->column : 0, msg);
}

static void
set_value (Values *v, const char *name, const char *text, const char *source)
{
  g_hash_table_insert (v->values, g_strdup (name), g_strdup (text));
  g_hash_table_insert (v->sources, g_strdup (name), g_strdup (source));
}

/* A value as text: a string as it is, a number or boolean as written. */
static const char *
value_text (const FhDocNode *n)
{
  if (n == NULL || !fh_doc_is_scalar (n) || n->kind == FH_DOC_NULL)
    return NULL;
  if (n->kind == FH_DOC_BOOL)
    return n->bool_value ? "true" : "false";
  return n->text;
}

static gboolean
read_input (Values *v, const char *path, char **data, gsize *len)
{
  g_autoptr (GError) error = NULL;

  if (!g_file_get_contents (path, data, len, &error))
    {
      problem (v, path, NULL, "%s", error->message);
      return FALSE;
    }
  if (*len > INPUT_MAX_BYTES)
    {
      problem (v, path, NULL, "the file is %" G_GSIZE_FORMAT " bytes; at most %d are read", *len, INPUT_MAX_BYTES);
      g_clear_pointer (data, g_free);
      return FALSE;
    }
  return TRUE;
}

/* A mapping of names to values (a -p file or inline JSON). */
static void
add_mapping (Values *v, const FhDocNode *root, const char *source)
{
  if (root == NULL || root->kind != FH_DOC_MAP)
    {
      problem (v, source, root, "job parameters must be a mapping of names to values, not %s",
               root ? fh_doc_kind_name (root->kind) : "nothing");
      return;
    }
  for (guint i = 0; i < root->n_children; i++)
    {
      const char *text = value_text (root->values[i]);
      if (text == NULL)
        problem (v, source, root->values[i], "the value of '%s' must be a string or a number, not %s",
                 root->keys[i]->text, fh_doc_kind_name (root->values[i]->kind));
      else
        set_value (v, root->keys[i]->text, text, source);
    }
}

static FhDoc *
parse_file (Values *v, const char *path, FhDocFormat format)
{
  g_autofree char *data = NULL;
  g_autoptr (FhProblems) syntax = fh_problems_new (path);
  gsize len;
  FhDoc *doc;

  if (!read_input (v, path, &data, &len))
    return NULL;
  if ((doc = fh_doc_parse (data, len, format, syntax)) == NULL)
    {
      g_autofree char *t = fh_problems_to_text (syntax);
      problem (v, NULL, NULL, "%s", t);
    }
  return doc;
}

/* One -p argument: NAME=VALUE, file://FILE, or {JSON}. */
static void
add_argument (Values *v, const char *arg)
{
  g_autofree char *source = g_strdup_printf ("-p %s", arg);
  const char *eq;

  if (g_str_has_prefix (arg, "file://"))
    {
      g_autofree char *path = g_canonicalize_filename (arg + 7, v->cwd);
      g_autoptr (FhDoc) doc = NULL;
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          problem (v, NULL, NULL, "Provided parameter file '%s' does not exist.", arg + 7);
          return;
        }
      if ((doc = parse_file (v, path, fh_doc_format_for (path))) != NULL)
        add_mapping (v, fh_doc_root (doc), arg + 7);
    }
  else if (arg[0] == '{' && g_str_has_suffix (arg, "}"))
    {
      g_autoptr (FhProblems) syntax = fh_problems_new (source);
      g_autoptr (FhDoc) doc = fh_doc_parse (arg, strlen (arg), FH_DOC_JSON, syntax);
      if (doc == NULL)
        {
          g_autofree char *t = fh_problems_to_text (syntax);
          problem (v, NULL, NULL, "%s", t);
        }
      else
        add_mapping (v, fh_doc_root (doc), source);
    }
  else if ((eq = strchr (arg, '=')) != NULL && eq > arg)
    {
      g_autofree char *name = g_strndup (arg, eq - arg);
      set_value (v, name, eq + 1, source);
    }
  else
    problem (v, NULL, NULL, "Job parameter string ('%s') not formatted correctly. It must be key=value pairs, "
             "inline JSON, or a path to a JSON or YAML document prefixed with 'file://'.", arg);
}

/* A bundle's parameter_values file: {"parameterValues": [{"name", "value"}]}. */
static void
add_bundle_values (Values *v, const char *path)
{
  g_autoptr (FhDoc) doc = parse_file (v, path, fh_doc_format_for (path));
  const FhDocNode *list;

  if (doc == NULL)
    return;
  list = fh_doc_get (fh_doc_root (doc), "parameterValues");
  if (list == NULL || list->kind != FH_DOC_SEQ)
    {
      problem (v, path, fh_doc_root (doc), "a job bundle's parameter values are {\"parameterValues\": "
               "[{\"name\": ..., \"value\": ...}, ...]}");
      return;
    }
  for (guint i = 0; i < list->n_children; i++)
    {
      const char *name = fh_doc_scalar (fh_doc_get (list->values[i], "name"));
      const char *text = value_text (fh_doc_get (list->values[i], "value"));
      if (name == NULL || text == NULL)
        problem (v, path, list->values[i], "parameterValues[%u] needs a \"name\" and a string or number "
                 "\"value\"", i);
      else if (strchr (name, ':') != NULL)
        g_ptr_array_add (v->ignored, g_strdup (name));
      else
        set_value (v, name, text, path);
    }
}

/* The one file of a bundle named @stem (.yaml, .yml or .json), or NULL. */
static char *
bundle_file (Values *v, const char *dir, const char *stem, gboolean required)
{
  static const char *const exts[] = { ".yaml", ".yml", ".json" };
  char *found = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (exts); i++)
    {
      g_autofree char *name = g_strconcat (stem, exts[i], NULL);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      if (found != NULL)
        {
          problem (v, dir, NULL, "the job bundle has both %s and %s: one %s file, please", found, path, stem);
          g_free (found);
          return NULL;
        }
      found = g_steal_pointer (&path);
    }
  if (found == NULL && required)
    problem (v, dir, NULL, "a job bundle directory holds %s.yaml or %s.json; this one has neither", stem, stem);
  return found;
}

char *
fh_oj_submission_template_path (const char *path, FhProblems *problems)
{
  Values v = { NULL, NULL, NULL, problems, NULL };

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      problem (&v, path, NULL, "no such file or directory");
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return g_strdup (path);
  return bundle_file (&v, path, "template", TRUE);
}

GHashTable *
fh_oj_submission_bundle_values (const char *dir, FhProblems *problems)
{
  GHashTable *values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) ignored = g_ptr_array_new_with_free_func (g_free);
  Values v = { values, sources, ignored, problems, dir };
  g_autofree char *path = g_file_test (dir, G_FILE_TEST_IS_DIR) ? bundle_file (&v, dir, "parameter_values", FALSE)
                                                                 : NULL;

  if (path != NULL)
    add_bundle_values (&v, path);
  return values;
}

static FhOjPathMapping *
path_mapping (Values *v, const char *arg)
{
  g_autofree char *data = NULL;
  const char *source = "--path-mapping-rules";
  g_autofree char *path = NULL;
  gsize len;

  if (arg == NULL)
    return fh_oj_path_mapping_new ();
  if (g_str_has_prefix (arg, "file://"))
    {
      path = g_canonicalize_filename (arg + 7, v->cwd);
      if (!read_input (v, path, &data, &len))
        return NULL;
      source = path;
    }
  return fh_oj_path_mapping_parse (data ? data : arg, source, v->problems);
}

static GPtrArray *
environment_templates (const FhOjSubmission *s, FhProblems *problems)
{
  GPtrArray *envs = g_ptr_array_new_with_free_func ((GDestroyNotify) fh_oj_template_free);

  for (const char *const *e = s->environments; e != NULL && *e != NULL; e++)
    {
      g_autofree char *path = g_canonicalize_filename (*e, s->cwd);
      FhOjTemplate *t = fh_oj_template_load (path, problems);
      if (t == NULL)
        continue;
      if (t->kind != FH_OJ_ENVIRONMENT_TEMPLATE)
        {
          fh_problems_add_in (problems, *e, "specificationVersion", 0, 0,
                              "an environment template (environment-2023-09) is expected here, not a job template");
          fh_oj_template_free (t);
          continue;
        }
      g_ptr_array_add (envs, t);
    }
  return envs;
}

FhOjJob *
fh_oj_submission_open (const FhOjSubmission *s, FhProblems *problems, GPtrArray **ignored)
{
  g_autofree char *cwd = s->cwd ? g_strdup (s->cwd) : g_get_current_dir ();
  g_autoptr (GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) ignored_names = g_ptr_array_new_with_free_func (g_free);
  Values v = { values, sources, ignored_names, problems, cwd };
  g_autofree char *template_path = fh_oj_submission_template_path (s->path, problems);
  g_autoptr (FhOjTemplate) template = NULL;
  g_autoptr (GPtrArray) envs = NULL;
  g_autoptr (GPtrArray) also = g_ptr_array_new ();
  FhOjPathMapping *mapping;
  FhOjJobInput input = { values, sources, cwd, s->steps, NULL };
  guint before = fh_problems_get_count (problems);

  if (template_path == NULL)
    return NULL;
  /* Environment templates first: their parameters are in the job
   * template's scope too. */
  envs = environment_templates (s, problems);
  for (guint i = 0; i < envs->len; i++)
    g_ptr_array_extend (also, ((FhOjTemplate *) g_ptr_array_index (envs, i))->params, NULL, NULL);
  if ((template = fh_oj_template_load_with (template_path, also, problems)) == NULL)
    return NULL;
  if (template->kind != FH_OJ_JOB_TEMPLATE)
    {
      fh_problems_add_in (problems, template_path, "specificationVersion", 0, 0,
                          "this is an environment template: `farmhand openjd run` runs a job template (pass "
                          "environment templates with --env)");
      return NULL;
    }
  if (g_file_test (s->path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *bundle_values = bundle_file (&v, s->path, "parameter_values", FALSE);
      if (bundle_values != NULL)
        add_bundle_values (&v, bundle_values);
    }
  for (const char *const *p = s->parameters; p != NULL && *p != NULL; p++)
    add_argument (&v, *p);
  mapping = path_mapping (&v, s->path_mapping_rules);
  if (fh_problems_get_count (problems) > before)
    {
      fh_oj_path_mapping_free (mapping);
      fh_problems_set_code (problems, FH_PROBLEMS_INVALID_JOB);
      return NULL;
    }
  input.path_mapping = mapping;
  if (ignored != NULL)
    *ignored = g_ptr_array_ref (ignored_names);
  return fh_oj_job_new (g_steal_pointer (&template), g_steal_pointer (&envs), &input, problems);
}
