/* fh-cli-log.c — `farmhand log test [--preset NAME] [--job JOB.json]
 * [--json] FILE|-`: what a job's log rules make of a log, line by line,
 * and the verdict the log alone gives.  How a wrangler debugs patterns
 * before submitting.  Exit 0 when the log passes, 1 when it fails, 2 for
 * a usage error or a bad preset or job. */
#include "config.h"

#include <stdio.h>

#include <gio/gunixinputstream.h>

#include "fh-cli.h"
#include "fh-host-error.h"
#include "fh-json.h"

/* The whole of standard input.  (transfer full) */
static GBytes *
read_stdin (GError **error)
{
  g_autoptr (GInputStream) in = g_unix_input_stream_new (0, FALSE);
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();

  if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    {
      g_prefix_error (error, "reading standard input: ");
      return NULL;
    }
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

/* @path's bytes, mapped (a log may be hundreds of megabytes), or stdin's
 * for "-".  (transfer full) */
static GBytes *
read_log (const char *path, GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;

  if (g_str_equal (path, "-"))
    return read_stdin (error);
  if ((mapped = g_mapped_file_new (path, FALSE, error)) == NULL)
    return NULL;
  return g_mapped_file_get_bytes (mapped);
}

/* One line's yields: "error [license, rule license-rlm]", "progress 0.25". */
static char *
describe_yields (JsonObject *entry)
{
  JsonArray *yields = json_object_get_array_member (entry, "yields");
  const char *rule = json_object_get_string_member_with_default (entry, "rule", NULL);
  const char *failure = json_object_get_string_member_with_default (entry, "class", NULL);
  g_autoptr (GString) s = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (yields); i++)
    {
      const char *kind = json_array_get_string_element (yields, i);
      if (s->len > 0)
        g_string_append (s, ", ");
      g_string_append (s, kind);
      if (g_str_equal (kind, "progress") && json_object_has_member (entry, "fraction"))
        g_string_append_printf (s, " %.4g", json_object_get_double_member (entry, "fraction"));
    }
  if (failure != NULL || rule != NULL)
    g_string_append_printf (s, " [%s%s%s%s]", failure ? failure : "", failure && rule ? ", " : "",
                            rule ? "rule " : "", rule ? rule : "");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Outputs and frames done, by line, for the per-line view. */
static const char *
entry_extra (JsonObject *result, const char *list, gint64 line, const char *member,
             char buf[static 64])
{
  JsonArray *a = json_object_get_array_member (result, list);

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      if (json_object_get_int_member (o, "line") != line)
        continue;
      if (json_object_get_member (o, member) != NULL &&
          JSON_NODE_HOLDS_VALUE (json_object_get_member (o, member)) &&
          json_node_get_value_type (json_object_get_member (o, member)) == G_TYPE_STRING)
        return json_object_get_string_member (o, member);
      g_snprintf (buf, 64, "%" G_GINT64_FORMAT, json_object_get_int_member (o, member));
      return buf;
    }
  return NULL;
}

static void
print_text (const char *path, JsonObject *result)
{
  JsonArray *lines = json_object_get_array_member (result, "per_line");
  JsonObject *preset = json_object_get_object_member (result, "preset");
  const char *failure = json_object_get_string_member_with_default (result, "class", NULL);

  printf ("%s: %" G_GINT64_FORMAT " lines", path, json_object_get_int_member (result, "lines"));
  if (preset != NULL)
    printf (", preset %s version %" G_GINT64_FORMAT " (%s)", json_object_get_string_member (preset, "name"),
            json_object_get_int_member (preset, "version"), json_object_get_string_member (preset, "source"));
  printf ("\n");
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *e = json_array_get_object_element (lines, i);
      gint64 line = json_object_get_int_member (e, "line");
      g_autofree char *what = describe_yields (e);
      char buf[64];
      const char *out = entry_extra (result, "outputs", line, "path", buf);
      const char *frame = out ? NULL : entry_extra (result, "frames_done", line, "frame", buf);

      printf ("%6" G_GINT64_FORMAT "  %s%s%s%s\n         | %s\n", line, what, out ? " -> " : "",
              out ? out : (frame ? " frame " : ""), out ? "" : (frame ? frame : ""),
              json_object_get_string_member (e, "text"));
    }
  if (failure != NULL)
    printf ("verdict: failed (%s): %s\n", failure, json_object_get_string_member (result, "reason"));
  else
    printf ("verdict: complete\n");
}

static int
scan (const char *path, const char *job, const char *preset, const char *plugin, gboolean json)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) log = read_log (path, &err);
  g_autoptr (FhJobHandle) handle = NULL;
  g_autoptr (FhPluginModule) module = NULL;
  g_autoptr (JsonObject) result = NULL;
  gsize len = 0;
  const char *data;

  if (log == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  data = g_bytes_get_data (log, &len);
  if (job != NULL && (handle = fh_job_handle_new_from_file (job, plugin, NULL, FALSE, NULL, &err)) == NULL)
    return fh_cli_open_job_failed (job, err);
  if (handle != NULL)
    result = fh_job_handle_scan_log (handle, data, len, preset, !json, &err);
  else if ((module = plugin ? fh_plugin_module_open (plugin, &err) : fh_plugin_module_open_default (&err)) != NULL)
    result = fh_plugin_module_scan_log (module, NULL, data, len, preset, !json, &err);
  if (result == NULL)
    return fh_cli_usage_error (NULL, "%s", err->message);
  if (json)
    {
      g_autofree char *text = fh_json_object_to_string (result);
      printf ("%s\n", text);
    }
  else
    print_text (path, result);
  return g_str_equal (json_object_get_string_member (result, "verdict"), "complete") ? FH_EXIT_OK
                                                                                    : FH_EXIT_FAILED;
}

int
fh_cli_log (int argc, char **argv)
{
  g_autofree char *preset = NULL;
  g_autofree char *job = NULL;
  g_autofree char *plugin = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "preset", 0, 0, G_OPTION_ARG_STRING, &preset, "Scan with the log preset NAME (instead of the job's)", "NAME" },
    { "job", 0, 0, G_OPTION_ARG_FILENAME, &job, "Scan with the log rules of the job JOB.json", "JOB.json" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &plugin, "Use the job type at PATH", "PATH" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "log", "test FILE|-", "Scan a log as a job would: print what each line yields (error, "
      "warning, highlight, progress, output, class) and the verdict the log alone gives. "
      "Exit 0 when it passes, 1 when it fails, 2 for a usage error or a bad preset.", entries);
  g_autoptr (GError) err = NULL;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("log", "%s", err->message);
  if (argc < 2 || !g_str_equal (argv[1], "test"))
    return fh_cli_usage_error ("log", "log needs a subcommand: log test FILE|-");
  if (argc != 3)
    return fh_cli_usage_error ("log", "log test needs one log file (or - for standard input)");
  if (preset == NULL && job == NULL)
    return fh_cli_usage_error ("log", "log test needs --preset NAME or --job JOB.json "
                                      "(the rules to scan with)");
  return scan (argv[2], job, preset, plugin, json);
}
