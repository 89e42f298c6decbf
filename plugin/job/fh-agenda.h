/* fh-agenda.h — a job's work items.
 *
 * Either a frame list cut into chunks (items are computed on demand, never
 * materialised, so a 100,000-frame job costs one array of frames), or an
 * explicit list of named items.  Item i of a frame agenda holds frames
 * [i*chunk, (i+1)*chunk) of the list, and is named by its frames in compact
 * frame-list syntax ("7", "1-4", "1,4", "1-10x3").
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "fh-frame-list.h"
#include "fh-template.h"

G_BEGIN_DECLS

typedef struct _FhAgenda FhAgenda;

/* Takes ownership of @frames and @command.  (transfer full) */
FhAgenda *fh_agenda_new_frames (FhFrameList *frames, guint chunk,
                                FhTemplate *command);
/* An empty agenda of explicit items; add them with fh_agenda_add_item(). */
FhAgenda *fh_agenda_new_items (void);
/* Takes ownership of @command.  Returns FALSE when @name is already used. */
gboolean fh_agenda_add_item (FhAgenda *self, const char *name, FhTemplate *command);
void fh_agenda_free (FhAgenda *self);

gboolean fh_agenda_has_frames (const FhAgenda *self);
guint fh_agenda_get_chunk (const FhAgenda *self);
guint fh_agenda_get_n_items (const FhAgenda *self);

/* (transfer full) */
char *fh_agenda_dup_item_name (const FhAgenda *self, guint index);
/* Frames of item @index (empty for explicit items).  (transfer none) */
const gint64 *fh_agenda_get_item_frames (const FhAgenda *self, guint index,
                                         guint *n_frames);
/* The command template of item @index.  (transfer none) */
const FhTemplate *fh_agenda_get_item_template (const FhAgenda *self, guint index);

/* Finds an item by name.  Builds an index on first use. */
gboolean fh_agenda_lookup (FhAgenda *self, const char *name, guint *index);

/* {"index":i,"name":...,"frames":[...]}  (transfer full) */
JsonObject *fh_agenda_item_to_json (const FhAgenda *self, guint index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhAgenda, fh_agenda_free)

G_END_DECLS
