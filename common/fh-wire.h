/* fh-wire.h — length-prefixed framing shared by dispatcher and executors.
 *
 * Every frame, both directions: a 4-byte big-endian unsigned payload length,
 * then that many bytes of UTF-8 JSON, or of a compact frame (command and
 * result, when the executor asks: see below).  Frames of length 0 and frames
 * longer than the enforced maximum are protocol errors.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FH_WIRE_HEADER_SIZE 4
/* Default and hard upper bound for a frame's payload.  Large enough for a
 * long Python script or traceback, small enough that a corrupt length can
 * never make us allocate gigabytes. */
#define FH_WIRE_MAX_FRAME (16u * 1024u * 1024u)

/* The other names and bytes of the wires between the plugin and its
 * executors (docs/protocol.md); the Python executor spells the same ones
 * (tests/test-schemas.py checks it).
 *
 * The backchannel's environment: an inherited socket's fd, or (socket
 * fallback) a Unix socket's path and the token the hello must carry. */
#define FH_ENV_BACKCHANNEL_FD "FARMHAND_BACKCHANNEL_FD"
#define FH_ENV_BACKCHANNEL_PATH "FARMHAND_BACKCHANNEL_PATH"
#define FH_ENV_BACKCHANNEL_TOKEN "FARMHAND_BACKCHANNEL_TOKEN"
/* The stdio channel: the far side prints this line, a space and the
 * channel frame's token, then speaks frames on stdout. */
#define FH_CHANNEL_SENTINEL "FARMHAND-CHANNEL-1"

/* Compact frames (docs/protocol.md "Compact frames"): a payload whose
 * first byte is one of these tags is binary, big-endian; a JSON payload
 * starts with '{'.  The version an executor announces in its hello's
 * "compact" field. */
#define FH_WIRE_COMPACT_VERSION 1
#define FH_WIRE_COMPACT_COMMAND 0x01
#define FH_WIRE_COMPACT_RESULT 0x02
/* A compact result's flags byte. */
#define FH_WIRE_RESULT_FAILED 0x01
#define FH_WIRE_RESULT_HAS_CODE 0x02
#define FH_WIRE_RESULT_FINAL 0x04
/* A compact command's item flags byte. */
#define FH_WIRE_ITEM_PRESENT 0x01
#define FH_WIRE_ITEM_HAS_INDEX 0x02
#define FH_WIRE_ITEM_HAS_NAME 0x04
#define FH_WIRE_ITEM_HAS_FRAMES 0x08

typedef struct _FhWireDecoder FhWireDecoder;

/* (transfer full) */
FhWireDecoder *fh_wire_decoder_new (gsize max_frame);
void fh_wire_decoder_free (FhWireDecoder *self);

/* Appends @len bytes of stream data.  Never fails; bad frames are reported
 * by fh_wire_decoder_next(). */
void fh_wire_decoder_push (FhWireDecoder *self, const void *data, gsize len);

/* Returns TRUE with the next whole frame in @payload/@len (borrowed: valid
 * until the next call on @self).  Returns FALSE with @error unset when more
 * bytes are needed, FALSE with @error set on a bad frame; after an error the
 * decoder is poisoned and keeps failing with the same error. */
gboolean fh_wire_decoder_next (FhWireDecoder *self, const char **payload,
                               gsize *len, GError **error);

/* Call at end of stream: fails with FH_PROTOCOL_ERROR_TRUNCATED when a
 * partial frame is buffered. */
gboolean fh_wire_decoder_finish (FhWireDecoder *self, GError **error);

/* Number of whole frames decoded so far. */
guint64 fh_wire_decoder_get_n_frames (FhWireDecoder *self);

/* Removes and returns the bytes buffered but not yet returned as a frame,
 * to hand a stream over to another decoder.  (transfer full) */
GBytes *fh_wire_decoder_take_pending (FhWireDecoder *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhWireDecoder, fh_wire_decoder_free)

/* Appends header + @payload to @out.  Fails (FH_PROTOCOL_ERROR_FRAME_TOO_LARGE
 * or _FRAME_EMPTY) without touching @out when @len is not sendable. */
gboolean fh_wire_append_frame (GByteArray *out, const char *payload, gsize len,
                               GError **error);

/* Writes all of @len bytes to the pipe or file @fd, retrying on EINTR,
 * short writes and EAGAIN (by waiting for POLLOUT).  Blocking; for
 * executors, result files and tests (the dispatcher writes
 * asynchronously). */
gboolean fh_wire_write_all (int fd, const void *data, gsize len, GError **error);

/* The same for a socket, with send(MSG_NOSIGNAL): a vanished peer is an
 * error, never a SIGPIPE. */
gboolean fh_wire_send_all (int fd, const void *data, gsize len, GError **error);

/* Frames @payload and sends it on the socket @fd with fh_wire_send_all(). */
gboolean fh_wire_send_frame (int fd, const char *payload, gsize len,
                             GError **error);

G_END_DECLS
