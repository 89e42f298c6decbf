/* fh-shell-vars.c — a shell command's item variables (see the header). */
#include "config.h"

#include "fh-shell-vars.h"

#include "fh-json-writer.h"

static char *
join_frames (const gint64 *frames, guint n)
{
  GString *s;

  if (n == 0)
    return NULL;
  s = g_string_sized_new (n * 4);
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (s, ' ');
      fh_json_writer_append_int (s, frames[i]);
    }
  return g_string_free (s, FALSE);
}

/* The item of a command that came as JSON. */
static void
init_from_json (FhShellVars *vars, JsonObject *item)
{
  JsonArray *frames = NULL;
  g_autoptr (GArray) list = NULL;

  vars->item = g_strdup (json_object_get_string_member_with_default (item, "name", NULL));
  if (json_object_has_member (item, "frames") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (item, "frames")))
    frames = json_object_get_array_member (item, "frames");
  if (frames == NULL)
    return;
  list = g_array_sized_new (FALSE, FALSE, sizeof (gint64), json_array_get_length (frames));
  for (guint i = 0; i < json_array_get_length (frames); i++)
    {
      gint64 f = json_array_get_int_element (frames, i);
      g_array_append_val (list, f);
    }
  vars->frames = join_frames ((const gint64 *) list->data, list->len);
}

void
fh_shell_vars_init (FhShellVars *vars, const FhMessage *command)
{
  *vars = (FhShellVars) { .phase = fh_phase_to_string (command->phase) };
  if (command->item != NULL)
    init_from_json (vars, command->item);
  else if (command->has_item)
    {
      vars->item = g_strdup (command->item_name);
      if (command->item_frames != NULL)
        vars->frames = join_frames ((const gint64 *) command->item_frames->data,
                                    command->item_frames->len);
    }
}

void
fh_shell_vars_clear (FhShellVars *vars)
{
  g_clear_pointer (&vars->item, g_free);
  g_clear_pointer (&vars->frames, g_free);
}
