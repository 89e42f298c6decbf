/* fh-log-unwrap.c — peel wrapper prefixes (see the header). */
#include "config.h"

#include "fh-log-unwrap.h"

#include <pcre2.h>
#include <string.h>

#include "fh-log-scanner.h"

/* One anchored alternation, tried again after a match (wrappers nest). */
static const char wrappers[] =
  /* ISO-ish timestamps, with or without a zone: 2026-12-01 12:00:01.123+00:00.
   * One separator only: what follows may be indented (a traceback). */
  "\\d{4}-\\d\\d-\\d\\d[ T]\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)?\\s"
  /* ctime(3), as the OpenJD CLI stamps a session's lines: "Fri Jul  5 09:33:02 2024\t" */
  "|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \\d]\\d "
  "\\d\\d:\\d\\d:\\d\\d \\d{4}\\s"
  /* [12:00:01], [12:00:01.123] ([2026/Dec/01|12:00:01] is V-Ray's own) */
  "|\\[\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?\\]\\s?"
  /* Deadline 10: "0: STDOUT: ", "12: STDERR: " (an empty line's has no space) */
  "|\\d+:\\s+(?:STDOUT|STDERR):(?:\\s|$)"
  /* Deadline Cloud adaptors */
  "|ADAPTOR_OUTPUT:\\s+(?:STDOUT|STDERR)?:?(?:\\s|$)"
  "|(?:STDOUT|STDERR):(?:\\s|$)"
  /* a log viewer's line numbers: "  123 | " */
  "|\\s*\\d{1,7}\\s+\\|(?:\\s|$)"
  /* terminal colours: "\\e[31m" */
  "|(?:\\x1b\\[[\\d;]*m)+";

struct _FhLogUnwrap
{
  pcre2_code *code;
  pcre2_match_data *match;
};

FhLogUnwrap *
fh_log_unwrap_new (void)
{
  FhLogUnwrap *self = g_new0 (FhLogUnwrap, 1);
  int err;
  PCRE2_SIZE offset;

  self->code = pcre2_compile ((PCRE2_SPTR) wrappers, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_ANCHORED, &err,
                              &offset, NULL);
  g_assert (self->code != NULL);
  if (fh_log_scanner_use_jit ())
    pcre2_jit_compile (self->code, PCRE2_JIT_COMPLETE);
  self->match = pcre2_match_data_create (1, NULL);
  return self;
}

void
fh_log_unwrap_free (FhLogUnwrap *self)
{
  if (self == NULL)
    return;
  pcre2_code_free (self->code);
  pcre2_match_data_free (self->match);
  g_free (self);
}

/* Whether a wrapper can start at @p (@n bytes): a digit, '[', space, tab,
 * an escape, or the three letters of a day or a stream.  Most lines
 * ("Fra:12 ...") are not looked at further: this runs on every line. */
static inline gboolean
may_wrap (const char *p, gsize n)
{
  static const char words[] = "MonTueWedThuFriSatSunSTDADA";

  if (g_ascii_isdigit (p[0]) || p[0] == '[' || p[0] == ' ' || p[0] == '\t' || p[0] == '\x1b')
    return TRUE;
  if (n < 3 || !g_ascii_isupper (p[0]))
    return FALSE;
  for (guint i = 0; i + 3 <= sizeof words - 1; i += 3)
    if (memcmp (p, words + i, 3) == 0)
      return TRUE;
  return FALSE;
}

gsize
fh_log_unwrap_skip (FhLogUnwrap *self, const char *line, gsize len)
{
  gsize skip = 0;

  for (guint rounds = 0; rounds < 5 && skip < len && may_wrap (line + skip, len - skip); rounds++)
    {
      PCRE2_SIZE end;
      if (pcre2_match (self->code, (PCRE2_SPTR) line + skip, len - skip, 0, PCRE2_NO_UTF_CHECK, self->match,
                       NULL) <= 0 ||
          (end = pcre2_get_ovector_pointer (self->match)[1]) == 0)
        break;
      skip += end;
    }
  return skip;
}
