#!/bin/sh
# A stand-in renderer: "renders" frames by writing one small file each.
# Usage: render.sh FRAME... (writes $OUT/frame.NNNN.txt)
for f in "$@"; do
  out=$(printf '%s/frame.%04d.txt' "$OUT" "$f")
  printf 'scene %s, frame %d, rendered by pid %d\n' "$SCENE" "$f" "$$" > "$out"
  echo "Saved: '$out'"
done
