/* fh-openjd-listing.h — an OpenJD job as a host sees it through the ABI:
 * job_describe (schemas/describe.schema.json, "format": "openjd") and
 * job_agenda (its tasks as items, numbered from 1 across its steps in the
 * order they run).  Tasks are computed a page at a time, never all. */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-openjd-job.h"

G_BEGIN_DECLS

/* @log_preset (nullable) and @avoid_host_after: what the run uses of
 * farmhand's own; @ignored (nullable): parameter values set aside.
 * (transfer full) */
JsonObject *fh_oj_listing_describe (const FhOjJob *job, const char *log_preset, guint avoid_host_after,
                                    GPtrArray *ignored);
/* The tasks @items names (numbers from 1, "3-7,10"; NULL: all), each
 * {"number", "index", "name", "frames": [], "step", "task_parameters"}
 * (and "command", its onRun argv as a shell would read it, with the
 * session's values as {{Session...}}, with @commands).  (transfer full) */
JsonArray *fh_oj_listing_agenda (const FhOjJob *job, const char *items, gboolean commands, GError **error);

G_END_DECLS
