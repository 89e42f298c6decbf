/* fh-host-error.h — errors of farmhand's reference host: its files
 * (results, job log), its command line, and a plugin that refused. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * FhHostError:
 * @FH_HOST_ERROR_IO: a results or log file could not be read or written.
 * @FH_HOST_ERROR_USAGE: bad command-line usage.
 * @FH_HOST_ERROR_INVALID_JOB: the plugin refused the job: the message has
 *   every problem, a line each, and fh_host_error_get_detail() the
 *   plugin's error object (schemas/error.schema.json) to act on.
 * @FH_HOST_ERROR_PLUGIN: the plugin answered what the ABI does not allow
 *   (malformed JSON where it promises an object, ...).
 */
typedef enum {
  FH_HOST_ERROR_IO,
  FH_HOST_ERROR_USAGE,
  FH_HOST_ERROR_INVALID_JOB,
  FH_HOST_ERROR_PLUGIN,
} FhHostError;

#define FH_HOST_ERROR (fh_host_error_quark ())
GQuark fh_host_error_quark (void);

/* An FH_HOST_ERROR may carry data beside its message: for
 * FH_HOST_ERROR_INVALID_JOB, the error object {"code", "message",
 * "problems": [{"path", "message", "line"?, "column"?}]}.  (An extended
 * GError: copies keep it.) */
void fh_host_error_set_detail (GError *error, JsonObject *detail);
/* (transfer none) (nullable) */
JsonObject *fh_host_error_get_detail (const GError *error);

G_END_DECLS
