/* fh-agenda-pager.h — a job's agenda items by index, as the job-type
 * plugin lists them (job_agenda), fetched a page at a time: workers and
 * `farmhand submit` walk a million-item agenda mostly in order, and
 * neither holds all of it nor asks the plugin once per item.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fh-job-handle.h"

G_BEGIN_DECLS

typedef struct _FhAgendaPager FhAgendaPager;

/* Pages of @page_size items of @handle (borrowed; must outlive the
 * pager), with each item's expanded command when @commands.
 * (transfer full) */
FhAgendaPager *fh_agenda_pager_new (FhJobHandle *handle, guint page_size, gboolean commands);
void fh_agenda_pager_free (FhAgendaPager *self);

/* Item @index (from 0) as fh_job_handle_agenda() gives it: valid
 * until the next call.  (transfer none) */
JsonObject *fh_agenda_pager_get (FhAgendaPager *self, guint index, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhAgendaPager, fh_agenda_pager_free)

G_END_DECLS
