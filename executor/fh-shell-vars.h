/* fh-shell-vars.h — what a shell command knows of its item: the variables
 * FARMHAND_PHASE (setup, agenda, teardown), FARMHAND_ITEM (the item's
 * name) and FARMHAND_FRAMES (its frames, space-separated), exported to the
 * command in both shell modes (Python commands have farmhand.item).
 */
#pragma once

#include <glib.h>

#include "fh-message.h"

G_BEGIN_DECLS

typedef struct
{
  const char *phase;   /* static */
  char *item;          /* nullable: no item (setup, teardown) */
  char *frames;        /* nullable: an item without frames */
} FhShellVars;

/* From command message @command. */
void fh_shell_vars_init (FhShellVars *vars, const FhMessage *command);
void fh_shell_vars_clear (FhShellVars *vars);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FhShellVars, fh_shell_vars_clear)

G_END_DECLS
