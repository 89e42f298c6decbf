#!/usr/bin/python3
"""test-openjd-conformance.py — the OpenJD specification's own conformance
suite (../shared/openjd/conformance, or $FH_OPENJD_CONFORMANCE), run by its
own harness, unchanged, with `openjd` on PATH a two-line wrapper around
`farmhand openjd`.  One TAP line per fixture.

A fixture listed in tests/openjd-deviations.txt (with the reason, which
docs/openjd.md gives too) is expected to fail: TODO, not a failure.  Skips,
saying why, where the suite, PyYAML or a command the fixtures call
(python, bash, node) is missing.

Usage: test-openjd-conformance.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

BUILD, SRC = (os.path.abspath(a) for a in sys.argv[1:3])
SUITE = os.environ.get("FH_OPENJD_CONFORMANCE") or os.path.join(SRC, "..", "shared", "openjd", "conformance")
HARNESS = os.path.join(SUITE, "run_openjd_cli_tests.py")
# The harness reports a fixture as "  ✓ NAME", "  ✗ NAME" or "  ⊘ NAME (skipped, ...)",
# under a line naming its folder ("2023-09/base/jobs:").
FOLDER = re.compile(r"^(\d[^ ]*/[^ ]+/[a-z_]+):$")
RESULT = re.compile(r"^  ([✓✗⊘]) (\S+)")


def skip(why):
    print("1..0 # SKIP " + why)
    sys.exit(0)


def deviations():
    out = {}
    with open(os.path.join(SRC, "tests", "openjd-deviations.txt")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, why = line.partition(" ")
                out[name] = why.strip()
    return out


def main():
    if not os.path.exists(HARNESS):
        skip("no OpenJD conformance suite at %s (set FH_OPENJD_CONFORMANCE)" % SUITE)
    try:
        import yaml  # noqa: F401  (the harness needs it)
    except ImportError:
        skip("python3-yaml is not installed (apt-get install python3-yaml)")
    for tool, package in (("python", "python-is-python3"), ("bash", "bash"), ("node", "nodejs")):
        if shutil.which(tool) is None:
            skip("the fixtures run `%s`, which is not installed (apt-get install %s)" % (tool, package))
    expected_failures = deviations()
    with tempfile.TemporaryDirectory(prefix="farmhand-openjd-") as bindir:
        wrapper = os.path.join(bindir, "openjd")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec "%s" openjd "$@"\n' % os.path.join(BUILD, "host", "farmhand"))
        os.chmod(wrapper, 0o755)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        proc = subprocess.run([sys.executable, HARNESS, "2023-09/*"], cwd=SUITE, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    results, folder, detail = [], "", {}
    for line in proc.stdout.splitlines():
        m = FOLDER.match(line)
        if m:
            folder = m.group(1)
            continue
        m = RESULT.match(line)
        if m:
            results.append((m.group(1), "%s/%s" % (folder, m.group(2))))
        elif results and line.startswith("    "):
            detail.setdefault(results[-1][1], []).append(line.strip())
    if not results:
        print("1..1\nnot ok 1 - the harness ran")
        for line in proc.stdout.splitlines()[-40:]:
            print("# " + line)
        return 1
    print("1..%d" % len(results))
    for n, (mark, name) in enumerate(results, 1):
        why = expected_failures.get(name) or expected_failures.get(re.sub(r"\.(invalid\.)?test\.yaml$", "", name))
        if mark == "⊘":
            print("ok %d - %s # SKIP not for this platform" % (n, name))
        elif mark == "✓":
            print("ok %d - %s" % (n, name))
        elif why:
            print("not ok %d - %s # TODO deviation: %s" % (n, name, why))
        else:
            print("not ok %d - %s" % (n, name))
            for d in detail.get(name, [])[:30]:
                print("#   " + d)
    for line in proc.stdout.splitlines():
        if line.startswith("Total:"):
            # The harness's own count, kept as a comment: meson's is the suite's.
            print("# harness " + line.replace("Total:", "total:"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
