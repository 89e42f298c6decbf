/* fh-error.h — farmhand's error domains and one-line throw helpers.
 *
 * One domain per component.  The enums are append-only: a code, once
 * released, keeps its number and meaning so hosts can match on it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * FhProtocolError: errors on the wire between dispatcher and executor.
 * @FH_PROTOCOL_ERROR_FRAME_TOO_LARGE: a frame header declares more bytes
 *   than the enforced maximum.
 * @FH_PROTOCOL_ERROR_FRAME_EMPTY: a frame of length zero.
 * @FH_PROTOCOL_ERROR_TRUNCATED: the stream ended inside a frame.
 * @FH_PROTOCOL_ERROR_BAD_UTF8: a frame payload is not valid UTF-8.
 * @FH_PROTOCOL_ERROR_BAD_JSON: a frame payload is not a JSON object.
 * @FH_PROTOCOL_ERROR_BAD_MESSAGE: a JSON object that is not a valid message
 *   (unknown type, missing or mistyped field).
 * @FH_PROTOCOL_ERROR_VERSION: the peer speaks another protocol version.
 * @FH_PROTOCOL_ERROR_UNEXPECTED: a valid message at the wrong time (a result
 *   for a command that was never sent, a second hello...).
 * @FH_PROTOCOL_ERROR_AUTH: the peer failed authentication (bad token).
 */
typedef enum {
  FH_PROTOCOL_ERROR_FRAME_TOO_LARGE,
  FH_PROTOCOL_ERROR_FRAME_EMPTY,
  FH_PROTOCOL_ERROR_TRUNCATED,
  FH_PROTOCOL_ERROR_BAD_UTF8,
  FH_PROTOCOL_ERROR_BAD_JSON,
  FH_PROTOCOL_ERROR_BAD_MESSAGE,
  FH_PROTOCOL_ERROR_VERSION,
  FH_PROTOCOL_ERROR_UNEXPECTED,
  FH_PROTOCOL_ERROR_AUTH,
} FhProtocolError;

/**
 * FhJobError: errors in a job description.
 * @FH_JOB_ERROR_SYNTAX: the file is not well-formed JSON.
 * @FH_JOB_ERROR_INVALID: the JSON does not describe a valid job; the message
 *   lists every problem found, one per line, each starting with its JSON path.
 * @FH_JOB_ERROR_IO: the job file could not be read.
 */
typedef enum {
  FH_JOB_ERROR_SYNTAX,
  FH_JOB_ERROR_INVALID,
  FH_JOB_ERROR_IO,
} FhJobError;

/**
 * FhExecutorError: errors of a running executor process.
 * @FH_EXECUTOR_ERROR_SPAWN: the executor could not be started.
 * @FH_EXECUTOR_ERROR_EXITED: the executor exited (or was killed) before it
 *   answered.
 * @FH_EXECUTOR_ERROR_TIMEOUT: the executor did not answer in time.
 * @FH_EXECUTOR_ERROR_CANCELLED: the job was cancelled.
 * @FH_EXECUTOR_ERROR_IO: reading from or writing to the executor failed.
 */
typedef enum {
  FH_EXECUTOR_ERROR_SPAWN,
  FH_EXECUTOR_ERROR_EXITED,
  FH_EXECUTOR_ERROR_TIMEOUT,
  FH_EXECUTOR_ERROR_CANCELLED,
  FH_EXECUTOR_ERROR_IO,
} FhExecutorError;

/**
 * FhLoaderError: errors loading a job-type plugin.
 * @FH_LOADER_ERROR_OPEN: the module could not be opened.
 * @FH_LOADER_ERROR_NO_SYMBOL: the module lacks the descriptor entry point.
 * @FH_LOADER_ERROR_ABI_MISMATCH: the plugin was built for an incompatible ABI.
 * @FH_LOADER_ERROR_LICENSE: the plugin's license is not on the allow-list.
 * @FH_LOADER_ERROR_NOT_FOUND: no plugin was found where one was looked for.
 * @FH_LOADER_ERROR_INVALID: the descriptor is malformed (missing entry point).
 */
typedef enum {
  FH_LOADER_ERROR_OPEN,
  FH_LOADER_ERROR_NO_SYMBOL,
  FH_LOADER_ERROR_ABI_MISMATCH,
  FH_LOADER_ERROR_LICENSE,
  FH_LOADER_ERROR_NOT_FOUND,
  FH_LOADER_ERROR_INVALID,
} FhLoaderError;

/**
 * FhHostError: errors of the reference host (results and log files).
 * @FH_HOST_ERROR_IO: a results or log file could not be read or written.
 * @FH_HOST_ERROR_USAGE: bad command-line usage.
 * @FH_HOST_ERROR_PLUGIN: the plugin refused or failed the job.
 */
typedef enum {
  FH_HOST_ERROR_IO,
  FH_HOST_ERROR_USAGE,
  FH_HOST_ERROR_PLUGIN,
} FhHostError;

/**
 * FhSlurmError: errors talking to Slurm.
 * @FH_SLURM_ERROR_NOT_FOUND: a Slurm command (sbatch, squeue, scancel) is
 *   not installed.
 * @FH_SLURM_ERROR_FAILED: a Slurm command failed; the message has its
 *   output.
 */
typedef enum {
  FH_SLURM_ERROR_NOT_FOUND,
  FH_SLURM_ERROR_FAILED,
} FhSlurmError;

#define FH_PROTOCOL_ERROR (fh_protocol_error_quark ())
#define FH_JOB_ERROR (fh_job_error_quark ())
#define FH_EXECUTOR_ERROR (fh_executor_error_quark ())
#define FH_LOADER_ERROR (fh_loader_error_quark ())
#define FH_HOST_ERROR (fh_host_error_quark ())
#define FH_SLURM_ERROR (fh_slurm_error_quark ())

GQuark fh_protocol_error_quark (void);
GQuark fh_job_error_quark (void);
GQuark fh_executor_error_quark (void);
GQuark fh_loader_error_quark (void);
GQuark fh_host_error_quark (void);
GQuark fh_slurm_error_quark (void);

/* Sets @error and returns FALSE, so a failure is one line:
 *   return fh_throw (error, FH_JOB_ERROR, FH_JOB_ERROR_INVALID, "...", ...); */
gboolean fh_throw (GError **error, GQuark domain, gint code,
                   const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Same, returning NULL, for functions that return a pointer. */
gpointer fh_throw_null (GError **error, GQuark domain, gint code,
                        const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Moves *@local into @error; returns FALSE (for "return fh_propagate
 * (error, &local);" when a callee failed). */
gboolean fh_propagate (GError **error, GError **local);

/* Same, from errno: "<prefix>: <strerror>", code FH_*_ERROR_IO style. */
gboolean fh_throw_errno (GError **error, GQuark domain, gint code,
                         int saved_errno, const char *format, ...)
    G_GNUC_PRINTF (5, 6);
gpointer fh_throw_errno_null (GError **error, GQuark domain, gint code,
                              int saved_errno, const char *format, ...)
    G_GNUC_PRINTF (5, 6);

G_END_DECLS
