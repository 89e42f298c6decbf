/* fh-cli-expand.c — `farmhand expand JOB.json [--json]`: the agenda, one
 * item per line: number, name, command — as the job-type plugin lists it
 * (job_agenda), so it is what `farmhand run --items` will run. */
#include "config.h"

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "fh-cli.h"
#include "fh-json.h"

static gboolean
print_plain (JsonObject *item, gpointer unused, GError **error)
{
  g_autofree char *one_line =
      g_strescape (json_object_get_string_member_with_default (item, "command", ""), NULL);

  printf ("%" G_GINT64_FORMAT "\t%s\t%s\n", json_object_get_int_member (item, "number"),
          json_object_get_string_member_with_default (item, "name", "?"), one_line);
  return TRUE;
}

static gboolean
print_json (JsonObject *item, gpointer unused, GError **error)
{
  g_autofree char *json = fh_json_object_to_string (item);

  printf ("%s\n", json);
  return TRUE;
}

int
fh_cli_expand (int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *plugin = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per item: number, index, name, frames, command", NULL },
    { "plugin", 0, 0, G_OPTION_ARG_FILENAME, &plugin, "List with the job type at PATH", "PATH" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "expand", "JOB.json", "Print the agenda: one item per line with its number "
      "(as --items takes it), name and command.", entries);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJobHandle) handle = NULL;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("expand", "%s", err->message);
  if (argc != 2)
    return fh_cli_usage_error ("expand", "expand needs exactly one job file");
  if ((handle = fh_job_handle_new_from_file (argv[1], plugin, NULL, FALSE, NULL, &err)) == NULL)
    return fh_cli_open_job_failed (argv[1], err);
  if (!fh_job_handle_foreach_item (handle, TRUE, json ? print_json : print_plain, NULL, &err))
    {
      g_printerr ("farmhand: %s\n", err->message);
      return FH_EXIT_FAILED;
    }
  return FH_EXIT_OK;
}
