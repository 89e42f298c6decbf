/* test-blender.c — the Python executor inside a real application: the
 * Blender example renders real PNGs in one Blender process; a broken
 * command, a timeout and a cancel come back as Python tracebacks from
 * inside Blender.  Skips (saying why) where Blender is not installed. */
#include "config.h"

#include <signal.h>

#include "fh-test-utils.h"

typedef FhTestJobDir Fixture;

static gboolean
have_blender (void)
{
  g_autofree char *blender = g_find_program_in_path ("blender");

  if (blender == NULL)
    g_test_skip ("blender is not installed (apt-get install -y blender; .ci/run does)");
  return blender != NULL;
}

static void
assert_tb (Fixture *fx, guint i, const char *pattern)
{
  const char *tb = json_object_get_string_member_with_default (fh_test_job_dir_result (fx, i), "traceback", NULL);

  if (tb == NULL || !g_pattern_match_simple (pattern, tb))
    g_error ("item %u: traceback '%s' does not match '%s'", i, tb ? tb : "(none)", pattern);
}

static int
run (Fixture *fx, const char *job, const char *items)
{
  FhTestRun r = fh_test_farmhand (fx->dir, "run", job, "--items", items, "--results", fx->results,
                                  "--log", "job.log", "--output-dir", "out", "--plain", NULL);
  int code = r.exit_code;

  fh_test_run_clear (&r);
  fh_test_job_dir_load_results (fx);
  return code;
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* A real PNG of @bytes bytes, 160x90 as the example's scene.py sets. */
static void
assert_png (const char *path, gint64 bytes)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) err = NULL;

  g_file_get_contents (path, &data, &len, &err);
  g_assert_no_error (err);
  g_assert_cmpint ((gint64) len, ==, bytes);
  g_assert_cmpuint (len, >, 1000);
  g_assert_cmpmem (data, 8, "\x89PNG\r\n\x1a\n", 8);
  g_assert_cmpmem (data + 12, 4, "IHDR", 4);
  g_assert_cmpuint (be32 ((const guint8 *) data + 16), ==, 160);
  g_assert_cmpuint (be32 ((const guint8 *) data + 20), ==, 90);
}

/* @blenders Blender processes started; @frames "rendered frame N in
 * blender pid P" lines, all with the same P when there was one Blender. */
static void
assert_blenders (Fixture *fx, guint blenders, guint frames)
{
  g_autofree char *log_path = g_build_filename (fx->dir, "job.log", NULL);
  g_autofree char *log = fh_test_read (log_path);
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);
  g_autofree char *pid = NULL;
  guint starts = 0, renders = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *at = strstr (lines[i], "rendered frame ");
      if (strstr (lines[i], "farmhand: starting executor: blender") != NULL)
        starts++;
      if (at == NULL || (at = strstr (at, " in blender pid ")) == NULL)
        continue;
      renders++;
      if (pid == NULL)
        pid = g_strdup (at);
      if (blenders == 1)
        g_assert_cmpstr (at, ==, pid);
    }
  g_assert_cmpuint (starts, ==, blenders);
  g_assert_cmpuint (renders, ==, frames);
}

static void
test_example_renders (Fixture *fx, gconstpointer data)
{
  g_autofree char *job = g_test_build_filename (G_TEST_DIST, "..", "examples", "blender", "job.json", NULL);

  if (!have_blender ())
    return;
  g_assert_cmpint (run (fx, job, "1-3"), ==, 0);
  g_assert_cmpuint (fx->lines->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonArray *outputs = json_object_get_array_member (fh_test_job_dir_result (fx, i), "outputs");
      JsonObject *out;
      g_autofree char *want = g_strdup_printf ("frame_%04u.png", i + 1);
      g_autofree char *base = NULL;

      g_assert_cmpstr (json_object_get_string_member (fh_test_job_dir_result (fx, i), "status"), ==, "complete");
      g_assert_cmpfloat (json_object_get_double_member (fh_test_job_dir_result (fx, i), "progress"), ==, 1.0);
      /* The output is the one Blender reported ("Saved: '...'"). */
      g_assert_cmpuint (json_array_get_length (outputs), ==, 1);
      out = json_array_get_object_element (outputs, 0);
      base = g_path_get_basename (json_object_get_string_member (out, "path"));
      g_assert_cmpstr (base, ==, want);
      assert_png (json_object_get_string_member (out, "path"), json_object_get_int_member (out, "bytes"));
    }
  assert_blenders (fx, 1, 3);
}

/* A job next to the example's scene.py: setup builds the scene. */
static char *
write_job (Fixture *fx, const char *agenda, const char *timeouts)
{
  g_autofree char *scene = g_test_build_filename (G_TEST_DIST, "..", "examples", "blender", "scene.py", NULL);
  g_autofree char *json = g_strdup_printf (
      "{\"executor\": \"blender\","
      " \"setup\": \"exec(compile(open('%s').read(), 'scene.py', 'exec'))\\nimport time\","
      " \"agenda\": %s, \"timeouts\": %s}", scene, agenda, timeouts);

  return fh_test_write (fx->dir, "job.json", json);
}

static void
test_broken_command (Fixture *fx, gconstpointer data)
{
  g_autofree char *job = NULL;

  if (!have_blender ())
    return;
  job = write_job (fx,
      "{\"frames\": \"1-2\", \"command\": \"bpy.data.objects['Suzanne' if {frame} == 1 else 'Nope'].name\"}",
      "{}");
  g_assert_cmpint (run (fx, job, "1-2"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (fh_test_job_dir_result (fx, 0), "status"), ==, "complete");
  g_assert_cmpstr (json_object_get_string_member (fh_test_job_dir_result (fx, 1), "status"), ==, "failed");
  /* bpy's own error, raised inside Blender, with the item that ran it. */
  assert_tb (fx, 1, "Traceback (most recent call last):\n  File \"<farmhand item 2>\", line 1*"
                    "KeyError: 'bpy_prop_collection[key]: key \"Nope\" not found'*");
}

static void
test_timeout_interrupts (Fixture *fx, gconstpointer data)
{
  g_autofree char *job = NULL;

  if (!have_blender ())
    return;
  job = write_job (fx, "{\"frames\": \"1-2\", \"command\": \"time.sleep(300) if {frame} == 1 else render({frame})\"}",
                   "{\"command_s\": 3}");
  g_assert_cmpint (run (fx, job, "1-2"), ==, 1);
  assert_tb (fx, 0, "timeout after 3 s; interrupted:\nTraceback (most recent call last):*KeyboardInterrupt*");
  /* A timed-out session is never trusted again (the command may have left
   * the scene half-changed): frame 2 renders in a fresh Blender. */
  g_assert_cmpstr (json_object_get_string_member (fh_test_job_dir_result (fx, 1), "status"), ==, "complete");
  assert_blenders (fx, 2, 1);
}

static void
test_cancel_interrupts (Fixture *fx, gconstpointer data)
{
  g_autofree char *job = NULL;
  g_autofree char *started = g_build_filename (fx->dir, "started", NULL);
  g_autofree char *out = g_build_filename (fx->dir, "out.txt", NULL);
  g_autoptr (GSubprocess) host = NULL;
  g_autoptr (GError) err = NULL;

  if (!have_blender ())
    return;
  job = write_job (fx, "{\"frames\": \"1-2\", \"command\": \"open('started', 'w').close(); time.sleep(300)\"}", "{}");
  host = fh_test_farmhand_start (fx->dir, out, NULL, "run", job, "--results", fx->results, "--plain", NULL);
  fh_test_await_file (started, 60000 * fh_test_time_factor ());
  g_subprocess_send_signal (host, SIGINT);
  g_subprocess_wait (host, NULL, &err);
  g_assert_no_error (err);
  g_assert_cmpint (g_subprocess_get_exit_status (host), ==, 130);
  fx->lines = fh_test_read_results (fx->results);
  assert_tb (fx, 0, "cancelled; interrupted:\nTraceback (most recent call last):*time.sleep(300)*KeyboardInterrupt*");
  assert_tb (fx, 1, "not run: the job was cancelled");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fh_test_job_dir_set_up, func, fh_test_job_dir_tear_down)
  ADD ("/blender/example-renders", test_example_renders);
  ADD ("/blender/broken-command", test_broken_command);
  ADD ("/blender/timeout-interrupts", test_timeout_interrupts);
  ADD ("/blender/cancel-interrupts", test_cancel_interrupts);
#undef ADD
  return g_test_run ();
}
