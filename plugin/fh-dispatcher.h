/* fh-dispatcher.h — one executor process and the conversation with it.
 *
 * The dispatcher spawns an executor with a private backchannel (one end of
 * a socketpair, inherited as fd 3, announced in FARMHAND_BACKCHANNEL_FD),
 * waits for its hello, writes command frames to its stdin and reads one
 * result frame per command from the backchannel.  The executor's stdout
 * and stderr are the job log: split into lines as they stream and passed
 * to the log function.
 *
 * Everything is event-driven on the thread-default GMainContext of the
 * thread that created the dispatcher; the blocking calls below iterate
 * that context until their answer arrives (like g_subprocess_wait()), so
 * a result is seen the moment its frame is readable.
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

typedef struct _FhDispatcher FhDispatcher;

/* A job log line: valid UTF-8, @len bytes, not NUL-terminated.  @echo:
 * the line is the echo of a command ("farmhand$ ...", "farmhand> ..."),
 * not output of it. */
typedef void (*FhDispatcherLogFunc) (FhLogStream stream, const char *line,
                                     gsize len, gboolean echo, gpointer user_data);
/* A progress, output or log message for the command in flight. */
typedef void (*FhDispatcherMessageFunc) (const FhMessage *msg, gpointer user_data);

/* @cancellable (nullable) cancels every wait of this dispatcher.
 * (transfer full) */
FhDispatcher *fh_dispatcher_new (GCancellable *cancellable);
/* Kills the executor's process group if it still runs. */
void fh_dispatcher_free (FhDispatcher *self);

void fh_dispatcher_set_log_func (FhDispatcher *self, FhDispatcherLogFunc func,
                                 gpointer user_data);
void fh_dispatcher_set_message_func (FhDispatcher *self,
                                     FhDispatcherMessageFunc func,
                                     gpointer user_data);

/* Spawns @argv in its own process group (cwd @cwd, nullable; @env,
 * nullable, is a list of "NAME=VALUE" added to the inherited environment)
 * and waits for the executor's hello, at most @hello_timeout_ms (0: no
 * limit).  Errors: FH_EXECUTOR_ERROR_*, FH_PROTOCOL_ERROR_*. */
gboolean fh_dispatcher_start (FhDispatcher *self, const char *const *argv,
                              const char *cwd, const char *const *env,
                              guint hello_timeout_ms, GError **error);

/* Sends one command and waits for its result.  A command that fails is a
 * result with status FH_STATUS_FAILED, not an error; an error means there
 * was no result: the executor died (FH_EXECUTOR_ERROR_EXITED, with its exit
 * status and last log lines), broke the protocol, or the wait was
 * cancelled.  (transfer full) */
FhCommandResult *fh_dispatcher_run (FhDispatcher *self, FhPhase phase,
                                    const char *command, JsonObject *item,
                                    GError **error);

/* Sends end of input and waits for the executor to exit, at most
 * @timeout_ms (0: no limit) before killing its group.  Sets @exit_code to
 * the exit status, or to 128 + signal when it was killed. */
gboolean fh_dispatcher_close (FhDispatcher *self, guint timeout_ms,
                              gint *exit_code, GError **error);

/* TRUE from a successful start until the executor exits or is killed. */
gboolean fh_dispatcher_is_alive (FhDispatcher *self);
/* The executor's hello.  (transfer none) (nullable) */
const FhMessage *fh_dispatcher_get_hello (FhDispatcher *self);
/* Sends @signum to the executor's process group. */
void fh_dispatcher_signal (FhDispatcher *self, int signum);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhDispatcher, fh_dispatcher_free)

G_END_DECLS
