/* fh-failure.h — why an item failed, as a class a farm can act on (retry
 * or not, avoid the machine or not) and a one-line reason.  Every failed
 * result carries both ("class", "reason"; schemas/result.schema.json).
 *
 *   license        no licence (server down, none free, expired)
 *   watermark      rendered, but with a watermark (an unlicensed mode)
 *   missing_input  a scene, texture, asset, plug-in or cache not found
 *   out_of_memory  RAM or VRAM exhausted
 *   gpu            a GPU or driver error, no device
 *   crash          segfault, abort, core dump, an application's own
 *                  "exited with status" line, an uncaught traceback
 *   timeout        ran past command_s / setup_s
 *   stall          no output and no result for stall_s
 *   output_missing no output reported (outputs_required), or one missing
 *   bad_output     an output too small or not a file, a bad_result line
 *   cancelled      the job or the item was cancelled
 *   executor_lost  the executor died or broke the protocol under it
 *   error          an error line of no finer class, a command's exception
 *   exit_code      the command exited non-zero and nothing says why
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FH_FAILURE_NONE,
  FH_FAILURE_LICENSE,
  FH_FAILURE_WATERMARK,
  FH_FAILURE_MISSING_INPUT,
  FH_FAILURE_OUT_OF_MEMORY,
  FH_FAILURE_GPU,
  FH_FAILURE_CRASH,
  FH_FAILURE_TIMEOUT,
  FH_FAILURE_STALL,
  FH_FAILURE_OUTPUT_MISSING,
  FH_FAILURE_BAD_OUTPUT,
  FH_FAILURE_CANCELLED,
  FH_FAILURE_EXECUTOR_LOST,
  FH_FAILURE_ERROR,
  FH_FAILURE_EXIT_CODE,
  FH_FAILURE_N_CLASSES
} FhFailureClass;

/* "license", ...; NULL for FH_FAILURE_NONE. */
const char *fh_failure_name (FhFailureClass failure);
/* The class called @name; FALSE when there is none. */
gboolean fh_failure_from_name (const char *name, FhFailureClass *out);
/* Every class's name, NULL-terminated. */
const char *const *fh_failure_names (void);

/* A machine-bound class: failing with it again and again says more about
 * the machine than about the item (gpu, out_of_memory, license, crash). */
gboolean fh_failure_is_machine_bound (FhFailureClass failure);

G_END_DECLS
