/* test-abi.c — the job-type plugin ABI as a host meets it: the real plugin,
 * loaded in this process, driven through nothing but abi/fh-plugin.h.
 * Every entry point is given what a careless host might pass (NULL, empty,
 * invalid UTF-8, a small or incomplete host struct, calls out of order)
 * and must answer with an error, never a crash; a job's life (run once,
 * cancel before/during/after, free while running, from inside a callback)
 * is exercised on real executors. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

#include "fh-json.h"
#include "fh-plugin-module.h"
#include "fh-test-utils.h"

typedef struct
{
  const FhPluginDesc *d;
  FhPluginJob *job;          /* for callbacks that act on their job */
  GMutex lock;
  GCond changed;
  guint next;
  guint n;                   /* items to serve */
  gboolean by_index;         /* serve {"index": i} instead of {"name"} */
  const char *serve;         /* nullable: serve this JSON once, then stop */
  guint n_asked;             /* next_item calls */
  guint n_index_calls;       /* next_index calls */
  GPtrArray *results;        /* char* JSON */
  GPtrArray *log;            /* "item|line" */
  gboolean cancel_in_next;   /* job_cancel() from inside next_item */
  gboolean free_in_report;   /* job_free() from inside report_item */
  guint n_progress;
  double last_progress;
} Host;

static char *
h_next_item (void *data)
{
  Host *h = data;
  char *item = NULL;

  g_mutex_lock (&h->lock);
  h->n_asked++;
  if (h->serve != NULL)
    {
      item = g_strdup (h->serve);
      h->serve = NULL;
      h->n = 0;
    }
  else if (h->next < h->n)
    item = h->by_index ? g_strdup_printf ("{\"index\": %u}", h->next++)
                       : g_strdup_printf ("{\"name\": \"%u\"}", ++h->next);
  g_mutex_unlock (&h->lock);
  if (h->cancel_in_next)
    h->d->job_cancel (h->job, FH_CANCEL_GRACEFUL);
  return item;
}

static void
h_free_item (void *data, char *item)
{
  g_free (item);
}

static void
h_report (void *data, const char *json)
{
  Host *h = data;

  g_mutex_lock (&h->lock);
  g_ptr_array_add (h->results, g_strdup (json));
  g_cond_broadcast (&h->changed);
  g_mutex_unlock (&h->lock);
  if (h->free_in_report)
    h->d->job_free (h->job);
}

static void
h_log (void *data, const char *item, FhLogStream stream, const char *line, size_t len)
{
  Host *h = data;

  g_mutex_lock (&h->lock);
  g_ptr_array_add (h->log, g_strdup_printf ("%s|%.*s", item ? item : "-", (int) len, line));
  g_cond_broadcast (&h->changed);
  g_mutex_unlock (&h->lock);
}

static void
h_progress (void *data, const char *item, double fraction)
{
  Host *h = data;

  h->n_progress++;
  h->last_progress = fraction;
}

typedef struct
{
  FhPluginModule *module;
  const FhPluginDesc *d;
  Host host;
  FhHostApi api;
  char *tmp;
  char *options;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autofree char *path = fh_test_built ("plugin", FH_JOBTYPE_MODULE, NULL);
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) o = json_object_new ();

  fx->module = fh_plugin_module_open (path, &err);
  g_assert_no_error (err);
  fx->d = fh_plugin_module_get_desc (fx->module);
  fx->host = (Host) { .d = fx->d, .results = g_ptr_array_new_with_free_func (g_free),
                      .log = g_ptr_array_new_with_free_func (g_free) };
  g_mutex_init (&fx->host.lock);
  g_cond_init (&fx->host.changed);
  fx->api = (FhHostApi) {
    .abi_major = FH_PLUGIN_ABI_MAJOR, .abi_minor = FH_PLUGIN_ABI_MINOR,
    .struct_size = sizeof (FhHostApi), .host_data = &fx->host, .next_item = h_next_item,
    .free_item = h_free_item, .report_item = h_report, .log_line = h_log,
    .progress = h_progress,
  };
  fx->tmp = fh_test_mkdtemp ();
  json_object_set_string_member (o, "base_dir", fx->tmp);
  json_object_set_string_member (o, "output_dir", fx->tmp);
  fx->options = fh_json_object_to_string (o);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_ptr_array_unref (fx->host.results);
  g_ptr_array_unref (fx->host.log);
  g_mutex_clear (&fx->host.lock);
  g_cond_clear (&fx->host.changed);
  fh_test_rmtree (fx->tmp);
  g_free (fx->tmp);
  g_free (fx->options);
  fh_plugin_module_unref (fx->module);
}

/* A job of @n echo items (frames 1-n), made with @api (nullable). */
static FhPluginJob *
make_job (Fixture *fx, const FhHostApi *api, const char *command, guint n, char **error)
{
  g_autofree char *json = g_strdup_printf (
      "{\"name\": \"abi\", \"agenda\": {\"frames\": \"1-%u\", \"command\": \"%s\"}}", n, command);

  fx->host.n = n;
  return fx->d->job_new (api, json, fx->options, error);
}

/* job_new() refuses with a message matching @pattern. */
static void
assert_refused (Fixture *fx, const FhHostApi *api, const char *job_json, const char *options,
                const char *pattern)
{
  char *error = NULL;
  FhPluginJob *job = fx->d->job_new (api, job_json, options, &error);

  g_assert_null (job);
  g_assert_nonnull (error);
  if (!g_pattern_match_simple (pattern, error))
    g_error ("job_new: '%s' does not match '%s'", error, pattern);
  fx->d->free_string (error);
  /* And without an error pointer, still no crash. */
  g_assert_null (fx->d->job_new (api, job_json, options, NULL));
}

/* ---- what job_new is given -------------------------------------------------- */

static void
test_bad_job_text (Fixture *fx, gconstpointer data)
{
  assert_refused (fx, &fx->api, NULL, NULL, "job_json is NULL");
  assert_refused (fx, &fx->api, "", NULL, "job_json is empty");
  assert_refused (fx, &fx->api, "{\"name\": \"caf\xc3\"}", NULL, "job_json is not valid UTF-8 (byte 13)");
  assert_refused (fx, &fx->api, "{\"agenda\": ", NULL, "job.json:1:*");
  assert_refused (fx, &fx->api, "[1, 2]", NULL, "*must be an object*");
  assert_refused (fx, &fx->api, "{\"agenda\": {\"frames\": \"1-x\", \"command\": \"x\"}}", NULL,
                  "agenda.frames: bad frame list*");
}

static void
test_bad_options (Fixture *fx, gconstpointer data)
{
  const char *job = "{\"agenda\": {\"frames\": \"1\", \"command\": \"true\"}}";

  assert_refused (fx, &fx->api, job, "", "options_json is empty");
  assert_refused (fx, &fx->api, job, "{", "options_json: *");
  assert_refused (fx, &fx->api, job, "{\"job_dir\": \"/x\"}",
                  "options_json: unknown field 'job_dir' (known: base_dir, source, output_dir)");
  assert_refused (fx, &fx->api, job, "{\"base_dir\": 3}", "options_json: base_dir must be a string");
  /* "source" names the job in its messages. */
  assert_refused (fx, &fx->api, "{\"agenda\": ", "{\"source\": \"shots/a.json\"}", "shots/a.json:1:*");
}

static void
test_bad_host (Fixture *fx, gconstpointer data)
{
  const char *job = "{\"agenda\": {\"frames\": \"1\", \"command\": \"true\"}}";
  static const struct { const char *name; gsize offset; } callbacks[] = {
    { "next_item", offsetof (FhHostApi, next_item) }, { "free_item", offsetof (FhHostApi, free_item) },
    { "report_item", offsetof (FhHostApi, report_item) }, { "log_line", offsetof (FhHostApi, log_line) },
    { "progress", offsetof (FhHostApi, progress) },
  };
  FhHostApi api = fx->api;

  /* A host built against a smaller struct than ABI 1.0's. */
  api.struct_size = offsetof (FhHostApi, progress);
  assert_refused (fx, &api, job, NULL, "the host API struct is * bytes; ABI 1.0 needs at least *");
  api = fx->api;
  api.abi_major = FH_PLUGIN_ABI_MAJOR + 1;
  assert_refused (fx, &api, job, NULL, "the host speaks plugin ABI 2.*, this plugin ABI 1.*");
  /* Each is required of a host of 1.4; log_line and progress may be NULL
   * from 1.5 (test_log_optional). */
  for (guint i = 0; i < G_N_ELEMENTS (callbacks); i++)
    {
      g_autofree char *want = g_strdup_printf ("the host API has no %s callback", callbacks[i].name);
      api = fx->api;
      api.abi_minor = 4;
      *(void **) ((char *) &api + callbacks[i].offset) = NULL;
      assert_refused (fx, &api, job, NULL, want);
    }
}

/* ABI 1.5: a host that does not follow the log or progress leaves them
 * NULL; the log rules still read the log (the result's progress), and the
 * callbacks are read again when job_run starts. */
static void
test_log_optional (Fixture *fx, gconstpointer data)
{
  const char *json = "{\"name\": \"abi\", \"log\": {\"progress\": \"progress (?<done>\\\\d+)/(?<total>\\\\d+)\"},"
                     " \"agenda\": {\"frames\": \"1-2\", \"command\": \"echo progress 1/4; echo optional-log-{frame}\"}}";
  FhHostApi api = fx->api;
  char *summary = NULL;
  FhPluginJob *job;

  api.log_line = NULL;
  api.progress = NULL;
  fx->host.n = 2;
  job = fx->d->job_new (&api, json, fx->options, NULL);
  g_assert_nonnull (job);
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_OK);
  g_assert_cmpuint (fx->host.results->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (fx->host.results, 1), "\"progress\":0.25"));
  g_assert_cmpuint (fx->host.log->len, ==, 0);
  g_assert_cmpuint (fx->host.n_progress, ==, 0);
  fx->d->free_string (summary);
  fx->d->job_free (job);

  /* Made without a log_line, given one before the run: it follows. */
  g_ptr_array_set_size (fx->host.results, 0);
  fx->host.next = 0;
  job = fx->d->job_new (&api, json, fx->options, NULL);
  api.log_line = h_log;
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_OK);
  g_assert_cmpuint (fx->host.results->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (fx->host.log, "2|optional-log-2", g_str_equal, NULL));
  g_assert_cmpuint (fx->host.n_progress, ==, 0);
  fx->d->free_string (summary);
  fx->d->job_free (job);
}

/* A host struct as large as it claims: a future host's bigger struct is
 * read up to what this plugin knows. */
static void
test_bigger_host (Fixture *fx, gconstpointer data)
{
  struct { FhHostApi api; char future[64]; } big = { .api = fx->api };
  char *summary = NULL;
  FhPluginJob *job;

  memset (big.future, 0x5a, sizeof big.future);
  big.api.struct_size = sizeof big;
  job = make_job (fx, &big.api, "true", 1, NULL);
  g_assert_nonnull (job);
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_OK);
  fx->d->free_string (summary);
  fx->d->job_free (job);
}

/* ---- ABI 1.2: job_create's errors as data ------------------------------------------ */

/* job_create() refuses; its error object.  (transfer full) */
static JsonObject *
create_refused (Fixture *fx, const FhHostApi *api, const char *job_json, const char *options)
{
  char *error = NULL;
  g_autoptr (GError) bad = NULL;
  JsonObject *o;

  g_assert_true (FH_PLUGIN_HAS (fx->d, job_create));
  g_assert_null (fx->d->job_create (api, job_json, options, &error));
  g_assert_nonnull (error);
  o = fh_json_parse_object (error, -1, &bad);
  g_assert_no_error (bad);
  fx->d->free_string (error);
  g_assert_null (fx->d->job_create (api, job_json, options, NULL));
  return o;
}

/* Problem @i of @o: its path, message (a pattern), line and column. */
static void
assert_problem (JsonObject *o, guint i, const char *path, const char *message, gint64 line, gint64 column)
{
  JsonArray *problems = json_object_get_array_member (o, "problems");
  JsonObject *p;

  g_assert_cmpuint (json_array_get_length (problems), >, i);
  p = json_array_get_object_element (problems, i);
  g_assert_cmpstr (json_object_get_string_member (p, "path"), ==, path);
  if (!g_pattern_match_simple (message, json_object_get_string_member (p, "message")))
    g_error ("'%s' does not match '%s'", json_object_get_string_member (p, "message"), message);
  g_assert_cmpint (json_object_get_int_member_with_default (p, "line", 0), ==, line);
  g_assert_cmpint (json_object_get_int_member_with_default (p, "column", 0), ==, column);
}

static void
test_create_errors_as_data (Fixture *fx, gconstpointer data)
{
  g_autoptr (JsonObject) invalid = create_refused (
      fx, &fx->api, "{\"name\": 3, \"agenda\": {\"frames\": \"1-x\", \"command\": \"x\"}, \"colour\": 1}",
      "{\"source\": \"shots/a.json\"}");
  g_autoptr (JsonObject) syntax = create_refused (fx, &fx->api, "{\n  \"agenda\": ", "{\"source\": \"b.json\"}");
  g_autoptr (JsonObject) input = create_refused (fx, &fx->api, "{\"name\": \"caf\xc3\"}", NULL);
  g_autoptr (JsonObject) options = create_refused (fx, &fx->api, "{}", "{\"job_dir\": \"/x\"}");
  FhHostApi small = fx->api;
  g_autoptr (JsonObject) host = NULL;

  /* Every problem, each with the path of its field. */
  g_assert_cmpstr (json_object_get_string_member (invalid, "code"), ==, "invalid_job");
  g_assert_cmpstr (json_object_get_string_member (invalid, "source"), ==, "shots/a.json");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (invalid, "problems")), ==, 3);
  assert_problem (invalid, 0, "colour", "unknown field*", 0, 0);
  assert_problem (invalid, 1, "name", "*string*", 0, 0);
  assert_problem (invalid, 2, "agenda.frames", "bad frame list*", 0, 0);
  g_assert_cmpstr (json_object_get_string_member (invalid, "message"), ==,
                   "shots/a.json is not a valid job: 3 problems");
  /* Where the text is not well-formed, the line and column. */
  g_assert_cmpstr (json_object_get_string_member (syntax, "code"), ==, "syntax");
  assert_problem (syntax, 0, "", "*", 2, 12);
  g_assert_cmpstr (json_object_get_string_member (input, "code"), ==, "invalid_input");
  assert_problem (input, 0, "", "job_json is not valid UTF-8 (byte 13)", 0, 0);
  g_assert_cmpstr (json_object_get_string_member (options, "code"), ==, "invalid_input");
  assert_problem (options, 0, "", "options_json: unknown field 'job_dir'*", 0, 0);
  small.struct_size = offsetof (FhHostApi, progress);
  host = create_refused (fx, &small, "{}", NULL);
  g_assert_cmpstr (json_object_get_string_member (host, "code"), ==, "bad_host");
}

/* job_new keeps 1.1's text for the same job: a line per problem. */
static void
test_new_keeps_text (Fixture *fx, gconstpointer data)
{
  assert_refused (fx, &fx->api, "{\"name\": 3, \"colour\": 1}", NULL,
                  "colour: unknown field*\nname: *string*");
  assert_refused (fx, &fx->api, "[1]", NULL, "(top level): *must be an object*");
  assert_refused (fx, &fx->api, "{\n  \"agenda\": ", "{\"source\": \"b.json\"}", "b.json:2:12: *");
}

/* The descriptor says its minor, and FH_PLUGIN_HAS reads the rule. */
static void
test_has (Fixture *fx, gconstpointer data)
{
  FhPluginDesc old = *fx->d;

  g_assert_cmpuint (fx->d->abi_minor, ==, FH_PLUGIN_ABI_MINOR);
  g_assert_true (FH_PLUGIN_HAS (fx->d, job_scan_log) && FH_PLUGIN_HAS (fx->d, job_create));
  g_assert_true (FH_PLUGIN_HAS (fx->d, job_open) && FH_PLUGIN_HAS (fx->d, check_file));
  old.abi_minor = 2;
  g_assert_false (FH_PLUGIN_HAS (&old, job_open));
  old.abi_minor = 1;
  g_assert_true (FH_PLUGIN_HAS (&old, job_scan_log));
  g_assert_false (FH_PLUGIN_HAS (&old, job_create));
  old.abi_minor = 2;
  old.job_create = NULL;
  g_assert_false (FH_PLUGIN_HAS (&old, job_create));
  g_assert_true (FH_HOST_HAS (&fx->api, progress));
}

/* ---- SIGPIPE is the host's ---------------------------------------------------------- */

/* A host that keeps SIGPIPE at its default (as a C program starts): an
 * executor that stops reading its stdin makes the plugin's write fail with
 * EPIPE — the run fails, saying so — and the host lives on with its
 * disposition and mask as they were. */
static void
test_sigpipe_is_the_hosts (Fixture *fx, gconstpointer data)
{
  if (g_test_subprocess ())
    {
      g_autofree char *helper = g_test_build_filename (G_TEST_DIST, "helpers", "bad-executor.py", NULL);
      g_autofree char *json = g_strdup_printf (
          "{\"executor\": {\"argv\": [\"python3\", \"%s\", \"close-stdin\"]}, \"max_restarts\": 0,"
          " \"timeouts\": {\"grace_s\": 1}, \"agenda\": {\"frames\": \"1\", \"command\": \"x\"}}", helper);
      FhPluginJob *job;
      char *summary = NULL;
      struct sigaction sa;
      sigset_t mask;

      signal (SIGPIPE, SIG_DFL);
      fx->host.n = 1;
      job = fx->d->job_new (&fx->api, json, fx->options, NULL);
      g_assert_nonnull (job);
      g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_JOB_FAILED);
      g_assert_cmpuint (fx->host.results->len, ==, 1);
      if (strstr (g_ptr_array_index (fx->host.results, 0), "Broken pipe") == NULL)
        g_error ("%s", (char *) g_ptr_array_index (fx->host.results, 0));
      fx->d->free_string (summary);
      fx->d->job_free (job);
      g_assert_cmpint (sigaction (SIGPIPE, NULL, &sa), ==, 0);
      g_assert_true (sa.sa_handler == SIG_DFL);
      g_assert_cmpint (pthread_sigmask (SIG_BLOCK, NULL, &mask), ==, 0);
      g_assert_false (sigismember (&mask, SIGPIPE));
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_passed ();
}

/* ---- NULL where a job belongs -------------------------------------------------- */

static void
test_null_job (Fixture *fx, gconstpointer data)
{
  char *summary = NULL;
  char *error = NULL;

  g_assert_cmpint (fx->d->job_run (NULL, &summary), ==, FH_RUN_REFUSED);
  g_assert_nonnull (strstr (summary, "\"status\":\"refused\""));
  g_assert_nonnull (strstr (summary, "the job is NULL"));
  fx->d->free_string (summary);
  g_assert_cmpint (fx->d->job_run (NULL, NULL), ==, FH_RUN_REFUSED);
  fx->d->job_cancel (NULL, FH_CANCEL_NOW);
  fx->d->job_free (NULL);
  fx->d->free_string (NULL);
  g_assert_null (fx->d->job_describe (NULL));
  g_assert_null (fx->d->job_agenda (NULL, NULL, 0, &error));
  g_assert_cmpstr (error, ==, "job_agenda: the job is NULL");
  fx->d->free_string (error);
}

/* ---- describing and listing ----------------------------------------------------- */

static void
test_describe_without_host (Fixture *fx, gconstpointer data)
{
  char *error = NULL, *summary = NULL;
  FhPluginJob *job = fx->d->job_new (
      NULL, "{\"name\": \"shot\", \"setup\": [\"cd {job_dir}\"], \"agenda\": {\"frames\": "
            "\"1-10\", \"chunk\": 4, \"command\": \"render {start}-{end}\"}}", fx->options, &error);
  g_autofree char *described = NULL;
  g_autofree char *agenda = NULL;
  g_autofree char *want_setup = g_strdup_printf ("\"setup\":[\"cd %s\"]", fx->tmp);

  g_assert_null (error);
  described = fx->d->job_describe (job);
  g_assert_nonnull (strstr (described, "\"name\":\"shot\""));
  g_assert_nonnull (strstr (described, "\"items\":3"));
  g_assert_nonnull (strstr (described, "\"frames\":10"));
  g_assert_nonnull (strstr (described, "\"chunk\":4"));
  g_assert_nonnull (strstr (described, "\"executor\":{\"preset\":\"shell\"}"));
  g_assert_nonnull (strstr (described, want_setup));
  agenda = fx->d->job_agenda (job, "3,1", FH_AGENDA_COMMANDS, &error);
  g_assert_null (error);
  g_assert_cmpstr (agenda, ==, "[{\"index\":2,\"name\":\"9-10\",\"frames\":[9,10],\"number\":3,"
                               "\"command\":\"render 9-10\"},{\"index\":0,\"name\":\"1-4\","
                               "\"frames\":[1,2,3,4],\"number\":1,\"command\":\"render 1-4\"}]");
  /* Made without a host: it can be listed, not run. */
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_REFUSED);
  g_assert_nonnull (strstr (summary, "made without a host API"));
  fx->d->free_string (summary);
  fx->d->job_free (job);
}

static void
test_agenda_errors (Fixture *fx, gconstpointer data)
{
  FhPluginJob *job = make_job (fx, NULL, "true", 5, NULL);
  static const struct { const char *items; const char *pattern; } cases[] = {
    { "9", "there is no item 9; the job has 5 (numbered from 1*" },
    { "0-2", "there is no item 0; the job has 5*" },
    { "x", "*bad item list*" },
    { "", "items is empty" },
    { "1-\xff", "items is not valid UTF-8 (byte 2)" },
  };
  char *all;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *error = NULL;
      g_assert_null (fx->d->job_agenda (job, cases[i].items, 0, &error));
      if (!g_pattern_match_simple (cases[i].pattern, error))
        g_error ("job_agenda '%s': '%s' does not match '%s'", cases[i].items, error, cases[i].pattern);
      fx->d->free_string (error);
      g_assert_null (fx->d->job_agenda (job, cases[i].items, 0, NULL));
    }
  all = fx->d->job_agenda (job, NULL, 0, NULL);
  g_assert_nonnull (strstr (all, "\"number\":5"));
  g_assert_null (strstr (all, "\"command\""));
  fx->d->free_string (all);
  fx->d->job_free (job);
}

/* ---- running -------------------------------------------------------------------- */

static void
test_run_by_name_and_index (Fixture *fx, gconstpointer data)
{
  for (int by_index = 0; by_index < 2; by_index++)
    {
      char *summary = NULL;
      FhPluginJob *job = make_job (fx, &fx->api, "echo item {frame}", 3, NULL);

      fx->host.next = 0;
      fx->host.by_index = by_index;
      g_ptr_array_set_size (fx->host.results, 0);
      g_ptr_array_set_size (fx->host.log, 0);
      g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_OK);
      fx->d->job_free (job);
      g_assert_cmpuint (fx->host.results->len, ==, 3);
      g_assert_nonnull (strstr (g_ptr_array_index (fx->host.results, 1), "\"name\":\"2\""));
      g_assert_nonnull (strstr (g_ptr_array_index (fx->host.results, 1), "\"status\":\"complete\""));
      g_assert_nonnull (strstr (summary, "\"items_complete\":3"));
      /* Log lines are attributed to the item that printed them. */
      g_assert_true (g_ptr_array_find_with_equal_func (fx->host.log, "2|item 2", g_str_equal, NULL));
      fx->d->free_string (summary);
    }
}

/* Work the agenda does not have is reported failed, saying why; the run
 * goes on. */
static void
test_unknown_work (Fixture *fx, gconstpointer data)
{
  static const struct { const char *work; const char *pattern; } cases[] = {
    { "{\"name\": \"99\"}", "*\"name\":\"99\",\"status\":\"failed\",*the job's agenda has no item named '99'*" },
    { "{\"index\": 7}", "*\"status\":\"failed\",*the job's agenda has no item 7 (it has 3, from 0)*" },
    { "{\"command\": 3, \"name\": \"own\"}", "{\"name\":\"own\",\"status\":\"failed\",*command\\\" must be a non-empty string*" },
    { "{\"command\": \"true\", \"frames\": [1, \"x\"]}", "{\"name\":\"command-1\",\"status\":\"failed\",*frames[1] is not an integer*" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *summary = NULL;
      FhPluginJob *job = make_job (fx, &fx->api, "true", 3, NULL);

      g_ptr_array_set_size (fx->host.results, 0);
      fx->host.serve = cases[i].work;
      g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_ITEMS_FAILED);
      g_assert_cmpuint (fx->host.results->len, ==, 1);
      if (!g_pattern_match_simple (cases[i].pattern, g_ptr_array_index (fx->host.results, 0)))
        g_error ("'%s' does not match '%s'", (char *) g_ptr_array_index (fx->host.results, 0),
                 cases[i].pattern);
      fx->d->free_string (summary);
      fx->d->job_free (job);
    }
}

/* A command of the host's own: run as it is, reported under its name,
 * without an index; a job without an agenda takes them. */
static void
test_adhoc_command (Fixture *fx, gconstpointer data)
{
  char *error = NULL, *summary = NULL;
  FhPluginJob *job = fx->d->job_new (&fx->api, "{\"name\": \"adhoc\"}", fx->options, &error);
  const char *result;

  g_assert_null (error);
  fx->host.serve = "{\"command\": \"echo own-$FARMHAND_ITEM {frame}\", \"name\": \"mine\", \"frames\": [7]}";
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_OK);
  g_assert_cmpuint (fx->host.results->len, ==, 1);
  result = g_ptr_array_index (fx->host.results, 0);
  g_assert_true (g_str_has_prefix (result, "{\"name\":\"mine\",\"frames\":[7],\"status\":\"complete\""));
  /* No template: {frame} stays as written. */
  g_assert_true (g_ptr_array_find_with_equal_func (fx->host.log, "mine|own-mine {frame}", g_str_equal, NULL));
  fx->d->free_string (summary);
  fx->d->job_free (job);
}

/* ABI 1.4: next_index serves items without JSON; FH_NEXT_ITEM_JSON sends
 * the plugin to next_item for one item; an index the job does not have is
 * a failed result; FH_NEXT_ITEM_NONE ends the work. */
static const int64_t served_indexes[] = { 2, FH_NEXT_ITEM_JSON, 0, 9, -7, FH_NEXT_ITEM_NONE };

static int64_t
h_next_index (void *data)
{
  Host *h = data;
  guint i = MIN (h->n_index_calls, G_N_ELEMENTS (served_indexes) - 1);

  h->n_index_calls++;
  return served_indexes[i];
}

static void
test_next_index (Fixture *fx, gconstpointer data)
{
  char *summary = NULL;
  FhHostApi api = fx->api;
  FhPluginJob *job;

  api.next_index = h_next_index;
  job = make_job (fx, &api, "echo item {frame}", 3, NULL);
  fx->host.serve = "{\"command\": \"echo own\", \"name\": \"mine\"}";
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_ITEMS_FAILED);
  g_assert_cmpuint (fx->host.results->len, ==, 4);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fx->host.results, 0),
                                   "{\"name\":\"3\",\"index\":2,\"frames\":[3],\"status\":\"complete\""));
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fx->host.results, 1), "{\"name\":\"mine\","));
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fx->host.results, 2), "{\"name\":\"1\",\"index\":0,"));
  g_assert_true (g_pattern_match_simple ("{\"name\":\"#9\",\"status\":\"failed\",*the host's next_index gave 9: "
                                         "the job's agenda has items 0 to 2*",
                                         g_ptr_array_index (fx->host.results, 3)));
  /* Not an index at all: nothing to report it under, so a note. */
  g_assert_true (g_ptr_array_find_with_equal_func (
      fx->host.log, "-|farmhand: the host's next_index gave -7: the job's agenda has items 0 to 2",
      g_str_equal, NULL));
  g_assert_cmpuint (fx->host.n_asked, ==, 1);
  g_assert_true (g_ptr_array_find_with_equal_func (fx->host.log, "3|item 3", g_str_equal, NULL));
  fx->d->free_string (summary);
  fx->d->job_free (job);
}

/* A host of ABI 1.3 has no next_index, whatever its reserved slot holds. */
static void
test_next_index_needs_1_4 (Fixture *fx, gconstpointer data)
{
  char *summary = NULL;
  FhHostApi api = fx->api;
  FhPluginJob *job;

  api.abi_minor = 3;
  api.next_index = h_next_index;
  fx->host.by_index = TRUE;
  job = make_job (fx, &api, "true", 2, NULL);
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_OK);
  g_assert_cmpuint (fx->host.results->len, ==, 2);
  g_assert_cmpuint (fx->host.n_index_calls, ==, 0);
  fx->d->free_string (summary);
  fx->d->job_free (job);
}

static void
test_run_twice (Fixture *fx, gconstpointer data)
{
  FhPluginJob *job = make_job (fx, &fx->api, "true", 1, NULL);
  char *summary = NULL;

  g_assert_cmpint (fx->d->job_run (job, NULL), ==, FH_RUN_OK);
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_REFUSED);
  g_assert_nonnull (strstr (summary, "job_run was already called for this job"));
  g_assert_cmpuint (fx->host.results->len, ==, 1);
  fx->d->free_string (summary);
  /* After the end, a cancel changes nothing. */
  fx->d->job_cancel (job, FH_CANCEL_NOW);
  fx->d->job_free (job);
}

static void
test_cancel_before_run (Fixture *fx, gconstpointer data)
{
  FhPluginJob *job = make_job (fx, &fx->api, "true", 3, NULL);
  char *summary = NULL;

  fx->d->job_cancel (job, FH_CANCEL_GRACEFUL);
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_CANCELLED);
  /* Nothing was asked for, nothing ran. */
  g_assert_cmpuint (fx->host.n_asked, ==, 0);
  g_assert_cmpuint (fx->host.results->len, ==, 0);
  fx->d->free_string (summary);
  fx->d->job_free (job);
}

static void
test_cancel_in_callback (Fixture *fx, gconstpointer data)
{
  FhPluginJob *job = make_job (fx, &fx->api, "true", 5, NULL);

  fx->host.job = job;
  fx->host.cancel_in_next = TRUE;
  g_assert_cmpint (fx->d->job_run (job, NULL), ==, FH_RUN_CANCELLED);
  g_assert_cmpuint (fx->host.n_asked, ==, 1);
  fx->d->job_free (job);
}

typedef struct
{
  Fixture *fx;
  FhPluginJob *job;
  int status;
  char *summary;
} RunThread;

static gpointer
run_thread (gpointer data)
{
  RunThread *t = data;

  t->status = t->fx->d->job_run (t->job, &t->summary);
  return NULL;
}

/* Waits until the log has a line equal to @line. */
static void
await_log (Host *h, const char *line)
{
  g_mutex_lock (&h->lock);
  while (!g_ptr_array_find_with_equal_func (h->log, line, g_str_equal, NULL))
    g_cond_wait (&h->changed, &h->lock);
  g_mutex_unlock (&h->lock);
}

/* job_free() of a running job, from another thread: the command is
 * stopped at once, job_free() returns when job_run() has, and nothing of
 * the job is left running (the executor has exited, the rest of its
 * process group has been sent SIGKILL). */
static void
test_free_running (Fixture *fx, gconstpointer data)
{
  g_autofree char *marker = fh_test_marker ();
  g_autofree char *sleeper = g_strdup_printf ("sleep %s", marker);
  g_autofree char *command = g_strdup_printf ("echo started-%s; %s", marker, sleeper);
  g_autofree char *started = g_strdup_printf ("1|started-%s", marker);
  RunThread t = { fx, make_job (fx, &fx->api, command, 1, NULL), -1, NULL };
  GThread *thread;

  g_assert_nonnull (t.job);
  thread = g_thread_new ("job_run", run_thread, &t);
  await_log (&fx->host, started);
  g_assert_true (fh_test_await_procs (sleeper, 1, 10000 * fh_test_time_factor ()));
  fx->d->job_free (t.job);
  /* job_run() has returned: the thread ends without another event. */
  g_thread_join (thread);
  g_assert_cmpint (t.status, ==, FH_RUN_CANCELLED);
  g_assert_nonnull (strstr (t.summary, "\"status\":\"cancelled\""));
  /* Killed with its group; the kernel takes a moment to finish it. */
  g_assert_true (fh_test_await_procs (sleeper, 0, 5000 * fh_test_time_factor ()));
  fx->d->free_string (t.summary);
}

/* job_free() from inside a host callback: the job is freed when job_run()
 * returns (ASan and valgrind see to "not before, and not never"). */
static void
test_free_in_callback (Fixture *fx, gconstpointer data)
{
  FhPluginJob *job = make_job (fx, &fx->api, "true", 3, NULL);
  char *summary = NULL;

  fx->host.job = job;
  fx->host.free_in_report = TRUE;
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_CANCELLED);
  g_assert_cmpuint (fx->host.results->len, ==, 1);
  fx->d->free_string (summary);
}

/* A cancel from another thread while the command runs; then the job is
 * freed as usual. */
static void
test_cancel_running (Fixture *fx, gconstpointer data)
{
  g_autofree char *marker = fh_test_marker ();
  g_autofree char *command = g_strdup_printf ("echo started-%s; sleep %s; echo not-reached-%s",
                                              marker, marker, marker);
  g_autofree char *started = g_strdup_printf ("1|started-%s", marker);
  g_autofree char *not_reached = g_strdup_printf ("1|not-reached-%s", marker);
  RunThread t = { fx, make_job (fx, &fx->api, command, 2, NULL), -1, NULL };
  GThread *thread = g_thread_new ("job_run", run_thread, &t);
  char *listed;

  await_log (&fx->host, started);
  /* Listing is fine while the job runs. */
  listed = fx->d->job_agenda (t.job, "2", FH_AGENDA_COMMANDS, NULL);
  g_assert_nonnull (strstr (listed, "\"name\":\"2\""));
  fx->d->free_string (listed);
  fx->d->job_cancel (t.job, FH_CANCEL_GRACEFUL);
  g_thread_join (thread);
  g_assert_cmpint (t.status, ==, FH_RUN_CANCELLED);
  g_assert_false (g_ptr_array_find_with_equal_func (fx->host.log, not_reached, g_str_equal, NULL));
  /* The item was served and reported; the second never served. */
  g_assert_cmpuint (fx->host.results->len, ==, 1);
  g_assert_cmpuint (fx->host.next, ==, 1);
  fx->d->free_string (t.summary);
  fx->d->job_free (t.job);
}

/* 20,000 progress lines (a render log reports one per sample) and then
 * something else: the host hears a few updates, the last one exact, and
 * the result holds it. */
static void
test_progress_coalesced (Fixture *fx, gconstpointer data)
{
  char *error = NULL, *summary = NULL;
  FhPluginJob *job = fx->d->job_new (
      &fx->api, "{\"agenda\":{\"frames\":\"1\",\"command\":"
                "\"i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo \\\"Sample $i/20000\\\"; done; echo done\"},"
                "\"log\":{\"progress\":\"Sample (?<done>\\\\d+)/(?<total>\\\\d+)\"}}",
      fx->options, &error);

  g_assert_null (error);
  fx->host.n = 1;
  g_assert_cmpint (fx->d->job_run (job, &summary), ==, FH_RUN_OK);
  fx->d->job_free (job);
  fx->d->free_string (summary);
  g_assert_cmpuint (fx->host.log->len, >, 20000);
  g_assert_cmpuint (fx->host.n_progress, >, 0);
  g_assert_cmpuint (fx->host.n_progress, <, 2000);
  g_assert_cmpfloat (fx->host.last_progress, ==, 1.0);
  g_assert_nonnull (strstr (g_ptr_array_index (fx->host.results, 0), "\"progress\":1.0"));
}

/* ---- scanning a log (ABI 1.1) ------------------------------------------------------ */

/* job_scan_log's answer for @log, or its error (one of them NULL). */
static char *
scan_log (Fixture *fx, FhPluginJob *job, const char *log, gsize len, const char *options,
          char **error)
{
  g_assert_cmpuint (fx->d->abi_minor, >=, 1);
  g_assert_nonnull (fx->d->job_scan_log);
  *error = NULL;
  return fx->d->job_scan_log (job, log, len, options, error);
}

static void
test_scan_log (Fixture *fx, gconstpointer data)
{
  static const char log[] = "Fra:1 Mem:1M | Scene | Sample 32/128\n"
                            "Saved: 'C:\\renders\\a.0001.png'\n"
                            "ABI-SCAN-MARK-5521 studio check\r\n"
                            "\xff invalid UTF-8, no newline";
  const char *job_json = "{\"name\": \"scan\", \"agenda\": {\"frames\": \"1\", \"command\": \":\"}, "
                         "\"log\": {\"preset\": \"blender\", \"errors\": [\"^ABI-SCAN-MARK-5521\"]}}";
  char *error = NULL;
  FhPluginJob *job = fx->d->job_new (NULL, job_json, NULL, &error);
  char *out;

  g_assert_null (error);
  out = scan_log (fx, job, log, sizeof log - 1, NULL, &error);
  g_assert_null (error);
  g_assert_nonnull (strstr (out, "\"verdict\":\"failed\""));
  g_assert_nonnull (strstr (out, "\"lines\":4"));
  g_assert_nonnull (strstr (out, "{\"line\":1,\"fraction\":0.25}"));
  g_assert_nonnull (strstr (out, "{\"line\":2,\"path\":\"C:\\\\renders\\\\a.0001.png\"}"));
  g_assert_nonnull (strstr (out, "{\"line\":3,\"text\":\"ABI-SCAN-MARK-5521 studio check\"}"));
  fx->d->free_string (out);
  /* The preset alone, no job: the job's pattern is gone. */
  out = scan_log (fx, NULL, log, sizeof log - 1, "{\"preset\": \"blender\"}", &error);
  g_assert_nonnull (strstr (out, "\"verdict\":\"complete\""));
  fx->d->free_string (out);
  /* An empty log, a NULL one of no bytes. */
  out = scan_log (fx, job, NULL, 0, "{\"per_line\": true}", &error);
  g_assert_nonnull (strstr (out, "\"verdict\":\"complete\""));
  g_assert_nonnull (strstr (out, "\"per_line\":[]"));
  fx->d->free_string (out);
  fx->d->job_free (job);
}

static void
test_scan_log_errors (Fixture *fx, gconstpointer data)
{
  static const struct { const char *options; const char *pattern; } cases[] = {
    { "{\"preset\": \"no-such-app\"}", "*no log preset 'no-such-app' (presets: 3dsmax, arnold, *" },
    { "{\"preset\": 7}", "options_json: preset must be a string" },
    { "{\"per_line\": \"yes\"}", "options_json: per_line must be a boolean" },
    { "{\"colour\": true}", "options_json: unknown field 'colour' (known: preset, per_line)" },
    { "[1", "options_json: *" },
    { "", "options_json is empty" },
  };
  char *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_null (scan_log (fx, NULL, "x\n", 2, cases[i].options, &error));
      if (!g_pattern_match_simple (cases[i].pattern, error))
        g_error ("job_scan_log %s: '%s' does not match '%s'", cases[i].options, error, cases[i].pattern);
      fx->d->free_string (error);
    }
  g_assert_null (scan_log (fx, NULL, NULL, 3, NULL, &error));
  g_assert_cmpstr (error, ==, "job_scan_log: the log is NULL");
  fx->d->free_string (error);
  /* No preset and no job: only OpenJD directives are read. */
  error = NULL;
  {
    char *out = scan_log (fx, NULL, "openjd_fail: no camera\n", 23, NULL, &error);
    g_assert_nonnull (strstr (out, "\"verdict\":\"failed\""));
    fx->d->free_string (out);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add ("/abi/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("job-new/bad-job-text", test_bad_job_text);
  ADD ("job-new/bad-options", test_bad_options);
  ADD ("job-new/bad-host", test_bad_host);
  ADD ("job-new/bigger-host", test_bigger_host);
  ADD ("job-create/errors-as-data", test_create_errors_as_data);
  ADD ("job-new/keeps-text", test_new_keeps_text);
  ADD ("has", test_has);
  ADD ("sigpipe-is-the-hosts", test_sigpipe_is_the_hosts);
  ADD ("null-job", test_null_job);
  ADD ("describe-without-host", test_describe_without_host);
  ADD ("agenda-errors", test_agenda_errors);
  ADD ("run/by-name-and-index", test_run_by_name_and_index);
  ADD ("run/unknown-work", test_unknown_work);
  ADD ("run/twice", test_run_twice);
  ADD ("run/adhoc-command", test_adhoc_command);
  ADD ("run/next-index", test_next_index);
  ADD ("run/next-index-needs-1.4", test_next_index_needs_1_4);
  ADD ("run/log-optional", test_log_optional);
  ADD ("cancel/before-run", test_cancel_before_run);
  ADD ("cancel/in-callback", test_cancel_in_callback);
  ADD ("cancel/running", test_cancel_running);
  ADD ("free/running", test_free_running);
  ADD ("free/in-callback", test_free_in_callback);
  ADD ("progress-coalesced", test_progress_coalesced);
  ADD ("scan-log", test_scan_log);
  ADD ("scan-log/errors", test_scan_log_errors);
#undef ADD
  return g_test_run ();
}
