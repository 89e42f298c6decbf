/* fh-host-run.c — serving items, recording results.
 *
 * Items are served in the order given.  Every served item ends up in the
 * results exactly once: as the plugin reported it, or, when the job
 * stopped early (executor did not start or died, setup failed), as failed
 * with the reason it was not run.  "attempts" counts runs across resumes.
 *
 * Nothing here grows with the agenda: names are read a page at a time
 * (FhAgendaPager), and what was not run is what was not served — the
 * items after the last served, and that one if it went unreported.
 */
#include "config.h"

#include "fh-host-run.h"

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "fh-agenda-pager.h"
#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-json.h"

#define NAME_PAGE 256

struct _FhHostRun
{
  FhJobHandle *handle;
  FhAgendaPager *pager;   /* the items' names, a page at a time */
  FhHostRunOptions options;
  FhProgress *progress;
  guint n_selected;       /* options.indices' length, or every item */
  guint next;             /* position in the selection */
  gboolean current_reported;
  char *current;          /* name of the item being run */
  guint n_complete;
  guint n_failed;
  guint n_ran;            /* items the plugin ran and reported */
  guint n_unrecorded;     /* results the results file could not take */
  GMutex lock;            /* write_error: the job thread writes, the tick syncs */
  GError *write_error;    /* first results-file failure: the run stops */
  gint64 started;
};

/* ---- recording ---------------------------------------------------------- */

static gint64
prior_attempts (FhHostRun *self, const char *name)
{
  JsonObject *prior = self->options.results ? fh_results_file_lookup (self->options.results, name) : NULL;

  return prior ? json_object_get_int_member_with_default (prior, "attempts", 1) : 0;
}

/* The results file failed (a write, or a sync): said at once, above the
 * live line, and the run stops — nothing is reported done that is not on
 * disk.  Called from the job thread and the tick. */
static void
results_failed (FhHostRun *self, GError *error)
{
  gboolean first;

  g_mutex_lock (&self->lock);
  first = self->write_error == NULL;
  if (first)
    self->write_error = error;
  g_mutex_unlock (&self->lock);
  if (!first)
    {
      g_error_free (error);
      return;
    }
  fh_progress_note (self->progress, "farmhand: %s: the results file cannot be trusted; stopping "
                    "after the running item", error->message);
  fh_job_handle_cancel (self->handle, FALSE);
}

static gboolean
results_ok (FhHostRun *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return self->write_error == NULL;
}

/* Writes @o to the results file; FALSE when it is not there. */
static gboolean
write_result (FhHostRun *self, JsonObject *o)
{
  GError *err = NULL;

  if (self->options.results == NULL)
    return TRUE;
  if (!results_ok (self))
    return FALSE;
  if (fh_results_file_write (self->options.results, o, &err))
    return TRUE;
  results_failed (self, err);
  return FALSE;
}

/* Records @o (the item's result); FALSE when the results file could not
 * take it — then it is not counted as done. */
static gboolean
record (FhHostRun *self, JsonObject *o, gboolean ran)
{
  const char *name = json_object_get_string_member_with_default (o, "name", "");
  gboolean ok = g_strcmp0 (json_object_get_string_member_with_default (o, "status", ""), "complete") == 0;
  /* The plugin counts this run's attempts (retries); resumes add theirs. */
  json_object_set_int_member (o, "attempts", prior_attempts (self, name) +
                              json_object_get_int_member_with_default (o, "attempts", ran ? 1 : 0));
  if (self->options.log != NULL)
    fh_job_log_marker (self->options.log, "item %s %s in %.3f s", name,
                       ok ? "complete" : "FAILED",
                       json_object_get_double_member_with_default (o, "elapsed_s", 0));
  if (!write_result (self, o))
    {
      self->n_unrecorded++;
      return FALSE;
    }
  if (ok)
    self->n_complete++;
  else
    self->n_failed++;
  return TRUE;
}

/* ---- the host's callbacks ----------------------------------------------- */

/* The item at @position of the selection. */
static guint
index_at (FhHostRun *self, guint position)
{
  return self->options.indices ? g_array_index (self->options.indices, guint, position) : position;
}

/* Item @index's name, as the plugin lists it.  (transfer full) */
static char *
name_of (FhHostRun *self, guint index)
{
  g_autoptr (GError) err = NULL;
  JsonObject *item = fh_agenda_pager_get (self->pager, index, &err);

  return g_strdup (item ? json_object_get_string_member_with_default (item, "name", "?") : "?");
}

/* Items by index (ABI 1.4: no JSON either side). */
static gint64
api_next_index (gpointer data)
{
  FhHostRun *self = data;
  guint index;

  if (self->next >= self->n_selected)
    return FH_NEXT_ITEM_NONE;
  index = index_at (self, self->next++);
  self->current_reported = FALSE;
  g_free (self->current);
  self->current = name_of (self, index);
  fh_progress_item_started (self->progress, self->current);
  if (self->options.log != NULL)
    fh_job_log_marker (self->options.log, "item %s (%u of %u) started", self->current,
                       self->next, self->n_selected);
  return index;
}

/* What a plugin older than ABI 1.4 asks instead. */
static char *
api_next_item (gpointer data)
{
  gint64 index = api_next_index (data);
  g_autoptr (JsonObject) o = NULL;

  if (index < 0)
    return NULL;
  o = json_object_new ();
  json_object_set_int_member (o, "index", index);
  return fh_json_object_to_string (o);
}

static void
api_report_item (gpointer data, JsonObject *o)
{
  FhHostRun *self = data;
  const char *failure = json_object_get_string_member_with_default (o, "class", NULL);
  g_autofree char *why = failure ? g_strdup_printf ("%s: %s", failure,
                                                    json_object_get_string_member_with_default (o, "reason", "?"))
                                 : NULL;

  gboolean recorded;

  self->current_reported = TRUE;
  self->n_ran++;
  recorded = record (self, o, TRUE);

  /* Not on disk: not shown as done. */
  fh_progress_item_done (self->progress,
                         json_object_get_string_member_with_default (o, "name", "?"),
                         recorded && g_strcmp0 (json_object_get_string_member_with_default (o, "status", ""),
                                                "complete") == 0,
                         json_object_get_double_member_with_default (o, "elapsed_s", 0.0),
                         recorded ? why : "not in the results file (it could not be written)",
                         json_object_get_string_member_with_default (o, "traceback", NULL));
}

static void
api_log_line (gpointer data, const char *item_name, FhLogStream stream, const char *line, gsize len)
{
  FhHostRun *self = data;

  if (self->options.log != NULL)
    fh_job_log_line (self->options.log, item_name, stream, line, len);
  fh_progress_log_line (self->progress, item_name, line, len);
}

static void
api_progress (gpointer data, const char *item_name, double fraction)
{
  fh_progress_item_fraction (((FhHostRun *) data)->progress, item_name, fraction);
}

FhHostRun *
fh_host_run_new (FhJobHandle *handle, const FhHostRunOptions *options)
{
  FhHostRun *self = g_new0 (FhHostRun, 1);

  self->handle = handle;
  self->pager = fh_agenda_pager_new (handle, NAME_PAGE, FALSE);
  self->options = *options;
  self->n_selected = options->indices ? options->indices->len : fh_job_handle_get_n_items (handle);
  self->current_reported = TRUE;
  g_mutex_init (&self->lock);
  self->progress = fh_progress_new (stdout, options->tty, options->level, self->n_selected);
  return self;
}

void
fh_host_run_free (FhHostRun *self)
{
  if (self == NULL)
    return;
  fh_agenda_pager_free (self->pager);
  g_free (self->current);
  fh_progress_free (self->progress);
  g_clear_error (&self->write_error);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* The job stopped early: every selected item it never reported failed,
 * unrun.  The terminal gets one line for them all; the results one each. */
static void
record_unrun (FhHostRun *self, const char *why, const char *failure, const char *reason)
{
  g_autofree char *tb = g_strdup_printf ("not run: %s", why);
  guint n = 0;

  /* The last item served, unless reported, and all after it. */
  for (guint k = self->current_reported ? self->next : self->next - 1; k < self->n_selected; k++)
    {
      guint i = index_at (self, k);
      g_autoptr (JsonObject) o = NULL;
      g_autofree char *name = NULL;

      name = name_of (self, i);
      o = json_object_new ();
      json_object_set_string_member (o, "name", name);
      json_object_set_int_member (o, "index", i);
      json_object_set_string_member (o, "status", "failed");
      json_object_set_string_member (o, "traceback", tb);
      json_object_set_double_member (o, "elapsed_s", 0.0);
      json_object_set_string_member (o, "class", failure);
      json_object_set_string_member (o, "reason", reason ? reason : why);
      record (self, o, FALSE);
      n++;
    }
  if (n > 0)
    fh_progress_note (self->progress, "  FAILED    %u item%s not run (reason below)", n, n == 1 ? "" : "s");
}

static void
print_summary (FhHostRun *self, JsonObject *summary)
{
  JsonNode *ex_node = json_object_get_member (summary, "executor");
  JsonObject *ex = ex_node && JSON_NODE_HOLDS_OBJECT (ex_node) ? json_node_get_object (ex_node) : NULL;
  const char *error = json_object_get_string_member_with_default (summary, "error", NULL);
  double secs = (g_get_monotonic_time () - self->started) / 1e6;
  g_autoptr (GString) line = g_string_new (NULL);

  fh_progress_finish (self->progress);
  if (error != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (error, "\n", -1);
      printf ("farmhand: the job stopped early or failed at the edges:\n");
      for (guint i = 0; lines[i] != NULL; i++)
        if (lines[i][0] != '\0')
          printf ("            %s\n", lines[i]);
    }
  g_string_printf (line, "job %s: %u complete, %u failed", fh_job_handle_get_name (self->handle),
                   self->n_complete, self->n_failed);
  if (self->n_unrecorded > 0)
    g_string_append_printf (line, ", %u not in the results file", self->n_unrecorded);
  g_string_append_printf (line, " (%u item%s) in %.2f s", self->n_selected, self->n_selected == 1 ? "" : "s",
                          secs);
  if (ex != NULL && json_object_has_member (ex, "exit_code"))
    g_string_append_printf (line, "; executor exited with code %" G_GINT64_FORMAT,
                            json_object_get_int_member (ex, "exit_code"));
  printf ("%s\n", line->str);
  if (self->options.log != NULL)
    fh_job_log_marker (self->options.log, "%s", line->str);
  fflush (stdout);
}

static void
on_tick (gpointer data)
{
  FhHostRun *self = data;

  GError *err = NULL;

  fh_progress_tick (self->progress);
  if (self->options.results != NULL && results_ok (self) && !fh_results_file_sync (self->options.results, &err))
    results_failed (self, err);
  if (self->options.log != NULL)
    fh_job_log_flush (self->options.log, NULL);
}

/* A signal is cancelling the job: say so above the live line. */
static void
on_cancelled (gpointer data, int signum, gboolean now)
{
  FhHostRun *self = data;

  fh_progress_note (self->progress, now ? "farmhand: %s again: stopping now"
                                        : "farmhand: %s: cancelling — interrupting the command, then "
                                          "teardown (again to skip the grace periods)",
                    g_strsignal (signum));
}

guint
fh_host_run_get_n_ran (FhHostRun *self)
{
  return self->n_ran;
}

int
fh_host_run_execute (FhHostRun *self, GError **error)
{
  const FhJobHandleFuncs funcs = {
    .next_item = api_next_item, .next_index = api_next_index, .report_item = api_report_item, .log_line = api_log_line,
    .progress = api_progress, .tick = on_tick, .tick_ms = self->options.tty ? 250 : 1000,
    .cancelled = on_cancelled,
  };
  const char *name = fh_job_handle_get_name (self->handle);
  g_autoptr (JsonObject) summary = NULL;
  int status, signum;

  self->started = g_get_monotonic_time ();
  fh_progress_note (self->progress, "farmhand: job %s, %u item%s", name, self->n_selected,
                    self->n_selected == 1 ? "" : "s");
  if (self->options.log != NULL)
    fh_job_log_marker (self->options.log, "job %s started: %u items", name, self->n_selected);
  status = fh_job_handle_run (self->handle, &funcs, self, TRUE, &summary);
  if (status == FH_RUN_JOB_FAILED || status == FH_RUN_CANCELLED || status == FH_RUN_REFUSED)
    record_unrun (self,
                  json_object_get_string_member_with_default (
                      summary, "error", status == FH_RUN_CANCELLED ? "the job was cancelled"
                                                                   : "the job stopped early"),
                  json_object_get_string_member_with_default (
                      summary, "class", status == FH_RUN_CANCELLED ? "cancelled" : "error"),
                  json_object_get_string_member_with_default (summary, "reason", NULL));
  /* The last results are on the disk before the run says it is done. */
  if (self->options.results != NULL && results_ok (self))
    {
      GError *err = NULL;
      if (!fh_results_file_sync (self->options.results, &err))
        results_failed (self, err);
    }
  print_summary (self, summary);
  if (self->write_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->write_error));
      return 1;
    }
  /* Cancelled by a signal: the shell convention, 128 + the signal. */
  signum = fh_job_handle_get_signal (self->handle);
  if (status == FH_RUN_CANCELLED && signum != 0)
    return 128 + signum;
  return status == FH_RUN_OK && self->n_failed == 0 ? 0 : 1;
}
