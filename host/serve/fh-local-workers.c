/* fh-local-workers.c — worker processes of `farmhand serve` (see the
 * header). */
#include "config.h"

#include "fh-local-workers.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#include "fh-job-submit.h"
#include "fh-error.h"
#include "fh-host-error.h"

typedef struct
{
  FhLocalWorkers *owner;
  char *id;
  GSubprocess *process;
} Worker;

struct _FhLocalWorkers
{
  GPtrArray *workers;   /* Worker*, alive */
  guint started;        /* for output file names */
};

static void
worker_free (gpointer p)
{
  Worker *w = p;

  g_free (w->id);
  g_clear_object (&w->process);
  g_free (w);
}

FhLocalWorkers *
fh_local_workers_new (void)
{
  FhLocalWorkers *self = g_new0 (FhLocalWorkers, 1);

  self->workers = g_ptr_array_new ();
  return self;
}

static void
on_wait (GObject *source, GAsyncResult *res, gpointer data)
{
  Worker *w = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  if (w->owner != NULL)
    g_ptr_array_remove (w->owner->workers, w);
  worker_free (w);
}

/* A worker must not outlive the server even when the server is killed. */
static void
child_setup (gpointer data)
{
  (void) data;
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

gboolean
fh_local_workers_start (FhLocalWorkers *self, const char *id, FhJobDir *dir, guint n,
                        GError **error)
{
  g_auto (GStrv) argv = fh_job_submit_worker_command (dir);
  g_autofree char *out_dir = g_build_filename (fh_job_dir_get_path (dir), "serve", NULL);

  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    return fh_throw_errno (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno, "creating %s", out_dir);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
      g_autofree char *name = g_strdup_printf ("worker-%u.out", ++self->started);
      g_autofree char *out = g_build_filename (out_dir, name, NULL);
      Worker *w;
      GSubprocess *p;

      g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
      g_subprocess_launcher_set_stdout_file_path (launcher, out);
      if ((p = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv, error)) == NULL)
        return FALSE;
      w = g_new0 (Worker, 1);
      w->owner = self;
      w->id = g_strdup (id);
      w->process = p;
      g_ptr_array_add (self->workers, w);
      g_subprocess_wait_async (p, NULL, on_wait, w);
    }
  return TRUE;
}

guint
fh_local_workers_terminate (FhLocalWorkers *self, const char *id)
{
  guint n = 0;

  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *w = g_ptr_array_index (self->workers, i);
      if (g_strcmp0 (w->id, id) != 0)
        continue;
      g_subprocess_send_signal (w->process, SIGTERM);
      n++;
    }
  return n;
}

static gboolean
on_grace_over (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
fh_local_workers_stop_all (FhLocalWorkers *self, double grace_s)
{
  gboolean over = FALSE;
  guint timer;

  for (guint i = 0; i < self->workers->len; i++)
    g_subprocess_send_signal (((Worker *) g_ptr_array_index (self->workers, i))->process, SIGTERM);
  /* Their ends arrive through on_wait, which empties the array. */
  timer = g_timeout_add ((guint) (grace_s * 1000), on_grace_over, &over);
  while (self->workers->len > 0 && !over)
    g_main_context_iteration (NULL, TRUE);
  if (!over)
    g_source_remove (timer);
  for (guint i = 0; i < self->workers->len; i++)
    g_subprocess_force_exit (((Worker *) g_ptr_array_index (self->workers, i))->process);
  while (self->workers->len > 0)
    g_main_context_iteration (NULL, TRUE);
}

void
fh_local_workers_free (FhLocalWorkers *self)
{
  if (self == NULL)
    return;
  /* Workers still waited on are freed by on_wait, without an owner. */
  for (guint i = 0; i < self->workers->len; i++)
    ((Worker *) g_ptr_array_index (self->workers, i))->owner = NULL;
  g_ptr_array_unref (self->workers);
  g_free (self);
}
