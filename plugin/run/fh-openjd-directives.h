/* fh-openjd-directives.h — what an OpenJD action says on its stdout
 * (How Jobs Are Run, "Stdout/Stderr Messages"): a whole line
 * `openjd_KIND: PAYLOAD`, exactly so (lower case, one space).
 *
 *   openjd_progress: 42.5         0 to 100
 *   openjd_status: loading        a status for people
 *   openjd_fail: out of licences  why the action failed (its exit code
 *                                 still decides whether it did)
 *   openjd_env: NAME=VALUE        (an environment's onEnter) set NAME for
 *                                 every later action while it is entered;
 *                                 "NAME=VALUE" JSON-quoted for values with
 *                                 newlines
 *   openjd_unset_env: NAME        unset it likewise (unset wins)
 *   openjd_redacted_env: NAME=V   set it, and hide V in every line after
 *                                 (REDACTED_ENV_VARS)
 *
 * A line that looks like an env directive but is not one (`openjd_ENV:`,
 * `openjd_env:X=1`, a bad name) is malformed: the action is cancelled and
 * fails, rather than run on with an environment it did not ask for.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FH_OJ_LINE_OUTPUT,          /* not a directive */
  FH_OJ_LINE_PROGRESS,
  FH_OJ_LINE_STATUS,
  FH_OJ_LINE_FAIL,
  FH_OJ_LINE_ENV,
  FH_OJ_LINE_UNSET_ENV,
  FH_OJ_LINE_REDACTED_ENV,
  FH_OJ_LINE_LOGLEVEL,
  FH_OJ_LINE_MALFORMED,       /* text: what is wrong */
} FhOjLineKind;

typedef struct
{
  FhOjLineKind kind;
  double progress;            /* PROGRESS: 0 to 100 */
  char *text;                 /* STATUS, FAIL, LOGLEVEL, MALFORMED */
  char *name;                 /* ENV, UNSET_ENV, REDACTED_ENV */
  char *value;                /* ENV, REDACTED_ENV */
} FhOjDirective;

/* What @line (@len bytes) is; fills @out (cleared first). */
FhOjLineKind fh_oj_directive_parse (const char *line, gsize len, FhOjDirective *out);
void fh_oj_directive_clear (FhOjDirective *d);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FhOjDirective, fh_oj_directive_clear)

G_END_DECLS
