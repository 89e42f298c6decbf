/* fh-problems.h — what is wrong with a job, as data: every problem with
 * the path of the field it is about ("agenda.frames", "" for the whole
 * job), its message, and the line and column where the source has them.
 *
 * A checker adds every problem it finds rather than stopping at the first.
 * The list leaves the plugin as the ABI 1.2 error object
 * (schemas/error.schema.json) or, for a 1.1 host, as the text 1.1
 * promised: a line per problem, "PATH: message" ("(top level)" for the
 * whole job) or "SOURCE:LINE:COLUMN: message".
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What kind of refusal a list is (the error object's "code"). */
typedef enum {
  FH_PROBLEMS_INVALID_JOB,   /* well-formed, but not a valid job */
  FH_PROBLEMS_SYNTAX,        /* not well-formed (JSON, YAML) */
  FH_PROBLEMS_INVALID_INPUT, /* what the host passed: NULL, not UTF-8, options */
  FH_PROBLEMS_BAD_HOST,      /* the host API struct */
} FhProblemsCode;

typedef struct _FhProblems FhProblems;

/* @source (nullable) names the job in messages: its file.  (transfer full) */
FhProblems *fh_problems_new (const char *source);
void fh_problems_free (FhProblems *self);

void fh_problems_set_source (FhProblems *self, const char *source);
void fh_problems_set_code (FhProblems *self, FhProblemsCode code);

/* A problem of the field at @path ("" for the whole job); @line and
 * @column from 1, 0 when unknown. */
void fh_problems_add (FhProblems *self, const char *path, guint line, guint column, const char *message);
/* The same, of another file than the list's (a job made of several:
 * OpenJD's environment templates, parameter files). */
void fh_problems_add_in (FhProblems *self, const char *source, const char *path, guint line,
                         guint column, const char *message);
guint fh_problems_get_count (FhProblems *self);

/* A line per problem, as ABI 1.1 promised.  (transfer full) */
char *fh_problems_to_text (FhProblems *self);
/* {"code", "message", "source"?, "problems": [{"path", "message",
 * "source"?, "line"?, "column"?}]} (a problem's "source" where it is not
 * the list's).  (transfer full) */
JsonObject *fh_problems_to_json (FhProblems *self);
/* FH_JOB_ERROR (_SYNTAX or _INVALID) with the text; FALSE. */
gboolean fh_problems_throw (FhProblems *self, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhProblems, fh_problems_free)

G_END_DECLS
