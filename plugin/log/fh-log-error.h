/* fh-log-error.h — the log-matching engine's error domain: a pattern it
 * cannot use.  The job model reports it as part of an invalid job
 * (FH_JOB_ERROR_INVALID), with the path of the rule. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * FhLogError:
 * @FH_LOG_ERROR_PATTERN: a pattern does not compile (the PCRE2 message and
 *   offset), or lacks the group its category needs.
 */
typedef enum {
  FH_LOG_ERROR_PATTERN,
} FhLogError;

#define FH_LOG_ERROR (fh_log_error_quark ())
GQuark fh_log_error_quark (void);

G_END_DECLS
