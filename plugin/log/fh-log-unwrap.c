/* fh-log-unwrap.c — peel wrapper prefixes (see the header). */
#include "config.h"

#include "fh-log-unwrap.h"

#include <pcre2.h>

#include "fh-log-scanner.h"

/* Each anchored; tried in turn, again after a match (wrappers nest). */
static const char *const wrappers[] = {
  /* ISO-ish timestamps, with or without a zone: 2026-12-01 12:00:01.123+00:00.
   * One separator only: what follows may be indented (a traceback). */
  "\\d{4}-\\d\\d-\\d\\d[ T]\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)?\\s",
  /* [12:00:01], [12:00:01.123] ([2026/Dec/01|12:00:01] is V-Ray's own) */
  "\\[\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?\\]\\s?",
  /* Deadline 10: "0: STDOUT: ", "12: STDERR: " */
  "\\d+:\\s+(?:STDOUT|STDERR):\\s?",
  /* Deadline Cloud adaptors */
  "ADAPTOR_OUTPUT:\\s+(?:STDOUT|STDERR)?:?\\s?",
  "(?:STDOUT|STDERR):\\s",
  /* a log viewer's line numbers: "  123 | " */
  "\\s*\\d{1,7}\\s+\\|\\s",
};

struct _FhLogUnwrap
{
  pcre2_code *codes[G_N_ELEMENTS (wrappers)];
  pcre2_match_data *match;
};

FhLogUnwrap *
fh_log_unwrap_new (void)
{
  FhLogUnwrap *self = g_new0 (FhLogUnwrap, 1);
  int err;
  PCRE2_SIZE offset;

  for (guint i = 0; i < G_N_ELEMENTS (wrappers); i++)
    {
      self->codes[i] = pcre2_compile ((PCRE2_SPTR) wrappers[i], PCRE2_ZERO_TERMINATED,
                                      PCRE2_UTF | PCRE2_ANCHORED, &err, &offset, NULL);
      g_assert (self->codes[i] != NULL);
      if (fh_log_scanner_use_jit ())
        pcre2_jit_compile (self->codes[i], PCRE2_JIT_COMPLETE);
    }
  self->match = pcre2_match_data_create (1, NULL);
  return self;
}

void
fh_log_unwrap_free (FhLogUnwrap *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (wrappers); i++)
    pcre2_code_free (self->codes[i]);
  pcre2_match_data_free (self->match);
  g_free (self);
}

/* Whether a wrapper can start with @c (digits, '[', 'A', 'S', space): the
 * rest of the lines are not looked at further. */
static inline gboolean
may_wrap (char c)
{
  return g_ascii_isdigit (c) || c == '[' || c == 'A' || c == 'S' || c == ' ' || c == '\t';
}

gsize
fh_log_unwrap_skip (FhLogUnwrap *self, const char *line, gsize len)
{
  gsize skip = 0;
  gboolean peeled = TRUE;

  for (guint rounds = 0; peeled && rounds < 4 && skip < len && may_wrap (line[skip]); rounds++)
    {
      peeled = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (wrappers); i++)
        if (pcre2_match (self->codes[i], (PCRE2_SPTR) line + skip, len - skip, 0,
                         PCRE2_NO_UTF_CHECK, self->match, NULL) > 0)
          {
            PCRE2_SIZE end = pcre2_get_ovector_pointer (self->match)[1];
            if (end == 0)
              continue;
            skip += end;
            peeled = TRUE;
            break;
          }
    }
  return skip;
}
