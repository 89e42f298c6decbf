/* fh-log-test.c — a whole log through a job's log rules (see the header). */
#include "config.h"

#include "fh-log-test.h"

#include <string.h>

#include "fh-executor-log.h"
#include "fh-item-report.h"
#include "fh-line-splitter.h"
#include "fh-log-rules.h"
#include "fh-redactor.h"

typedef enum {
  LIST_ERRORS, LIST_WARNINGS, LIST_HIGHLIGHTS, LIST_IGNORED, LIST_PROGRESS,
  LIST_OUTPUTS, LIST_FRAMES_DONE, LIST_PER_LINE, N_LISTS
} List;

static const char *const list_names[N_LISTS] = {
  "errors", "warnings", "highlights", "ignored", "progress", "outputs", "frames_done", "per_line",
};

typedef struct
{
  FhJob *job;
  FhItemReport *report;
  gboolean per_line;
  guint64 line_no;
  JsonArray *lists[N_LISTS];
  guint64 counts[N_LISTS];
  FhRedactor *redactor;      /* the job's secrets, masked as a run masks them */
  JsonObject *last_error;    /* (borrowed) the error a continuation adds to */
  GHashTable *paths;         /* outputs seen */
} Scan;

/* A new entry of @list, or NULL once the list is full (it is counted). */
static JsonObject *
add_entry (Scan *s, List list)
{
  JsonObject *o;

  if (s->counts[list]++ >= FH_LOG_TEST_MAX_ENTRIES)
    return NULL;
  o = json_object_new ();
  json_object_set_int_member (o, "line", (gint64) s->line_no);
  json_array_add_object_element (s->lists[list], o);
  return o;
}

static void
set_rule (JsonObject *o, const FhLogHit *hit, FhLogCategory cat)
{
  const FhLogRule *rule = hit->rule[cat];

  if (rule == NULL)
    return;
  json_object_set_string_member (o, "rule", rule->name);
  if (rule->failure != FH_FAILURE_NONE)
    json_object_set_string_member (o, "class", fh_failure_name (rule->failure));
}

/* A text entry of @list for a line in @cat. */
static JsonObject *
add_line (Scan *s, List list, const char *text, const FhLogHit *hit, FhLogCategory cat)
{
  JsonObject *o = add_entry (s, list);

  if (o == NULL)
    return NULL;
  json_object_set_string_member (o, "text", text);
  set_rule (o, hit, cat);
  return o;
}

static void
add_continuation (Scan *s, const char *text)
{
  JsonArray *detail;

  if (s->last_error == NULL)
    return;
  if (!json_object_has_member (s->last_error, "detail"))
    json_object_set_array_member (s->last_error, "detail", json_array_new ());
  detail = json_object_get_array_member (s->last_error, "detail");
  if (json_array_get_length (detail) < FH_LOG_TEST_MAX_ENTRIES)
    json_array_add_string_element (detail, text);
}

/* An entry of @list with @member set to @value.  (@value: transfer full) */
static void
add_value (Scan *s, List list, const char *member, JsonNode *value)
{
  JsonObject *o = add_entry (s, list);

  if (o != NULL)
    json_object_set_member (o, member, value);
  else
    json_node_unref (value);
}

/* Each output once, at the first line that names it (as a run records
 * them). */
static void
add_path (Scan *s, const char *path)
{
  if (g_hash_table_contains (s->paths, path))
    return;
  g_hash_table_add (s->paths, g_strdup (path));
  add_value (s, LIST_OUTPUTS, "path", json_node_init_string (json_node_alloc (), path));
}

/* The per-line view: what this line yields, in one entry. */
static void
add_yields (Scan *s, const char *text, const FhLogHit *hit, double fraction)
{
  static const struct { FhLogCategory cat; const char *name; } kinds[] = {
    { FH_LOG_ERRORS, "error" }, { FH_LOG_WARNINGS, "warning" },
    { FH_LOG_HIGHLIGHTS, "highlight" }, { FH_LOG_IGNORE, "ignored" },
    { FH_LOG_BAD_RESULT, "bad_result" }, { FH_LOG_PROGRESS, "progress" },
    { FH_LOG_OUTPUTS, "output" }, { FH_LOG_FRAME_DONE, "frame_done" },
  };
  JsonArray *yields = json_array_new ();
  JsonObject *o;

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (FH_LOG_HIT (hit, kinds[i].cat))
      json_array_add_string_element (yields, kinds[i].name);
  if (hit->continuation && !FH_LOG_HIT (hit, FH_LOG_ERRORS))
    json_array_add_string_element (yields, "continuation");
  if (hit->openjd_fail)
    json_array_add_string_element (yields, "openjd_fail");
  if (json_array_get_length (yields) == 0 || (o = add_entry (s, LIST_PER_LINE)) == NULL)
    {
      json_array_unref (yields);
      return;
    }
  json_object_set_string_member (o, "text", text);
  json_object_set_array_member (o, "yields", yields);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (FH_LOG_HIT (hit, kinds[i].cat) && hit->rule[kinds[i].cat] != NULL)
      {
        set_rule (o, hit, kinds[i].cat);
        break;
      }
  if (fraction >= 0)
    json_object_set_double_member (o, "fraction", fraction);
}

static void
record (Scan *s, const char *text, const FhLogHit *hit, double fraction)
{
  if (FH_LOG_HIT (hit, FH_LOG_ERRORS))
    s->last_error = add_line (s, LIST_ERRORS, text, hit, FH_LOG_ERRORS);
  else if (hit->continuation)
    add_continuation (s, text);
  if (FH_LOG_HIT (hit, FH_LOG_WARNINGS))
    add_line (s, LIST_WARNINGS, text, hit, FH_LOG_WARNINGS);
  if (FH_LOG_HIT (hit, FH_LOG_HIGHLIGHTS))
    add_line (s, LIST_HIGHLIGHTS, text, hit, FH_LOG_HIGHLIGHTS);
  if (FH_LOG_HIT (hit, FH_LOG_IGNORE))
    add_line (s, LIST_IGNORED, text, hit, FH_LOG_IGNORE);
  if (fraction >= 0)
    add_value (s, LIST_PROGRESS, "fraction", json_node_init_double (json_node_alloc (), fraction));
  if (FH_LOG_HIT (hit, FH_LOG_OUTPUTS))
    {
      g_autofree char *path = g_strndup (text + hit->path_start, hit->path_len);
      add_path (s, path);
    }
  if (FH_LOG_HIT (hit, FH_LOG_FRAME_DONE))
    add_value (s, LIST_FRAMES_DONE, "frame", json_node_init_int (json_node_alloc (), hit->done_frame));
  if (s->per_line)
    add_yields (s, text, hit, fraction);
}

static void
on_line (const char *line, gsize len, FhLineFlags flags, gpointer user_data)
{
  Scan *s = user_data;
  g_autofree char *masked = fh_redactor_apply (s->redactor, line, len);
  FhLogHit hit;
  double fraction;
  g_autofree char *text = NULL;

  s->line_no++;
  if (masked != NULL)
    {
      line = masked;
      len = strlen (masked);
    }
  if (!fh_log_rules_scan (s->job->log, line, len, &hit))
    return;
  fraction = fh_item_report_line (s->report, line, len, &hit);
  text = g_strndup (line, len);
  record (s, text, &hit, fraction);
}

static void
add_verdict (Scan *s, JsonObject *out)
{
  g_autofree char *why = fh_item_report_verdict_full (s->report, TRUE, FALSE);
  g_autofree char *reason = NULL;
  FhFailureClass failure = FH_FAILURE_NONE;

  json_object_set_string_member (out, "verdict", why == NULL ? "complete" : "failed");
  if (why == NULL)
    return;
  failure = fh_item_report_failure (s->report, &reason);
  if (failure == FH_FAILURE_NONE)
    failure = FH_FAILURE_ERROR;
  json_object_set_string_member (out, "class", fh_failure_name (failure));
  json_object_set_string_member (out, "reason", reason != NULL ? reason : why);
}

static void
add_preset (FhJob *job, JsonObject *out)
{
  FhLogPreset *preset = fh_log_rules_get_preset (job->log);
  JsonObject *p;

  if (preset == NULL)
    return;
  p = json_object_new ();
  json_object_set_string_member (p, "name", fh_log_preset_get_name (preset));
  json_object_set_int_member (p, "version", fh_log_preset_get_version (preset));
  json_object_set_string_member (p, "source", fh_log_preset_get_source (preset));
  json_object_set_object_member (out, "preset", p);
}

/* Line by line, not in blocks as a run reads them: in a block the scanner
 * skips progress lines a later one overwrites, and a wrangler wants to
 * see each. */
static void
scan_lines (Scan *s, const char *log, gsize len)
{
  g_autoptr (FhLineSplitter) splitter = fh_line_splitter_new (FH_EXECUTOR_LOG_MAX_LINE, on_line, s);

  fh_line_splitter_push (splitter, log, len);
  fh_line_splitter_flush (splitter);
}

JsonObject *
fh_log_test_scan (FhJob *job, const char *log, gsize len, gboolean per_line)
{
  g_autoptr (FhItemReport) report = fh_item_report_new (job, job->cwd);
  g_autoptr (GHashTable) paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree const char **secrets = fh_job_get_secrets (job);
  g_autoptr (FhRedactor) redactor = fh_redactor_new (secrets);
  Scan s = { .job = job, .report = report, .per_line = per_line, .paths = paths, .redactor = redactor };
  JsonObject *out = json_object_new ();
  JsonObject *counts = json_object_new ();

  for (guint i = 0; i < N_LISTS; i++)
    s.lists[i] = json_array_new ();
  fh_item_report_reset (report, NULL, 0);
  scan_lines (&s, log, len);
  add_verdict (&s, out);
  json_object_set_int_member (out, "lines", (gint64) s.line_no);
  for (guint i = 0; i < N_LISTS; i++)
    {
      if (i != LIST_PER_LINE || per_line)
        json_object_set_array_member (out, list_names[i], s.lists[i]);
      else
        json_array_unref (s.lists[i]);
      if (i != LIST_PER_LINE)
        json_object_set_int_member (counts, list_names[i], (gint64) s.counts[i]);
    }
  json_object_set_object_member (out, "counts", counts);
  add_preset (job, out);
  return out;
}
