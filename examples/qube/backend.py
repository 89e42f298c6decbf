#!/usr/bin/python3
"""A Qube-style job type backend on farmhand: the loop a Qube Python job
type runs — start a child, run the setup commands, then requestwork →
execute → reportwork until the agenda is empty, close — with Qube's
PyCmdDispatcher replaced by farmhand's (one changed import).

Qube's `qb` module is not here, so a small stand-in (`LocalQube`) hands
out the agenda and records what is reported; in a real job type those
calls are qb.requestwork() and qb.reportwork().  Run it from a build tree:

    meson devenv -C build python3 examples/qube/backend.py [--fail FRAME]

The child is farmhand's Python executor under /usr/bin/python3; a Maya job
type would start `mayapy -u <farmhand.executor_path("python")>` instead.
"""
import argparse
import sys

import farmhand
# The one line a Qube job type changes:
#   from qb.backend.pythonChildHandler import PyCmdDispatcher
from farmhand.compat.qube import PyCmdDispatcher


class LocalQube(object):
    """Stands in for Qube's requestwork()/reportwork()."""

    def __init__(self, frames):
        self.pending = [{"name": str(f), "status": "pending"} for f in frames]
        self.reported = []

    def requestwork(self):
        return self.pending.pop(0) if self.pending else {"name": None, "status": "complete"}

    def reportwork(self, work):
        self.reported.append(dict(work))


class SceneBackend(object):
    """The shape of a Qube Python job type's backend."""

    def __init__(self, qube, fail_frame=None):
        self.qube = qube
        self.fail_frame = fail_frame
        self.dispatcher = PyCmdDispatcher(logHandler=self.logHandler)

    def logHandler(self, line):
        print("[job log] %s" % line)
        sys.stdout.flush()

    def jobSetup(self):
        command = "exec /usr/bin/python3 -u %s" % farmhand.executor_path("python")
        self.dispatcher.startChild(["/bin/sh", "-c", command])
        # Load the "scene" once; every frame below reuses it.
        return self.dispatcher.execute([
            "scene = {'name': 'shot010', 'loaded': 1}",
            "def render(frame):\n"
            "    if frame == %r:\n"
            "        raise RuntimeError('texture missing for frame %%d' %% frame)\n"
            "    print('rendered %%s frame %%d' %% (scene['name'], frame))" % self.fail_frame,
        ])

    def executeWork(self):
        while True:
            work = self.qube.requestwork()
            if work["name"] is None:
                break
            rc = self.dispatcher.execute("render(%s)" % work["name"], work)
            work["status"] = "complete" if rc == 0 else "failed"
            self.qube.reportwork(work)

    def jobTeardown(self):
        return self.dispatcher.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=5)
    ap.add_argument("--fail", type=int, default=None, help="make this frame fail")
    args = ap.parse_args()
    qube = LocalQube(range(1, args.frames + 1))
    backend = SceneBackend(qube, args.fail)
    if backend.jobSetup() != 0:
        print("setup failed")
        return 1
    backend.executeWork()
    code = backend.jobTeardown()
    for work in qube.reported:
        print("frame %s: %s" % (work["name"], work["status"]))
    print("child exited with %d" % code)
    return 0 if all(w["status"] == "complete" for w in qube.reported) else 1


if __name__ == "__main__":
    sys.exit(main())
