/* fh-doc.h — a YAML or JSON document as a tree whose every node knows its
 * line and column: what OpenJD's templates, parameter files and job
 * bundles are read into before they are checked.
 *
 * YAML is read by libyaml (the parser PyYAML's C loader uses) and its
 * plain scalars typed as PyYAML's SafeLoader types them (YAML 1.1):
 * `yes`, `on`, `off` are booleans, `010` is octal, `1e5` is a string
 * (a float needs a dot), `~` and an empty value are null — OpenJD's
 * templates and its conformance fixtures were written against PyYAML.
 * Quoted scalars are strings.  Timestamps stay strings (YAML 1.2 has no
 * timestamp type, and OpenJD no field that takes one).
 *
 * JSON (a .json file) is checked strictly (json-glib) and typed as JSON.
 *
 * Refused, with the line and column: syntax errors, more than one
 * document, a key twice in one mapping, tags other than YAML's own
 * (!!str, !!int, ...), keys that are not scalars, nesting deeper than
 * FH_DOC_MAX_DEPTH, more than FH_DOC_MAX_NODES nodes (aliases count
 * each time they are used: a "billion laughs" document is refused, not
 * expanded).
 */
#pragma once

#include <glib.h>

#include "fh-problems.h"

G_BEGIN_DECLS

#define FH_DOC_MAX_DEPTH 200
#define FH_DOC_MAX_NODES 2000000
#define FH_DOC_MAX_BYTES (64 * 1024 * 1024)

typedef enum {
  FH_DOC_MAP,
  FH_DOC_SEQ,
  FH_DOC_STRING,
  FH_DOC_INT,
  FH_DOC_FLOAT,
  FH_DOC_BOOL,
  FH_DOC_NULL,
} FhDocKind;

typedef enum {
  FH_DOC_YAML,
  FH_DOC_JSON,
} FhDocFormat;

typedef struct _FhDocNode FhDocNode;

/* Read-only once parsed; every pointer is the document's. */
struct _FhDocNode
{
  FhDocKind kind;
  guint line;          /* from 1 */
  guint column;        /* from 1 */
  const char *text;    /* scalars: the value as written (escapes resolved);
                          NULL for maps and sequences */
  gsize text_len;      /* bytes (a scalar may hold NUL) */
  gboolean quoted;     /* a quoted or block scalar, or a JSON string */
  gint64 int_value;    /* FH_DOC_INT; see big */
  gboolean big;        /* FH_DOC_INT beyond 64 bits (int_value is 0) */
  double float_value;  /* FH_DOC_FLOAT */
  gboolean bool_value; /* FH_DOC_BOOL */
  guint n_children;    /* maps: pairs; sequences: items */
  FhDocNode **keys;    /* maps: the key of each pair (a scalar) */
  FhDocNode **values;  /* maps: each pair's value; sequences: the items */
};

typedef struct _FhDoc FhDoc;

/* @data (@len bytes, need not be NUL-terminated) as @format.  On a
 * syntax error returns NULL and adds the problem (with its line and
 * column) to @problems, whose code becomes FH_PROBLEMS_SYNTAX.
 * (transfer full) */
FhDoc *fh_doc_parse (const char *data, gsize len, FhDocFormat format, FhProblems *problems);
/* .json: JSON; anything else: YAML. */
FhDocFormat fh_doc_format_for (const char *filename);
void fh_doc_free (FhDoc *self);

/* The root node (NULL for an empty document).  (transfer none) */
const FhDocNode *fh_doc_root (FhDoc *self);

/* The value of @map's pair whose key is the string @key, or NULL.
 * (transfer none) */
const FhDocNode *fh_doc_get (const FhDocNode *map, const char *key);
/* A scalar's text as a string, or NULL for a map or sequence. */
const char *fh_doc_scalar (const FhDocNode *node);
gboolean fh_doc_is_scalar (const FhDocNode *node);
/* "a mapping", "a string", "an integer", ...: for messages. */
const char *fh_doc_kind_name (FhDocKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhDoc, fh_doc_free)

G_END_DECLS
