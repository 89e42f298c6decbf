/* fh-log-error.c — see the header. */
#include "config.h"

#include "fh-log-error.h"

G_DEFINE_QUARK (fh-log-error-quark, fh_log_error)
