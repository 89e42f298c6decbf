/* fh-cli-validate.c — `farmhand validate JOB.json...`: exit 0 when every
 * job is valid, 2 with every problem of every invalid one. */
#include "config.h"

#include <stdio.h>

#include "fh-cli.h"
#include "fh-host-error.h"
#include "fh-json.h"

static void
describe (const char *path, FhJobHandle *handle)
{
  JsonObject *d = fh_job_handle_describe (handle);
  guint n = fh_job_handle_get_n_items (handle);
  gint64 chunk = json_object_get_int_member_with_default (d, "chunk", 1);

  printf ("%s: valid: job '%s', %u item%s", path, fh_job_handle_get_name (handle), n,
          n == 1 ? "" : "s");
  if (n == 0)
    printf (" (no agenda: setup, teardown and what its host sends)");
  if (chunk > 1)
    printf (" (chunks of %" G_GINT64_FORMAT " frames)", chunk);
  printf (", executor %s\n", fh_cli_executor_name (d));
}

/* The plugin's problems (its error object), one per line, each with the
 * file's name and, where the file has one, the line and column. */
static void
print_problems (const char *path, const GError *error)
{
  JsonObject *detail = fh_host_error_get_detail (error);
  JsonArray *problems = detail ? json_object_get_array_member (detail, "problems") : NULL;

  for (guint i = 0; problems != NULL && i < json_array_get_length (problems); i++)
    {
      JsonObject *p = json_array_get_object_element (problems, i);
      const char *field = json_object_get_string_member_with_default (p, "path", "");
      gint64 line = json_object_get_int_member_with_default (p, "line", 0);
      g_autofree char *where = line > 0 ? g_strdup_printf ("%s:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, path, line,
                                                           json_object_get_int_member_with_default (p, "column", 0))
                                        : g_strdup (path);

      g_printerr ("%s: %s%s%s\n", where, field, *field ? ": " : "",
                  json_object_get_string_member_with_default (p, "message", ""));
    }
  if (problems == NULL || json_array_get_length (problems) == 0)
    g_printerr ("%s: %s\n", path, error->message);
}

/* --json: a line per file, {"file", "valid", "job"} with the plugin's
 * description (schemas/describe.schema.json), or {"file", "valid",
 * "error"} with its error object (schemas/error.schema.json). */
static void
print_json (const char *path, FhJobHandle *handle, const GError *error)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autofree char *text = NULL;

  json_object_set_string_member (o, "file", path);
  json_object_set_boolean_member (o, "valid", handle != NULL);
  if (handle != NULL)
    json_object_set_object_member (o, "job", json_object_ref (fh_job_handle_describe (handle)));
  else if (fh_host_error_get_detail (error) != NULL)
    json_object_set_object_member (o, "error", json_object_ref (fh_host_error_get_detail (error)));
  else
    {
      JsonObject *e = json_object_new ();
      json_object_set_string_member (e, "code", "unreadable");
      json_object_set_string_member (e, "message", error->message);
      json_object_set_array_member (e, "problems", json_array_new ());
      json_object_set_object_member (o, "error", e);
    }
  text = fh_json_object_to_string (o);
  printf ("%s\n", text);
}

int
fh_cli_validate (int argc, char **argv)
{
  g_autofree char *plugin = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &plugin, "Check with the job type at PATH", "PATH" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "A JSON line per file: its description, or its problems as data", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "validate", "JOB.json...", "Check job files against the job description rules; "
      "print every problem, one per line, named by its JSON path.", entries);
  g_autoptr (GError) err = NULL;
  int code = FH_EXIT_OK;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("validate", "%s", err->message);
  if (argc < 2)
    return fh_cli_usage_error ("validate", "validate needs at least one job file");
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) job_err = NULL;
      g_autoptr (FhJobHandle) handle =
          fh_job_handle_new_from_file (argv[i], plugin, NULL, FALSE, NULL, &job_err);

      /* Without a job type nothing can be checked: stop at once. */
      if (handle == NULL && job_err->domain == FH_LOADER_ERROR)
        return fh_cli_open_job_failed (argv[i], job_err);
      if (handle == NULL)
        code = FH_EXIT_USAGE;
      if (json)
        print_json (argv[i], handle, job_err);
      else if (handle != NULL)
        describe (argv[i], handle);
      else if (job_err->domain == G_FILE_ERROR)
        g_printerr ("%s\n", job_err->message);   /* names the file */
      else
        print_problems (argv[i], job_err);
    }
  return code;
}
