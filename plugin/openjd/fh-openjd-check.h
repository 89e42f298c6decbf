/* fh-openjd-check.h — what the checkers of a template share inside
 * plugin/openjd/: where problems go, the path being checked, the
 * extensions and limits in force, and the small checks every field
 * needs (its type, its keys, a string's length and characters).
 */
#pragma once

#include <glib.h>

#include "fh-doc.h"
#include "fh-openjd-format.h"
#include "fh-openjd-template.h"
#include "fh-problems.h"

G_BEGIN_DECLS

/* The limits of 2023-09, raised by FEATURE_BUNDLE_1. */
typedef struct
{
  guint identifier;   /* 64 → 512 */
  guint job_name;     /* 128 → 512 */
  guint step_name;    /* 64 → 512 */
  guint env_name;     /* 64 → 512 */
  guint params;       /* 50 → 200 */
  guint filename;     /* 64 → 256 */
} FhOjLimits;

typedef struct
{
  FhProblems *problems;
  const char *source;
  FhOjExtensions ext;
  FhOjLimits limits;
  GStringChunk *paths;   /* every path string, freed together */
} FhOjCheck;

void fh_oj_check_init (FhOjCheck *c, FhProblems *problems, const char *source, FhOjExtensions ext);
void fh_oj_check_clear (FhOjCheck *c);
void fh_oj_limits_for (FhOjLimits *limits, FhOjExtensions ext);

/* A path string that lives as long as the check: "steps[1].script". */
const char *fh_oj_path (FhOjCheck *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* A problem at @path, where @node (nullable) is in the file. */
void fh_oj_bad (FhOjCheck *c, const char *path, const FhDocNode *node, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);

/* @node is a mapping with only the keys in @allowed (NULL-ended; NULL:
 * any key) and
 * every key in @required; each other or missing key is a problem.
 * FALSE when @node is not a mapping at all. */
gboolean fh_oj_check_map (FhOjCheck *c, const FhDocNode *node, const char *path,
                          const char *const *allowed, const char *const *required);
/* @node is a list of @min to @max (0: no limit) items. */
gboolean fh_oj_check_list (FhOjCheck *c, const FhDocNode *node, const char *path, guint min, guint max);

/* The string @node is, or NULL (a problem: "must be a string, not ..."). */
const char *fh_oj_want_string (FhOjCheck *c, const FhDocNode *node, const char *path);

typedef enum {
  FH_OJ_TEXT_NO_CC = 1 << 0,        /* no Unicode Cc characters */
  FH_OJ_TEXT_ALLOW_SPACE_CC = 1 << 1, /* but \n, \r and \t */
} FhOjTextFlags;

/* @text is @min to @max (0: any) characters long, with @flags. */
gboolean fh_oj_check_text (FhOjCheck *c, const char *path, const FhDocNode *node, const char *text,
                           guint min, guint max, FhOjTextFlags flags);
/* An <Identifier>: [A-Za-z_][A-Za-z0-9_]*, up to the identifier limit. */
gboolean fh_oj_check_identifier (FhOjCheck *c, const char *path, const FhDocNode *node, const char *text);
/* Whether @text holds a Cc character (with @allow_space: but \n \r \t). */
gboolean fh_oj_has_cc (const char *text, gboolean allow_space);

/* A format string at @node (a string), parsed, or NULL (a problem). */
FhOjFormat *fh_oj_want_format (FhOjCheck *c, const FhDocNode *node, const char *path);

/* An integer: a YAML integer, a float with nothing after the point, or
 * a string of a base-10 integer (<intstring>); within 64 bits. */
gboolean fh_oj_want_int (FhOjCheck *c, const FhDocNode *node, const char *path, gint64 *out);
/* A finite number: a YAML number or a string of one (<floatstring>).
 * @text (nullable out, transfer full): as written. */
gboolean fh_oj_want_float (FhOjCheck *c, const FhDocNode *node, const char *path, double *out,
                           char **text);
/* A boolean: true or false (yes/no and on/off too: PyYAML reads them so). */
gboolean fh_oj_want_bool (FhOjCheck *c, const FhDocNode *node, const char *path, gboolean *out);

/* A string that is an integer, as OpenJD's <intstring> (and a value
 * given for an INT parameter): optional spaces and sign, base-10 digits. */
gboolean fh_oj_parse_int (const char *text, gint64 *out, gboolean *overflow);
/* A string that is a finite number (<floatstring>). */
gboolean fh_oj_parse_float (const char *text, double *out);

/* An amount (@amount) or attribute capability's name: its pattern, its
 * length, a reserved scope only for the specification's own names.
 * FALSE with @message (out, transfer full) when it is not one. */
gboolean fh_oj_check_capability_name (const char *name, gboolean amount, char **message);
/* An attribute's value (for the capability @name, nullable: the
 * standard ones take only their own values). */
gboolean fh_oj_check_attribute_value (const char *name, const char *value, char **message);

/* Parameter definitions (fh-openjd-params.c): @node, a template's
 * parameterDefinitions, into @out (FhOjParamDef*). */
void fh_oj_check_param_defs (FhOjCheck *c, const FhDocNode *node, const char *path, GPtrArray *out);

G_END_DECLS
