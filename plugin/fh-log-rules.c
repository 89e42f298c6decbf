/* fh-log-rules.c — a job's patterns and a preset's rules (see the header). */
#include "config.h"

#include "fh-log-rules.h"

#include "fh-error.h"
#include "fh-job-error.h"
#include "fh-log-unwrap.h"

struct _FhLogRules
{
  FhLogScanner *job;           /* the job's own patterns */
  FhLogPreset *preset;         /* nullable */
  FhLogScanner *rules;         /* the preset's rules, less the disabled */
  GPtrArray *by_pattern[FH_LOG_N_CATEGORIES];  /* pattern index -> FhLogRule* */
  FhLogUnwrap *unwrap;
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
  g_clear_pointer (&self->rules, fh_log_scanner_free);
  g_clear_pointer (&self->unwrap, fh_log_unwrap_free);
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
  self->rules = fh_log_scanner_new ();
  self->unwrap = fh_log_unwrap_new ();
  self->continuations = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) fh_log_scanner_free);
  for (int c = 0; c < FH_LOG_N_CATEGORIES; c++)
    self->by_pattern[c] = g_ptr_array_new ();
  for (guint r = 0; r < rules->len; r++)
    {
      FhLogRule *rule = g_ptr_array_index (rules, r);
      if (disabled != NULL && g_strv_contains (disabled, rule->name))
        continue;
      /* The preset was checked when it was loaded. */
      if (!fh_log_scanner_add (self->rules, rule->category, rule->pattern, error))
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

gboolean
fh_log_rules_is_empty (FhLogRules *self)
{
  return fh_log_scanner_is_empty (self->job) && self->preset == NULL;
}

void
fh_log_rules_reset (FhLogRules *self)
{
  self->continuing = NULL;
  self->continuation = NULL;
}

/* Adds what the preset found in the line (at @skip bytes in) to what the
 * job's patterns found. */
static void
merge (FhLogRules *self, FhLogHit *hit, const FhLogHit *found, gsize skip)
{
  for (int c = 0; c < FH_LOG_N_CATEGORIES; c++)
    {
      if (c == FH_LOG_IGNORE || !FH_LOG_HIT (found, c) || FH_LOG_HIT (hit, c))
        continue;
      hit->categories |= 1u << c;
      hit->pattern[c] = found->pattern[c];
      if (!(c == FH_LOG_PROGRESS && found->openjd_progress))
        hit->rule[c] = g_ptr_array_index (self->by_pattern[c], found->pattern[c]);
    }
  if (FH_LOG_HIT (found, FH_LOG_PROGRESS) && hit->fraction < 0 && !hit->has_frame)
    {
      hit->fraction = found->fraction;
      hit->frame = found->frame;
      hit->has_frame = found->has_frame;
      hit->openjd_progress = found->openjd_progress;
    }
  if (hit->rule[FH_LOG_OUTPUTS] != NULL)
    {
      hit->path_start = found->path_start + skip;
      hit->path_len = found->path_len;
    }
  if (hit->rule[FH_LOG_FRAME_DONE] != NULL)
    hit->done_frame = found->done_frame;
  /* A directive inside a wrapper ("ADAPTOR_OUTPUT: STDOUT: openjd_...") */
  if (!hit->openjd_fail && !hit->openjd_status && (found->openjd_fail || found->openjd_status))
    {
      hit->openjd_fail = found->openjd_fail;
      hit->openjd_status = found->openjd_status;
      hit->text_start = found->text_start + skip;
      hit->text_len = found->text_len;
    }
}

gboolean
fh_log_rules_scan (FhLogRules *self, const char *line, gsize len, FhLogHit *hit)
{
  FhLogHit found;
  gsize skip;

  fh_log_scanner_scan (self->job, line, len, hit);
  if (self->preset == NULL)
    return hit->categories != 0 || hit->openjd_fail || hit->openjd_status;
  if (FH_LOG_HIT (hit, FH_LOG_IGNORE))
    {
      fh_log_rules_reset (self);
      return TRUE;
    }
  skip = fh_log_unwrap_skip (self->unwrap, line, len);
  hit->body_start = skip;
  if (self->continuation != NULL)
    {
      if (!FH_LOG_HIT (hit, FH_LOG_ERRORS) &&
          fh_log_scanner_scan (self->continuation, line + skip, len - skip, &found))
        hit->continuation = TRUE;
      else
        fh_log_rules_reset (self);
    }
  if (fh_log_scanner_scan (self->rules, line + skip, len - skip, &found) &&
      !FH_LOG_HIT (&found, FH_LOG_IGNORE))
    {
      /* A line that continues an error is part of it, not an error of its
       * own ("KeyError: 'x'" after a traceback); it may still be anything
       * else. */
      if (hit->continuation)
        found.categories &= ~(1u << FH_LOG_ERRORS);
      merge (self, hit, &found, skip);
      if (!hit->continuation && hit->rule[FH_LOG_ERRORS] != NULL &&
          (self->continuation = g_hash_table_lookup (self->continuations, hit->rule[FH_LOG_ERRORS])) != NULL)
        self->continuing = hit->rule[FH_LOG_ERRORS];
    }
  return hit->categories != 0 || hit->openjd_fail || hit->openjd_status || hit->continuation;
}

void
fh_log_rules_set_block (FhLogRules *self, const char *block, gsize len, gsize max_line)
{
  fh_log_scanner_set_block (self->job, block, len, max_line);
  if (self->rules != NULL)
    fh_log_scanner_set_block (self->rules, block, len, max_line);
}
