/* fh-cli-expand.c — `farmhand expand JOB.json [--json]`: the agenda, one
 * item per line: number, name, command. */
#include "config.h"

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "fh-cli.h"
#include "fh-json.h"

static void
print_plain (FhJob *job, guint i, const char *name, const char *command)
{
  g_autofree char *one_line = g_strescape (command, NULL);

  printf ("%u\t%s\t%s\n", i + 1, name, one_line);
}

static void
print_json (FhJob *job, guint i, const char *name, const char *command)
{
  g_autoptr (JsonObject) o = fh_agenda_item_to_json (job->agenda, i);
  g_autofree char *json = NULL;

  json_object_set_int_member (o, "number", i + 1);
  json_object_set_string_member (o, "command", command);
  json = fh_json_object_to_string (o);
  printf ("%s\n", json);
}

int
fh_cli_expand (int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per item: number, index, name, frames, command", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = fh_cli_context (
      "expand", "JOB.json", "Print the agenda: one item per line with its number "
      "(as --items takes it), name and command.", entries);
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJob) job = NULL;

  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    return fh_cli_usage_error ("expand", "%s", err->message);
  if (argc != 2)
    return fh_cli_usage_error ("expand", "expand needs exactly one job file");
  if ((job = fh_cli_load_job (argv[1], NULL, &err)) == NULL)
    return fh_cli_usage_error (NULL, "invalid job %s:\n%s", argv[1], err->message);
  for (guint i = 0; i < fh_job_get_n_items (job); i++)
    {
      g_autofree char *name = fh_agenda_dup_item_name (job->agenda, i);
      g_autofree char *command = fh_job_expand_item (job, i);
      (json ? print_json : print_plain) (job, i, name, command);
    }
  return FH_EXIT_OK;
}
