/* fh-template-shelf.h — the studio's job templates offered on the farm
 * UI's submit page (`farmhand serve --templates DIR`): every OpenJD job
 * template (*.yaml, *.yml, *.json) and job bundle directory (one holding
 * template.yaml|json) directly in DIR, each named by its file's stem (a
 * bundle: its directory's name), so that /?submit&template=NAME can link
 * to it.
 *
 * The folder is read again on every listing (a studio edits its
 * templates while the server runs); each template is checked by the
 * job-type plugin (check_file), which also describes its form: its
 * parameter definitions and their userInterface hints, and a bundle's own
 * values.  A template that does not check is listed with its problems,
 * not hidden.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _FhTemplateShelf FhTemplateShelf;

/* The templates in @dir (which must be a directory).  (transfer full) */
FhTemplateShelf *fh_template_shelf_new (const char *dir, GError **error);
void fh_template_shelf_free (FhTemplateShelf *self);

/* {"templates": [{"name", "title", "kind": "template"|"bundle",
 * "description"?, "parameters": [...the plugin's parameter_definitions],
 * "values"?: {a bundle's}, "steps": [names]}], "broken": [{"name",
 * "problems": [...]}]}, by name.  (transfer full) */
JsonObject *fh_template_shelf_list (FhTemplateShelf *self, GError **error);

/* The path of the template named @name, and its outline (@outline,
 * nullable out: what fh_template_shelf_list() says of it).  NULL with
 * G_IO_ERROR_NOT_FOUND when there is none, FH_HOST_ERROR_INVALID_JOB when
 * it does not check.  (transfer full) */
char *fh_template_shelf_find (FhTemplateShelf *self, const char *name, JsonObject **outline, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhTemplateShelf, fh_template_shelf_free)

G_END_DECLS
