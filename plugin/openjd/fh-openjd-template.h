/* fh-openjd-template.h — an OpenJD job template or environment template
 * (specification 2023-09), read and checked against every rule of the
 * specification (docs/openjd.md says which, and where farmhand differs).
 *
 * A template is checked whole: every problem is reported, each with the
 * file, line and column, and the path inside the template
 * ("steps[1].script.actions.onRun.args[2]").  Extensions: FEATURE_BUNDLE_1,
 * TASK_CHUNKING and REDACTED_ENV_VARS; a template that uses one of their
 * features without declaring it is refused, as is one that declares EXPR
 * or WRAP_ACTIONS (not supported) or an extension nobody knows.
 *
 * What is read stays as the template says it: format strings unresolved
 * (fh-openjd-format.h), parameter values as typed.  Job creation
 * (fh-openjd-job.h) resolves them.  Everything here is owned by the
 * template and read-only.
 */
#pragma once

#include <glib.h>

#include "fh-doc.h"
#include "fh-openjd-format.h"
#include "fh-problems.h"

G_BEGIN_DECLS

typedef enum {
  FH_OJ_EXT_FEATURE_BUNDLE_1 = 1 << 0,
  FH_OJ_EXT_TASK_CHUNKING = 1 << 1,
  FH_OJ_EXT_REDACTED_ENV_VARS = 1 << 2,
} FhOjExtensions;

typedef enum {
  FH_OJ_STRING,
  FH_OJ_PATH,
  FH_OJ_INT,
  FH_OJ_FLOAT,
  FH_OJ_CHUNK_INT,   /* task parameters only (TASK_CHUNKING) */
} FhOjType;

/* A parameter value: @text as it renders in format strings (an INT
 * normalised, "007" → "7"; a FLOAT as it was written), and as a number. */
typedef struct
{
  char *text;
  gint64 i;
  double d;
} FhOjValue;

typedef struct
{
  char *name;
  FhOjType type;
  gboolean has_default;
  FhOjValue def;
  GArray *allowed;          /* FhOjValue; NULL: any value */
  gint64 min_length;        /* -1: none (STRING, PATH) */
  gint64 max_length;
  gboolean has_min, has_max;
  FhOjValue min, max;       /* INT, FLOAT */
  char *object_type;        /* PATH: "FILE", "DIRECTORY" or NULL */
  char *data_flow;          /* PATH: "NONE", "IN", "OUT", "INOUT" or NULL */
  const char *source;       /* the template's file (for messages) */
  const FhDocNode *node;
} FhOjParamDef;

typedef enum {
  FH_OJ_CANCEL_TERMINATE,
  FH_OJ_CANCEL_NOTIFY_THEN_TERMINATE,
} FhOjCancelMode;

typedef struct
{
  FhOjFormat *command;
  GPtrArray *args;             /* FhOjFormat* (empty when none) */
  FhOjFormat *timeout;         /* nullable: seconds (a number, or with
                                  FEATURE_BUNDLE_1 a format string) */
  FhOjCancelMode cancel_mode;
  FhOjFormat *notify_period;   /* nullable: seconds, as timeout */
  char *path;                  /* "steps[0].script.actions.onRun" */
} FhOjAction;

typedef enum {
  FH_OJ_EOL_AUTO,
  FH_OJ_EOL_LF,
  FH_OJ_EOL_CRLF,
} FhOjEndOfLine;

typedef struct
{
  char *name;
  char *filename;              /* nullable: a random name */
  gboolean runnable;
  FhOjFormat *data;
  FhOjEndOfLine end_of_line;
  char *extension;             /* nullable: ".sh" for a simple action's script */
} FhOjEmbeddedFile;

typedef struct
{
  char *name;
  FhOjFormat *value;
} FhOjVariable;

typedef struct
{
  char *name;
  GPtrArray *variables;        /* FhOjVariable*, in template order */
  FhOjAction *on_enter;        /* nullable */
  FhOjAction *on_exit;         /* nullable */
  GPtrArray *files;            /* FhOjEmbeddedFile* */
  char *path;                  /* "jobEnvironments[0]" */
  const char *source;
} FhOjEnvironment;

typedef struct
{
  char *name;
  FhOjType type;
  GPtrArray *list;             /* FhOjFormat*: the range as a list */
  FhOjFormat *expression;      /* or as an <IntRangeExpr> (INT, CHUNK[INT]) */
  FhOjFormat *chunk_count;     /* CHUNK[INT]: defaultTaskCount */
  FhOjFormat *chunk_target;    /* nullable: targetRuntimeSeconds */
  gboolean chunk_contiguous;   /* rangeConstraint: CONTIGUOUS */
  char *path;
} FhOjTaskParam;

typedef struct
{
  char *name;                  /* an amount or attribute capability */
  FhOjFormat *name_format;
  gboolean amount;
  FhOjFormat *min, *max;       /* amounts (nullable) */
  GPtrArray *any_of, *all_of;  /* attributes: FhOjFormat* (nullable) */
  char *path;
} FhOjRequirement;

typedef struct
{
  char *name;
  GPtrArray *depends_on;       /* char*, step names */
  GPtrArray *environments;     /* FhOjEnvironment* */
  GPtrArray *requirements;     /* FhOjRequirement* */
  GPtrArray *task_params;      /* FhOjTaskParam* (empty: one task) */
  char *combination;           /* nullable: the default product */
  FhOjAction *on_run;
  GPtrArray *files;            /* FhOjEmbeddedFile* */
  char *path;                  /* "steps[2]" */
} FhOjStep;

typedef enum {
  FH_OJ_JOB_TEMPLATE,
  FH_OJ_ENVIRONMENT_TEMPLATE,
} FhOjKind;

typedef struct
{
  FhOjKind kind;
  char *source;                /* the file, for messages */
  char *dir;                   /* its directory (absolute): relative PATH
                                  defaults are anchored here */
  FhOjExtensions extensions;
  FhOjFormat *name;            /* job templates */
  char *description;
  GPtrArray *params;           /* FhOjParamDef* */
  GPtrArray *environments;     /* jobEnvironments, or the one environment */
  GPtrArray *steps;            /* FhOjStep* */
  FhDoc *doc;
} FhOjTemplate;

/* Reads @data (@len bytes; YAML, or JSON when @source ends in .json) as
 * a job template or an environment template, by its specificationVersion.
 * @source names it in messages; @dir (nullable: the current directory)
 * is its directory.  NULL when it is not valid: every problem is in
 * @problems (transfer full). */
FhOjTemplate *fh_oj_template_parse (const char *data, gsize len, const char *source,
                                    const char *dir, FhProblems *problems);
/* The same for the file @path. */
FhOjTemplate *fh_oj_template_load (const char *path, FhProblems *problems);
/* The same, with the parameters @also (FhOjParamDef*, borrowed; nullable)
 * in scope besides the template's own: those of the environment
 * templates it is submitted with, which share its namespace (§1.2.1). */
FhOjTemplate *fh_oj_template_parse_with (const char *data, gsize len, const char *source, const char *dir,
                                         GPtrArray *also, FhProblems *problems);
FhOjTemplate *fh_oj_template_load_with (const char *path, GPtrArray *also, FhProblems *problems);
void fh_oj_template_free (FhOjTemplate *self);

/* "FEATURE_BUNDLE_1, TASK_CHUNKING" (empty for none).  (transfer full) */
char *fh_oj_extensions_to_string (FhOjExtensions ext);

/* Steps in the order they run: each after the steps it depends on,
 * otherwise in template order.  (transfer container) */
GPtrArray *fh_oj_template_step_order (const FhOjTemplate *self);

/* The names a type has in templates: "STRING", "CHUNK[INT]". */
const char *fh_oj_type_name (FhOjType type);

void fh_oj_value_clear (FhOjValue *v);
void fh_oj_value_copy (FhOjValue *to, const FhOjValue *from);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhOjTemplate, fh_oj_template_free)

G_END_DECLS
