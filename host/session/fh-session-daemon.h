/* fh-session-daemon.h — `farmhand session`: one job's executor kept alive across
 * many task processes.  A scheduler that starts a process per task
 * (OpenJD, OpenCue, Tractor, a Slurm array task per frame) starts the
 * session once (`session start`: executor up, setup run), runs each task
 * as `farmhand session run ID ITEM` (a small client: fh-session-client.c),
 * and stops it at the end (`session stop`: teardown, then nothing left).
 *
 * The session is a daemon with a directory of its own (0700): its Unix
 * socket, its log (session.log: the job log with timestamps) and its
 * results (results.jsonl, as `farmhand run --results`).  Only its user
 * may connect: the directory's mode, and each peer's credentials
 * (SO_PEERCRED).  Items run one at a time; a client that goes away while
 * its item runs has that item stopped (the session goes on); an executor
 * that died between tasks is restarted, with setup, by the next one.  It
 * ends on `stop`, SIGTERM, its idle timeout, or its directory's removal —
 * after teardown, leaving no process behind.  fh-session-protocol.h has
 * what crosses the socket.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "fh-job-handle.h"

G_BEGIN_DECLS

typedef struct
{
  const char *id;         /* what clients call it */
  const char *dir;        /* its directory (exists, 0700) */
  const char *results;    /* nullable: the results file (default DIR/results.jsonl) */
  double idle_s;          /* 0: no idle timeout */
} FhSessionDaemonOptions;

typedef struct _FhSessionDaemon FhSessionDaemon;

/* A session of @plugin (borrowed: must outlive it), listening on
 * DIR/socket.  (transfer full) */
FhSessionDaemon *fh_session_daemon_new (FhJobHandle *plugin, const FhSessionDaemonOptions *options,
                                        GError **error);
void fh_session_daemon_free (FhSessionDaemon *self);

/* Runs the session to its end.  @ready_fd (nullable: -1) hears 'R' once
 * setup has run, or 'F' and why the session ended before that (setup
 * failed, the executor did not start); it is closed then.  Returns the
 * process exit status: 0, or 1 when the job ended in failure. */
int fh_session_daemon_run (FhSessionDaemon *self, int ready_fd);

/* ---- the client side, for `session stop` and `session status` --------------- */

/* Connected to session @dir's socket (blocking).  Errors: G_IO_ERROR
 * (G_IO_ERROR_NOT_FOUND when no session listens there,
 * G_IO_ERROR_PERMISSION_DENIED for another user's).  Returns the fd. */
int fh_session_daemon_connect (const char *dir, GError **error);

/* Sends @request (a kind: "status", "stop") and reads the answer's frame:
 * its kind in *@kind, its text (transfer full).  NULL when the session
 * ended without one. */
char *fh_session_daemon_ask (int fd, const char *request, char *kind, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhSessionDaemon, fh_session_daemon_free)

G_END_DECLS
