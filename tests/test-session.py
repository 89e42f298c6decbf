#!/usr/bin/python3
"""test-session.py BUILD_DIR — `farmhand session` with real processes:
state kept across separate `session run` processes (one executor), exit
codes and tracebacks, a killed client's command interrupted, another user
refused, concurrent runs, an executor dying between tasks, the idle
timeout, stop and the directory's removal leaving nothing behind.  TAP."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from fh_tap import Suite, await_true, count_procs

BUILD = os.path.abspath(sys.argv[1])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
TMP = tempfile.mkdtemp(prefix="farmhand-session-")
os.chmod(TMP, 0o755)
SUITE = Suite(5000)
test, marker = SUITE.test, SUITE.marker


def farmhand(*args, **kw):
    return subprocess.run([FARMHAND] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=kw.pop("timeout", 60), **kw)


class Session(object):
    """A session of @job in a directory of its own under TMP."""

    def __init__(self, job, *extra):
        self.work = tempfile.mkdtemp(prefix="s", dir=TMP)
        os.chmod(self.work, 0o755)
        self.job_path = os.path.join(self.work, "job.json")
        with open(self.job_path, "w") as f:
            json.dump(job, f)
        self.dir = os.path.join(self.work, "session")
        self.start = farmhand("session", "start", self.job_path, "--dir", self.dir, *extra, cwd=self.work)
        self.id = self.start.stdout.strip()

    def run(self, item, *extra, **kw):
        return farmhand("session", "run", self.id, item, *extra, **kw)

    def stop(self):
        return farmhand("session", "stop", self.id)

    def alive(self):
        return os.path.exists(os.path.join(self.dir, "socket"))

    def log(self):
        with open(os.path.join(self.dir, "session.log")) as f:
            return f.read()

    def results(self):
        with open(os.path.join(self.dir, "results.jsonl")) as f:
            return [json.loads(line) for line in f if line.strip()]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.alive():
            self.stop()


def shell_job(items, setup=None, teardown=None, **extra):
    job = {"name": "sess", "agenda": {"items": [{"name": n, "command": c} for n, c in items]}}
    if setup is not None:
        job["setup"] = setup
    if teardown is not None:
        job["teardown"] = teardown
    job.update(extra)
    return job


# ---------------------------------------------------------------------------------------

@test
def state_persists_across_run_processes():
    job = shell_job([("a", "n=$((n+1)); echo n=$n pid=$$"), ("b", "n=$((n+1)); echo n=$n pid=$$")],
                    setup="n=0")
    with Session(job) as s:
        assert s.start.returncode == 0 and s.id == os.path.realpath(s.dir), (s.start.returncode, s.start.stderr)
        first, second, again = s.run("a"), s.run("b"), s.run("a")
        assert [r.returncode for r in (first, second, again)] == [0, 0, 0], (first.stderr, second.stderr)
        pids = set()
        for r, n in ((first, 1), (second, 2), (again, 3)):
            line = [l for l in r.stdout.splitlines() if l.startswith("n=")][0]
            assert line.startswith("n=%d " % n), r.stdout
            pids.add(line.split("pid=")[1])
        assert len(pids) == 1, pids          # one executor for every task
        assert [x["name"] for x in s.results()] == ["a", "b", "a"], s.results()
        status = farmhand("session", "status", s.id, "--json")
        st = json.loads(status.stdout)
        assert st["items_run"] == 3 and st["complete"] == 3 and "current" not in st, st


@test
def failures_and_usage():
    job = shell_job([("bad", "echo 'no such scene: sh010.ma' >&2; exit 3"), ("ok", "true")])
    with Session(job) as s:
        r = s.run("bad")
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "item bad failed" in r.stderr and "no such scene: sh010.ma" in r.stderr, r.stderr
        r = s.run("nope")
        assert r.returncode == 2 and "has no item nope" in r.stderr, (r.returncode, r.stderr)
        r = farmhand("session", "run", s.id)
        assert r.returncode == 2 and "needs a session ID and an item" in r.stderr, r.stderr
        r = s.run("ok", "--wait", "x")
        assert r.returncode == 2, r.stderr
        # The session lost nothing: the executor died with `exit 3` and the
        # next item got a new one.
        assert s.run("ok").returncode == 0


@test
def setup_failure_and_invalid_job():
    s = Session(shell_job([("a", "true")], setup="echo 'licence server down' >&2; exit 7"))
    assert s.start.returncode == 1, (s.start.returncode, s.start.stdout, s.start.stderr)
    assert "setup[0] failed" in s.start.stderr and "licence server down" in s.start.stderr, s.start.stderr
    assert not s.alive()
    s = Session({"name": "x", "agenda": {"frames": "1-x", "command": "true"}})
    assert s.start.returncode == 2 and "agenda.frames: bad frame list" in s.start.stderr, s.start.stderr


@test
def a_killed_client_stops_its_command():
    m = marker()
    sleeper = "sleep %s" % m
    job = shell_job([("slow", "echo started; %s; echo not-reached" % sleeper), ("quick", "echo quick v=$v")],
                    setup="v=kept")
    with Session(job) as s:
        client = subprocess.Popen([FARMHAND, "session", "run", s.id, "slow"], stdout=subprocess.PIPE,
                                  text=True)
        assert client.stdout.readline().startswith("farmhand$ ")
        assert client.stdout.readline().strip() == "started"
        assert await_true(lambda: count_procs(sleeper) == 1)
        client.send_signal(signal.SIGKILL)     # the scheduler cancels the task
        client.wait()
        assert await_true(lambda: count_procs(sleeper) == 0)
        # The interrupted item may not have ended yet: a scheduler's next
        # task waits for it.
        r = s.run("quick", "--wait", "30")
        assert r.returncode == 0 and "quick v=kept" in r.stdout, (r.returncode, r.stdout, r.stderr)
        slow = s.results()[0]
        assert slow["status"] == "failed" and "stopped by the host" in slow["traceback"], slow
        assert not any(line.endswith("| not-reached") for line in s.log().splitlines()), s.log()


@test
def another_user_is_refused():
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        return "SKIP needs root and setpriv to act as another user"
    with Session(shell_job([("a", "true")])) as s:
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", FARMHAND]
        # The directory is 0700: another user cannot even reach the socket.
        r = subprocess.run(nobody + ["session", "run", s.id, "a"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        assert r.returncode == 4 and "is not yours" in r.stderr, (r.returncode, r.stderr)
        # And if the directory is opened up, the session still checks who
        # connects (SO_PEERCRED).
        os.chmod(s.work, 0o755)
        os.chmod(s.dir, 0o755)
        os.chmod(os.path.join(s.dir, "socket"), 0o777)
        r = subprocess.run(nobody + ["session", "run", s.id, "a"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        assert r.returncode == 4 and "belongs to uid 0, not to uid 65534" in r.stderr, (r.returncode, r.stderr)
        assert s.run("a").returncode == 0


@test
def one_item_at_a_time():
    m = marker()
    sleeper = "sleep %s" % m
    job = shell_job([("slow", "echo started; %s" % sleeper), ("next", "echo next-ran")])
    with Session(job) as s:
        first = subprocess.Popen([FARMHAND, "session", "run", s.id, "slow"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        first.stdout.readline()
        assert first.stdout.readline().strip() == "started"
        refused = s.run("next")
        assert refused.returncode == 4 and "busy: item slow is running" in refused.stderr, refused.stderr
        waiter = subprocess.Popen([FARMHAND, "session", "run", s.id, "next", "--wait", "60"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert await_true(lambda: json.loads(farmhand("session", "status", s.id, "--json").stdout)["waiting"] == 1)
        subprocess.run(["pkill", "-f", "^%s$" % sleeper])
        first.wait(30)
        out, err = waiter.communicate(timeout=30)
        assert waiter.returncode == 0 and "next-ran" in out, (waiter.returncode, out, err)
        assert "busy with item slow; waiting" in err, err
        impatient = subprocess.Popen([FARMHAND, "session", "run", s.id, "slow"], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        impatient.stdout.readline()
        impatient.stdout.readline()
        short = s.run("next", "--wait", "0.2")
        assert short.returncode == 4 and "still running" in short.stderr, short.stderr
        impatient.kill()
        impatient.wait()


@test
def executor_dies_between_tasks():
    job = shell_job([("pid", "echo $$ > pid.txt; echo v=$v"), ("show", "echo v=$v")],
                    setup="v=fresh; echo setup >> setups.txt")
    with Session(job) as s:
        assert s.run("pid", cwd=s.work).returncode == 0
        with open(os.path.join(s.work, "pid.txt")) as f:
            pid = int(f.read())
        with open("/proc/%d/stat" % pid) as f:
            executor = int(f.read().rsplit(")", 1)[1].split()[1])
        os.kill(pid, signal.SIGKILL)
        # Between tasks: the executor (bash's parent) is gone before the next.
        assert await_true(lambda: not os.path.exists("/proc/%d" % executor))
        r = s.run("show")
        assert r.returncode == 0 and "v=fresh" in r.stdout, (r.returncode, r.stdout, r.stderr)
        with open(os.path.join(s.work, "setups.txt")) as f:
            assert f.read().count("setup") == 2
        assert "restarting the executor" in s.log()


@test
def idle_timeout_ends_it():
    m = marker()
    job = shell_job([("a", "true")], setup="sleep %s &" % m, teardown="echo torn > teardown.txt")
    s = Session(job, "--idle", "1")
    assert s.start.returncode == 0, s.start.stderr
    assert s.run("a").returncode == 0
    assert await_true(lambda: not s.alive())
    assert await_true(lambda: count_procs("sleep %s" % m) == 0)
    assert os.path.exists(os.path.join(s.work, "teardown.txt"))
    assert "idle for 1 s: stopping" in s.log()
    r = s.run("a")
    assert r.returncode == 3 and "not running" in r.stderr, (r.returncode, r.stderr)


@test
def stop_runs_teardown_and_leaves_nothing():
    m = marker()
    job = shell_job([("a", "true")], setup="sleep %s &" % m, teardown="echo torn > teardown.txt")
    s = Session(job)
    assert s.run("a").returncode == 0
    # A background job of setup: forked, maybe not exec'd yet.
    assert await_true(lambda: count_procs("sleep %s" % m) == 1)
    r = s.stop()
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(s.work, "teardown.txt"))
    assert await_true(lambda: count_procs("sleep %s" % m) == 0)
    assert not s.alive()
    assert s.stop().returncode == 3
    bad = Session(shell_job([("a", "true")], teardown="exit 4"))
    r = bad.stop()
    assert r.returncode == 1 and "teardown failed" in r.stderr, (r.returncode, r.stderr)


@test
def removing_the_directory_ends_it():
    m = marker()
    s = Session(shell_job([("a", "true")], setup="sleep %s &" % m))
    assert await_true(lambda: count_procs("sleep %s" % m) == 1)
    shutil.rmtree(s.dir)
    assert await_true(lambda: count_procs("sleep %s" % m) == 0)


@test
def descriptors_stay_flat_over_500_clients():
    """A session lives as long as its job: 500 task clients (some killed
    mid-task) leave its descriptor count where the first ones left it."""
    job = shell_job([("a", "true"), ("slow", "sleep 30")])
    with Session(job) as s:
        pid = json.loads(farmhand("session", "status", s.id, "--json").stdout)["pid"]
        fds = lambda: len(os.listdir("/proc/%d/fd" % pid))
        assert s.run("a").returncode == 0
        start = fds()
        procs = []
        for i in range(500):
            if i % 50 == 25:
                # A client killed while its command runs: the daemon
                # interrupts the command and closes that connection.
                victim = subprocess.Popen([FARMHAND, "session", "run", s.id, "slow", "--wait", "60"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                assert await_true(lambda: json.loads(farmhand("session", "status", s.id, "--json").stdout)
                                  .get("current") == "slow"), ("slow never started", i, victim.poll(), victim.stderr.read())
                victim.kill()
                victim.wait()
                continue
            procs.append(subprocess.Popen([FARMHAND, "session", "run", s.id, "a", "--wait", "60"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
            if len(procs) == 8 or i == 499:
                for p in procs:
                    _, err = p.communicate(timeout=60)
                    assert p.returncode == 0, (i, p.returncode, err)
                procs = []
        assert await_true(lambda: fds() <= start), "%d descriptors, %d after the first client" % (fds(), start)
        return "%d descriptors after 500 clients (%d after the first)" % (fds(), start)


@test
def openjd_progress_lines():
    job = shell_job([("p", "echo 'Sample 1/4'; echo 'Sample 4/4'")],
                    log={"progress": r"Sample (?<done>\d+)/(?<total>\d+)"})
    with Session(job) as s:
        r = s.run("p", "--openjd")
        assert r.returncode == 0, r.stderr
        assert "openjd_progress: 100.0" in r.stdout, r.stdout
        assert s.results()[0]["progress"] == 1.0


# ---- the examples --------------------------------------------------------------------------

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "session")


@test
def example_shell_loop():
    r = subprocess.run(["sh", os.path.join(EXAMPLES, "loop.sh"), os.path.join(EXAMPLES, "job.json")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120,
                       env=dict(os.environ, FARMHAND=FARMHAND), cwd=TMP)
    assert r.returncode == 0, (r.returncode, r.stderr)
    frames = [l for l in r.stdout.splitlines() if l.startswith("frame ")]
    assert len(frames) == 24 and len({l.split("pid ")[1] for l in frames}) == 1, frames


def substitute(text, values):
    for key, value in values.items():
        text = text.replace("{{%s}}" % key, value)
    assert "{{" not in text, text
    return text


@test
def example_openjd_template():
    """The template, run as an OpenJD runtime runs a Session of its step:
    the environment's onEnter, each task's onRun, onExit (a stand-in for
    `openjd run`, which this machine cannot install)."""
    import yaml
    with open(os.path.join(EXAMPLES, "openjd.yaml")) as f:
        template = yaml.safe_load(f)
    assert template["specificationVersion"] == "jobtemplate-2023-09"
    step = template["steps"][0]
    env = step["stepEnvironments"][0]["script"]["actions"]
    work = tempfile.mkdtemp(dir=TMP)
    values = {"Param.JobFile": os.path.join(EXAMPLES, "job.json"), "Session.WorkingDirectory": work}

    def action(a, extra):
        argv = [substitute(x, dict(values, **extra)) for x in [a["command"]] + a["args"]]
        assert argv[0] == "farmhand"
        return subprocess.run([FARMHAND] + argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=60, cwd=work)

    entered = action(env["onEnter"], {})
    assert entered.returncode == 0, entered.stderr
    outs = [action(step["script"]["actions"]["onRun"], {"Task.Param.Frame": str(f)}) for f in (1, 2, 3)]
    for f, r in enumerate(outs, 1):
        assert r.returncode == 0 and "frame %d of a scene loaded once" % f in r.stdout, (r.returncode, r.stderr)
        assert "openjd_progress: 100.0" in r.stdout, r.stdout
    assert len({r.stdout.split("pid ")[1].split()[0] for r in outs}) == 1
    exited = action(env["onExit"], {})
    assert exited.returncode == 0, exited.stderr


if __name__ == "__main__":
    sys.exit(SUITE.main(cleanup=lambda: shutil.rmtree(TMP, ignore_errors=True)))
