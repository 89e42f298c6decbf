/* fh-item-states.c — the ledgers, folded per item (see the header and
 * docs/jobdir.md). */
#include "config.h"

#include "fh-item-states.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fh-error.h"
#include "fh-job-dir.h"
#include "fh-json.h"

#define LEDGER_SUFFIX ".ledger"
#define RESULTS_SUFFIX ".results"
#define READ_CHUNK (1 << 20)
#define MAX_ATTEMPT G_MAXUINT16

/* Per item: what lines of its highest attempt say. */
enum {
  HAS_RESULT = 1 << 0,
  RESULT_FAILED = 1 << 1,
  SET_ASIDE = 1 << 2,
};

typedef struct
{
  char *writer;
  char *ledger;        /* path */
  char *results;       /* path */
  gint64 read;         /* bytes consumed (whole lines) */
  guint lines;         /* lines consumed, for messages */
} Ledger;

struct _FhItemStates
{
  char *dir;
  guint n_items;
  guint16 *attempt;
  guint8 *flags;
  /* With locations: the ledger (index into ledgers) and offset in its
   * results file of each accepted result. */
  guint16 *where;
  gint64 *offset;
  GPtrArray *ledgers;      /* Ledger* */
  GHashTable *by_writer;   /* writer → Ledger* */
};

static void
ledger_free (gpointer p)
{
  Ledger *l = p;

  g_free (l->writer);
  g_free (l->ledger);
  g_free (l->results);
  g_free (l);
}

FhItemStates *
fh_item_states_new (const char *ledgers_dir, guint n_items, gboolean locations)
{
  FhItemStates *self = g_new0 (FhItemStates, 1);

  self->dir = g_strdup (ledgers_dir);
  self->n_items = n_items;
  self->attempt = g_new0 (guint16, n_items);
  self->flags = g_new0 (guint8, n_items);
  if (locations)
    {
      self->where = g_new0 (guint16, n_items);
      self->offset = g_new0 (gint64, n_items);
    }
  self->ledgers = g_ptr_array_new_with_free_func (ledger_free);
  self->by_writer = g_hash_table_new (g_str_hash, g_str_equal);
  return self;
}

void
fh_item_states_free (FhItemStates *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_writer);
  g_ptr_array_unref (self->ledgers);
  g_free (self->attempt);
  g_free (self->flags);
  g_free (self->where);
  g_free (self->offset);
  g_free (self->dir);
  g_free (self);
}

static Ledger *
ledger_for (FhItemStates *self, const char *writer)
{
  Ledger *l = g_hash_table_lookup (self->by_writer, writer);
  g_autofree char *ledger_name = NULL;
  g_autofree char *results_name = NULL;

  if (l != NULL)
    return l;
  if (self->ledgers->len > G_MAXUINT16)
    return NULL;
  ledger_name = g_strconcat (writer, LEDGER_SUFFIX, NULL);
  results_name = g_strconcat (writer, RESULTS_SUFFIX, NULL);
  l = g_new0 (Ledger, 1);
  l->writer = g_strdup (writer);
  l->ledger = g_build_filename (self->dir, ledger_name, NULL);
  l->results = g_build_filename (self->dir, results_name, NULL);
  g_ptr_array_add (self->ledgers, l);
  g_hash_table_insert (self->by_writer, l->writer, l);
  return l;
}

/* ---- folding -------------------------------------------------------------- */

typedef enum { LINE_CLAIM, LINE_RESULT, LINE_RETRY } LineKind;

/* One line's effect: only the highest attempt counts. */
static void
apply (FhItemStates *self, guint index, guint attempt, LineKind kind, gboolean failed,
       guint16 where, gint64 offset)
{
  if (attempt < self->attempt[index])
    return;
  if (attempt > self->attempt[index])
    {
      self->attempt[index] = (guint16) attempt;
      self->flags[index] = 0;
    }
  if (kind == LINE_RETRY)
    self->flags[index] |= SET_ASIDE;
  else if (kind == LINE_RESULT)
    {
      self->flags[index] = (self->flags[index] & SET_ASIDE) | HAS_RESULT | (failed ? RESULT_FAILED : 0);
      if (self->where != NULL)
        {
          self->where[index] = where;
          self->offset[index] = offset;
        }
    }
}

static gboolean
parse_number (char **p, guint64 max, guint64 *out)
{
  char *end;

  while (**p == ' ')
    (*p)++;
  if (!g_ascii_isdigit (**p))
    return FALSE;
  *out = g_ascii_strtoull (*p, &end, 10);
  *p = end;
  return *out <= max;
}

/* "claim I A", "result I A complete|failed OFFSET", "retry I A". */
static gboolean
parse_line (FhItemStates *self, char *line, guint16 where)
{
  char *p = strchr (line, ' ');
  guint64 index, attempt, offset = 0;
  gboolean failed = FALSE;
  LineKind kind;

  if (p == NULL)
    return FALSE;
  *p = '\0';
  if (g_str_equal (line, "claim"))
    kind = LINE_CLAIM;
  else if (g_str_equal (line, "result"))
    kind = LINE_RESULT;
  else if (g_str_equal (line, "retry"))
    kind = LINE_RETRY;
  else
    return FALSE;
  p++;
  if (!parse_number (&p, self->n_items - 1, &index) || !parse_number (&p, MAX_ATTEMPT, &attempt) ||
      attempt == 0)
    return FALSE;
  if (kind == LINE_RESULT)
    {
      if (g_str_has_prefix (p, " failed "))
        failed = TRUE;
      else if (!g_str_has_prefix (p, " complete "))
        return FALSE;
      p += strlen (failed ? " failed" : " complete");
      if (!parse_number (&p, G_MAXINT64, &offset))
        return FALSE;
    }
  if (*p != '\0')
    return FALSE;
  apply (self, (guint) index, (guint) attempt, kind, failed, where, (gint64) offset);
  return TRUE;
}

/* Folds the whole lines in @buf (@len bytes); returns how many bytes they
 * took.  A last line without its newline waits for the next read. */
static gssize
parse_lines (FhItemStates *self, Ledger *l, guint16 where, char *buf, gsize len, GError **error)
{
  gsize used = 0;

  for (;;)
    {
      char *nl = memchr (buf + used, '\n', len - used);
      if (nl == NULL)
        return (gssize) used;
      *nl = '\0';
      l->lines++;
      if (!parse_line (self, buf + used, where))
        {
          g_set_error (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                       "%s:%u: not a ledger line", l->ledger, l->lines);
          return -1;
        }
      used = (gsize) (nl - buf) + 1;
    }
}

/* Reads what @l gained since the last look.  Opened anew each time: on a
 * shared filesystem a fresh open sees what the writer has flushed. */
static gboolean
read_ledger (FhItemStates *self, Ledger *l, guint16 where, GError **error)
{
  g_autofree char *buf = NULL;
  struct stat st;
  int fd = open (l->ledger, O_RDONLY | O_CLOEXEC);
  gboolean ok = TRUE;

  if (fd < 0)
    return errno == ENOENT ? TRUE
                           : fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno,
                                             "reading %s", l->ledger);
  if (fstat (fd, &st) == 0 && st.st_size > l->read)
    buf = g_malloc (READ_CHUNK);
  while (ok && buf != NULL && st.st_size > l->read)
    {
      gsize want = (gsize) MIN ((gint64) READ_CHUNK, st.st_size - l->read);
      ssize_t n = pread (fd, buf, want, l->read);
      gssize used;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          ok = n == 0 || fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno,
                                         "reading %s", l->ledger);
          break;
        }
      if ((used = parse_lines (self, l, where, buf, (gsize) n, error)) < 0)
        ok = FALSE;
      else if (used == 0 && (gsize) n == READ_CHUNK)
        ok = fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                       "%s:%u: a line longer than %d bytes", l->ledger, l->lines + 1, READ_CHUNK);
      else if (used == 0)
        break;  /* a line being written */
      l->read += used;
    }
  close (fd);
  return ok;
}

gboolean
fh_item_states_refresh (FhItemStates *self, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (self->dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *writer = NULL;
      if (!g_str_has_suffix (name, LEDGER_SUFFIX) || name[0] == '.')
        continue;
      writer = g_strndup (name, strlen (name) - strlen (LEDGER_SUFFIX));
      if (ledger_for (self, writer) == NULL)
        return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID,
                         "%s: more than %u ledgers", self->dir, G_MAXUINT16);
    }
  for (guint i = 0; i < self->ledgers->len; i++)
    if (!read_ledger (self, g_ptr_array_index (self->ledgers, i), (guint16) i, error))
      return FALSE;
  return TRUE;
}

gint64
fh_item_states_get_consumed (FhItemStates *self)
{
  gint64 n = self->ledgers->len;

  for (guint i = 0; i < self->ledgers->len; i++)
    n += ((Ledger *) g_ptr_array_index (self->ledgers, i))->read;
  return n;
}

gboolean
fh_item_states_refresh_one (FhItemStates *self, const char *writer, GError **error)
{
  Ledger *l = ledger_for (self, writer);
  guint where = 0;

  if (l == NULL)
    return TRUE;
  g_ptr_array_find (self->ledgers, l, &where);
  return read_ledger (self, l, (guint16) where, error);
}

FhItemState
fh_item_states_get (FhItemStates *self, guint index)
{
  guint8 f = self->flags[index];

  if ((f & SET_ASIDE) || !(f & HAS_RESULT))
    return FH_ITEM_PENDING;
  return (f & RESULT_FAILED) ? FH_ITEM_FAILED : FH_ITEM_COMPLETE;
}

guint
fh_item_states_get_attempt (FhItemStates *self, guint index)
{
  return self->attempt[index];
}

guint
fh_item_states_count (FhItemStates *self, FhItemState state)
{
  guint n = 0;

  for (guint i = 0; i < self->n_items; i++)
    n += fh_item_states_get (self, i) == state;
  return n;
}

void
fh_item_states_note_claim (FhItemStates *self, guint index, guint attempt)
{
  apply (self, index, attempt, LINE_CLAIM, FALSE, 0, 0);
}

void
fh_item_states_note_result (FhItemStates *self, guint index, guint attempt, gboolean ok)
{
  /* No location: only a reader made with them reads results back. */
  if (self->where == NULL)
    apply (self, index, attempt, LINE_RESULT, !ok, 0, 0);
}

/* The JSON line at @offset of @path.  (transfer full) */
static JsonObject *
read_line_at (const char *path, gint64 offset, GError **error)
{
  g_autoptr (GString) line = g_string_new (NULL);
  g_autoptr (GError) local = NULL;
  char buf[65536];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  JsonObject *o;

  if (fd < 0)
    return fh_throw_errno_null (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "reading %s", path);
  for (;;)
    {
      ssize_t n = pread (fd, buf, sizeof buf, offset + (gint64) line->len);
      char *nl;
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      if ((nl = memchr (buf, '\n', (gsize) n)) != NULL)
        {
          g_string_append_len (line, buf, nl - buf);
          break;
        }
      g_string_append_len (line, buf, n);
    }
  close (fd);
  if ((o = fh_json_parse_object (line->str, (gssize) line->len, &local)) == NULL)
    g_set_error (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID, "%s at byte %" G_GINT64_FORMAT
                 ": %s", path, offset, local->message);
  return o;
}

JsonObject *
fh_item_states_read_result (FhItemStates *self, guint index, GError **error)
{
  Ledger *l;

  if (self->where == NULL || fh_item_states_get (self, index) == FH_ITEM_PENDING)
    return NULL;
  l = g_ptr_array_index (self->ledgers, self->where[index]);
  return read_line_at (l->results, self->offset[index], error);
}
