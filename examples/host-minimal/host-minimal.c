/* host-minimal.c — the smallest farm host: dlopen() farmhand's job type,
 * run one job file through the plugin ABI (fh-plugin.h, nothing else of
 * farmhand), print every log line and result.  docs/abi.md explains it.
 *   cc host-minimal.c $(pkg-config --cflags --libs farmhand-plugin json-glib-1.0) -ldl
 *   ./a.out /usr/lib/x86_64-linux-gnu/farmhand/plugins/libfarmhand-jobtype.so job.json */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-glib/json-glib.h>

#include "fh-plugin.h"

typedef struct { int next, n; } Queue;   /* a farm's queue, in miniature */

static char *next_item (void *data)
{
  Queue *q = data;
  return q->next < q->n ? g_strdup_printf ("{\"index\": %d}", q->next++) : NULL;
}
static void free_item (void *data, char *item) { g_free (item); }
static void report_item (void *data, const char *result) { printf ("result %s\n", result); }
static void log_line (void *data, const char *item, FhLogStream stream, const char *line, size_t len)
{
  printf ("log %s: %.*s\n", item ? item : "-", (int) len, line);
}
static void progress (void *data, const char *item, double fraction) { }

int main (int argc, char **argv)
{
  /* Never dlclose(): the plugin registers GTypes, which outlive it. */
  void *module = argc == 3 ? dlopen (argv[1], RTLD_NOW | RTLD_LOCAL) : NULL;
  FhPluginGetDescFunc get_desc = module ? (FhPluginGetDescFunc) dlsym (module, FH_PLUGIN_SYMBOL) : NULL;
  const FhPluginDesc *d = get_desc ? get_desc () : NULL;
  Queue queue = { 0, 0 };
  FhHostApi api = { .abi_major = FH_PLUGIN_ABI_MAJOR, .abi_minor = FH_PLUGIN_ABI_MINOR,
                    .struct_size = sizeof (FhHostApi), .host_data = &queue, .next_item = next_item,
                    .free_item = free_item, .report_item = report_item, .log_line = log_line,
                    .progress = progress };
  char *text = NULL, *error = NULL, *described, *summary = NULL;
  FhPluginJob *job;
  JsonNode *root;
  int status;

  /* Any minor of our major: a newer one only added what we do not read. */
  if (d == NULL || d->abi_major != FH_PLUGIN_ABI_MAJOR || !g_file_get_contents (argv[2], &text, NULL, NULL))
    return fprintf (stderr, "usage: host-minimal PLUGIN.so JOB.json (a plugin of ABI %d.x)\n%s\n",
                    FH_PLUGIN_ABI_MAJOR, module ? "" : dlerror ()), 2;
  if ((job = d->job_new (&api, text, NULL, &error)) == NULL)
    return fprintf (stderr, "%s:\n%s\n", argv[2], error), d->free_string (error), g_free (text), 2;
  described = d->job_describe (job);                  /* how many items to queue */
  root = json_from_string (described, NULL);
  queue.n = (int) json_object_get_int_member (json_node_get_object (root), "items");
  json_node_unref (root);
  d->free_string (described);
  status = d->job_run (job, &summary);                /* blocks; calls us back */
  printf ("summary %s\n", summary);
  d->free_string (summary);
  d->job_free (job);
  g_free (text);
  return status == FH_RUN_OK ? 0 : 1;
}
