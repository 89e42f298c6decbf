/* fh-agenda-pager.c — agenda items a page at a time (see the header). */
#include "config.h"

#include "fh-agenda-pager.h"

#include "fh-error.h"
#include "fh-host-error.h"

struct _FhAgendaPager
{
  FhJobHandle *handle;
  guint page_size;
  gboolean commands;
  JsonArray *page;      /* nullable */
  guint first;          /* index of its first item */
};

FhAgendaPager *
fh_agenda_pager_new (FhJobHandle *handle, guint page_size, gboolean commands)
{
  FhAgendaPager *self = g_new0 (FhAgendaPager, 1);

  self->handle = handle;
  self->page_size = MAX (page_size, 1);
  self->commands = commands;
  return self;
}

void
fh_agenda_pager_free (FhAgendaPager *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->page, json_array_unref);
  g_free (self);
}

/* The page that starts at @index. */
static gboolean
turn_to (FhAgendaPager *self, guint index, GError **error)
{
  guint n = fh_job_handle_get_n_items (self->handle);
  guint last = MIN (n, index + self->page_size);
  g_autofree char *range = g_strdup_printf ("%u-%u", index + 1, last);

  g_clear_pointer (&self->page, json_array_unref);
  if (index >= n)
    return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                     "there is no item %u: the job has %u", index + 1, n);
  if ((self->page = fh_job_handle_agenda (self->handle, range, self->commands, error)) == NULL)
    return FALSE;
  if (json_array_get_length (self->page) != last - index)
    {
      guint got = json_array_get_length (self->page);

      g_clear_pointer (&self->page, json_array_unref);
      return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_PLUGIN,
                       "the plugin listed %u items for items %s", got, range);
    }
  self->first = index;
  return TRUE;
}

JsonObject *
fh_agenda_pager_get (FhAgendaPager *self, guint index, GError **error)
{
  if ((self->page == NULL || index < self->first ||
       index >= self->first + json_array_get_length (self->page)) &&
      !turn_to (self, index, error))
    return NULL;
  return json_array_get_object_element (self->page, index - self->first);
}
