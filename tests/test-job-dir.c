/* test-job-dir.c — the job directory's protocol in one process, with a
 * clock the test sets (docs/jobdir.md): fresh claims, galloping past
 * taken items, holes, claims that hold and claims taken over (a stale
 * heartbeat, a final one, a nameless claim, a claim of one's own name),
 * fencing of a stale attempt's result, the ledger folding in any order,
 * status, resume, worker names.  No sleeps: ages come from modification
 * times the test writes (utimensat) against the clock it sets. */
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "fh-item-states.h"
#include "fh-claims.h"
#include "fh-job-dir.h"
#include "fh-job-status.h"
#include "fh-test-utils.h"

#define LEASE 10.0
#define NS 1000000000LL

typedef struct
{
  char *tmp;
  char *path;
  gint64 now;                  /* what the clock says, ns */
  struct Worker *a, *b;        /* two workers on one job */
  /* A hook the clock runs once (to act between a sweep's reads). */
  void (*on_clock) (gpointer);
  gpointer on_clock_data;
} Fixture;

static gint64
test_clock (gpointer data)
{
  Fixture *fx = data;

  if (fx->on_clock != NULL)
    {
      void (*hook) (gpointer) = fx->on_clock;
      fx->on_clock = NULL;
      hook (fx->on_clock_data);
    }
  return fx->now;
}

static gboolean
agenda_line (guint index, GString *line, gpointer data, GError **error)
{
  g_string_append_printf (line, "{\"index\":%u,\"name\":\"%u\"}", index, index + 1);
  return TRUE;
}

/* A reader of the job directory: no worker name. */
static FhJobDir *
open_as (Fixture *fx, const char *unused)
{
  g_autoptr (GError) err = NULL;
  FhJobDir *dir = fh_job_dir_open (fx->path, &err);

  g_assert_no_error (err);
  fh_job_dir_set_clock (dir, test_clock, fx);
  return dir;
}

/* A worker: its view of the directory and its claims there. */
typedef struct Worker
{
  FhJobDir *dir;
  FhClaims *claims;
} Worker;

static Worker *
worker_open (Fixture *fx, const char *name)
{
  g_autoptr (GError) err = NULL;
  g_autofree char *instance = g_strdup_printf ("test:%s:%p", name, (void *) fx);
  Worker *w = g_new0 (Worker, 1);

  w->dir = open_as (fx, NULL);
  w->claims = fh_claims_new (w->dir, name, instance, &err);
  g_assert_no_error (err);
  return w;
}

static void
worker_free (Worker *w)
{
  if (w == NULL)
    return;
  fh_claims_free (w->claims);
  fh_job_dir_free (w->dir);
  g_free (w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Worker, worker_free)

static void
make_job (Fixture *fx, guint n_items)
{
  FhJobDirJob job = { .name = "t", .source = "/nowhere/job.json", .text = "{}",
                      .n_items = n_items, .agenda = agenda_line };
  FhJobDirOptions opts = { .lease_s = LEASE };
  g_autoptr (GError) err = NULL;
  g_autoptr (FhJobDir) made = fh_job_dir_create (fx->path, &job, &opts, &err);

  g_assert_no_error (err);
  fx->a = worker_open (fx, "a");
  fx->b = worker_open (fx, "b");
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  fx->tmp = fh_test_mkdtemp ();
  fx->path = g_build_filename (fx->tmp, "job", NULL);
  fx->now = g_get_real_time () * 1000;
  make_job (fx, GPOINTER_TO_UINT (data) ? GPOINTER_TO_UINT (data) : 5);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_clear_pointer (&fx->a, worker_free);
  g_clear_pointer (&fx->b, worker_free);
  fh_test_rmtree (fx->tmp);
  g_free (fx->tmp);
  g_free (fx->path);
}

/* Sets @path's modification time to @ns. */
static void
set_mtime (const char *path, gint64 ns)
{
  struct timespec t[2] = { { ns / NS, ns % NS }, { ns / NS, ns % NS } };

  g_assert_cmpint (utimensat (AT_FDCWD, path, t, 0), ==, 0);
}

/* @dir's worker beats in @state, stamped @age_s seconds before now
 * (negative: after it). */
static void
beat (Fixture *fx, Worker *w, const char *worker, const char *state, double age_s, gint64 index)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autoptr (GError) err = NULL;
  g_autofree char *name = g_strdup_printf ("workers/%s.json", worker);
  g_autofree char *path = g_build_filename (fx->path, name, NULL);

  json_object_set_string_member (o, "state", state);
  json_object_set_string_member (o, "host", "elsewhere");
  json_object_set_int_member (o, "pid", 1);
  if (index >= 0)
    json_object_set_int_member (o, "index", index);
  g_assert_true (fh_claims_heartbeat (w->claims, o, &err));
  g_assert_no_error (err);
  set_mtime (path, fx->now - (gint64) (age_s * NS));
}

static gboolean
claim (Worker *w, guint *index, guint *attempt, gboolean *others)
{
  g_autoptr (GError) err = NULL;
  gboolean got = fh_claims_take (w->claims, index, attempt, others, &err);

  g_assert_no_error (err);
  return got;
}

static void
assert_claims (Worker *dir, guint want_index, guint want_attempt)
{
  guint index = G_MAXUINT, attempt = 0;
  gboolean others;

  g_assert_true (claim (dir, &index, &attempt, &others));
  g_assert_cmpuint (index, ==, want_index);
  g_assert_cmpuint (attempt, ==, want_attempt);
}

static void
assert_nothing (Worker *dir, gboolean want_others)
{
  guint index, attempt;
  gboolean others = !want_others;

  g_assert_false (claim (dir, &index, &attempt, &others));
  g_assert_cmpint (others, ==, want_others);
}

static void
finish (Worker *w, guint index, guint attempt, gboolean ok)
{
  g_autoptr (JsonObject) r = json_object_new ();
  g_autoptr (GError) err = NULL;

  json_object_set_int_member (r, "index", index);
  json_object_set_string_member (r, "status", ok ? "complete" : "failed");
  g_assert_true (fh_claims_write_result (w->claims, index, attempt, r, &err));
  g_assert_no_error (err);
}

static FhJobStatus
counts (Fixture *fx)
{
  g_autoptr (FhJobDir) reader = open_as (fx, NULL);
  g_autoptr (GError) err = NULL;
  FhJobStatus c = { 0 };

  g_assert_true (fh_job_status_read (reader, &c, NULL, NULL, 0, &err));
  g_assert_no_error (err);
  /* The counts only. */
  fh_job_status_clear (&c);
  return c;
}

static char *
claim_file (Fixture *fx, guint index, guint attempt)
{
  return fh_test_claim_path (fx->path, index, attempt);
}

/* ---- fresh claims ---------------------------------------------------------- */

static void
test_fresh_in_order (Fixture *fx, gconstpointer data)
{
  beat (fx, fx->a, "a", "working", 0, -1);
  beat (fx, fx->b, "b", "working", 0, -1);
  assert_claims (fx->a, 0, 1);
  assert_claims (fx->b, 1, 1);
  assert_claims (fx->a, 2, 1);
  assert_claims (fx->a, 3, 1);
  /* b's cursor is behind: the hint and the gallop take it past 2 and 3. */
  assert_claims (fx->b, 4, 1);
  /* Everything is claimed by live workers: wait for them. */
  assert_nothing (fx->a, TRUE);
  for (guint i = 0; i < 5; i++)
    finish (i == 1 || i == 4 ? fx->b : fx->a, i, 1, TRUE);
  assert_nothing (fx->a, FALSE);
  g_assert_cmpuint (counts (fx).complete, ==, 5);
}

static void
set_range (Worker *w, guint first, guint n)
{
  g_autoptr (GError) err = NULL;

  g_assert_true (fh_claims_set_range (w->claims, first, n, &err));
  g_assert_no_error (err);
}

/* A worker going back to a step's range must not take again what it took
 * there: its claims are its own, but not new (a 10,000-task OpenJD job
 * once ran three tasks twice so). */
static void
test_ranges_go_on (Fixture *fx, gconstpointer data)
{
  beat (fx, fx->a, "a", "working", 0, -1);
  set_range (fx->a, 0, 3);
  assert_claims (fx->a, 0, 1);
  set_range (fx->a, 3, 2);
  assert_claims (fx->a, 3, 1);
  finish (fx->a, 3, 1, TRUE);
  /* 0 is held, not finished: the next fresh one is 1. */
  set_range (fx->a, 0, 3);
  assert_claims (fx->a, 1, 1);
  assert_claims (fx->a, 2, 1);
  for (guint i = 0; i < 3; i++)
    finish (fx->a, i, 1, TRUE);
  assert_nothing (fx->a, FALSE);
  set_range (fx->a, 3, 2);
  assert_claims (fx->a, 4, 1);
  finish (fx->a, 4, 1, TRUE);
  assert_nothing (fx->a, FALSE);
  set_range (fx->a, 0, 3);
  assert_nothing (fx->a, FALSE);
  g_assert_cmpuint (counts (fx).complete, ==, 5);
}

static void
test_gallop_and_hole (Fixture *fx, gconstpointer data)
{
  /* Items 0-99 claimed by someone else, but for 42 (a hole two racing
   * workers both skipped); the hint is stale. */
  beat (fx, fx->a, "a", "working", 0, -1);
  beat (fx, fx->b, "b", "working", 0, -1);
  for (guint i = 0; i < 100; i++)
    if (i != 42)
      {
        g_autofree char *path = claim_file (fx, i, 1);
        g_assert_true (g_file_set_contents (path, "a\n", -1, NULL));
      }
  /* b gallops and bisects to the first unclaimed item after the run. */
  assert_claims (fx->b, 100, 1);
  for (guint i = 101; i < 1000; i++)
    assert_claims (fx->b, i, 1);
  /* The agenda is claimed to its end: the sweep finds the hole. */
  assert_claims (fx->b, 42, 1);
  assert_nothing (fx->b, TRUE);
}

/* ---- take-overs ------------------------------------------------------------ */

static void
test_live_claim_holds (Fixture *fx, gconstpointer data)
{
  beat (fx, fx->a, "a", "working", 0, 0);
  beat (fx, fx->b, "b", "working", 0, -1);
  assert_claims (fx->a, 0, 1);
  for (guint i = 1; i < 5; i++)
    assert_claims (fx->b, i, 1);
  /* a beats just under the lease ago: alive. */
  beat (fx, fx->a, "a", "working", LEASE - 0.5, 0);
  assert_nothing (fx->b, TRUE);
}

static void
test_heartbeat_after_now_is_fresh (Fixture *fx, gconstpointer data)
{
  /* The race of issue 13: a heartbeat stamped after the reader's "now"
   * (it was rewritten while the reader looked) has a negative age, which
   * was taken for "no heartbeat": a live worker's item was run twice. */
  beat (fx, fx->a, "a", "working", 0, 0);
  beat (fx, fx->b, "b", "working", 0, -1);
  assert_claims (fx->a, 0, 1);
  for (guint i = 1; i < 5; i++)
    assert_claims (fx->b, i, 1);
  beat (fx, fx->a, "a", "working", -0.5, 0);
  assert_nothing (fx->b, TRUE);
}

static void
test_stale_heartbeat_taken_over (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) runs = NULL;
  g_autofree char *ledger = NULL;
  g_autofree char *text = NULL;

  beat (fx, fx->a, "a", "working", 0, 0);
  beat (fx, fx->b, "b", "working", 0, -1);
  assert_claims (fx->a, 0, 1);
  for (guint i = 1; i < 5; i++)
    assert_claims (fx->b, i, 1);
  /* a stopped beating a lease ago (frozen, or its node lost). */
  beat (fx, fx->a, "a", "working", LEASE + 0.5, 0);
  assert_claims (fx->b, 0, 2);
  ledger = g_build_filename (fx->path, "ledgers", "b.ledger", NULL);
  text = fh_test_read (ledger);
  g_assert_nonnull (strstr (text, "claim 0 2\n"));
  /* Fencing: a wakes, its result is refused; b's counts. */
  g_assert_true (fh_claims_superseded (fx->a->claims, 0, 1));
  {
    g_autoptr (JsonObject) r = json_object_new ();
    json_object_set_string_member (r, "status", "complete");
    g_assert_false (fh_claims_write_result (fx->a->claims, 0, 1, r, &err));
    g_assert_error (err, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_SUPERSEDED);
  }
  finish (fx->b, 0, 2, TRUE);
  g_assert_cmpuint (counts (fx).complete, ==, 1);
}

static void
test_final_heartbeat_taken_over (Fixture *fx, gconstpointer data)
{
  beat (fx, fx->b, "b", "working", 0, -1);
  assert_claims (fx->a, 0, 1);
  for (guint i = 1; i < 5; i++)
    assert_claims (fx->b, i, 1);
  /* a said it ended (failed at setup, say) with a claim and no result. */
  beat (fx, fx->a, "a", "failed", 0, -1);
  assert_claims (fx->b, 0, 2);
}

static void
finish_for_a (gpointer data)
{
  Fixture *fx = data;

  finish (fx->a, 0, 1, TRUE);
}

static void
test_owner_finished_meanwhile (Fixture *fx, gconstpointer data)
{
  beat (fx, fx->b, "b", "working", 0, -1);
  assert_claims (fx->a, 0, 1);
  for (guint i = 1; i < 5; i++)
    {
      assert_claims (fx->b, i, 1);
      finish (fx->b, i, 1, TRUE);
    }
  beat (fx, fx->a, "a", "working", LEASE + 1, 0);
  /* a's result lands between b's reading of the ledgers and its verdict:
   * b reads a's ledger once more before taking anything over. */
  fx->on_clock = finish_for_a;
  fx->on_clock_data = fx;
  assert_nothing (fx->b, FALSE);
  g_assert_false (fh_claims_superseded (fx->a->claims, 0, 1));
}

static void
test_nameless_claim (Fixture *fx, gconstpointer data)
{
  g_autofree char *path = claim_file (fx, 0, 1);

  /* A claim whose owner is between open() and write(): it holds while
   * younger than the lease, then it is abandoned. */
  beat (fx, fx->b, "b", "working", 0, -1);
  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  set_mtime (path, fx->now - 1 * NS);
  for (guint i = 1; i < 5; i++)
    assert_claims (fx->b, i, 1);
  assert_nothing (fx->b, TRUE);
  set_mtime (path, fx->now - (gint64) ((LEASE + 1) * NS));
  assert_claims (fx->b, 0, 2);
}

static void
test_own_name_restarted (Fixture *fx, gconstpointer data)
{
  g_autoptr (Worker) again = NULL;

  beat (fx, fx->a, "a", "working", 0, 0);
  assert_claims (fx->a, 0, 1);
  for (guint i = 1; i < 5; i++)
    assert_claims (fx->b, i, 1);
  /* a is restarted under its name (its heartbeat still fresh): its old
   * claim is its own, left from its earlier life. */
  g_clear_pointer (&fx->a, worker_free);
  again = worker_open (fx, "a");
  assert_claims (again, 0, 2);
}

/* ---- the ledgers ----------------------------------------------------------- */

static void
write_ledger (Fixture *fx, const char *writer, const char *lines)
{
  g_autofree char *name = g_strdup_printf ("%s.ledger", writer);
  g_autofree char *path = g_build_filename (fx->path, "ledgers", name, NULL);

  g_assert_true (g_file_set_contents (path, lines, -1, NULL));
}

static void
test_fold_in_any_order (Fixture *fx, gconstpointer data)
{
  g_autofree char *ledgers = g_build_filename (fx->path, "ledgers", NULL);
  g_autoptr (GError) err = NULL;

  /* Item 0: attempt 1 failed late (a woken worker), attempt 2 complete.
   * Item 1: attempt 1 complete, then set aside by a resume.  Item 2: a
   * take-over claim with no result yet.  Whichever ledger is read first,
   * the highest attempt decides. */
  write_ledger (fx, "x", "result 0 2 complete 0\nresult 1 1 complete 0\n");
  write_ledger (fx, "y", "result 0 1 failed 0\nclaim 2 2\nresult 2 1 complete 0\n");
  write_ledger (fx, "+resume-1", "retry 1 1\n");
  for (int round = 0; round < 2; round++)
    {
      g_autoptr (FhItemStates) s = fh_item_states_new (ledgers, 5, FALSE);
      if (round == 1)
        {
          /* Read one ledger, then the rest: as a worker tailing them. */
          g_assert_true (fh_item_states_refresh_one (s, "y", &err));
          g_assert_no_error (err);
        }
      g_assert_true (fh_item_states_refresh (s, &err));
      g_assert_no_error (err);
      g_assert_cmpint (fh_item_states_get (s, 0), ==, FH_ITEM_COMPLETE);
      g_assert_cmpuint (fh_item_states_get_attempt (s, 0), ==, 2);
      g_assert_cmpint (fh_item_states_get (s, 1), ==, FH_ITEM_PENDING);
      g_assert_cmpint (fh_item_states_get (s, 2), ==, FH_ITEM_PENDING);
      g_assert_cmpuint (fh_item_states_get_attempt (s, 2), ==, 2);
    }
}

static void
test_ledger_lines (Fixture *fx, gconstpointer data)
{
  g_autofree char *ledgers = g_build_filename (fx->path, "ledgers", NULL);
  g_autoptr (FhItemStates) s = fh_item_states_new (ledgers, 5, FALSE);
  g_autoptr (FhItemStates) bad = fh_item_states_new (ledgers, 5, FALSE);
  g_autoptr (GError) err = NULL;

  /* A last line without its newline is being written: not read yet. */
  write_ledger (fx, "x", "result 0 1 complete 0\nresult 1 1 comp");
  g_assert_true (fh_item_states_refresh (s, &err));
  g_assert_no_error (err);
  g_assert_cmpint (fh_item_states_get (s, 0), ==, FH_ITEM_COMPLETE);
  g_assert_cmpint (fh_item_states_get (s, 1), ==, FH_ITEM_PENDING);
  write_ledger (fx, "x", "result 0 1 complete 0\nresult 1 1 complete 0\n");
  g_assert_true (fh_item_states_refresh (s, &err));
  g_assert_cmpint (fh_item_states_get (s, 1), ==, FH_ITEM_COMPLETE);
  /* Garbage, or an item past the agenda, is an error naming the line. */
  write_ledger (fx, "z", "claim 1 2\nresult 9 1 complete 0\n");
  g_assert_false (fh_item_states_refresh (bad, &err));
  g_assert_error (err, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID);
  g_assert_nonnull (strstr (err->message, "z.ledger:2: not a ledger line"));
}

/* ---- status, resume, names ------------------------------------------------- */

static void
test_status_counts (Fixture *fx, gconstpointer data)
{
  g_auto (FhJobStatus) c = { 0 };

  beat (fx, fx->a, "a", "working", 0, 1);
  beat (fx, fx->b, "b", "working", LEASE + 5, 2);   /* gone */
  assert_claims (fx->a, 0, 1);
  finish (fx->a, 0, 1, TRUE);
  assert_claims (fx->a, 1, 1);
  assert_claims (fx->b, 2, 1);
  assert_claims (fx->b, 3, 1);
  finish (fx->b, 3, 1, FALSE);
  c = counts (fx);
  g_assert_cmpuint (c.complete, ==, 1);
  g_assert_cmpuint (c.failed, ==, 1);
  g_assert_cmpuint (c.running, ==, 1);   /* item 1, a's; not b's item 2 */
  g_assert_cmpuint (c.pending, ==, 2);
}

static void
test_resume (Fixture *fx, gconstpointer data)
{
  g_autoptr (FhJobDir) r = open_as (fx, NULL);
  g_autoptr (GError) err = NULL;
  guint remaining = 0;

  beat (fx, fx->a, "a", "working", 0, -1);
  for (guint i = 0; i < 5; i++)
    {
      assert_claims (fx->a, i, 1);
      finish (fx->a, i, 1, i != 3);
    }
  /* Nothing is set aside under a live worker's feet. */
  g_assert_false (fh_job_dir_resume (r, &remaining, &err));
  g_assert_error (err, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_BUSY);
  g_clear_error (&err);
  beat (fx, fx->a, "a", "done", 0, -1);
  g_assert_true (fh_job_dir_mark_cancelled (r, &err));
  g_assert_true (fh_job_dir_resume (r, &remaining, &err));
  g_assert_no_error (err);
  g_assert_cmpuint (remaining, ==, 1);
  g_assert_false (fh_job_dir_is_cancelled (r));
  g_assert_cmpuint (counts (fx).pending, ==, 1);
  /* Its next claim is its second attempt. */
  beat (fx, fx->b, "b", "working", 0, -1);
  assert_claims (fx->b, 3, 2);
  finish (fx->b, 3, 2, TRUE);
  g_assert_cmpuint (counts (fx).complete, ==, 5);
}

static void
test_names (Fixture *fx, gconstpointer data)
{
  g_autoptr (FhJobDir) r = open_as (fx, NULL);
  g_autoptr (GError) err = NULL;
  g_autofree char *holder = NULL;
  g_autofree char *mine = g_strdup_printf ("test:a:%p", (void *) fx);

  beat (fx, fx->a, "a", "working", 0, -1);
  g_assert_true (fh_job_dir_name_in_use (r, "a", "another", &holder, &err));
  g_assert_nonnull (strstr (holder, "on elsewhere"));
  g_assert_false (fh_job_dir_name_in_use (r, "a", mine, NULL, &err));
  g_assert_false (fh_job_dir_name_in_use (r, "nobody", "another", NULL, &err));
  beat (fx, fx->a, "a", "working", LEASE + 1, -1);
  g_assert_false (fh_job_dir_name_in_use (r, "a", "another", NULL, &err));
  beat (fx, fx->a, "a", "done", 0, -1);
  g_assert_false (fh_job_dir_name_in_use (r, "a", "another", NULL, &err));
  g_assert_no_error (err);
}

static gboolean
collect (guint index, JsonObject *result, gpointer data)
{
  g_ptr_array_add (data, GUINT_TO_POINTER (index + 1));
  return TRUE;
}

static void
test_foreach_result (Fixture *fx, gconstpointer data)
{
  g_autoptr (FhJobDir) r = open_as (fx, NULL);
  g_autoptr (GPtrArray) seen = g_ptr_array_new ();
  g_autoptr (GError) err = NULL;

  beat (fx, fx->a, "a", "working", 0, -1);
  beat (fx, fx->b, "b", "working", 0, -1);
  assert_claims (fx->a, 0, 1);
  assert_claims (fx->b, 1, 1);
  assert_claims (fx->a, 2, 1);
  finish (fx->a, 2, 1, TRUE);
  finish (fx->b, 1, 1, FALSE);
  g_assert_true (fh_job_status_foreach_result (r, collect, seen, &err));
  g_assert_no_error (err);
  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_ptr_array_index (seen, 0)), ==, 2);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_ptr_array_index (seen, 1)), ==, 3);
}

static void
test_open_errors (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) err = NULL;
  g_autofree char *meta = g_build_filename (fx->path, "meta.json", NULL);
  FhJobDirJob job = { .name = "t", .source = "/x", .text = "{}", .n_items = 1, .agenda = agenda_line };

  g_assert_null (fh_job_dir_open (fx->tmp, &err));
  g_assert_error (err, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID);
  g_clear_error (&err);
  g_assert_null (fh_job_dir_create (fx->path, &job, NULL, &err));
  g_assert_error (err, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_EXISTS);
  g_clear_error (&err);
  g_assert_true (g_file_set_contents (meta, "{\"farmhand_job_dir\": 1}", -1, NULL));
  g_assert_null (fh_job_dir_open (fx->path, &err));
  g_assert_error (err, FH_JOBDIR_ERROR, FH_JOBDIR_ERROR_INVALID);
  g_assert_nonnull (strstr (err->message, "reads format 2, not 1"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/job-dir/claim/fresh-in-order", test_fresh_in_order);
  ADD ("/job-dir/claim/ranges-go-on-where-they-were", test_ranges_go_on);
  g_test_add ("/job-dir/claim/gallop-and-hole", Fixture, GUINT_TO_POINTER (1000), fixture_set_up,
              test_gallop_and_hole, fixture_tear_down);
  ADD ("/job-dir/take-over/live-claim-holds", test_live_claim_holds);
  ADD ("/job-dir/take-over/heartbeat-after-now-is-fresh", test_heartbeat_after_now_is_fresh);
  ADD ("/job-dir/take-over/stale-heartbeat-and-fencing", test_stale_heartbeat_taken_over);
  ADD ("/job-dir/take-over/final-heartbeat", test_final_heartbeat_taken_over);
  ADD ("/job-dir/take-over/owner-finished-meanwhile", test_owner_finished_meanwhile);
  ADD ("/job-dir/take-over/nameless-claim", test_nameless_claim);
  ADD ("/job-dir/take-over/own-name-restarted", test_own_name_restarted);
  ADD ("/job-dir/ledger/fold-in-any-order", test_fold_in_any_order);
  ADD ("/job-dir/ledger/lines", test_ledger_lines);
  ADD ("/job-dir/status/counts", test_status_counts);
  ADD ("/job-dir/resume", test_resume);
  ADD ("/job-dir/names", test_names);
  ADD ("/job-dir/foreach-result", test_foreach_result);
  ADD ("/job-dir/open-errors", test_open_errors);
#undef ADD
  return g_test_run ();
}
