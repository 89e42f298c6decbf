/* fh-cli-session.c — `farmhand session start|stop|status` (fh-session-daemon.h);
 * `session run` is the per-task client, fh-session-client.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fh-cli.h"
#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-json.h"
#include "fh-proc.h"
#include "fh-session-daemon.h"
#include "fh-session-path.h"
#include "fh-session-protocol.h"
#include "fh-wire.h"

#define SESSION_HELP \
  "Usage: farmhand session COMMAND ...\n\n" \
  "One executor (setup once) kept alive across many task processes:\n" \
  "  start JOB.json [--id ID] [--dir DIR] [--idle S] [--results FILE] [--output-dir DIR]\n" \
  "                      start a session; print its ID once setup has run\n" \
  "  run ID ITEM [--wait S] [--openjd]\n" \
  "                      run one agenda item in it; its log on stdout/stderr\n" \
  "  status ID [--json]  whether it is alive, what it runs, how many items it ran\n" \
  "  stop ID             teardown, then the session ends\n\n" \
  "An ID with a '/' is the session's directory (start --dir prints one); any\n" \
  "other names $XDG_RUNTIME_DIR/farmhand/sessions/ID (or /tmp/farmhand-UID/...).\n" \
  "See docs/sessions.md.\n"

/* mkdir -p, each level 0700 when made; the last must be ours and 0700. */
static gboolean
make_private_dir (const char *path, GError **error)
{
  struct stat st;

  if (g_mkdir_with_parents (path, 0700) != 0)
    return fh_throw_errno (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno, "creating %s", path);
  if (stat (path, &st) != 0)
    return fh_throw_errno (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno, "%s", path);
  if (st.st_uid != getuid ())
    return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE,
                     "%s belongs to uid %u, not to you (uid %u)", path, (guint) st.st_uid,
                     (guint) getuid ());
  if ((st.st_mode & 077) != 0 && chmod (path, 0700) != 0)
    return fh_throw_errno (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno, "chmod 0700 %s", path);
  return TRUE;
}

static char *
resolve_dir (const char *id, GError **error)
{
  char dir[4096];

  if (fh_session_path_dir (id, dir, sizeof dir) < 0)
    return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_USAGE, "session ID too long: %s", id);
  return g_canonicalize_filename (dir, NULL);
}

/* A name for a session started without --id: the job file's name (its
 * directory's for a job.json) and a random part. */
static char *
default_id (const char *job_path)
{
  g_autofree char *base = g_path_get_basename (job_path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  if (g_str_equal (base, "job"))
    {
      g_autofree char *abs = g_canonicalize_filename (job_path, NULL);
      g_autofree char *dir = g_path_get_dirname (abs);
      g_free (base);
      base = g_path_get_basename (dir);
    }
  for (char *p = base; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      *p = '_';
  return g_strdup_printf ("%s-%08x", base, g_random_int ());
}

typedef struct
{
  char *id;
  char *dir;
  char *results;
  char *output_dir;
  char *plugin;
  double idle_s;
} StartArgs;

static void
start_args_clear (StartArgs *a)
{
  g_free (a->id);
  g_free (a->dir);
  g_free (a->results);
  g_free (a->output_dir);
  g_free (a->plugin);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StartArgs, start_args_clear)

/* The daemon: the job through the plugin, the session around it.  Tells
 * @ready_fd FH_SESSION_READY_OK (setup ran), _FAILED and why it ended
 * before, or _INVALID and why the job is invalid. */
static int
daemon_main (const char *job_path, const StartArgs *a, const char *id, const char *dir, int ready_fd)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJobHandle) plugin = NULL;
  g_autoptr (FhSessionDaemon) session = NULL;
  FhSessionDaemonOptions options = { .id = id, .dir = dir, .results = a->results, .idle_s = a->idle_s };
  int code;

  fh_proc_become_subreaper ();
  if ((plugin = fh_job_handle_new_from_file (job_path, a->plugin, a->output_dir, TRUE, NULL, &err)) == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("%c%s", g_error_matches (err, FH_HOST_ERROR,
                                                                        FH_HOST_ERROR_INVALID_JOB) ? FH_SESSION_READY_INVALID : FH_SESSION_READY_FAILED,
                                              err->message);
      fh_wire_write_all (ready_fd, msg, strlen (msg), NULL);
      return 2;
    }
  if ((session = fh_session_daemon_new (plugin, &options, &err)) == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("F%s", err->message);
      fh_wire_write_all (ready_fd, msg, strlen (msg), NULL);
      return 1;
    }
  code = fh_session_daemon_run (session, ready_fd);
  g_clear_pointer (&session, fh_session_daemon_free);
  /* What the job left behind (daemons its commands started) goes too. */
  fh_proc_end_tree (0, getpid (), 2000);
  return code;
}

/* Into the background, detached from the terminal and the scheduler's
 * process group (a task's end must not end the session), its output in
 * DIR/session.log. */
static void
detach (const char *dir)
{
  g_autofree char *log = g_build_filename (dir, FH_SESSION_LOG, NULL);
  int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

  setsid ();
  if (null >= 0)
    dup2 (null, STDIN_FILENO);
  if (out >= 0)
    {
      dup2 (out, STDOUT_FILENO);
      dup2 (out, STDERR_FILENO);
    }
  if (null > STDERR_FILENO)
    close (null);
  if (out > STDERR_FILENO)
    close (out);
}

static int
session_start (int argc, char **argv)
{
  g_auto (StartArgs) a = { 0 };
  const GOptionEntry entries[] = {
    { "id", 0, 0, G_OPTION_ARG_STRING, &a.id, "Name the session ID (default: the job's name and a random part)", "ID" },
    { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &a.dir, "Keep the session in DIR (its socket, log and results); the printed ID is then DIR", "DIR" },
    { "idle", 0, 0, G_OPTION_ARG_DOUBLE, &a.idle_s, "End the session (teardown) after S seconds without an item", "S" },
    { "results", 'r', 0, G_OPTION_ARG_FILENAME, &a.results, "Write every item's result to FILE (default: DIR/results.jsonl)", "FILE" },
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &a.output_dir, "FARMHAND_OUTPUT_DIR for the job", "DIR" },
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &a.plugin, "Load the job type from PATH", "PATH" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "session start", "JOB.json", "Start a session: the job's executor, setup run once; print "
      "its ID.\nExit status: 0 started, 1 setup failed (its traceback on stderr), 2 usage error "
      "or invalid job.", entries);
  g_autoptr (GError) err = NULL;
  g_autofree char *id = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (GString) answer = g_string_new (NULL);
  char buf[4096];
  int pipefd[2];
  pid_t pid;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("session start", "%s", err->message);
  if (argc != 2)
    return fh_cli_usage_error ("session start", "session start needs exactly one job file");
  if (a.idle_s < 0)
    return fh_cli_usage_error ("session start", "--idle must be positive");
  if (a.dir != NULL && a.id != NULL)
    return fh_cli_usage_error ("session start", "--dir names the session already: give --dir or --id");
  if (!g_file_test (argv[1], G_FILE_TEST_IS_REGULAR))
    return fh_cli_usage_error (NULL, "no job file %s", argv[1]);
  if (a.dir != NULL)
    {
      dir = g_canonicalize_filename (a.dir, NULL);
      id = g_strdup (dir);
    }
  else
    {
      id = a.id ? g_strdup (a.id) : default_id (argv[1]);
      if ((dir = resolve_dir (id, &err)) == NULL)
        return fh_cli_usage_error (NULL, "%s", err->message);
    }
  if (!make_private_dir (dir, &err))
    return fh_cli_usage_error (NULL, "%s", err->message);
  {
    int probe = fh_session_daemon_connect (dir, NULL);
    if (probe >= 0)
      {
        close (probe);
        return fh_cli_usage_error (NULL, "session %s is already running in %s", id, dir);
      }
  }
  if (pipe2 (pipefd, O_CLOEXEC) != 0)
    return fh_cli_usage_error (NULL, "pipe: %s", g_strerror (errno));
  fflush (stdout);
  fflush (stderr);
  if ((pid = fork ()) < 0)
    return fh_cli_usage_error (NULL, "fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      g_autofree char *job = g_canonicalize_filename (argv[1], NULL);
      close (pipefd[0]);
      detach (dir);
      _exit (daemon_main (job, &a, id, dir, pipefd[1]));
    }
  close (pipefd[1]);
  for (ssize_t n; (n = read (pipefd[0], buf, sizeof buf)) != 0;)
    if (n > 0)
      g_string_append_len (answer, buf, n);
    else if (errno != EINTR)
      break;
  close (pipefd[0]);
  if (answer->len > 0 && answer->str[0] == FH_SESSION_READY_OK)
    {
      printf ("%s\n", id);
      return FH_EXIT_OK;
    }
  if (answer->len > 0 && answer->str[0] == FH_SESSION_READY_INVALID)
    return fh_cli_usage_error (NULL, "invalid job %s:\n%s", argv[1], answer->str + 1);
  g_printerr ("farmhand: session %s did not start: %s\n", id,
              answer->len > 0 ? answer->str + 1 : "it died (see its session.log)");
  g_printerr ("farmhand: its log: %s/" FH_SESSION_LOG "\n", dir);
  return FH_EXIT_FAILED;
}

/* Connects to session @id, or says why not (exit code in *@code). */
static int
connect_id (const char *id, int *code)
{
  g_autoptr (GError) err = NULL;
  g_autofree char *dir = resolve_dir (id, &err);
  int fd;

  if (dir == NULL)
    {
      *code = fh_cli_usage_error (NULL, "%s", err->message);
      return -1;
    }
  if ((fd = fh_session_daemon_connect (dir, &err)) < 0)
    {
      g_printerr ("farmhand: %s\n", err->message);
      *code = g_error_matches (err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED)
                  ? FH_SESSION_EXIT_REFUSED : FH_SESSION_EXIT_GONE;
    }
  return fd;
}

static int
session_stop (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "session stop", "ID", "Stop a session: the running item (if any) ends, teardown runs, the "
      "session and everything it started end.\nExit status: 0 teardown ran clean, 1 it "
      "failed, 3 no such session.", NULL);
  g_autoptr (GError) err = NULL;
  g_autofree char *answer = NULL;
  char kind = 0;
  int fd, code = 0;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("session stop", "%s", err->message);
  if (argc != 2)
    return fh_cli_usage_error ("session stop", "session stop needs a session ID");
  if ((fd = connect_id (argv[1], &code)) < 0)
    return code;
  answer = fh_session_daemon_ask (fd, "stop", &kind, &err);
  close (fd);
  if (answer == NULL || kind != FH_SESSION_STOPPED)
    {
      g_printerr ("farmhand: session %s: %s\n", argv[1], answer ? answer : err->message);
      return FH_SESSION_EXIT_GONE;
    }
  if (answer[0] == '0')
    return FH_EXIT_OK;
  g_printerr ("farmhand: session %s: %s\n", argv[1], answer + 2);
  return FH_EXIT_FAILED;
}

static int
session_status (int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "The state as one JSON object", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "session status", "ID", "Whether a session is alive, what it runs and how many items it "
      "ran.\nExit status: 0 alive, 3 no such session.", entries);
  g_autoptr (GError) err = NULL;
  g_autofree char *answer = NULL;
  g_autoptr (JsonObject) o = NULL;
  char kind = 0;
  int fd, code = 0;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("session status", "%s", err->message);
  if (argc != 2)
    return fh_cli_usage_error ("session status", "session status needs a session ID");
  if ((fd = connect_id (argv[1], &code)) < 0)
    return code;
  answer = fh_session_daemon_ask (fd, "status", &kind, &err);
  close (fd);
  if (answer == NULL || kind != FH_SESSION_STATUS || (o = fh_json_parse_object (answer, -1, &err)) == NULL)
    {
      g_printerr ("farmhand: session %s: %s\n", argv[1], answer && kind != FH_SESSION_STATUS ? answer
                                                         : err->message);
      return FH_SESSION_EXIT_GONE;
    }
  if (json)
    printf ("%s\n", answer);
  else
    {
      printf ("session %s: alive (pid %" G_GINT64_FORMAT "), job %s, %" G_GINT64_FORMAT
              " items run (%" G_GINT64_FORMAT " complete, %" G_GINT64_FORMAT " failed)",
              argv[1], json_object_get_int_member (o, "pid"),
              json_object_get_string_member (o, "job"), json_object_get_int_member (o, "items_run"),
              json_object_get_int_member (o, "complete"), json_object_get_int_member (o, "failed"));
      if (json_object_has_member (o, "current"))
        printf ("; running %s for %.1f s", json_object_get_string_member (o, "current"),
                json_object_get_double_member (o, "current_s"));
      else
        printf ("; idle for %.1f s", json_object_get_double_member (o, "idle_s"));
      if (json_object_get_int_member (o, "waiting") > 0)
        printf ("; %" G_GINT64_FORMAT " waiting", json_object_get_int_member (o, "waiting"));
      printf ("%s\n", json_object_get_boolean_member (o, "stopping") ? "; stopping" : "");
    }
  return FH_EXIT_OK;
}

int
fh_cli_session (int argc, char **argv)
{
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      printf (SESSION_HELP);
      return argc < 2 ? FH_EXIT_USAGE : FH_EXIT_OK;
    }
  if (g_str_equal (argv[1], "start"))
    return session_start (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "stop"))
    return session_stop (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "status"))
    return session_status (argc - 1, argv + 1);
  return fh_cli_usage_error (NULL, "unknown session command '%s' (start, run, status, stop)",
                             argv[1]);
}
