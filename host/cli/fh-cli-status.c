/* fh-cli-status.c — `farmhand status JOBDIR`: where a scaled-out job
 * stands.  Exit status: 0 every item complete, 1 finished with failures
 * (or cancelled, or its Slurm job ended with items left), 3 still
 * running. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fh-cli.h"
#include "fh-job-dir.h"
#include "fh-job-status.h"
#include "fh-json.h"
#include "fh-slurm.h"

#define FH_EXIT_RUNNING 3

static void
print_worker (JsonObject *w)
{
  const char *state = json_object_get_string_member_with_default (w, "state", "?");
  const char *item = json_object_get_string_member_with_default (w, "item", "-");
  gboolean alive = json_object_get_boolean_member_with_default (w, "alive", FALSE);
  double age = json_object_get_double_member_with_default (w, "age_s", -1);
  double progress = json_object_get_double_member_with_default (w, "progress", -1);
  g_autofree char *pct = progress >= 0 ? g_strdup_printf (" %3.0f%%", progress * 100) : g_strdup ("");

  /* A worker that stopped beating without saying goodbye is lost: its item
   * goes to another. */
  if (!alive && !fh_job_dir_final_state (state))
    state = "LOST";
  printf ("  %-22s %-14s %-9s %-10s%s %5" G_GINT64_FORMAT " done %3" G_GINT64_FORMAT
          " failed  heartbeat %.0f s ago%s%s\n",
          json_object_get_string_member_with_default (w, "worker", "?"),
          json_object_get_string_member_with_default (w, "host", "?"), state, item, pct,
          json_object_get_int_member_with_default (w, "complete", 0),
          json_object_get_int_member_with_default (w, "failed", 0), age,
          json_object_has_member (w, "error") ? "\n      " : "",
          json_object_get_string_member_with_default (w, "error", ""));
}

#define SHOWN_FAILURES 20

/* A failed result's one line: its class and reason (an OpenJD task's,
 * a classified failure's), else its traceback's first line. */
static char *
failure_line (JsonObject *r)
{
  const char *tb = json_object_get_string_member_with_default (r, "traceback", "");
  const char *cls = json_object_get_string_member_with_default (r, "class", NULL);
  const char *reason = json_object_get_string_member_with_default (r, "reason", NULL);

  if (reason != NULL)
    return g_strdup_printf ("%s%s%s", cls ? cls : "", cls ? ": " : "", reason);
  return g_strndup (tb, strcspn (tb, "\n"));
}

static void
print_failures (GPtrArray *failures, guint n_failed)
{
  if (failures->len == 0)
    return;
  printf ("failed items:\n");
  for (guint i = 0; i < failures->len; i++)
    {
      JsonObject *r = g_ptr_array_index (failures, i);
      g_autofree char *line = failure_line (r);
      printf ("  %-16s %s (worker %s)\n", json_object_get_string_member_with_default (r, "name", "?"),
              line, json_object_get_string_member_with_default (r, "worker", "?"));
    }
  if (n_failed > failures->len)
    printf ("  ... and %u more ('farmhand status --results' prints every result)\n",
            n_failed - failures->len);
}

static void
print_steps (JsonArray *steps)
{
  printf ("steps:\n");
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *s = json_array_get_object_element (steps, i);
      printf ("  %-16s %-10s %" G_GINT64_FORMAT " task%s: %" G_GINT64_FORMAT " complete, %" G_GINT64_FORMAT
              " failed, %" G_GINT64_FORMAT " running, %" G_GINT64_FORMAT " pending%s%s%s\n",
              json_object_get_string_member (s, "name"), json_object_get_string_member (s, "state"),
              json_object_get_int_member (s, "tasks"), json_object_get_int_member (s, "tasks") == 1 ? "" : "s",
              json_object_get_int_member (s, "complete"),
              json_object_get_int_member (s, "failed"), json_object_get_int_member (s, "running"),
              json_object_get_int_member (s, "pending"),
              json_object_has_member (s, "slurm_job") ? "  (Slurm " : "",
              json_object_get_string_member_with_default (s, "slurm_job", ""),
              json_object_has_member (s, "slurm_job") ? ")" : "");
      if (json_object_has_member (s, "why"))
        printf ("      %s\n", json_object_get_string_member (s, "why"));
    }
}

static gboolean
print_result (guint index, JsonObject *result, gpointer user_data)
{
  g_autofree char *json = fh_json_object_to_string (result);

  printf ("%s\n", json);
  return TRUE;
}

/* --json: the counts, the workers and the first failures as one object. */
static void
print_json (FhJobDir *dir, const FhJobStatus *c, GPtrArray *workers, GPtrArray *failures,
            int code, const char *why)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autoptr (JsonObject) counts = json_object_new ();
  g_autoptr (JsonArray) w = json_array_new ();
  g_autoptr (JsonArray) f = json_array_new ();
  g_autofree char *text = NULL;

  json_object_set_int_member (counts, "items", c->n_items);
  json_object_set_int_member (counts, "complete", c->complete);
  json_object_set_int_member (counts, "failed", c->failed);
  json_object_set_int_member (counts, "running", c->running);
  json_object_set_int_member (counts, "pending", c->pending);
  for (guint i = 0; i < workers->len; i++)
    json_array_add_object_element (w, json_object_ref (g_ptr_array_index (workers, i)));
  for (guint i = 0; i < failures->len; i++)
    json_array_add_object_element (f, json_object_ref (g_ptr_array_index (failures, i)));
  json_object_set_string_member (o, "job", fh_job_dir_get_name (dir));
  json_object_set_string_member (o, "state", code == 0 ? "complete" : code == FH_EXIT_RUNNING ? "running"
                                             : why ? why : "failed");
  json_object_set_object_member (o, "counts", g_steal_pointer (&counts));
  if (c->steps != NULL)
    json_object_set_array_member (o, "steps", json_array_ref (c->steps));
  if (c->idle != NULL)
    json_object_set_string_member (o, "idle", c->idle);
  json_object_set_array_member (o, "workers", g_steal_pointer (&w));
  json_object_set_array_member (o, "failures", g_steal_pointer (&f));
  text = fh_json_object_to_string (o);
  printf ("%s\n", text);
}

/* The exit status, and why the job is over when it is over unfinished. */
static int
verdict (FhJobDir *dir, const FhJobStatus *c, const char **why)
{
  const char *slurm = fh_job_dir_get_slurm_job (dir);
  gboolean active = TRUE;

  *why = NULL;
  if (c->complete + c->failed == c->n_items)
    return c->failed == 0 ? FH_EXIT_OK : FH_EXIT_FAILED;
  if (fh_job_dir_is_cancelled (dir))
    return *why = "cancelled", FH_EXIT_FAILED;
  if (slurm != NULL && fh_slurm_job_active (slurm, &active, NULL) && !active && c->running == 0)
    return *why = c->idle ? c->idle : "its Slurm job has ended", FH_EXIT_FAILED;
  if (c->steps != NULL && fh_job_status_steps_over (c->steps))
    return *why = c->idle ? c->idle : "every step has ended or cannot run", FH_EXIT_FAILED;
  return FH_EXIT_RUNNING;
}

int
fh_cli_status (int argc, char **argv)
{
  gboolean json = FALSE, results = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object: counts, workers, the first failures", NULL },
    { "results", 0, 0, G_OPTION_ARG_NONE, &results, "Print every item's result, one JSON line each (as 'farmhand run --results')", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "status", "JOBDIR", "Where a job submitted with 'farmhand submit' stands: items "
      "pending, running, complete and failed, and each worker.\nExit status: 0 every item "
      "complete, 1 finished with failures (or cancelled, or its Slurm job ended with items "
      "left), 2 usage error, 3 still running.", entries);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJobDir) dir = NULL;
  g_autoptr (GPtrArray) workers = NULL;
  g_autoptr (GPtrArray) failures = NULL;
  g_auto (FhJobStatus) c = { 0 };
  const char *why;
  int code;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("status", "%s", err->message);
  if (argc != 2)
    return fh_cli_usage_error ("status", "status needs exactly one job directory");
  if ((dir = fh_job_dir_open (argv[1], &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  if (results)
    return fh_job_status_foreach_result (dir, print_result, NULL, &err)
               ? FH_EXIT_OK : fh_cli_usage_error (NULL, "%s", err->message);
  if (!fh_job_status_read (dir, &c, &workers, &failures, SHOWN_FAILURES, &err))
    return fh_cli_usage_error (NULL, "%s", err->message);
  code = verdict (dir, &c, &why);
  if (json)
    {
      print_json (dir, &c, workers, failures, code, why);
      return code;
    }
  printf ("job %s: %u items: %u complete, %u failed, %u running, %u pending%s%s%s%s\n",
          fh_job_dir_get_name (dir), c.n_items, c.complete, c.failed, c.running, c.pending,
          fh_job_dir_get_slurm_job (dir) ? " (Slurm job " : "",
          fh_job_dir_get_slurm_job (dir) ? fh_job_dir_get_slurm_job (dir) : "",
          fh_job_dir_get_slurm_job (dir) ? ")" : "",
          code == 0 ? " — done" : why ? "" : code == FH_EXIT_FAILED ? " — finished with failures" : "");
  if (why != NULL)
    printf ("the job is over unfinished: %s\n", why);
  else if (c.idle != NULL)
    printf ("%s\n", c.idle);
  if (c.steps != NULL)
    print_steps (c.steps);
  if (workers->len > 0)
    printf ("workers:\n");
  for (guint i = 0; i < workers->len; i++)
    print_worker (g_ptr_array_index (workers, i));
  print_failures (failures, c.failed);
  return code;
}
