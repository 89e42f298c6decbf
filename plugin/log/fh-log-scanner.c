/* fh-log-scanner.c — PCRE2 log line classification.
 *
 * One JIT-compiled code per pattern, tried in turn per line.  Measured on a
 * realistic render log (benchmarks/RESULTS.md): separate JIT patterns beat
 * one combined alternation, whose JIT cannot use each branch's start-of-
 * match optimisations; and trying patterns per line keeps ignore/category
 * semantics exact.  A category stops at its first matching pattern.
 */
#include "config.h"

#include "fh-log-scanner.h"

#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "fh-error.h"
#include "fh-log-error.h"
#include "fh-literal-index.h"
#include "fh-literal-pattern.h"
#include "fh-log-unwrap.h"
#include "fh-regex-guard.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (pcre2_code, pcre2_code_free)

typedef struct
{
  pcre2_code *code;
  gboolean jit;
  int group;         /* capture group of the value (progress, outputs) */
  int frame_group;   /* progress: capture group of a frame number, or -1 */
  int total_group;   /* progress: "total" when the value is "done" of it */
  /* Prefilter, from PCRE2's own analysis of the pattern: a line shorter
   * than min_len, or, for a pattern anchored at the line start, a line
   * whose first byte cannot start a match, is rejected without calling
   * the matcher.  Most patterns in real log rules are anchored, and the
   * call itself dominated the cost of a non-matching line. */
  guint32 min_len;
  gboolean anchored;
  int first_byte;        /* anchored: the first byte, compared caselessly
                            (PCRE2 may not say when it is caseless); -1 */
  char first_lower, first_upper;
  const guint8 *first_bitmap;  /* anchored: bytes that may start a match */
  /* A pattern that is only literal text matches without PCRE2 (and, in a
   * block, is searched once for all its lines); NULL otherwise. */
  FhLiteralPattern *literal;
  /* Otherwise, literals every match contains (fh-regex-guard.h): a line
   * without one is not given to PCRE2.  NULL: always run. */
  FhLiteralPattern *guard;
  gboolean guard_caseless;   /* the guard looks at the line in lower case */
  guint id;                  /* in the scanner's literal index: its owner */
  gboolean indexed;          /* its literals or guard are in the index */
  gboolean unwrapped;        /* a log preset's: sees the line without its wrappers */
} Pattern;

/* A line being scanned. */
typedef struct
{
  const char *text;
  gsize len;
  gsize body;                /* where it starts without its wrappers */
  gboolean indexed;          /* in the block: patterns are tried when stamped */
  gboolean unwrapped_off;    /* unwrapped patterns are silenced for it */
} Line;

struct _FhLogScanner
{
  GArray *patterns[FH_LOG_N_CATEGORIES];  /* Pattern */
  pcre2_match_data *match;
  guint32 max_groups;
  /* The block the lines come from now (fh_log_scanner_set_block), and its
   * last line with a progress fraction: in the block, progress is
   * evaluated from that line on. */
  const char *block;
  const char *block_end;
  const char *progress_line;
  /* Caseless guards look at a line in lower case, made when first needed
   * (in a block the literal index matches them caselessly). */
  char *line_lower;
  gsize line_lower_size;
  const char *lower_line;    /* the line line_lower holds */
  gsize lower_line_len;
  /* Every literal and guard of a pattern but progress ones: in a block,
   * a pattern is tried only on lines where one of them occurs (its id
   * stamped with the line's generation). */
  FhLiteralIndex *index;
  guint n_ids;
  guint n_unindexed;         /* patterns (not progress) outside the index */
  guint8 *id_unwrapped;      /* per index owner: the pattern is unwrapped */
  /* Unwrapped patterns, after the others in each category. */
  guint n_own[FH_LOG_N_CATEGORIES];
  guint n_unwrapped;
  FhLogUnwrap *unwrap;
  gboolean index_active;
  const GArray *hits;
  guint next_hit;
  guint *stamps;
  guint generation;
};

static const char *const category_names[] = {
  [FH_LOG_IGNORE] = "ignore",
  [FH_LOG_ERRORS] = "errors",
  [FH_LOG_WARNINGS] = "warnings",
  [FH_LOG_HIGHLIGHTS] = "highlights",
  [FH_LOG_BAD_RESULT] = "bad_result",
  [FH_LOG_PROGRESS] = "progress",
  [FH_LOG_OUTPUTS] = "outputs",
  [FH_LOG_FRAME_DONE] = "frame_done",
};

/* JIT is an optimisation: a platform without it still matches.
 * FARMHAND_PCRE2_JIT=0 turns it off (valgrind cannot see through
 * JIT-generated code; some security policies forbid it). */
gboolean
fh_log_scanner_use_jit (void)
{
  return g_strcmp0 (g_getenv ("FARMHAND_PCRE2_JIT"), "0") != 0;
}

const char *
fh_log_category_name (FhLogCategory category)
{
  g_return_val_if_fail ((guint) category < FH_LOG_N_CATEGORIES, NULL);
  return category_names[category];
}

static void
pattern_clear (gpointer p)
{
  pcre2_code_free (((Pattern *) p)->code);
  fh_literal_pattern_free (((Pattern *) p)->literal);
  fh_literal_pattern_free (((Pattern *) p)->guard);
}

FhLogScanner *
fh_log_scanner_new (void)
{
  FhLogScanner *self = g_new0 (FhLogScanner, 1);

  self->index = fh_literal_index_new ();
  for (int i = 0; i < FH_LOG_N_CATEGORIES; i++)
    {
      self->patterns[i] = g_array_new (FALSE, FALSE, sizeof (Pattern));
      g_array_set_clear_func (self->patterns[i], pattern_clear);
    }
  return self;
}

void
fh_log_scanner_free (FhLogScanner *self)
{
  if (self == NULL)
    return;
  for (int i = 0; i < FH_LOG_N_CATEGORIES; i++)
    g_array_unref (self->patterns[i]);
  if (self->match != NULL)
    pcre2_match_data_free (self->match);
  g_free (self->line_lower);
  g_free (self->stamps);
  g_free (self->id_unwrapped);
  fh_literal_index_free (self->index);
  fh_log_unwrap_free (self->unwrap);
  g_free (self);
}

static gboolean
throw_pcre2 (GError **error, int code, PCRE2_SIZE offset)
{
  PCRE2_UCHAR msg[256];

  pcre2_get_error_message (code, msg, sizeof msg);
  return fh_throw (error, FH_LOG_ERROR, FH_LOG_ERROR_PATTERN,
                   "invalid regular expression: %s at offset %zu", (char *) msg, (size_t) offset);
}

/* Which group holds the value: a named one, else the first. */
static gboolean
find_groups (pcre2_code *code, FhLogCategory category, Pattern *p, GError **error)
{
  guint32 n_groups = 0;

  pcre2_pattern_info (code, PCRE2_INFO_CAPTURECOUNT, &n_groups);
  p->group = p->frame_group = p->total_group = -1;
  if (category == FH_LOG_PROGRESS)
    {
      int pct = pcre2_substring_number_from_name (code, (PCRE2_SPTR) "pct");
      int frame = pcre2_substring_number_from_name (code, (PCRE2_SPTR) "frame");
      int done = pcre2_substring_number_from_name (code, (PCRE2_SPTR) "done");
      int total = pcre2_substring_number_from_name (code, (PCRE2_SPTR) "total");
      if ((done > 0) != (total > 0))
        return fh_throw (error, FH_LOG_ERROR, FH_LOG_ERROR_PATTERN,
                         "a progress pattern with (?<done>...) needs (?<total>...) too");
      if (done > 0)
        {
          p->group = done;
          p->total_group = total;
        }
      else
        p->group = pct > 0 ? pct : (frame > 0 ? -1 : (n_groups > 0 ? 1 : -1));
      p->frame_group = frame > 0 ? frame : -1;
      if (p->group < 0 && p->frame_group < 0)
        return fh_throw (error, FH_LOG_ERROR, FH_LOG_ERROR_PATTERN,
                         "a progress pattern needs a group for the percentage "
                         "(the first, or (?<pct>...)), (?<done>...) of (?<total>...), "
                         "or (?<frame>...)");
    }
  else if (category == FH_LOG_OUTPUTS)
    {
      int path = pcre2_substring_number_from_name (code, (PCRE2_SPTR) "path");
      p->group = path > 0 ? path : (n_groups > 0 ? 1 : -1);
      if (p->group < 0)
        return fh_throw (error, FH_LOG_ERROR, FH_LOG_ERROR_PATTERN,
                         "an outputs pattern needs a group for the path "
                         "(the first, or (?<path>...))");
    }
  else if (category == FH_LOG_FRAME_DONE)
    {
      int frame = pcre2_substring_number_from_name (code, (PCRE2_SPTR) "frame");
      p->group = frame > 0 ? frame : (n_groups > 0 ? 1 : -1);
      if (p->group < 0)
        return fh_throw (error, FH_LOG_ERROR, FH_LOG_ERROR_PATTERN,
                         "a frame_done pattern needs a group for the frame "
                         "(the first, or (?<frame>...))");
    }
  return TRUE;
}

static void
learn_prefilter (pcre2_code *code, Pattern *p)
{
  guint32 options = 0, first_type = 0, first_unit = 0;

  pcre2_pattern_info (code, PCRE2_INFO_MINLENGTH, &p->min_len);
  pcre2_pattern_info (code, PCRE2_INFO_ALLOPTIONS, &options);
  pcre2_pattern_info (code, PCRE2_INFO_FIRSTCODETYPE, &first_type);
  pcre2_pattern_info (code, PCRE2_INFO_FIRSTCODEUNIT, &first_unit);
  pcre2_pattern_info (code, PCRE2_INFO_FIRSTBITMAP, &p->first_bitmap);
  p->anchored = (options & PCRE2_ANCHORED) != 0;
  /* Only an ASCII first byte is safe to compare caselessly ourselves. */
  p->first_byte = p->anchored && first_type == 1 && first_unit < 0x80 ? (int) first_unit : -1;
  p->first_lower = g_ascii_tolower ((char) first_unit);
  p->first_upper = g_ascii_toupper ((char) first_unit);
  if (!p->anchored)
    p->first_bitmap = NULL;
}

static inline gboolean
may_match (const Pattern *p, const char *line, gsize len)
{
  if (len < p->min_len)
    return FALSE;
  if (p->first_byte >= 0)
    return len > 0 && (line[0] == p->first_lower || line[0] == p->first_upper);
  if (p->first_bitmap != NULL)
    return len > 0 && (p->first_bitmap[(guint8) line[0] / 8] >> ((guint8) line[0] % 8) & 1);
  return TRUE;
}

static void
add_guard (FhLogScanner *self, const char *pattern, Pattern *p)
{
  g_autofree char *guard = fh_regex_guard (pattern, &p->guard_caseless);

  if (guard == NULL || (p->guard = fh_literal_pattern_new (guard)) == NULL)
    return;
}

/* Puts @p's literals (or its guard's) in the index. */
static void
index_pattern (FhLogScanner *self, Pattern *p)
{
  FhLiteralPattern *lits = p->literal != NULL ? p->literal : p->guard;

  if (lits == NULL)
    return;
  p->id = self->n_ids++;
  p->indexed = TRUE;
  self->stamps = g_renew (guint, self->stamps, self->n_ids);
  self->stamps[p->id] = 0;
  self->id_unwrapped = g_renew (guint8, self->id_unwrapped, self->n_ids);
  self->id_unwrapped[p->id] = p->unwrapped;
  for (guint i = 0; i < fh_literal_pattern_get_n_literals (lits); i++)
    {
      gsize len;
      const char *text = fh_literal_pattern_get_literal (lits, i, &len);
      fh_literal_index_add (self->index, text, len, p->literal == NULL && p->guard_caseless, p->id);
    }
}

/* ASCII lower case of @len bytes (a loop compilers vectorise). */
static void
ascii_lower (char *out, const char *in, gsize len)
{
  gsize i = 0;

  /* Eight bytes at a time: a byte is upper case when adding 0x3f carries
   * into its top bit and adding 0x25 does not (and it is ASCII). */
  for (; i + 8 <= len; i += 8)
    {
      guint64 w, low7, upper;
      memcpy (&w, in + i, 8);
      low7 = w & G_GUINT64_CONSTANT (0x7f7f7f7f7f7f7f7f);
      upper = ~w & ((low7 + G_GUINT64_CONSTANT (0x3f3f3f3f3f3f3f3f)) ^
                    (low7 + G_GUINT64_CONSTANT (0x2525252525252525))) &
              G_GUINT64_CONSTANT (0x8080808080808080);
      w |= upper >> 2;
      memcpy (out + i, &w, 8);
    }
  for (; i < len; i++)
    out[i] = g_ascii_tolower (in[i]);
}

static char *
grow (char **buf, gsize *size, gsize len)
{
  if (*size < len)
    {
      *size = MAX (len, 2 * *size);
      *buf = g_realloc (*buf, *size);
    }
  return *buf;
}

/* @line in lower case (a copy, kept while the same line is asked for). */
static const char *
lowered (FhLogScanner *self, const char *line, gsize len)
{
  if (self->lower_line != line || self->lower_line_len != len)
    {
      ascii_lower (grow (&self->line_lower, &self->line_lower_size, MAX (len, 1)), line, len);
      self->lower_line = line;
      self->lower_line_len = len;
    }
  return self->line_lower;
}

/* FALSE when @p's guard says it cannot match @line. */
static inline gboolean
guard_allows (FhLogScanner *self, const Pattern *p, const char *line, gsize len)
{
  if (p->guard == NULL)
    return TRUE;
  return fh_literal_pattern_match (p->guard, p->guard_caseless ? lowered (self, line, len) : line, len);
}

static gboolean
add_pattern (FhLogScanner *self, FhLogCategory category, const char *pattern, gboolean unwrapped,
             GError **error)
{
  g_autoptr (pcre2_code) code = NULL;
  Pattern p = { .unwrapped = unwrapped };
  int err = 0;
  PCRE2_SIZE offset = 0;
  guint32 n_groups = 0;

  /* UTF, not UCP: \d \w \s stay ASCII (a pattern opts in with (*UCP)),
   * which measured 2.4x faster on a render log. */
  code = pcre2_compile ((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED,
                        PCRE2_UTF, &err, &offset, NULL);
  if (code == NULL)
    return throw_pcre2 (error, err, offset);
  if (!find_groups (code, category, &p, error))
    return FALSE;
  p.jit = fh_log_scanner_use_jit () && pcre2_jit_compile (code, PCRE2_JIT_COMPLETE) == 0;
  learn_prefilter (code, &p);
  /* Patterns with a value to capture need PCRE2's groups. */
  if (category != FH_LOG_PROGRESS && category != FH_LOG_OUTPUTS && category != FH_LOG_FRAME_DONE)
    p.literal = fh_literal_pattern_new (pattern);
  if (p.literal == NULL)
    add_guard (self, pattern, &p);
  if (category != FH_LOG_PROGRESS)
    index_pattern (self, &p);
  self->n_unindexed += category != FH_LOG_PROGRESS && !p.indexed;
  pcre2_pattern_info (code, PCRE2_INFO_CAPTURECOUNT, &n_groups);
  if (n_groups + 1 > self->max_groups || self->match == NULL)
    {
      self->max_groups = MAX (self->max_groups, n_groups + 1);
      if (self->match != NULL)
        pcre2_match_data_free (self->match);
      self->match = pcre2_match_data_create (self->max_groups, NULL);
    }
  p.code = g_steal_pointer (&code);
  if (unwrapped)
    {
      g_array_append_val (self->patterns[category], p);
      self->n_unwrapped++;
      if (self->unwrap == NULL)
        self->unwrap = fh_log_unwrap_new ();
    }
  else
    g_array_insert_val (self->patterns[category], self->n_own[category]++, p);
  return TRUE;
}

gboolean
fh_log_scanner_add (FhLogScanner *self, FhLogCategory category, const char *pattern, GError **error)
{
  g_return_val_if_fail ((guint) category < FH_LOG_N_CATEGORIES, FALSE);
  return add_pattern (self, category, pattern, FALSE, error);
}

gboolean
fh_log_scanner_add_unwrapped (FhLogScanner *self, FhLogCategory category, const char *pattern,
                              GError **error)
{
  g_return_val_if_fail ((guint) category < FH_LOG_N_CATEGORIES, FALSE);
  return add_pattern (self, category, pattern, TRUE, error);
}

guint
fh_log_scanner_get_n_own (FhLogScanner *self, FhLogCategory category)
{
  return self->n_own[category];
}

gboolean
fh_log_scanner_is_empty (FhLogScanner *self)
{
  for (int i = 0; i < FH_LOG_N_CATEGORIES; i++)
    if (self->patterns[i]->len > 0)
      return FALSE;
  return TRUE;
}

static int
match (FhLogScanner *self, const Pattern *p, const char *line, gsize len)
{
  if (p->jit)
    return pcre2_jit_match (p->code, (PCRE2_SPTR) line, len, 0, 0, self->match, NULL);
  return pcre2_match (p->code, (PCRE2_SPTR) line, len, 0, PCRE2_NO_UTF_CHECK, self->match, NULL);
}

/* For a line of the block: stamps the patterns whose literals occur in
 * it, and says whether any does.  Not in a block, every pattern is tried
 * on its own (l->indexed FALSE). */
static gboolean
mark_candidates (FhLogScanner *self, Line *l)
{
  gsize start, end;
  gboolean any = FALSE;

  l->indexed = self->index_active && l->text >= self->block && l->text + l->len <= self->block_end;
  if (!l->indexed)
    return FALSE;
  start = (gsize) (l->text - self->block);
  end = start + l->len;
  self->generation++;
  for (; self->next_hit < self->hits->len; self->next_hit++)
    {
      const FhLiteralHit *h = &g_array_index (self->hits, FhLiteralHit, self->next_hit);
      if (h->start >= end)
        break;
      /* Before the line (or, for an unwrapped pattern, in its wrappers),
       * or past its cut end: not in what the pattern sees. */
      if (h->start >= start + (self->id_unwrapped[h->owner] ? l->body : 0) && h->end <= end)
        {
          self->stamps[h->owner] = self->generation;
          any = TRUE;
        }
    }
  return any;
}

/* Whether @p matches @subject (@len bytes). */
static gboolean
try_pattern (FhLogScanner *self, const Pattern *p, const char *subject, gsize len, gboolean indexed)
{
  gboolean stamped = indexed && p->indexed;

  if (stamped && self->stamps[p->id] != self->generation)
    return FALSE;
  if (p->literal != NULL)
    return fh_literal_pattern_match (p->literal, subject, len);
  return may_match (p, subject, len) && (stamped || guard_allows (self, p, subject, len)) &&
         match (self, p, subject, len) > 0;
}

/* Index of the first pattern of @category matching the line, or -1: the
 * job's own first, then (unless silenced) the unwrapped ones, which see
 * the line from its body (*@offset). */
static int
first_match (FhLogScanner *self, FhLogCategory category, const Line *l, gsize *offset)
{
  GArray *a = self->patterns[category];
  guint own = self->n_own[category];

  *offset = 0;
  for (guint i = 0; i < own; i++)
    if (try_pattern (self, &g_array_index (a, Pattern, i), l->text, l->len, l->indexed))
      return (int) i;
  if (l->unwrapped_off)
    return -1;
  *offset = l->body;
  for (guint i = own; i < a->len; i++)
    if (try_pattern (self, &g_array_index (a, Pattern, i), l->text + l->body, l->len - l->body, l->indexed))
      return (int) i;
  return -1;
}

/* Group @group of the last match, or FALSE when it did not take part. */
static gboolean
group_span (FhLogScanner *self, int group, gsize *start, gsize *len)
{
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer (self->match);

  if (group < 0 || ov[2 * group] == PCRE2_UNSET)
    return FALSE;
  *start = ov[2 * group];
  *len = ov[2 * group + 1] - ov[2 * group];
  return TRUE;
}

static double
parse_number (const char *s, gsize len)
{
  char buf[32];
  gint64 v = 0;
  gsize i;

  /* Progress numbers are nearly always plain digits ("Sample 12/128"):
   * those without strtod, which cost more than the match. */
  for (i = 0; i < len && i < 15 && g_ascii_isdigit (s[i]); i++)
    v = v * 10 + (s[i] - '0');
  if (i == len && len > 0)
    return (double) v;
  if (len == 0 || len >= sizeof buf)
    return -1;
  memcpy (buf, s, len);
  buf[len] = '\0';
  /* "45,5": a decimal comma, as applications print in some locales. */
  for (i = 0; i < len; i++)
    if (buf[i] == ',')
      buf[i] = '.';
  return g_ascii_strtod (buf, NULL);
}

static void
scan_progress (FhLogScanner *self, const Line *l, FhLogHit *hit)
{
  Line own_only = *l;
  const Pattern *p;
  const char *subject;
  gsize s, n, offset;
  int i;

  /* A directive inside a wrapper already said; the job's own patterns
   * still come first. */
  own_only.unwrapped_off = l->unwrapped_off || hit->openjd_progress;
  if ((i = first_match (self, FH_LOG_PROGRESS, &own_only, &offset)) < 0)
    return;
  p = &g_array_index (self->patterns[FH_LOG_PROGRESS], Pattern, i);
  subject = l->text + offset;
  hit->categories |= 1u << FH_LOG_PROGRESS;
  hit->pattern[FH_LOG_PROGRESS] = (guint) i;
  hit->openjd_progress = FALSE;
  hit->fraction = -1;
  if (group_span (self, p->group, &s, &n))
    {
      double value = parse_number (subject + s, n), total = 100.0;
      gsize ts, tn;
      if (p->total_group > 0 && group_span (self, p->total_group, &ts, &tn))
        total = parse_number (subject + ts, tn);
      if (value >= 0 && total > 0)
        hit->fraction = CLAMP (value / total, 0.0, 1.0);
    }
  if (group_span (self, p->frame_group, &s, &n) && n > 0 && n < 12)
    {
      g_autofree char *num = g_strndup (subject + s, n);
      hit->frame = g_ascii_strtoll (num, NULL, 10);
      hit->has_frame = TRUE;
    }
}

static void
scan_outputs (FhLogScanner *self, const Line *l, FhLogHit *hit)
{
  gsize offset;
  int i = first_match (self, FH_LOG_OUTPUTS, l, &offset);

  if (i >= 0 && group_span (self, g_array_index (self->patterns[FH_LOG_OUTPUTS], Pattern, i).group,
                            &hit->path_start, &hit->path_len) && hit->path_len > 0)
    {
      hit->path_start += offset;
      hit->categories |= 1u << FH_LOG_OUTPUTS;
      hit->pattern[FH_LOG_OUTPUTS] = (guint) i;
    }
}

static void
scan_frame_done (FhLogScanner *self, const Line *l, FhLogHit *hit)
{
  gsize offset, s, n;
  int i = first_match (self, FH_LOG_FRAME_DONE, l, &offset);

  if (i < 0 || !group_span (self, g_array_index (self->patterns[FH_LOG_FRAME_DONE], Pattern, i).group,
                            &s, &n) || n == 0 || n > 12)
    return;
  {
    char num[16];
    memcpy (num, l->text + offset + s, n);
    num[n] = '\0';
    hit->done_frame = g_ascii_strtoll (num, NULL, 10);
  }
  hit->categories |= 1u << FH_LOG_FRAME_DONE;
  hit->pattern[FH_LOG_FRAME_DONE] = (guint) i;
}

static gboolean
eat (const char **text, gsize *len, const char *prefix)
{
  gsize n = strlen (prefix);

  if (*len < n || memcmp (*text, prefix, n) != 0)
    return FALSE;
  *text += n;
  *len -= n;
  while (*len > 0 && **text == ' ')
    (*text)++, (*len)--;
  return TRUE;
}

/* OpenJD's stdout directives, so existing adaptor scripts report as they
 * would there: "openjd_progress: 50", "openjd_status: ...", "openjd_fail: ...". */
static void
scan_openjd (const char *line, gsize len, gsize offset, FhLogHit *hit)
{
  const char *rest = line + offset;
  gsize rest_len = len - offset;

  if (!eat (&rest, &rest_len, "openjd_"))
    return;
  if (eat (&rest, &rest_len, "progress:"))
    {
      double pct = parse_number (rest, rest_len);
      if (pct >= 0)
        {
          hit->fraction = CLAMP (pct / 100.0, 0.0, 1.0);
          hit->categories |= 1u << FH_LOG_PROGRESS;
          hit->openjd_progress = TRUE;
        }
      return;
    }
  if (eat (&rest, &rest_len, "status:"))
    hit->openjd_status = TRUE;
  else if (eat (&rest, &rest_len, "fail:"))
    hit->openjd_fail = TRUE;
  else
    return;
  hit->text_start = (gsize) (rest - line);
  hit->text_len = rest_len;
}

static gboolean
directive (const FhLogHit *hit)
{
  return hit->openjd_progress || hit->openjd_fail || hit->openjd_status;
}

/* Classifies @line; progress patterns only when @progress. */
static gboolean
scan_line (FhLogScanner *self, const char *line, gsize len, gboolean progress, FhLogHit *hit)
{
  static const FhLogCategory simple[] = { FH_LOG_ERRORS, FH_LOG_WARNINGS,
                                          FH_LOG_HIGHLIGHTS, FH_LOG_BAD_RESULT };
  Line l = { .text = line, .len = len };
  gboolean any;
  gsize offset;
  int i;

  memset (hit, 0, sizeof *hit);
  hit->fraction = -1;
  scan_openjd (line, len, 0, hit);
  if (directive (hit))
    return TRUE;
  if (self->unwrap != NULL)
    l.body = hit->body_start = fh_log_unwrap_skip (self->unwrap, line, len);
  any = mark_candidates (self, &l);
  /* A directive inside a wrapper ("ADAPTOR_OUTPUT: STDOUT: openjd_..."):
   * the preset's rules have nothing to add, the job's patterns may. */
  if (l.body > 0 && self->n_unwrapped > 0)
    {
      scan_openjd (line, len, l.body, hit);
      l.unwrapped_off = directive (hit);
    }
  /* Most lines: no pattern but progress can match them. */
  if (l.indexed && !any && self->n_unindexed == 0)
    {
      if (progress)
        scan_progress (self, &l, hit);
      return hit->categories != 0 || directive (hit);
    }
  if ((i = first_match (self, FH_LOG_IGNORE, &l, &offset)) >= 0)
    {
      /* The job's ignore silences everything; a preset's only the preset. */
      if ((guint) i < self->n_own[FH_LOG_IGNORE])
        {
          hit->categories = 1u << FH_LOG_IGNORE;
          hit->pattern[FH_LOG_IGNORE] = (guint) i;
          return TRUE;
        }
      l.unwrapped_off = TRUE;
    }
  for (guint c = 0; c < G_N_ELEMENTS (simple); c++)
    {
      if ((i = first_match (self, simple[c], &l, &offset)) < 0)
        continue;
      hit->categories |= 1u << simple[c];
      hit->pattern[simple[c]] = (guint) i;
    }
  if (progress)
    scan_progress (self, &l, hit);
  scan_outputs (self, &l, hit);
  scan_frame_done (self, &l, hit);
  return hit->categories != 0 || directive (hit);
}

gboolean
fh_log_scanner_scan (FhLogScanner *self, const char *line, gsize len, FhLogHit *hit)
{
  /* A line of the block (delivered from it, not a copy) before the block's
   * last line with a progress fraction has its progress skipped: that line
   * overwrites it anyway.  Lines from it on may still report a frame. */
  gboolean progress = self->block == NULL || self->progress_line == NULL || line < self->block ||
                      line >= self->block_end || line >= self->progress_line;

  return scan_line (self, line, len, progress, hit);
}

/* The line before the one ending at @line_end (a line end: '\n', '\r' or
 * the '\r' of "\r\n"), or NULL at the start of the block. */
static const char *
line_before (const char *block, const char *line_end)
{
  const char *nl = memrchr (block, '\n', (gsize) (line_end - block));
  const char *cr = memrchr (block, '\r', (gsize) (line_end - block));

  return MAX (nl, cr);
}

/* The start of the block's last complete line that reports a progress
 * fraction (a percentage, done of total, an OpenJD directive — not a
 * frame alone, whose meaning depends on the item), as fh_log_scanner_scan
 * would see it: validated, cut at @max_line, ignore first.  NULL: none. */
static const char *
last_progress_line (FhLogScanner *self, const char *block, const char *end, gsize max_line)
{
  const char *term = line_before (block, end);
  FhLogHit hit;

  if (self->patterns[FH_LOG_PROGRESS]->len == 0)
    return NULL;
  while (term != NULL)
    {
      const char *line_end = term;
      const char *prev, *start;
      gsize len;

      if (*term == '\n' && term > block && term[-1] == '\r')
        line_end = term - 1;
      prev = line_before (block, line_end);
      start = prev ? prev + 1 : block;
      len = MIN ((gsize) (line_end - start), max_line);
      if (g_utf8_validate_len (start, len, NULL) && scan_line (self, start, len, TRUE, &hit) &&
          hit.fraction >= 0)
        return start;
      term = prev;
    }
  return NULL;
}


void
fh_log_scanner_set_block (FhLogScanner *self, const char *block, gsize len, gsize max_line)
{
  self->index_active = FALSE;
  self->lower_line = NULL;
  self->block = block;
  self->block_end = block ? block + len : NULL;
  /* Found before the literals learn the block: it looks at lines out of
   * order, and they search forward only. */
  self->progress_line = block ? last_progress_line (self, block, self->block_end, max_line) : NULL;
  if (block == NULL)
    return;
  self->hits = fh_literal_index_scan (self->index, block, len);
  self->next_hit = 0;
  self->index_active = !fh_literal_index_is_empty (self->index);
}
