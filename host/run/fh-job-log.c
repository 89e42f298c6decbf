/* fh-job-log.c — the timestamped job log file. */
#include "config.h"

#include "fh-job-log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fh-error.h"
#include "fh-host-error.h"

struct _FhJobLog
{
  GMutex lock;
  char *path;
  FILE *file;
  gint64 stamp_second;  /* the second stamp_text was made for */
  char stamp_text[32];  /* "YYYY-MM-DD HH:MM:SS" */
  gboolean failed;
};

FhJobLog *
fh_job_log_open (const char *path, GError **error)
{
  FILE *f = fopen (path, "ae");
  FhJobLog *self;

  if (f == NULL)
    {
      fh_throw_errno (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno, "opening log file %s", path);
      return NULL;
    }
  self = g_new0 (FhJobLog, 1);
  g_mutex_init (&self->lock);
  self->path = g_strdup (path);
  self->file = f;
  self->stamp_second = -1;
  return self;
}

void
fh_job_log_free (FhJobLog *self)
{
  if (self == NULL)
    return;
  fh_job_log_flush (self, NULL);
  fclose (self->file);
  g_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self);
}

/* Formatting a date is costly; a busy log formats it once a second. */
static void
stamp_locked (FhJobLog *self)
{
  gint64 now = g_get_real_time ();
  gint64 second = now / G_USEC_PER_SEC;

  if (second != self->stamp_second)
    {
      g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (second);
      g_autofree char *text = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
      g_strlcpy (self->stamp_text, text, sizeof self->stamp_text);
      self->stamp_second = second;
    }
  fprintf (self->file, "%s.%03d ", self->stamp_text, (int) (now % G_USEC_PER_SEC / 1000));
}

void
fh_job_log_line (FhJobLog *self, const char *item, FhLogStream stream,
                 const char *line, gsize len)
{
  static const char marks[] = { '?', '|', '!', '*' };
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  stamp_locked (self);
  fprintf (self->file, "%-8s %c %.*s\n", item ? item : "-",
           marks[(guint) stream < G_N_ELEMENTS (marks) ? stream : 0], (int) len, line);
}

void
fh_job_log_marker (FhJobLog *self, const char *fmt, ...)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  va_list args;

  stamp_locked (self);
  fputs ("==== ", self->file);
  va_start (args, fmt);
  vfprintf (self->file, fmt, args);
  va_end (args);
  fputc ('\n', self->file);
  fflush (self->file);
}

gboolean
fh_job_log_flush (FhJobLog *self, GError **error)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (fflush (self->file) != 0 && !self->failed)
    {
      self->failed = TRUE;
      return fh_throw_errno (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno,
                             "writing log file %s", self->path);
    }
  return TRUE;
}
