/* fh-job-items.c — a followed job's items for the farm UI (see the
 * header). */
#include "config.h"

#include "fh-job-items.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fh-error.h"
#include "fh-host-error.h"
#include "fh-job-status.h"
#include "fh-json.h"

/* One answer reads at most this much of a log: a live tail asks again
 * from where it stopped, so memory stays bounded however much a job
 * prints. */
#define LOG_CHUNK (4 << 20)
#define LOG_MAX_LINES 20000
/* "2026-11-23 15:48:07.204 " (fh-job-log.c) */
#define STAMP_LEN 24

/* Result members a grid cell's tooltip and the item list show. */
static const char *const summary_members[] = { "attempts", "class", "reason", "elapsed_s" };

static FhJobDir *
lookup (FhJobIndex *index, const char *id, GError **error)
{
  FhJobDir *dir = fh_job_index_lookup (index, id);

  if (dir == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no job '%s'", id);
  return dir;
}

/* Calls @func with each line of agenda.jsonl from @first, until it
 * returns FALSE. */
typedef gboolean (*AgendaFunc) (guint index, JsonObject *item, gpointer data);

static gboolean
foreach_agenda (FhJobDir *dir, guint first, AgendaFunc func, gpointer data, GError **error)
{
  g_autofree char *path = g_build_filename (fh_job_dir_get_path (dir), "agenda.jsonl", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, error);
  g_autoptr (GDataInputStream) lines = NULL;

  if (in == NULL)
    return FALSE;
  lines = g_data_input_stream_new (G_INPUT_STREAM (in));
  for (guint i = 0;; i++)
    {
      g_autoptr (GError) local = NULL;
      g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, &local);
      g_autoptr (JsonObject) item = NULL;

      if (line == NULL)
        return local == NULL || fh_propagate (error, &local);
      if (i < first)
        continue;
      if ((item = fh_json_parse_object (line, -1, &local)) == NULL)
        return fh_throw (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, "%s:%u: %s", path, i + 1,
                         local->message);
      if (!func (i, item, data))
        return TRUE;
    }
}

/* Sets "status", "progress" and "attempt"; returns the attempt. */
static guint
set_state (JsonObject *o, FhJobIndex *index, const char *id, guint i)
{
  double progress;
  guint attempt;
  FhGridState state = fh_job_index_item_state (index, id, i, &progress, &attempt);

  json_object_set_string_member (o, "status", fh_grid_state_name (state));
  if (progress >= 0)
    json_object_set_double_member (o, "progress", progress);
  json_object_set_int_member (o, "attempt", attempt);
  return attempt;
}

/* ---- a page of items ---------------------------------------------------- */

typedef struct
{
  FhJobIndex *index;
  const char *id;
  FhItemStates *states;
  guint end;
  JsonArray *items;
  GError *error;
} Page;

static void
copy_members (JsonObject *to, JsonObject *from, const char *const *names, guint n)
{
  for (guint m = 0; m < n; m++)
    if (json_object_has_member (from, names[m]))
      json_object_set_member (to, names[m], json_node_copy (json_object_get_member (from, names[m])));
}

static JsonArray *
outputs_of (JsonObject *result)
{
  JsonNode *n = json_object_get_member (result, "outputs");

  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static gboolean
page_item (guint i, JsonObject *item, gpointer data)
{
  Page *p = data;
  JsonObject *o;
  g_autoptr (JsonObject) result = NULL;
  static const char *const agenda_members[] = { "index", "name", "frames" };

  if (i >= p->end)
    return FALSE;
  o = json_object_new ();
  copy_members (o, item, agenda_members, G_N_ELEMENTS (agenda_members));
  set_state (o, p->index, p->id, i);
  if (fh_item_states_get (p->states, i) != FH_ITEM_PENDING &&
      (result = fh_item_states_read_result (p->states, i, &p->error)) == NULL)
    return FALSE;
  if (result != NULL)
    {
      JsonArray *outputs = outputs_of (result);
      copy_members (o, result, summary_members, G_N_ELEMENTS (summary_members));
      if (outputs != NULL)
        json_object_set_int_member (o, "n_outputs", json_array_get_length (outputs));
    }
  json_array_add_object_element (p->items, o);
  return TRUE;
}

JsonObject *
fh_job_items_page (FhJobIndex *index, const char *id, guint offset, guint limit, GError **error)
{
  FhJobDir *dir = lookup (index, id, error);
  FhItemStates *states = dir ? fh_job_index_get_states (index, id) : NULL;
  g_autoptr (JsonArray) items = json_array_new ();
  Page p = { .index = index, .id = id, .states = states, .items = items };
  JsonObject *out;

  if (states == NULL)
    return NULL;
  p.end = (guint) MIN ((guint64) offset + MIN (limit, FH_JOB_ITEMS_MAX_PAGE), fh_job_dir_get_n_items (dir));
  if (offset < p.end && !foreach_agenda (dir, offset, page_item, &p, error))
    return NULL;
  if (p.error != NULL)
    {
      g_propagate_error (error, p.error);
      return NULL;
    }
  out = json_object_new ();
  json_object_set_int_member (out, "total", fh_job_dir_get_n_items (dir));
  json_object_set_int_member (out, "offset", offset);
  json_object_set_array_member (out, "items", g_steal_pointer (&items));
  return out;
}

/* ---- one item ------------------------------------------------------------ */

typedef struct
{
  const char *name;
  gboolean only_first;
  guint index;
  JsonObject *item;
} Find;

static gboolean
find_item (guint i, JsonObject *item, gpointer data)
{
  Find *f = data;

  if (g_strcmp0 (json_object_get_string_member_with_default (item, "name", ""), f->name) != 0)
    return !f->only_first;
  f->index = i;
  f->item = json_object_ref (item);
  return FALSE;
}

/* The agenda line of the item named @name of job @id.  An open panel asks
 * about one item every second (its live log): the search starts where it
 * was found last, and only a miss parses the agenda from the top.
 * (transfer full) */
static JsonObject *
find (FhJobIndex *index, const char *id, FhJobDir *dir, const char *name, guint *at, GError **error)
{
  Find f = { .name = name, .only_first = TRUE };
  guint hint;

  if (fh_job_index_recall_item (index, id, name, &hint) && !foreach_agenda (dir, hint, find_item, &f, error))
    return NULL;
  f.only_first = FALSE;
  if (f.item == NULL && !foreach_agenda (dir, 0, find_item, &f, error))
    return NULL;
  if (f.item == NULL)
    return fh_throw_null (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "job %s has no item '%s'",
                          fh_job_dir_get_name (dir), name);
  fh_job_index_remember_item (index, id, name, f.index);
  *at = f.index;
  return f.item;
}

/* The result's outputs, each with its size now (null: missing). */
static void
size_outputs (JsonObject *result)
{
  JsonArray *outputs = outputs_of (result);

  for (guint i = 0; outputs != NULL && i < json_array_get_length (outputs); i++)
    {
      JsonObject *o = json_array_get_object_element (outputs, i);
      const char *path = o ? json_object_get_string_member_with_default (o, "path", NULL) : NULL;
      GStatBuf st;

      if (path == NULL)
        continue;
      if (g_stat (path, &st) == 0)
        json_object_set_int_member (o, "size_now", st.st_size);
      else
        json_object_set_null_member (o, "size_now");
    }
}

static JsonArray *
attempts_of (FhJobDir *dir, guint index, guint attempt)
{
  JsonArray *out = json_array_new ();

  for (guint a = 1; a <= attempt; a++)
    {
      g_autofree char *worker = fh_job_status_attempt_worker (dir, index, a);
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "attempt", a);
      if (worker != NULL)
        json_object_set_string_member (o, "worker", worker);
      else
        json_object_set_null_member (o, "worker");
      json_array_add_object_element (out, o);
    }
  return out;
}

JsonObject *
fh_job_items_detail (FhJobIndex *index, const char *id, const char *name, GError **error)
{
  FhJobDir *dir = lookup (index, id, error);
  FhItemStates *states = dir ? fh_job_index_get_states (index, id) : NULL;
  g_autoptr (JsonObject) out = NULL;
  JsonObject *result = NULL;
  guint i = 0, attempt;

  if (states == NULL || (out = find (index, id, dir, name, &i, error)) == NULL)
    return NULL;
  attempt = set_state (out, index, id, i);
  if (fh_item_states_get (states, i) != FH_ITEM_PENDING &&
      (result = fh_item_states_read_result (states, i, error)) == NULL)
    return NULL;
  if (result != NULL)
    {
      size_outputs (result);
      json_object_set_object_member (out, "result", result);
    }
  json_object_set_array_member (out, "attempts", attempts_of (dir, i, attempt));
  return g_steal_pointer (&out);
}

/* ---- an attempt's log ---------------------------------------------------- */

static const char *
stream_of (char mark)
{
  switch (mark)
    {
    case '|': return "stdout";
    case '!': return "stderr";
    case '*': return "farmhand";
    default: return "other";
    }
}

/* Line @line (@len bytes, no newline) if it belongs to item @name. */
static void
take_line (const char *line, gsize len, const char *name, JsonArray *lines)
{
  g_autofree char *marker = g_strdup_printf ("==== item %s ", name);
  gsize name_len = strlen (name);
  const char *rest = line + STAMP_LEN;
  gsize rest_len = len - STAMP_LEN;
  const char *stream;
  JsonObject *o;

  if (len < STAMP_LEN)
    return;
  if (rest_len > strlen (marker) && strncmp (rest, marker, strlen (marker)) == 0)
    {
      stream = "marker";
      rest += 5;
      rest_len -= 5;
    }
  else if (rest_len > name_len + 2 && strncmp (rest, name, name_len) == 0 && rest[name_len] == ' ')
    {
      gsize k = name_len;
      while (k < rest_len && rest[k] == ' ')
        k++;
      if (k + 1 >= rest_len)
        return;
      stream = stream_of (rest[k]);
      k += MIN (2, rest_len - k);
      rest += k;
      rest_len -= k;
    }
  else
    return;
  o = json_object_new ();
  fh_json_take_string (o, "time", g_strndup (line, STAMP_LEN - 1));
  json_object_set_string_member (o, "stream", stream);
  fh_json_take_string (o, "text", g_utf8_make_valid (rest, (gssize) rest_len));
  json_array_add_object_element (lines, o);
}

/* Reads whole lines of @path from @offset; *@next: where the next read
 * starts, *@more: whether the file holds more than was read. */
static JsonArray *
read_log (const char *path, const char *name, gint64 offset, gint64 *next, gboolean *more,
          GError **error)
{
  g_autofree char *buf = NULL;
  JsonArray *lines;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  ssize_t n;
  int saved;
  gsize start = 0;

  *next = offset;
  *more = FALSE;
  /* A worker that has not written its log yet has no lines. */
  if (fd < 0 && errno != ENOENT)
    return fh_throw_errno_null (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, errno, "reading %s", path);
  if (fd < 0)
    return json_array_new ();
  buf = g_malloc (LOG_CHUNK);
  n = pread (fd, buf, LOG_CHUNK, offset);
  saved = errno;
  close (fd);
  if (n < 0)
    return fh_throw_errno_null (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, saved, "reading %s", path);
  lines = json_array_new ();
  for (gsize i = 0; i < (gsize) n && json_array_get_length (lines) < LOG_MAX_LINES; i++)
    if (buf[i] == '\n')
      {
        take_line (buf + start, i - start, name, lines);
        start = i + 1;
      }
  *next = offset + (gint64) start;
  *more = n == LOG_CHUNK || json_array_get_length (lines) >= LOG_MAX_LINES;
  return lines;
}

JsonObject *
fh_job_items_log (FhJobIndex *index, const char *id, const char *name, guint attempt,
                  gint64 offset, GError **error)
{
  FhJobDir *dir = lookup (index, id, error);
  g_autoptr (JsonObject) item = NULL;
  g_autofree char *worker = NULL;
  g_autofree char *path = NULL;
  JsonObject *out;
  JsonArray *lines;
  double progress;
  gint64 next;
  gboolean more, running;
  guint i = 0, latest;

  if (dir == NULL || (item = find (index, id, dir, name, &i, error)) == NULL)
    return NULL;
  running = fh_job_index_item_state (index, id, i, &progress, &latest) == FH_GRID_RUNNING;
  if (attempt == 0)
    attempt = latest;
  out = json_object_new ();
  json_object_set_int_member (out, "attempt", attempt);
  json_object_set_boolean_member (out, "running", running && attempt == latest);
  if ((worker = fh_job_status_attempt_worker (dir, i, attempt)) == NULL)
    {
      json_object_set_array_member (out, "lines", json_array_new ());
      json_object_set_int_member (out, "offset", 0);
      json_object_set_boolean_member (out, "more", FALSE);
      return out;
    }
  /* A worker's name is a file name (farmhand writes no other), and a log
   * is read only from the job's logs/, whatever a claim file says. */
  if (strchr (worker, '/') != NULL || worker[0] == '.')
    {
      json_object_unref (out);
      return fh_throw_null (error, FH_HOST_ERROR, FH_HOST_ERROR_IO, "job %s: attempt %u names the worker '%s', "
                            "which is not a worker's name", id, attempt, worker);
    }
  path = fh_job_dir_log_path (dir, worker);
  if ((lines = read_log (path, name, offset, &next, &more, error)) == NULL)
    {
      json_object_unref (out);
      return NULL;
    }
  json_object_set_string_member (out, "worker", worker);
  json_object_set_array_member (out, "lines", lines);
  json_object_set_int_member (out, "offset", next);
  json_object_set_boolean_member (out, "more", more);
  return out;
}
