/* fh-item-report.c — one item's log findings and its verdict. */
#include "config.h"

#include "fh-item-report.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_LINE_BYTES 1024

typedef struct
{
  char *path;
  gint64 bytes;      /* -1: missing; filled in by the verdict */
} Output;

struct _FhItemReport
{
  const FhJob *job;
  char *cwd;
  const gint64 *frames;
  guint n_frames;
  guint n_errors;
  guint first_error_pattern;  /* log.errors index of the first match */
  const FhLogRule *first_error_rule;  /* or the preset rule */
  const FhLogRule *first_bad_rule;
  GPtrArray *error_lines;     /* first job->log_max_lines */
  guint n_warnings;
  guint n_highlights;
  GPtrArray *highlights;
  guint n_bad;
  char *first_bad;
  double progress;            /* -1: never reported */
  GArray *outputs;            /* Output */
  GHashTable *output_set;     /* path → TRUE, for dedup */
  guint n_outputs_dropped;
  char *fail_reason;          /* openjd_fail */
  char *status_message;       /* last openjd_status */
  gboolean checked;           /* the verdict stat'ed the outputs */
  gboolean last_error_kept;   /* the last error line is in error_lines */
  FhFailureClass log_class;   /* of the first classified error line */
  char *log_reason;
  char *log_reason_base;      /* while that error's continuation lines come:
                                 its rule's reason, which they complete */
  FhFailureClass verdict_class;  /* what failed the verdict */
  char *verdict_reason;
  GArray *frames_done;        /* gint64 */
};

static void
output_clear (gpointer p)
{
  g_free (((Output *) p)->path);
}

FhItemReport *
fh_item_report_new (const FhJob *job, const char *cwd)
{
  FhItemReport *self = g_new0 (FhItemReport, 1);

  self->job = job;
  self->cwd = g_strdup (cwd);
  self->error_lines = g_ptr_array_new_with_free_func (g_free);
  self->highlights = g_ptr_array_new_with_free_func (g_free);
  self->outputs = g_array_new (FALSE, FALSE, sizeof (Output));
  g_array_set_clear_func (self->outputs, output_clear);
  self->output_set = g_hash_table_new (g_str_hash, g_str_equal);
  self->frames_done = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->progress = -1;
  return self;
}

void
fh_item_report_free (FhItemReport *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->output_set);
  g_array_unref (self->outputs);
  g_ptr_array_unref (self->error_lines);
  g_ptr_array_unref (self->highlights);
  g_free (self->first_bad);
  g_free (self->fail_reason);
  g_free (self->status_message);
  g_free (self->log_reason);
  g_free (self->log_reason_base);
  g_free (self->verdict_reason);
  g_array_unref (self->frames_done);
  g_free (self->cwd);
  g_free (self);
}

void
fh_item_report_reset (FhItemReport *self, const gint64 *frames, guint n_frames)
{
  self->frames = frames;
  self->n_frames = n_frames;
  self->n_errors = self->n_warnings = self->n_highlights = self->n_bad = 0;
  self->n_outputs_dropped = 0;
  g_ptr_array_set_size (self->error_lines, 0);
  g_ptr_array_set_size (self->highlights, 0);
  g_hash_table_remove_all (self->output_set);
  g_array_set_size (self->outputs, 0);
  g_clear_pointer (&self->first_bad, g_free);
  g_clear_pointer (&self->fail_reason, g_free);
  g_clear_pointer (&self->status_message, g_free);
  g_clear_pointer (&self->log_reason, g_free);
  g_clear_pointer (&self->log_reason_base, g_free);
  g_clear_pointer (&self->verdict_reason, g_free);
  self->log_class = self->verdict_class = FH_FAILURE_NONE;
  self->last_error_kept = FALSE;
  g_array_set_size (self->frames_done, 0);
  self->progress = -1;
  self->checked = FALSE;
  /* No error of the last item continues into this one. */
  fh_log_rules_reset (self->job->log);
}

static char *
bounded_copy (const char *line, gsize len)
{
  return g_utf8_make_valid (line, (gssize) MIN (len, MAX_LINE_BYTES));
}

static gboolean
keep_line (GPtrArray *lines, guint max, const char *line, gsize len)
{
  if (lines->len >= max)
    return FALSE;
  g_ptr_array_add (lines, bounded_copy (line, len));
  return TRUE;
}

/* One line of text for a reason: the first line, at most 200 bytes. */
static char *
one_line (const char *text, gsize len)
{
  const char *nl = memchr (text, '\n', len);
  g_autofree char *line = g_utf8_make_valid (text, (gssize) MIN (nl ? (gsize) (nl - text) : len, 200));

  return g_strstrip (g_steal_pointer (&line));
}

/* A classified error line: a specific class beats "error", the first
 * of each kind wins. */
static void
note_error_class (FhItemReport *self, const FhLogRule *rule, const char *line, gsize len)
{
  FhFailureClass cls = rule && rule->failure != FH_FAILURE_NONE ? rule->failure : FH_FAILURE_ERROR;

  g_clear_pointer (&self->log_reason_base, g_free);
  if (self->log_class != FH_FAILURE_NONE &&
      (self->log_class != FH_FAILURE_ERROR || cls == FH_FAILURE_ERROR))
    return;
  self->log_class = cls;
  g_free (self->log_reason);
  self->log_reason = rule && rule->reason ? g_strdup (rule->reason) : one_line (line, len);
  if (rule && rule->reason && rule->continuation)
    self->log_reason_base = g_strdup (rule->reason);
}

/* A traceback's first unindented line after its frames says what it was
 * ("KeyError: 'x'"): the reason is the rule's and that.  @line is inside
 * its wrappers; blank lines (a wrapper's empty line) say nothing, and what
 * follows the exception line (Blender's "Error: Python script failed")
 * does not replace it. */
static void
complete_reason (FhItemReport *self, const char *line, gsize len)
{
  g_autofree char *what = NULL;

  if (self->log_reason_base == NULL || len == 0 || line[0] == ' ' || line[0] == '\t')
    return;
  what = one_line (line, len);
  if (*what == '\0')
    return;
  g_free (self->log_reason);
  self->log_reason = g_strdup_printf ("%s: %s", self->log_reason_base, what);
  g_clear_pointer (&self->log_reason_base, g_free);
}

/* A line that continues the error before it (a traceback): part of that
 * error's kept text, not another error. */
static void
continue_error (FhItemReport *self, const char *line, gsize len)
{
  char *last;
  g_autofree char *more = NULL;

  if (!self->last_error_kept || self->error_lines->len == 0)
    return;
  last = g_ptr_array_index (self->error_lines, self->error_lines->len - 1);
  if (strlen (last) >= MAX_LINE_BYTES * 4)
    return;
  more = bounded_copy (line, len);
  self->error_lines->pdata[self->error_lines->len - 1] = g_strconcat (last, "\n", more, NULL);
  g_free (last);
}

/* A "frame" group: the item has done its frames up to and including it. */
static double
frame_fraction (FhItemReport *self, gint64 frame)
{
  for (guint i = 0; i < self->n_frames; i++)
    if (self->frames[i] == frame)
      return (i + 1.0) / self->n_frames;
  return -1;
}

static double
note_progress (FhItemReport *self, const FhLogHit *hit)
{
  double f = hit->fraction;

  if (f < 0 && hit->has_frame)
    f = frame_fraction (self, hit->frame);
  if (f >= 0)
    self->progress = f;
  return f;
}

double
fh_item_report_line (FhItemReport *self, const char *line, gsize len, const FhLogHit *hit)
{
  if (hit->openjd_fail && self->fail_reason == NULL)
    self->fail_reason = bounded_copy (line + hit->text_start, hit->text_len);
  if (hit->openjd_status)
    {
      g_free (self->status_message);
      self->status_message = bounded_copy (line + hit->text_start, hit->text_len);
    }
  if (hit->continuation && !FH_LOG_HIT (hit, FH_LOG_ERRORS))
    {
      continue_error (self, line, len);
      complete_reason (self, line + hit->body_start, len - hit->body_start);
    }
  if (FH_LOG_HIT (hit, FH_LOG_ERRORS))
    {
      if (self->n_errors++ == 0)
        {
          self->first_error_pattern = hit->pattern[FH_LOG_ERRORS];
          self->first_error_rule = hit->rule[FH_LOG_ERRORS];
        }
      self->last_error_kept = keep_line (self->error_lines, self->job->log_max_lines, line, len);
      note_error_class (self, hit->rule[FH_LOG_ERRORS], line + hit->body_start, len - hit->body_start);
    }
  if (FH_LOG_HIT (hit, FH_LOG_FRAME_DONE))
    g_array_append_val (self->frames_done, hit->done_frame);
  if (FH_LOG_HIT (hit, FH_LOG_WARNINGS))
    self->n_warnings++;
  if (FH_LOG_HIT (hit, FH_LOG_HIGHLIGHTS))
    {
      self->n_highlights++;
      keep_line (self->highlights, self->job->log_max_lines, line, len);
    }
  if (FH_LOG_HIT (hit, FH_LOG_BAD_RESULT) && self->n_bad++ == 0)
    {
      self->first_bad = bounded_copy (line, len);
      self->first_bad_rule = hit->rule[FH_LOG_BAD_RESULT];
    }
  if (FH_LOG_HIT (hit, FH_LOG_OUTPUTS))
    {
      g_autofree char *path = g_strndup (line + hit->path_start, hit->path_len);
      fh_item_report_output (self, path);
    }
  return FH_LOG_HIT (hit, FH_LOG_PROGRESS) ? note_progress (self, hit) : -1;
}

void
fh_item_report_output (FhItemReport *self, const char *path)
{
  g_autofree char *mapped = fh_job_map_path (self->job, path);
  Output out = { NULL, -1 };

  out.path = g_canonicalize_filename (mapped, self->cwd);
  if (g_hash_table_contains (self->output_set, out.path))
    {
      g_free (out.path);
      return;
    }
  if (self->outputs->len >= FH_ITEM_REPORT_MAX_OUTPUTS)
    {
      self->n_outputs_dropped++;
      g_free (out.path);
      return;
    }
  g_array_append_val (self->outputs, out);
  /* The set borrows the string the array owns. */
  g_hash_table_add (self->output_set, g_array_index (self->outputs, Output, self->outputs->len - 1).path);
}

void
fh_item_report_progress (FhItemReport *self, double fraction)
{
  self->progress = CLAMP (fraction, 0.0, 1.0);
}

/* The verdict's first failure is its class (later ones only add). */
static void
verdict_class (FhItemReport *self, FhFailureClass cls, const char *reason)
{
  if (self->verdict_class != FH_FAILURE_NONE)
    return;
  self->verdict_class = cls;
  self->verdict_reason = one_line (reason, strlen (reason));
}

static void
check_output (FhItemReport *self, Output *out, GString *why)
{
  g_autofree char *problem = NULL;
  FhFailureClass cls = FH_FAILURE_BAD_OUTPUT;
  struct stat st;

  out->bytes = -1;
  if (stat (out->path, &st) < 0)
    {
      problem = g_strdup_printf ("output %s does not exist (%s)", out->path, g_strerror (errno));
      cls = FH_FAILURE_OUTPUT_MISSING;
    }
  else
    {
      out->bytes = st.st_size;
      if (!S_ISREG (st.st_mode))
        problem = g_strdup_printf ("output %s is not a regular file", out->path);
      else if (st.st_size < self->job->min_output_bytes)
        problem = g_strdup_printf ("output %s is %" G_GINT64_FORMAT " bytes, less than "
                                   "min_output_bytes (%" G_GINT64_FORMAT ")", out->path,
                                   (gint64) st.st_size, self->job->min_output_bytes);
    }
  if (problem == NULL)
    return;
  verdict_class (self, cls, problem);
  g_string_append_printf (why, "%s\n", problem);
}

/* Where a log error came from: "log.errors[N]", or the preset's rule. */
static char *
error_origin (FhItemReport *self)
{
  FhLogPreset *preset = fh_log_rules_get_preset (self->job->log);

  if (self->first_error_rule != NULL && preset != NULL)
    return g_strdup_printf ("preset %s, rule %s", fh_log_preset_get_name (preset),
                            self->first_error_rule->name);
  return g_strdup_printf ("log.errors[%u]", self->first_error_pattern);
}

char *
fh_item_report_verdict (FhItemReport *self, gboolean check_outputs)
{
  return fh_item_report_verdict_full (self, check_outputs, TRUE);
}

char *
fh_item_report_verdict_full (FhItemReport *self, gboolean check_outputs, gboolean stat_outputs)
{
  g_autoptr (GString) why = g_string_new (NULL);

  g_clear_pointer (&self->verdict_reason, g_free);
  self->verdict_class = FH_FAILURE_NONE;
  if (self->fail_reason != NULL)
    {
      g_string_append_printf (why, "openjd_fail: %s\n", self->fail_reason);
      verdict_class (self, FH_FAILURE_ERROR, self->fail_reason);
    }
  if (self->n_errors > 0 && self->job->fail_on_errors)
    {
      g_autofree char *origin = error_origin (self);
      const char *first = self->error_lines->len ? g_ptr_array_index (self->error_lines, 0) : "";
      g_string_append_printf (why, "the log matched an error pattern %u time%s; first (%s): %s\n",
                              self->n_errors, self->n_errors == 1 ? "" : "s", origin, first);
      verdict_class (self, self->log_class, self->log_reason ? self->log_reason : first);
    }
  if (self->n_bad > 0)
    {
      g_string_append_printf (why, "the log matched a bad_result pattern %u time%s; first: %s\n",
                              self->n_bad, self->n_bad == 1 ? "" : "s", self->first_bad);
      verdict_class (self, self->first_bad_rule && self->first_bad_rule->failure != FH_FAILURE_NONE
                               ? self->first_bad_rule->failure : FH_FAILURE_BAD_OUTPUT,
                     self->first_bad_rule && self->first_bad_rule->reason ? self->first_bad_rule->reason
                                                                           : self->first_bad);
    }
  if (check_outputs && self->job->outputs_required && self->outputs->len == 0)
    {
      g_string_append (why, "no output was reported (outputs_required)\n");
      verdict_class (self, FH_FAILURE_OUTPUT_MISSING, "no output was reported (outputs_required)");
    }
  for (guint i = 0; check_outputs && stat_outputs && i < self->outputs->len; i++)
    check_output (self, &g_array_index (self->outputs, Output, i), why);
  self->checked = check_outputs && stat_outputs;
  if (why->len == 0)
    return NULL;
  g_string_truncate (why, why->len - 1);
  return g_string_free (g_steal_pointer (&why), FALSE);
}

FhFailureClass
fh_item_report_failure (FhItemReport *self, char **reason)
{
  if (self->log_class != FH_FAILURE_NONE)
    {
      *reason = g_strdup (self->log_reason);
      return self->log_class;
    }
  if (self->verdict_class != FH_FAILURE_NONE)
    {
      *reason = g_strdup (self->verdict_reason);
      return self->verdict_class;
    }
  *reason = NULL;
  return FH_FAILURE_NONE;
}

static JsonArray *
strings_to_json (GPtrArray *lines)
{
  JsonArray *a = json_array_new ();

  for (guint i = 0; i < lines->len; i++)
    json_array_add_string_element (a, g_ptr_array_index (lines, i));
  return a;
}

static JsonArray *
outputs_to_json (FhItemReport *self)
{
  JsonArray *a = json_array_new ();

  for (guint i = 0; i < self->outputs->len; i++)
    {
      const Output *out = &g_array_index (self->outputs, Output, i);
      JsonObject *o = json_object_new ();
      json_object_set_string_member (o, "path", out->path);
      if (self->checked && out->bytes >= 0)
        json_object_set_int_member (o, "bytes", out->bytes);
      else if (self->checked)
        json_object_set_null_member (o, "bytes");
      json_array_add_object_element (a, o);
    }
  return a;
}

JsonObject *
fh_item_report_to_json (FhItemReport *self)
{
  JsonObject *result;

  if (self->n_errors == 0 && self->n_warnings == 0 && self->n_highlights == 0 && self->progress < 0 &&
      self->outputs->len == 0 && self->n_outputs_dropped == 0 && self->status_message == NULL &&
      self->frames_done->len == 0)
    return NULL;
  result = json_object_new ();
  if (self->n_errors > 0)
    {
      JsonObject *e = json_object_new ();
      json_object_set_int_member (e, "count", self->n_errors);
      json_object_set_array_member (e, "lines", strings_to_json (self->error_lines));
      json_object_set_object_member (result, "errors", e);
    }
  if (self->n_warnings > 0)
    json_object_set_int_member (result, "warnings", self->n_warnings);
  if (self->n_highlights > 0)
    json_object_set_array_member (result, "highlights", strings_to_json (self->highlights));
  if (self->progress >= 0)
    json_object_set_double_member (result, "progress", self->progress);
  if (self->outputs->len > 0)
    json_object_set_array_member (result, "outputs", outputs_to_json (self));
  if (self->n_outputs_dropped > 0)
    json_object_set_int_member (result, "outputs_not_listed", self->n_outputs_dropped);
  if (self->status_message != NULL)
    json_object_set_string_member (result, "status_message", self->status_message);
  if (self->frames_done->len > 0)
    {
      JsonArray *a = json_array_new ();
      for (guint i = 0; i < self->frames_done->len; i++)
        json_array_add_int_element (a, g_array_index (self->frames_done, gint64, i));
      json_object_set_array_member (result, "frames_done", a);
    }
  return result;
}

void
fh_item_report_add_to_json (FhItemReport *self, JsonObject *result)
{
  g_autoptr (JsonObject) extra = fh_item_report_to_json (self);
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (extra == NULL)
    return;
  json_object_iter_init_ordered (&iter, extra);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    json_object_set_member (result, name, json_node_copy (member));

}
