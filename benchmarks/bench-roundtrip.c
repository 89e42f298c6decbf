/* bench-roundtrip.c — the round trip of a no-op command through farmhand's
 * real code path: the job-type plugin opened by the host's loader, a real
 * executor (a preset: shell, python, ...), the real backchannel.  One
 * sample per item: from the host handing the plugin the item (next_item)
 * to the plugin reporting its result (report_item) — the command framed,
 * written, run, answered, read, judged and reported.
 *
 * --layer connection drives the executor connection (FhExecutorConnection) directly:
 * the same executor and backchannel without the job runner, the item
 * report and the host API — to show what each layer costs.
 *
 * --via JSON runs the executor through a transport (the job's executor.via,
 * a JSON array: ["sudo", "-n", "-u", "render", "--"]) over the stdio channel.
 *
 *   bench-roundtrip [--executor PRESET] [--command CMD] [--layer plugin|connection]
 *                   [--via JSON] [-n N] [--warmup W] [--samples FILE]
 * prints {"n", "median", "p99", "mean", "min"} in µs. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "bench-samples.h"
#include "fh-executor-connection.h"
#include "fh-plugin-module.h"
#include "fh-executor-dir.h"
#include "fh-executor-presets.h"

typedef struct
{
  gint next;          /* items handed out */
  gint total;
  gint warmup;
  gint failed;
  gint64 started_ns;  /* when the running item was handed out */
  BenchSamples *samples;
} Bench;

/* As farmhand's own host serves items: by index (ABI 1.4). */
static int64_t
next_index (void *data)
{
  Bench *b = data;

  if (b->next >= b->total)
    return FH_NEXT_ITEM_NONE;
  if (b->next == b->warmup)
    bench_samples_begin (b->samples, b->total - b->warmup);
  b->started_ns = bench_now_ns ();
  return b->next++;
}

/* Never asked: every item has an index. */
static char *
next_item (void *data)
{
  return NULL;
}

static void
free_item (void *data, char *item)
{
  g_free (item);
}

static void
report_item (void *data, const char *result_json)
{
  Bench *b = data;
  gint64 ns = bench_now_ns () - b->started_ns;

  if (strstr (result_json, "\"status\":\"complete\"") == NULL)
    {
      if (b->failed++ == 0)
        g_printerr ("bench-roundtrip: an item failed: %s\n", result_json);
    }
  else if (b->next > b->warmup)
    bench_samples_add (b->samples, ns);
}

/* The executor's echo of each command: part of the path, not measured. */
static void
log_line (void *data, const char *item, FhLogStream stream, const char *line, size_t len)
{
}

static void
progress (void *data, const char *item, double fraction)
{
}

static char *
job_json (const char *executor, const char *via, const char *command, gint items)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *frames = g_strdup_printf ("1-%d", items);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, "bench-roundtrip");
  json_builder_set_member_name (b, "executor");
  if (via != NULL)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "preset");
      json_builder_add_string_value (b, executor);
      json_builder_set_member_name (b, "via");
      json_builder_add_value (b, json_from_string (via, NULL));
      json_builder_end_object (b);
    }
  else
    json_builder_add_string_value (b, executor);
  json_builder_set_member_name (b, "agenda");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "frames");
  json_builder_add_string_value (b, frames);
  json_builder_set_member_name (b, "command");
  json_builder_add_string_value (b, command);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static int
run (const char *executor, const char *via, const char *command, Bench *bench, GError **error)
{
  g_autoptr (FhPluginModule) module = fh_plugin_module_open_default (error);
  const FhPluginDesc *desc;
  g_autofree char *job = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *options = NULL;
  FhHostApi api = {
    .struct_size = sizeof (FhHostApi), .abi_major = FH_PLUGIN_ABI_MAJOR,
    .abi_minor = FH_PLUGIN_ABI_MINOR, .host_data = bench, .next_item = next_item,
    .free_item = free_item, .report_item = report_item, .log_line = log_line,
    .progress = progress, .next_index = next_index,
  };
  char *msg = NULL;
  FhPluginJob *pj;
  int status;

  if (module == NULL)
    return 1;
  desc = fh_plugin_module_get_desc (module);
  job = job_json (executor, via, command, bench->total);
  options = g_strdup_printf ("{\"base_dir\":\"%s\"}", cwd);
  if ((pj = desc->job_new (&api, job, options, &msg)) == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s", msg);
      desc->free_string (msg);
      return 1;
    }
  status = desc->job_run (pj, &msg);
  if (status != FH_RUN_OK)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "the job ended with status %d: %s",
                 status, msg ? msg : "");
  desc->free_string (msg);
  desc->job_free (pj);
  return status;
}

/* The same commands straight through FhExecutorConnection. */
static int
run_connection (const char *executor, const char *command, Bench *bench, GError **error)
{
  FhExecutorPresets *presets = fh_executor_presets_get_default (error);
  const FhExecutorPreset *preset = presets ? fh_executor_presets_lookup (presets, executor) : NULL;
  g_auto (GStrv) argv = NULL;
  g_autoptr (FhExecutorConnection) d = fh_executor_connection_new (NULL, NULL);
  FhRunLimits limits = { 0 };
  gint code;

  if (presets == NULL)
    return 1;
  if (preset == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no executor preset '%s'", executor);
      return 1;
    }
  argv = fh_executor_dir_expand_argv ((const char *const *) preset->argv);
  if (!fh_executor_connection_start (d, (const char *const *) argv, NULL, NULL, 60, error))
    return 1;
  for (gint i = 0; i < bench->total; i++)
    {
      gint64 t0, ns;
      g_autoptr (FhCommandResult) r = NULL;

      if (i == bench->warmup)
        bench_samples_begin (bench->samples, bench->total - bench->warmup);
      t0 = bench_now_ns ();
      r = fh_executor_connection_run (d, FH_PHASE_AGENDA, command, NULL, &limits, error);
      ns = bench_now_ns () - t0;

      if (r == NULL)
        return 1;
      if (r->status != 0)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "the command failed: %s", r->traceback);
          return 1;
        }
      if (i >= bench->warmup)
        bench_samples_add (bench->samples, ns);
    }
  if ((code = fh_executor_connection_close (d, -1, 10)) == 0)
    return 0;
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "the executor exited with code %d", code);
  return 1;
}

int
main (int argc, char **argv)
{
  /* GOption does not free a default it replaces: defaults go in after. */
  g_autofree char *executor = NULL;
  g_autofree char *command = NULL;
  g_autofree char *samples_path = NULL;
  g_autofree char *layer = NULL;
  g_autofree char *via = NULL;
  gint n = 20000, warmup = 500;
  GOptionEntry entries[] = {
    { "executor", 'e', 0, G_OPTION_ARG_STRING, &executor, "Executor preset (default: shell)", "PRESET" },
    { "command", 'c', 0, G_OPTION_ARG_STRING, &command, "The no-op command (default: ':', or 'pass' for Python)", "CMD" },
    { "layer", 0, 0, G_OPTION_ARG_STRING, &layer, "plugin (default): through the plugin ABI; connection: FhExecutorConnection alone", "LAYER" },
    { "via", 0, 0, G_OPTION_ARG_STRING, &via, "Through this transport (a JSON array, as executor.via)", "JSON" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &n, "Round trips to measure", "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Round trips before measuring", "W" },
    { "samples", 0, 0, G_OPTION_ARG_FILENAME, &samples_path, "Write every sample (µs) to FILE", "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— a no-op command through the plugin");
  g_autoptr (BenchSamples) samples = NULL;
  g_autoptr (GError) err = NULL;
  Bench bench = { 0 };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (g_option_context_parse (ctx, &argc, &argv, &err))
    {
      if (executor == NULL)
        executor = g_strdup ("shell");
      if (layer == NULL)
        layer = g_strdup ("plugin");
    }
  if (err != NULL || n < 1 || warmup < 0 ||
      (!g_str_equal (layer, "plugin") && !g_str_equal (layer, "connection")) ||
      (via != NULL && !g_str_equal (layer, "plugin")))
    {
      g_printerr ("bench-roundtrip: %s\n", err ? err->message : "bad --count, --warmup, --layer or --via");
      return 2;
    }
  if (command == NULL)
    command = g_strdup (g_str_equal (executor, "shell") ? ":" : "pass");
  samples = bench_samples_new (n);
  bench = (Bench) { .total = warmup + n, .warmup = warmup, .samples = samples };
  if ((g_str_equal (layer, "plugin") ? run (executor, via, command, &bench, &err)
                                      : run_connection (executor, command, &bench, &err)) != 0 ||
      bench.failed > 0 ||
      !bench_samples_report (samples, samples_path, &err))
    {
      g_printerr ("bench-roundtrip: %s\n", err ? err->message : "items failed");
      return 1;
    }
  return 0;
}
