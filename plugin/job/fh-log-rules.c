/* fh-log-rules.c — a job's patterns and a preset's rules (see the header). */
#include "config.h"

#include "fh-log-rules.h"

#include "fh-error.h"
#include "fh-job-error.h"

struct _FhLogRules
{
  /* The job's own patterns, then the preset's rules (less the disabled)
   * as unwrapped patterns: one scanner, so a line is scanned once. */
  FhLogScanner *job;
  FhLogPreset *preset;         /* nullable */
  GPtrArray *by_pattern[FH_LOG_N_CATEGORIES];  /* preset pattern -> FhLogRule* */
  /* The preset error rule whose continuation the next lines may be, with
   * its continuation pattern compiled alone. */
  const FhLogRule *continuing;
  FhLogScanner *continuation;
  GHashTable *continuations;   /* FhLogRule* -> FhLogScanner* */
};

FhLogRules *
fh_log_rules_new (void)
{
  FhLogRules *self = g_new0 (FhLogRules, 1);

  self->job = fh_log_scanner_new ();
  return self;
}

void
fh_log_rules_free (FhLogRules *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->job, fh_log_scanner_free);
  g_clear_pointer (&self->continuations, g_hash_table_unref);
  for (int c = 0; c < FH_LOG_N_CATEGORIES; c++)
    g_clear_pointer (&self->by_pattern[c], g_ptr_array_unref);
  g_free (self);
}

gboolean
fh_log_rules_add (FhLogRules *self, FhLogCategory category, const char *pattern, GError **error)
{
  return fh_log_scanner_add (self->job, category, pattern, error);
}

gboolean
fh_log_rules_use_preset (FhLogRules *self, FhLogPreset *preset, const char *const *disabled,
                         GError **error)
{
  GPtrArray *rules = fh_log_preset_get_rules (preset);

  for (guint i = 0; disabled != NULL && disabled[i] != NULL; i++)
    {
      gboolean known = FALSE;
      for (guint r = 0; r < rules->len && !known; r++)
        known = g_str_equal (((FhLogRule *) g_ptr_array_index (rules, r))->name, disabled[i]);
      if (!known)
        return fh_throw (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                         "preset %s has no rule '%s' to disable", fh_log_preset_get_name (preset),
                         disabled[i]);
    }
  self->preset = preset;
  self->continuations = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) fh_log_scanner_free);
  for (int c = 0; c < FH_LOG_N_CATEGORIES; c++)
    self->by_pattern[c] = g_ptr_array_new ();
  for (guint r = 0; r < rules->len; r++)
    {
      FhLogRule *rule = g_ptr_array_index (rules, r);
      if (disabled != NULL && g_strv_contains (disabled, rule->name))
        continue;
      /* The preset was checked when it was loaded. */
      if (!fh_log_scanner_add_unwrapped (self->job, rule->category, rule->pattern, error))
        return FALSE;
      g_ptr_array_add (self->by_pattern[rule->category], rule);
      if (rule->continuation != NULL)
        {
          FhLogScanner *cont = fh_log_scanner_new ();
          if (!fh_log_scanner_add (cont, FH_LOG_ERRORS, rule->continuation, error))
            {
              fh_log_scanner_free (cont);
              return FALSE;
            }
          g_hash_table_insert (self->continuations, rule, cont);
        }
    }
  return TRUE;
}

FhLogPreset *
fh_log_rules_get_preset (FhLogRules *self)
{
  return self->preset;
}

void
fh_log_rules_reset (FhLogRules *self)
{
  self->continuing = NULL;
  self->continuation = NULL;
}

/* Which preset rule each category's match is (NULL: the job's own). */
static void
name_rules (FhLogRules *self, FhLogHit *hit)
{
  if (hit->categories == 0)
    return;
  for (int c = 0; c < FH_LOG_N_CATEGORIES; c++)
    {
      guint own = fh_log_scanner_get_n_own (self->job, c);
      if (FH_LOG_HIT (hit, c) && hit->pattern[c] >= own && !(c == FH_LOG_PROGRESS && hit->openjd_progress))
        hit->rule[c] = g_ptr_array_index (self->by_pattern[c], hit->pattern[c] - own);
    }
}

/* Whether the line continues the error before it: then it is part of
 * that error, not an error of its own ("KeyError: 'x'" after a traceback);
 * it may still be anything else. */
static void
continue_error (FhLogRules *self, const char *line, gsize len, FhLogHit *hit)
{
  FhLogHit found;
  gsize body = hit->body_start;
  gboolean own_error = FH_LOG_HIT (hit, FH_LOG_ERRORS) && hit->rule[FH_LOG_ERRORS] == NULL;

  if (own_error || !fh_log_scanner_scan (self->continuation, line + body, len - body, &found))
    {
      fh_log_rules_reset (self);
      return;
    }
  hit->continuation = TRUE;
  hit->categories &= ~(1u << FH_LOG_ERRORS);
  hit->rule[FH_LOG_ERRORS] = NULL;
}

gboolean
fh_log_rules_scan (FhLogRules *self, const char *line, gsize len, FhLogHit *hit)
{
  gboolean any = fh_log_scanner_scan (self->job, line, len, hit);

  if (self->preset == NULL)
    return any;
  name_rules (self, hit);
  if (FH_LOG_HIT (hit, FH_LOG_IGNORE))
    {
      fh_log_rules_reset (self);
      return TRUE;
    }
  if (self->continuation != NULL)
    continue_error (self, line, len, hit);
  if (!hit->continuation && hit->rule[FH_LOG_ERRORS] != NULL &&
      (self->continuation = g_hash_table_lookup (self->continuations, hit->rule[FH_LOG_ERRORS])) != NULL)
    self->continuing = hit->rule[FH_LOG_ERRORS];
  /* "WARNING | render aborted": what the line means beats the level it
   * is said at; a preset's warning rule does not count it twice. */
  if (FH_LOG_HIT (hit, FH_LOG_ERRORS) && FH_LOG_HIT (hit, FH_LOG_WARNINGS) && hit->rule[FH_LOG_WARNINGS] != NULL)
    {
      hit->categories &= ~(1u << FH_LOG_WARNINGS);
      hit->rule[FH_LOG_WARNINGS] = NULL;
    }
  return hit->categories != 0 || hit->openjd_fail || hit->openjd_status || hit->continuation;
}

void
fh_log_rules_set_block (FhLogRules *self, const char *block, gsize len, gsize max_line)
{
  fh_log_scanner_set_block (self->job, block, len, max_line);
}
