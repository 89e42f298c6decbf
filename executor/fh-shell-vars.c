/* fh-shell-vars.c — a shell command's item variables (see the header). */
#include "config.h"

#include "fh-shell-vars.h"

void
fh_shell_vars_init (FhShellVars *vars, const FhMessage *command)
{
  JsonArray *frames = NULL;

  *vars = (FhShellVars) { .phase = fh_phase_to_string (command->phase) };
  if (command->item == NULL)
    return;
  vars->item = g_strdup (json_object_get_string_member_with_default (command->item, "name", NULL));
  if (json_object_has_member (command->item, "frames") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (command->item, "frames")))
    frames = json_object_get_array_member (command->item, "frames");
  if (frames != NULL && json_array_get_length (frames) > 0)
    {
      GString *s = g_string_new (NULL);
      for (guint i = 0; i < json_array_get_length (frames); i++)
        g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? " " : "",
                                json_array_get_int_element (frames, i));
      vars->frames = g_string_free (s, FALSE);
    }
}

void
fh_shell_vars_clear (FhShellVars *vars)
{
  g_clear_pointer (&vars->item, g_free);
  g_clear_pointer (&vars->frames, g_free);
}
