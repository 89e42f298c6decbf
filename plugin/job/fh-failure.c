/* fh-failure.c — failure classes (see the header). */
#include "config.h"

#include "fh-failure.h"

/* One more, NULL: the list fh_failure_names() returns ends there. */
static const char *const names[FH_FAILURE_N_CLASSES + 1] = {
  [FH_FAILURE_NONE] = NULL,
  [FH_FAILURE_LICENSE] = "license",
  [FH_FAILURE_WATERMARK] = "watermark",
  [FH_FAILURE_MISSING_INPUT] = "missing_input",
  [FH_FAILURE_OUT_OF_MEMORY] = "out_of_memory",
  [FH_FAILURE_GPU] = "gpu",
  [FH_FAILURE_CRASH] = "crash",
  [FH_FAILURE_TIMEOUT] = "timeout",
  [FH_FAILURE_STALL] = "stall",
  [FH_FAILURE_OUTPUT_MISSING] = "output_missing",
  [FH_FAILURE_BAD_OUTPUT] = "bad_output",
  [FH_FAILURE_CANCELLED] = "cancelled",
  [FH_FAILURE_EXECUTOR_LOST] = "executor_lost",
  [FH_FAILURE_ERROR] = "error",
  [FH_FAILURE_EXIT_CODE] = "exit_code",
};

const char *
fh_failure_name (FhFailureClass failure)
{
  return (guint) failure < FH_FAILURE_N_CLASSES ? names[failure] : NULL;
}

gboolean
fh_failure_from_name (const char *name, FhFailureClass *out)
{
  for (guint i = 1; i < FH_FAILURE_N_CLASSES; i++)
    if (g_strcmp0 (names[i], name) == 0)
      {
        *out = (FhFailureClass) i;
        return TRUE;
      }
  return FALSE;
}

const char *const *
fh_failure_names (void)
{
  return names + 1;
}

gboolean
fh_failure_is_machine_bound (FhFailureClass failure)
{
  return failure == FH_FAILURE_GPU || failure == FH_FAILURE_OUT_OF_MEMORY ||
         failure == FH_FAILURE_LICENSE || failure == FH_FAILURE_CRASH;
}
