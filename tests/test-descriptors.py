#!/usr/bin/python3
"""test-descriptors.py BUILD_DIR — the long-running processes keep their
descriptors flat however many items they run: `farmhand run` and
`farmhand worker` over 500 items each, items that fail and print.  Each
item records its host's descriptor count itself (its ancestor named
farmhand), so nothing is sampled from outside.  (`farmhand session` and
`farmhand serve`: test-session.py and test-serve-soak.py.)  TAP."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from fh_tap import Suite

BUILD = os.path.abspath(sys.argv[1])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
TMP = tempfile.mkdtemp(prefix="farmhand-fds-")
SUITE = Suite(9500)
test, marker = SUITE.test, SUITE.marker
ITEMS = 500

# The host: the nearest ancestor whose name is farmhand.
FIND_HOST = ("h=$$; while [ \"$(cat /proc/$h/comm)\" != farmhand ]; do "
             "h=$(awk '{print $4}' /proc/$h/stat); done")


def counting_job(record):
    """Every item appends its host's descriptor count to @record; every
    tenth fails after printing a few hundred lines."""
    return {"name": "fds", "executor": "shell", "setup": [FIND_HOST],
            "agenda": {"frames": "1-%d" % ITEMS,
                       "command": "ls /proc/$h/fd | wc -l >> %s; "
                                  "if [ $(({frames} %% 10)) = 0 ]; then seq 300; (exit 3); fi" % record}}


def counts(record):
    with open(record) as f:
        return [int(line) for line in f]


def check_flat(record):
    n = counts(record)
    assert len(n) >= ITEMS, len(n)
    # After the first few items (the log, the results file opened) the
    # count never moves, but for a sample that caught the host writing a
    # file at that moment (a worker's heartbeat thread renames a temporary
    # file into place every few seconds): such a spike is alone, the next
    # sample is back.  A leak stays.
    base = n[10]
    spikes = [i for i in range(10, len(n)) if n[i] > base]
    assert all(i + 1 < len(n) and n[i + 1] <= base for i in spikes), (n[:12], [(i, n[i]) for i in spikes])
    assert len(spikes) <= len(n) // 50 and n[-1] <= base, (base, n[-1], len(spikes))
    return "%d descriptors at item 10, %d at the end, %d passing spike%s" % (base, n[-1], len(spikes),
                                                                            "" if len(spikes) == 1 else "s")


@test
def farmhand_run_stays_flat():
    m = marker()
    record = os.path.join(TMP, "run-%s" % m)
    job = os.path.join(TMP, "run-%s.json" % m)
    with open(job, "w") as f:
        json.dump(counting_job(record), f)
    r = subprocess.run([FARMHAND, "run", job, "-q", "--results", os.path.join(TMP, "run-%s.jsonl" % m),
                        "--log", os.path.join(TMP, "run-%s.log" % m)],
                       capture_output=True, text=True, timeout=300, cwd=TMP)
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    return check_flat(record)


@test
def farmhand_worker_stays_flat():
    m = marker()
    record = os.path.join(TMP, "worker-%s" % m)
    job = os.path.join(TMP, "worker-%s.json" % m)
    jobdir = os.path.join(TMP, "jobdir-%s" % m)
    with open(job, "w") as f:
        json.dump(counting_job(record), f)
    r = subprocess.run([FARMHAND, "submit", "--prepare", "-q", "-d", jobdir, job], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([FARMHAND, "worker", "--name", "w1", jobdir], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    return check_flat(record)


if __name__ == "__main__":
    sys.exit(SUITE.main(cleanup=lambda: shutil.rmtree(TMP, ignore_errors=True)))
