/* fh-channel-token.c — authentication tokens (see the header). */
#include "config.h"

#include "fh-channel-token.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "fh-error.h"

#define TOKEN_BYTES 16

char *
fh_channel_token_new (GError **error)
{
  guint8 bytes[TOKEN_BYTES];
  GString *hex;

  if (getrandom (bytes, sizeof bytes, 0) != (ssize_t) sizeof bytes)
    return fh_throw_errno_null (error, FH_EXECUTOR_ERROR, FH_EXECUTOR_ERROR_SPAWN, errno, "getrandom");
  hex = g_string_sized_new (2 * TOKEN_BYTES);
  for (guint i = 0; i < sizeof bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  return g_string_free (hex, FALSE);
}

gboolean
fh_channel_token_equal (const char *want, const char *got, gsize got_len)
{
  gsize n = strlen (want);
  guint8 diff = 0;

  if (got == NULL || got_len != n)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    diff |= (guint8) (want[i] ^ got[i]);
  return diff == 0;
}

void
fh_channel_token_free (char *token)
{
  if (token == NULL)
    return;
  memset (token, 0, strlen (token));
  g_free (token);
}
