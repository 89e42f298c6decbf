/* fh-source.h — ending a GSource we hold a reference to.
 *
 * Every watch in farmhand (pipes, sockets, timers) is a GSource attached
 * to a context and also referenced by its owner; ending it means both
 * detaching it and dropping that reference, in that order.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Destroys *@source (if any), drops our reference and sets it to NULL. */
static inline void
fh_source_clear (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

G_END_DECLS
