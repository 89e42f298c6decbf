/* define-macro.c — a plugin made with one FH_PLUGIN_DEFINE_* macro (and
 * nothing else), built once per minor (tests/meson.build: -DDEFINE_MINOR=N,
 * file libdefine-1-N.so), for the loader's test that each macro stamps its
 * own minor and leaves the later entry points NULL. */
#include "fh-plugin.h"

#include <stdlib.h>

static FhPluginJob *d_job_new (const FhHostApi *h, const char *j, const char *o, char **e) { return NULL; }
static int d_job_run (FhPluginJob *job, char **summary) { return FH_RUN_REFUSED; }
static void d_job_cancel (FhPluginJob *job, uint32_t flags) { }
static void d_job_free (FhPluginJob *job) { }
static void d_free_string (char *s) { free (s); }
static char *d_job_describe (FhPluginJob *job) { return NULL; }
static char *d_job_agenda (FhPluginJob *job, const char *i, uint32_t f, char **e) { return NULL; }

#if DEFINE_MINOR == 0
FH_PLUGIN_DEFINE ("define-1-0", "0.0.1", "MIT", "made with FH_PLUGIN_DEFINE", d_job_new, d_job_run,
                  d_job_cancel, d_job_free, d_free_string, d_job_describe, d_job_agenda)
#else
static char *d_job_scan_log (FhPluginJob *job, const char *l, size_t n, const char *o, char **e) { return NULL; }
#if DEFINE_MINOR == 1
FH_PLUGIN_DEFINE_1_1 ("define-1-1", "0.0.1", "MIT", "made with FH_PLUGIN_DEFINE_1_1", d_job_new, d_job_run,
                      d_job_cancel, d_job_free, d_free_string, d_job_describe, d_job_agenda, d_job_scan_log)
#else
static FhPluginJob *d_job_create (const FhHostApi *h, const char *j, const char *o, char **e) { return NULL; }
#if DEFINE_MINOR == 2
FH_PLUGIN_DEFINE_1_2 ("define-1-2", "0.0.1", "MIT", "made with FH_PLUGIN_DEFINE_1_2", d_job_new, d_job_run,
                      d_job_cancel, d_job_free, d_free_string, d_job_describe, d_job_agenda, d_job_scan_log,
                      d_job_create)
#else
static char *d_check_file (const char *p, const char *o, char **e) { return NULL; }
FH_PLUGIN_DEFINE_1_3 ("define-1-3", "0.0.1", "MIT", "made with FH_PLUGIN_DEFINE_1_3", d_job_new, d_job_run,
                      d_job_cancel, d_job_free, d_free_string, d_job_describe, d_job_agenda, d_job_scan_log,
                      d_job_create, d_job_create, d_check_file)
#endif
#endif
#endif
