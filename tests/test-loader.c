/* test-loader.c — loading plugins: the real plugin loads; deliberately
 * mismatched ones are refused with an error that says what to do.
 * (Driving a job through the ABI: test-abi.c.) */
#include "config.h"

#include "fh-error.h"
#include "fh-host-error.h"
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
  g_autofree char *path = test_plugin ("newer-minor");
  g_autoptr (GError) err = NULL;
  g_autoptr (FhPluginModule) m = fh_plugin_module_open (path, &err);

  /* A newer minor only added members: it loads, and what this host knows
   * of it is there. */
  g_assert_no_error (err);
  g_assert_cmpuint (fh_plugin_module_get_desc (m)->abi_minor, ==, FH_PLUGIN_ABI_MINOR + 1);
  g_assert_true (FH_PLUGIN_HAS (fh_plugin_module_get_desc (m), job_agenda));
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

static void
test_small_desc (void)
{
  expect_refused ("small-desc", FH_LOADER_ERROR_INVALID, "*libsmall-desc.so: descriptor is * bytes, smaller than ABI 1.0's *");
}

static void
test_no_agenda (void)
{
  expect_refused ("no-agenda", FH_LOADER_ERROR_INVALID, "*libno-agenda.so: descriptor lacks the job_agenda entry point");
}

/* A plugin of ABI 1.0 loads; what 1.1 added is refused with the reason. */
static void
test_abi_1_0 (void)
{
  g_autofree char *path = test_plugin ("abi-1-0");
  g_autoptr (GError) err = NULL;
  g_autoptr (FhPluginModule) m = fh_plugin_module_open (path, &err);
  g_autoptr (JsonObject) scanned = NULL;

  g_assert_no_error (err);
  scanned = fh_plugin_module_scan_log (m, NULL, "x\n", 2, "blender", FALSE, &err);
  g_assert_null (scanned);
  g_assert_error (err, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN);
  g_assert_true (g_str_has_suffix (err->message, "libabi-1-0.so speaks plugin ABI 1.0: it cannot scan a log "
                                                 "(job_scan_log is ABI 1.1)"));
}

/* Each FH_PLUGIN_DEFINE_* macro stamps its own minor and leaves what
 * later minors added NULL; FH_PLUGIN_DEFINE is 1.0's.  FH_PLUGIN_HAS reads
 * both. */
static void
test_define_macros (void)
{
  static const struct { const char *name; guint minor; gboolean scan_log, create, open; } cases[] = {
    { "define-1-0", 0, FALSE, FALSE, FALSE }, { "define-1-1", 1, TRUE, FALSE, FALSE },
    { "define-1-2", 2, TRUE, TRUE, FALSE }, { "define-1-3", 3, TRUE, TRUE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = test_plugin (cases[i].name);
      g_autoptr (GError) err = NULL;
      g_autoptr (FhPluginModule) m = fh_plugin_module_open (path, &err);
      const FhPluginDesc *d;

      g_assert_no_error (err);
      d = fh_plugin_module_get_desc (m);
      g_assert_cmpuint (d->abi_minor, ==, cases[i].minor);
      g_assert_cmpint (FH_PLUGIN_HAS (d, job_scan_log), ==, cases[i].scan_log);
      g_assert_cmpint (FH_PLUGIN_HAS (d, job_create), ==, cases[i].create);
      g_assert_cmpint (FH_PLUGIN_HAS (d, job_open), ==, cases[i].open);
      g_assert_cmpint (FH_PLUGIN_HAS (d, check_file), ==, cases[i].open);
      g_assert_true (FH_PLUGIN_HAS (d, job_agenda));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/loader/real-plugin", test_real_plugin);
  g_test_add_func ("/loader/abi-mismatch/major", test_bad_major);
  g_test_add_func ("/loader/newer-minor-loads", test_newer_minor);
  g_test_add_func ("/loader/no-symbol", test_no_symbol);
  g_test_add_func ("/loader/bad-license", test_bad_license);
  g_test_add_func ("/loader/wrong-name", test_wrong_name);
  g_test_add_func ("/loader/missing-file", test_missing);
  g_test_add_func ("/loader/default-from-env", test_default_from_env);
  g_test_add_func ("/loader/small-descriptor", test_small_desc);
  g_test_add_func ("/loader/no-agenda-entry-point", test_no_agenda);
  g_test_add_func ("/loader/abi-1-0", test_abi_1_0);
  g_test_add_func ("/loader/define-macros", test_define_macros);
  return g_test_run ();
}
