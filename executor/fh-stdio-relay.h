/* fh-stdio-relay.h — the shell executor's end of the stdio channel.
 *
 * Behind a transport (sudo, ssh, a container) the dispatcher reaches us
 * through our stdin and stdout alone (docs/protocol.md, "The stdio
 * channel").  The relay takes both for the channel before the shell
 * starts: fd 0 becomes /dev/null, fds 1 and 2 pipes whose data goes back
 * as stream frames.  It reads the dispatcher's channel frame (token, env,
 * cwd), sets them up and answers with the sentinel line.  Then it passes
 * command frames on to the shell (a pipe bash reads in direct mode, or
 * the callback in translator mode), carries out signal frames on our own
 * process group, and sends the shell's frames up — each after everything
 * the shell printed before it.  The dispatcher's disappearance (end of
 * input or a missed heartbeat while a command runs) ends the whole tree.
 */
#pragma once

#include <glib.h>

#include "fh-message.h"

G_BEGIN_DECLS

typedef struct _FhStdioRelay FhStdioRelay;

/* Translator mode: a command for the shell, or NULL at the end of input. */
typedef void (*FhStdioRelayCommandFunc) (const FhMessage *command, gpointer user_data);

/* Opens the channel on fds 0 and 1 (see above).  Errors before the
 * channel is open go to our stderr, the transport's.  (transfer full) */
FhStdioRelay *fh_stdio_relay_new (GError **error);
void fh_stdio_relay_free (FhStdioRelay *self);

/* Where the shell reads command frames (direct mode), and the socket it
 * writes its frames to. */
int fh_stdio_relay_get_frames_fd (FhStdioRelay *self);
int fh_stdio_relay_get_results_fd (FhStdioRelay *self);

/* Sends @msg up the channel (our hello). */
void fh_stdio_relay_send (FhStdioRelay *self, const FhMessage *msg);

/* Starts relaying on the thread-default main context.  @func (nullable)
 * takes the commands in translator mode; without it they go to the
 * frames pipe. */
void fh_stdio_relay_start (FhStdioRelay *self, FhStdioRelayCommandFunc func, gpointer user_data);

G_END_DECLS
