/* abi-1-1-shim.c — a plugin of ABI 1.1, built against that release's header
 * (tests/abi-1.1/fh-plugin.h), that hands every call to farmhand's real
 * job type ($FH_SHIM_TARGET): what a 1.2 host meets when a studio still
 * runs a plugin built for 1.1 (no job_create; job_new's errors as text; no
 * "machine_bound" in results... only what 1.1 had). */
#include "fh-plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#if FH_PLUGIN_ABI_MINOR != 1
#error "the shim must be built against ABI 1.1's header"
#endif

static const FhPluginDesc *
real (void)
{
  static const FhPluginDesc *desc;
  void *module;

  if (desc != NULL)
    return desc;
  if ((module = dlopen (getenv ("FH_SHIM_TARGET"), RTLD_NOW | RTLD_LOCAL)) == NULL)
    {
      fprintf (stderr, "abi-1-1-shim: %s\n", dlerror ());
      abort ();
    }
  desc = ((FhPluginGetDescFunc) dlsym (module, FH_PLUGIN_SYMBOL)) ();
  return desc;
}

static FhPluginJob *
s_job_new (const FhHostApi *host, const char *job_json, const char *options_json, char **error)
{
  return real ()->job_new (host, job_json, options_json, error);
}

static int s_job_run (FhPluginJob *job, char **summary) { return real ()->job_run (job, summary); }
static void s_job_cancel (FhPluginJob *job, int flags) { real ()->job_cancel (job, flags); }
static void s_job_free (FhPluginJob *job) { real ()->job_free (job); }
static void s_free_string (char *s) { real ()->free_string (s); }
static char *s_job_describe (FhPluginJob *job) { return real ()->job_describe (job); }

static char *
s_job_agenda (FhPluginJob *job, const char *items, uint32_t flags, char **error)
{
  return real ()->job_agenda (job, items, flags, error);
}

static char *
s_job_scan_log (FhPluginJob *job, const char *log, size_t len, const char *options_json, char **error)
{
  return real ()->job_scan_log (job, log, len, options_json, error);
}

FH_PLUGIN_DEFINE_1_1 ("abi-1-1-shim", "0.0.1", "MIT", "ABI 1.1 in front of farmhand's job type",
                      s_job_new, s_job_run, s_job_cancel, s_job_free, s_free_string, s_job_describe,
                      s_job_agenda, s_job_scan_log)
