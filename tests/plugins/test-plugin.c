/* test-plugin.c — deliberately broken plugins for the loader tests, one
 * module per VARIANT: each breaks exactly one rule of the ABI (abi-1-0
 * breaks none: a valid plugin of ABI 1.0, without the 1.1 entry points). */
#include "fh-plugin.h"

#include <stddef.h>
#include <stdlib.h>

#ifndef VARIANT_NO_SYMBOL
static FhPluginJob *
t_job_new (const FhHostApi *host, const char *job_json, const char *options_json, char **error)
{
  return NULL;
}

static int t_job_run (FhPluginJob *job, char **summary) { return FH_RUN_JOB_FAILED; }
static void t_job_cancel (FhPluginJob *job, uint32_t flags) { }
static void t_job_free (FhPluginJob *job) { }
static void t_free_string (char *s) { free (s); }
static char *t_job_describe (FhPluginJob *job) { return NULL; }
#ifndef VARIANT_NO_AGENDA
static char *t_job_agenda (FhPluginJob *job, const char *items, uint32_t flags, char **error) { return NULL; }
#endif

static const FhPluginDesc desc = {
#ifdef VARIANT_BAD_MAJOR
  FH_PLUGIN_ABI_MAJOR + 1, 0,
#elif defined(VARIANT_NEWER_MINOR)
  FH_PLUGIN_ABI_MAJOR, FH_PLUGIN_ABI_MINOR + 1,
#elif defined(VARIANT_ABI_1_0)
  FH_PLUGIN_ABI_MAJOR, 0,
#else
  FH_PLUGIN_ABI_MAJOR, FH_PLUGIN_ABI_MINOR,
#endif
#ifdef VARIANT_SMALL_DESC
  offsetof (FhPluginDesc, job_describe), 0,
#else
  sizeof (FhPluginDesc), 0,
#endif
  PLUGIN_NAME, "0.0.1",
#ifdef VARIANT_BAD_LICENSE
  "Do-What-You-Like",
#else
  "MIT",
#endif
  "a test plugin",
  t_job_new, t_job_run, t_job_cancel, t_job_free, t_free_string,
#ifdef VARIANT_NO_AGENDA
  t_job_describe, NULL,
#else
  t_job_describe, t_job_agenda,
#endif
  NULL, NULL, NULL, NULL, { 0 }
};

FH_PLUGIN_EXPORT const FhPluginDesc *fh_plugin_get_desc (void);
const FhPluginDesc *
fh_plugin_get_desc (void)
{
  return &desc;
}
#else
FH_PLUGIN_EXPORT int fh_plugin_something_else (void);
int
fh_plugin_something_else (void)
{
  return 0;
}
#endif
