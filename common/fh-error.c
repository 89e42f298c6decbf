/* fh-error.c — farmhand's error domains. */
#include "config.h"

#include "fh-error.h"

G_DEFINE_QUARK (fh-protocol-error-quark, fh_protocol_error)
G_DEFINE_QUARK (fh-executor-error-quark, fh_executor_error)

static void set_error_valist (GError **error, GQuark domain, gint code,
                              const char *format, va_list args) G_GNUC_PRINTF (4, 0);

static void
set_error_valist (GError **error, GQuark domain, gint code, const char *format,
                  va_list args)
{
  /* Skip the formatting when the caller ignores errors. */
  if (error != NULL)
    g_propagate_error (error, g_error_new_valist (domain, code, format, args));
}

gboolean
fh_throw (GError **error, GQuark domain, gint code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  set_error_valist (error, domain, code, format, args);
  va_end (args);
  return FALSE;
}

gpointer
fh_throw_null (GError **error, GQuark domain, gint code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  set_error_valist (error, domain, code, format, args);
  va_end (args);
  return NULL;
}

gboolean
fh_propagate (GError **error, GError **local)
{
  g_propagate_error (error, g_steal_pointer (local));
  return FALSE;
}

static void set_errno_valist (GError **error, GQuark domain, gint code, int saved_errno,
                              const char *format, va_list args) G_GNUC_PRINTF (5, 0);

static void
set_errno_valist (GError **error, GQuark domain, gint code, int saved_errno, const char *format,
                  va_list args)
{
  g_autofree char *prefix = NULL;

  if (error == NULL)
    return;
  prefix = g_strdup_vprintf (format, args);
  g_set_error (error, domain, code, "%s: %s", prefix, g_strerror (saved_errno));
}

gboolean
fh_throw_errno (GError **error, GQuark domain, gint code, int saved_errno,
                const char *format, ...)
{
  va_list args;

  va_start (args, format);
  set_errno_valist (error, domain, code, saved_errno, format, args);
  va_end (args);
  return FALSE;
}

gpointer
fh_throw_errno_null (GError **error, GQuark domain, gint code, int saved_errno,
                     const char *format, ...)
{
  va_list args;

  va_start (args, format);
  set_errno_valist (error, domain, code, saved_errno, format, args);
  va_end (args);
  return NULL;
}
