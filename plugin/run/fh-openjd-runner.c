/* fh-openjd-runner.c — one OpenJD Session: environments, tasks, actions. */
#include "config.h"

#include "fh-openjd-runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "fh-action-process.h"
#include "fh-executor-dir.h"
#include "fh-failure.h"
#include "fh-item-report.h"
#include "fh-json.h"
#include "fh-log-rules.h"
#include "fh-openjd-directives.h"
#include "fh-plugin-error.h"
#include "fh-proc.h"
#include "fh-error.h"
#include "fh-source.h"

#define REDACTED "********"
#define NOTIFY_DEFAULT_RUN_S 120
#define NOTIFY_DEFAULT_ENV_S 30

/* An environment the session entered (or tried to). */
typedef struct
{
  const FhOjEnvironment *env;
  gboolean step;              /* a step's (exited when the step changes) */
  GHashTable *set;            /* name -> value: variables, then openjd_env */
  GHashTable *unset;          /* names: openjd_unset_env */
} Entered;

/* What one action did. */
typedef struct
{
  gboolean ran;               /* it started */
  int exit_code;
  gboolean timed_out;
  gboolean cancelled;
  char *fail_message;         /* openjd_fail, or why it could not run */
  char *status_message;
  char *malformed;            /* a malformed directive cancelled it */
  gint64 elapsed_us;
} Outcome;

struct _FhOjRunner
{
  FhOjJob *job;
  const FhHostApi *host;
  FhOjRunnerOptions options;
  GMainContext *context;
  FhItemReport *report;

  /* the session */
  char *launcher;             /* farmhand-action */
  char *workdir;
  char *files_dir;
  char *mapping_file;
  GHashTable *symbols;        /* the session's: job's, PATH params mapped, Session.* */
  GPtrArray *entered;         /* Entered*, in the order entered */
  GPtrArray *redacted;        /* char*: values hidden in every line */
  GArray *groups;             /* pid_t: every action's process group */
  const FhOjJobStep *step;    /* whose environments are entered */
  gboolean ending;            /* a failure or cancel: exits only */
  gboolean task_failed;       /* what ended it was a task's failure */
  gboolean env_failed;
  gboolean exit_failed;
  char *error;

  /* the running action */
  FhActionProcess *proc;
  Entered *entering;          /* openjd_env goes here (onEnter only) */
  const char *item;           /* the task's name, or NULL */
  Outcome *outcome;
  gboolean directive_note;    /* said once per action: env directives ignored */
  GSource *timer;
  GSource *kill_timer;
  FhOjCancelMode cancel_mode;
  guint notify_s;
  gboolean cancel_started;

  /* cancellation, from any thread */
  GMutex lock;
  gboolean cancel_requested;
  gboolean cancel_now;
  gboolean cancel_item;

  guint n_complete;
  guint n_failed;
};

static void
entered_free (Entered *e)
{
  g_hash_table_unref (e->set);
  g_hash_table_unref (e->unset);
  g_free (e);
}

static void
outcome_clear (Outcome *o)
{
  g_clear_pointer (&o->fail_message, g_free);
  g_clear_pointer (&o->status_message, g_free);
  g_clear_pointer (&o->malformed, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Outcome, outcome_clear)

FhOjRunner *
fh_oj_runner_new (FhOjJob *job, const FhHostApi *host, const FhOjRunnerOptions *options)
{
  FhOjRunner *self = g_new0 (FhOjRunner, 1);
  g_autofree char *dir = fh_executor_dir ();

  self->job = job;
  self->host = host;
  self->options = *options;
  self->launcher = g_build_filename (dir, "farmhand-action", NULL);
  self->entered = g_ptr_array_new_with_free_func ((GDestroyNotify) entered_free);
  self->redacted = g_ptr_array_new_with_free_func (g_free);
  self->groups = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_mutex_init (&self->lock);
  return self;
}

void
fh_oj_runner_free (FhOjRunner *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->report, fh_item_report_free);
  g_clear_pointer (&self->symbols, g_hash_table_unref);
  g_ptr_array_unref (self->entered);
  g_ptr_array_unref (self->redacted);
  g_array_unref (self->groups);
  g_free (self->launcher);
  g_free (self->workdir);
  g_free (self->files_dir);
  g_free (self->mapping_file);
  g_free (self->error);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* ---- cancellation ------------------------------------------------------- */

void
fh_oj_runner_cancel (FhOjRunner *self, int flags)
{
  g_mutex_lock (&self->lock);
  if (flags & FH_CANCEL_ITEM)
    self->cancel_item = TRUE;
  else
    {
      self->cancel_requested = TRUE;
      if (flags & FH_CANCEL_NOW)
        self->cancel_now = TRUE;
    }
  g_mutex_unlock (&self->lock);
  if (self->context != NULL)
    g_main_context_wakeup (self->context);
}

static gboolean
cancelled (FhOjRunner *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return self->cancel_requested;
}

/* ---- redaction and the log ---------------------------------------------- */

static gint
longer_first (gconstpointer a, gconstpointer b)
{
  gsize x = strlen (*(char **) a), y = strlen (*(char **) b);

  return x > y ? -1 : x < y;
}

static void
add_redacted (FhOjRunner *self, const char *value)
{
  g_auto (GStrv) lines = g_strsplit (value, "\n", -1);

  /* A value of several lines is hidden line by line. */
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0' && !g_ptr_array_find_with_equal_func (self->redacted, lines[i], g_str_equal, NULL))
      g_ptr_array_add (self->redacted, g_strdup (lines[i]));
  g_ptr_array_sort (self->redacted, longer_first);
}

/* @text with every redacted value replaced (longest first).
 * (transfer full) */
static char *
redact (FhOjRunner *self, const char *text, gssize len)
{
  GString *out = g_string_new_len (text, len < 0 ? (gssize) strlen (text) : len);

  for (guint i = 0; i < self->redacted->len; i++)
    g_string_replace (out, g_ptr_array_index (self->redacted, i), REDACTED, 0);
  return g_string_free (out, FALSE);
}

/* A line of farmhand's own in the job log. */
static void
note (FhOjRunner *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
note (FhOjRunner *self, const char *fmt, ...)
{
  va_list args;
  g_autofree char *text = NULL, *masked = NULL;

  if (self->host->log_line == NULL)   /* the host does not follow the log (ABI 1.5) */
    return;
  va_start (args, fmt);
  text = g_strdup_vprintf (fmt, args);
  va_end (args);
  masked = redact (self, text, -1);
  self->host->log_line (self->host->host_data, self->item, FH_LOG_FARMHAND, masked, strlen (masked));
}

/* ---- the session's directory, symbols and environment -------------------- */

static gboolean
make_workdir (FhOjRunner *self, GError **error)
{
  g_autofree char *root = self->options.root ? g_strdup (self->options.root)
                                             : g_build_filename (g_get_tmp_dir (), "OpenJD", NULL);
  g_autofree char *tmpl = NULL;
  g_autofree char *mapping = NULL;

  if (g_mkdir_with_parents (root, 0755) != 0)
    return fh_throw_errno (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_SESSION, errno, "creating the sessions' directory %s", root);
  tmpl = g_build_filename (root, "session-XXXXXX", NULL);
  if (g_mkdtemp_full (tmpl, 0700) == NULL)
    return fh_throw_errno (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_SESSION, errno, "creating a session directory in %s", root);
  self->workdir = g_steal_pointer (&tmpl);
  self->files_dir = g_build_filename (self->workdir, "embedded_files", NULL);
  if (g_mkdir (self->files_dir, 0700) != 0)
    return fh_throw_errno (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_SESSION, errno, "creating %s", self->files_dir);
  self->mapping_file = g_build_filename (self->workdir, "path_mapping.json", NULL);
  mapping = fh_oj_path_mapping_to_json (self->job->path_mapping);
  return g_file_set_contents_full (self->mapping_file, mapping, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* The session's symbols: the job's, PATH parameters mapped, Session.*. */
static void
session_symbols (FhOjRunner *self)
{
  GHashTableIter it;
  gpointer k, v;

  self->symbols = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init (&it, self->job->symbols);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (self->symbols, g_strdup (k), g_strdup (v));
  for (guint i = 0; i < self->job->params->len; i++)
    {
      const FhOjJobParam *p = g_ptr_array_index (self->job->params, i);
      if (p->type == FH_OJ_PATH)
        g_hash_table_insert (self->symbols, g_strconcat ("Param.", p->name, NULL),
                             fh_oj_path_mapping_apply (self->job->path_mapping, p->value));
    }
  g_hash_table_insert (self->symbols, g_strdup ("Session.WorkingDirectory"), g_strdup (self->workdir));
  g_hash_table_insert (self->symbols, g_strdup ("Session.PathMappingRulesFile"), g_strdup (self->mapping_file));
  g_hash_table_insert (self->symbols, g_strdup ("Session.HasPathMappingRules"),
                       g_strdup (fh_oj_path_mapping_is_empty (self->job->path_mapping) ? "false" : "true"));
}

static const char *
lookup (const char *name, gpointer table)
{
  return g_hash_table_lookup (table, name);
}

/* The variables an action runs with: farmhand's own environment, then
 * each entered environment's in order (its sets, then its unsets). */
static char **
action_environ (FhOjRunner *self, const Entered *entering)
{
  /* What openjd-sessions gives every action besides: the session's
   * working directory. */
  char **env = g_environ_setenv (g_get_environ (), "OPENJD_SESSION_WORKING_DIR", self->workdir, TRUE);

  for (guint i = 0; i <= self->entered->len; i++)
    {
      const Entered *e = i < self->entered->len ? g_ptr_array_index (self->entered, i) : entering;
      GHashTableIter it;
      gpointer k, v;
      if (e == NULL || (i == self->entered->len && g_ptr_array_find (self->entered, e, NULL)))
        continue;
      g_hash_table_iter_init (&it, e->set);
      while (g_hash_table_iter_next (&it, &k, &v))
        env = g_environ_setenv (env, k, v, TRUE);
      g_hash_table_iter_init (&it, e->unset);
      while (g_hash_table_iter_next (&it, &k, NULL))
        env = g_environ_unsetenv (env, k);
    }
  return env;
}

/* ---- embedded files ----------------------------------------------------- */

static char *
end_of_line (const char *data, FhOjEndOfLine eol)
{
  g_autoptr (GString) s = g_string_new (data);

  if (eol != FH_OJ_EOL_CRLF)
    return g_string_free (g_steal_pointer (&s), FALSE);
  g_string_replace (s, "\r\n", "\n", 0);
  g_string_replace (s, "\n", "\r\n", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Where each of @files goes (a name of its own, or a fresh random one),
 * into @symbols as PREFIX.NAME. */
static gboolean
place_files (FhOjRunner *self, GPtrArray *files, const char *prefix, GHashTable *symbols, GError **error)
{
  for (guint i = 0; i < files->len; i++)
    {
      const FhOjEmbeddedFile *f = g_ptr_array_index (files, i);
      char *path;
      if (f->filename != NULL)
        path = g_build_filename (self->files_dir, f->filename, NULL);
      else
        {
          g_autofree char *tmpl = g_strdup_printf ("%s/XXXXXX%s", self->files_dir, f->extension ? f->extension : "");
          /* GLib's mkstemp fills the X's wherever they are: the name keeps
           * its extension (a simple action's interpreter may want it). */
          int fd = g_mkstemp_full (tmpl, O_RDWR, 0600);
          if (fd < 0)
            return fh_throw_errno (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_SESSION, errno, "creating an embedded file in %s", self->files_dir);
          close (fd);
          path = g_steal_pointer (&tmpl);
        }
      g_hash_table_insert (symbols, g_strconcat (prefix, f->name, NULL), path);
    }
  return TRUE;
}

/* Writes each of @files, its data resolved against @symbols. */
static gboolean
write_files (FhOjRunner *self, GPtrArray *files, const char *prefix, GHashTable *symbols, GError **error)
{
  for (guint i = 0; i < files->len; i++)
    {
      const FhOjEmbeddedFile *f = g_ptr_array_index (files, i);
      g_autofree char *key = g_strconcat (prefix, f->name, NULL);
      const char *path = g_hash_table_lookup (symbols, key);
      const char *missing = NULL;
      g_autofree char *data = fh_oj_format_resolve (f->data, lookup, symbols, &missing);
      g_autofree char *text = NULL;
      if (data == NULL)
        return fh_throw (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_SESSION, "the embedded file %s: '%s' has no value",
                         f->name, missing);
      text = end_of_line (data, f->end_of_line);
      g_unlink (path);
      if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, f->runnable ? 0700 : 0600, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- one action --------------------------------------------------------- */

/* Writes cancel_info.json: when the notify period ends (UTC). */
static void
write_cancel_info (FhOjRunner *self, guint seconds)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) end = g_date_time_add_seconds (now, seconds);
  g_autofree char *when = g_date_time_format (end, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *json = g_strdup_printf ("{\"NotifyEnd\": \"%s\"}\n", when);
  g_autofree char *path = g_build_filename (self->workdir, "cancel_info.json", NULL);
  g_autoptr (GError) err = NULL;

  if (!g_file_set_contents_full (path, json, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err))
    note (self, "farmhand: could not write %s: %s", path, err->message);
}

static gboolean
on_kill_timer (gpointer user_data)
{
  FhOjRunner *self = user_data;

  if (self->proc != NULL)
    fh_action_process_signal (self->proc, SIGKILL);
  fh_source_clear (&self->kill_timer);
  return G_SOURCE_REMOVE;
}

/* Cancels the running action as its method says; @now: at once. */
static void
cancel_action (FhOjRunner *self, gboolean now)
{
  if (self->proc == NULL)
    return;
  if (now || self->cancel_mode == FH_OJ_CANCEL_TERMINATE)
    {
      if (self->cancel_started && self->cancel_mode == FH_OJ_CANCEL_NOTIFY_THEN_TERMINATE)
        write_cancel_info (self, 0);
      fh_action_process_signal (self->proc, SIGKILL);
      self->cancel_started = TRUE;
      return;
    }
  if (self->cancel_started)
    return;
  self->cancel_started = TRUE;
  /* NOTIFY_THEN_TERMINATE: the file first, then SIGTERM; SIGKILL after
   * the notify period. */
  write_cancel_info (self, self->notify_s);
  note (self, "farmhand: cancelling the action: SIGTERM, SIGKILL in %u s", self->notify_s);
  fh_action_process_signal (self->proc, SIGTERM);
  self->kill_timer = g_timeout_source_new_seconds (self->notify_s);
  g_source_set_callback (self->kill_timer, on_kill_timer, self, NULL);
  g_source_attach (self->kill_timer, self->context);
}

static gboolean
on_timeout (gpointer user_data)
{
  FhOjRunner *self = user_data;

  self->outcome->timed_out = TRUE;
  note (self, "farmhand: the action timed out");
  cancel_action (self, FALSE);
  fh_source_clear (&self->timer);
  return G_SOURCE_REMOVE;
}

static void
on_directive (FhOjRunner *self, FhOjDirective *d)
{
  FhOjExtensions ext = self->job->template->extensions;

  switch (d->kind)
    {
    case FH_OJ_LINE_REDACTED_ENV:
      add_redacted (self, d->value);
      /* Without REDACTED_ENV_VARS the value is hidden, not set. */
      if (self->entering != NULL && (ext & FH_OJ_EXT_REDACTED_ENV_VARS))
        g_hash_table_insert (self->entering->set, g_strdup (d->name), g_strdup (d->value));
      break;
    case FH_OJ_LINE_ENV:
      if (self->entering != NULL)
        g_hash_table_insert (self->entering->set, g_strdup (d->name), g_strdup (d->value));
      else if (!self->directive_note && (self->directive_note = TRUE))
        note (self, "farmhand: openjd_env and openjd_unset_env count only in an environment's onEnter: ignored");
      break;
    case FH_OJ_LINE_UNSET_ENV:
      if (self->entering != NULL)
        g_hash_table_add (self->entering->unset, g_strdup (d->name));
      else if (!self->directive_note && (self->directive_note = TRUE))
        note (self, "farmhand: openjd_env and openjd_unset_env count only in an environment's onEnter: ignored");
      break;
    case FH_OJ_LINE_STATUS:
      g_free (self->outcome->status_message);
      self->outcome->status_message = g_steal_pointer (&d->text);
      break;
    case FH_OJ_LINE_FAIL:
      g_free (self->outcome->fail_message);
      self->outcome->fail_message = g_steal_pointer (&d->text);
      break;
    case FH_OJ_LINE_MALFORMED:
      if (self->outcome->malformed == NULL)
        {
          self->outcome->malformed = g_steal_pointer (&d->text);
          note (self, "farmhand: a malformed directive cancels the action: %s", self->outcome->malformed);
          cancel_action (self, FALSE);
        }
      break;
    default:
      break;
    }
}

static void
on_action_line (const char *raw, gsize len, gpointer user_data)
{
  FhOjRunner *self = user_data;
  g_auto (FhOjDirective) d = { 0 };
  g_autofree char *line = NULL;
  FhLogHit hit;

  /* A redacted_env line registers its value before it is shown. */
  if (fh_oj_directive_parse (raw, len, &d) != FH_OJ_LINE_OUTPUT)
    on_directive (self, &d);
  line = redact (self, raw, len);
  if (self->host->log_line != NULL)
    self->host->log_line (self->host->host_data, self->item, FH_LOG_STDOUT, line, strlen (line));
  if (self->item != NULL && fh_log_rules_scan (self->options.farm->log, line, strlen (line), &hit))
    {
      double fraction = fh_item_report_line (self->report, line, strlen (line), &hit);
      if (fraction >= 0 && self->host->progress != NULL)
        self->host->progress (self->host->host_data, self->item, fraction);
    }
}

/* @f resolved against @symbols; NULL with why in @error. */
static char *
resolve (FhOjRunner *self, const FhOjFormat *f, GHashTable *symbols, GError **error)
{
  const char *missing = NULL;
  char *s = fh_oj_format_resolve (f, lookup, symbols, &missing);

  if (s == NULL)
    g_set_error (error, FH_PLUGIN_ERROR, FH_PLUGIN_ERROR_SESSION, "'%s' has no value here", missing);
  return s;
}

static GPtrArray *
action_argv (FhOjRunner *self, const FhOjAction *a, GHashTable *symbols, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  char *s;

  if ((s = resolve (self, a->command, symbols, error)) == NULL)
    return NULL;
  g_ptr_array_add (argv, s);
  for (guint i = 0; i < a->args->len; i++)
    {
      if ((s = resolve (self, g_ptr_array_index (a->args, i), symbols, error)) == NULL)
        return NULL;
      g_ptr_array_add (argv, s);
    }
  g_ptr_array_add (argv, NULL);
  return g_steal_pointer (&argv);
}

/* Seconds a timeout or notify period resolves to (checked at job
 * creation), or @fallback. */
static guint
seconds (FhOjRunner *self, const FhOjFormat *f, guint fallback)
{
  g_autofree char *s = f ? fh_oj_format_resolve (f, fh_oj_job_lookup, self->job, NULL) : NULL;
  guint64 v;

  return s != NULL && g_ascii_string_to_unsigned (s, 10, 1, G_MAXUINT, &v, NULL) ? (guint) v : fallback;
}

/* Whether the run was asked to stop the running action: a graceful
 * cancel (when @graceful_counts: not during an environment's exit), a
 * cancel now, or the host's stop of this item. */
static gboolean
check_cancel (FhOjRunner *self, gboolean graceful_counts, gboolean *now)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  gboolean item = self->cancel_item && self->item != NULL;

  if (item)
    self->cancel_item = FALSE;
  *now = self->cancel_now;
  return self->cancel_now || item || (graceful_counts && self->cancel_requested);
}

/* Runs @a with @symbols; @entering is the environment it enters (its
 * openjd_env lines count).  Fills @out. */
static void
run_action (FhOjRunner *self, const FhOjAction *a, GHashTable *symbols, Entered *entering, gboolean on_run,
            gboolean graceful_cancel, Outcome *out)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) argv = action_argv (self, a, symbols, &err);
  g_auto (GStrv) env = NULL;
  gint64 started = g_get_monotonic_time ();
  gboolean now;

  if (argv == NULL)
    {
      out->fail_message = g_strdup_printf ("%s: %s", a->path, err->message);
      note (self, "farmhand: %s", out->fail_message);
      return;
    }
  env = action_environ (self, entering);
  self->entering = entering;
  self->outcome = out;
  self->directive_note = FALSE;
  self->cancel_started = FALSE;
  self->cancel_mode = a->cancel_mode;
  self->notify_s = seconds (self, a->notify_period, on_run ? NOTIFY_DEFAULT_RUN_S : NOTIFY_DEFAULT_ENV_S);
  self->proc = fh_action_process_spawn (self->context, self->launcher, (const char *const *) argv->pdata,
                                        (const char *const *) env, self->workdir, on_action_line, self, &err);
  if (self->proc == NULL)
    {
      out->fail_message = g_strdup_printf ("cannot run '%s': %s", (char *) argv->pdata[0], err->message);
      note (self, "farmhand: %s", out->fail_message);
      self->outcome = NULL;
      return;
    }
  out->ran = TRUE;
  if (a->timeout != NULL)
    {
      self->timer = g_timeout_source_new_seconds (seconds (self, a->timeout, G_MAXUINT));
      g_source_set_callback (self->timer, on_timeout, self, NULL);
      g_source_attach (self->timer, self->context);
    }
  while (!fh_action_process_is_done (self->proc))
    {
      if (check_cancel (self, graceful_cancel, &now))
        {
          if (!out->cancelled)
            note (self, "farmhand: cancelled");
          out->cancelled = TRUE;
          cancel_action (self, now);
        }
      g_main_context_iteration (self->context, TRUE);
    }
  out->exit_code = fh_action_process_get_exit_code (self->proc);
  out->elapsed_us = g_get_monotonic_time () - started;
  note (self, "Process exited with code: %d", out->exit_code);
  /* What it left running (a service an environment started) is ended
   * with the session; most leave nothing, and are forgotten. */
  if (kill (-fh_action_process_get_pgid (self->proc), 0) == 0)
    g_array_append_val (self->groups, (pid_t) { fh_action_process_get_pgid (self->proc) });
  fh_source_clear (&self->timer);
  fh_source_clear (&self->kill_timer);
  g_clear_pointer (&self->proc, fh_action_process_free);
  self->outcome = NULL;
  self->entering = NULL;
}

static gboolean
succeeded (const Outcome *o)
{
  return o->ran && o->exit_code == 0 && !o->timed_out && !o->cancelled && o->malformed == NULL;
}

/* Why an action failed, one line. */
static char *
failure_reason (const Outcome *o, guint timeout_s)
{
  if (o->malformed != NULL)
    return g_strdup_printf ("a malformed directive: %s", o->malformed);
  if (o->timed_out)
    return g_strdup_printf ("timed out after %u s", timeout_s);
  if (o->cancelled)
    return g_strdup ("cancelled");
  if (o->fail_message != NULL)
    return g_strdup (o->fail_message);
  return o->exit_code < 0 ? g_strdup_printf ("killed by signal %d", -o->exit_code)
                          : g_strdup_printf ("exited with code %d", o->exit_code);
}

/* ---- environments ------------------------------------------------------- */

/* An environment action's symbols: the session's, its embedded files. */
static GHashTable *
env_symbols (FhOjRunner *self, const FhOjEnvironment *env, GError **error)
{
  GHashTable *symbols = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, self->symbols);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (symbols, g_strdup (k), g_strdup (v));
  if (!place_files (self, env->files, "Env.File.", symbols, error) ||
      !write_files (self, env->files, "Env.File.", symbols, error))
    g_clear_pointer (&symbols, g_hash_table_unref);
  return symbols;
}

static void
session_failed (FhOjRunner *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
session_failed (FhOjRunner *self, const char *fmt, ...)
{
  va_list args;
  g_autofree char *why = NULL;

  va_start (args, fmt);
  why = g_strdup_vprintf (fmt, args);
  va_end (args);
  if (self->error == NULL)
    self->error = redact (self, why, -1);
  self->ending = TRUE;
}

static void
enter (FhOjRunner *self, const FhOjEnvironment *env, gboolean step)
{
  Entered *e = g_new0 (Entered, 1);
  g_autoptr (GHashTable) symbols = NULL;
  g_autoptr (GError) err = NULL;
  g_auto (Outcome) out = { 0 };

  e->env = env;
  e->step = step;
  e->set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  e->unset = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* On the stack before its action runs: tried, it is exited. */
  g_ptr_array_add (self->entered, e);
  note (self, "Entering environment '%s'", env->name);
  if ((symbols = env_symbols (self, env, &err)) == NULL)
    {
      session_failed (self, "environment '%s': %s", env->name, err->message);
      return;
    }
  for (guint i = 0; i < env->variables->len; i++)
    {
      const FhOjVariable *var = g_ptr_array_index (env->variables, i);
      g_autofree char *value = resolve (self, var->value, symbols, &err);
      if (value == NULL)
        {
          session_failed (self, "environment '%s': the variable %s: %s", env->name, var->name, err->message);
          return;
        }
      g_hash_table_insert (e->set, g_strdup (var->name), g_steal_pointer (&value));
    }
  if (env->on_enter == NULL)
    return;
  run_action (self, env->on_enter, symbols, e, FALSE, TRUE, &out);
  if (!succeeded (&out))
    {
      g_autofree char *why = failure_reason (&out, seconds (self, env->on_enter->timeout, 0));
      self->env_failed = TRUE;
      session_failed (self, "environment '%s' failed to enter: %s", env->name, why);
    }
}

static void
exit_last (FhOjRunner *self)
{
  Entered *e = g_ptr_array_index (self->entered, self->entered->len - 1);
  const FhOjEnvironment *env = e->env;
  g_autoptr (GHashTable) symbols = NULL;
  g_autoptr (GError) err = NULL;
  g_auto (Outcome) out = { 0 };

  note (self, "Exiting environment '%s'", env->name);
  if (env->on_exit != NULL)
    {
      if ((symbols = env_symbols (self, env, &err)) == NULL)
        {
          self->exit_failed = TRUE;
          note (self, "farmhand: environment '%s' could not run its onExit: %s", env->name, err->message);
        }
      else
        {
          run_action (self, env->on_exit, symbols, NULL, FALSE, FALSE, &out);
          if (!succeeded (&out))
            {
              g_autofree char *why = failure_reason (&out, seconds (self, env->on_exit->timeout, 0));
              self->exit_failed = TRUE;
              note (self, "farmhand: environment '%s' failed to exit: %s", env->name, why);
            }
        }
    }
  g_ptr_array_remove_index (self->entered, self->entered->len - 1);
}

static void
exit_step_environments (FhOjRunner *self)
{
  while (self->entered->len > 0 && ((Entered *) g_ptr_array_index (self->entered, self->entered->len - 1))->step)
    exit_last (self);
  self->step = NULL;
}

/* The step's environments entered, another step's exited first. */
static void
enter_step (FhOjRunner *self, const FhOjJobStep *step)
{
  if (self->step == step)
    return;
  exit_step_environments (self);
  self->step = step;
  for (guint i = 0; i < step->step->environments->len && !self->ending; i++)
    enter (self, g_ptr_array_index (step->step->environments, i), TRUE);
}

/* ---- tasks -------------------------------------------------------------- */

static void
report (FhOjRunner *self, JsonObject *o)
{
  g_autofree char *json = fh_json_object_to_string (o);

  self->host->report_item (self->host->host_data, json);
}

static void
set_failure (FhOjRunner *self, JsonObject *o, FhFailureClass failure, const char *reason)
{
  g_autofree char *masked = redact (self, reason, -1);

  json_object_set_string_member (o, "class", fh_failure_name (failure));
  json_object_set_string_member (o, "reason", masked);
  json_object_set_boolean_member (o, "machine_bound", fh_failure_is_machine_bound (failure));
}

/* A task's result object, before its outcome. */
static JsonObject *
task_result (FhOjRunner *self, guint64 index, const char *name, const FhOjJobStep *step, GPtrArray *values)
{
  JsonObject *o = json_object_new ();
  JsonObject *params = json_object_new ();

  json_object_set_string_member (o, "name", name);
  json_object_set_int_member (o, "index", (gint64) index);
  json_object_set_array_member (o, "frames", json_array_new ());
  json_object_set_string_member (o, "step", step->step->name);
  for (guint i = 0; values != NULL && i < values->len; i++)
    {
      g_autofree char *v = redact (self, g_ptr_array_index (values, i), -1);
      json_object_set_string_member (params, fh_oj_space_get_param (step->space, i)->name, v);
    }
  json_object_set_object_member (o, "task_parameters", params);
  return o;
}

/* The task's symbols: the session's, its parameters, its files. */
static GHashTable *
task_symbols (FhOjRunner *self, const FhOjJobStep *step, GPtrArray *values, GError **error)
{
  GHashTable *symbols = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, self->symbols);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (symbols, g_strdup (k), g_strdup (v));
  for (guint i = 0; i < values->len; i++)
    {
      const FhOjTaskParam *tp = fh_oj_space_get_param (step->space, i);
      const char *value = g_ptr_array_index (values, i);
      g_hash_table_insert (symbols, g_strconcat ("Task.RawParam.", tp->name, NULL), g_strdup (value));
      g_hash_table_insert (symbols, g_strconcat ("Task.Param.", tp->name, NULL),
                           tp->type == FH_OJ_PATH ? fh_oj_path_mapping_apply (self->job->path_mapping, value)
                                                  : g_strdup (value));
    }
  if (!place_files (self, step->step->files, "Task.File.", symbols, error) ||
      !write_files (self, step->step->files, "Task.File.", symbols, error))
    g_clear_pointer (&symbols, g_hash_table_unref);
  return symbols;
}

/* One attempt at a task: its outcome into @o. */
static gboolean
attempt_task (FhOjRunner *self, const FhOjJobStep *step, GPtrArray *values, JsonObject *o, FhFailureClass *failure)
{
  g_autoptr (GHashTable) symbols = NULL;
  g_autoptr (GError) err = NULL;
  g_auto (Outcome) out = { 0 };
  g_autofree char *reason = NULL;

  fh_item_report_reset (self->report, NULL, 0);
  if ((symbols = task_symbols (self, step, values, &err)) == NULL)
    out.fail_message = g_strdup (err->message);
  else
    run_action (self, step->step->on_run, symbols, NULL, TRUE, TRUE, &out);
  json_object_set_double_member (o, "elapsed_s", out.elapsed_us / 1e6);
  if (out.ran)
    json_object_set_int_member (o, "code", out.exit_code);
  fh_item_report_add_to_json (self->report, o);
  if (succeeded (&out))
    {
      json_object_set_string_member (o, "status", "complete");
      return TRUE;
    }
  json_object_set_string_member (o, "status", "failed");
  reason = failure_reason (&out, seconds (self, step->step->on_run->timeout, 0));
  *failure = out.timed_out ? FH_FAILURE_TIMEOUT : out.cancelled ? FH_FAILURE_CANCELLED
             : out.malformed || !out.ran ? FH_FAILURE_ERROR : FH_FAILURE_NONE;
  if (*failure == FH_FAILURE_NONE)
    {
      g_autofree char *log_reason = NULL;
      *failure = fh_item_report_failure (self->report, &log_reason);
      if (*failure == FH_FAILURE_NONE)
        *failure = FH_FAILURE_EXIT_CODE;
      else if (out.fail_message == NULL && log_reason != NULL)
        g_free (reason), reason = g_steal_pointer (&log_reason);
    }
  set_failure (self, o, *failure, reason);
  return FALSE;
}

static void
report_not_run (FhOjRunner *self, guint64 index, const char *name, const char *why)
{
  g_autoptr (JsonObject) o = json_object_new ();

  json_object_set_string_member (o, "name", name);
  json_object_set_int_member (o, "index", (gint64) index);
  json_object_set_string_member (o, "status", "failed");
  json_object_set_double_member (o, "elapsed_s", 0);
  json_object_set_int_member (o, "attempts", 0);
  set_failure (self, o, FH_FAILURE_ERROR, why);
  self->n_failed++;
  report (self, o);
}

static void
run_task (FhOjRunner *self, guint64 index)
{
  guint64 local;
  const FhOjJobStep *step = fh_oj_job_locate (self->job, index, &local);
  g_autofree char *name = fh_oj_job_task_name (self->job, index);
  g_autoptr (GPtrArray) values = g_ptr_array_new ();
  g_autoptr (JsonObject) o = NULL;
  FhFailureClass failure = FH_FAILURE_NONE;
  gboolean ok = FALSE;
  guint attempt;

  enter_step (self, step);
  if (self->ending)
    {
      g_autofree char *why = g_strdup_printf ("not run: %s", self->error);
      report_not_run (self, index, name, why);
      return;
    }
  fh_oj_space_get (step->space, local, values);
  self->item = name;
  for (attempt = 1;; attempt++)
    {
      g_clear_pointer (&o, json_object_unref);
      o = task_result (self, index, name, step, values);
      ok = attempt_task (self, step, values, o, &failure);
      if (ok || cancelled (self) || attempt > fh_job_retries_for (self->options.farm, failure))
        break;
      note (self, "farmhand: %s failed (%s); running it again (%u of %u)", name, fh_failure_name (failure), attempt,
            fh_job_retries_for (self->options.farm, failure));
    }
  json_object_set_int_member (o, "attempts", attempt);
  self->item = NULL;
  if (ok)
    self->n_complete++;
  else
    {
      self->n_failed++;
      if (!self->ending)
        self->task_failed = TRUE;
      session_failed (self, "the task %s failed: %s", name, json_object_get_string_member (o, "reason"));
    }
  report (self, o);
}

/* The host's next item: an index of the job's tasks.  FALSE at the end. */
static gboolean
next_task (FhOjRunner *self)
{
  char *item = self->host->next_item (self->host->host_data);
  g_autoptr (JsonObject) o = NULL;
  g_autoptr (GError) err = NULL;
  gint64 index;

  if (item == NULL)
    return FALSE;
  o = fh_json_parse_object (item, -1, &err);
  self->host->free_item (self->host->host_data, item);
  if (o == NULL || json_object_get_boolean_member_with_default (o, "end", FALSE))
    return o != NULL ? FALSE : (session_failed (self, "the host's work item is not JSON: %s", err->message), FALSE);
  index = json_object_get_int_member_with_default (o, "index", -1);
  if (index < 0 || (guint64) index >= self->job->n_tasks)
    {
      const char *name = json_object_get_string_member_with_default (o, "name", "?");
      g_autofree char *why = g_strdup_printf ("an OpenJD job runs its own tasks, by index (0 to %" G_GUINT64_FORMAT
                                              "): not '%s'", self->job->n_tasks - 1, name);
      report_not_run (self, 0, name, why);
      return TRUE;
    }
  run_task (self, (guint64) index);
  return TRUE;
}

/* ---- the session -------------------------------------------------------- */

static char *
summary (FhOjRunner *self, int status)
{
  static const char *const names[] = { "ok", "items_failed", "job_failed", "cancelled", "refused" };
  g_autoptr (JsonObject) o = json_object_new ();
  JsonObject *ex = json_object_new ();
  JsonArray *argv = json_array_new ();

  json_object_set_string_member (o, "status", names[status]);
  json_object_set_int_member (o, "items_complete", self->n_complete);
  json_object_set_int_member (o, "items_failed", self->n_failed);
  if (self->error != NULL)
    json_object_set_string_member (o, "error", self->error);
  if (self->exit_failed)
    json_object_set_boolean_member (o, "teardown_failed", TRUE);
  /* A farm worker starts a new Session for the tasks left (OpenJD ends a
   * Session at a task's failure; the step's other tasks still run). */
  if (self->task_failed && !self->env_failed && !self->exit_failed && !cancelled (self))
    json_object_set_string_member (o, "session_end", "task_failed");
  json_object_set_string_member (ex, "kind", "openjd-session");
  json_object_set_array_member (ex, "argv", argv);
  json_object_set_object_member (o, "executor", ex);
  if (self->workdir != NULL)
    {
      JsonObject *session = json_object_new ();
      json_object_set_string_member (session, "working_directory", self->workdir);
      json_object_set_boolean_member (session, "preserved", self->options.preserve);
      json_object_set_object_member (o, "session", session);
    }
  return fh_json_object_to_string (o);
}

/* Everything an action left running goes with the session. */
static void
end_leftovers (FhOjRunner *self)
{
  for (guint i = 0; i < self->groups->len; i++)
    fh_proc_end (g_array_index (self->groups, pid_t, i), 0, SIGKILL, 2000);
}

static void
run_session (FhOjRunner *self)
{
  for (guint t = 0; t < self->job->env_templates->len && !self->ending; t++)
    {
      const FhOjTemplate *et = g_ptr_array_index (self->job->env_templates, t);
      for (guint i = 0; i < et->environments->len && !self->ending; i++)
        enter (self, g_ptr_array_index (et->environments, i), FALSE);
    }
  for (guint i = 0; i < self->job->template->environments->len && !self->ending; i++)
    enter (self, g_ptr_array_index (self->job->template->environments, i), FALSE);
  while (!self->ending && !cancelled (self) && next_task (self))
    ;
  /* Every environment entered, or tried, is exited: last first. */
  while (self->entered->len > 0)
    exit_last (self);
}

int
fh_oj_runner_run (FhOjRunner *self, char **summary_json)
{
  g_autoptr (GError) err = NULL;
  int status;

  self->context = g_main_context_new ();
  g_main_context_push_thread_default (self->context);
  if (!make_workdir (self, &err))
    session_failed (self, "%s", err->message);
  else
    {
      session_symbols (self);
      self->report = fh_item_report_new (self->options.farm, self->workdir);
      run_session (self);
    }
  end_leftovers (self);
  if (self->workdir != NULL && !self->options.preserve)
    remove_tree (self->workdir);
  else if (self->workdir != NULL)
    note (self, "farmhand: the session's working directory is kept: %s", self->workdir);
  g_main_context_pop_thread_default (self->context);
  g_clear_pointer (&self->context, g_main_context_unref);
  /* Any failure ended the session: what the host had not served yet
   * was not run (FH_RUN_JOB_FAILED says so). */
  if (cancelled (self))
    status = FH_RUN_CANCELLED;
  else if (self->ending)
    status = FH_RUN_JOB_FAILED;
  else if (self->n_failed > 0 || self->exit_failed)
    status = FH_RUN_ITEMS_FAILED;
  else
    status = FH_RUN_OK;
  if (summary_json != NULL)
    *summary_json = summary (self, status);
  return status;
}
