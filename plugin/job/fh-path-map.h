/* fh-path-map.h — path mapping ("path_map": [{"from": "/mnt/proj",
 * "to": "/proj"}]), Qube's QB_CONVERT_PATH: the same job runs on machines
 * that mount the project in different places.
 *
 * A rule rewrites `from` where it stands as a whole path prefix: at the
 * start of the text or after a character that cannot be part of a path
 * (space, quote, '=', ':', ...), and followed by '/', the end, or such a
 * character.  "/mnt/proj/shot" and "'/mnt/proj'" map; "/mnt/project" and
 * "/x/mnt/proj" do not.  Longer `from`s win over their prefixes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhPathMap FhPathMap;

/* (transfer full) */
FhPathMap *fh_path_map_new (void);
void fh_path_map_free (FhPathMap *self);

/* Adds a rule; a trailing '/' on either side is ignored. */
void fh_path_map_add (FhPathMap *self, const char *from, const char *to);

/* @text with every rule applied once, left to right.  (transfer full) */
char *fh_path_map_apply (FhPathMap *self, const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhPathMap, fh_path_map_free)

G_END_DECLS
