/* fuzz-job.c — any text as a job description: every problem is an error
 * with a message; a valid job expands every command it has. */
#include "config.h"

#include <stdint.h>

#include "fh-job.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJob) job = fh_job_new_from_data ((const char *) data, (gssize) size,
                                                "fuzz.json", "/fuzz", NULL, &err);

  g_assert ((job == NULL) != (err == NULL));
  if (job == NULL)
    {
      g_assert (err->message != NULL && err->message[0] != '\0');
      return 0;
    }
  for (guint i = 0; i < job->setup->len; i++)
    g_free (fh_job_expand_hook (job, g_ptr_array_index (job->setup, i)));
  for (guint i = 0; i < MIN (fh_job_get_n_items (job), 200u); i++)
    {
      g_autofree char *name = fh_agenda_dup_item_name (job->agenda, i);
      guint back = G_MAXUINT;
      g_free (fh_job_expand_item (job, i));
      /* Every item is found again by its name. */
      g_assert (fh_agenda_lookup (job->agenda, name, &back) && back == i);
    }
  return 0;
}
