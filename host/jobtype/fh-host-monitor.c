/* fh-host-monitor.c — the timer/signal thread beside a job. */
#include "config.h"

#include "fh-host-monitor.h"

#include <signal.h>

#include <glib-unix.h>

struct _FhHostMonitor
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  FhMonitorTickFunc tick;
  FhMonitorSignalFunc on_signal;
  gpointer user_data;
  guint counts[2];      /* SIGINT, SIGTERM */
};

static gboolean
on_tick (gpointer data)
{
  FhHostMonitor *self = data;

  self->tick (self->user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (gpointer data)
{
  FhHostMonitor *self = data;

  self->on_signal (SIGINT, ++self->counts[0], self->user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigterm (gpointer data)
{
  FhHostMonitor *self = data;

  self->on_signal (SIGTERM, ++self->counts[1], self->user_data);
  return G_SOURCE_CONTINUE;
}

static void
attach (FhHostMonitor *self, GSource *source, GSourceFunc func)
{
  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static gpointer
run (gpointer data)
{
  FhHostMonitor *self = data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

FhHostMonitor *
fh_host_monitor_start (guint tick_ms, FhMonitorTickFunc tick,
                       FhMonitorSignalFunc on_signal, gpointer user_data)
{
  FhHostMonitor *self = g_new0 (FhHostMonitor, 1);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->tick = tick;
  self->on_signal = on_signal;
  self->user_data = user_data;
  if (tick != NULL)
    attach (self, g_timeout_source_new (tick_ms), on_tick);
  if (on_signal != NULL)
    {
      attach (self, g_unix_signal_source_new (SIGINT), on_sigint);
      attach (self, g_unix_signal_source_new (SIGTERM), on_sigterm);
    }
  self->thread = g_thread_new ("farmhand-monitor", run, self);
  return self;
}

static gboolean
quit (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
fh_host_monitor_stop (FhHostMonitor *self)
{
  if (self == NULL)
    return;
  /* A source, not g_main_context_invoke(): invoke would run quit() right
   * here if the thread had not acquired the context yet, and the quit
   * would be lost. */
  {
    GSource *source = g_idle_source_new ();
    g_source_set_callback (source, quit, self->loop, NULL);
    g_source_attach (source, self->context);
    g_source_unref (source);
  }
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_free (self);
}
