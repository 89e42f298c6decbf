/* fh-job-submit.c — laying a job out in a job directory and giving it
 * workers (see the header). */
#include "config.h"

#include "fh-job-submit.h"

#include "fh-agenda-pager.h"
#include "fh-error.h"
#include "fh-json.h"
#include "fh-slurm.h"

static char *
default_job_dir (const char *job_name)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *name = g_strdup_printf ("%s-%s", job_name, stamp);

  return g_build_filename ("farmhand-jobs", name, NULL);
}

/* The worker command each task runs: this very farmhand (on a farm it is
 * installed at the same path on every node). */
char **
fh_job_submit_worker_command (FhJobDir *dir)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  return g_strdupv ((char *[]) { self ? self : "farmhand", "worker", (char *) fh_job_dir_get_path (dir), NULL });
}

char *
fh_job_submit_slurm (FhJobDir *dir, guint workers, const char *partition,
                     const char *const *extra_args, GError **error)
{
  g_auto (GStrv) command = fh_job_submit_worker_command (dir);
  g_autofree char *name = g_strdup_printf ("farmhand-%s", fh_job_dir_get_name (dir));
  g_autofree char *output = g_build_filename (fh_job_dir_get_path (dir), "slurm", "%A_%a.out", NULL);
  FhSlurmArray array = {
    .tasks = workers, .name = name, .output = output, .partition = partition,
    .extra_args = extra_args, .command = (const char *const *) command,
  };
  g_autofree char *id = fh_slurm_submit_array (&array, error);

  if (id == NULL || !fh_job_dir_set_slurm_job (dir, id, workers, error))
    return NULL;
  return g_steal_pointer (&id);
}

/* Line @index of agenda.jsonl: the item as the plugin lists it, with its
 * expanded command. */
static gboolean
agenda_line (guint index, GString *line, gpointer pager, GError **error)
{
  JsonObject *item = fh_agenda_pager_get (pager, index, error);
  g_autofree char *json = NULL;

  if (item == NULL)
    return FALSE;
  json = fh_json_object_to_string (item);
  g_string_append (line, json);
  return TRUE;
}

FhJobDir *
fh_job_submit_create (const char *path, const char *dir_path, const FhJobDirOptions *options,
                      GError **error)
{
  g_autoptr (FhJobHandle) handle = NULL;
  g_autofree char *text = NULL;
  g_autofree char *fallback = NULL;
  g_autoptr (FhAgendaPager) pager = NULL;
  FhJobDirJob desc;
  const char *name;

  if ((handle = fh_job_handle_new_from_file (path, NULL, NULL, FALSE, &text, error)) == NULL)
    return NULL;
  name = fh_job_handle_get_name (handle);
  pager = fh_agenda_pager_new (handle, 10000, TRUE);
  desc = (FhJobDirJob) { .name = name, .source = path, .text = text,
                         .n_items = fh_job_handle_get_n_items (handle),
                         .agenda = agenda_line, .agenda_data = pager };
  if (dir_path == NULL)
    dir_path = fallback = default_job_dir (name);
  return fh_job_dir_create (dir_path, &desc, options, error);
}

gboolean
fh_job_submit_resume (FhJobDir *dir, guint *remaining, GError **error)
{
  const char *slurm = fh_job_dir_get_slurm_job (dir);
  gboolean active = FALSE;

  /* Array tasks that have not started yet have no heartbeat to count. */
  if (slurm != NULL && fh_slurm_job_active (slurm, &active, NULL) && active)
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_BUSY,
                     "Slurm job %s still runs job %s: wait for it to end, or 'farmhand "
                     "cancel %s' first", slurm, fh_job_dir_get_name (dir), fh_job_dir_get_path (dir));
  return fh_job_dir_resume (dir, remaining, error);
}

