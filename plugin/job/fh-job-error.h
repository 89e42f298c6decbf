/* fh-job-error.h — the job model's error domain: what is wrong with a job
 * description, or with a list or template inside one.  Reading a job file
 * keeps G_FILE_ERROR and its code. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * FhJobError: errors in a job description.
 * @FH_JOB_ERROR_SYNTAX: the text is not well-formed JSON.
 * @FH_JOB_ERROR_INVALID: the JSON does not describe a valid job (or a
 *   frame list, template or preset inside one is malformed); the message
 *   lists every problem found, one per line, each starting with its JSON
 *   path.
 */
typedef enum {
  FH_JOB_ERROR_SYNTAX,
  FH_JOB_ERROR_INVALID,
} FhJobError;

#define FH_JOB_ERROR (fh_job_error_quark ())
GQuark fh_job_error_quark (void);

G_END_DECLS
