/* fh-log-scanner.h — classify job log lines with PCRE2 (JIT), one line at
 * a time as they stream.
 *
 * Categories (job field "log"): errors, warnings, highlights, bad_result,
 * progress, outputs, frame_done, and ignore, which exempts a line from
 * all the others.
 * Each category is a list of patterns; a line counts once per category.
 * OpenJD stdout directives are understood without configuration:
 *   openjd_progress: 50     openjd_status: <text>     openjd_fail: <text>
 *
 * Patterns are compiled once (UTF mode, JIT when available); lines must be
 * valid UTF-8 (FhLineSplitter guarantees it), so matching skips the check.
 * \d, \w and \s match ASCII only unless a pattern starts with (*UCP).
 * FARMHAND_PCRE2_JIT=0 in the environment disables the JIT.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FH_LOG_IGNORE,
  FH_LOG_ERRORS,
  FH_LOG_WARNINGS,
  FH_LOG_HIGHLIGHTS,
  FH_LOG_BAD_RESULT,
  FH_LOG_PROGRESS,
  FH_LOG_OUTPUTS,
  FH_LOG_FRAME_DONE,   /* a frame finished: its number in group "frame" (or the first) */
  FH_LOG_N_CATEGORIES
} FhLogCategory;

/* What one line is.  Offsets point into the scanned line. */
typedef struct
{
  guint categories;     /* bit (1 << FhLogCategory) per matching category */
  guint pattern[FH_LOG_N_CATEGORIES];  /* per matching category: the index
                                          of its first matching pattern */
  double fraction;      /* progress: 0..1, or -1 */
  gint64 frame;         /* progress by frame ("frame" group) */
  gboolean has_frame;
  gsize path_start, path_len;       /* outputs: the path */
  gint64 done_frame;                /* frame_done: the frame */
  gboolean openjd_progress;         /* the progress is an openjd_progress directive */
  gboolean openjd_fail;             /* text_start/len: the reason */
  gboolean openjd_status;           /* text_start/len: the status */
  gsize text_start, text_len;
  /* Set by FhLogRules (fh-log-rules.h), which adds a log preset's rules:
   * per category, the preset rule that matched (NULL: the job's own
   * pattern, or none); and whether the line continues an error before it
   * (a traceback's lines). */
  const struct _FhLogRule *rule[FH_LOG_N_CATEGORIES];
  gboolean continuation;
  gsize body_start;     /* where the line's own text starts, after the
                           prefixes farms wrap it in (0 without a preset) */
} FhLogHit;

#define FH_LOG_HIT(hit, cat) (((hit)->categories >> (cat)) & 1u)

typedef struct _FhLogScanner FhLogScanner;

/* (transfer full) */
FhLogScanner *fh_log_scanner_new (void);
void fh_log_scanner_free (FhLogScanner *self);

const char *fh_log_category_name (FhLogCategory category);

/* Whether patterns are JIT-compiled: unless FARMHAND_PCRE2_JIT=0. */
gboolean fh_log_scanner_use_jit (void);

/* Compiles @pattern into @category.  Errors (FH_JOB_ERROR_INVALID) carry
 * PCRE2's message and offset: "missing closing parenthesis at offset 4".
 * Progress patterns need a group (first, or named "pct" or "frame"); output
 * patterns a group (first, or named "path"); frame_done patterns a group
 * (first, or named "frame"). */
gboolean fh_log_scanner_add (FhLogScanner *self, FhLogCategory category,
                             const char *pattern, GError **error);

/* A log preset's pattern (fh-log-rules.h): it sees the line without the
 * prefixes farms wrap it in (fh-log-unwrap.h; hit->body_start says where
 * that starts), and only what the job's own patterns — those added with
 * fh_log_scanner_add(), which always come first — did not match: per
 * category, a match of the job's wins; the job's ignore silences both,
 * an unwrapped ignore only the unwrapped patterns.  hit->pattern[] counts
 * the job's patterns first, then these (fh_log_scanner_get_n_own()). */
gboolean fh_log_scanner_add_unwrapped (FhLogScanner *self, FhLogCategory category,
                                       const char *pattern, GError **error);
/* How many of @category's patterns are the job's own. */
guint fh_log_scanner_get_n_own (FhLogScanner *self, FhLogCategory category);

/* TRUE when no pattern was added (only OpenJD directives are looked for). */
gboolean fh_log_scanner_is_empty (FhLogScanner *self);

/* Classifies one line.  Returns TRUE when the line matched anything. */
gboolean fh_log_scanner_scan (FhLogScanner *self, const char *line, gsize len,
                              FhLogHit *hit);

/* The lines scanned next are delivered from @block (@len bytes of a job's
 * output as read, lines ended by LF, CR or CRLF, cut at @max_line), until
 * the next call; NULL: none.  Then the block is searched once for the
 * literals of every pattern (a literal pattern's, a regex's guard:
 * fh-literal-index.h), and a pattern is tried only on the lines that hold
 * one of its literals; since only the latest progress counts, progress
 * patterns are matched only from the block's last line with a progress
 * fraction on.  A line not inside the block is
 * scanned as usual.  What a line is classified as does not change, but
 * progress: a line of the block before that line reports none. */
void fh_log_scanner_set_block (FhLogScanner *self, const char *block, gsize len,
                               gsize max_line);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhLogScanner, fh_log_scanner_free)

G_END_DECLS
