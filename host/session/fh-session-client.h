/* fh-session-client.h — `farmhand session run`, the per-task client
 * (plain libc; see the .c). */
#pragma once

/* @argv[0] is "run"; returns the exit code (fh-session-protocol.h). */
int fh_session_client_run (int argc, char **argv);
