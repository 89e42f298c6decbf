/* fh-cli-serve.c — `farmhand serve`: the farm UI (fh-serve.h) until
 * SIGINT or SIGTERM, which end the workers it started (they run
 * teardown). */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "fh-cli.h"
#include "fh-serve.h"

static gboolean
on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* The token in @path: its first line.  (transfer full) */
static char *
read_token (const char *path, GError **error)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  text[strcspn (text, "\r\n")] = '\0';
  if (strlen (text) < 16)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: a token must be at least 16 characters", path);
      return NULL;
    }
  return g_steal_pointer (&text);
}

/* The soft descriptor limit up to the hard one, as a program that polls
 * (rather than select()s) should: the connections a server can keep open
 * follow from it. */
static void
raise_descriptor_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

int
fh_cli_serve (int argc, char **argv)
{
  g_autofree char *listen = NULL, *root = NULL, *token_file = NULL, *partition = NULL, *templates = NULL;
  gboolean slurm = FALSE;
  gint workers = 0, max_connections = 0;
  gdouble request_timeout = 30, idle_timeout = 60;
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Where to listen (default 127.0.0.1:8080; port 0: any free port)", "HOST:PORT" },
    { "jobs-root", 'd', 0, G_OPTION_ARG_FILENAME, &root, "The job directories to show, and where submitted jobs go (default ./farmhand-jobs)", "DIR" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file, "Take the API token from FILE's first line (default: a new random one)", "FILE" },
    { "slurm", 0, 0, G_OPTION_ARG_NONE, &slurm, "Run submitted jobs as Slurm arrays of workers instead of on this machine", NULL },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &workers, "Workers per submitted job (default 2)", "N" },
    { "partition", 'p', 0, G_OPTION_ARG_STRING, &partition, "With --slurm: the partition", "P" },
    { "templates", 't', 0, G_OPTION_ARG_FILENAME, &templates, "Offer the OpenJD job templates and job bundles in DIR on the submit page, each with a form made from its parameters (/?submit&template=NAME)", "DIR" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections, "Connections kept open at most; past it idle ones close and new ones get 503 (default: from the descriptor limit, at most 1024)", "N" },
    { "request-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &request_timeout, "A request must arrive whole within this (default 30)", "SECONDS" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &idle_timeout, "A kept-alive connection may wait this long for its next request (default 60)", "SECONDS" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "serve", NULL, "The farm UI: a page to submit jobs from a form made from the job schema "
      "(or from an OpenJD template's parameters, with --templates) and to watch every item live, and its JSON API.\nOpen the URL it prints (it carries the "
      "API token).  It follows every job directory under --jobs-root, those of 'farmhand "
      "submit' too.", entries);
  g_autoptr (GError) err = NULL;
  g_autofree char *token = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (FhServe) serve = NULL;
  FhServeOptions options;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("serve", "%s", err->message);
  if (argc != 1)
    return fh_cli_usage_error ("serve", "serve takes no arguments");
  if (workers < 0 || (partition != NULL && !slurm))
    return fh_cli_usage_error ("serve", workers < 0 ? "--workers must be positive" : "--partition needs --slurm");
  if (max_connections < 0)
    return fh_cli_usage_error ("serve", "--max-connections must be positive");
  if (!(request_timeout >= 0.001 && request_timeout <= 86400) || !(idle_timeout >= 0.001 && idle_timeout <= 86400))
    return fh_cli_usage_error ("serve", "--request-timeout and --idle-timeout are seconds, from 0.001 to 86400");
  if (token_file != NULL && (token = read_token (token_file, &err)) == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  raise_descriptor_limit ();
  options = (FhServeOptions) { .listen = listen, .jobs_root = root, .token = token, .slurm = slurm,
                               .workers = (guint) workers, .partition = partition, .templates = templates,
                               .limits = { .max_connections = (guint) max_connections,
                                           .request_timeout_ms = (guint) (request_timeout * 1000),
                                           .idle_timeout_ms = (guint) (idle_timeout * 1000) } };
  if ((serve = fh_serve_new (&options, &err)) == NULL)
    return fh_cli_usage_error (NULL, "serve: %s", err->message);
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  printf ("farmhand serve: %s\n", fh_serve_get_url (serve));
  fflush (stdout);
  g_main_loop_run (loop);
  return FH_EXIT_OK;
}
