/* fh-proc.h — finding and ending the processes a job left behind.
 *
 * Everything an executor starts stays in its process group unless it
 * leaves deliberately (setsid); whatever leaves and is orphaned comes back
 * to the executor or host as its child subreaper.  So "everything this job
 * started" is: the members of one process group, plus our adopted
 * children.  Linux /proc is read to find them.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* Makes this process a child subreaper (PR_SET_CHILD_SUBREAPER): orphaned
 * descendants are re-parented to it instead of to init. */
gboolean fh_proc_become_subreaper (void);

/* A subreaper's orphans, reaped as they die: zombie children born in a
 * session other than ours that do not lead it — never a child this
 * process spawned itself (those keep its session or lead their own), so
 * no GLib child watch loses its status.  Without it an orphan that exited
 * (an OpenJD action's background server) would look alive to `kill -0`
 * until the job ends.  Returns how many. */
guint fh_proc_reap_orphans (void);

/* For a child between fork and exec (async-signal-safe): no signal
 * blocked, SIGPIPE back to its default, @death_signal when @parent (the
 * forking process) dies — and exit 127 at once if it died already. */
void fh_proc_child_setup (pid_t parent, int death_signal);

/* Pids of processes in process group @pgid (skipped when 0) or whose
 * parent is @ppid (skipped when 0), other than ourselves and our ancestors
 * (a wrapper that started us, `sh -c`, may share our group).  (transfer full) */
GArray *fh_proc_find (pid_t pgid, pid_t ppid);

/* Sends @signum to every process fh_proc_find() returns, repeatedly until
 * none is left or @timeout_ms passes (orphans of killed processes are
 * re-parented to us between rounds, so one pass is not enough), reaping
 * our adopted children as they die.  Returns how many remain. */
guint fh_proc_end (pid_t pgid, pid_t ppid, int signum, guint timeout_ms);

/* SIGTERM, @grace_ms, then SIGKILL, to what fh_proc_find() returns. */
void fh_proc_end_tree (pid_t pgid, pid_t ppid, guint grace_ms);

G_END_DECLS
