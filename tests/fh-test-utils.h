/* fh-test-utils.h — helpers shared by farmhand's tests: temp dirs, files,
 * running the real farmhand binary, reading results files. */
#pragma once

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/prctl.h>

G_BEGIN_DECLS

/* A fresh directory, removed (recursively) by fh_test_rmtree(). */
static inline char *
fh_test_mkdtemp (void)
{
  g_autoptr (GError) err = NULL;
  char *dir = g_dir_make_tmp ("farmhand-test-XXXXXX", &err);

  g_assert_no_error (err);
  return dir;
}

static inline void
fh_test_rmtree (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileEnumerator) e = NULL;
  GFileInfo *info;

  e = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                 G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (e != NULL && (info = g_file_enumerator_next_file (e, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        fh_test_rmtree (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }
  g_rmdir (path);
}

static inline char *
fh_test_write (const char *dir, const char *name, const char *contents)
{
  g_autoptr (GError) err = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, contents, -1, &err);
  g_assert_no_error (err);
  return path;
}

static inline char *
fh_test_read (const char *path)
{
  g_autoptr (GError) err = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &err);
  g_assert_no_error (err);
  return text;
}

/* The JSON object in @dir/@relative.  (transfer full) */
static inline JsonObject *
fh_test_read_json (const char *dir, const char *relative)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autofree char *text = fh_test_read (path);
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) err = NULL;

  json_parser_load_from_data (p, text, -1, &err);
  g_assert_no_error (err);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)));
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

/* Lines in @dir/@name; 0 when it does not exist. */
static inline guint
fh_test_count_lines (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

/* Waits up to @timeout_ms for @path, which another process creates;
 * fails the test when it does not appear. */
static inline void
fh_test_await_file (const char *path, guint timeout_ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  /* Nothing to wait on but the file. */
  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_get_monotonic_time () > until)
        g_error ("%s did not appear within %u ms", path, timeout_ms);
      g_usleep (20 * 1000);
    }
}

/* Path of a built file, relative to the build root: ("host", "farmhand", NULL). */
#define fh_test_built(...) g_test_build_filename (G_TEST_BUILT, "..", __VA_ARGS__)

typedef struct
{
  int exit_code;
  char *out;
  char *err;
} FhTestRun;

static inline void
fh_test_run_clear (FhTestRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

/* Runs argv (NULL-terminated) in @cwd, capturing stdout and stderr. */
static inline FhTestRun
fh_test_spawn (const char *cwd, const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) err = NULL;
  FhTestRun run = { -1, NULL, NULL };

  if (cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &err);
  g_assert_no_error (err);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run.out, &run.err, &err);
  g_assert_no_error (err);
  run.exit_code = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc)
                                                     : 128 + g_subprocess_get_term_sig (proc);
  if (g_test_verbose ())
    g_printerr ("--- %s (exit %d)\n%s%s", argv[1] ? argv[1] : argv[0], run.exit_code,
                run.out, run.err);
  return run;
}

/* The built host, behind $FH_TEST_WRAPPER when set (`meson test --setup
 * valgrind` runs every farmhand a test starts under memcheck).  Adds to
 * @argv; the strings belong to @keep.  */
static inline void
fh_test_farmhand_argv (GPtrArray *argv, GPtrArray *keep)
{
  const char *wrapper = g_getenv ("FH_TEST_WRAPPER");
  char *exe = fh_test_built ("host", "farmhand", NULL);

  if (wrapper != NULL && *wrapper != '\0')
    {
      g_auto (GStrv) words = g_strsplit (wrapper, " ", -1);
      for (guint i = 0; words[i] != NULL; i++)
        if (words[i][0] != '\0')
          {
            char *w = g_strdup (words[i]);
            g_ptr_array_add (keep, w);
            g_ptr_array_add (argv, w);
          }
    }
  g_ptr_array_add (keep, exe);
  g_ptr_array_add (argv, exe);
}

/* `farmhand ARGS...` with the built host. */
static inline FhTestRun
fh_test_farmhand (const char *cwd, ...)
{
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list args;

  fh_test_farmhand_argv (argv, keep);
  va_start (args, cwd);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  return fh_test_spawn (cwd, (const char *const *) argv->pdata);
}

/* In the child: die with the test (an aborted test leaves no worker). */
static inline void
fh_test_die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts `farmhand ARGS...` in @cwd without waiting, stdout and stderr to
 * @out_path, with @env ("NAME=VALUE", nullable) added; it gets SIGTERM if
 * the test dies first.  (transfer full) */
static inline GSubprocess *
fh_test_farmhand_start (const char *cwd, const char *out_path, const char *const *env, ...)
{
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GError) err = NULL;
  GSubprocess *proc;
  const char *arg;
  va_list args;

  fh_test_farmhand_argv (argv, keep);
  va_start (args, env);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto (GStrv) kv = g_strsplit (env[i], "=", 2);
      g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
    }
  g_subprocess_launcher_set_cwd (launcher, cwd);
  g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  g_subprocess_launcher_set_child_setup (launcher, fh_test_die_with_parent, NULL, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &err);
  g_assert_no_error (err);
  return proc;
}

/* A number no other test's processes use, for a command line such as
 * "sleep <marker>" that fh_test_count_procs() then finds exactly: it holds
 * this process's pid (unique while it runs) and a counter.
 * (transfer full) */
static inline char *
fh_test_marker (void)
{
  static guint counter;

  return g_strdup_printf ("%u.%06d", 3000 + ++counter, (int) getpid ());
}

/* How many live processes have exactly @cmdline as their command line
 * (arguments joined by single spaces), e.g. "sleep 3001.012345". */
static inline guint
fh_test_count_procs (const char *cmdline)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/cmdline", name);
      g_autofree char *text = NULL;
      gsize len = 0;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &text, &len, NULL) || len == 0)
        continue;
      /* NUL-separated, NUL-terminated; a zombie has none. */
      for (gsize i = 0; i + 1 < len; i++)
        if (text[i] == '\0')
          text[i] = ' ';
      if (text[len - 1] == '\0' && strcmp (text, cmdline) == 0)
        n++;
    }
  return n;
}

/* How many live processes have @arg as one of their arguments, exactly
 * (a test's unique directory, say). */
static inline guint
fh_test_count_procs_with_arg (const char *arg)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/cmdline", name);
      g_autofree char *text = NULL;
      gsize len = 0;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &text, &len, NULL))
        continue;
      for (gsize i = 0; i < len; i += strlen (text + i) + 1)
        if (strcmp (text + i, arg) == 0)
          {
            n++;
            break;
          }
    }
  return n;
}

/* Waits up to @timeout_ms for fh_test_count_procs (@cmdline) to be @want. */
static inline gboolean
fh_test_await_procs (const char *cmdline, guint want, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  /* A test watching other processes has nothing to wait on but time. */
  while (fh_test_count_procs (cmdline) != want)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (20 * 1000);
    }
  return TRUE;
}

/* Waits up to @timeout_ms for fh_test_count_procs_with_arg (@arg) to be
 * @want. */
static inline gboolean
fh_test_await_procs_with_arg (const char *arg, guint want, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  /* A test watching other processes has nothing to wait on but time. */
  while (fh_test_count_procs_with_arg (arg) != want)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (20 * 1000);
    }
  return TRUE;
}

/* @text with every "MARKER" replaced by @marker.  (transfer full) */
static inline char *
fh_test_with_marker (const char *text, const char *marker)
{
  g_autoptr (GString) s = g_string_new (text);

  g_string_replace (s, "MARKER", marker, 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* How much slower than normal this run is allowed to be: time bounds in
 * tests are multiplied by it ($FH_TEST_TIME_FACTOR; the valgrind setup
 * sets 10). */
static inline double
fh_test_time_factor (void)
{
  const char *f = g_getenv ("FH_TEST_TIME_FACTOR");
  double v = f ? g_ascii_strtod (f, NULL) : 1.0;

  return v >= 1.0 ? v : 1.0;
}

/* Results file lines as parsed objects.  (transfer full) */
static inline GPtrArray *
fh_test_read_results (const char *path)
{
  g_autofree char *text = fh_test_read (path);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (JsonParser) p = json_parser_new ();
      g_autoptr (GError) err = NULL;
      if (lines[i][0] == '\0')
        continue;
      json_parser_load_from_data (p, lines[i], -1, &err);
      g_assert_no_error (err);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)));
      g_ptr_array_add (out, json_object_ref (json_node_get_object (json_parser_get_root (p))));
    }
  return out;
}

static inline const char *
fh_test_result_field (GPtrArray *results, guint i, const char *field)
{
  g_assert_cmpuint (i, <, results->len);
  return json_object_get_string_member_with_default (g_ptr_array_index (results, i), field, NULL);
}

/* A job directory's claim file of @attempt at item @index (docs/jobdir.md).
 * (transfer full) */
static inline char *
fh_test_claim_path (const char *jobdir, guint index, guint attempt)
{
  return g_strdup_printf ("%s/claims/%03u/%08u.%u", jobdir, index / 1000, index, attempt);
}

/* The worker that claimed @attempt at item @index.  (transfer full) */
static inline char *
fh_test_claim_owner (const char *jobdir, guint index, guint attempt)
{
  g_autofree char *path = fh_test_claim_path (jobdir, index, attempt);

  return g_strchomp (fh_test_read (path));
}

/* Every item's accepted result in job directory @jobdir (`farmhand status
 * --results`, run in @cwd), in item order; each must have one.
 * (transfer full) */
static inline GPtrArray *
fh_test_jobdir_results (const char *cwd, const char *jobdir)
{
  FhTestRun r = fh_test_farmhand (cwd, "status", "--results", jobdir, NULL);
  g_auto (GStrv) lines = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  g_assert_cmpint (r.exit_code, ==, 0);
  lines = g_strsplit (r.out, "\n", -1);
  fh_test_run_clear (&r);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (JsonParser) p = json_parser_new ();
      g_autoptr (GError) err = NULL;
      JsonObject *o;
      if (lines[i][0] == '\0')
        continue;
      json_parser_load_from_data (p, lines[i], -1, &err);
      g_assert_no_error (err);
      o = json_node_get_object (json_parser_get_root (p));
      g_assert_cmpint (json_object_get_int_member (o, "index"), ==, out->len);
      g_ptr_array_add (out, json_object_ref (o));
    }
  return out;
}

/* The fixture of tests that run jobs with the built host: a fresh
 * directory with paths for the job file and the results file in it, and
 * the results once read back (fh_test_job_dir_load_results). */
typedef struct
{
  char *dir;
  char *job;          /* DIR/job.json */
  char *results;      /* DIR/results.jsonl */
  GPtrArray *lines;   /* nullable: the results' lines, as JsonObjects */
} FhTestJobDir;

static inline void
fh_test_job_dir_set_up (FhTestJobDir *fx, gconstpointer data)
{
  fx->dir = fh_test_mkdtemp ();
  fx->job = g_build_filename (fx->dir, "job.json", NULL);
  fx->results = g_build_filename (fx->dir, "results.jsonl", NULL);
}

static inline void
fh_test_job_dir_tear_down (FhTestJobDir *fx, gconstpointer data)
{
  fh_test_rmtree (fx->dir);
  g_free (fx->dir);
  g_free (fx->job);
  g_free (fx->results);
  g_clear_pointer (&fx->lines, g_ptr_array_unref);
}

/* Writes @json to the job file. */
static inline void
fh_test_job_dir_write_job (FhTestJobDir *fx, const char *json)
{
  g_autoptr (GError) err = NULL;

  g_file_set_contents (fx->job, json, -1, &err);
  g_assert_no_error (err);
}

/* Reads the results file (if there is one) into @fx->lines. */
static inline void
fh_test_job_dir_load_results (FhTestJobDir *fx)
{
  g_clear_pointer (&fx->lines, g_ptr_array_unref);
  if (g_file_test (fx->results, G_FILE_TEST_EXISTS))
    fx->lines = fh_test_read_results (fx->results);
}

/* Results line @i, which must exist.  (transfer none) */
static inline JsonObject *
fh_test_job_dir_result (FhTestJobDir *fx, guint i)
{
  g_assert_nonnull (fx->lines);
  g_assert_cmpuint (i, <, fx->lines->len);
  return g_ptr_array_index (fx->lines, i);
}

G_END_DECLS
