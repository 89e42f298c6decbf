/* fh-host-monitor.h — a helper thread beside a running job: ticks a
 * callback on a timer (progress redraw, results sync, log flush) and turns
 * SIGINT/SIGTERM into a callback, while the job thread is busy inside the
 * plugin's job_run().  Its own GMainContext; nothing polls.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FhHostMonitor FhHostMonitor;

typedef void (*FhMonitorTickFunc) (gpointer user_data);
/* @count: how many times this signal has arrived (a second SIGINT can mean
 * "now"). */
typedef void (*FhMonitorSignalFunc) (int signum, guint count, gpointer user_data);

/* Starts the thread.  @on_signal (nullable): also handle SIGINT/SIGTERM.
 * (transfer full) */
FhHostMonitor *fh_host_monitor_start (guint tick_ms, FhMonitorTickFunc tick,
                                      FhMonitorSignalFunc on_signal,
                                      gpointer user_data);
/* Stops and joins the thread; the callbacks are not called afterwards. */
void fh_host_monitor_stop (FhHostMonitor *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhHostMonitor, fh_host_monitor_stop)

G_END_DECLS
