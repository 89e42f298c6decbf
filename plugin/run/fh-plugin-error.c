/* fh-plugin-error.c — the plugin's error domain. */
#include "config.h"

#include "fh-plugin-error.h"

G_DEFINE_QUARK (fh-plugin-error-quark, fh_plugin_error)
