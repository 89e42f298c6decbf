/* fh-progress.c — the live status line and plain item lines. */
#include "config.h"

#include "fh-progress.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BAR_WIDTH 24

struct _FhProgress
{
  GMutex lock;
  FILE *out;
  gboolean tty;
  FhProgressLevel level;
  guint total;
  guint done;
  guint failed;
  gint64 started;
  char *current;        /* item running, for the live line */
  double fraction;      /* its progress, < 0 when unknown */
  gboolean drawn;       /* the live line is on screen */
  gboolean finished;
};

FhProgress *
fh_progress_new (FILE *out, gboolean tty, FhProgressLevel level, guint total)
{
  FhProgress *self = g_new0 (FhProgress, 1);

  g_mutex_init (&self->lock);
  self->out = out;
  self->tty = tty;
  self->level = level;
  self->total = total;
  self->started = g_get_monotonic_time ();
  self->fraction = -1;
  return self;
}

void
fh_progress_free (FhProgress *self)
{
  if (self == NULL)
    return;
  g_mutex_clear (&self->lock);
  g_free (self->current);
  g_free (self);
}

static char *
format_duration (double secs)
{
  guint s = (guint) (secs + 0.5);

  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}

static int
terminal_width (FhProgress *self)
{
  struct winsize ws;

  if (ioctl (fileno (self->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
    return ws.ws_col;
  return 80;
}

/* Items done count whole; the running one counts by its fraction, so the
 * bar and the ETA move during long items. */
static double
completed (FhProgress *self)
{
  return self->done + (self->current && self->fraction > 0 ? self->fraction : 0.0);
}

static char *
eta_text (FhProgress *self, double elapsed)
{
  double c = completed (self);
  g_autofree char *eta = NULL;

  if (c < 0.01 || self->done >= self->total)
    return g_strdup ("");
  eta = format_duration (elapsed / c * (self->total - c));
  return g_strdup_printf ("  ETA %s", eta);
}

static void
draw_locked (FhProgress *self)
{
  double elapsed = (g_get_monotonic_time () - self->started) / 1e6;
  double frac = self->total ? completed (self) / self->total : 1.0;
  int filled = (int) (frac * BAR_WIDTH);
  g_autofree char *el = format_duration (elapsed);
  g_autofree char *eta = eta_text (self, elapsed);
  g_autoptr (GString) line = g_string_new ("[");

  for (int i = 0; i < BAR_WIDTH; i++)
    g_string_append_c (line, i < filled ? '=' : i == filled ? '>' : ' ');
  g_string_append_printf (line, "] %u/%u", self->done, self->total);
  if (self->failed)
    g_string_append_printf (line, "  %u failed", self->failed);
  g_string_append_printf (line, "  %s elapsed%s", el, eta);
  if (self->current != NULL)
    {
      g_string_append_printf (line, "  %s", self->current);
      if (self->fraction >= 0)
        g_string_append_printf (line, " (%d%%)", (int) (self->fraction * 100));
    }
  g_string_truncate (line, MIN (line->len, (gsize) terminal_width (self) - 1));
  fprintf (self->out, "\r\033[K%s", line->str);
  fflush (self->out);
  self->drawn = TRUE;
}

/* Before printing a whole line on a terminal: erase the live line. */
static void
clear_locked (FhProgress *self)
{
  if (self->tty && self->drawn)
    fputs ("\r\033[K", self->out);
  self->drawn = FALSE;
}

static void
redraw_locked (FhProgress *self)
{
  if (self->tty && !self->finished)
    draw_locked (self);
  else
    fflush (self->out);
}

void
fh_progress_item_started (FhProgress *self, const char *name)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  g_free (self->current);
  self->current = g_strdup (name);
  self->fraction = -1;
  if (self->tty)
    redraw_locked (self);
}

void
fh_progress_item_fraction (FhProgress *self, const char *name, double fraction)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (g_strcmp0 (name, self->current) == 0)
    self->fraction = CLAMP (fraction, 0.0, 1.0);
}

static void
print_indented (FILE *out, const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0' || lines[i + 1] != NULL)
      fprintf (out, "            %s\n", lines[i]);
}

static char *
format_elapsed (double s)
{
  if (s < 1.0)
    return g_strdup_printf ("%.1f ms", s * 1000);
  return g_strdup_printf ("%.2f s", s);
}

void
fh_progress_item_done (FhProgress *self, const char *name, gboolean ok,
                       double elapsed_s, const char *failure, const char *traceback)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  /* On a terminal the bar shows completed items; lines are for failures. */
  gboolean show = !ok || (!self->tty && self->level != FH_PROGRESS_QUIET) ||
                  self->level == FH_PROGRESS_VERBOSE;

  self->done++;
  self->failed += ok ? 0 : 1;
  g_clear_pointer (&self->current, g_free);
  if (show)
    {
      g_autofree char *el = format_elapsed (elapsed_s);
      clear_locked (self);
      fprintf (self->out, "  %-9s %-14s %10s%s%s\n", ok ? "complete" : "FAILED", name, el,
               !ok && failure ? "  " : "", !ok && failure ? failure : "");
      if (!ok && traceback != NULL)
        print_indented (self->out, traceback);
    }
  redraw_locked (self);
}

void
fh_progress_log_line (FhProgress *self, const char *item, const char *line, gsize len)
{
  g_autoptr (GMutexLocker) locker = NULL;

  if (self->level != FH_PROGRESS_VERBOSE)
    return;
  locker = g_mutex_locker_new (&self->lock);
  clear_locked (self);
  fprintf (self->out, "    %s| %.*s\n", item ? item : "", (int) len, line);
  /* A log read through a pipe (a farm's log collector) gets each line as
   * it comes, not a buffer at a time. */
  if (self->tty)
    draw_locked (self);
  else
    fflush (self->out);
}

void
fh_progress_note (FhProgress *self, const char *fmt, ...)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  va_list args;

  clear_locked (self);
  va_start (args, fmt);
  vfprintf (self->out, fmt, args);
  va_end (args);
  fputc ('\n', self->out);
  redraw_locked (self);
}

void
fh_progress_tick (FhProgress *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (self->tty && !self->finished)
    draw_locked (self);
}

void
fh_progress_finish (FhProgress *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  clear_locked (self);
  self->finished = TRUE;
  fflush (self->out);
}
