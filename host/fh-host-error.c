/* fh-host-error.c — the reference host's error domain. */
#include "config.h"

#include "fh-host-error.h"

G_DEFINE_QUARK (fh-host-error-quark, fh_host_error)
