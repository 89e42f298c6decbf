/* fh-log-rules.h — a job's log rules: its own patterns ("log": {"errors":
 * ...}) and, optionally, a log preset's (fh-log-preset.h), as one scanner
 * the job runner feeds line by line.
 *
 * The job's patterns see every line whole, exactly as without a preset: a
 * preset never changes what they match.  The preset's rules see the line
 * inside its wrapper prefixes (fh-log-unwrap.h) and add what the job's
 * patterns did not find; a job "ignore" pattern silences the preset too,
 * a preset's own ignore rules only the preset.  A preset error rule with
 * a continuation marks the lines after it that continue it.
 */
#pragma once

#include <glib.h>

#include "fh-log-preset.h"
#include "fh-log-scanner.h"

G_BEGIN_DECLS

typedef struct _FhLogRules FhLogRules;

/* (transfer full) */
FhLogRules *fh_log_rules_new (void);
void fh_log_rules_free (FhLogRules *self);

/* One of the job's own patterns (fh_log_scanner_add's rules and errors). */
gboolean fh_log_rules_add (FhLogRules *self, FhLogCategory category, const char *pattern,
                           GError **error);
/* @preset's rules (borrowed: presets live for the process), but those
 * named in @disabled (nullable); an unknown name there is an error. */
gboolean fh_log_rules_use_preset (FhLogRules *self, FhLogPreset *preset,
                                  const char *const *disabled, GError **error);
/* (nullable) */
FhLogPreset *fh_log_rules_get_preset (FhLogRules *self);

/* A new item begins: no error continues into it. */
void fh_log_rules_reset (FhLogRules *self);

/* Classifies one line (fh_log_scanner_scan, with hit->rule and
 * hit->continuation).  Offsets in @hit are into @line.  TRUE when it
 * matched anything. */
gboolean fh_log_rules_scan (FhLogRules *self, const char *line, gsize len, FhLogHit *hit);

/* fh_log_scanner_set_block, for both sets of rules. */
void fh_log_rules_set_block (FhLogRules *self, const char *block, gsize len, gsize max_line);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhLogRules, fh_log_rules_free)

G_END_DECLS
