/* fh-cli-cancel.c — `farmhand cancel JOBDIR`: stop a scaled-out job with a
 * grace period, so every worker interrupts its command and runs teardown. */
#include "config.h"

#include <signal.h>
#include <stdio.h>

#include "fh-cli.h"
#include "fh-job-dir.h"
#include "fh-job-status.h"
#include "fh-json.h"
#include "fh-slurm.h"

/* Workers started by hand on this machine get the SIGTERM Slurm would
 * have sent them. */
static void
signal_local_workers (FhJobDir *dir)
{
  g_autoptr (GPtrArray) workers = NULL;
  g_auto (FhJobStatus) c = { 0 };

  if (!fh_job_status_read (dir, &c, &workers, NULL, 0, NULL))
    return;
  for (guint i = 0; i < workers->len; i++)
    {
      JsonObject *w = g_ptr_array_index (workers, i);
      gint64 pid = json_object_get_int_member_with_default (w, "pid", 0);
      if (json_object_get_boolean_member_with_default (w, "alive", FALSE) && pid > 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (w, "host", ""), g_get_host_name ()) == 0)
        kill ((pid_t) pid, SIGTERM);
    }
}

/* Waits up to @grace_s for the Slurm job to end; FALSE if it did not. */
static gboolean
await_end (const char *slurm_job, double grace_s)
{
  gint64 until = g_get_monotonic_time () + (gint64) (grace_s * G_USEC_PER_SEC);
  gboolean active = TRUE;

  /* Nothing to wait on but Slurm's word. */
  while (fh_slurm_job_active (slurm_job, &active, NULL) && active && g_get_monotonic_time () < until)
    g_usleep (250 * 1000);
  return !active;
}

/* Cancels Slurm job(s) @slurm: pending tasks at once, running ones get
 * SIGTERM and @grace_s to run their teardown (exit their environments). */
static int
cancel_slurm (const char *slurm, double grace_s, GError **error)
{
  printf ("farmhand: cancelling Slurm job %s: workers interrupt their commands and run "
          "teardown (grace %g s)\n", slurm, grace_s);
  /* Tasks not started yet have nothing to tear down: they go now (else
   * they would keep the job waiting, or start after the cancel). */
  if (!fh_slurm_cancel_pending (slurm, error) || !fh_slurm_signal_batch (slurm, "TERM", error))
    g_printerr ("farmhand: %s\n", (*error)->message);
  g_clear_error (error);
  if (!await_end (slurm, grace_s))
    printf ("farmhand: grace period over; Slurm ends what is left\n");
  if (!fh_slurm_cancel (slurm, error))
    {
      g_printerr ("farmhand: %s\n", (*error)->message);
      return FH_EXIT_FAILED;
    }
  return FH_EXIT_OK;
}

/* --step NAME: that step only.  Its running tasks are interrupted (a
 * worker of several steps goes on with the others); the steps that
 * depend on it will not run. */
static int
cancel_step (FhJobDir *dir, const char *name, double grace_s)
{
  g_autoptr (GError) err = NULL;
  gint step = fh_job_dir_find_step (dir, name);
  const char *slurm;
  int code = FH_EXIT_OK;

  if (fh_job_dir_get_steps (dir) == NULL)
    return fh_cli_usage_error ("cancel", "job %s has no steps (only an OpenJD job has)", fh_job_dir_get_name (dir));
  if (step < 0)
    return fh_cli_usage_error ("cancel", "job %s has no step %s", fh_job_dir_get_name (dir), name);
  if (!fh_job_dir_mark_step_cancelled (dir, (guint) step, &err))
    return fh_cli_usage_error (NULL, "%s", err->message);
  if ((slurm = fh_job_dir_get_slurm_step (dir, name)) != NULL)
    code = cancel_slurm (slurm, grace_s, &err);
  if (code == FH_EXIT_OK)
    printf ("farmhand: step %s of job %s cancelled: its tasks are not taken, the running ones are "
            "interrupted; the steps that depend on it will not run\n", name, fh_job_dir_get_name (dir));
  return code;
}

int
fh_cli_cancel (int argc, char **argv)
{
  double grace_s = 60;
  g_autofree char *step = NULL;
  const GOptionEntry entries[] = {
    { "grace", 'g', 0, G_OPTION_ARG_DOUBLE, &grace_s, "Seconds the workers get to interrupt their commands and run teardown before Slurm kills what is left (default 60)", "S" },
    { "step", 0, 0, G_OPTION_ARG_STRING, &step, "Cancel only this step of an OpenJD job (and so the steps that depend on it)", "NAME" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "cancel", "JOBDIR", "Cancel a job submitted with 'farmhand submit': no worker takes "
      "another item; each interrupts its command and runs teardown (an OpenJD worker exits its "
      "environments); after the grace period Slurm ends whatever is left.", entries);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJobDir) dir = NULL;
  const char *slurm;
  int code;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("cancel", "%s", err->message);
  if (argc != 2)
    return fh_cli_usage_error ("cancel", "cancel needs exactly one job directory");
  if ((dir = fh_job_dir_open (argv[1], &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  if (step != NULL)
    return cancel_step (dir, step, grace_s);
  if (!fh_job_dir_mark_cancelled (dir, &err))
    return fh_cli_usage_error (NULL, "%s", err->message);
  slurm = fh_job_dir_get_slurm_job (dir);
  if (slurm == NULL)
    {
      signal_local_workers (dir);
      printf ("farmhand: job %s cancelled: workers take no more items\n", fh_job_dir_get_name (dir));
      return FH_EXIT_OK;
    }
  if ((code = cancel_slurm (slurm, grace_s, &err)) == FH_EXIT_OK)
    printf ("farmhand: job %s cancelled\n", fh_job_dir_get_name (dir));
  return code;
}
