/* fh-connection-guard.h — a SoupServer's connections, kept within bounds.
 *
 * `farmhand serve` runs for months, so its descriptors must stay bounded
 * however clients behave.  libsoup 3.2 (Debian 12) does not keep them so:
 *
 *  - its listener stops accepting for good after one failed accept()
 *    (EMFILE at the descriptor limit: the server never answers again);
 *  - it leaks the GSocket of every connection it accepts;
 *  - a kept-alive connection that its client closes first is never
 *    released: the library reads EOF while it waits for the next request,
 *    and nothing disconnects it (a descriptor per connection, for ever).
 *
 * The guard accepts connections itself and hands each to the server
 * (soup_server_accept_iostream()).  It follows each one's state through the
 * messages the server announces — reading a request, answering, streaming
 * an answer (an event stream), idle between requests — and ends a
 * connection itself when its client hangs up between requests or during a
 * stream, when a request is not whole within the request timeout (408),
 * when it sits idle past the idle timeout, or to make room for a new one at
 * the cap (idle ones first, then stalled requests, oldest first); past the
 * cap with nothing to reclaim a new connection is answered 503.  Ending
 * goes through soup_server_message_steal_connection(), the public way to
 * make the library let go of a connection and free it.  At the descriptor
 * limit a reserved descriptor lets it still answer 503.  Each limit is
 * logged when it is reached, not per request.
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _FhConnectionGuard FhConnectionGuard;

typedef struct
{
  guint max_connections;   /* 0: from the descriptor limit (at most 1024) */
  guint request_timeout_ms; /* a request's head and body arrive within this; 0: 30 s */
  guint idle_timeout_ms;   /* between requests a connection waits this long; 0: 60 s */
} FhConnectionLimits;

/* Called when the client of a streamed answer (fh_connection_guard_stream())
 * hangs up, just before its connection is ended: forget @msg. */
typedef void (*FhConnectionHangupFunc) (SoupServerMessage *msg, gpointer user_data);

/* Guards @server's connections (it must not listen by itself).
 * (transfer full) */
FhConnectionGuard *fh_connection_guard_new (SoupServer *server, const FhConnectionLimits *limits,
                                            FhConnectionHangupFunc on_hangup, gpointer user_data);
/* Listens on @address and accepts from the thread-default main context.
 * Errors: G_IO_ERROR.  Returns the bound address (port 0: the one the
 * kernel chose).  (transfer full) */
GSocketAddress *fh_connection_guard_listen (FhConnectionGuard *self, GSocketAddress *address, GError **error);
/* Marks @msg's answer as a stream that ends only with its client: no
 * timeout applies, and a hang-up ends it at once. */
void fh_connection_guard_stream (FhConnectionGuard *self, SoupServerMessage *msg);
/* Ends @msg's connection now (a client too far behind its stream). */
void fh_connection_guard_close (FhConnectionGuard *self, SoupServerMessage *msg);
/* Closes the listener and every connection still open. */
void fh_connection_guard_free (FhConnectionGuard *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhConnectionGuard, fh_connection_guard_free)

G_END_DECLS
