/* fh-claims.c — one worker's claims in a job directory (see the header;
 * the rules are docs/jobdir.md's). */
#include "config.h"

#include "fh-claims.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fh-error.h"
#include "fh-job-dir-private.h"
#include "fh-ledger.h"

struct _FhClaims
{
  FhJobDir *dir;          /* borrowed */
  char *worker;
  char *instance;
  FhLedger *ledger;
  FhItemStates *states;   /* the ledgers as this worker last read them */
  guint first, end;       /* the items it claims from: [first, end) */
  guint cursor;           /* fresh items: below it, all have been tried */
  GHashTable *cursors;    /* first + 1 → cursor of each range left: a
                             range taken from again goes on where it was */
  gint64 last_sweep;      /* monotonic µs of the last look for take-overs */
  GHashTable *held;       /* item index + 1 → attempt: our claims in this
                             life without a result yet */
  int hint_fd;            /* claims/next (claims/next.FIRST for a range) */
  char *identity;         /* claims/.ids/W.N: our name, hard-linked as
                             each claim */
  guint identity_gen;     /* N: a new one when a file has too many links */
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhClaims, fh_claims_free)

/* A file holding our name, which every claim of ours is a hard link to:
 * a claim is created with its name in it, in one atomic operation. */
static gboolean
make_identity (FhClaims *self, GError **error)
{
  g_autofree char *ids = fh_job_dir_child (self->dir, "claims/.ids");
  g_autofree char *name = g_strdup_printf ("%s.%u", self->worker, self->identity_gen);
  g_autofree char *text = g_strconcat (self->worker, "\n", NULL);

  g_free (self->identity);
  self->identity = g_build_filename (ids, name, NULL);
  if (!fh_job_dir_make_dir (ids, error))
    return FALSE;
  if (!g_file_set_contents (self->identity, text, -1, error))
    return FALSE;
  return TRUE;
}

/* The hint of the range [@first, @end): claims/next for the whole agenda
 * (made with the directory), claims/next.FIRST for a step's. */
static gboolean
open_hint (FhClaims *self, guint first, guint end, GError **error)
{
  g_autofree char *name = first == 0 && end == self->dir->n_items ? g_strdup ("claims/next")
                                                                   : g_strdup_printf ("claims/next.%u", first);
  g_autofree char *hint = fh_job_dir_child (self->dir, name);
  int fd = open (hint, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0)
    return fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "opening %s", hint);
  if (self->hint_fd >= 0)
    close (self->hint_fd);
  self->hint_fd = fd;
  return TRUE;
}

FhClaims *
fh_claims_new (FhJobDir *dir, const char *worker, const char *instance, GError **error)
{
  g_autoptr (FhClaims) self = g_new0 (FhClaims, 1);
  g_autofree char *ledgers = fh_job_dir_child (dir, "ledgers");

  self->dir = dir;
  self->hint_fd = -1;
  self->end = dir->n_items;
  self->worker = g_strdup (worker);
  self->instance = g_strdup (instance);
  if (!make_identity (self, error) ||
      (self->ledger = fh_ledger_open (ledgers, worker, error)) == NULL || !open_hint (self, 0, self->end, error))
    return NULL;
  self->states = fh_item_states_new (ledgers, dir->n_items, FALSE);
  self->held = g_hash_table_new (NULL, NULL);
  self->cursors = g_hash_table_new (NULL, NULL);
  self->last_sweep = g_get_monotonic_time ();
  return g_steal_pointer (&self);
}

gboolean
fh_claims_set_range (FhClaims *self, guint first, guint n, GError **error)
{
  g_return_val_if_fail (first + (guint64) n <= self->dir->n_items, FALSE);
  if (first == self->first && first + n == self->end)
    return TRUE;
  if (!open_hint (self, first, first + n, error))
    return FALSE;
  g_hash_table_insert (self->cursors, GUINT_TO_POINTER (self->first + 1), GUINT_TO_POINTER (self->cursor));
  self->cursor = GPOINTER_TO_UINT (g_hash_table_lookup (self->cursors, GUINT_TO_POINTER (first + 1)));
  self->cursor = MAX (self->cursor, first);
  self->first = first;
  self->end = first + n;
  return TRUE;
}

gboolean
fh_claims_count (FhClaims *self, guint first, guint n, guint *complete, guint *failed, GError **error)
{
  g_return_val_if_fail (first + (guint64) n <= self->dir->n_items, FALSE);
  *complete = *failed = 0;
  if (!fh_item_states_refresh (self->states, error))
    return FALSE;
  for (guint i = first; i < first + n; i++)
    switch (fh_item_states_get (self->states, i))
      {
      case FH_ITEM_COMPLETE:
        (*complete)++;
        break;
      case FH_ITEM_FAILED:
        (*failed)++;
        break;
      case FH_ITEM_PENDING:
      default:
        break;
      }
  return TRUE;
}

void
fh_claims_free (FhClaims *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->ledger, fh_ledger_free);
  g_clear_pointer (&self->states, fh_item_states_free);
  g_clear_pointer (&self->held, g_hash_table_unref);
  g_clear_pointer (&self->cursors, g_hash_table_unref);
  if (self->hint_fd >= 0)
    close (self->hint_fd);
  g_free (self->worker);
  g_free (self->instance);
  g_free (self->identity);
  g_free (self);
}

gboolean
fh_claims_sync (FhClaims *self, GError **error)
{
  return self->ledger == NULL || fh_ledger_sync (self->ledger, error);
}

gboolean
fh_claims_heartbeat (FhClaims *self, JsonObject *state, GError **error)
{
  g_autofree char *path = fh_job_dir_worker_path (self->dir, self->worker);
  g_autofree char *when = fh_job_dir_now_iso ();
  gboolean last = fh_job_dir_final_state (json_object_get_string_member_with_default (state, "state", NULL));

  /* Whoever reads a final state must find every result: the ledger goes
   * to disk first.  Other beats never wait for a disk: with hundreds of
   * workers syncing, a beat could wait past the lease. */
  if (last && !fh_claims_sync (self, error))
    return FALSE;
  json_object_set_string_member (state, "worker", self->worker);
  json_object_set_string_member (state, "instance", self->instance);
  json_object_set_string_member (state, "updated", when);
  if (fh_job_dir_write_json (path, state, FALSE, error))
    return TRUE;
  /* A worker that cannot say it ended (a full disk) removes its heartbeat
   * (which needs no room): without one it is not alive, and what it held
   * is taken over at once rather than after a lease. */
  if (last)
    g_unlink (path);
  return FALSE;
}

/* ---- claims ---------------------------------------------------------------- */

typedef enum {
  CLAIM_WON,       /* it is ours */
  CLAIM_TAKEN,     /* someone else holds it */
  CLAIM_NONE,      /* nothing to claim: it has a result after all */
  CLAIM_FAILED,    /* an error */
} ClaimOutcome;

/* Whether @path is our identity file under another name: a link(2)
 * whose reply was lost and whose retry (NFS) said EEXIST made it. */
static gboolean
is_ours (FhClaims *self, const char *path)
{
  struct stat a, b;

  return stat (path, &a) == 0 && stat (self->identity, &b) == 0 && a.st_ino == b.st_ino &&
         a.st_dev == b.st_dev;
}

/* Attempt @attempt at item @index: a hard link of our identity file, so
 * the claim is made, exclusively and atomically, with our name in it. */
static ClaimOutcome
try_claim (FhClaims *self, guint index, guint attempt, GError **error)
{
  g_autofree char *path = fh_job_dir_claim_path (self->dir, index, attempt);

  for (;;)
    {
      if (link (self->identity, path) == 0)
        break;
      /* Ours, and not one we already run or ran: the lost reply's. */
      if (errno == EEXIST && is_ours (self, path))
        {
          if (g_hash_table_contains (self->held, GUINT_TO_POINTER (index + 1)))
            return CLAIM_TAKEN;
          if (fh_item_states_get (self->states, index) != FH_ITEM_PENDING)
            return CLAIM_NONE;
          break;
        }
      if (errno == EEXIST)
        return CLAIM_TAKEN;
      /* ext4 allows 65,000 links to a file: a new identity file. */
      if (errno == EMLINK)
        {
          self->identity_gen++;
          if (make_identity (self, error))
            continue;
          return CLAIM_FAILED;
        }
      fh_throw_errno (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_IO, errno, "claiming %s", path);
      return CLAIM_FAILED;
    }
  g_hash_table_insert (self->held, GUINT_TO_POINTER (index + 1), GUINT_TO_POINTER (attempt));
  return CLAIM_WON;
}

static gboolean
claim_exists (FhClaims *self, guint index, guint attempt)
{
  g_autofree char *path = fh_job_dir_claim_path (self->dir, index, attempt);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
fh_claims_superseded (FhClaims *self, guint index, guint attempt)
{
  return claim_exists (self, index, attempt + 1);
}

static guint
read_hint (FhClaims *self)
{
  char buf[16];
  ssize_t n = pread (self->hint_fd, buf, sizeof buf - 1, 0);

  if (n <= 0)
    return 0;
  buf[n] = '\0';
  return (guint) CLAMP (g_ascii_strtoull (buf, NULL, 10), self->first, self->end);
}

/* After item @taken turned out claimed: where the first unclaimed item is
 * likely to be.  From the hint or @taken, gallop (1, 2, 4, ... ahead) to an
 * unclaimed item and bisect back to the first one — O(log gap) stats
 * however many items are taken.  Concurrent claims can leave an item
 * behind; the take-over sweep finds it. */
static guint
next_fresh (FhClaims *self, guint taken)
{
  guint hint = read_hint (self);
  guint lo, hi;

  if (hint > taken + 1)
    taken = hint - 1;
  for (guint step = 1;; step *= 2)
    {
      hi = MIN ((guint64) taken + step, self->end);
      if (hi >= self->end || !claim_exists (self, hi, 1))
        break;
      taken = hi;
    }
  lo = taken + 1;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (claim_exists (self, mid, 1))
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* A fresh item (attempt 1) at or after the cursor.  FALSE without @error
 * when the agenda is claimed to its end. */
static gboolean
claim_fresh (FhClaims *self, guint *index, GError **error)
{
  guint i = self->cursor;

  while (i < self->end)
    {
      switch (try_claim (self, i, 1, error))
        {
        case CLAIM_WON:
          self->cursor = i + 1;
          /* A hint only: a stale or torn one costs a few more probes. */
          fh_job_dir_write_hint (self->dir, self->hint_fd, i + 1);
          *index = i;
          return TRUE;
        case CLAIM_FAILED:
          return FALSE;
        case CLAIM_TAKEN:
        case CLAIM_NONE:
        default:
          i = next_fresh (self, i);
          break;
        }
    }
  self->cursor = self->end;
  return FALSE;
}

/* Whether the claim (@index, @attempt) still holds: its owner lives.  A
 * claim whose name cannot be read (farmhand writes none such, a damaged
 * file might be one) holds while younger than the lease.  A claim of our own name that we did not
 * make in this life is left from an earlier one (a requeued task): it
 * does not hold. */
static gboolean
claim_holds (FhClaims *self, guint index, guint attempt, gint64 now, GHashTable *alive)
{
  const char *owner = fh_job_dir_owner_of (self->dir, index, attempt);
  g_autofree char *path = NULL;
  gint64 mtime;

  if (owner == NULL)
    {
      path = fh_job_dir_claim_path (self->dir, index, attempt);
      return fh_job_dir_mtime_of (path, &mtime) && fh_job_dir_age_s (mtime, now) <= self->dir->lease_s;
    }
  if (g_strcmp0 (owner, self->worker) == 0)
    return GPOINTER_TO_UINT (g_hash_table_lookup (self->held, GUINT_TO_POINTER (index + 1))) == attempt;
  return fh_job_dir_worker_alive (self->dir, owner, now, alive);
}

/* The highest claim at item @index: the ledgers know @known (0: none);
 * later claims may not be in them yet. */
static guint
highest_claim (FhClaims *self, guint index, guint known)
{
  guint a = MAX (known, 1);

  if (known == 0 && !claim_exists (self, index, 1))
    return 0;
  while (claim_exists (self, index, a + 1))
    a++;
  return a;
}

/* Item @index has no result: claim it if its claim does not hold. */
static ClaimOutcome
try_take_over (FhClaims *self, guint index, guint *attempt, gint64 now, GHashTable *alive,
               GError **error)
{
  guint a = highest_claim (self, index, fh_item_states_get_attempt (self->states, index));
  const char *owner;
  ClaimOutcome won;

  if (a > 0 && claim_holds (self, index, a, now, alive))
    return CLAIM_TAKEN;
  /* Its owner may have finished it just now: read its ledger once more. */
  if (a > 0 && (owner = fh_job_dir_owner_of (self->dir, index, a)) != NULL &&
      !fh_item_states_refresh_one (self->states, owner, error))
    return CLAIM_FAILED;
  if (fh_item_states_get (self->states, index) != FH_ITEM_PENDING)
    return CLAIM_NONE;
  if (fh_item_states_get_attempt (self->states, index) > a)
    return CLAIM_TAKEN;
  if ((won = try_claim (self, index, a + 1, error)) != CLAIM_WON)
    return won;
  *attempt = a + 1;
  fh_item_states_note_claim (self->states, index, a + 1);
  if (a > 0 && !fh_ledger_add_claim (self->ledger, index, a + 1, error))
    return CLAIM_FAILED;
  return CLAIM_WON;
}

/* Items of the range below @frontier without a result: take over the
 * first whose worker is gone (or that nobody claimed). */
static gboolean
sweep (FhClaims *self, guint frontier, guint *index, guint *attempt, gboolean *others_running,
       GError **error)
{
  g_autoptr (GHashTable) alive = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 now;

  self->last_sweep = g_get_monotonic_time ();
  if (!fh_item_states_refresh (self->states, error))
    return FALSE;
  now = fh_job_dir_now_ns (self->dir);
  for (guint i = self->first; i < frontier; i++)
    {
      if (fh_item_states_get (self->states, i) != FH_ITEM_PENDING)
        continue;
      switch (try_take_over (self, i, attempt, now, alive, error))
        {
        case CLAIM_WON:
          *index = i;
          return TRUE;
        case CLAIM_FAILED:
          return FALSE;
        case CLAIM_NONE:
          break;
        case CLAIM_TAKEN:
        default:
          *others_running = TRUE;
          break;
        }
    }
  return FALSE;
}

gboolean
fh_claims_take (FhClaims *self, guint *index, guint *attempt, gboolean *others_running,
                  GError **error)
{
  g_autoptr (GError) local = NULL;
  gboolean fresh_left = self->cursor < self->end;
  gboolean due = g_get_monotonic_time () - self->last_sweep > (gint64) (self->dir->lease_s * G_USEC_PER_SEC);

  *others_running = FALSE;
  /* Once a lease, items of gone workers before fresh ones. */
  if (fresh_left && due)
    {
      if (sweep (self, self->cursor, index, attempt, others_running, &local))
        return TRUE;
      if (local != NULL)
        return fh_propagate (error, &local);
    }
  if (fresh_left)
    {
      if (claim_fresh (self, index, &local))
        {
          *attempt = 1;
          return TRUE;
        }
      if (local != NULL)
        return fh_propagate (error, &local);
    }
  /* The agenda is claimed to its end: every item without a result. */
  *others_running = FALSE;
  if (sweep (self, self->end, index, attempt, others_running, &local))
    return TRUE;
  if (local != NULL)
    return fh_propagate (error, &local);
  return FALSE;
}

gboolean
fh_claims_write_result (FhClaims *self, guint index, guint attempt, JsonObject *result,
                         GError **error)
{
  gint64 runs = json_object_get_int_member_with_default (result, "attempts", 1);
  gboolean ok = g_strcmp0 (json_object_get_string_member_with_default (result, "status", ""),
                           "complete") == 0;

  /* Fencing: a newer attempt owns the item; ours must not count. */
  if (fh_claims_superseded (self, index, attempt))
    return fh_throw (error, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_SUPERSEDED,
                     "item %u was taken over by attempt %u while this worker ran attempt %u "
                     "(its heartbeat went stale): the result is discarded", index, attempt + 1, attempt);
  json_object_set_int_member (result, "attempts", runs + (attempt - 1));
  json_object_set_string_member (result, "worker", self->worker);
  if (!fh_ledger_add_result (self->ledger, index, attempt, result, error))
    return FALSE;
  g_hash_table_remove (self->held, GUINT_TO_POINTER (index + 1));
  fh_item_states_note_result (self->states, index, attempt, ok);
  return TRUE;
}
