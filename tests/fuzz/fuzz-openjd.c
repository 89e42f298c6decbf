/* fuzz-openjd.c — any text as an OpenJD template (YAML, and JSON when the
 * input starts with '{'): refused with problems, or read; a job template
 * read is made into a job where its defaults allow, and its first tasks
 * are named and computed. */
#include "config.h"

#include <stdint.h>

#include "fh-openjd-job.h"
#include "fh-openjd-template.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *source = size > 0 && data[0] == '{' ? "fuzz.json" : "fuzz.yaml";
  g_autoptr (FhProblems) problems = fh_problems_new (source);
  FhOjTemplate *t = fh_oj_template_parse ((const char *) data, size, source, "/fuzz", problems);
  FhOjJobInput input = { 0 };
  g_autoptr (FhOjJob) job = NULL;

  if (t == NULL)
    {
      g_assert (fh_problems_get_count (problems) > 0);
      return 0;
    }
  if (t->kind != FH_OJ_JOB_TEMPLATE)
    {
      fh_oj_template_free (t);
      return 0;
    }
  if ((job = fh_oj_job_new (t, NULL, &input, problems)) == NULL)
    {
      g_assert (fh_problems_get_count (problems) > 0);
      return 0;
    }
  for (guint64 i = 0; i < MIN (job->n_tasks, 50); i++)
    {
      g_autofree char *name = fh_oj_job_task_name (job, i);
      g_assert (name != NULL);
    }
  if (job->n_tasks > 0)
    g_free (fh_oj_job_task_name (job, job->n_tasks - 1));
  return 0;
}
