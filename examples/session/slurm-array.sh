#!/bin/sh
# A Slurm array with one task per frame, and one farmhand session per node
# shared by every task that lands there: the first task on a node starts it
# (flock: two tasks starting at once start one session), every task runs its
# frame in it, and the session ends by itself once no task has come for a
# while (--idle), after teardown.  The job's agenda names items by frame.
#
#   sbatch --array=1-240 examples/session/slurm-array.sh /shared/shots/sh010/job.json
#SBATCH --job-name=farmhand-session
set -eu
job=$1
frame=${SLURM_ARRAY_TASK_ID:?run me as a Slurm array task}
id="$(basename "$job" .json)-${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}-$(hostname -s)"

(
  flock 9
  farmhand session status "$id" >/dev/null 2>&1 ||
    farmhand session start "$job" --id "$id" --idle 120 >/dev/null
) 9>"/tmp/farmhand-session-$id.lock"

# One frame at a time per session: tasks on the same node wait their turn.
exec farmhand session run "$id" "$frame" --wait 86400
