#!/bin/sh
# A session from a plain shell loop: one executor, setup once, each frame
# a separate `farmhand session run` (as a scheduler that starts a process
# per task would run it), then stop: teardown, nothing left running.
#
#   examples/session/loop.sh examples/session/job.json
set -eu
farmhand=${FARMHAND:-farmhand}
job=${1:-examples/session/job.json}
id=$("$farmhand" session start "$job")
trap '"$farmhand" session stop "$id"' EXIT
"$farmhand" expand "$job" | cut -f2 | while read -r item; do
  "$farmhand" session run "$id" "$item" || echo "item $item failed" >&2
done
