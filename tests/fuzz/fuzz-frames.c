/* fuzz-frames.c — any text as a frame list: an error, or frames whose
 * compact form parses back to the same frames (a property, not just "no
 * crash"). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "fh-frame-list.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *spec = g_strndup ((const char *) data, MIN (size, 4096));
  g_autoptr (GError) err = NULL;
  g_autoptr (FhFrameList) list = fh_frame_list_parse (spec, &err);
  g_autoptr (FhFrameList) back = NULL;
  g_autofree char *name = NULL;
  guint n;

  g_assert ((list == NULL) != (err == NULL));
  if (list == NULL)
    return 0;
  n = fh_frame_list_get_length (list);
  name = fh_frame_list_format (fh_frame_list_get_frames (list), n);
  back = fh_frame_list_parse (name, NULL);
  g_assert (back != NULL);
  g_assert (fh_frame_list_get_length (back) == n);
  g_assert (memcmp (fh_frame_list_get_frames (back), fh_frame_list_get_frames (list),
                    n * sizeof (gint64)) == 0);
  return 0;
}
