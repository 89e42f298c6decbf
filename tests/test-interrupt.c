/* test-interrupt.c — once farmhand has decided a command is over (a
 * timeout, a stall, a cancel), nothing more of it runs: not the next
 * statement, not the rest of a loop, a function, a sourced file, a &&
 * chain or a subshell (docs/protocol.md, "Stopping a command").
 *
 * A table: every shape of command below, in every shell mode (bash with
 * farmhand's builtin, the translator with /bin/sh, the translator with
 * bash), stopped in every way (agenda timeout, stall, cancel by SIGINT and
 * by SIGTERM, setup and teardown timeouts).  Each command first runs a
 * blocker that says it has started, then would write "rest" files; the
 * test waits for the start, lets farmhand stop it, and checks that no
 * rest file exists, that the item says why it failed, that the session
 * survived where the mode promises it (teardown runs in the same shell
 * after a cancel) and that no process is left.  Each test's processes
 * carry a marker unique to it, matched exactly. */
#include "config.h"

#include <signal.h>

#include "fh-test-utils.h"

typedef struct
{
  const char *name;
  const char *argv;        /* executor argv, JSON */
  gboolean keeps_session;  /* the shell survives an interrupt */
  gboolean subshells;      /* subshells and a command's own SIGINT trap
                              obey too (not bash without the builtin) */
} Mode;

static const Mode modes[] = {
  { "direct", "[\"{farmhand_executor}\"]", TRUE, TRUE },
  { "sh", "[\"{farmhand_executor}\", \"--shell\", \"/bin/sh\"]", FALSE, TRUE },
  { "bash-translator", "[\"{farmhand_executor}\", \"--shell\", \"bash\", \"--translate\"]", FALSE, FALSE },
};

/* What the command looks like.  BLOCK is a program that says it started
 * and sleeps until SIGINT kills it; CATCH one that catches SIGINT and
 * exits 0 by itself (a shell then goes on, unless told otherwise); LOOP a
 * loop of builtins, with no program to wait for.  Every "rest" file the
 * command would write is a failure of the test. */
typedef struct
{
  const char *name;
  const char *command;
  gboolean needs_subshells;
} Shape;

static const Shape shapes[] = {
  { "plain", "BLOCK; echo x > rest1", FALSE },
  { "catch", "CATCH; echo x > rest1", FALSE },
  { "loop", "for i in 1 2; do CATCH; echo x > rest$i; done; echo x > rest3", FALSE },
  { "and", "CATCH && echo x > rest1", FALSE },
  { "function", "f() { CATCH; echo x > rest1; }; f; echo x > rest2", FALSE },
  { "source", "printf 'CATCH\\\\necho x > rest1\\\\n' > src.sh; . ./src.sh; echo x > rest2", FALSE },
  { "lines", "CATCH\\necho x > rest1", FALSE },
  { "builtins", "LOOP; echo x > rest1", FALSE },
  { "pipeline", "CATCH | cat; echo x > rest1", FALSE },
  { "subshell", "( CATCH; echo x > rest1 ); echo x > rest2", TRUE },
  /* The command's own trap runs (bash runs a SIGINT trap when the
   * program it waited for died of SIGINT), then nothing more. */
  { "own-trap", "trap 'echo x > trapped' INT; BLOCK; echo x > rest1", TRUE },
};

typedef enum {
  STOP_TIMEOUT,     /* timeouts.command_s */
  STOP_STALL,       /* timeouts.stall_s */
  STOP_SIGINT,      /* cancel: SIGINT to the host */
  STOP_SIGTERM,     /* cancel: SIGTERM to the host */
  STOP_SETUP,       /* timeouts.setup_s, in setup */
  STOP_TEARDOWN,    /* timeouts.teardown_s, in teardown */
} Stop;

typedef struct
{
  char *path;
  const Mode *mode;
  const Shape *shape;
  Stop stop;
} Case;

typedef struct
{
  char *dir;
  char *marker;     /* sleep argument unique to this test */
  char *sleeper;    /* "sleep MARKER": the blockers' processes */
  char *results;
  char *out;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  fx->dir = fh_test_mkdtemp ();
  fx->marker = fh_test_marker ();
  fx->sleeper = g_strdup_printf ("sleep %s", fx->marker);
  fx->results = g_build_filename (fx->dir, "results.jsonl", NULL);
  fx->out = g_build_filename (fx->dir, "out.txt", NULL);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  fh_test_rmtree (fx->dir);
  g_free (fx->dir);
  g_free (fx->marker);
  g_free (fx->sleeper);
  g_free (fx->results);
  g_free (fx->out);
}

/* The blockers: each touches "started" first, so the test knows the
 * command is under way. */
static void
write_blockers (Fixture *fx)
{
  g_autofree char *block = g_strdup_printf ("#!/bin/sh\n: > started\nexec sleep %s\n", fx->marker);
  g_autofree char *catch = g_strdup_printf ("#!/bin/sh\n: > started\ntrap 'kill $!; exit 0' INT\n"
                                            "sleep %s & wait\n", fx->marker);
  const char *names[] = { "block", "catch" };
  const char *texts[] = { block, catch };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = fh_test_write (fx->dir, names[i], texts[i]);
      g_assert_cmpint (g_chmod (path, 0755), ==, 0);
    }
}

static char *
expand_shape (const Shape *shape)
{
  g_autoptr (GString) s = g_string_new (shape->command);

  g_string_replace (s, "BLOCK", "./block", 0);
  g_string_replace (s, "CATCH", "./catch", 0);
  g_string_replace (s, "LOOP", ": > started; while :; do :; done", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The job: setup records the session's pid; the command under test goes
 * where @c->stop puts it; teardown records the pid it runs in. */
static char *
job_json (const Case *c)
{
  g_autofree char *command = expand_shape (c->shape);
  const char *who = "echo $$ > setup.pid";
  const char *after = "echo $$ > teardown.pid";
  const char *timeouts = "\"grace_s\": 5";
  g_autofree char *setup = NULL, *teardown = NULL, *agenda = NULL, *all_timeouts = NULL;

  switch (c->stop)
    {
    case STOP_SETUP:
      setup = g_strdup_printf ("[\"%s\", \"%s\"]", who, command);
      agenda = g_strdup ("echo x > rest-item");
      teardown = g_strdup_printf ("[\"%s\"]", after);
      all_timeouts = g_strdup_printf ("%s, \"setup_s\": 0.5", timeouts);
      break;
    case STOP_TEARDOWN:
      setup = g_strdup_printf ("[\"%s\"]", who);
      agenda = g_strdup ("true");
      teardown = g_strdup_printf ("[\"%s\", \"echo x > rest-teardown\"]", command);
      all_timeouts = g_strdup_printf ("%s, \"teardown_s\": 0.5", timeouts);
      break;
    default:
      setup = g_strdup_printf ("[\"%s\"]", who);
      agenda = g_strdup (command);
      teardown = g_strdup_printf ("[\"%s\"]", after);
      all_timeouts = g_strdup_printf ("%s%s", timeouts,
                                      c->stop == STOP_TIMEOUT ? ", \"command_s\": 0.5"
                                      : c->stop == STOP_STALL ? ", \"stall_s\": 0.5" : "");
      break;
    }
  return g_strdup_printf ("{\"executor\": {\"argv\": %s}, \"max_restarts\": 1,"
                          " \"setup\": %s, \"teardown\": %s, \"timeouts\": {%s},"
                          " \"agenda\": {\"items\": [{\"name\": \"it\", \"command\": \"%s\"},"
                          " {\"name\": \"next\", \"command\": \"echo x > next-ran\"}]}}",
                          c->mode->argv, setup, teardown, all_timeouts, agenda);
}

static gboolean
exists (Fixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static char *
read_file (Fixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->dir, name, NULL);
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text;
}

/* No "rest" file: nothing after the interrupted statement ran. */
static void
assert_nothing_more (Fixture *fx)
{
  g_autoptr (GDir) d = g_dir_open (fx->dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "rest"))
      {
        g_autofree char *log = read_file (fx, "out.txt");
        g_error ("'%s' exists: the command went on after it was interrupted\n%s", name,
                 log ? log : "");
      }
}

static int
finish (GSubprocess *proc)
{
  g_autoptr (GError) err = NULL;

  g_subprocess_wait (proc, NULL, &err);
  g_assert_no_error (err);
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc)
                                           : 128 + g_subprocess_get_term_sig (proc);
}

/* The job's results line for item @name.  (transfer full) */
static JsonObject *
result_of (Fixture *fx, const char *name)
{
  g_autoptr (GPtrArray) lines = fh_test_read_results (fx->results);

  for (guint i = 0; i < lines->len; i++)
    if (g_strcmp0 (fh_test_result_field (lines, i, "name"), name) == 0)
      return json_object_ref (g_ptr_array_index (lines, i));
  g_error ("no result for item %s", name);
}

static void
assert_traceback (JsonObject *r, const char *pattern)
{
  const char *tb = json_object_get_string_member_with_default (r, "traceback", "");

  if (!g_pattern_match_simple (pattern, tb))
    g_error ("traceback '%s' does not match '%s'", tb, pattern);
}

static void
test_stop (Fixture *fx, gconstpointer data)
{
  const Case *c = data;
  g_autofree char *json = job_json (c);
  g_autofree char *job = fh_test_write (fx->dir, "job.json", json);
  g_autofree char *started = g_build_filename (fx->dir, "started", NULL);
  g_autoptr (GSubprocess) host = NULL;
  g_autoptr (JsonObject) r = NULL;
  gboolean cancel = c->stop == STOP_SIGINT || c->stop == STOP_SIGTERM;
  int code;

  write_blockers (fx);
  host = fh_test_farmhand_start (fx->dir, fx->out, NULL, "run", job, "--results", fx->results,
                                 "--plain", "-v", NULL);
  fh_test_await_file (started, 20000 * fh_test_time_factor ());
  if (cancel)
    g_subprocess_send_signal (host, c->stop == STOP_SIGINT ? SIGINT : SIGTERM);
  code = finish (host);
  g_assert_cmpint (code, ==, c->stop == STOP_SIGINT ? 130 : c->stop == STOP_SIGTERM ? 143 : 1);
  assert_nothing_more (fx);
  g_assert_true (fh_test_await_procs (fx->sleeper, 0, 10000 * fh_test_time_factor ()));
  if (c->shape->needs_subshells && g_str_equal (c->shape->name, "own-trap"))
    g_assert_true (exists (fx, "trapped"));   /* the command's own trap ran */
  switch (c->stop)
    {
    case STOP_SETUP:
      r = result_of (fx, "it");
      assert_traceback (r, "not run: setup[1] failed: timeout after 0.5 s; interrupted*");
      break;
    case STOP_TEARDOWN:
      g_assert_false (exists (fx, "rest-teardown"));
      break;
    case STOP_TIMEOUT:
    case STOP_STALL:
      r = result_of (fx, "it");
      assert_traceback (r, c->stop == STOP_TIMEOUT ? "timeout after 0.5 s; interrupted:\n*"
                                                   : "stalled: no output and no result for 0.5 s; interrupted:\n*");
      /* The job goes on, in a new session (a hung one is not trusted). */
      g_assert_true (exists (fx, "next-ran"));
      break;
    default:
      r = result_of (fx, "it");
      assert_traceback (r, "cancelled; interrupted:\n*");
      g_assert_false (exists (fx, "next-ran"));
      /* Teardown runs in the session that survived the interrupt, or, in
       * translator mode, the session ended with the command. */
      if (c->mode->keeps_session)
        {
          g_autofree char *before = read_file (fx, "setup.pid");
          g_autofree char *after = read_file (fx, "teardown.pid");
          g_assert_cmpstr (after, ==, before);
        }
      else
        {
          g_autofree char *log = read_file (fx, "out.txt");
          g_assert_false (exists (fx, "teardown.pid"));
          g_assert_nonnull (strstr (log, "teardown not run: the executor is gone"));
        }
      break;
    }
}

/* Python: KeyboardInterrupt is raised where the command was, so the rest
 * of it does not run; a command that catches it goes on, and gets
 * grace_s before SIGTERM (here it ignores the interrupt and sleeps on). */
static void
test_python (Fixture *fx, gconstpointer data)
{
  gboolean catches = GPOINTER_TO_INT (data);
  g_autofree char *body = catches
      ? g_strdup_printf ("try:\\n    subprocess.run(['sleep', '%s'])\\nexcept KeyboardInterrupt:\\n"
                         "    subprocess.run(['sleep', '%s'])", fx->marker, fx->marker)
      : g_strdup_printf ("subprocess.run(['sleep', '%s'])", fx->marker);
  g_autofree char *full = g_strdup_printf (
      "{\"executor\": \"python\", \"timeouts\": {\"command_s\": 0.5, \"grace_s\": 1},"
      " \"setup\": \"import subprocess, time\","
      " \"agenda\": {\"items\": [{\"name\": \"it\", \"command\":"
      " \"open('started', 'w').close()\\n%s\\nopen('rest1', 'w').close()\"}]}}", body);
  g_autofree char *job = fh_test_write (fx->dir, "job.json", full);
  FhTestRun r = fh_test_farmhand (fx->dir, "run", job, "--results", fx->results, "--plain", NULL);
  g_autoptr (JsonObject) result = NULL;

  g_assert_cmpint (r.exit_code, ==, 1);
  fh_test_run_clear (&r);
  assert_nothing_more (fx);
  g_assert_true (fh_test_await_procs (fx->sleeper, 0, 10000 * fh_test_time_factor ()));
  result = result_of (fx, "it");
  assert_traceback (result, catches ? "timeout after 0.5 s; the command did not stop on SIGINT*"
                                    : "timeout after 0.5 s; interrupted:\nTraceback*KeyboardInterrupt*");
}

static const char *const stop_names[] = { "timeout", "stall", "sigint", "sigterm", "setup", "teardown" };

static void
add_case (GPtrArray *keep, const Mode *mode, const Shape *shape, Stop stop)
{
  Case *c = g_new0 (Case, 1);

  c->mode = mode;
  c->shape = shape;
  c->stop = stop;
  c->path = g_strdup_printf ("/farmhand/interrupt/%s/%s/%s", mode->name, stop_names[stop], shape->name);
  g_ptr_array_add (keep, c);
  g_test_add (c->path, Fixture, c, fixture_set_up, test_stop, fixture_tear_down);
}

static void
case_free (gpointer p)
{
  Case *c = p;

  g_free (c->path);
  g_free (c);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (case_free);
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Nothing more of a command runs once farmhand has stopped it");
  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
      {
        if (shapes[s].needs_subshells && !modes[m].subshells)
          continue;
        /* Every shape, stopped by a timeout and by a cancel; the other
         * ways of stopping use the same path, so two shapes each. */
        add_case (keep, &modes[m], &shapes[s], STOP_TIMEOUT);
        add_case (keep, &modes[m], &shapes[s], STOP_SIGINT);
        if (s < 2)
          {
            add_case (keep, &modes[m], &shapes[s], STOP_STALL);
            add_case (keep, &modes[m], &shapes[s], STOP_SIGTERM);
            add_case (keep, &modes[m], &shapes[s], STOP_SETUP);
            add_case (keep, &modes[m], &shapes[s], STOP_TEARDOWN);
          }
      }
  g_test_add ("/farmhand/interrupt/python/timeout/plain", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_python, fixture_tear_down);
  g_test_add ("/farmhand/interrupt/python/timeout/catches", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_python, fixture_tear_down);
  status = g_test_run ();
  return status;
}
