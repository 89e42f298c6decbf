"""fh_tap.py — what farmhand's Python tests share: a TAP runner, markers
unique to a test, and waiting on the process table (the one thing a test
of child processes cannot be told about)."""
import os
import time
import traceback


class Suite(object):
    """Tests registered with @suite.test, run in order by suite.main()."""

    def __init__(self, marker_base):
        self.tests = []
        self.marker_base = marker_base
        self.counter = 0

    def test(self, fn, name=None):
        self.tests.append((name or fn.__name__.replace("_", "-"), fn))
        return fn

    def marker(self):
        """A number no other test's processes use (a counter and the pid)."""
        self.counter += 1
        return "%d.%06d" % (self.marker_base + self.counter, os.getpid())

    def main(self, cleanup=None):
        """Runs every test, prints TAP; a test returning "SKIP ..." or a
        note string says so.  Returns the exit status."""
        print("1..%d" % len(self.tests))
        failed = 0
        for n, (name, fn) in enumerate(self.tests, 1):
            try:
                note = fn()
            except Exception:
                failed += 1
                print("not ok %d - %s" % (n, name))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
                continue
            print("ok %d - %s%s" % (n, name, " # " + note if isinstance(note, str) else ""))
        if cleanup is not None:
            cleanup()
        return 1 if failed else 0


def count_procs(cmdline):
    """How many processes run exactly @cmdline."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if f.read().rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace") == cmdline:
                    n += 1
        except OSError:
            pass
    return n


def await_true(predicate, timeout=15.0):
    """Whether @predicate became true within @timeout s (polled: nothing
    else tells a test that a process it did not start has gone)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
