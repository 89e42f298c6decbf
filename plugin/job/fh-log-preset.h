/* fh-log-preset.h — what a log preset is: an application's log rules as
 * data (presets/log/NAME.json; a studio adds its own directories with
 * FARMHAND_LOG_PRESETS=dir[:dir]), used by a job with
 * "log": {"preset": NAME}.
 *
 *   {"preset": "arnold", "version": 1, "description": "...",
 *    "rules": [{"name": "license-rlm", "errors": "PATTERN", "class": "license",
 *               "reason": "the Arnold licence server cannot be reached"},
 *              {"name": "progress", "progress": "(?<pct>\\d+)% done"}, ...]}
 *
 * Each rule has a name (unique in the preset, so a job can switch it off)
 * and exactly one category key (errors, warnings, highlights, ignore,
 * progress, outputs, bad_result, frame_done) whose value is a PCRE2
 * pattern.  errors and bad_result rules may give a failure "class"
 * (FhFailureClass names) and a one-line "reason"; an errors rule may give
 * a "continuation" pattern: the lines after its match that match it are
 * part of that error (a traceback, an error's indented detail).  Rules
 * match a line after the prefixes farms and adaptors wrap lines in
 * (fh-log-unwrap.h).  "include": ["arnold", ...] appends other presets'
 * rules after the preset's own, named "arnold/RULE" (a DCC whose renderer
 * plug-ins print their own lines).
 */
#pragma once

#include <glib.h>

#include "fh-failure.h"
#include "fh-log-scanner.h"

G_BEGIN_DECLS

typedef struct _FhLogRule
{
  char *name;
  FhLogCategory category;
  char *pattern;
  FhFailureClass failure;   /* FH_FAILURE_NONE when the rule gives none */
  char *reason;             /* nullable */
  char *continuation;       /* nullable: errors only */
} FhLogRule;

typedef struct _FhLogPreset FhLogPreset;

/* A preset from @data, the text of @source (named in errors, with the JSON
 * path of the bad field, the rule's name and, for a bad pattern, PCRE2's
 * offset).  Patterns are compiled to check them.  (transfer full) */
FhLogPreset *fh_log_preset_new_from_data (const char *data, const char *source, GError **error);
void fh_log_preset_free (FhLogPreset *self);

/* The preset called @name, from the preset directories (first found
 * wins): $FARMHAND_LOG_PRESETS, then farmhand's own (the build tree's, for
 * code loaded from one, else FH_DATADIR/log-presets).  Loaded once per
 * process.  (transfer none) */
FhLogPreset *fh_log_preset_find (const char *name, GError **error);
/* The names of every preset found, sorted.  (transfer full) */
char **fh_log_preset_list (void);

const char *fh_log_preset_get_name (FhLogPreset *self);
guint fh_log_preset_get_version (FhLogPreset *self);
const char *fh_log_preset_get_source (FhLogPreset *self);
/* (transfer none) */
GPtrArray *fh_log_preset_get_rules (FhLogPreset *self);   /* FhLogRule* */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhLogPreset, fh_log_preset_free)

G_END_DECLS
