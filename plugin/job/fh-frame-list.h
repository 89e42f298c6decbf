/* fh-frame-list.h — frame lists: "1-100", "1-100x5", "1,5,10-20", "-5--1".
 *
 * Grammar (spaces allowed around tokens):
 *   list  := term ("," term)*
 *   term  := frame | frame "-" frame ["x" step]
 *   frame := ["-"] digits          (|frame| <= 999,999,999)
 *   step  := digits                (>= 1)
 * Order is kept as written.  A range must not run backwards, and a frame
 * listed twice is an error (rather than silently merged), because on a
 * farm a duplicate is nearly always a typo that would render twice.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Largest number of frames a list may expand to. */
#define FH_FRAME_LIST_MAX_FRAMES 1000000
#define FH_FRAME_MAX 999999999

typedef struct _FhFrameList FhFrameList;

/* Errors are FH_JOB_ERROR_INVALID and name the 1-based column of the
 * problem in @spec.  (transfer full) */
FhFrameList *fh_frame_list_parse (const char *spec, GError **error);
/* The same grammar for lists of other numbers: @what names them in errors
 * ("item" gives 'bad item list "..."').  (transfer full) */
FhFrameList *fh_frame_list_parse_full (const char *spec, const char *what,
                                       GError **error);
void fh_frame_list_free (FhFrameList *self);

guint fh_frame_list_get_length (const FhFrameList *self);
/* (transfer none) */
const gint64 *fh_frame_list_get_frames (const FhFrameList *self);

/* Formats @n frames compactly in the same grammar: {1,2,3} → "1-3",
 * {1,4,7,10} → "1-10x3", {1,4,9} → "1,4,9".  (transfer full) */
char *fh_frame_list_format (const gint64 *frames, guint n);

/* TRUE when @frames is an arithmetic progression with a positive step
 * (a single frame counts, with step 1); sets @step. */
gboolean fh_frame_list_is_uniform (const gint64 *frames, guint n, gint64 *step);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhFrameList, fh_frame_list_free)

G_END_DECLS
