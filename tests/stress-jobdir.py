#!/usr/bin/python3
"""stress-jobdir.py — many real `farmhand worker` processes on one job
directory, with faults, and a check of the promise of docs/jobdir.md.

Each run lays out a job of M items whose command records every run
(item, worker, time), starts N workers, and while they work injects
faults: SIGKILL of a worker mid-item (sometimes restarted at once under
its old name, as a requeued Slurm task), and SIGSTOP of a worker and its
executor past the lease, then SIGCONT (a paused VM that wakes up).
Afterwards it checks, from the job directory itself:

  1. every item completed (farmhand status, exit 0);
  2. an item ran more than once only as often as it was taken over;
  3. every take-over of attempt A is explained: its owner was killed or
     frozen between claiming A and the take-over;
  4. the accepted result of every item is its highest attempt's, by the
     owner of that attempt (a woken worker overwrote nothing);
  5. a woken worker whose item was taken over does not run that item
     again after it wakes.

  stress-jobdir.py --farmhand build/host/farmhand [--workers N] [--items M]
                   [--runs R] [--lease S] [--item-s T] [--seed K] [--tap] [--json FILE]

--tap prints one TAP line per run (the test suite runs a small size);
benchmarks/run --stress runs the full size and records the figures.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time


class Fault(object):
    def __init__(self, worker, kind, start):
        self.worker, self.kind, self.start, self.end = worker, kind, start, None


class Run(object):
    """One job directory, its workers and the faults done to them."""

    def __init__(self, args, number):
        self.args = args
        self.rng = random.Random(args.seed * 1000 + number)
        self.dir = tempfile.mkdtemp(prefix="farmhand-stress-")
        self.jobdir = os.path.join(self.dir, "jobdir")
        self.runs_dir = os.path.join(self.dir, "runs")
        os.mkdir(self.runs_dir)
        self.procs = {}          # name -> list of Popen (restarts append)
        self.faults = []
        self.lock = threading.Lock()
        self.done = threading.Event()

    # ---- setting up ----------------------------------------------------------

    def prepare(self):
        work = "sleep %s; " % self.args.item_s if self.args.item_s > 0 else ""
        job = {
            "name": "stress",
            "agenda": {"frames": "1-%d" % self.args.items,
                       "command": work + 'echo "{frame} $FARMHAND_WORKER $EPOCHREALTIME" >> '
                                  + os.path.join(self.runs_dir, "$FARMHAND_WORKER")},
            "timeouts": {"grace_s": 2},
        }
        path = os.path.join(self.dir, "job.json")
        with open(path, "w") as f:
            json.dump(job, f)
        subprocess.run([self.args.farmhand, "submit", "--prepare", "--quiet", "--jobdir",
                        self.jobdir, "--lease", str(self.args.lease), path],
                       check=True, stdout=subprocess.DEVNULL)

    def start(self, name):
        out = open(os.path.join(self.dir, name + ".out"), "ab")
        p = subprocess.Popen([self.args.farmhand, "worker", "--name", name, self.jobdir],
                             stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)
        out.close()
        with self.lock:
            self.procs.setdefault(name, []).append(p)
        return p

    # ---- faults --------------------------------------------------------------

    def live(self):
        with self.lock:
            return [(n, ps[-1]) for n, ps in self.procs.items() if ps[-1].poll() is None]

    def executor_pids(self, pid):
        """The worker's executors: children of the worker process."""
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def kill(self, name, proc, restart):
        self.faults.append(Fault(name, "kill", time.time()))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.faults[-1].end = time.time()
        if restart:
            self.start(name)

    def freeze(self, name, proc):
        """Stops the worker and its executors' process groups (a paused
        node), past the lease, then wakes them."""
        groups = self.executor_pids(proc.pid)
        fault = Fault(name, "freeze", time.time())
        self.faults.append(fault)
        proc.send_signal(signal.SIGSTOP)
        for g in groups:
            try:
                os.killpg(g, signal.SIGSTOP)
            except OSError:
                pass
        self.done.wait(self.args.lease * 1.5)
        for g in groups:
            try:
                os.killpg(g, signal.SIGCONT)
            except OSError:
                pass
        proc.send_signal(signal.SIGCONT)
        fault.end = time.time()

    def inject(self):
        """Faults while the job runs: each worker at most once; some kills
        restart under the old name; freezes run in threads of their own."""
        budget = max(1, self.args.workers // 8)
        kills = freezes = 0
        hit = set()
        threads = []
        time.sleep(self.args.first_fault_s)
        while not self.done.is_set() and (kills < budget or freezes < budget):
            candidates = [(n, p) for n, p in self.live() if n not in hit]
            if len(candidates) < 2:
                break
            name, proc = self.rng.choice(candidates)
            hit.add(name)
            if freezes < budget and (kills >= budget or self.rng.random() < 0.5):
                t = threading.Thread(target=self.freeze, args=(name, proc))
                t.start()
                threads.append(t)
                freezes += 1
            else:
                self.kill(name, proc, restart=self.rng.random() < 0.5)
                kills += 1
            self.done.wait(self.rng.uniform(0.05, self.args.fault_gap_s))
        for t in threads:
            t.join()

    # ---- running -------------------------------------------------------------

    def run(self):
        self.prepare()
        t0 = time.time()
        for i in range(self.args.workers):
            self.start("w%d" % i)
        injector = threading.Thread(target=self.inject)
        injector.start()
        deadline = time.time() + self.args.timeout_s
        while time.time() < deadline:
            with self.lock:
                procs = [p for ps in self.procs.values() for p in ps]
            if all(p.poll() is not None for p in procs) and not injector.is_alive():
                break
            if all(p.poll() is not None for p in procs):
                self.done.set()
            time.sleep(0.1)
        self.done.set()
        injector.join()
        self.elapsed = time.time() - t0
        leftover = [p for ps in self.procs.values() for p in ps if p.poll() is None]
        for p in leftover:
            p.kill()
            p.wait()
        return leftover

    # ---- checking ------------------------------------------------------------

    def claims(self):
        """item index -> {attempt: (owner, mtime)}"""
        out = {}
        root = os.path.join(self.jobdir, "claims")
        for shard in os.listdir(root):
            sdir = os.path.join(root, shard)
            if shard.startswith(".") or not os.path.isdir(sdir):
                continue
            for name in os.listdir(sdir):
                index, attempt = name.split(".")
                path = os.path.join(sdir, name)
                with open(path) as f:
                    owner = f.read().strip()
                out.setdefault(int(index), {})[int(attempt)] = (owner, os.stat(path).st_mtime)
        return out

    def runs(self):
        count = {}
        for name in os.listdir(self.runs_dir):
            with open(os.path.join(self.runs_dir, name)) as f:
                for line in f:
                    frame = int(line.split()[0])
                    count[frame - 1] = count.get(frame - 1, 0) + 1
        return count

    def results(self):
        out = subprocess.run([self.args.farmhand, "status", "--results", self.jobdir],
                             check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
        return {r["index"]: r for r in map(json.loads, out.splitlines())}

    def faulted(self, owner, since, until):
        """Whether @owner was killed, or frozen, at some time between
        @since and @until (a frozen worker may start its command after it
        wakes: the freeze need only overlap)."""
        return any(f.worker == owner and f.start <= until + 0.5 and
                   (f.end if f.kind == "freeze" else f.start) >= since - 0.5
                   for f in self.faults)

    def check(self, leftover):
        problems = []
        if leftover:
            problems.append("%d workers did not end within %g s" % (len(leftover), self.args.timeout_s))
        status = subprocess.run([self.args.farmhand, "status", self.jobdir], stdout=subprocess.PIPE,
                                universal_newlines=True)
        if status.returncode != 0:
            problems.append("farmhand status exits %d: %s" % (status.returncode,
                                                               status.stdout.splitlines()[0]))
        claims, runs, results = self.claims(), self.runs(), self.results()
        times = self.run_times()
        self.takeovers = self.double_runs = 0
        for i in range(self.args.items):
            attempts = claims.get(i, {})
            top = max(attempts) if attempts else 0
            ran = runs.get(i, 0)
            r = results.get(i)
            self.takeovers += max(0, top - 1)
            self.double_runs += max(0, ran - 1)
            if ran == 0 or r is None or r.get("status") != "complete":
                problems.append("item %d: ran %d times, result %r" % (i, ran, r and r.get("status")))
                continue
            if ran > top:
                problems.append("item %d ran %d times but has %d attempt(s)" % (i, ran, top))
            # A claim is a hard link, so its mtime is not when it was made:
            # the runs' start times bound the window instead.
            for a in range(1, top):
                owner, taker = attempts[a][0], attempts[a + 1][0]
                # A worker restarted under its old name may take over its
                # own claim: the runs of both attempts then share one list,
                # and the earlier attempt may have been killed before its
                # command started, so only "ever since the start" is safe.
                since = 0.0 if owner == taker else min(times.get((i, owner), [0.0]))
                until = max(times.get((i, taker), [float("inf")]))
                if not self.faulted(owner, since, until):
                    problems.append("item %d: attempt %d of live worker %s was taken over"
                                    % (i, a, owner))
            if r.get("attempts") != top or r.get("worker") != attempts[top][0]:
                problems.append("item %d: accepted result is attempt %s by %s, not attempt %d by %s"
                                % (i, r.get("attempts"), r.get("worker"), top, attempts[top][0]))
        problems += self.check_woken(claims)
        return problems

    def run_times(self):
        """(item index, worker) -> [start times]"""
        out = {}
        for name in os.listdir(self.runs_dir):
            with open(os.path.join(self.runs_dir, name)) as f:
                for line in f:
                    frame, worker, when = line.split()
                    out.setdefault((int(frame) - 1, worker), []).append(float(when))
        return out

    def check_woken(self, claims):
        """A worker frozen past its lease whose item was taken over may wake
        and finish what it had started (its result is fenced off), but
        never starts that item's command again."""
        problems = []
        times = self.run_times()
        for f in self.faults:
            if f.kind != "freeze":
                continue
            for i, a in claims.items():
                lost = [n for n, (owner, t) in a.items() if owner == f.worker and n + 1 in a]
                late = [t for t in times.get((i, f.worker), []) if t > f.end + 0.2]
                if lost and late and len(times.get((i, f.worker), [])) > 1:
                    problems.append("woken worker %s ran item %d again after losing its claim"
                                    % (f.worker, i))
        return problems

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--farmhand", required=True)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--items", type=int, default=600)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--lease", type=float, default=2.0)
    ap.add_argument("--item-s", type=float, default=0.02)
    ap.add_argument("--first-fault-s", type=float, default=0.5)
    ap.add_argument("--fault-gap-s", type=float, default=0.3)
    ap.add_argument("--timeout-s", type=float, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tap", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the directories of failed runs")
    ap.add_argument("--json")
    args = ap.parse_args()
    args.farmhand = os.path.abspath(args.farmhand)

    if args.tap:
        print("1..%d" % args.runs)
    figures = []
    failed = 0
    for n in range(1, args.runs + 1):
        run = Run(args, n)
        problems = ["the run did not finish"]
        try:
            problems = run.check(run.run())
            kills = sum(f.kind == "kill" for f in run.faults)
            freezes = sum(f.kind == "freeze" for f in run.faults)
            fig = {"run": n, "workers": args.workers, "items": args.items,
                   "elapsed_s": round(run.elapsed, 2), "kills": kills, "freezes": freezes,
                   "takeovers": run.takeovers, "double_runs": run.double_runs,
                   "problems": len(problems)}
            figures.append(fig)
            line = ("run %d: %d workers x %d items in %.1f s, %d kills, %d freezes, %d take-overs, "
                    "%d double runs" % (n, args.workers, args.items, run.elapsed, kills, freezes,
                                        run.takeovers, run.double_runs))
            if args.tap:
                print("%s %d - %s" % ("not ok" if problems else "ok", n, line))
            else:
                print(line)
            for p in problems[:20]:
                print("#   " + p)
            failed += bool(problems)
        finally:
            if not problems or not (args.tap or args.keep):
                run.cleanup()
            else:
                with open(os.path.join(run.dir, "faults.json"), "w") as f:
                    json.dump([vars(x) for x in run.faults], f, indent=1)
                print("#   kept: %s" % run.dir)
        sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
