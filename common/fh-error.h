/* fh-error.h — the error domains the plugin and the executors share (the
 * protocol between them, an executor process), and one-line throw
 * helpers.  Every other domain lives with its module: FH_JOB_ERROR
 * (plugin/job/fh-job-error.h), FH_LOG_ERROR (plugin/log/fh-log-error.h),
 * FH_PLUGIN_ERROR (plugin/run/fh-plugin-error.h), FH_LOADER_ERROR
 * (host/jobtype/fh-plugin-module.h), FH_HOST_ERROR (host/fh-host-error.h),
 * FH_JOBDIR_ERROR (host/jobdir/fh-job-dir.h), FH_SLURM_ERROR
 * (host/jobdir/fh-slurm.h).
 *
 * The enums are append-only: a code, once released, keeps its number and
 * meaning so hosts can match on it.
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
 * FhExecutorError: errors of a running executor process.
 * @FH_EXECUTOR_ERROR_SPAWN: the executor could not be started.
 * @FH_EXECUTOR_ERROR_EXITED: the executor exited (or was killed) before it
 *   answered.
 * @FH_EXECUTOR_ERROR_TIMEOUT: the executor did not answer in time.
 * @FH_EXECUTOR_ERROR_CANCELLED: the job was cancelled.
 * @FH_EXECUTOR_ERROR_IO: reading from or writing to the executor failed.
 * @FH_EXECUTOR_ERROR_STALLED: the command went silent for stall_s.
 * @FH_EXECUTOR_ERROR_GONE: the executor had closed its input before a
 *   command was sent: not a byte of the command reached it, so the
 *   command did not run.
 */
typedef enum {
  FH_EXECUTOR_ERROR_SPAWN,
  FH_EXECUTOR_ERROR_EXITED,
  FH_EXECUTOR_ERROR_TIMEOUT,
  FH_EXECUTOR_ERROR_CANCELLED,
  FH_EXECUTOR_ERROR_IO,
  FH_EXECUTOR_ERROR_STALLED,
  FH_EXECUTOR_ERROR_GONE,
} FhExecutorError;

#define FH_PROTOCOL_ERROR (fh_protocol_error_quark ())
#define FH_EXECUTOR_ERROR (fh_executor_error_quark ())

GQuark fh_protocol_error_quark (void);
GQuark fh_executor_error_quark (void);

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
