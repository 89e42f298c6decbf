/* test-loader.c — the plugin ABI: the real plugin loads and drives a job
 * through a host API; deliberately mismatched plugins are refused with a
 * clear error. */
#include "config.h"

#include "fh-error.h"
#include "fh-plugin-module.h"
#include "fh-test-utils.h"

static char *
test_plugin (const char *variant)
{
  g_autofree char *file = g_strdup_printf ("lib%s.so", variant);
  return g_test_build_filename (G_TEST_BUILT, file, NULL);
}

static void
test_real_plugin (void)
{
  g_autofree char *path = fh_test_built ("plugin", FH_JOBTYPE_MODULE, NULL);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhPluginModule) m = fh_plugin_module_open (path, &err);
  const FhPluginDesc *d;

  g_assert_no_error (err);
  d = fh_plugin_module_get_desc (m);
  g_assert_cmpstr (d->name, ==, "farmhand-jobtype");
  g_assert_cmpstr (d->version, ==, FH_VERSION);
  g_assert_cmpstr (d->license, ==, "MIT");
  g_assert_cmpuint (d->abi_major, ==, FH_PLUGIN_ABI_MAJOR);
  g_assert_cmpuint (d->struct_size, ==, sizeof (FhPluginDesc));
}

static void
expect_refused (const char *variant, gint code, const char *pattern)
{
  g_autofree char *path = test_plugin (variant);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhPluginModule) m = fh_plugin_module_open (path, &err);

  g_assert_null (m);
  g_assert_error (err, FH_LOADER_ERROR, code);
  if (!g_pattern_match_simple (pattern, err->message))
    g_error ("%s: '%s' does not match '%s'", variant, err->message, pattern);
}

static void
test_bad_major (void)
{
  g_autofree char *want = g_strdup_printf ("*libbad-major.so was built for farmhand plugin ABI %d.0, "
                                           "but this host speaks ABI %d.%d: rebuild the plugin*",
                                           FH_PLUGIN_ABI_MAJOR + 1, FH_PLUGIN_ABI_MAJOR, FH_PLUGIN_ABI_MINOR);
  expect_refused ("bad-major", FH_LOADER_ERROR_ABI_MISMATCH, want);
}

static void
test_newer_minor (void)
{
  expect_refused ("newer-minor", FH_LOADER_ERROR_ABI_MISMATCH, "*needs farmhand plugin ABI *newer than this host's*upgrade the host");
}

static void
test_no_symbol (void)
{
  expect_refused ("no-symbol", FH_LOADER_ERROR_NO_SYMBOL, "*is not a farmhand plugin: it has no fh_plugin_get_desc()");
}

static void
test_bad_license (void)
{
  expect_refused ("bad-license", FH_LOADER_ERROR_LICENSE, "*license 'Do-What-You-Like' is not a known SPDX identifier");
}

static void
test_wrong_name (void)
{
  expect_refused ("wrong-name", FH_LOADER_ERROR_INVALID, "*plugin calls itself 'not-my-file-name' but its file name says 'wrong-name'");
}

static void
test_missing (void)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhPluginModule) m = fh_plugin_module_open ("/nonexistent/libx.so", &err);

  g_assert_null (m);
  g_assert_error (err, FH_LOADER_ERROR, FH_LOADER_ERROR_OPEN);
}

static void
test_default_from_env (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) err = NULL;
      g_autoptr (FhPluginModule) m = NULL;

      g_setenv ("FARMHAND_PLUGIN", "/nonexistent/libfarmhand-jobtype.so", TRUE);
      m = fh_plugin_module_open_default (&err);
      g_assert_error (err, FH_LOADER_ERROR, FH_LOADER_ERROR_NOT_FOUND);
      g_printerr ("%s", err->message);
      return;
    }
  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*no job-type plugin found*set FARMHAND_PLUGIN or pass --plugin*");
}

/* ---- driving the real plugin through its ABI ---------------------------- */

typedef struct
{
  guint next;
  guint n;
  GPtrArray *results;
  GPtrArray *log;
  guint n_progress;
  double last_progress;
} Host;

static char *
h_next_item (void *data)
{
  Host *h = data;

  if (h->next >= h->n)
    return NULL;
  return g_strdup_printf ("{\"name\":\"%u\"}", ++h->next);
}

static void
h_free_item (void *data, char *item)
{
  g_free (item);
}

static void
h_report (void *data, const char *json)
{
  g_ptr_array_add (((Host *) data)->results, g_strdup (json));
}

static void
h_log (void *data, const char *item, FhLogStream stream, const char *line, size_t len)
{
  g_ptr_array_add (((Host *) data)->log, g_strdup_printf ("%s|%.*s", item ? item : "-", (int) len, line));
}

static void
h_progress (void *data, const char *item, double fraction)
{
  Host *h = data;

  if (h == NULL)
    return;
  h->n_progress++;
  h->last_progress = fraction;
}

static void
test_drive_real_plugin (void)
{
  g_autofree char *path = fh_test_built ("plugin", FH_JOBTYPE_MODULE, NULL);
  g_autoptr (FhPluginModule) m = fh_plugin_module_open (path, NULL);
  const FhPluginDesc *d = fh_plugin_module_get_desc (m);
  Host h = { 0, 3, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free), 0, -1 };
  FhHostApi api = { sizeof (FhHostApi), FH_PLUGIN_ABI_MAJOR, FH_PLUGIN_ABI_MINOR, 0, &h,
                    h_next_item, h_free_item, h_report, h_log, h_progress, { 0 } };
  char *error = NULL, *summary = NULL;
  FhPluginJob *job;
  int status;

  job = d->job_new (&api, "{\"name\":\"abi\",\"agenda\":{\"frames\":\"1-3\",\"command\":\"echo item {frame}\"}}",
                    NULL, &error);
  g_assert_null (error);
  g_assert_nonnull (job);
  status = d->job_run (job, &summary);
  d->job_free (job);
  g_assert_cmpint (status, ==, FH_RUN_OK);
  g_assert_cmpuint (h.results->len, ==, 3);
  g_assert_true (strstr (g_ptr_array_index (h.results, 1), "\"name\":\"2\"") != NULL);
  g_assert_true (strstr (g_ptr_array_index (h.results, 1), "\"status\":\"complete\"") != NULL);
  g_assert_true (strstr (summary, "\"items_complete\":3") != NULL);
  /* Log lines are attributed to the item that printed them. */
  g_assert_true (g_ptr_array_find_with_equal_func (h.log, "2|item 2", g_str_equal, NULL));
  d->free_string (summary);
  g_ptr_array_unref (h.results);
  g_ptr_array_unref (h.log);
}

static void
test_progress_coalesced (void)
{
  g_autofree char *path = fh_test_built ("plugin", FH_JOBTYPE_MODULE, NULL);
  g_autoptr (FhPluginModule) m = fh_plugin_module_open (path, NULL);
  const FhPluginDesc *d = fh_plugin_module_get_desc (m);
  Host h = { 0, 1, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free), 0, -1 };
  FhHostApi api = { sizeof (FhHostApi), FH_PLUGIN_ABI_MAJOR, FH_PLUGIN_ABI_MINOR, 0, &h,
                    h_next_item, h_free_item, h_report, h_log, h_progress, { 0 } };
  char *error = NULL, *summary = NULL;
  FhPluginJob *job;

  /* 20,000 progress lines (a render log reports one per sample) and then
   * something else: the host hears a few updates, the last one exact, and
   * the result holds it. */
  job = d->job_new (&api, "{\"agenda\":{\"frames\":\"1\",\"command\":"
                          "\"i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo \\\"Sample $i/20000\\\"; done; echo done\"},"
                          "\"log\":{\"progress\":\"Sample (?<done>\\\\d+)/(?<total>\\\\d+)\"}}",
                    NULL, &error);
  g_assert_null (error);
  g_assert_cmpint (d->job_run (job, &summary), ==, FH_RUN_OK);
  d->job_free (job);
  d->free_string (summary);
  g_assert_cmpuint (h.log->len, >, 20000);
  g_assert_cmpuint (h.n_progress, >, 0);
  g_assert_cmpuint (h.n_progress, <, 2000);
  g_assert_cmpfloat (h.last_progress, ==, 1.0);
  g_assert_true (strstr (g_ptr_array_index (h.results, 0), "\"progress\":1.0") != NULL);
  g_ptr_array_unref (h.results);
  g_ptr_array_unref (h.log);
}

static void
test_refuses_invalid_job (void)
{
  g_autofree char *path = fh_test_built ("plugin", FH_JOBTYPE_MODULE, NULL);
  g_autoptr (FhPluginModule) m = fh_plugin_module_open (path, NULL);
  const FhPluginDesc *d = fh_plugin_module_get_desc (m);
  FhHostApi api = { sizeof (FhHostApi), FH_PLUGIN_ABI_MAJOR, FH_PLUGIN_ABI_MINOR, 0, NULL,
                    h_next_item, h_free_item, h_report, h_log, h_progress, { 0 } };
  FhHostApi old_host = api;
  char *error = NULL;

  g_assert_null (d->job_new (&api, "{\"agenda\":{\"frames\":\"1-x\",\"command\":\"x\"}}", NULL, &error));
  g_assert_true (g_str_has_prefix (error, "agenda.frames: bad frame list"));
  d->free_string (error);
  error = NULL;
  /* A host built against an older, smaller API struct is refused. */
  old_host.struct_size = 16;
  g_assert_null (d->job_new (&old_host, "{\"agenda\":{\"frames\":\"1\",\"command\":\"x\"}}", NULL, &error));
  g_assert_true (strstr (error, "host API struct is too small") != NULL);
  d->free_string (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/loader/real-plugin", test_real_plugin);
  g_test_add_func ("/loader/abi-mismatch/major", test_bad_major);
  g_test_add_func ("/loader/abi-mismatch/newer-minor", test_newer_minor);
  g_test_add_func ("/loader/no-symbol", test_no_symbol);
  g_test_add_func ("/loader/bad-license", test_bad_license);
  g_test_add_func ("/loader/wrong-name", test_wrong_name);
  g_test_add_func ("/loader/missing-file", test_missing);
  g_test_add_func ("/loader/default-from-env", test_default_from_env);
  g_test_add_func ("/loader/drive-real-plugin", test_drive_real_plugin);
  g_test_add_func ("/loader/refuses-invalid-job", test_refuses_invalid_job);
  g_test_add_func ("/loader/progress-coalesced", test_progress_coalesced);
  return g_test_run ();
}
