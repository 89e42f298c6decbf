/* fh-job-runner.c — one job: setup, agenda items from the host, teardown.
 *
 * Outcomes.
 * - A setup command that fails stops the job before any agenda item runs;
 *   teardown still runs.
 * - An item fails when its command fails, its log or outputs say so
 *   (FhItemReport), it times out or stalls, or the executor dies under it.
 *   It is re-run up to `retries` times and reported once, with its final
 *   status and the number of attempts.
 * - An executor that died, broke the protocol or ran a command out of
 *   time is replaced (setup re-run) up to `max_restarts` times; after a
 *   timeout the session is never trusted again.
 * - Cancel interrupts the running command (SIGINT, grace, SIGTERM, grace,
 *   SIGKILL), runs teardown in the session if it survived, and stops;
 *   a second "cancel now" skips every grace period.
 * - Secrets (env "redact": true) are masked in everything sent to the host.
 */
#include "config.h"

#include "fh-job-runner.h"

#include <time.h>

#include <json-glib/json-glib.h>

#include "fh-executor-connection.h"
#include "fh-error.h"
#include "fh-executor-dir.h"
#include "fh-plugin-error.h"
#include "fh-item-report.h"
#include "fh-json.h"
#include "fh-json-writer.h"
#include "fh-redactor.h"

struct _FhJobRunner
{
  FhJob *job;
  const FhHostApi *host;
  GCancellable *cancel;        /* graceful */
  GCancellable *kill;          /* now */
  GMutex item_lock;
  GCancellable *item_stop;     /* the running item alone (FH_CANCEL_ITEM) */
  gboolean item_running;       /* (item_lock) item_stop may be cancelled */
  FhExecutorConnection *connection;  /* to the current executor */
  FhItemReport *report;        /* findings of the command running */
  FhRedactor *redactor;
  char **argv;
  char **env;
  char *cwd;
  char *transport;             /* "via", joined; NULL without one */
  char *shown;                 /* the argv for the log */
  GBytes *bootstrap;           /* the executor's source, for its loader */
  char *output_dir;
  const char *current_item;    /* name of the item running, for the log */
  double progress_unsent;      /* latest progress not passed on yet, or -1 */
  gint64 progress_sent_at;     /* monotonic µs */
  guint n_complete;
  guint n_failed;
  guint n_adhoc;        /* the host's own commands run, for their names */
  guint restarts;
  char *error;                 /* why the job stopped early */
  FhFailureClass failure;      /* its class */
  char *failure_reason;        /* and its line */
  gboolean setup_failed;
  gboolean teardown_failed;
  gint exit_code;
  gint asked_exit;             /* the host's end item's exit_code, -1: none */
  gboolean closed;
  char *executor_kind;         /* from the executor's hello */
  gint64 executor_pid;
};

FhJobRunner *
fh_job_runner_new (FhJob *job, const FhHostApi *host, const char *output_dir)
{
  FhJobRunner *self = g_new0 (FhJobRunner, 1);
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree const char **secrets = fh_job_get_secrets (job);

  self->output_dir = output_dir != NULL
                         ? g_canonicalize_filename (output_dir, cwd)
                         : g_build_filename (cwd, "farmhand-out", job->name, NULL);
  self->job = job;
  self->host = host;
  self->cancel = g_cancellable_new ();
  self->kill = g_cancellable_new ();
  g_mutex_init (&self->item_lock);
  self->item_stop = g_cancellable_new ();
  self->exit_code = -1;
  self->asked_exit = -1;
  self->redactor = fh_redactor_new (secrets);
  return self;
}

void
fh_job_runner_free (FhJobRunner *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->connection, fh_executor_connection_free);
  g_clear_pointer (&self->report, fh_item_report_free);
  g_clear_pointer (&self->redactor, fh_redactor_free);
  g_clear_object (&self->cancel);
  g_clear_object (&self->kill);
  g_clear_object (&self->item_stop);
  g_mutex_clear (&self->item_lock);
  g_strfreev (self->argv);
  g_strfreev (self->env);
  g_free (self->transport);
  g_free (self->shown);
  g_clear_pointer (&self->bootstrap, g_bytes_unref);
  g_free (self->cwd);
  g_free (self->error);
  g_free (self->failure_reason);
  g_free (self->executor_kind);
  g_free (self->output_dir);
  g_free (self);
}

void
fh_job_runner_cancel (FhJobRunner *self, int flags)
{
  /* All thread-safe; the job thread sees them at once. */
  if (flags & FH_CANCEL_ITEM)
    {
      G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->item_lock);
      if (self->item_running)
        g_cancellable_cancel (self->item_stop);
      return;
    }
  g_cancellable_cancel (self->cancel);
  if (flags & FH_CANCEL_NOW)
    g_cancellable_cancel (self->kill);
}

/* The running item's own stop, for FH_CANCEL_ITEM: reset for each
 * attempt and cancellable only while one runs, so a stop that comes
 * between items stops none.  One for the job: a cancellable per item
 * (and a handler connected to each) cost a short command 6,000
 * instructions.  (transfer none) */
static GCancellable *
begin_item_stop (FhJobRunner *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->item_lock);

  g_cancellable_reset (self->item_stop);
  self->item_running = TRUE;
  return self->item_stop;
}

static void
end_item_stop (FhJobRunner *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->item_lock);

  self->item_running = FALSE;
}

static gboolean
cancelled (FhJobRunner *self)
{
  return g_cancellable_is_cancelled (self->cancel);
}

/* ---- to the host (redacted) --------------------------------------------- */

static char *
redact (FhJobRunner *self, const char *text)
{
  char *masked = text ? fh_redactor_apply (self->redactor, text, strlen (text)) : NULL;

  return masked != NULL ? masked : g_strdup (text);
}

static void
to_host_log (FhJobRunner *self, FhLogStream stream, const char *line, gsize len)
{
  g_autofree char *masked = NULL;

  if (self->host->log_line == NULL)   /* the host does not follow the log (ABI 1.5) */
    return;
  masked = fh_redactor_apply (self->redactor, line, len);
  if (masked != NULL)
    self->host->log_line (self->host->host_data, self->current_item, stream, masked, strlen (masked));
  else
    self->host->log_line (self->host->host_data, self->current_item, stream, line, len);
}

static void host_note (FhJobRunner *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
host_note (FhJobRunner *self, const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  to_host_log (self, FH_LOG_FARMHAND, msg, strlen (msg));
}

/* A render log can report progress on every line (Blender's "Sample
 * 12/128"): the host hears the latest at most every PROGRESS_INTERVAL_US,
 * and always the last one when the item ends (flush_progress).  The
 * item's result keeps the exact last value either way. */
#define PROGRESS_INTERVAL_US (50 * 1000)

/* Good to a few ms, and read from memory: the precise clock costs more
 * than matching a line on some virtual machines, and this runs per line. */
static gint64
coarse_now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC_COARSE, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
send_progress (FhJobRunner *self, double fraction, gint64 now)
{
  self->host->progress (self->host->host_data, self->current_item, fraction);
  self->progress_sent_at = now;
  self->progress_unsent = -1;
}

static void
set_progress (FhJobRunner *self, double fraction)
{
  gint64 now;

  if (fraction < 0 || self->current_item == NULL || self->host->progress == NULL)
    return;
  now = coarse_now_us ();
  if (fraction >= 1.0 || now - self->progress_sent_at >= PROGRESS_INTERVAL_US)
    send_progress (self, fraction, now);
  else
    self->progress_unsent = fraction;
}

static void
flush_progress (FhJobRunner *self)
{
  if (self->progress_unsent >= 0 && self->current_item != NULL)
    send_progress (self, self->progress_unsent, coarse_now_us ());
}

/* Every line goes to the host (one that follows the log); output lines
 * (not echo, not farmhand's own) are also scanned against the job's log
 * patterns. */
static void
on_log (FhLogStream stream, const char *raw, gsize raw_len, gboolean echo, gpointer user_data)
{
  FhJobRunner *self = user_data;
  gboolean scanned = !echo && stream != FH_LOG_FARMHAND;
  g_autofree char *masked = NULL;
  const char *line;
  gsize len;
  FhLogHit hit;

  if (!scanned && self->host->log_line == NULL)
    return;
  /* Masked once, before anything keeps a copy (results keep error lines). */
  masked = fh_redactor_apply (self->redactor, raw, raw_len);
  line = masked ? masked : raw;
  len = masked ? strlen (masked) : raw_len;
  if (self->host->log_line != NULL)
    self->host->log_line (self->host->host_data, self->current_item, stream, line, len);
  if (!scanned)
    return;
  if (fh_log_rules_scan (self->job->log, line, len, &hit))
    set_progress (self, fh_item_report_line (self->report, line, len, &hit));
}

/* Output lines arrive in blocks, as read: the scanner can search a block
 * once rather than every line of it. */
static void
on_block (const char *block, gsize len, gsize max_line, gpointer user_data)
{
  FhJobRunner *self = user_data;

  fh_log_rules_set_block (self->job->log, block, len, max_line);
}

static void
on_message (const FhMessage *msg, gpointer user_data)
{
  FhJobRunner *self = user_data;

  switch (msg->type)
    {
    case FH_MESSAGE_PROGRESS:
      fh_item_report_progress (self->report, msg->fraction);
      set_progress (self, msg->fraction);
      break;
    case FH_MESSAGE_OUTPUT:
      fh_item_report_output (self->report, msg->text);
      break;
    case FH_MESSAGE_LOG:
      to_host_log (self, FH_LOG_FARMHAND, msg->text, strlen (msg->text));
      break;
    default:
      break;
    }
}

static char *first_line (const char *text);
static void
set_error (FhJobRunner *self, FhFailureClass failure, const char *reason, const char *fmt, ...)
    G_GNUC_PRINTF (4, 5);

/* The first reason the job stopped early is the one that matters; its
 * class and line go to the summary (and to the items it did not run). */
static void
set_error (FhJobRunner *self, FhFailureClass failure, const char *reason, const char *fmt, ...)
{
  va_list args;

  if (self->error != NULL)
    return;
  va_start (args, fmt);
  self->error = g_strdup_vprintf (fmt, args);
  va_end (args);
  self->failure = failure;
  self->failure_reason = reason ? g_strdup (reason) : first_line (self->error);
}

/* ---- the executor ------------------------------------------------------- */

/* FARMHAND_OUTPUT_DIR first so the job's env may override it; the job's
 * identity last so it cannot be faked. */
static char **
build_env (FhJobRunner *self)
{
  g_autoptr (GStrvBuilder) env = g_strv_builder_new ();
  g_autofree char *out = g_strdup_printf ("FARMHAND_OUTPUT_DIR=%s", self->output_dir);
  g_autofree char *name = g_strdup_printf ("FARMHAND_JOB_NAME=%s", self->job->name);
  g_autofree char *dir = g_strdup_printf ("FARMHAND_JOB_DIR=%s", self->job->base_dir);

  g_strv_builder_add (env, out);
  for (guint i = 0; i < self->job->env->len; i++)
    {
      const FhEnvVar *var = g_ptr_array_index (self->job->env, i);
      g_autofree char *kv = g_strdup_printf ("%s=%s", var->name, var->value);
      g_strv_builder_add (env, kv);
    }
  g_strv_builder_add_many (env, "FARMHAND_PROTOCOL=1", name, dir, NULL);
  return g_strv_builder_end (env);
}

static gboolean
start_executor (FhJobRunner *self, GError **error)
{
  g_clear_pointer (&self->connection, fh_executor_connection_free);
  host_note (self, "farmhand: starting executor: %s", self->shown);
  self->connection = fh_executor_connection_new (self->cancel, self->kill);
  fh_executor_connection_set_log_func (self->connection, on_log, self);
  fh_executor_connection_set_block_func (self->connection, on_block);
  fh_executor_connection_set_message_func (self->connection, on_message, self);
  fh_executor_connection_set_grace (self->connection, self->job->timeouts.grace_s);
  fh_executor_connection_set_socket_mode (self->connection, self->job->backchannel_socket);
  if (self->job->stdio)
    fh_executor_connection_set_stdio (self->connection, self->transport, self->bootstrap);
  if (!fh_executor_connection_start (self->connection, (const char *const *) self->argv, self->cwd,
                            (const char *const *) self->env, self->job->timeouts.hello_s, error))
    return FALSE;
  g_free (self->executor_kind);
  self->executor_kind = g_strdup (fh_executor_connection_get_hello (self->connection)->kind);
  self->executor_pid = fh_executor_connection_get_hello (self->connection)->pid;
  return TRUE;
}

/* Why a command failed: its own traceback and/or what its log and outputs
 * say (@verdict, taken).  NULL when it did not fail. */
static char *
combine_reasons (const FhCommandResult *r, char *verdict)
{
  g_autofree char *v = verdict;

  if (r->status == FH_STATUS_OK)
    return g_steal_pointer (&v);
  if (v == NULL)
    return g_strdup (r->traceback);
  return g_strdup_printf ("%s\n%s", r->traceback, v);
}

/* How one command ended. */
typedef enum {
  OUTCOME_OK,        /* it succeeded (and its log and outputs agree) */
  OUTCOME_FAILED,    /* it failed: its traceback, or what its log says */
  OUTCOME_STOPPED,   /* farmhand stopped it: timeout, stall, cancel */
  OUTCOME_LOST,      /* the executor died or broke the protocol under it */
  OUTCOME_NOT_SENT,  /* the executor was gone before it: it did not run */
} OutcomeKind;

typedef struct
{
  OutcomeKind kind;
  char *why;                 /* NULL for OUTCOME_OK */
  FhCommandResult *result;   /* NULL unless the executor answered */
  FhFailureClass failure;    /* what kind of failure (FH_FAILURE_NONE: ok) */
  char *reason;              /* its one line */
} Outcome;

static void
outcome_clear (Outcome *o)
{
  g_clear_pointer (&o->why, g_free);
  g_clear_pointer (&o->reason, g_free);
  g_clear_pointer (&o->result, fh_command_result_free);
}

static char *
first_line (const char *text)
{
  const char *nl = text ? strchr (text, '\n') : NULL;

  return text ? g_strndup (text, nl ? (gsize) (nl - text) : MIN (strlen (text), 200)) : NULL;
}

/* The last non-empty line: what a traceback says happened. */
static char *
last_line (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

  for (guint n = g_strv_length (lines); n > 0; n--)
    if (*g_strstrip (lines[n - 1]) != '\0')
      return g_strndup (lines[n - 1], 200);
  return g_strdup ("the command failed");
}

/* A command that failed with nothing in its log to say why: its exception
 * (Python), a signal that killed it, or its exit status. */
static FhFailureClass
command_failure (FhJobRunner *self, const FhCommandResult *r, char **reason)
{
  static const struct { int signum; const char *name; } crashes[] = {
    { 11, "SIGSEGV" }, { 6, "SIGABRT" }, { 7, "SIGBUS" }, { 4, "SIGILL" }, { 8, "SIGFPE" },
  };

  if (r->has_code && r->code > 128)
    for (guint i = 0; i < G_N_ELEMENTS (crashes); i++)
      if (r->code - 128 == crashes[i].signum)
        {
          *reason = g_strdup_printf ("the command was killed by %s (status %" G_GINT64_FORMAT ")", crashes[i].name,
                                     r->code);
          return FH_FAILURE_CRASH;
        }
  if (r->has_code && r->code != 0)
    {
      *reason = g_strdup_printf ("the command exited with status %" G_GINT64_FORMAT, r->code);
      return FH_FAILURE_EXIT_CODE;
    }
  *reason = last_line (r->traceback);
  return FH_FAILURE_ERROR;
}

/* Why the command of @out failed, as a class and a line. */
static void
classify (FhJobRunner *self, Outcome *out, const GError *err)
{
  if (out->kind == OUTCOME_OK)
    return;
  g_clear_pointer (&out->reason, g_free);
  if (out->kind == OUTCOME_STOPPED)
    out->failure = g_error_matches (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_TIMEOUT) ? FH_FAILURE_TIMEOUT
                   : g_error_matches (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_STALLED) ? FH_FAILURE_STALL
                                                                                         : FH_FAILURE_CANCELLED;
  else if (out->kind == OUTCOME_LOST || out->kind == OUTCOME_NOT_SENT)
    out->failure = FH_FAILURE_EXECUTOR_LOST;
  else if ((out->failure = fh_item_report_failure (self->report, &out->reason)) == FH_FAILURE_NONE)
    out->failure = command_failure (self, out->result, &out->reason);
  if (out->reason == NULL)
    out->reason = first_line (out->why);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Outcome, outcome_clear)

/* Runs one command (@check_outputs: judge its declared outputs too;
 * @interrupt, nullable: stops it alone). */
static void
run_command (FhJobRunner *self, FhPhase phase, const char *command, const FhItemFields *item,
             double timeout_s, gboolean check_outputs, GCancellable *interrupt, Outcome *out)
{
  FhRunLimits limits = { .timeout_s = timeout_s, .stall_s = self->job->timeouts.stall_s,
                         .cancellable = phase != FH_PHASE_TEARDOWN, .interrupt = interrupt };
  g_autoptr (GError) err = NULL;

  out->result = fh_executor_connection_run (self->connection, phase, command, item, &limits, &err);
  if (out->result != NULL)
    {
      out->why = combine_reasons (out->result, fh_item_report_verdict (self->report, check_outputs));
      out->kind = out->why == NULL ? OUTCOME_OK : OUTCOME_FAILED;
      classify (self, out, NULL);
      return;
    }
  out->why = g_strdup (err->message);
  out->kind = g_error_matches (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_TIMEOUT) ||
              g_error_matches (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_STALLED) ||
              g_error_matches (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_CANCELLED)
                  ? OUTCOME_STOPPED
              : g_error_matches (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_GONE) ? OUTCOME_NOT_SENT
                                                                                 : OUTCOME_LOST;
  classify (self, out, err);
  /* After a timeout or a stall the session cannot be trusted: end it. */
  if (g_error_matches (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_TIMEOUT) ||
      g_error_matches (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_STALLED))
    fh_executor_connection_terminate (self->connection);
}

/* Runs the setup commands.  FALSE: setup failed (self->setup_failed, the
 * reason in self->error), or the executor died under it and may be
 * replaced. */
static gboolean
run_setup (FhJobRunner *self)
{
  for (guint i = 0; i < self->job->setup->len; i++)
    {
      g_autofree char *command = fh_job_expand_hook (self->job, g_ptr_array_index (self->job->setup, i));
      g_auto (Outcome) out = { 0 };

      fh_item_report_reset (self->report, NULL, 0);
      run_command (self, FH_PHASE_SETUP, command, NULL, self->job->timeouts.setup_s, FALSE, NULL,
                   &out);
      if (out.kind == OUTCOME_OK)
        continue;
      host_note (self, "farmhand: setup[%u] failed: %s", i, out.why);
      /* A failing (or hanging) setup command will fail again; a crash
       * may not. */
      if ((out.kind != OUTCOME_LOST && out.kind != OUTCOME_NOT_SENT) || cancelled (self))
        {
          self->setup_failed = TRUE;
          set_error (self, out.failure, out.reason, "setup[%u] failed: %s", i, out.why);
        }
      return FALSE;
    }
  return TRUE;
}

/* Brings up an executor and runs setup; on a start failure or an executor
 * that stops during setup, tries again while max_restarts allows. */
static gboolean
bring_up (FhJobRunner *self, gboolean first)
{
  for (;;)
    {
      g_autoptr (GError) err = NULL;

      if (!first && self->restarts >= self->job->max_restarts)
        {
          set_error (self, FH_FAILURE_EXECUTOR_LOST, NULL,
                     "the executor stopped %u time%s; max_restarts (%u) reached",
                     self->restarts + 1, self->restarts == 0 ? "" : "s", self->job->max_restarts);
          return FALSE;
        }
      if (!first)
        host_note (self, "farmhand: restarting the executor (restart %u of at most %u)",
                   ++self->restarts, self->job->max_restarts);
      if (!start_executor (self, &err))
        {
          set_error (self, FH_FAILURE_EXECUTOR_LOST, NULL, "the executor did not start: %s",
                     err->message);
          return FALSE;
        }
      if (run_setup (self))
        return TRUE;
      if (self->setup_failed || cancelled (self))
        return FALSE;
      first = FALSE;
    }
}

/* ---- agenda items ------------------------------------------------------- */

/* An item's result: its JSON for the host, written as it is made (no
 * tree: it is the one document every item costs), and the reason a retry
 * note quotes. */
typedef struct
{
  GString *json;
  char *reason;         /* nullable: it did not fail */
} ItemResult;

static void
item_result_clear (ItemResult *r)
{
  if (r->json != NULL)
    g_string_free (g_steal_pointer (&r->json), TRUE);
  g_clear_pointer (&r->reason, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ItemResult, item_result_clear)

static void
report (FhJobRunner *self, const ItemResult *result)
{
  self->host->report_item (self->host->host_data, result->json->str);
}

/* A failed result's class and one-line reason (the reason redacted, and
 * kept in @result). */
static void
write_failure (FhJobRunner *self, ItemResult *result, FhFailureClass failure, const char *reason)
{
  g_autofree char *masked = redact (self, reason);

  fh_json_writer_key (result->json, "class");
  fh_json_writer_string (result->json, fh_failure_name (failure));
  fh_json_writer_key (result->json, "reason");
  fh_json_writer_string (result->json, masked ? masked : fh_failure_name (failure));
  /* What a host needs to act (avoid the machine), so no host knows the
   * classes (ABI 1.2). */
  fh_json_writer_key (result->json, "machine_bound");
  fh_json_writer_boolean (result->json, fh_failure_is_machine_bound (failure));
  result->reason = masked ? g_steal_pointer (&masked) : g_strdup (fh_failure_name (failure));
}

static void
write_string_member (GString *out, const char *key, const char *value)
{
  fh_json_writer_key (out, key);
  fh_json_writer_string (out, value);
}

static void
report_unknown (FhJobRunner *self, const char *name, const char *tb)
{
  g_auto (ItemResult) r = { g_string_sized_new (256), NULL };

  fh_json_writer_begin (r.json, '{');
  write_string_member (r.json, "name", name);
  write_string_member (r.json, "status", "failed");
  write_string_member (r.json, "traceback", tb);
  fh_json_writer_key (r.json, "elapsed_s");
  fh_json_writer_micros (r.json, 0);
  write_failure (self, &r, FH_FAILURE_ERROR, tb);
  fh_json_writer_end (r.json, '}');
  self->n_failed++;
  report (self, &r);
}

/* One item the host served: an item of the agenda, or a command of the
 * host's own (an ad-hoc item, as a Qube-style job type sends them). */
typedef struct
{
  char *name;
  char *command;        /* as it runs */
  gint64 index;         /* in the agenda; -1 for a command of the host's */
  GArray *frames;       /* gint64 */
} Work;

static void
work_clear (Work *w)
{
  g_clear_pointer (&w->name, g_free);
  g_clear_pointer (&w->command, g_free);
  g_clear_pointer (&w->frames, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Work, work_clear)

/* @w's result (schemas/result.schema.json), in the members' order of
 * every farmhand result. */
static void
item_result (FhJobRunner *self, const Work *w, const FhCommandResult *r, const char *why,
             FhFailureClass failure, const char *reason, gint64 elapsed_us, guint attempts,
             ItemResult *out)
{
  g_autofree char *masked = redact (self, why);
  g_autoptr (JsonObject) report = fh_item_report_to_json (self->report);
  GString *json = out->json = g_string_sized_new (256);

  fh_json_writer_begin (json, '{');
  write_string_member (json, "name", w->name);
  if (w->index >= 0)
    {
      fh_json_writer_key (json, "index");
      fh_json_writer_int (json, w->index);
    }
  fh_json_writer_key (json, "frames");
  fh_json_writer_begin (json, '[');
  for (guint i = 0; i < w->frames->len; i++)
    fh_json_writer_int (json, g_array_index (w->frames, gint64, i));
  fh_json_writer_end (json, ']');
  write_string_member (json, "status", why == NULL ? "complete" : "failed");
  fh_json_writer_key (json, "elapsed_s");
  fh_json_writer_micros (json, elapsed_us);
  fh_json_writer_key (json, "attempts");
  fh_json_writer_int (json, attempts);
  if (r != NULL && r->has_code)
    {
      fh_json_writer_key (json, "code");
      fh_json_writer_int (json, r->code);
    }
  if (masked != NULL)
    write_string_member (json, "traceback", masked);
  if (why != NULL)
    write_failure (self, out, failure != FH_FAILURE_NONE ? failure : FH_FAILURE_ERROR, reason ? reason : why);
  if (report != NULL)
    fh_json_writer_members (json, report);
  fh_json_writer_end (json, '}');
}

/* One attempt at @w: its result (and its failure) into @result.  FALSE
 * when the command never reached the executor (*@lost: why, transfer
 * full): then it did not run. */
static gboolean
attempt_item (FhJobRunner *self, const Work *w, guint attempt, gboolean *ok, FhFailureClass *failure,
              ItemResult *result, char **lost)
{
  g_auto (Outcome) out = { 0 };
  GCancellable *stop = begin_item_stop (self);
  gint64 started = g_get_monotonic_time ();
  FhItemFields item = { w->index, w->name, (const gint64 *) w->frames->data, w->frames->len };

  fh_item_report_reset (self->report, (const gint64 *) w->frames->data, w->frames->len);
  self->current_item = w->name;
  self->progress_unsent = -1;
  self->progress_sent_at = 0;
  run_command (self, FH_PHASE_AGENDA, w->command, &item, self->job->timeouts.command_s, TRUE,
               stop, &out);
  end_item_stop (self);
  flush_progress (self);
  self->current_item = NULL;
  *ok = out.kind == OUTCOME_OK;
  *failure = out.failure;
  item_result (self, w, out.result, out.why, out.failure, out.reason,
               g_get_monotonic_time () - started, attempt, result);
  if (out.kind != OUTCOME_NOT_SENT)
    return TRUE;
  *lost = g_steal_pointer (&out.why);
  return FALSE;
}

/* The executor is gone (@lost says how): a new one, with setup.  FALSE,
 * with @w reported as not run, when none comes up. */
static gboolean
replace_lost (FhJobRunner *self, const Work *w, const char *lost, ItemResult *result)
{
  g_autofree char *why = NULL;

  host_note (self, "farmhand: %s", lost);
  if (bring_up (self, FALSE))
    return TRUE;
  why = g_strdup_printf ("not run: %s; %s", lost, self->error);
  item_result_clear (result);
  item_result (self, w, NULL, why, FH_FAILURE_EXECUTOR_LOST, lost, 0, 0, result);
  self->n_failed++;
  report (self, result);
  return FALSE;
}

/* Runs @w, re-running it after a failure up to `retries` times and
 * replacing a dead executor on the way.  FALSE when the job cannot go on
 * (no executor, or cancelled). */
static gboolean
run_item (FhJobRunner *self, const Work *w)
{
  g_auto (ItemResult) result = { 0 };
  gboolean ok = FALSE, resent = FALSE;
  guint attempt;

  /* An executor known to be gone is replaced first.  One that died while
   * the host had no work for it (a session idle between tasks) and is
   * not known to be yet has closed its stdin: the command does not reach
   * it and is sent again, to a new one — once, so an executor that dies
   * as it starts cannot loop.  (No look for events before each item: a
   * poll per item is a tenth of a short command's time.) */
  if (!fh_executor_connection_is_alive (self->connection) && !cancelled (self))
    {
      g_autofree char *lost = fh_executor_connection_describe_loss (self->connection);

      if (!replace_lost (self, w, lost, &result))
        return FALSE;
    }
  for (attempt = 1;; attempt++)
    {
      FhFailureClass failure = FH_FAILURE_NONE;
      g_autofree char *lost = NULL;
      guint retries;

      item_result_clear (&result);
      if (!attempt_item (self, w, attempt, &ok, &failure, &result, &lost) && !resent && !cancelled (self))
        {
          resent = TRUE;
          attempt--;
          if (!replace_lost (self, w, lost, &result))
            return FALSE;
          continue;
        }
      /* What retrying cannot fix (a licence, say) may be set not to retry. */
      retries = fh_job_retries_for (self->job, failure);
      if (ok || cancelled (self) || attempt > retries)
        break;
      host_note (self, "farmhand: item %s failed (attempt %u of %u, %s): %s; retrying", w->name,
                 attempt, retries + 1, fh_failure_name (failure),
                 result.reason ? result.reason : "");
      if (!fh_executor_connection_is_alive (self->connection) && !bring_up (self, FALSE))
        break;
    }
  if (ok)
    self->n_complete++;
  else
    self->n_failed++;
  report (self, &result);
  if (cancelled (self))
    return FALSE;
  return fh_executor_connection_is_alive (self->connection) || bring_up (self, FALSE);
}

static gboolean
agenda_work (FhJobRunner *self, guint index, Work *w)
{
  const gint64 *frames;
  guint n;

  w->index = index;
  w->name = fh_agenda_dup_item_name (self->job->agenda, index);
  w->command = fh_job_expand_item (self->job, index);
  frames = fh_agenda_get_item_frames (self->job->agenda, index, &n);
  w->frames = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  g_array_append_vals (w->frames, frames, n);
  return TRUE;
}

/* {"command": TEXT, "name"?: NAME, "frames"?: [N, ...]}: run TEXT as it
 * is (no template), named NAME (default "command-N"). */
static gboolean
adhoc_work (FhJobRunner *self, JsonObject *o, Work *w, GError **error)
{
  JsonNode *command = json_object_get_member (o, "command");
  JsonNode *frames = json_object_get_member (o, "frames");
  JsonArray *list = frames && JSON_NODE_HOLDS_ARRAY (frames) ? json_node_get_array (frames) : NULL;
  const char *name = json_object_get_string_member_with_default (o, "name", NULL);

  w->name = name && *name ? g_strdup (name) : g_strdup_printf ("command-%u", ++self->n_adhoc);
  if (!JSON_NODE_HOLDS_VALUE (command) || json_node_get_value_type (command) != G_TYPE_STRING ||
      *json_node_get_string (command) == '\0')
    return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                     "the host's work item: \"command\" must be a non-empty string");
  if (frames != NULL && list == NULL)
    return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                     "the host's work item: \"frames\" must be an array of integers");
  w->frames = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonNode *f = json_array_get_element (list, i);
      gint64 frame;
      if (!JSON_NODE_HOLDS_VALUE (f) || json_node_get_value_type (f) != G_TYPE_INT64)
        return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                         "the host's work item: frames[%u] is not an integer", i);
      frame = json_node_get_int (f);
      g_array_append_val (w->frames, frame);
    }
  w->command = g_strdup (json_node_get_string (command));
  w->index = -1;
  return TRUE;
}

/* The host's work item @o (NULL: not a JSON object; @json is the text):
 * {"name": ...} or {"index": ...} for an agenda item, {"command": ...} for
 * one of its own.  FALSE when it names none (w->name set when there is a
 * name to report the failure under). */
static gboolean
parse_work (FhJobRunner *self, JsonObject *o, const char *json, Work *w, GError **error)
{
  const char *by_name = o ? json_object_get_string_member_with_default (o, "name", NULL) : NULL;
  gint64 by_index = o ? json_object_get_int_member_with_default (o, "index", -1) : -1;
  guint n = fh_job_get_n_items (self->job);
  guint index;

  if (o != NULL && json_object_has_member (o, "command"))
    return adhoc_work (self, o, w, error);
  if (by_name != NULL)
    {
      if (fh_agenda_lookup (self->job->agenda, by_name, &index))
        return agenda_work (self, index, w);
      w->name = g_strdup (by_name);
      return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                       "the job's agenda has no item named '%s'", by_name);
    }
  if (by_index >= 0 && by_index < n)
    return agenda_work (self, (guint) by_index, w);
  if (o != NULL && json_object_has_member (o, "index"))
    {
      w->name = g_strdup_printf ("#%" G_GINT64_FORMAT, by_index);
      return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                       "the job's agenda has no item %" G_GINT64_FORMAT " (it has %u, from 0)",
                       by_index, n);
    }
  return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
                   "the host's work item is not an object with a \"name\", an \"index\" or a "
                   "\"command\": %s", json);
}

/* {"end": true, "exit_code"?: N} (ABI 1.2): no more work, and the code the
 * executor is asked to exit with after teardown.  FALSE: not an end. */
static gboolean
parse_end (FhJobRunner *self, JsonObject *o)
{
  gint64 code;

  if (o == NULL || !json_object_get_boolean_member_with_default (o, "end", FALSE))
    return FALSE;
  code = json_object_get_int_member_with_default (o, "exit_code", 0);
  if (code < 0 || code > 255)
    host_note (self, "farmhand: the host's end item asks for exit code %" G_GINT64_FORMAT
               ", not one from 0 to 255: the executor ends with 0", code);
  self->asked_exit = code < 0 || code > 255 ? 0 : (gint) code;
  return TRUE;
}

/* The host's next item as JSON into @w.  FALSE: no more work (an end);
 * TRUE with @error set: an item the job does not have. */
static gboolean
take_json_item (FhJobRunner *self, Work *w, GError **error)
{
  char *json = self->host->next_item (self->host->host_data);
  g_autoptr (JsonObject) o = NULL;

  if (json == NULL)
    return FALSE;
  /* Parsed once, for the end and the work: json-glib's parse is most of
   * what an item given as JSON costs here. */
  o = fh_json_parse_object (json, -1, NULL);
  if (parse_end (self, o))
    {
      self->host->free_item (self->host->host_data, json);
      return FALSE;
    }
  parse_work (self, o, json, w, error);
  self->host->free_item (self->host->host_data, json);
  return TRUE;
}

/* The host's next item into @w, by index when the host gives one
 * (next_index, ABI 1.4: no JSON either side).  FALSE: no more work;
 * TRUE with @error set: an item the job does not have. */
static gboolean
take_item (FhJobRunner *self, Work *w, GError **error)
{
  gint64 index = FH_HOST_HAS (self->host, next_index) ? self->host->next_index (self->host->host_data)
                                                       : FH_NEXT_ITEM_JSON;
  guint n = fh_job_get_n_items (self->job);

  if (index == FH_NEXT_ITEM_JSON)
    return take_json_item (self, w, error);
  if (index >= 0 && index < n)
    return agenda_work (self, (guint) index, w);
  if (index == FH_NEXT_ITEM_NONE)
    return FALSE;
  if (index >= 0)
    w->name = g_strdup_printf ("#%" G_GINT64_FORMAT, index);
  fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_INPUT,
            "the host's next_index gave %" G_GINT64_FORMAT ": the job's agenda has items 0 to %d",
            index, (int) n - 1);
  return TRUE;
}

static void
run_agenda (FhJobRunner *self)
{
  while (!cancelled (self))
    {
      g_autoptr (GError) err = NULL;
      g_auto (Work) w = { 0 };

      if (!take_item (self, &w, &err))
        return;
      if (err != NULL && w.name == NULL)
        host_note (self, "farmhand: %s", err->message);
      else if (err != NULL)
        report_unknown (self, w.name, err->message);
      else if (!run_item (self, &w))
        return;
    }
}

/* ---- teardown and the end ----------------------------------------------- */

/* Every teardown command runs while the session lives; each is a separate
 * clean-up.  A cancel does not stop them, a kill does. */
static void
run_teardown (FhJobRunner *self)
{
  for (guint i = 0; i < self->job->teardown->len; i++)
    {
      g_autofree char *command = fh_job_expand_hook (self->job, g_ptr_array_index (self->job->teardown, i));
      g_auto (Outcome) out = { 0 };

      if (!fh_executor_connection_is_alive (self->connection))
        {
          host_note (self, "farmhand: teardown not run: the executor is gone");
          self->teardown_failed = self->job->teardown->len > 0;
          return;
        }
      fh_item_report_reset (self->report, NULL, 0);
      run_command (self, FH_PHASE_TEARDOWN, command, NULL, self->job->timeouts.teardown_s, FALSE,
                   NULL, &out);
      if (out.kind == OUTCOME_OK)
        continue;
      host_note (self, "farmhand: teardown[%u] failed: %s", i, out.why);
      self->teardown_failed = TRUE;
    }
}

static void
close_executor (FhJobRunner *self)
{
  if (self->connection == NULL || self->closed)
    return;
  self->closed = TRUE;
  self->exit_code = fh_executor_connection_close (self->connection, self->asked_exit, self->job->timeouts.grace_s);
  host_note (self, "farmhand: executor exited with code %d", self->exit_code);
}

/* The executor's argv: the preset's or the job's, after "via" when there
 * is a transport; with nothing installed on the far side (no
 * remote_executor) a preset's bootstrap_argv, whose loader reads the
 * executor's source first. */
static gboolean
compose_argv (FhJobRunner *self)
{
  const FhJob *job = self->job;
  const char *const *src = (const char *const *) job->executor_argv;
  g_autoptr (GError) err = NULL;
  g_auto (GStrv) expanded = NULL;
  g_autofree char *shown = NULL;

  if (!job->stdio)
    {
      self->argv = fh_executor_dir_expand_argv (src);
      self->shown = g_strjoinv (" ", self->argv);
      return TRUE;
    }
  if (job->bootstrap_argv != NULL && job->remote_executor == NULL)
    src = (const char *const *) job->bootstrap_argv;
  expanded = fh_executor_dir_expand_remote_argv (src, job->remote_executor, &self->bootstrap, &shown, &err);
  if (expanded == NULL)
    {
      set_error (self, FH_FAILURE_EXECUTOR_LOST, NULL, "cannot send the executor's source: %s",
                 err->message);
      return FALSE;
    }
  if (job->via != NULL)
    {
      self->argv = fh_executor_dir_prefix_argv ((const char *const *) job->via, (const char *const *) expanded);
      self->transport = g_strjoinv (" ", job->via);
      self->shown = g_strdup_printf ("%s %s", self->transport, shown);
    }
  else
    {
      self->argv = g_steal_pointer (&expanded);
      self->shown = g_steal_pointer (&shown);
    }
  return TRUE;
}

static FhRunStatus
run_job (FhJobRunner *self)
{
  /* Cancelled before it ran: it runs nothing. */
  if (cancelled (self))
    {
      set_error (self, FH_FAILURE_CANCELLED, NULL, "the job was cancelled before it ran");
      return FH_RUN_CANCELLED;
    }
  if (!compose_argv (self))
    return FH_RUN_JOB_FAILED;
  self->env = build_env (self);
  self->cwd = fh_job_map_path (self->job, self->job->cwd);
  self->report = fh_item_report_new (self->job, self->cwd);
  if (bring_up (self, TRUE))
    run_agenda (self);
  if (self->connection != NULL)
    run_teardown (self);
  close_executor (self);
  if (cancelled (self))
    {
      set_error (self, FH_FAILURE_CANCELLED, NULL, "the job was cancelled");
      return FH_RUN_CANCELLED;
    }
  if (self->error != NULL)
    return FH_RUN_JOB_FAILED;
  return self->n_failed > 0 || self->teardown_failed ? FH_RUN_ITEMS_FAILED : FH_RUN_OK;
}

static const char *
status_name (FhRunStatus status)
{
  switch (status)
    {
    case FH_RUN_OK: return "complete";
    case FH_RUN_ITEMS_FAILED: return "failed";
    case FH_RUN_JOB_FAILED: return "job_failed";
    case FH_RUN_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

static char *
build_summary (FhJobRunner *self, FhRunStatus status)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autoptr (JsonObject) ex = json_object_new ();
  g_autoptr (JsonArray) argv = json_array_new ();
  g_autofree char *error = redact (self, self->error);

  json_object_set_string_member (o, "status", status_name (status));
  if (self->error != NULL && self->failure != FH_FAILURE_NONE)
    {
      g_autofree char *reason = redact (self, self->failure_reason);
      json_object_set_string_member (o, "class", fh_failure_name (self->failure));
      json_object_set_string_member (o, "reason", reason);
    }
  json_object_set_int_member (o, "items_complete", self->n_complete);
  json_object_set_int_member (o, "items_failed", self->n_failed);
  if (error != NULL)
    json_object_set_string_member (o, "error", error);
  if (self->teardown_failed)
    json_object_set_boolean_member (o, "teardown_failed", TRUE);
  for (guint i = 0; self->argv != NULL && self->argv[i] != NULL; i++)
    json_array_add_string_element (argv, self->argv[i]);
  json_object_set_array_member (ex, "argv", g_steal_pointer (&argv));
  if (self->executor_kind != NULL)
    {
      json_object_set_string_member (ex, "kind", self->executor_kind);
      json_object_set_int_member (ex, "pid", self->executor_pid);
    }
  json_object_set_int_member (ex, "restarts", self->restarts);
  if (self->closed)
    json_object_set_int_member (ex, "exit_code", self->exit_code);
  json_object_set_object_member (o, "executor", g_steal_pointer (&ex));
  return fh_json_object_to_string (o);
}

int
fh_job_runner_run (FhJobRunner *self, char **summary_json)
{
  GMainContext *context = g_main_context_new ();
  FhRunStatus status;

  g_main_context_push_thread_default (context);
  status = run_job (self);
  /* Sources of the connection live on this context: free it here. */
  g_clear_pointer (&self->connection, fh_executor_connection_free);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  if (summary_json != NULL)
    *summary_json = build_summary (self, status);
  return status;
}
