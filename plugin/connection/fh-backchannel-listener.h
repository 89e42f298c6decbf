/* fh-backchannel-listener.h — the fallback backchannel, for applications
 * that close the file descriptors they inherit: a Unix socket in a fresh
 * 0700 directory, and a random 128-bit token the executor must present in
 * its hello.
 *
 * Only our own user can reach the directory; a connection from another
 * uid (SO_PEERCRED), one that does not send a hello with the right token
 * in time, and every connection after the first good one are closed and
 * reported — the job is not disturbed.
 *
 * Raw descriptors, not GSocket: GSocket's class sets SIGPIPE to SIG_IGN for
 * the whole process, and the plugin changes nothing of its host's.
 */
#pragma once

#include <gio/gio.h>

#include "fh-message.h"

G_BEGIN_DECLS

typedef struct _FhBackchannelListener FhBackchannelListener;

/* A connection presented the token.  @fd (transfer full, non-blocking) is
 * the backchannel; @hello (transfer full) its first message; @rest
 * (transfer full) the bytes that came after the hello frame. */
typedef void (*FhListenerAcceptFunc) (int fd, FhMessage *hello, GBytes *rest, gpointer user_data);
/* A connection was turned away, and why. */
typedef void (*FhListenerRejectFunc) (const char *why, gpointer user_data);

/* Creates the directory and the listening socket on @context.
 * (transfer full) */
FhBackchannelListener *fh_backchannel_listener_new (GMainContext *context,
                                                    FhListenerAcceptFunc on_accept,
                                                    FhListenerRejectFunc on_reject,
                                                    gpointer user_data,
                                                    GError **error);
/* Closes everything and removes the socket and its directory. */
void fh_backchannel_listener_free (FhBackchannelListener *self);

/* For the executor's environment: FARMHAND_BACKCHANNEL_PATH and _TOKEN. */
const char *fh_backchannel_listener_get_path (FhBackchannelListener *self);
const char *fh_backchannel_listener_get_token (FhBackchannelListener *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhBackchannelListener, fh_backchannel_listener_free)

G_END_DECLS
