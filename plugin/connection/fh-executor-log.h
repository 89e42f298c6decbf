/* fh-executor-log.h — an executor's stdout and stderr: the job log.
 *
 * Read as they stream (at a higher main-loop priority than the
 * backchannel, see FH_PRIORITY_LOG), split into lines, passed on with
 * their stream and whether they are the echo of a command.  Keeps the last
 * lines of the log (for crash reports) and of the current command's stderr
 * (for tracebacks).  Bounded whatever the executor prints.
 */
#pragma once

#include <glib.h>

#include "fh-plugin.h"

G_BEGIN_DECLS

/* Lines longer than this are cut (fh-line-splitter.h). */
#define FH_EXECUTOR_LOG_MAX_LINE (64 * 1024)

typedef struct _FhExecutorLog FhExecutorLog;

/* A line: valid UTF-8, @len bytes, not NUL-terminated.  @echo: it is the
 * echo of a command ("farmhand$ ...", "farmhand> ..."), not its output. */
typedef void (*FhExecutorLogFunc) (FhLogStream stream, const char *line,
                                   gsize len, gboolean echo, gpointer user_data);

/* The lines delivered next lie in @block (@len bytes of output as read,
 * lines cut at @max_line) — or, with @block NULL, the block has ended.
 * Lines are zero-copy slices of it unless they span reads, were repaired
 * or cut: see fh_log_scanner_set_block(). */
typedef void (*FhExecutorLogBlockFunc) (const char *block, gsize len, gsize max_line,
                                        gpointer user_data);

/* Watches @stdout_fd and @stderr_fd (borrowed) on @context.
 * (transfer full) */
FhExecutorLog *fh_executor_log_new (GMainContext *context, int stdout_fd,
                                    int stderr_fd, FhExecutorLogFunc func,
                                    gpointer user_data);
/* The stdio channel: what commands print arrives in stream frames
 * (fh_executor_log_push()); @transport_fd (borrowed) is the transport's
 * stderr, whose lines (like those fh_executor_log_transport_line() gets)
 * are logged as farmhand's, "via @label: LINE".  (transfer full) */
FhExecutorLog *fh_executor_log_new_channel (GMainContext *context, int transport_fd,
                                            const char *label, FhExecutorLogFunc func,
                                            gpointer user_data);
/* Output of @stream (FH_LOG_STDOUT or FH_LOG_STDERR) that came in band. */
void fh_executor_log_push (FhExecutorLog *self, FhLogStream stream, const char *data, gsize len);
/* A line of the transport's (printed before the channel opened). */
void fh_executor_log_transport_line (FhExecutorLog *self, const char *line, gsize len);
void fh_executor_log_free (FhExecutorLog *self);
/* Also tell @func (with the log func's user data) about blocks. */
void fh_executor_log_set_block_func (FhExecutorLog *self, FhExecutorLogBlockFunc func);

/* The prompt an executor that echoes commands itself uses. */
#define FH_EXECUTOR_LOG_ECHO_PROMPT "farmhand> "

/* A command starts: echo it after @prompt ("farmhand$ " for a shell,
 * "farmhand> " for Python), or, when the executor echoes itself, expect
 * its echo lines (FH_EXECUTOR_LOG_ECHO_PROMPT) and mark them. */
void fh_executor_log_begin_command (FhExecutorLog *self, const char *command,
                                    gboolean executor_echoes, const char *prompt);
/* A command ended: its last unterminated lines belong to it. */
void fh_executor_log_end_command (FhExecutorLog *self);
/* Reads what the pipes hold now (after the executor exited). */
void fh_executor_log_drain (FhExecutorLog *self);

/* A line of farmhand's own. */
void fh_executor_log_note (FhExecutorLog *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* The last lines of the whole log, each prefixed with @indent.
 * (transfer full) */
char *fh_executor_log_tail (FhExecutorLog *self, const char *indent);
/* The last @n lines the current command wrote to stderr, or NULL.
 * (transfer full) */
char *fh_executor_log_command_stderr (FhExecutorLog *self, guint n);

/* Monotonic time of the last byte read. */
gint64 fh_executor_log_get_last_activity (FhExecutorLog *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhExecutorLog, fh_executor_log_free)

G_END_DECLS
