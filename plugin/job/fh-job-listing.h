/* fh-job-listing.h — what a host sees of a job through the ABI
 * (job_describe, job_agenda): the job as a JSON object, and its agenda
 * items with their expanded commands, without running anything.  The
 * host never parses a job itself, so its item names always match the
 * plugin's.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-job.h"

G_BEGIN_DECLS

/* {"name", "items", "executor", "cwd", "setup", "teardown", "frames"?,
 * "chunk"?}.  (transfer full) */
JsonObject *fh_job_listing_describe (const FhJob *job);

/* The items @items names: item numbers from 1 in frame-list syntax
 * ("3-7,10"), NULL for all, in the order given; each {"number", "index",
 * "name", "frames"} and, with @commands, "command".  Errors name the list
 * and the number out of range.  (transfer full) */
JsonArray *fh_job_listing_agenda (FhJob *job, const char *items, gboolean commands,
                                  GError **error);

G_END_DECLS
