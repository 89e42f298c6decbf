/* fh-host-error.c — the reference host's error domain (see the header). */
#include "config.h"

#include "fh-host-error.h"

typedef struct
{
  JsonObject *detail;
} FhHostErrorPrivate;

static void
fh_host_error_private_init (FhHostErrorPrivate *priv)
{
  priv->detail = NULL;
}

static void
fh_host_error_private_copy (const FhHostErrorPrivate *src, FhHostErrorPrivate *dest)
{
  dest->detail = src->detail ? json_object_ref (src->detail) : NULL;
}

static void
fh_host_error_private_clear (FhHostErrorPrivate *priv)
{
  g_clear_pointer (&priv->detail, json_object_unref);
}

G_DEFINE_EXTENDED_ERROR (FhHostError, fh_host_error)

void
fh_host_error_set_detail (GError *error, JsonObject *detail)
{
  FhHostErrorPrivate *priv = fh_host_error_get_private (error);

  g_return_if_fail (priv != NULL);
  g_clear_pointer (&priv->detail, json_object_unref);
  priv->detail = detail ? json_object_ref (detail) : NULL;
}

JsonObject *
fh_host_error_get_detail (const GError *error)
{
  FhHostErrorPrivate *priv = error && error->domain == FH_HOST_ERROR ? fh_host_error_get_private (error) : NULL;

  return priv ? priv->detail : NULL;
}
