/* fh-job-listing.c — a job as a host sees it (see the header). */
#include "config.h"

#include "fh-job-listing.h"

#include "fh-error.h"
#include "fh-frame-list.h"

static JsonArray *
hooks (const FhJob *job, GPtrArray *templates)
{
  JsonArray *out = json_array_new ();

  for (guint i = 0; i < templates->len; i++)
    {
      g_autofree char *command = fh_job_expand_hook (job, g_ptr_array_index (templates, i));
      json_array_add_string_element (out, command);
    }
  return out;
}

static JsonNode *
executor (const FhJob *job)
{
  JsonObject *o = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  if (job->executor != NULL)
    json_object_set_string_member (o, "preset", job->executor);
  else
    {
      JsonArray *argv = json_array_new ();
      for (guint i = 0; job->executor_argv[i] != NULL; i++)
        json_array_add_string_element (argv, job->executor_argv[i]);
      json_object_set_array_member (o, "argv", argv);
    }
  if (job->via != NULL)
    {
      JsonArray *via = json_array_new ();
      for (guint i = 0; job->via[i] != NULL; i++)
        json_array_add_string_element (via, job->via[i]);
      json_object_set_array_member (o, "via", via);
    }
  if (job->stdio)
    json_object_set_string_member (o, "channel", "stdio");
  json_node_take_object (node, o);
  return node;
}

JsonObject *
fh_job_listing_describe (const FhJob *job)
{
  JsonObject *o = json_object_new ();
  guint n = fh_job_get_n_items (job);

  json_object_set_string_member (o, "name", job->name);
  json_object_set_int_member (o, "items", n);
  json_object_set_member (o, "executor", executor (job));
  json_object_set_string_member (o, "cwd", job->cwd);
  json_object_set_array_member (o, "setup", hooks (job, job->setup));
  json_object_set_array_member (o, "teardown", hooks (job, job->teardown));
  json_object_set_int_member (o, "avoid_host_after", job->avoid_host_after);
  if (fh_log_rules_get_preset (job->log) != NULL)
    json_object_set_string_member (o, "log_preset", fh_log_preset_get_name (fh_log_rules_get_preset (job->log)));
  if (fh_agenda_has_frames (job->agenda))
    {
      guint frames = 0;
      for (guint i = 0; i < n; i++)
        {
          guint nf;
          fh_agenda_get_item_frames (job->agenda, i, &nf);
          frames += nf;
        }
      json_object_set_int_member (o, "frames", frames);
      json_object_set_int_member (o, "chunk", fh_agenda_get_chunk (job->agenda));
    }
  return o;
}

static JsonObject *
item (FhJob *job, guint index, gboolean commands)
{
  JsonObject *o = fh_agenda_item_to_json (job->agenda, index);

  json_object_set_int_member (o, "number", index + 1);
  if (commands)
    {
      g_autofree char *command = fh_job_expand_item (job, index);
      json_object_set_string_member (o, "command", command);
    }
  return o;
}

JsonArray *
fh_job_listing_agenda (FhJob *job, const char *items, gboolean commands, GError **error)
{
  g_autoptr (JsonArray) out = json_array_new ();
  g_autoptr (FhFrameList) list = NULL;
  guint n = fh_job_get_n_items (job);
  const gint64 *numbers;

  if (items == NULL)
    {
      for (guint i = 0; i < n; i++)
        json_array_add_object_element (out, item (job, i, commands));
      return g_steal_pointer (&out);
    }
  if ((list = fh_frame_list_parse_full (items, "item", error)) == NULL)
    return NULL;
  numbers = fh_frame_list_get_frames (list);
  for (guint k = 0; k < fh_frame_list_get_length (list); k++)
    {
      if (numbers[k] < 1 || numbers[k] > n)
        return fh_throw_null (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID,
                              "there is no item %" G_GINT64_FORMAT "; the job has %u "
                              "(numbered from 1, as 'farmhand expand' prints them)", numbers[k], n);
      json_array_add_object_element (out, item (job, (guint) (numbers[k] - 1), commands));
    }
  return g_steal_pointer (&out);
}
