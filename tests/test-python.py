#!/usr/bin/python3
"""test-python.py BUILD_DIR SOURCE_DIR — the farmhand Python package
(python/farmhand) over the real plugin and real executors: the executor
conformance cases through farmhand.Job, validation errors, cancel from
another thread and by SIGINT, a host serving its own items, the Qube
PyCmdDispatcher and the example backend, 100 jobs in one process with flat
fds and RSS, and the package inside Blender's Python.  TAP."""
import gc
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

BUILD, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
PYDIR = os.path.join(BUILD, "python")
sys.path.insert(0, PYDIR)
# The "python" preset runs python3 from PATH: the system one, as in CI.
os.environ["PATH"] = "/usr/bin:" + os.environ.get("PATH", "")
os.environ["PYTHONPATH"] = PYDIR + os.pathsep + os.environ.get("PYTHONPATH", "")

import farmhand  # noqa: E402
from farmhand.compat.qube import PyCmdDispatcher  # noqa: E402

from fh_tap import Suite, await_true, count_procs  # noqa: E402

SUITE = Suite(4000)
test, marker = SUITE.test, SUITE.marker
TMP = tempfile.mkdtemp(prefix="farmhand-python-")


def await_procs(cmdline, want, timeout=10.0):
    return await_true(lambda: count_procs(cmdline) == want, timeout)


def job(executor, commands, setup=None, **extra):
    j = {"name": "py", "executor": executor,
         "agenda": {"items": [{"name": n, "command": c} for n, c in commands]}}
    if setup is not None:
        j["setup"] = setup
    j.update(extra)
    return j


def run(description, **kw):
    with farmhand.Job(description, output_dir=os.path.join(TMP, "out")) as j:
        log = []
        summary = j.run(on_log=lambda item, stream, line: log.append((item, stream, line)), **kw)
        return summary, log


# ---- paths and loading ---------------------------------------------------------

@test
def paths_from_the_build_tree():
    assert farmhand.plugin_path() == os.path.join(BUILD, "plugin", "libfarmhand-jobtype.so")
    for kind in ("python", "shell"):
        assert os.path.exists(farmhand.executor_path(kind)), farmhand.executor_path(kind)
    try:
        farmhand.executor_path("perl")
    except ValueError as e:
        assert "no farmhand executor 'perl' (there are: python, shell)" in str(e), e
    else:
        raise AssertionError("no ValueError")


@test
def a_plugin_that_is_not_there():
    try:
        farmhand.Job({"agenda": {"frames": "1", "command": "true"}}, plugin="/nonexistent/libx.so")
    except farmhand.PluginError as e:
        assert "no job-type plugin at /nonexistent/libx.so" in str(e), e
    else:
        raise AssertionError("no PluginError")


@test
def a_library_that_is_no_plugin():
    lib = next(p for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1")
               if os.path.exists(p))
    try:
        farmhand.load_plugin(lib)
    except farmhand.PluginError as e:
        assert "is not a farmhand plugin: it has no fh_plugin_get_desc()" in str(e), e
    else:
        raise AssertionError("no PluginError")


@test
def installed_package_imports():
    dest = os.path.join(TMP, "destdir")
    proc = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", dest, "--no-rebuild", "--quiet"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise AssertionError(proc.stdout[-2000:])
    inits = [os.path.join(d, "__init__.py") for d, _, files in os.walk(dest)
             if d.endswith(os.sep + "farmhand") and "__init__.py" in files]
    assert len(inits) == 1, inits
    site = os.path.dirname(os.path.dirname(inits[0]))
    # Where it went is on the system Python's path, less the DESTDIR.
    check = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(%r in sys.path)" % site[len(dest):]],
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    env = dict(os.environ, PYTHONPATH=site)
    env.pop("FARMHAND_PLUGIN", None)
    env.pop("FARMHAND_EXECUTOR_DIR", None)
    out = subprocess.run(["/usr/bin/python3", "-c", "import farmhand; print(farmhand.plugin_path()); "
                          "print(farmhand.executor_path('python'))"], cwd=TMP, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout.split()
    assert len(out) == 2 and not out[0].startswith(BUILD) and out[0].endswith("plugins/libfarmhand-jobtype.so"), out
    assert os.path.exists(dest + out[0]) and os.path.exists(dest + out[1]), (dest, out)
    if check != "True":
        return "SKIP installed into %s, which is not on /usr/bin/python3's path (a custom prefix)" % site[len(dest):]


# ---- validation ----------------------------------------------------------------

@test
def invalid_job_lists_every_problem():
    try:
        farmhand.Job({"nmae": "x", "executor": "pyhton", "agenda": {"frames": "1-x", "command": "c"}})
    except farmhand.JobError as e:
        assert e.problems == [
            "nmae: unknown field, did you mean 'name'?",
            "executor: unknown executor preset 'pyhton', did you mean 'python'? (presets: %s; "
            "or give {\"argv\": [...]})" % e.problems[1].split("(presets: ")[1].split(";")[0],
            'agenda.frames: bad frame list "1-x": expected a number at column 3',
        ], e.problems
    else:
        raise AssertionError("no JobError")


@test
def invalid_job_file_names_file_and_line():
    path = os.path.join(TMP, "broken.json")
    with open(path, "w") as f:
        f.write('{\n  "name": "x",\n  "agenda": oops\n}')
    try:
        farmhand.Job(path)
    except farmhand.JobError as e:
        assert e.problems[0].startswith(path + ":3:"), e.problems
    else:
        raise AssertionError("no JobError")
    try:
        farmhand.Job(os.path.join(TMP, "missing.json"))
    except FileNotFoundError:
        pass
    else:
        raise AssertionError("no FileNotFoundError")


@test
def items_lists_the_agenda():
    with farmhand.Job({"name": "f", "agenda": {"frames": "1-10", "chunk": 4,
                                               "command": "render {start}-{end}"}}) as j:
        assert j.name == "f" and j.n_items == 3
        items = j.items()
        assert [i["name"] for i in items] == ["1-4", "5-8", "9-10"], items
        assert items[2]["command"] == "render 9-10" and items[2]["frames"] == [9, 10], items
        assert [i["number"] for i in j.items("3,1")] == [3, 1]
        try:
            j.items("7")
        except ValueError as e:
            assert "there is no item 7; the job has 3" in str(e), e
        else:
            raise AssertionError("no ValueError")


# ---- log rules ------------------------------------------------------------------

@test
def scan_log_with_a_preset_and_a_job():
    result = farmhand.scan_log("00:00:02   190MB ERROR   | [rlm] error initializing license system:\n", "arnold")
    assert result["verdict"] == "failed" and result["class"] == "license", result
    with farmhand.Job({"name": "py-scan", "agenda": {"frames": "1", "command": ":"},
                       "log": {"errors": ["^PY-SCAN-3307"]}}) as j:
        result = j.scan_log(b"ok\nPY-SCAN-3307 bad\n")
        assert [e["line"] for e in result["errors"]] == [2], result
        result = j.scan_log("Saved: '/r/x.png'\n", preset="blender")
        assert result["outputs"] == [{"line": 1, "path": "/r/x.png"}], result
    try:
        farmhand.scan_log("x", "no-such-app")
    except ValueError as e:
        assert "no log preset 'no-such-app'" in str(e), e
    else:
        raise AssertionError("no ValueError")


# ---- the executor conformance cases, through the Python API -------------------

CONFORMANCE = {
    "python": dict(
        setup="state = {'n': 0}\nimport os",
        ok="state['n'] += 1; print('n is', state['n'])",
        state="assert state['n'] == 1, state; print('kept', state['n'])",
        fail="x = 1\nraise FileNotFoundError('no such scene: shot.ma')",
        fail_expect=["Traceback (most recent call last):", "line 2, in <module>",
                     "raise FileNotFoundError", "no such scene: shot.ma"],
        progress="farmhand.progress(0.25); farmhand.progress(0.5)",
        output="open(OUT, 'w').write('exr'); farmhand.output(OUT)",
        item_vars="print('item', farmhand.item['name'], farmhand.phase == 'agenda' and farmhand.item['name'])",
        sleep="import time; print('started'); time.sleep(%s)",
    ),
    "shell": dict(
        setup="state=0",
        ok="state=$((state+1)); echo n is $state",
        state='[ "$state" = 1 ] && echo kept $state',
        fail="echo 'no such scene: shot.ma' >&2; exit 3",
        fail_expect=["no such scene: shot.ma", "exit status 3"],
        progress="echo progress 25/100; echo progress 50/100",
        output="echo exr > 'OUT'; echo 'wrote OUT'",
        item_vars='echo item "$FARMHAND_ITEM" "$FARMHAND_ITEM"',
        sleep="echo started; sleep %s",
    ),
}


def conformance(kind):
    c = dict(CONFORMANCE[kind])
    out = os.path.join(TMP, "f1-%s.exr" % kind)
    c["output"] = c["output"].replace("OUT", repr(out) if kind == "python" else out)
    log_cfg = {"progress": r"progress (?<done>\d+)/(?<total>\d+)", "outputs": r"wrote (?<path>\S+)"}
    summary, log = run(job(kind, [("ok", c["ok"]), ("state", c["state"]), ("fail", c["fail"]),
                                  ("progress", c["progress"]), ("output", c["output"]),
                                  ("vars", c["item_vars"])],
                           setup=c["setup"], log=log_cfg if kind == "shell" else {}))
    by_name = {r["name"]: r for r in summary.results}
    assert summary.status == "failed" and summary.items_complete == 5 and summary.items_failed == 1, summary.results
    assert [r["name"] for r in summary.results] == ["ok", "state", "fail", "progress", "output", "vars"]
    assert by_name["ok"]["status"] == "complete" and by_name["state"]["status"] == "complete", summary.results
    tb = by_name["fail"].get("traceback", "")
    for want in c["fail_expect"]:
        assert want in tb, (want, tb)
    assert by_name["progress"].get("progress") == 0.5, by_name["progress"]
    assert by_name["output"]["status"] == "complete", by_name["output"]
    assert by_name["output"].get("outputs", [{}])[0].get("path") == out, by_name["output"]
    assert ("state", "stdout", "kept 1") in log, log
    assert ("vars", "stdout", "item vars vars") in log, [l for l in log if l[0] == "vars"]
    assert summary.executor.get("kind") == kind and summary.executor.get("exit_code") == 0, summary.executor


@test
def conformance_python():
    conformance("python")


@test
def conformance_shell():
    conformance("shell")


def timeout_ends_the_command(kind):
    m = marker()
    summary, _ = run(job(kind, [("slow", CONFORMANCE[kind]["sleep"] % m), ("after", "pass" if kind == "python" else ":")],
                         timeouts={"command_s": 1, "grace_s": 1}))
    slow = summary.results[0]
    assert slow["status"] == "failed" and "timeout after 1 s" in slow.get("traceback", ""), slow
    assert summary.results[1]["status"] == "complete", summary.results
    # A session that timed out cannot be trusted: the next item got a new one.
    assert summary.executor["restarts"] == 1, summary.executor
    if kind == "shell":
        assert await_procs("sleep %s" % m, 0)


@test
def timeout_python():
    timeout_ends_the_command("python")


@test
def timeout_shell():
    timeout_ends_the_command("shell")


# ---- cancel -------------------------------------------------------------------

@test
def cancel_from_another_thread():
    m = marker()
    sleeper = "sleep %s" % m
    started = threading.Event()
    with farmhand.Job(job("shell", [("slow", "echo started; %s; echo not-reached" % sleeper),
                                    ("next", "echo not-reached")],
                          teardown="echo teardown-ran")) as j:
        def on_log(item, stream, line):
            if line == "started":
                started.set()

        def canceller():
            started.wait(30)
            await_procs(sleeper, 1)
            j.cancel()

        t = threading.Thread(target=canceller)
        t.start()
        lines = []
        t0 = time.monotonic()
        summary = j.run(on_log=lambda i, s, l: (lines.append(l), on_log(i, s, l)))
        t.join()
    assert summary.status == "cancelled", summary.raw
    assert time.monotonic() - t0 < 20
    assert "not-reached" not in lines and "teardown-ran" in lines, lines
    assert [r["name"] for r in summary.results] == ["slow"], summary.results
    assert await_procs(sleeper, 0)


SIGINT_SCRIPT = r"""
import sys, farmhand
lines = []
j = farmhand.Job({"name": "int", "teardown": "echo teardown-ran",
                  "agenda": {"items": [{"name": "slow", "command": "echo started; sleep MARK"}]}})
def on_log(item, stream, line):
    print(line, flush=True)
try:
    j.run(on_log=on_log)
except KeyboardInterrupt:
    print("KeyboardInterrupt raised after the run", flush=True)
    sys.exit(42)
"""


@test
def sigint_cancels_then_raises():
    m = marker()
    proc = subprocess.Popen([sys.executable, "-c", SIGINT_SCRIPT.replace("MARK", m)],
                            stdout=subprocess.PIPE, text=True)
    out = []
    for line in proc.stdout:
        out.append(line.rstrip("\n"))
        if line.strip() == "started":
            break
    assert await_procs("sleep %s" % m, 1)
    proc.send_signal(signal.SIGINT)
    out.extend(l.rstrip("\n") for l in proc.stdout)
    assert proc.wait(30) == 42, out
    assert "teardown-ran" in out and "KeyboardInterrupt raised after the run" in out, out
    assert await_procs("sleep %s" % m, 0)


@test
def a_callback_that_raises_stops_the_job():
    class Stop(Exception):
        pass

    def on_result(r):
        raise Stop("from the host")

    with farmhand.Job(job("shell", [("a", "true"), ("b", "true")])) as j:
        try:
            j.run(on_result=on_result)
        except Stop as e:
            assert str(e) == "from the host"
        else:
            raise AssertionError("no Stop")


# ---- a host serving its own items ----------------------------------------------

@test
def host_serves_its_own_items():
    served = []

    def work():
        for name in ("3", "1", "9"):
            served.append(name)
            yield name
        # Not in the agenda: a command of the host's own.
        yield {"command": "echo own-command", "name": "extra", "frames": [42]}

    summary, log = run({"name": "own", "agenda": {"frames": "1-5", "command": "echo frame {frame}"}},
                       items=work())
    names = [(r["name"], r["status"]) for r in summary.results]
    assert names == [("3", "complete"), ("1", "complete"), ("9", "failed"), ("extra", "complete")], names
    assert "no item named '9'" in summary.results[2]["traceback"], summary.results[2]
    assert summary.results[3]["frames"] == [42] and "index" not in summary.results[3], summary.results[3]
    assert ("extra", "stdout", "own-command") in log, log
    assert ("3", "stdout", "frame 3") in log, log


@test
def a_job_runs_once():
    with farmhand.Job(job("shell", [("a", "true")])) as j:
        j.run()
        try:
            j.run()
        except RuntimeError as e:
            assert "runs once" in str(e)
        else:
            raise AssertionError("no RuntimeError")


@test
def no_agenda_runs_setup_and_teardown():
    summary, log = run({"name": "bare", "setup": "echo set-up", "teardown": "echo torn-down"})
    assert summary.status == "complete" and summary.results == [], summary.raw
    lines = [l[2] for l in log]
    assert "set-up" in lines and "torn-down" in lines, lines


# ---- many jobs in one process --------------------------------------------------

def fds():
    return len(os.listdir("/proc/self/fd"))


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@test
def hundred_jobs_flat_fds_and_rss():
    def one():
        with farmhand.Job(job("shell", [("a", "echo a"), ("b", "echo b")])) as j:
            assert j.run(on_log=lambda *a: None).ok

    # Warm up first (one-time allocations, lazily opened files), then
    # the steady state: no growth from one half of the run to the other.
    for _ in range(10):
        one()
    for _ in range(45):
        one()
    gc.collect()
    fd0, rss0 = fds(), rss_kb()
    for _ in range(45):
        one()
    gc.collect()
    fd1, rss1 = fds(), rss_kb()
    assert fd1 <= fd0, (fd0, fd1)
    # AddressSanitizer keeps freed memory in quarantine: RSS says nothing there.
    if "asan" not in os.environ.get("LD_PRELOAD", ""):
        assert rss1 - rss0 < 4096, (rss0, rss1)


# ---- Qube -----------------------------------------------------------------------

@test
def qube_dispatcher():
    lines = []
    d = PyCmdDispatcher(logHandler=lines.append)
    d.startChild(["/bin/sh", "-c", "exec /usr/bin/python3 -u %s" % farmhand.executor_path("python")])
    assert d.execute(["import math", "k = 3"]) == 0
    assert d.execute("print(math.factorial(k))", work={"name": "7"}) == 0
    err_path = os.path.join(TMP, "qube-stderr.txt")
    saved = sys.stderr
    with open(err_path, "w") as sys.stderr:
        rc = d.execute("raise KeyError('frame 8 has no camera')", work={"name": "8"})
    sys.stderr = saved
    assert rc == 1
    with open(err_path) as f:
        err = f.read()
    assert err.count("KeyError: 'frame 8 has no camera'") == 1, err
    assert "farmhand> print(math.factorial(k))" in lines and "6" in lines, lines
    assert d.close() == 0
    try:
        d.startChild(["/bin/sh", "-c"])
    except (ValueError, RuntimeError):
        pass
    else:
        raise AssertionError("startChild took a 2-element list")


@test
def qube_backend_example():
    proc = subprocess.run([sys.executable, os.path.join(SOURCE, "examples", "qube", "backend.py"),
                           "--frames", "5", "--fail", "3"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    for i, state in enumerate(["complete", "complete", "failed", "complete", "complete"], 1):
        assert "frame %d: %s" % (i, state) in proc.stdout, proc.stdout
    assert "child exited with 0" in proc.stdout, proc.stdout
    assert "[job log] rendered shot010 frame 5" in proc.stdout, proc.stdout
    # A real traceback, once, quoting the line of the function defined in setup.
    assert proc.stderr.count("RuntimeError: texture missing for frame 3") == 1, proc.stderr
    assert "raise RuntimeError('texture missing for frame %d' % frame)" in proc.stderr, proc.stderr


# ---- inside a DCC's Python ---------------------------------------------------------

@test
def inside_blender():
    if shutil.which("blender") is None:
        return "SKIP blender is not installed (apt-get install -y blender)"
    m = marker()
    expr = textwrap.dedent("""
        import sys, farmhand
        s = farmhand.Job({"name": "b", "agenda": {"items": [{"name": "x", "command": "echo from-blender-%s"}]}}).run(
            on_log=lambda i, st, l: print("LOG", l))
        print("BLENDER-FARMHAND", s.status, farmhand.__version__)
        sys.stdout.flush()
    """ % m)
    proc = subprocess.run(["blender", "-b", "--factory-startup", "--python-exit-code", "1",
                           "--python-expr", expr], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)
    assert "BLENDER-FARMHAND complete" in proc.stdout, proc.stdout[-2000:]
    assert "LOG from-blender-%s" % m in proc.stdout, proc.stdout[-2000:]


if __name__ == "__main__":
    sys.exit(SUITE.main(cleanup=lambda: shutil.rmtree(TMP, ignore_errors=True)))
