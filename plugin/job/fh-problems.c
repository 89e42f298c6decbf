/* fh-problems.c — a job's problems as data (see the header). */
#include "config.h"

#include "fh-problems.h"

#include "fh-error.h"
#include "fh-job-error.h"
#include "fh-json.h"

typedef struct
{
  char *source;    /* nullable: the list's */
  char *path;
  char *message;
  guint line;
  guint column;
} Problem;

struct _FhProblems
{
  char *source;
  FhProblemsCode code;
  GArray *list;   /* Problem */
};

static const char *const code_names[] = {
  [FH_PROBLEMS_INVALID_JOB] = "invalid_job",
  [FH_PROBLEMS_SYNTAX] = "syntax",
  [FH_PROBLEMS_INVALID_INPUT] = "invalid_input",
  [FH_PROBLEMS_BAD_HOST] = "bad_host",
};

static void
problem_clear (gpointer p)
{
  Problem *problem = p;

  g_free (problem->source);
  g_free (problem->path);
  g_free (problem->message);
}

FhProblems *
fh_problems_new (const char *source)
{
  FhProblems *self = g_new0 (FhProblems, 1);

  self->source = g_strdup (source);
  self->list = g_array_new (FALSE, FALSE, sizeof (Problem));
  g_array_set_clear_func (self->list, problem_clear);
  return self;
}

void
fh_problems_free (FhProblems *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->list);
  g_free (self->source);
  g_free (self);
}

void
fh_problems_set_source (FhProblems *self, const char *source)
{
  g_free (self->source);
  self->source = g_strdup (source);
}

void
fh_problems_set_code (FhProblems *self, FhProblemsCode code)
{
  self->code = code;
}

void
fh_problems_add (FhProblems *self, const char *path, guint line, guint column, const char *message)
{
  fh_problems_add_in (self, NULL, path, line, column, message);
}

void
fh_problems_add_in (FhProblems *self, const char *source, const char *path, guint line, guint column,
                    const char *message)
{
  Problem p = { g_strcmp0 (source, self->source) != 0 ? g_strdup (source) : NULL,
                g_strdup (path ? path : ""), g_strdup (message), line, column };

  g_array_append_val (self->list, p);
}

guint
fh_problems_get_count (FhProblems *self)
{
  return self->list->len;
}

/* One problem as 1.1's text line. */
static void
append_line (FhProblems *self, GString *out, const Problem *p)
{
  const char *source = p->source ? p->source : self->source;

  if (p->line > 0 && source != NULL)
    g_string_append_printf (out, "%s:%u:%u: ", source, p->line, p->column);
  else if (p->source != NULL)
    g_string_append_printf (out, "%s: ", p->source);
  /* 1.1 named the whole job "(top level)"; what the host passed wrong was
   * a message alone. */
  if (*p->path != '\0')
    g_string_append_printf (out, "%s: ", p->path);
  else if (p->line == 0 && self->code == FH_PROBLEMS_INVALID_JOB)
    g_string_append (out, "(top level): ");
  g_string_append (out, p->message);
}

char *
fh_problems_to_text (FhProblems *self)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < self->list->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, '\n');
      append_line (self, out, &g_array_index (self->list, Problem, i));
    }
  return g_string_free (out, FALSE);
}

static char *
summary (FhProblems *self)
{
  const Problem *first = self->list->len ? &g_array_index (self->list, Problem, 0) : NULL;
  const char *what = self->source ? self->source : "the job";

  if (first == NULL)
    return g_strdup_printf ("%s was refused", what);
  if (self->code != FH_PROBLEMS_INVALID_JOB)
    return g_strdup (first->message);
  return self->list->len == 1 ? g_strdup_printf ("%s is not a valid job: 1 problem", what)
                              : g_strdup_printf ("%s is not a valid job: %u problems", what, self->list->len);
}

JsonObject *
fh_problems_to_json (FhProblems *self)
{
  JsonObject *o = json_object_new ();
  JsonArray *list = json_array_new ();

  json_object_set_string_member (o, "code", code_names[self->code]);
  fh_json_take_string (o, "message", summary (self));
  if (self->source != NULL)
    json_object_set_string_member (o, "source", self->source);
  for (guint i = 0; i < self->list->len; i++)
    {
      const Problem *p = &g_array_index (self->list, Problem, i);
      JsonObject *e = json_object_new ();
      json_object_set_string_member (e, "path", p->path);
      if (p->source != NULL)
        json_object_set_string_member (e, "source", p->source);
      json_object_set_string_member (e, "message", p->message);
      if (p->line > 0)
        {
          json_object_set_int_member (e, "line", p->line);
          json_object_set_int_member (e, "column", p->column);
        }
      json_array_add_object_element (list, e);
    }
  json_object_set_array_member (o, "problems", list);
  return o;
}

gboolean
fh_problems_throw (FhProblems *self, GError **error)
{
  g_autofree char *text = fh_problems_to_text (self);

  return fh_throw (error, FH_JOB_ERROR,
                   self->code == FH_PROBLEMS_SYNTAX ? FH_JOB_ERROR_SYNTAX : FH_JOB_ERROR_INVALID, "%s", text);
}
