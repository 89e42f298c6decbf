/* fh-channel-token.h — the random 128-bit tokens that authenticate an executor:
 * the socket fallback's hello and the stdio channel's handshake.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 32 lowercase hex digits from getrandom().  (transfer full) */
char *fh_channel_token_new (GError **error);

/* Compares in constant time, so the comparison leaks nothing about the
 * token.  @got may be NULL (not equal). */
gboolean fh_channel_token_equal (const char *want, const char *got, gsize got_len);

/* Overwrites and frees @token. */
void fh_channel_token_free (char *token);

G_END_DECLS
