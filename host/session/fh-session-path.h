/* fh-session-path.h — where a `farmhand session` lives: a directory of
 * its own (0700) holding its socket, log and results.  Plain libc, so
 * that the per-task client (`farmhand session run`, fh-session-client.c)
 * starts without loading GLib.
 *
 * A session ID that contains a '/' is the directory itself (`session start
 * --dir DIR` prints DIR's absolute path as the ID); any other ID names
 * $XDG_RUNTIME_DIR/farmhand/sessions/ID, or, without XDG_RUNTIME_DIR,
 * /tmp/farmhand-UID/sessions/ID.
 */
#pragma once

#include <stddef.h>

#define FH_SESSION_SOCKET "socket"
#define FH_SESSION_LOG "session.log"
#define FH_SESSION_RESULTS "results.jsonl"

/* The session directory of @id into @buf (@size bytes).  Returns 0, or -1
 * with errno ENAMETOOLONG. */
int fh_session_path_dir (const char *id, char *buf, size_t size);

/* The directory holding sessions named by ID alone, into @buf. */
int fh_session_path_base (char *buf, size_t size);

/* @dir's socket, into @buf. */
int fh_session_path_socket (const char *dir, char *buf, size_t size);
