/* fh-session-protocol.h — what `farmhand session` commands and a session
 * say to each other over its Unix socket: frames as on farmhand's wire
 * (a 4-byte big-endian length, then the payload; at most
 * FH_SESSION_MAX_FRAME bytes), each payload starting with its kind.
 *
 *   client → session, one frame:
 *     "run" NUL WAIT_MS NUL ITEM   run agenda item ITEM (WAIT_MS: how long
 *                                  to wait for a busy session, 0: do not)
 *     "status"                     → FH_SESSION_STATUS
 *     "stop"                       → FH_SESSION_STOPPED, after teardown
 *   session → client, frames of these kinds (payload after the byte):
 *
 * Not JSON: the per-task client is plain libc (it starts in about the time
 * `sh -c :` does), and these fields need no parser.  The item's result
 * itself is JSON in the session's results file.
 */
#pragma once

#define FH_SESSION_MAX_FRAME (16 * 1024 * 1024)

#define FH_SESSION_OUT 'O'       /* a line the item printed on stdout */
#define FH_SESSION_ERR 'E'       /* ... on stderr */
#define FH_SESSION_NOTE 'N'      /* farmhand's own note ("farmhand: ...") */
#define FH_SESSION_PROGRESS 'P'  /* the item's progress, "0.25" */
#define FH_SESSION_WAITING 'W'   /* busy: waiting behind the item named */
#define FH_SESSION_DONE 'D'      /* "0" (complete) or "1" (failed), NUL,
                                    why it failed and its traceback */
#define FH_SESSION_UNKNOWN 'U'   /* no such item in the agenda: why */
#define FH_SESSION_REFUSED 'R'   /* busy, or not the session's user: why */
#define FH_SESSION_GONE 'G'      /* the session ends without running it: why */
#define FH_SESSION_STATUS 'S'    /* JSON: the session's state */
#define FH_SESSION_STOPPED 'T'   /* "0" (teardown ran clean) or "1", NUL, why */

/* `session start` and its daemon: the one byte the daemon writes on the
 * ready pipe (then why, for the last two), and closes it. */
#define FH_SESSION_READY_OK 'R'        /* setup ran: the session takes tasks */
#define FH_SESSION_READY_FAILED 'F'    /* it ended before: setup failed, the
                                          executor did not start */
#define FH_SESSION_READY_INVALID 'I'   /* the job is invalid */

/* `farmhand session run` exit codes. */
#define FH_SESSION_EXIT_COMPLETE 0
#define FH_SESSION_EXIT_FAILED 1
#define FH_SESSION_EXIT_USAGE 2     /* also: an item the agenda has not */
#define FH_SESSION_EXIT_GONE 3      /* no such session, or it ended */
#define FH_SESSION_EXIT_REFUSED 4   /* busy (without --wait, or past it), or
                                       another user's session */
