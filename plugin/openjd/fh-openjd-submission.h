/* fh-openjd-submission.h — what a submission of an OpenJD job names, read
 * into a job: a job template or a job bundle directory, parameter values
 * as openjd-cli takes them, environment templates, path mapping rules.
 *
 * A job bundle is a directory as Deadline Cloud's submitters write it:
 * template.yaml or template.json, optionally parameter_values.yaml|json
 * ({"parameterValues": [{"name", "value"}]}) and
 * asset_references.yaml|json.  Its values come first; -p values override
 * them.  Values named with a render manager's prefix ("deadline:priority")
 * are its business, not the job's: they are set aside, and listed.
 *
 * Parameter arguments (openjd-cli's -p): NAME=VALUE, file://FILE (a YAML
 * or JSON mapping of names to values), or a JSON object inline.  Values
 * that are not strings are taken as their text (5 → "5").
 */
#pragma once

#include <glib.h>

#include "fh-openjd-job.h"
#include "fh-openjd-template.h"
#include "fh-problems.h"

G_BEGIN_DECLS

typedef struct
{
  const char *path;                  /* a template or a bundle directory */
  const char *const *parameters;     /* -p arguments, in order (nullable) */
  const char *const *environments;   /* environment template files (nullable) */
  const char *path_mapping_rules;    /* JSON or file://FILE (nullable) */
  const char *const *steps;          /* run only these (nullable) */
  const char *cwd;                   /* nullable: the process's */
} FhOjSubmission;

/* The job @s describes, or NULL with every problem in @problems.
 * @ignored (nullable out, transfer full): the bundle's values set aside,
 * "deadline:priority".  (transfer full) */
FhOjJob *fh_oj_submission_open (const FhOjSubmission *s, FhProblems *problems, GPtrArray **ignored);

/* The template at @path, or in the bundle directory @path: its file.
 * NULL with the problem in @problems.  (transfer full) */
char *fh_oj_submission_template_path (const char *path, FhProblems *problems);

/* The values a job bundle directory @dir gives (its parameter_values
 * file; empty for a template or a bundle without one), name → text, a
 * render manager's ("deadline:...") left out.  Problems in @problems.
 * (transfer full) */
GHashTable *fh_oj_submission_bundle_values (const char *dir, FhProblems *problems);

G_END_DECLS
