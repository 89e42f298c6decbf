/* fh-stdio-channel.h — the executor's stdout when it is the channel.
 *
 * Through a transport (sudo, ssh, a container) the executor's stdout
 * carries its frames.  Until the executor has started, it carries whatever
 * the transport and the far side's login print: banners, MOTDs, prompts.
 * So the executor announces itself with a line holding a sentinel and the
 * connection's 128-bit token (FH_CHANNEL_SENTINEL " TOKEN", fh-wire.h), and only what
 * follows that line is frames.  Every line before it is handed on as a
 * line of the transport's (bounded; a line that is cut goes on as cut).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhStdioChannel FhStdioChannel;

/* A line printed before the handshake: @len bytes, not NUL-terminated,
 * not necessarily UTF-8. */
typedef void (*FhStdioLineFunc) (const char *line, gsize len, gpointer user_data);
/* Frame bytes after the handshake; @len == 0 is the end of the stream
 * (called once). */
typedef void (*FhStdioDataFunc) (const char *data, gsize len, gpointer user_data);

/* Reads @fd (borrowed) on @context.  @token (copied) is what the
 * sentinel line must carry.  (transfer full) */
FhStdioChannel *fh_stdio_channel_new (GMainContext *context, int fd, const char *token,
                                      FhStdioLineFunc line_func, FhStdioDataFunc data_func,
                                      gpointer user_data);
void fh_stdio_channel_free (FhStdioChannel *self);

/* Reads what the pipe holds now (at most @max_reads reads). */
void fh_stdio_channel_drain (FhStdioChannel *self, guint max_reads);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhStdioChannel, fh_stdio_channel_free)

G_END_DECLS
