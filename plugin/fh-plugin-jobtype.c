/* fh-plugin-jobtype.c — the farmhand-jobtype plugin: the ABI glue around
 * FhJobRunner.  Everything of substance lives in the runner and the
 * dispatcher; this file only translates between C strings and GLib. */
#include "config.h"

#include <stddef.h>

#include <json-glib/json-glib.h>

#include "fh-error.h"
#include "fh-job-runner.h"
#include "fh-plugin.h"

struct FhPluginJob
{
  FhJobRunner *runner;
};

/* The host fields this plugin calls, all present since ABI 1.0. */
#define HOST_API_MIN_SIZE (offsetof (FhHostApi, progress) + sizeof (void *))

static gboolean
check_host (const FhHostApi *host, GError **error)
{
  if (host == NULL || host->struct_size < HOST_API_MIN_SIZE)
    return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                     "host API struct is too small (%u bytes, need %zu)",
                     host ? host->struct_size : 0, HOST_API_MIN_SIZE);
  if (host->abi_major != FH_PLUGIN_ABI_MAJOR)
    return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                     "host speaks plugin ABI %u, this plugin ABI %d",
                     host->abi_major, FH_PLUGIN_ABI_MAJOR);
  if (!host->next_item || !host->free_item || !host->report_item ||
      !host->log_line || !host->progress)
    return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                     "host API lacks a callback");
  return TRUE;
}

/* options_json: {"job_dir", "source", "output_dir"}, all optional. */
static gboolean
read_options (const char *options_json, char **job_dir, char **source,
              char **output_dir, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonObject *o;

  if (options_json == NULL)
    return TRUE;
  if (!json_parser_load_from_data (parser, options_json, -1, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                     "options must be a JSON object");
  o = json_node_get_object (json_parser_get_root (parser));
  *job_dir = g_strdup (json_object_get_string_member_with_default (o, "job_dir", NULL));
  *source = g_strdup (json_object_get_string_member_with_default (o, "source", NULL));
  *output_dir = g_strdup (json_object_get_string_member_with_default (o, "output_dir", NULL));
  return TRUE;
}

static FhPluginJob *
jobtype_job_new (const FhHostApi *host, const char *job_json,
                 const char *options_json, char **error_out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *job_dir = NULL;
  g_autofree char *source = NULL;
  g_autofree char *output_dir = NULL;
  FhJob *job = NULL;
  FhPluginJob *pj;

  if (check_host (host, &error) &&
      read_options (options_json, &job_dir, &source, &output_dir, &error))
    job = fh_job_new_from_data (job_json, -1, source ? source : "job.json",
                                job_dir, &error);
  if (job == NULL)
    {
      if (error_out != NULL)
        *error_out = g_strdup (error->message);
      return NULL;
    }
  pj = g_new0 (FhPluginJob, 1);
  pj->runner = fh_job_runner_new (job, host, output_dir);
  return pj;
}

static int
jobtype_job_run (FhPluginJob *job, char **summary_json)
{
  return fh_job_runner_run (job->runner, summary_json);
}

static void
jobtype_job_cancel (FhPluginJob *job, int flags)
{
  fh_job_runner_cancel (job->runner, flags);
}

static void
jobtype_job_free (FhPluginJob *job)
{
  if (job == NULL)
    return;
  fh_job_runner_free (job->runner);
  g_free (job);
}

static void
jobtype_free_string (char *str)
{
  g_free (str);
}

FH_PLUGIN_DEFINE ("farmhand-jobtype", FH_VERSION, "MIT",
                  "Persistent-executor job type: one executor per job, "
                  "commands streamed in, results over a private backchannel",
                  jobtype_job_new, jobtype_job_run, jobtype_job_cancel,
                  jobtype_job_free, jobtype_free_string)
