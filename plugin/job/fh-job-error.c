/* fh-job-error.c — the job model's error domain. */
#include "config.h"

#include "fh-job-error.h"

G_DEFINE_QUARK (fh-job-error-quark, fh_job_error)
