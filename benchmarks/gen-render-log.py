#!/usr/bin/env python3
"""gen-render-log.py — a realistic render log, deterministic, of a given
size: the mix of a Blender/Cycles, Arnold and Maya batch render (progress
lines, memory stats, tile updates, warnings, the odd error and output
line).  Usage: gen-render-log.py MEGABYTES > render.log"""
import random
import sys


def lines(rng):
    frame = 1
    while True:
        for sample in range(1, 129):
            t = frame * 7.3 + sample * 0.057
            yield ("Fra:%d Mem:%.2fM (Peak %.2fM) | Time:%02d:%05.2f | Remaining:%02d:%05.2f | "
                   "Mem:%.2fM, Peak:%.2fM | Scene, ViewLayer | Sample %d/128\n"
                   % (frame, 412 + rng.random() * 90, 640 + rng.random() * 40, t // 60, t % 60,
                      (128 - sample) * 0.057 // 60, (128 - sample) * 0.057 % 60,
                      300 + rng.random() * 50, 512 + rng.random() * 20, sample))
            r = rng.random()
            if r < 0.02:
                yield ("00:%02d:%02d %5dMB | [ai] bucket %4d/%d [%3d,%3d] done, %d%% done\n"
                       % (t // 60 % 60, t % 60, 1800 + rng.randrange(400), rng.randrange(1024), 1024,
                          rng.randrange(1920), rng.randrange(1080), sample * 100 // 128))
            elif r < 0.025:
                yield "WARNING: texture 'tex/wood_%03d.tx' is not mipmapped, rendering will be slow\n" % rng.randrange(500)
            elif r < 0.027:
                yield "// Warning: Reference node 'ref_%dRN' has unresolved edits\n" % rng.randrange(90)
            elif r < 0.0275:
                yield "ERROR: harmless: plugin 'mtoa_ext' prints an error it recovers from\n"
            elif r < 0.0277:
                yield "// Error: line %d: Cannot find procedure \"asset_%d\".\n" % (rng.randrange(900), rng.randrange(99))
            elif r < 0.03:
                yield "[py] DeprecationWarning: bpy.ops.render.render(animation=False) called from a timer\n"
        yield "Saved: '/proj/sh010/render/v003/beauty.%04d.exr'\n" % frame
        yield " Time: %02d:%05.2f (Saving: 00:00.31)\n" % (frame * 7.3 // 60, frame * 7.3 % 60)
        frame += 1


def main():
    size = int(float(sys.argv[1]) * 1024 * 1024)
    rng = random.Random(42)
    out = sys.stdout
    written = 0
    chunk = []
    for line in lines(rng):
        chunk.append(line)
        written += len(line)
        if len(chunk) >= 4096:
            out.write("".join(chunk))
            chunk = []
        if written >= size:
            break
    out.write("".join(chunk))


if __name__ == "__main__":
    main()
