/* test-executor.c — one conformance table, run against every executor
 * through the real executor connection, on real processes and sockets:
 * farmhand-executor in direct mode (bash with farmhand's builtin, the
 * default), in translator mode (--shell /bin/sh), and farmhand_executor.py.
 *
 * With FH_TEST_VIA (a JSON array: a transport's argv prefix, such as
 * ["sudo", "-u", "render", "--"]) the table runs over the stdio channel
 * through that transport instead, the Python executor bootstrapped over
 * it (tests/test-transports.py starts the transports and runs this).
 *
 * Each case gives the command for the shell and for Python; the fixture
 * starts the executor of the kind under test and records its log.  Cases
 * after the table cover what only one mode has.
 */
#include "config.h"

#include <signal.h>

#include <glib/gstdio.h>

#include "fh-executor-connection.h"
#include "fh-error.h"
#include "fh-executor-dir.h"
#include "fh-test-utils.h"

typedef enum { KIND_SHELL, KIND_SHELL_POSIX, KIND_PYTHON } Kind;

static const char *const kind_names[] = { "shell", "shell-posix", "python" };

/* FH_TEST_VIA: the transport's argv prefix, or NULL (run locally). */
static char **via;

typedef struct
{
  Kind kind;
  gboolean shell;          /* either shell mode */
  GMainContext *context;
  FhExecutorConnection *conn;
  GPtrArray *log;          /* "stdout: line" / "stderr: line" */
  char *tmp;
  char *mark;              /* file the streaming test creates */
} Fixture;

static void
on_log (FhLogStream stream, const char *line, gsize len, gboolean echo, gpointer data)
{
  Fixture *fx = data;
  const char *names[] = { "", "stdout", "stderr", "farmhand" };

  g_ptr_array_add (fx->log, g_strdup_printf ("%s: %.*s", names[stream], (int) len, line));
  /* The streaming case: the command waits until we have seen its line. */
  if (fx->mark != NULL && len == 5 && memcmp (line, "ready", 5) == 0)
    g_file_set_contents (fx->mark, "", 0, NULL);
}

static char **
argv_for (Kind kind)
{
  g_autofree char *dir = fh_executor_dir ();
  g_autofree char *shell = g_build_filename (dir, "farmhand-executor", NULL);
  g_autofree char *py = g_build_filename (dir, "farmhand_executor.py", NULL);

  if (kind == KIND_SHELL)
    return g_strdupv ((char *[]) { shell, NULL });
  if (kind == KIND_SHELL_POSIX)
    return g_strdupv ((char *[]) { shell, "--shell", "/bin/sh", NULL });
  if (via != NULL)
    return g_strdupv ((char *[]) { "python3", "-u", "-c", "{farmhand_bootstrap}", NULL });
  return g_strdupv ((char *[]) { "python3", "-u", py, NULL });
}

/* Through the transport: what the job runner does for executor.via. */
static char **
via_argv (FhExecutorConnection *conn, const char *const *argv)
{
  g_autoptr (GBytes) bootstrap = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *transport = g_strjoinv (" ", via);
  g_auto (GStrv) expanded = fh_executor_dir_expand_remote_argv (argv, NULL, &bootstrap, &shown, &err);

  g_assert_no_error (err);
  fh_executor_connection_set_stdio (conn, transport, bootstrap);
  return fh_executor_dir_prefix_argv ((const char *const *) via, (const char *const *) expanded);
}

/* Starts the executor @argv with @env ("NAME=VALUE", nullable). */
static void
start_argv (Fixture *fx, const char *const *argv, const char *const *env)
{
  g_autoptr (GError) err = NULL;

  g_auto (GStrv) through = NULL;

  fx->conn = fh_executor_connection_new (NULL, NULL);
  fh_executor_connection_set_log_func (fx->conn, on_log, fx);
  if (via != NULL)
    argv = (const char *const *) (through = via_argv (fx->conn, argv));
  g_assert_true (fh_executor_connection_start (fx->conn, (const char *const *) argv, fx->tmp, env, 30, &err));
  g_assert_no_error (err);
  g_assert_cmpstr (fh_executor_connection_get_hello (fx->conn)->kind, ==, fx->shell ? "shell" : "python");
}

/* Starts the executor of @fx->kind with @env ("NAME=VALUE", nullable). */
static void
start (Fixture *fx, const char *const *env)
{
  g_auto (GStrv) argv = argv_for (fx->kind);

  start_argv (fx, (const char *const *) argv, env);
}

static void
fixture_init (Fixture *fx, gconstpointer data)
{
  fx->kind = GPOINTER_TO_INT (data);
  fx->shell = fx->kind != KIND_PYTHON;
  fx->context = g_main_context_new ();
  g_main_context_push_thread_default (fx->context);
  fx->log = g_ptr_array_new_with_free_func (g_free);
  fx->tmp = fh_test_mkdtemp ();
  /* The far side may be another user (sudo -u, ssh user@). */
  if (via != NULL)
    g_chmod (fx->tmp, 0777);
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  fixture_init (fx, data);
  start (fx, NULL);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_clear_pointer (&fx->conn, fh_executor_connection_free);
  g_main_context_pop_thread_default (fx->context);
  g_main_context_unref (fx->context);
  if (g_test_verbose ())
    for (guint i = 0; i < fx->log->len; i++)
      g_printerr ("  log %s\n", (char *) g_ptr_array_index (fx->log, i));
  g_ptr_array_unref (fx->log);
  fh_test_rmtree (fx->tmp);
  g_free (fx->tmp);
  g_free (fx->mark);
}

static FhCommandResult *
run (Fixture *fx, const char *shell, const char *python)
{
  g_autoptr (GError) err = NULL;
  FhCommandResult *r = fh_executor_connection_run (fx->conn, FH_PHASE_AGENDA,
                                          fx->shell ? shell : python, NULL, NULL, &err);

  g_assert_no_error (err);
  return r;
}

static void
assert_ok (Fixture *fx, const char *shell, const char *python)
{
  g_autoptr (FhCommandResult) r = run (fx, shell, python);

  if (r->status != FH_STATUS_OK)
    g_error ("command failed: %s", r->traceback);
}

static gboolean
log_has (Fixture *fx, const char *pattern)
{
  for (guint i = 0; i < fx->log->len; i++)
    if (g_pattern_match_simple (pattern, g_ptr_array_index (fx->log, i)))
      return TRUE;
  return FALSE;
}

static int
close_executor (Fixture *fx)
{
  return fh_executor_connection_close (fx->conn, -1, 10);
}

/* ---- the table ---------------------------------------------------------- */

static void
test_success (Fixture *fx, gconstpointer data)
{
  g_autoptr (FhCommandResult) r = run (fx, "true", "pass");

  g_assert_cmpint (r->status, ==, FH_STATUS_OK);
  g_assert_null (r->traceback);
  g_assert_cmpint (close_executor (fx), ==, 0);
}

static void
test_failure_traceback (Fixture *fx, gconstpointer data)
{
  g_autoptr (FhCommandResult) r = run (fx,
      "echo 'no such scene: shot.ma' >&2; sh -c 'exit 3'",
      "def load(p):\n    raise FileNotFoundError('no such scene: ' + p)\nload('shot.ma')");

  g_assert_cmpint (r->status, ==, FH_STATUS_FAILED);
  g_assert_nonnull (r->traceback);
  g_assert_true (strstr (r->traceback, "no such scene: shot.ma") != NULL);
  if (fx->shell)
    {
      g_assert_true (strstr (r->traceback, "command exited with status 3") != NULL);
      g_assert_true (r->has_code);
      g_assert_cmpint (r->code, ==, 3);
    }
  else
    {
      /* A real Python traceback, starting at the command, naming the line. */
      g_assert_true (g_str_has_prefix (r->traceback, "Traceback (most recent call last):\n"));
      g_assert_true (strstr (r->traceback, "line 3, in <module>") != NULL);
      g_assert_true (strstr (r->traceback, "raise FileNotFoundError") != NULL);
      g_assert_true (strstr (r->traceback, "farmhand_executor.py") == NULL);
    }
  /* The session survives a failed command. */
  assert_ok (fx, "true", "pass");
}

static void
test_state_persists (Fixture *fx, gconstpointer data)
{
  g_autofree char *env_sh = fh_test_write (fx->tmp, "env.sh", "SHOT=010\nexport SHOT\n");

  assert_ok (fx, "mkdir -p sub && cd sub && export FOO=bar && count=1",
             "import os\nos.makedirs('sub', exist_ok=True)\nos.chdir('sub')\ncount = 1");
  assert_ok (fx, ". ../env.sh; count=$((count + 1))", "count += 1\nfrom os.path import basename");
  assert_ok (fx, "[ \"$(basename \"$PWD\")\" = sub ] && [ \"$FOO\" = bar ] && [ $count = 2 ] && [ \"$SHOT\" = 010 ]",
             "import os\nassert basename(os.getcwd()) == 'sub'\nassert count == 2");
}

static void
test_output_streams (Fixture *fx, gconstpointer data)
{
  g_autoptr (FhCommandResult) r = NULL;

  fx->mark = g_build_filename (fx->tmp, "mark", NULL);
  /* Finishes only if "ready" reached the log while it was still running. */
  r = run (fx,
           "echo ready; i=0; while [ ! -e mark ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -e mark ]",
           "import os, time\nprint('ready')\nfor i in range(200):\n    if os.path.exists('mark'): break\n    time.sleep(0.05)\nassert os.path.exists('mark')");
  g_assert_cmpint (r->status, ==, FH_STATUS_OK);
  g_assert_true (log_has (fx, "stdout: ready"));
}

static void
test_output_before_result (Fixture *fx, gconstpointer data)
{
  guint before;

  /* Every line a command prints is in the log when its result returns. */
  for (int i = 0; i < 20; i++)
    {
      g_autofree char *want_out = g_strdup_printf ("stdout: out %d", i);
      g_autofree char *want_err = g_strdup_printf ("stderr: err %d", i);
      g_autofree char *sh = g_strdup_printf ("echo out %d; echo err %d >&2; printf tail", i, i);
      g_autofree char *py = g_strdup_printf ("import sys\nprint('out %d')\nprint('err %d', file=sys.stderr)\nsys.stdout.write('tail')", i, i);

      before = fx->log->len;
      assert_ok (fx, sh, py);
      g_assert_true (log_has (fx, want_out));
      g_assert_true (log_has (fx, want_err));
      g_assert_cmpuint (fx->log->len, >, before);
      /* The unterminated last line belongs to this command too. */
      g_assert_cmpstr (g_ptr_array_index (fx->log, fx->log->len - 1), ==, "stdout: tail");
    }
}

static void
test_big_output (Fixture *fx, gconstpointer data)
{
  guint lines = 0;

  /* 2 MB of output: far more than a pipe holds, so the connection must
   * read while the command runs. */
  assert_ok (fx, "i=0; while [ $i -lt 40000 ]; do echo \"line $i 0123456789012345678901234567890123456789\"; i=$((i+1)); done",
             "for i in range(40000):\n    print('line %d 0123456789012345678901234567890123456789' % i)");
  for (guint i = 0; i < fx->log->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (fx->log, i), "stdout: line "))
      lines++;
  g_assert_cmpuint (lines, ==, 40000);
}

static void
test_exit_code_on_close (Fixture *fx, gconstpointer data)
{
  assert_ok (fx, "true", "pass");
  g_assert_cmpint (close_executor (fx), ==, 0);
  g_assert_false (fh_executor_connection_is_alive (fx->conn));
}

static void
test_command_ends_session (Fixture *fx, gconstpointer data)
{
  g_autoptr (FhCommandResult) r = run (fx, "exit 3", "import sys\nsys.exit(3)");
  g_autoptr (GError) err = NULL;
  g_autoptr (FhCommandResult) after = NULL;

  g_assert_cmpint (r->status, ==, FH_STATUS_FAILED);
  g_assert_true (r->has_code);
  g_assert_cmpint (r->code, ==, 3);
  /* The session is over: the executor exits with the command's code. */
  g_assert_cmpint (close_executor (fx), ==, 3);
  after = fh_executor_connection_run (fx->conn, FH_PHASE_AGENDA, "true", NULL, NULL, &err);
  g_assert_null (after);
  g_assert_error (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_EXITED);
  g_assert_true (strstr (err->message, "exited with code 3") != NULL);
}

static void
test_early_exit (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GError) err2 = NULL;
  g_autoptr (FhCommandResult) r = NULL;

  assert_ok (fx, "echo 'loading scene'", "print('loading scene')");
  /* The executor dies (as on an OOM kill) while running a command. */
  r = fh_executor_connection_run (fx->conn, FH_PHASE_AGENDA,
                         fx->shell ? "echo 'about to die'; kill -9 $PPID; sleep 5"
                                                : "import os, signal\nprint('about to die')\nos.kill(os.getpid(), signal.SIGKILL)",
                         NULL, NULL, &err);
  g_assert_null (r);
  g_assert_error (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_EXITED);
  /* Through ssh the far side's death comes back as an exit status. */
  g_assert_true (strstr (err->message, "while running this command") != NULL);
  if (via == NULL)
    {
      g_assert_true (strstr (err->message, "was killed by signal 9") != NULL);
      /* The report carries the last lines of the log. */
      g_assert_true (strstr (err->message, "about to die") != NULL);
    }
  else  /* what the far side had not sent yet died with it; ssh says 255 */
    g_assert_true (strstr (err->message, "was killed by signal 9") != NULL ||
                   strstr (err->message, "exited with code") != NULL);
  g_assert_false (fh_executor_connection_is_alive (fx->conn));
  /* Every later command fails the same way, at once. */
  g_assert_null (fh_executor_connection_run (fx->conn, FH_PHASE_AGENDA, "true", NULL, NULL, &err2));
  g_assert_error (err2, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_EXITED);
}

static void
test_stdin_is_private (Fixture *fx, gconstpointer data)
{
  /* A command that reads stdin must not swallow the commands after it. */
  assert_ok (fx, "cat; read x || true", "import sys, os\nassert sys.stdin.read() == ''\nassert os.read(0, 100) == b''");
  assert_ok (fx, "sh -c 'cat >/dev/null'", "import subprocess\nsubprocess.run(['cat'], check=True)");
  assert_ok (fx, "true", "pass");
}

static void
test_output_cannot_forge (Fixture *fx, gconstpointer data)
{
  /* A well-formed result frame for this very command (the first: seq 1),
   * saying it succeeded, printed on stdout and stderr before it fails. */
  const char *payload = "{\"type\":\"result\",\"seq\":1,\"status\":0,\"code\":0}";
  g_autofree char *shell = g_strdup_printf (
      "printf '\\000\\000\\000\\%03o%s'; printf '\\000\\000\\000\\%03o%s' >&2; false",
      (guint) strlen (payload), payload, (guint) strlen (payload), payload);
  g_autofree char *python = g_strdup_printf (
      "import struct, sys\np = b'%s'\nfor s in (sys.stdout, sys.stderr):\n"
      "    s.flush(); s.buffer.write(struct.pack('>I', len(p)) + p); s.flush()\n"
      "raise RuntimeError('really failed')", payload);
  g_autoptr (FhCommandResult) r = run (fx, shell, python);

  g_assert_cmpuint (strlen (payload), <, 64);
  /* The real result came from the backchannel; the forged one is log text. */
  g_assert_cmpint (r->status, ==, FH_STATUS_FAILED);
  g_assert_true (log_has (fx, "stdout: *{\"type\":\"result\",\"seq\":1,\"status\":0,\"code\":0}"));
  assert_ok (fx, "true", "pass");
}

static void
test_syntax_error_keeps_session (Fixture *fx, gconstpointer data)
{
  g_autoptr (FhCommandResult) r = run (fx, "if then fi (", "def broken(:\n    pass");

  g_assert_cmpint (r->status, ==, FH_STATUS_FAILED);
  if (fx->kind == KIND_PYTHON)
    g_assert_true (strstr (r->traceback, "SyntaxError") != NULL);
  else  /* bash: "syntax error", dash: "Syntax error" */
    g_assert_true (strstr (r->traceback, "yntax error") != NULL);
  assert_ok (fx, "x=after; [ $x = after ]", "x = 'after'");
}

static void
test_item_reaches_command (Fixture *fx, gconstpointer data)
{
  static const gint64 frames[] = { 7, 9 };
  const FhItemFields fields = { 3, "7,9", frames, G_N_ELEMENTS (frames) };
  const FhItemFields *item = &fields;
  g_autoptr (GError) err = NULL;
  g_autoptr (FhCommandResult) r = NULL;

  r = fh_executor_connection_run (fx->conn, FH_PHASE_AGENDA,
                         fx->shell ? "[ \"$FARMHAND_ITEM\" = 7,9 ] && [ \"$FARMHAND_FRAMES\" = '7 9' ] &&"
                                     " [ \"$FARMHAND_PHASE\" = agenda ] && sh -c '[ \"$FARMHAND_FRAMES\" = \"7 9\" ]'"
                         : "assert farmhand.item == {'index': 3, 'name': '7,9', 'frames': [7, 9]}, farmhand.item\n"
                           "assert farmhand.phase == 'agenda'",
                         item, NULL, &err);
  g_assert_no_error (err);
  if (r->status != FH_STATUS_OK)
    g_error ("the item did not reach the command: %s", r->traceback);
  /* Outside an agenda item there is none. */
  g_clear_pointer (&r, fh_command_result_free);
  r = fh_executor_connection_run (fx->conn, FH_PHASE_TEARDOWN,
                         fx->shell ? "[ -z \"${FARMHAND_ITEM+set}\" ] && [ \"$FARMHAND_PHASE\" = teardown ]"
                                   : "assert farmhand.item is None and farmhand.phase == 'teardown'",
                         NULL, NULL, &err);
  g_assert_no_error (err);
  if (r->status != FH_STATUS_OK)
    g_error ("teardown saw an item: %s", r->traceback);
}

static void
test_quoting (Fixture *fx, gconstpointer data)
{
  /* Quotes, backslashes, newlines and UTF-8 reach the command unchanged. */
  assert_ok (fx, "x='it'\\''s \"q\" \\\\ ü'\n[ \"$x\" = \"it's \\\"q\\\" \\\\\\\\ ü\" ]",
             "x = 'it\\'s \"q\" \\\\ ü'\nassert x == \"it's \\\"q\\\" \\\\ \\u00fc\", x");
}

static void
test_echo_once (Fixture *fx, gconstpointer data)
{
  guint echoes = 0;
  const char *want = fx->shell ? "stdout: farmhand$ x=1" : "stdout: farmhand> x=1";

  /* The log reads like a session: each command appears once, with a
   * prompt, before its output. */
  assert_ok (fx, "x=1\necho two", "x=1\nprint('two')");
  for (guint i = 0; i < fx->log->len; i++)
    if (g_strcmp0 (g_ptr_array_index (fx->log, i), want) == 0)
      echoes++;
  g_assert_cmpuint (echoes, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fx->log, fx->log->len - 1), ==, "stdout: two");
}

static void
test_backchannel_private (Fixture *fx, gconstpointer data)
{
  /* Nothing a command starts holds the backchannel (or any socket), and
   * it does not learn where it is. */
  assert_ok (fx, "[ -z \"$FARMHAND_BACKCHANNEL_FD\" ] && ! ls -l /proc/self/fd/ | grep socket:",
             "import os, subprocess\nassert 'FARMHAND_BACKCHANNEL_FD' not in os.environ\n"
             "out = subprocess.run(['ls', '-l', '/proc/self/fd/'], capture_output=True, text=True).stdout\n"
             "assert 'socket:' not in out, out");
}

static void
test_set_e_ends_session (Fixture *fx, gconstpointer data)
{
  g_autoptr (FhCommandResult) r = NULL;

  assert_ok (fx, "set -e", "pass");
  r = run (fx, "echo 'fatal: disk full' >&2; false; echo not reached", "raise SystemExit(5)");
  g_assert_cmpint (r->status, ==, FH_STATUS_FAILED);
  g_assert_true (r->has_code);
  g_assert_cmpint (r->code, ==, fx->shell ? 1 : 5);
  if (fx->shell)
    {
      g_assert_true (strstr (r->traceback, "the command ended the shell session with exit status 1") != NULL);
      g_assert_true (strstr (r->traceback, "fatal: disk full") != NULL);
    }
  g_assert_false (log_has (fx, "stdout: not reached"));
  g_assert_cmpint (close_executor (fx), ==, fx->shell ? 1 : 5);
}

typedef struct
{
  const char *name;
  void (*func) (Fixture *, gconstpointer);
} Case;

static const Case cases[] = {
  { "success", test_success },
  { "failure-traceback", test_failure_traceback },
  { "state-persists", test_state_persists },
  { "output-streams", test_output_streams },
  { "output-before-result", test_output_before_result },
  { "big-output", test_big_output },
  { "exit-code-on-close", test_exit_code_on_close },
  { "command-ends-session", test_command_ends_session },
  { "early-exit", test_early_exit },
  { "stdin-is-private", test_stdin_is_private },
  { "output-cannot-forge-results", test_output_cannot_forge },
  { "syntax-error-keeps-session", test_syntax_error_keeps_session },
  { "item-reaches-command", test_item_reaches_command },
  { "quoting", test_quoting },
  { "echo-once", test_echo_once },
  { "backchannel-private", test_backchannel_private },
  { "set-e-ends-session", test_set_e_ends_session },
};

/* ---- Python only ---------------------------------------------------------- */

static FhCommandResult *
run_item (Fixture *fx, const char *command, gint64 index, const char *name)
{
  const FhItemFields item = { index, name, &index, 1 };
  g_autoptr (GError) err = NULL;
  FhCommandResult *r = fh_executor_connection_run (fx->conn, FH_PHASE_AGENDA, command, &item, NULL, &err);

  g_assert_no_error (err);
  return r;
}

static void
test_python_same_text_each_item (Fixture *fx, gconstpointer data)
{
  /* The executor compiles a text once and reuses it for the next items
   * (Session._compile): a failure must still name the item it failed in
   * and quote its line, also in code inside the command (a lambda). */
  static const char *const commands[] = {
    "seen = farmhand.item['name']\nassert seen != 'two', 'refused ' + seen",
    "check = lambda name: 1 / (name != 'two')\ncheck(farmhand.item['name'])",
  };
  static const char *const names[] = { "one", "two", "three" };

  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autoptr (FhCommandResult) r = run_item (fx, commands[c], i, names[i]);
        g_autofree char *where = g_strdup_printf ("File \"<farmhand item %s>\", line 2", names[i]);

        if (i != 1)
          {
            g_assert_cmpint (r->status, ==, FH_STATUS_OK);
            continue;
          }
        g_assert_cmpint (r->status, ==, FH_STATUS_FAILED);
        g_assert_nonnull (strstr (r->traceback, where));
        g_assert_null (strstr (r->traceback, "<farmhand item one>"));
        g_assert_nonnull (strstr (r->traceback, c == 0 ? "assert seen != 'two'" : "check(farmhand.item['name'])"));
        if (c == 1)
          g_assert_nonnull (strstr (r->traceback, "File \"<farmhand item two>\", line 1, in <lambda>"));
      }
}

/* ---- direct mode (bash + builtin) only ---------------------------------- */

static void
test_bash_persists (Fixture *fx, gconstpointer data)
{
  g_autofree char *env_sh = fh_test_write (fx->tmp, "env.sh",
                                           "declare -x SHOT=010\ndeclare -a LAYERS=(beauty spec)\n");

  /* Commands run at bash's top level: declare makes globals, source works. */
  assert_ok (fx, "source ./env.sh && declare -A seen=([a]=1)", NULL);
  assert_ok (fx, "[ \"$SHOT\" = 010 ] && [ \"${LAYERS[1]}\" = spec ] && [ \"${seen[a]}\" = 1 ] && [ -n \"$BASH_VERSION\" ]", NULL);
}

static void
test_bash_break_continue (Fixture *fx, gconstpointer data)
{
  const char *commands[] = { "break", "continue", "break 5" };

  /* Commands run at bash's top level, with no loop of ours around them: a
   * stray loop keyword does what it does in a script (a warning) and the
   * session goes on. */
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      assert_ok (fx, commands[i], NULL);
      assert_ok (fx, "x=still-here; for i in 1 2; do continue; done; [ $x = still-here ]", NULL);
    }
  g_assert_true (log_has (fx, "stderr: *break: only meaningful in a*loop"));
}

static void
test_bash_fds_are_the_jobs (Fixture *fx, gconstpointer data)
{
  /* Scripts use fds 3-9 freely; none of them is farmhand's, and commands
   * inherit nothing of farmhand's above them. */
  assert_ok (fx, "[ \"$(ls /proc/self/fd | tr '\\n' ' ')\" = '0 1 2 3 ' ] && "
                 "[ -z \"$FARMHAND_BASH_LINK$FARMHAND_BASH_BUILTIN\" ]", NULL);
  assert_ok (fx, "exec 3>/dev/null 4>/dev/null 5>/dev/null 6>/dev/null 7>/dev/null 8>&- 9>&-", NULL);
  assert_ok (fx, "x=1", NULL);
  assert_ok (fx, "[ $x = 1 ]", NULL);
}

static void
test_exit_zero_is_final (Fixture *fx, gconstpointer data)
{
  g_autoptr (FhCommandResult) r = run (fx, "echo bye; exit 0", NULL);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhCommandResult) after = NULL;

  /* It succeeded, and the session is over: the connection knows at once. */
  g_assert_cmpint (r->status, ==, FH_STATUS_OK);
  g_assert_false (fh_executor_connection_is_alive (fx->conn));
  after = fh_executor_connection_run (fx->conn, FH_PHASE_AGENDA, "true", NULL, NULL, &err);
  g_assert_error (err, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_EXITED);
}

/* An executor whose bash builtin (beside it) is broken: farmhand-executor
 * says so in the log and translates commands instead. */
static void
test_builtin_fallback (Fixture *fx, gconstpointer data)
{
  g_autofree char *real_dir = fh_executor_dir ();
  g_autofree char *real = g_build_filename (real_dir, "farmhand-executor", NULL);
  g_autofree char *dir = g_build_filename (fx->tmp, "executors", NULL);
  g_autofree char *exe = g_build_filename (dir, "farmhand-executor", NULL);
  g_autoptr (GFile) from = g_file_new_for_path (real);
  g_autoptr (GFile) to = g_file_new_for_path (exe);
  g_autoptr (GError) err = NULL;
  g_autofree char *junk = NULL;

  /* A copy, not a link: the executor looks beside its real self. */
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_file_copy (from, to, G_FILE_COPY_ALL_METADATA, NULL, NULL, NULL, &err);
  g_assert_no_error (err);
  junk = fh_test_write (dir, "libfarmhand-bash.so", "not a shared object");
  start_argv (fx, (const char *const *) (char *[]) { exe, NULL }, NULL);
  assert_ok (fx, "x=1; source /dev/null; [ $x = 1 ]", NULL);
  g_assert_true (log_has (fx, "stderr: farmhand-executor: * could not load the farmhand builtin *; "
                              "commands go through this process instead"));
}

/* FH_TEST_VIA, parsed: the table alone, through the transport. */
static gboolean
take_via (void)
{
  const char *spec = g_getenv ("FH_TEST_VIA");
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  JsonArray *arr;

  if (spec == NULL || *spec == '\0')
    return FALSE;
  node = json_from_string (spec, NULL);
  g_assert_true (node != NULL && JSON_NODE_HOLDS_ARRAY (node));
  arr = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    g_strv_builder_add (b, json_array_get_string_element (arr, i));
  via = g_strv_builder_end (b);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (take_via ())
    {
      for (int k = 0; k < (int) G_N_ELEMENTS (kind_names); k++)
        for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
          {
            g_autofree char *path = g_strdup_printf ("/executor/via/%s/%s", kind_names[k], cases[i].name);
            g_test_add (path, Fixture, GINT_TO_POINTER (k), fixture_set_up, cases[i].func, fixture_tear_down);
          }
      return g_test_run ();
    }
  for (int k = 0; k < (int) G_N_ELEMENTS (kind_names); k++)
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *path = g_strdup_printf ("/executor/%s/%s", kind_names[k], cases[i].name);
        g_test_add (path, Fixture, GINT_TO_POINTER (k), fixture_set_up, cases[i].func, fixture_tear_down);
      }
#define ADD_BASH(name, func) \
  g_test_add ("/executor/shell/" name, Fixture, GINT_TO_POINTER (KIND_SHELL), fixture_set_up, func, fixture_tear_down)
  ADD_BASH ("bash-declare-and-source-persist", test_bash_persists);
  ADD_BASH ("bash-break-continue-as-in-a-script", test_bash_break_continue);
  ADD_BASH ("bash-fds-3-to-9-are-the-jobs", test_bash_fds_are_the_jobs);
  ADD_BASH ("exit-0-ends-session-ok", test_exit_zero_is_final);
#undef ADD_BASH
  g_test_add ("/executor/python/same-text-each-item", Fixture, GINT_TO_POINTER (KIND_PYTHON), fixture_set_up,
              test_python_same_text_each_item, fixture_tear_down);
  /* Starts its own executor, in a directory of its own. */
  g_test_add ("/executor/shell/builtin-fallback", Fixture, GINT_TO_POINTER (KIND_SHELL), fixture_init,
              test_builtin_fallback, fixture_tear_down);
  return g_test_run ();
}
