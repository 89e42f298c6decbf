/* fh-message.h — typed protocol messages (the JSON, or for command and
 * result the compact frame, inside a wire frame).
 *
 * Dispatcher → executor: "command", and at the end "exit" when the host
 * asked for an exit code.  Executor → dispatcher: "hello" once, then per
 * command any number of "progress", "output" and "log" messages and
 * exactly one "result".  Over the stdio channel also "stream" (up),
 * "signal" and "heartbeat" (down).  See docs/protocol.md and
 * schemas/protocol.schema.json.  Unknown fields are ignored so that a minor
 * protocol revision can add fields; unknown types are errors.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Major protocol version: a peer with another major is refused. */
#define FH_PROTOCOL_VERSION 1

typedef enum {
  FH_MESSAGE_HELLO,
  FH_MESSAGE_COMMAND,
  FH_MESSAGE_RESULT,
  FH_MESSAGE_PROGRESS,
  FH_MESSAGE_OUTPUT,
  FH_MESSAGE_LOG,
  /* The stdio channel (docs/protocol.md "The stdio channel"). */
  FH_MESSAGE_STREAM,     /* executor → dispatcher: what commands printed */
  FH_MESSAGE_SIGNAL,     /* dispatcher → executor: interrupt/terminate/kill */
  FH_MESSAGE_HEARTBEAT,  /* dispatcher → executor: still here */
  FH_MESSAGE_CHANNEL,    /* dispatcher → executor, first: token, env, cwd */
  FH_MESSAGE_EXIT,       /* dispatcher → executor, last: no more commands;
                            end cleanly and exit with "code" */
} FhMessageType;

/* What a signal message asks the far side to do to its process group. */
typedef enum {
  FH_SIGNAL_INTERRUPT,   /* SIGURG then SIGINT: stop the command */
  FH_SIGNAL_TERMINATE,   /* SIGTERM: end the tree and exit */
  FH_SIGNAL_KILL,        /* SIGKILL */
} FhSignal;

/* Which of a command's streams a stream message carries. */
typedef enum {
  FH_STREAM_STDOUT = 1,
  FH_STREAM_STDERR = 2,
} FhStream;

typedef enum {
  FH_PHASE_SETUP,
  FH_PHASE_AGENDA,
  FH_PHASE_TEARDOWN,
} FhPhase;

/* Status values of a result message. */
#define FH_STATUS_OK 0
#define FH_STATUS_FAILED 1

/**
 * FhMessage:
 * A decoded message.  Only the fields of its @type are meaningful; strings
 * and @item are owned by the message.
 */
typedef struct
{
  FhMessageType type;
  gint64 seq;          /* command, result, progress, output, log; >= 1 */
  /* hello */
  gint64 protocol;
  gint64 pid;
  char *kind;          /* "shell", "python", ... */
  char *token;         /* hello: nullable, set in socket-fallback mode;
                          channel: the token to answer the sentinel with */
  gboolean echo;       /* the executor echoes commands into the log itself */
  char *user;          /* nullable: whom the executor runs as */
  gint64 compact;      /* hello: the compact frames the executor reads
                          (FH_WIRE_COMPACT_VERSION; 0: JSON only).
                          command, result: this message travels, or
                          travelled, as a compact frame (nonzero) */
  char *host;          /* nullable: where it runs */
  /* command */
  FhPhase phase;
  char *command;
  JsonObject *item;    /* nullable: the work item, for agenda commands */
  /* command decoded from a compact frame: the item's fields instead of
   * @item (which stays NULL).  has_item: there is an item; item_index -1
   * when it has none; item_name nullable; item_frames: gint64, nullable */
  gboolean has_item;
  gint64 item_index;
  char *item_name;
  GArray *item_frames;
  /* result */
  gint status;         /* FH_STATUS_OK or FH_STATUS_FAILED */
  char *traceback;     /* required when status is FH_STATUS_FAILED */
  gboolean has_code;
  gint64 code;         /* result: the command's own exit status, when it
                          has one; exit: the status to exit with */
  gint64 stderr_lines; /* append this many of the command's last stderr
                          lines to the traceback (0: none) */
  gboolean final;      /* the command ended the session: the executor exits
                          after this result */
  /* progress */
  double fraction;     /* 0.0 ... 1.0 */
  /* output (a path), log (a message), stream (the data) */
  char *text;
  /* stream */
  FhStream stream;
  /* signal */
  FhSignal signal;
  /* channel: the environment (NAME=VALUE, NULL-ended) and directory the
   * far side sets up (neither crosses sudo or ssh), how often heartbeats
   * come */
  char **env;
  char *cwd;           /* nullable */
  gint64 heartbeat_s;
} FhMessage;

/* A command's item by its fields, borrowed: what the job runner has of
 * an item, without building a JSON object per command. */
typedef struct
{
  gint64 index;          /* -1: none (a command of the host's own) */
  const char *name;      /* nullable */
  const gint64 *frames;
  guint n_frames;
} FhItemFields;

const char *fh_message_type_to_string (FhMessageType type);
const char *fh_phase_to_string (FhPhase phase);

/* (transfer full) */
FhMessage *fh_message_new (FhMessageType type);
FhMessage *fh_message_new_hello (const char *kind, gint64 pid, const char *token);
FhMessage *fh_message_new_command (gint64 seq, FhPhase phase,
                                   const char *command, JsonObject *item);
/* The same with the item's fields (@item nullable: none), copied. */
FhMessage *fh_message_new_command_with_fields (gint64 seq, FhPhase phase, const char *command,
                                               const FhItemFields *item);
FhMessage *fh_message_new_result (gint64 seq, gint status,
                                  const char *traceback);
FhMessage *fh_message_new_signal (FhSignal signal);
FhMessage *fh_message_new_exit (gint code);
/* @env: NAME=VALUE entries (NULL: none); @cwd nullable. */
FhMessage *fh_message_new_channel (const char *token, const char *const *env, const char *cwd,
                                   gint64 heartbeat_s);
void fh_message_free (FhMessage *msg);

/* Validates UTF-8 and JSON, then the fields of the message's type.
 * Errors are FH_PROTOCOL_ERROR with the offending field named.
 * (transfer full) */
FhMessage *fh_message_parse (const char *payload, gsize len, GError **error);

/* Serialises @msg to JSON (a compact frame's message too, for debugging
 * output).  (transfer full) */
char *fh_message_to_json (const FhMessage *msg, gsize *len);

/* Serialises and frames @msg onto @out: as a compact frame when
 * @msg->compact is set and fh_message_can_be_compact(), else as JSON. */
gboolean fh_message_append_frame (const FhMessage *msg, GByteArray *out,
                                  GError **error);

/* ---- compact frames (fh-message-compact.c, docs/protocol.md) ----------
 * The two messages of every command — command and result — as fixed
 * binary fields: an executor whose hello says "compact": 1 is sent
 * commands this way and answers a compact command with a compact result.
 * Everything else stays JSON. */

/* Whether @msg has a compact form: a command (whose item, if any, holds
 * only "index", "name" and "frames" of their JSON types) or a result. */
gboolean fh_message_can_be_compact (const FhMessage *msg);

/* Whether @payload is a compact frame's (its first byte says so; JSON
 * payloads start with '{'). */
gboolean fh_message_payload_is_compact (const char *payload, gsize len);

/* Decodes a compact frame's payload, checking every field and that
 * nothing follows the last.  Errors are FH_PROTOCOL_ERROR naming the
 * field.  (transfer full) */
FhMessage *fh_message_parse_compact (const char *payload, gsize len, GError **error);

/* Frames @msg (fh_message_can_be_compact() must hold) onto @out. */
gboolean fh_message_append_compact_frame (const FhMessage *msg, GByteArray *out,
                                          GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhMessage, fh_message_free)

G_END_DECLS
