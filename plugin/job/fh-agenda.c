/* fh-agenda.c — a job's work items. */
#include "config.h"

#include "fh-agenda.h"

typedef struct
{
  char *name;
  FhTemplate *command;
} Item;

struct _FhAgenda
{
  /* frame agenda */
  FhFrameList *frames;
  guint chunk;
  FhTemplate *command;
  /* explicit items */
  GArray *items;        /* Item */
  /* name → index + 1, built lazily for frames, eagerly for items */
  GHashTable *by_name;
};

static void
item_clear (gpointer p)
{
  Item *item = p;

  g_free (item->name);
  fh_template_free (item->command);
}

FhAgenda *
fh_agenda_new_frames (FhFrameList *frames, guint chunk, FhTemplate *command)
{
  FhAgenda *self;

  g_return_val_if_fail (frames != NULL && command != NULL && chunk >= 1, NULL);
  self = g_new0 (FhAgenda, 1);
  self->frames = frames;
  self->chunk = chunk;
  self->command = command;
  return self;
}

FhAgenda *
fh_agenda_new_items (void)
{
  FhAgenda *self = g_new0 (FhAgenda, 1);

  self->chunk = 1;
  self->items = g_array_new (FALSE, FALSE, sizeof (Item));
  g_array_set_clear_func (self->items, item_clear);
  self->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

gboolean
fh_agenda_add_item (FhAgenda *self, const char *name, FhTemplate *command)
{
  Item item;

  g_return_val_if_fail (self->items != NULL, FALSE);
  if (g_hash_table_contains (self->by_name, name))
    {
      fh_template_free (command);
      return FALSE;
    }
  item.name = g_strdup (name);
  item.command = command;
  g_array_append_val (self->items, item);
  g_hash_table_insert (self->by_name, g_strdup (name),
                       GUINT_TO_POINTER (self->items->len));
  return TRUE;
}

void
fh_agenda_free (FhAgenda *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->frames, fh_frame_list_free);
  g_clear_pointer (&self->command, fh_template_free);
  g_clear_pointer (&self->items, g_array_unref);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_free (self);
}

gboolean
fh_agenda_has_frames (const FhAgenda *self)
{
  return self->frames != NULL;
}

guint
fh_agenda_get_chunk (const FhAgenda *self)
{
  return self->chunk;
}

guint
fh_agenda_get_n_items (const FhAgenda *self)
{
  if (self->frames == NULL)
    return self->items->len;
  return (fh_frame_list_get_length (self->frames) + self->chunk - 1) / self->chunk;
}

const gint64 *
fh_agenda_get_item_frames (const FhAgenda *self, guint index, guint *n_frames)
{
  guint total;

  g_return_val_if_fail (index < fh_agenda_get_n_items (self), NULL);
  if (self->frames == NULL)
    {
      *n_frames = 0;
      return NULL;
    }
  total = fh_frame_list_get_length (self->frames);
  *n_frames = MIN (self->chunk, total - index * self->chunk);
  return fh_frame_list_get_frames (self->frames) + (gsize) index * self->chunk;
}

char *
fh_agenda_dup_item_name (const FhAgenda *self, guint index)
{
  const gint64 *frames;
  guint n;

  g_return_val_if_fail (index < fh_agenda_get_n_items (self), NULL);
  if (self->frames == NULL)
    return g_strdup (g_array_index (self->items, Item, index).name);
  frames = fh_agenda_get_item_frames (self, index, &n);
  return fh_frame_list_format (frames, n);
}

const FhTemplate *
fh_agenda_get_item_template (const FhAgenda *self, guint index)
{
  g_return_val_if_fail (index < fh_agenda_get_n_items (self), NULL);
  if (self->frames != NULL)
    return self->command;
  return g_array_index (self->items, Item, index).command;
}

gboolean
fh_agenda_lookup (FhAgenda *self, const char *name, guint *index)
{
  gpointer v;

  if (self->by_name == NULL)
    {
      guint n = fh_agenda_get_n_items (self);
      self->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < n; i++)
        g_hash_table_insert (self->by_name, fh_agenda_dup_item_name (self, i),
                             GUINT_TO_POINTER (i + 1));
    }
  v = g_hash_table_lookup (self->by_name, name);
  if (v == NULL)
    return FALSE;
  *index = GPOINTER_TO_UINT (v) - 1;
  return TRUE;
}

JsonObject *
fh_agenda_item_to_json (const FhAgenda *self, guint index)
{
  JsonObject *o = json_object_new ();
  g_autoptr (JsonArray) frames = json_array_new ();
  g_autofree char *name = fh_agenda_dup_item_name (self, index);
  const gint64 *f;
  guint n;

  json_object_set_int_member (o, "index", index);
  json_object_set_string_member (o, "name", name);
  f = fh_agenda_get_item_frames (self, index, &n);
  for (guint i = 0; i < n; i++)
    json_array_add_int_element (frames, f[i]);
  json_object_set_array_member (o, "frames", g_steal_pointer (&frames));
  return o;
}
