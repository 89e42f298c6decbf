/* fh-item-states.h — what every ledger of a job directory says, folded
 * per item (docs/jobdir.md, "The state of an item").
 *
 * Ledgers are read incrementally: each refresh reopens every ledger (so a
 * shared filesystem shows what its writer flushed) and reads only what
 * was appended since the last look, whole lines only.  A line's effect
 * does not depend on the order in which ledgers are read: per item, the
 * highest attempt any line names wins, and only lines of that attempt say
 * what the item's state is (fencing).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _FhItemStates FhItemStates;

typedef enum {
  FH_ITEM_PENDING,
  FH_ITEM_COMPLETE,
  FH_ITEM_FAILED,
} FhItemState;

/* For @n_items items of the ledgers in @ledgers_dir.  @locations: also
 * remember where each accepted result is, for fh_item_states_read_result().
 * (transfer full) */
FhItemStates *fh_item_states_new (const char *ledgers_dir, guint n_items, gboolean locations);
void fh_item_states_free (FhItemStates *self);

/* Reads what the ledgers gained since the last refresh (new ledgers
 * included).  A line that is not a ledger line is an error naming the
 * file and line. */
gboolean fh_item_states_refresh (FhItemStates *self, GError **error);
/* Reads what @writer's ledger gained (before a take-over of one of its
 * items: it may have just finished it). */
gboolean fh_item_states_refresh_one (FhItemStates *self, const char *writer, GError **error);

/* Grows whenever a refresh read something (a new ledger, or lines): a
 * reader that follows the job compares it to skip looking at every item. */
gint64 fh_item_states_get_consumed (FhItemStates *self);

FhItemState fh_item_states_get (FhItemStates *self, guint index);
/* The highest attempt any line names for item @index (0: none). */
guint fh_item_states_get_attempt (FhItemStates *self, guint index);
guint fh_item_states_count (FhItemStates *self, FhItemState state);

/* Records a line this process itself wrote (its own ledger), without
 * reading it back. */
void fh_item_states_note_claim (FhItemStates *self, guint index, guint attempt);
void fh_item_states_note_result (FhItemStates *self, guint index, guint attempt, gboolean ok);

/* The accepted result of item @index, when it has one and the states were
 * made with @locations.  (transfer full) (nullable) */
JsonObject *fh_item_states_read_result (FhItemStates *self, guint index, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhItemStates, fh_item_states_free)

G_END_DECLS
