#!/usr/bin/python3
"""test-openjd-farm.py — OpenJD jobs across workers: `farmhand submit`
(--prepare with local workers, and --slurm on the real local cluster), a
Session per worker, steps after their dependencies, a failing step that
holds the next with a reason, `farmhand cancel` that exits the
environments, a worker killed with SIGKILL that loses nothing.  Every
action appends a marker line (what, its Session's working directory,
when) to one file: the test counts environments entered and exited per
Session from it.  The Slurm tests skip, saying why, without a cluster
(.ci/run starts one).  TAP.

Usage: test-openjd-farm.py BUILD_DIR
"""
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fh_tap import Suite, await_true  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
TMP = tempfile.mkdtemp(prefix="farmhand-openjd-farm-")
SUITE = Suite(9800)
test, marker = SUITE.test, SUITE.marker


def template(tag, frames="1-8", render="true", sleep="0.1"):
    """Two steps: render (FRAMES, each RENDER after a pause) then encode,
    in a job environment; every action appends to TAG.marks."""
    marks = os.path.join(TMP, tag + ".marks")
    line = "echo WHAT {{Session.WorkingDirectory}} $(date +%s.%N) >> " + marks

    def mark(what):
        return line.replace("WHAT", what)
    text = """specificationVersion: jobtemplate-2023-09
name: Farm%(tag)s
jobEnvironments:
- name: Scene
  script:
    actions:
      onEnter: {command: bash, args: ["-c", "%(enter)s"]}
      onExit: {command: bash, args: ["-c", "%(exit)s"]}
steps:
- name: render
  parameterSpace:
    taskParameterDefinitions:
    - {name: Frame, type: INT, range: "%(frames)s"}
  script:
    actions:
      onRun: {command: bash, args: ["-c", "%(start)s; sleep %(sleep)s; %(render)s || exit 1; %(end)s"]}
- name: encode
  dependencies: [{dependsOn: render}]
  script:
    actions:
      onRun: {command: bash, args: ["-c", "%(encode)s"]}
""" % {"tag": tag, "frames": frames, "sleep": sleep, "render": render,
       "enter": mark("enter"), "exit": mark("exit"),
       "start": mark("start-{{Task.Param.Frame}}"), "end": mark("end-{{Task.Param.Frame}}"),
       "encode": mark("encode")}
    path = os.path.join(TMP, tag + ".yaml")
    with open(path, "w") as f:
        f.write(text)
    return path, marks


def marks_of(path):
    """[(what, session, time)], in the order written."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [(w, s, float(t)) for w, s, t in (line.split() for line in f if line.strip())]


def farmhand(*args, timeout=120):
    return subprocess.run([FARMHAND] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, cwd=TMP)


def status(jobdir):
    r = farmhand("status", "--json", jobdir)
    return r.returncode, json.loads(r.stdout)


def results(jobdir):
    r = farmhand("status", "--results", jobdir)
    assert r.returncode == 0, r.stdout
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def check_sessions(marks):
    """Each Session entered its environment once, before its tasks, and
    exited it once, after them.  Returns the Sessions that ran a task."""
    sessions = {}
    for what, session, _ in marks:
        sessions.setdefault(session, []).append(what)
    ran = 0
    for session, whats in sessions.items():
        assert whats.count("enter") == 1 and whats.count("exit") == 1, (session, whats)
        assert whats[0] == "enter" and whats[-1] == "exit", (session, whats)
        ran += len(whats) > 2
    return ran


def check_once_and_ordered(marks, frames):
    """Every render task once, encode once, after the last render ended."""
    starts = sorted(w for w, _, _ in marks if w.startswith("start-"))
    assert starts == sorted("start-%d" % f for f in frames), starts
    encode = [t for w, _, t in marks if w == "encode"]
    last_render = max(t for w, _, t in marks if w.startswith("end-"))
    assert len(encode) == 1 and encode[0] > last_render, (encode, last_render)
    return encode[0] - last_render


def have_slurm():
    try:
        out = subprocess.run(["sinfo", "--noheader", "--responding", "--format=%T"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and any(s and not s.startswith(("down", "drain", "fail"))
                                       for s in out.stdout.split())


NO_SLURM = "SKIP no Slurm cluster here: .ci/run starts one (../shared/slurm/start-local-slurm.sh, as root)"


def slurm_idle(jobdir):
    """Whether none of the job's Slurm arrays is pending or running."""
    with open(os.path.join(jobdir, "meta.json")) as f:
        ids = json.load(f)["slurm_job"]
    out = subprocess.run(["squeue", "--noheader", "--jobs", ids], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    return out.returncode == 0 and not out.stdout.strip()


def await_slurm_end(jobdir, timeout=180):
    """Until `farmhand status` says the job is over (no longer 3) and its
    arrays have left Slurm's queue."""
    return await_true(lambda: status(jobdir)[0] != 3 and slurm_idle(jobdir), timeout)


@contextlib.contextmanager
def cancelled_on_failure(jobdir):
    """A test that fails leaves nothing queued on the cluster."""
    try:
        yield
    except BaseException:
        farmhand("cancel", "--grace", "1", jobdir)
        raise


def start_workers(jobdir, n, *extra):
    return [subprocess.Popen([FARMHAND, "worker", jobdir, "--name", "w%d" % i] + list(extra),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=TMP)
            for i in range(n)]


# ---- local workers (--prepare) ------------------------------------------------

@test
def two_steps_over_local_workers():
    tag = "local" + marker().replace(".", "")
    path, marks = template(tag)
    jobdir = os.path.join(TMP, tag)
    r = farmhand("submit", "--prepare", path, "--jobdir", jobdir)
    assert r.returncode == 0 and "9 tasks in 2 steps" in r.stdout, r.stdout
    workers = start_workers(jobdir, 2)
    outs = [w.communicate(timeout=120)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outs
    m = marks_of(marks)
    check_once_and_ordered(m, range(1, 9))
    assert check_sessions(m) == 2, m
    code, st = status(jobdir)
    assert code == 0, st
    assert [(s["name"], s["state"], s["complete"]) for s in st["steps"]] == \
        [("render", "complete", 8), ("encode", "complete", 1)], st["steps"]
    rs = results(jobdir)
    assert sorted(r["name"] for r in rs) == sorted(["render[Frame=%d]" % f for f in range(1, 9)] + ["encode"]), rs


@test
def a_failing_step_holds_the_next_with_a_reason():
    tag = "hold" + marker().replace(".", "")
    path, marks = template(tag, frames="1-4", render="test {{Task.Param.Frame}} != 3")
    jobdir = os.path.join(TMP, tag)
    assert farmhand("submit", "--prepare", path, "--jobdir", jobdir).returncode == 0
    r = farmhand("worker", jobdir, "--name", "one")
    assert r.returncode == 1, r.stdout
    # A task's failure ends a Session; a new one runs the tasks left.
    assert "a new Session for the tasks left" in r.stdout, r.stdout
    m = marks_of(marks)
    assert not any(w == "encode" for w, _, _ in m), m
    assert check_sessions(m) == 2, m
    r = farmhand("worker", jobdir, "--name", "two", "--step", "encode")
    assert r.returncode == 1 and "step encode does not run: step render failed: 1 of its 4 tasks failed" in r.stdout, \
        r.stdout
    code, st = status(jobdir)
    assert code == 1, st
    encode = st["steps"][1]
    assert encode["state"] == "blocked" and "step render failed" in encode["why"], encode
    assert st["failures"][0]["name"] == "render[Frame=3]" and st["failures"][0]["class"] == "exit_code", st["failures"]
    text = farmhand("status", jobdir).stdout
    assert "no worker runs it" in text and "submit --resume" in text, text


@test
def a_step_name_that_is_not_there_is_refused():
    tag = "nostep" + marker().replace(".", "")
    path, _ = template(tag, frames="1-2")
    jobdir = os.path.join(TMP, tag)
    assert farmhand("submit", "--prepare", path, "--jobdir", jobdir).returncode == 0
    r = farmhand("worker", jobdir, "--step", "denoise")
    assert r.returncode == 2 and "no such step (its steps: render, encode)" in r.stdout, r.stdout
    r = farmhand("submit", "--prepare", path, "-p", "Frames=1-3")
    assert r.returncode == 2 and "--job-param Frames=1-3" in r.stdout, r.stdout


# ---- on Slurm ----------------------------------------------------------------------

@test
def two_steps_on_slurm_a_session_per_worker():
    if not have_slurm():
        return NO_SLURM
    tag = "slurm" + marker().replace(".", "")
    path, marks = template(tag)
    jobdir = os.path.join(TMP, tag)
    r = farmhand("submit", "--slurm", path, "--jobdir", jobdir, "--workers", "4")
    assert r.returncode == 0 and "an array per step" in r.stdout and "after render" in r.stdout, r.stdout
    with cancelled_on_failure(jobdir):
        assert await_slurm_end(jobdir), status(jobdir)
    code, st = status(jobdir)
    assert code == 0, st
    m = marks_of(marks)
    gap = check_once_and_ordered(m, range(1, 9))
    # The render workers' Sessions and the encode worker's.
    ran = check_sessions(m)
    assert 2 <= ran <= 5, m
    return "encode started %.2f s after the last render task" % gap


@test
def a_failing_step_holds_the_next_on_slurm():
    if not have_slurm():
        return NO_SLURM
    tag = "slurmfail" + marker().replace(".", "")
    path, marks = template(tag, frames="1-4", render="test {{Task.Param.Frame}} != 2")
    jobdir = os.path.join(TMP, tag)
    assert farmhand("submit", "--slurm", path, "--jobdir", jobdir, "--workers", "2").returncode == 0
    with cancelled_on_failure(jobdir):
        assert await_slurm_end(jobdir), status(jobdir)
    code, st = status(jobdir)
    assert code == 1, st
    assert st["steps"][1]["state"] == "blocked" and "step render failed: 1 of its 4 tasks" in st["steps"][1]["why"], st
    assert not any(w == "encode" for w, _, _ in marks_of(marks))
    blocked = [w for w in st["workers"] if w["state"] == "blocked"]
    assert blocked and "step render failed" in blocked[0]["error"], st["workers"]


@test
def cancel_exits_the_environments_on_slurm():
    if not have_slurm():
        return NO_SLURM
    tag = "cancel" + marker().replace(".", "")
    path, marks = template(tag, frames="1-4", sleep="300")
    jobdir = os.path.join(TMP, tag)
    assert farmhand("submit", "--slurm", path, "--jobdir", jobdir, "--workers", "2").returncode == 0
    with cancelled_on_failure(jobdir):
        assert await_true(lambda: sum(w.startswith("start-") for w, _, _ in marks_of(marks)) == 2, 60), \
            marks_of(marks)
        r = farmhand("cancel", "--grace", "30", jobdir)
        assert r.returncode == 0, r.stdout
    m = marks_of(marks)
    assert [w for w, _, _ in m].count("enter") == 2 and [w for w, _, _ in m].count("exit") == 2, m
    assert not any(w.startswith("end-") for w, _, _ in m), m
    code, st = status(jobdir)
    assert code == 1 and all(w["state"] == "cancelled" for w in st["workers"]), st


@test
def a_worker_killed_mid_task_loses_nothing_on_slurm():
    if not have_slurm():
        return NO_SLURM
    tag = "kill" + marker().replace(".", "")
    path, marks = template(tag, frames="1-6", sleep="2")
    jobdir = os.path.join(TMP, tag)
    assert farmhand("submit", "--slurm", path, "--jobdir", jobdir, "--workers", "2", "--lease", "3").returncode == 0
    with cancelled_on_failure(jobdir):
        def running_worker():
            for w in status(jobdir)[1]["workers"]:
                if w.get("alive") and w.get("index", -1) >= 0:
                    return w
            return None
        assert await_true(lambda: running_worker() is not None, 60), status(jobdir)
        victim = running_worker()
        os.kill(victim["pid"], signal.SIGKILL)
        assert await_slurm_end(jobdir), status(jobdir)
    code, st = status(jobdir)
    assert code == 0, st
    rs = results(jobdir)
    assert len(rs) == 7 and all(r["status"] == "complete" for r in rs), rs
    taken_over = [r for r in rs if r["attempts"] > 1]
    assert taken_over, rs
    return "%s taken over after %s was killed" % (taken_over[0]["name"], victim["worker"])


@test
def the_blender_example_renders_then_encodes():
    if not shutil.which("blender") or not shutil.which("ffmpeg"):
        return "SKIP the example needs blender and ffmpeg (.ci/run installs them)"
    example = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "openjd", "blender")
    tag = "blender" + marker().replace(".", "")
    jobdir, out = os.path.join(TMP, tag), os.path.join(TMP, tag + "-out")
    slurm = have_slurm()
    r = farmhand("submit", "--slurm" if slurm else "--prepare", example, "--jobdir", jobdir, "--workers", "2",
                 "--job-param", "Frames=1-6", "--job-param", "OutputDir=" + out)
    assert r.returncode == 0, r.stdout
    with cancelled_on_failure(jobdir):
        if slurm:
            assert await_slurm_end(jobdir, 300), status(jobdir)
        else:
            for w in start_workers(jobdir, 2):
                w.communicate(timeout=300)
    code, st = status(jobdir)
    assert code == 0, st
    assert sorted(os.listdir(out)) == ["frame_%04d.png" % f for f in range(1, 7)] + ["movie.mp4"], os.listdir(out)
    assert os.path.getsize(os.path.join(out, "movie.mp4")) > 1000
    # One Blender per Session: each worker that rendered started one, and
    # every frame it rendered came from that one process.
    logs = ""
    for name in os.listdir(os.path.join(jobdir, "logs")):
        with open(os.path.join(jobdir, "logs", name), errors="replace") as f:
            logs += f.read()
    servers = set(re.findall(r"render server ready: Blender pid (\d+)", logs))
    renderers = set(re.findall(r"rendered frame \d+ in blender pid (\d+)", logs))
    assert 1 <= len(servers) <= 2 and renderers == servers, (servers, renderers)
    return "%d Blender%s for 6 frames (%s)" % (len(servers), "" if len(servers) == 1 else "s",
                                              "Slurm" if slurm else "local workers")


sys.exit(SUITE.main(cleanup=lambda: shutil.rmtree(TMP, ignore_errors=True)))
