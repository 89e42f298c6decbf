/* fh-openjd-path-mapping.h — OpenJD path mapping rules (How Jobs Are
 * Run, "Path Mapping"): {"version": "pathmapping-1.0",
 * "path_mapping_rules": [{"source_path_format": "POSIX"|"WINDOWS",
 * "source_path", "destination_path"}]}.
 *
 * A rule applies to a path that is its source or lies below it, whole
 * components only ("/mnt/a" maps "/mnt/a/b", not "/mnt/ab"); a WINDOWS
 * source matches without regard to case or to '/' versus '\'.  Rules are
 * tried longest source first; the first that applies maps the path, the
 * rest of it joined to the destination with this machine's '/'.
 */
#pragma once

#include <glib.h>

#include "fh-problems.h"

G_BEGIN_DECLS

typedef struct _FhOjPathMapping FhOjPathMapping;

/* No rules.  (transfer full) */
FhOjPathMapping *fh_oj_path_mapping_new (void);
/* The rules in @text (JSON), or NULL with the problems in @problems,
 * named @source.  (transfer full) */
FhOjPathMapping *fh_oj_path_mapping_parse (const char *text, const char *source, FhProblems *problems);
void fh_oj_path_mapping_free (FhOjPathMapping *self);

gboolean fh_oj_path_mapping_is_empty (const FhOjPathMapping *self);
/* @path mapped (a copy when no rule applies).  (transfer full) */
char *fh_oj_path_mapping_apply (const FhOjPathMapping *self, const char *path);
/* The rules as the session's pathmapping-1.0 file holds them.
 * (transfer full) */
char *fh_oj_path_mapping_to_json (const FhOjPathMapping *self);

/* Whether @path is absolute as POSIX or as Windows ("C:\", "\\server")
 * understand it: a Windows path submitted to a POSIX worker is not
 * joined to the current directory, its rule maps it. */
gboolean fh_oj_path_is_absolute (const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhOjPathMapping, fh_oj_path_mapping_free)

G_END_DECLS
