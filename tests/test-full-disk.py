#!/usr/bin/python3
"""test-full-disk.py BUILD_DIR — nothing lost on a failing disk, on real
full filesystems (small tmpfs mounts; it needs root, as CI is):

  * `farmhand run --results` on a disk that fills: the error names the
    file and the errno at once, the run stops and exits 1, every line in
    the file is whole, and the summary counts as complete exactly what is
    in it;
  * a worker whose ledger cannot be written: it says so with the ledger's
    name, takes no more items, exits 1; what its ledger holds is what
    `farmhand status` counts, and another worker on a disk with room
    finishes the job, each item's result exactly once;
  * `submit --prepare` that runs out of space: a precise error, exit 2,
    and no half job directory left behind.  TAP."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from fh_tap import Suite

BUILD = os.path.abspath(sys.argv[1])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
SUITE = Suite(9800)
test, marker = SUITE.test, SUITE.marker
TMP = tempfile.mkdtemp(prefix="farmhand-disk-")
MOUNTS = []


def tmpfs(name, size):
    """A tmpfs of @size (e.g. "64k") at TMP/name; None when this machine
    will not mount one (not root, no CAP_SYS_ADMIN)."""
    path = os.path.join(TMP, name)
    os.makedirs(path)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    MOUNTS.append(path)
    return path


def write_job(path, items, command="true"):
    with open(path, "w") as f:
        json.dump({"name": "disk", "executor": "shell", "agenda": {"frames": "1-%d" % items, "command": command}}, f)
    return path


def skip_without(mount):
    if mount is None:
        return "SKIP cannot mount a tmpfs here (not root?)"
    return None


@test
def a_run_on_a_disk_that_fills():
    disk = tmpfs("run-%s" % marker(), "64k")
    if skip_without(disk):
        return skip_without(disk)
    job = write_job(os.path.join(TMP, "run.json"), 5000)
    results = os.path.join(disk, "results.jsonl")
    r = subprocess.run([FARMHAND, "run", "--plain", job, "--results", results], capture_output=True, text=True,
                       timeout=300, cwd=TMP)
    assert r.returncode == 1, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    want = "writing %s: No space left on device (ENOSPC)" % results
    assert want in r.stderr, r.stderr[-2000:]
    # Said when it happened, above the rest of the run, not only at the end.
    assert want in r.stdout, r.stdout[-3000:]
    with open(results) as f:
        lines = f.read().split("\n")
    assert lines[-1] == "", "a torn last line: %r" % lines[-1][-200:]
    written = [json.loads(line) for line in lines[:-1]]
    complete = sum(1 for x in written if x["status"] == "complete")
    summary = [line for line in r.stdout.splitlines() if line.startswith("job disk: ")][-1]
    assert summary.startswith("job disk: %d complete, 0 failed," % complete), (summary, complete)
    assert "not in the results file" in summary, summary
    # It stopped rather than ran all 5,000 with nowhere to put them.
    assert len(written) < 1000, len(written)
    return "%d results written, then ENOSPC: %s" % (len(written), summary)


def status_counts(jobdir):
    r = subprocess.run([FARMHAND, "status", jobdir], capture_output=True, text=True, timeout=60)
    first = r.stdout.splitlines()[0]
    return first, r


@test
def a_worker_whose_ledger_cannot_be_written():
    disk = tmpfs("ledger-%s" % marker(), "8m")
    if skip_without(disk):
        return skip_without(disk)
    job = write_job(os.path.join(TMP, "worker.json"), 3000)
    jobdir = os.path.join(disk, "job")
    r = subprocess.run([FARMHAND, "submit", "--prepare", "-q", "-d", jobdir, "--output-dir",
                        os.path.join(TMP, "out"), "--lease", "5", job], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # Fill the disk but for a little room: the ledger runs out mid-job.
    filler = os.path.join(disk, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    os.close(fd)
    os.truncate(filler, os.path.getsize(filler) - 48 * 1024)
    r = subprocess.run([FARMHAND, "worker", "--name", "w1", jobdir], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, (r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    assert "No space left on device (ENOSPC)" in r.stderr and "ledgers/w1." in r.stderr, r.stderr[-1500:]
    assert "it takes no more items" in r.stderr, r.stderr[-1500:]
    done = int(r.stdout.strip().splitlines()[-1].split(": ")[2].split(" complete")[0])
    first, _ = status_counts(jobdir)
    assert ("%d complete" % done) in first, (first, done)
    assert done < 3000, done
    # Room again: another worker finishes the job, each item once.
    os.unlink(filler)
    r = subprocess.run([FARMHAND, "worker", "--name", "w2", jobdir], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    first, s = status_counts(jobdir)
    assert s.returncode == 0 and "3000 complete" in first, (first, s.stdout[-500:])
    return "the first worker recorded %d, the second finished" % done


@test
def submit_prepare_that_runs_out_of_space():
    disk = tmpfs("prepare-%s" % marker(), "64k")
    if skip_without(disk):
        return skip_without(disk)
    job = write_job(os.path.join(TMP, "big.json"), 20000, "render --frame {frame} --scene /proj/shot010/shot010_v003.blend")
    jobdir = os.path.join(disk, "job")
    r = subprocess.run([FARMHAND, "submit", "--prepare", "-d", jobdir, job], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "writing %s/agenda.jsonl: No space left on device (ENOSPC)" % jobdir in r.stderr, r.stderr
    assert not os.path.exists(jobdir), os.listdir(disk)


def cleanup():
    for path in MOUNTS:
        subprocess.run(["umount", "-l", path], capture_output=True)
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(SUITE.main(cleanup))
