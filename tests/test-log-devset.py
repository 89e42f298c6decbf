#!/usr/bin/python3
"""test-log-devset.py BUILD_DIR SOURCE_DIR — the log presets against the
development set of real logs (../shared/logs: public render logs with a
wrangler's annotations, INDEX.md, and expected results, expected.json),
through `farmhand log test --json` as a wrangler runs it.  Every expected
value must be met: verdict, class, error and warning lines, outputs, last
progress.  Where the annotation is unsure (expected.json leaves the key
out) the choice made here is in DECISIONS, with why, and checked too.
Each log is checked again inside every wrapper prefix farms put on lines.
The logs are third-party data: they stay in ../shared, not in this tree
(FH_LOG_DEVSET names another place).  TAP."""
import json
import os
import subprocess
import sys

from fh_tap import Suite

BUILD = os.path.abspath(sys.argv[1])
SOURCE = os.path.abspath(sys.argv[2])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
LOGS = os.environ.get("FH_LOG_DEVSET") or os.path.join(SOURCE, "..", "shared", "logs")
WRAPPERS = ("0: STDOUT: ", "ADAPTOR_OUTPUT: STDOUT: ", "2026-12-01 12:00:01.123 ", "[12:00:01] ",
            "   17 | ", "Fri Jul  5 09:33:02 2024\t")

# The keys expected.json leaves out as unsure or a preset's choice: what
# the presets say, and why.
DECISIONS = {
    # The texture node has an empty file name: a scene bug, not a file
    # missing on the farm; no finer class than an error (retrying cannot fix
    # it either way).
    ("arnold-kick-texture-01", "class"): "error",
    # Watermarks are failures (the image is unusable), said at WARNING level;
    # kick's closing summary repeats the line and is not counted again.
    ("arnold-kick-watermark-01", "error_lines"): [32],
    ("arnold-kick-watermark-01", "warning_lines"): [],
    # The watermark (26) is the first classified error and gives the class;
    # the licence system's own error line (27) after it counts as an error too.
    ("arnold-kick-watermark-02", "error_lines"): [26, 27],
    ("arnold-kick-skiplicense-01", "error_lines"): [28],
    ("arnold-kick-skiplicense-01", "warning_lines"): [],
    # pip's "WARNING: Additional context:" (a distutils/sysconfig mismatch, in
    # colour) is a warning: warnings never fail an item.
    ("blender-cycles-ok-03", "warning_lines"): [14, 23],
    # The runtime's TIMEOUT line is the error that says it.
    ("openjd-timeout-01", "error_lines"): [6],
    ("openjd-timeout-01", "warning_lines"): [],
    # Header-only ffmpeg logs: nothing failed yet.
    ("ffmpeg-decode-01", "verdict"): "complete",
    ("ffmpeg-decode-02", "verdict"): "complete",
}

suite = Suite(29000)


def scan(preset, data):
    p = subprocess.run([FARMHAND, "log", "test", "--json", "--preset", preset, "-"], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if p.returncode not in (0, 1):
        raise AssertionError("exit %d: %s" % (p.returncode, p.stderr.decode()))
    return json.loads(p.stdout)


def values(r):
    return {"verdict": r["verdict"], "class": r.get("class"),
            "error_lines": sorted(e["line"] for e in r["errors"]),
            "warning_lines": sorted(e["line"] for e in r["warnings"]),
            "outputs": sorted(e["path"] for e in r["outputs"]),
            "progress_last": round(r["progress"][-1]["fraction"], 6) if r["progress"] else None}


def wanted(stem, expect):
    want = {k: v for k, v in expect.items() if k != "preset"}
    for key in ("error_lines", "warning_lines", "outputs"):
        if key in want:
            want[key] = sorted(want[key])
    if "progress_last" in want:
        want["progress_last"] = round(want["progress_last"], 6)
    decided = {k: v for (s, k), v in DECISIONS.items() if s == stem}
    return want, decided


score = {"met": 0, "of": 0}


def check_log(stem, expect):
    def run():
        with open(os.path.join(LOGS, stem + ".log"), "rb") as f:
            data = f.read()
        want, decided = wanted(stem, expect)
        got = values(scan(expect["preset"], data))
        misses = ["%s: got %r, expected %r" % (k, got[k], v) for k, v in want.items() if got[k] != v]
        score["of"] += len(want)
        score["met"] += len(want) - len(misses)
        misses += ["%s (decided here): got %r, decided %r" % (k, got[k], v) for k, v in decided.items() if got[k] != v]
        for prefix in WRAPPERS:
            wrapped = b"".join(prefix.encode() + line for line in data.splitlines(keepends=True))
            again = values(scan(expect["preset"], wrapped))
            misses += ["inside %r: %s changed: %r, then %r" % (prefix, k, got[k], again[k])
                       for k in got if again[k] != got[k]]
        assert not misses, "\n".join(misses)
    return run


def main():
    if not os.path.exists(os.path.join(LOGS, "expected.json")):
        print("1..0 # SKIP no development set of logs at %s (FH_LOG_DEVSET)" % LOGS)
        return 0
    with open(os.path.join(LOGS, "expected.json")) as f:
        expected = json.load(f)
    for stem in sorted(expected):
        suite.test(check_log(stem, expected[stem]), name=stem)
    suite.test(lambda: "%d of %d expected values met" % (score["met"], score["of"]), name="score")
    return suite.main()


if __name__ == "__main__":
    sys.exit(main())
