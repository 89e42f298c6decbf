/* fh-executor-connection.h — one executor process and the conversation with it.
 *
 * The connection spawns an executor in its own process group with a
 * private backchannel — one end of a socketpair, inherited as fd 3 and
 * announced in FARMHAND_BACKCHANNEL_FD, or, in socket mode, a Unix socket
 * in a 0700 directory plus a token (FARMHAND_BACKCHANNEL_PATH/_TOKEN) —
 * waits for its hello, writes command frames to its stdin and reads one
 * result frame per command from the backchannel.  Its stdout and stderr
 * are the job log.  Behind a transport (fh_executor_connection_set_stdio())
 * both directions travel on its stdin and stdout instead, and its stderr is
 * the transport's.
 *
 * Everything is event-driven on the thread-default GMainContext of the
 * thread that created the connection; the blocking calls below iterate
 * that context until their answer arrives (like g_subprocess_wait()).
 *
 * Stopping a command (timeout, stall, cancel) escalates on the executor's
 * process group: SIGINT (Python raises KeyboardInterrupt, the shell's
 * foreground command dies, the session may live), then after the grace
 * period SIGTERM (the executor ends its tree and exits), then SIGKILL.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fh-command-result.h"
#include "fh-message.h"
#include "fh-plugin.h"

G_BEGIN_DECLS

/* Fd number of the backchannel in the executor. */
#define FH_BACKCHANNEL_CHILD_FD 3

typedef struct _FhExecutorConnection FhExecutorConnection;

/* A job log line: valid UTF-8, @len bytes, not NUL-terminated.  @echo:
 * the line is the echo of a command ("farmhand$ ...", "farmhand> ..."),
 * not output of it. */
typedef void (*FhExecutorConnectionLogFunc) (FhLogStream stream, const char *line,
                                     gsize len, gboolean echo, gpointer user_data);
/* The log lines delivered next lie in @block (see FhExecutorLogBlockFunc). */
typedef void (*FhExecutorConnectionBlockFunc) (const char *block, gsize len, gsize max_line,
                                       gpointer user_data);
/* A progress, output or log message for the command in flight. */
typedef void (*FhExecutorConnectionMessageFunc) (const FhMessage *msg, gpointer user_data);

typedef struct
{
  double timeout_s;   /* the command may take this long; 0: no limit */
  double stall_s;     /* no output and no message this long; 0: no limit */
  gboolean cancellable;  /* a graceful cancel stops it (not in teardown) */
  GCancellable *interrupt;  /* nullable: stops this command alone (the
                               graceful ladder), the job goes on — a host
                               whose client for the item went away */
} FhRunLimits;

/* @cancel (nullable) asks for a graceful stop: the command in flight is
 * interrupted (see above), and waits that are cancellable return.  @kill
 * (nullable) asks for an immediate stop: no grace, SIGKILL.
 * (transfer full) */
FhExecutorConnection *fh_executor_connection_new (GCancellable *cancel, GCancellable *kill);
/* Kills the executor's process group if it still runs. */
void fh_executor_connection_free (FhExecutorConnection *self);

void fh_executor_connection_set_log_func (FhExecutorConnection *self, FhExecutorConnectionLogFunc func,
                                 gpointer user_data);
/* With the log func's user data; before start. */
void fh_executor_connection_set_block_func (FhExecutorConnection *self, FhExecutorConnectionBlockFunc func);
void fh_executor_connection_set_message_func (FhExecutorConnection *self,
                                     FhExecutorConnectionMessageFunc func,
                                     gpointer user_data);
/* Seconds between SIGINT, SIGTERM and SIGKILL (default 10). */
void fh_executor_connection_set_grace (FhExecutorConnection *self, double grace_s);
/* Socket mode: the backchannel is a Unix socket + token (for executors in
 * applications that close inherited fds).  Before start. */
void fh_executor_connection_set_socket_mode (FhExecutorConnection *self, gboolean socket_mode);
/* The stdio channel (docs/protocol.md): frames both ways over the
 * executor's stdin and stdout, for executors behind a transport that
 * carries only stdio (@transport, nullable: its argv prefix, joined, for
 * the log and errors).  The far side signals its own process group
 * (interrupt, terminate and kill travel as frames), env and cwd travel in
 * band, and the executor's stderr is the transport's.  @bootstrap
 * (nullable) is the executor's source, sent first for a loader in its
 * argv to read. */
void fh_executor_connection_set_stdio (FhExecutorConnection *self, const char *transport,
                                       GBytes *bootstrap);

/* Spawns @argv in its own process group (cwd @cwd, nullable; @env,
 * nullable, is a list of "NAME=VALUE" added to the inherited environment)
 * and waits for the executor's hello, at most @hello_s (0: no limit).
 * Errors: FH_EXECUTOR_ERROR_*, FH_PROTOCOL_ERROR_*. */
gboolean fh_executor_connection_start (FhExecutorConnection *self, const char *const *argv,
                              const char *cwd, const char *const *env,
                              double hello_s, GError **error);

/* Sends one command and waits for its result.  A command that fails is a
 * result with status FH_STATUS_FAILED, not an error; an error means there
 * was no (trustworthy) result: the executor died (FH_EXECUTOR_ERROR_EXITED,
 * with its exit status and last log lines), broke the protocol, the
 * command ran out of time or stalled (_TIMEOUT) or was cancelled
 * (_CANCELLED); or the executor had closed its stdin before, so not a
 * byte of the command reached it and it did not run (_GONE, with how the
 * executor ended: send it to a new one).  After a timeout or cancel the command has been
 * interrupted; fh_executor_connection_is_alive() says whether the session survived.
 * (transfer full) */
FhCommandResult *fh_executor_connection_run (FhExecutorConnection *self, FhPhase phase,
                                    const char *command, const FhItemFields *item,
                                    const FhRunLimits *limits, GError **error);

/* Sends end of input — after an exit message asking for @exit_code when
 * that is 0 or more — and waits for the executor to exit, at most
 * @timeout_s (0: no limit) before ending its group (SIGTERM, grace,
 * SIGKILL).  Returns its exit status, or 128 + the signal that ended
 * it; -1 if it never started.  (An executor that will not go is killed:
 * closing cannot fail.) */
gint fh_executor_connection_close (FhExecutorConnection *self, int exit_code, double timeout_s);
/* Ends the executor's process group now: SIGTERM, grace, SIGKILL. */
void fh_executor_connection_terminate (FhExecutorConnection *self);

/* TRUE from a successful start until the executor exits or is killed. */
gboolean fh_executor_connection_is_alive (FhExecutorConnection *self);
/* Why the executor is not alive (how it exited, the protocol it broke,
 * its last log lines), for a message.  (transfer full) */
char *fh_executor_connection_describe_loss (FhExecutorConnection *self);
/* The executor's hello.  (transfer none) (nullable) */
const FhMessage *fh_executor_connection_get_hello (FhExecutorConnection *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhExecutorConnection, fh_executor_connection_free)

G_END_DECLS
