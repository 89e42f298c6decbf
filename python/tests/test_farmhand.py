"""The farmhand Python package (python/farmhand) over the real plugin and
real executors, under pytest: paths and loading, every exception a
farmhand.Error (errors as data), the executor conformance cases through
farmhand.Job, cancel from another thread and by SIGINT, a host serving its
own items and ending with an exit code, the Qube PyCmdDispatcher (close()
returns the code it asked for) and the example backend, 100 jobs in one
process with flat fds and RSS, and the package inside Blender's Python."""
import gc
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import BUILD, SOURCE
import farmhand
from farmhand.compat.qube import PyCmdDispatcher
from fh_tap import await_true, count_procs


def await_procs(cmdline, want, timeout=10.0):
    return await_true(lambda: count_procs(cmdline) == want, timeout)


def job(executor, commands, setup=None, **extra):
    j = {"name": "py", "executor": executor,
         "agenda": {"items": [{"name": n, "command": c} for n, c in commands]}}
    if setup is not None:
        j["setup"] = setup
    j.update(extra)
    return j


def run(description, tmp_path, **kw):
    with farmhand.Job(description, output_dir=str(tmp_path / "out")) as j:
        log = []
        summary = j.run(on_log=lambda item, stream, line: log.append((item, stream, line)), **kw)
        return summary, log


# ---- paths and loading ---------------------------------------------------------

def test_paths_from_the_build_tree():
    assert farmhand.plugin_path() == os.path.join(BUILD, "plugin", "libfarmhand-jobtype.so")
    for kind in ("python", "shell"):
        assert os.path.exists(farmhand.executor_path(kind)), farmhand.executor_path(kind)
    with pytest.raises(farmhand.ArgumentError, match=r"no farmhand executor 'perl' \(there are: python, shell\)"):
        farmhand.executor_path("perl")


def test_a_plugin_that_is_not_there():
    with pytest.raises(farmhand.PluginError, match="no job-type plugin at /nonexistent/libx.so"):
        farmhand.Job({"agenda": {"frames": "1", "command": "true"}}, plugin="/nonexistent/libx.so")


def test_a_library_that_is_no_plugin():
    lib = next(p for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1")
               if os.path.exists(p))
    with pytest.raises(farmhand.PluginError, match=r"is not a farmhand plugin: it has no fh_plugin_get_desc\(\)"):
        farmhand.load_plugin(lib)


def test_the_plugin_by_the_headers_rules():
    plugin = farmhand.load_plugin()
    assert plugin.has("job_scan_log") and plugin.has("job_create") and plugin.has("job_open")
    assert plugin.desc.abi_minor == 5 and plugin.license == "MIT"


def test_installed_package_imports(tmp_path):
    dest = str(tmp_path / "destdir")
    proc = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", dest, "--no-rebuild", "--quiet"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    inits = [os.path.join(d, "__init__.py") for d, _, files in os.walk(dest)
             if d.endswith(os.sep + "farmhand") and "__init__.py" in files]
    assert len(inits) == 1, inits
    site = os.path.dirname(os.path.dirname(inits[0]))
    env = dict(os.environ, PYTHONPATH=site)
    env.pop("FARMHAND_PLUGIN", None)
    env.pop("FARMHAND_EXECUTOR_DIR", None)
    out = subprocess.run(["/usr/bin/python3", "-c", "import farmhand; print(farmhand.plugin_path()); "
                          "print(farmhand.executor_path('python'))"], cwd=str(tmp_path), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout.split()
    assert len(out) == 2 and not out[0].startswith(BUILD) and out[0].endswith("plugins/libfarmhand-jobtype.so"), out
    assert os.path.exists(dest + out[0]) and os.path.exists(dest + out[1]), (dest, out)
    # Where it went is on the system Python's path, less the DESTDIR.
    check = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(%r in sys.path)" % site[len(dest):]],
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    if check != "True":
        pytest.skip("installed into %s, which is not on /usr/bin/python3's path (a custom prefix)"
                    % site[len(dest):])


# ---- errors, as data -------------------------------------------------------------

def test_every_exception_is_a_farmhand_error():
    for cls in (farmhand.PluginError, farmhand.JobError, farmhand.ItemsError, farmhand.LogScanError,
                farmhand.StateError, farmhand.ArgumentError):
        assert issubclass(cls, farmhand.Error), cls
    # What they were before, they still are.
    assert issubclass(farmhand.JobError, ValueError) and issubclass(farmhand.StateError, RuntimeError)


def test_invalid_job_lists_every_problem():
    with pytest.raises(farmhand.JobError) as info:
        farmhand.Job({"nmae": "x", "executor": "pyhton", "agenda": {"frames": "1-x", "command": "c"}})
    e = info.value
    assert e.code == "invalid_job" and e.source == "job"
    assert [p.path for p in e.problems] == ["nmae", "executor", "agenda.frames"], e.problems
    assert e.problems[0].message == "unknown field, did you mean 'name'?"
    assert e.problems[1].message.startswith("unknown executor preset 'pyhton', did you mean 'python'?")
    assert e.problems[2].message == 'bad frame list "1-x": expected a number at column 3'
    assert str(e).splitlines()[2] == 'agenda.frames: bad frame list "1-x": expected a number at column 3'


def test_invalid_job_file_names_file_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "name": "x",\n  "agenda": oops\n}')
    with pytest.raises(farmhand.JobError) as info:
        farmhand.Job(str(path))
    e = info.value
    assert e.code == "syntax" and e.source == str(path), e
    assert e.problems[0].line == 3 and e.problems[0].column > 0, e.problems
    with pytest.raises(FileNotFoundError):
        farmhand.Job(str(tmp_path / "missing.json"))


def test_items_lists_the_agenda():
    with farmhand.Job({"name": "f", "agenda": {"frames": "1-10", "chunk": 4,
                                               "command": "render {start}-{end}"}}) as j:
        assert j.name == "f" and j.n_items == 3
        items = j.items()
        assert [i["name"] for i in items] == ["1-4", "5-8", "9-10"], items
        assert items[2]["command"] == "render 9-10" and items[2]["frames"] == [9, 10], items
        assert [i["number"] for i in j.items("3,1")] == [3, 1]
        with pytest.raises(farmhand.ItemsError, match="there is no item 7; the job has 3"):
            j.items("7")


def test_scan_log_with_a_preset_and_a_job():
    result = farmhand.scan_log("00:00:02   190MB ERROR   | [rlm] error initializing license system:\n", "arnold")
    assert result["verdict"] == "failed" and result["class"] == "license", result
    with farmhand.Job({"name": "py-scan", "agenda": {"frames": "1", "command": ":"},
                       "log": {"errors": ["^PY-SCAN-3307"]}}) as j:
        result = j.scan_log(b"ok\nPY-SCAN-3307 bad\n")
        assert [e["line"] for e in result["errors"]] == [2], result
        result = j.scan_log("Saved: '/r/x.png'\n", preset="blender")
        assert result["outputs"] == [{"line": 1, "path": "/r/x.png"}], result
    with pytest.raises(farmhand.LogScanError, match="no log preset 'no-such-app'"):
        farmhand.scan_log("x", "no-such-app")


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


@pytest.mark.parametrize("kind", ["python", "shell"])
def test_conformance(kind, tmp_path):
    c = dict(CONFORMANCE[kind])
    out = str(tmp_path / ("f1-%s.exr" % kind))
    c["output"] = c["output"].replace("OUT", repr(out) if kind == "python" else out)
    log_cfg = {"progress": r"progress (?<done>\d+)/(?<total>\d+)", "outputs": r"wrote (?<path>\S+)"}
    summary, log = run(job(kind, [("ok", c["ok"]), ("state", c["state"]), ("fail", c["fail"]),
                                  ("progress", c["progress"]), ("output", c["output"]),
                                  ("vars", c["item_vars"])],
                           setup=c["setup"], log=log_cfg if kind == "shell" else {}), tmp_path)
    by_name = {r["name"]: r for r in summary.results}
    assert summary.status is farmhand.Status.FAILED and summary.status == "failed"
    assert summary.items_complete == 5 and summary.items_failed == 1, summary.results
    assert [r["name"] for r in summary.results] == ["ok", "state", "fail", "progress", "output", "vars"]
    assert by_name["ok"]["status"] == "complete" and by_name["state"]["status"] == "complete", summary.results
    tb = by_name["fail"].get("traceback", "")
    for want in c["fail_expect"]:
        assert want in tb, (want, tb)
    assert by_name["fail"].get("machine_bound") is False, by_name["fail"]
    assert by_name["progress"].get("progress") == 0.5, by_name["progress"]
    assert by_name["output"]["status"] == "complete", by_name["output"]
    assert by_name["output"].get("outputs", [{}])[0].get("path") == out, by_name["output"]
    assert ("state", "stdout", "kept 1") in log, log
    assert ("vars", "stdout", "item vars vars") in log, [entry for entry in log if entry[0] == "vars"]
    assert summary.executor.get("kind") == kind and summary.executor.get("exit_code") == 0, summary.executor


@pytest.mark.parametrize("kind", ["python", "shell"])
def test_a_timeout_ends_the_command(kind, tmp_path, marker):
    summary, _ = run(job(kind, [("slow", CONFORMANCE[kind]["sleep"] % marker),
                                ("after", "pass" if kind == "python" else ":")],
                         timeouts={"command_s": 1, "grace_s": 1}), tmp_path)
    slow = summary.results[0]
    assert slow["status"] == "failed" and "timeout after 1 s" in slow.get("traceback", ""), slow
    assert summary.results[1]["status"] == "complete", summary.results
    # A session that timed out cannot be trusted: the next item got a new one.
    assert summary.executor["restarts"] == 1, summary.executor
    if kind == "shell":
        assert await_procs("sleep %s" % marker, 0)


# ---- cancel -------------------------------------------------------------------

def test_cancel_from_another_thread(marker):
    sleeper = "sleep %s" % marker
    started = threading.Event()
    with farmhand.Job(job("shell", [("slow", "echo started; %s; echo not-reached" % sleeper),
                                    ("next", "echo not-reached")],
                          teardown="echo teardown-ran")) as j:
        def canceller():
            started.wait(30)
            await_procs(sleeper, 1)
            j.cancel()

        def on_log(item, stream, line):
            lines.append(line)
            if line == "started":
                started.set()

        t = threading.Thread(target=canceller)
        t.start()
        lines = []
        t0 = time.monotonic()
        summary = j.run(on_log=on_log)
        t.join()
    assert summary.status is farmhand.Status.CANCELLED, summary.raw
    assert time.monotonic() - t0 < 20
    assert "not-reached" not in lines and "teardown-ran" in lines, lines
    assert [r["name"] for r in summary.results] == ["slow"], summary.results
    assert await_procs(sleeper, 0)


SIGINT_SCRIPT = r"""
import sys, farmhand
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


def test_sigint_cancels_then_raises(marker):
    proc = subprocess.Popen([sys.executable, "-c", SIGINT_SCRIPT.replace("MARK", marker)],
                            stdout=subprocess.PIPE, text=True)
    out = []
    for line in proc.stdout:
        out.append(line.rstrip("\n"))
        if line.strip() == "started":
            break
    assert await_procs("sleep %s" % marker, 1)
    proc.send_signal(signal.SIGINT)
    out.extend(line.rstrip("\n") for line in proc.stdout)
    assert proc.wait(30) == 42, out
    assert "teardown-ran" in out and "KeyboardInterrupt raised after the run" in out, out
    assert await_procs("sleep %s" % marker, 0)


def test_a_callback_that_raises_stops_the_job():
    class Stop(Exception):
        pass

    def on_result(r):
        raise Stop("from the host")

    with farmhand.Job(job("shell", [("a", "true"), ("b", "true")])) as j:
        with pytest.raises(Stop, match="from the host"):
            j.run(on_result=on_result)


# ---- a host serving its own items ----------------------------------------------

def test_host_serves_its_own_items(tmp_path):
    served = []

    def work():
        for name in ("3", "1", "9"):
            served.append(name)
            yield name
        # Not in the agenda: a command of the host's own.
        yield {"command": "echo own-command", "name": "extra", "frames": [42]}

    summary, log = run({"name": "own", "agenda": {"frames": "1-5", "command": "echo frame {frame}"}},
                       tmp_path, items=work())
    names = [(r["name"], r["status"]) for r in summary.results]
    assert names == [("3", "complete"), ("1", "complete"), ("9", "failed"), ("extra", "complete")], names
    assert "no item named '9'" in summary.results[2]["traceback"], summary.results[2]
    assert summary.results[3]["frames"] == [42] and "index" not in summary.results[3], summary.results[3]
    assert ("extra", "stdout", "own-command") in log, log
    assert ("3", "stdout", "frame 3") in log, log


def test_summary_results_are_a_compact_sequence(tmp_path):
    """Summary.results keeps the plugin's text, not a dict per item (a
    million-item run), and reads like the list of what on_result got."""
    got = []
    summary, _ = run({"name": "results-seq", "agenda": {"frames": "1-5", "command": "test {frame} != 4"}},
                     tmp_path, on_result=got.append)
    results = summary.results
    assert len(results) == 5 and results == got and got == list(results), (results, got)
    assert results[-1] == got[4] and results[1:3] == got[1:3] and results[::-1] == got[::-1]
    assert [r["status"] for r in results] == ["complete"] * 3 + ["failed", "complete"], results
    with pytest.raises(IndexError):
        results[5]
    with pytest.raises(IndexError):
        results[-6]
    # Each access reads the text again: a caller's change stays its own.
    results[0]["status"] = "changed-by-the-test"
    assert results[0]["status"] == "complete" and results != got[:4] and repr(results) == repr(got)
    assert not isinstance(results, list) and sum(len(repr(r)) for r in got) > len(results._text) > 0
    # A host that takes them as they come keeps none.
    got.clear()
    summary, _ = run({"name": "results-none", "agenda": {"frames": "1-3", "command": ":"}},
                     tmp_path, on_result=got.append, keep_results=False)
    assert summary.ok and len(got) == 3 and len(summary.results) == 0 and summary.results == [], summary


def test_a_run_that_does_not_follow_the_log_is_not_called_for_it(tmp_path):
    """ABI 1.5: without on_log (on_progress) the plugin gets NULL for
    log_line (progress), read at job_run; the log rules still read the
    log (the result's progress)."""
    seen = []
    desc = {"name": "no-log", "log": {"progress": r"progress (?<done>\d+)/(?<total>\d+)"},
            "agenda": {"frames": "1-2", "command": "echo progress 1/4"}}
    with farmhand.Job(desc, job_dir=str(tmp_path), output_dir=str(tmp_path / "out")) as j:
        summary = j.run(on_result=lambda r: seen.append((bool(j._api.log_line), bool(j._api.progress), r)))
    assert summary.ok and [s[:2] for s in seen] == [(False, False)] * 2, seen
    assert seen[1][2]["progress"] == 0.25, seen
    log, progress = [], []
    with farmhand.Job(desc, job_dir=str(tmp_path), output_dir=str(tmp_path / "out")) as j:
        summary = j.run(on_log=lambda *line: log.append(line), on_progress=lambda *p: progress.append(p))
    assert summary.ok and ("2", "stdout", "progress 1/4") in log and progress, (log, progress)


def test_indexes_and_other_items_mixed(tmp_path):
    """Indexes go by next_index (ABI 1.4), names and commands by next_item,
    in the order served; an index the job has not is a failed result."""
    items = [2, "1", 0, {"command": "echo mixed-own", "name": "own"}, 7, 1]
    summary, log = run({"name": "mixed", "agenda": {"frames": "1-3", "command": "echo mixed {frame}"}},
                       tmp_path, items=items)
    got = [(r["name"], r["status"], r.get("index")) for r in summary.results]
    assert got == [("3", "complete", 2), ("1", "complete", 0), ("1", "complete", 0), ("own", "complete", None),
                   ("#7", "failed", None), ("2", "complete", 1)], got
    assert "next_index gave 7" in summary.results[4]["traceback"], summary.results[4]
    assert ("3", "stdout", "mixed 3") in log and ("own", "stdout", "mixed-own") in log, log


def gone(pid):
    """Whether @pid has exited and closed its files: reaped, or a zombie
    whose other threads have gone (a zombie leader waits for them)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z" and len(os.listdir("/proc/%d/task" % pid)) == 1
    except OSError:
        return True


@pytest.mark.parametrize("executor", ["python", "shell"])
def test_an_executor_that_died_idle_costs_no_attempt(executor, tmp_path):
    """Killed while the host had no work for it: the next item does not reach
    it (its stdin is closed), goes to a new executor after setup, and counts
    one attempt; the log says how the old one ended."""
    pid_file = tmp_path / "executor.pid"
    # The Python executor runs commands itself; the shell executor's bash
    # is a child of it, which it follows when bash dies.
    tell = ("import os\nopen(%r, 'w').write(str(os.getpid()))" % str(pid_file) if executor == "python"
            else "echo $$ $PPID > '%s'" % pid_file)
    setup = "up = 'idle-death'" if executor == "python" else "up=idle-death"
    show = "print('after', up)" if executor == "python" else "echo after $up"

    def work():
        yield {"command": tell, "name": "tell"}
        pids = [int(p) for p in pid_file.read_text().split()]
        os.kill(pids[0], signal.SIGKILL)
        # Gone before the next item (nothing of the plugin's event loop ran
        # meanwhile: the death is not known to it yet).
        assert await_true(lambda: gone(pids[-1]))
        yield {"command": show, "name": "after"}

    summary, log = run({"name": "idle", "executor": executor, "setup": setup}, tmp_path, items=work())
    got = [(r["name"], r["status"], r["attempts"]) for r in summary.results]
    assert got == [("tell", "complete", 1), ("after", "complete", 1)], (got, summary.results, log)
    assert ("after", "stdout", "after idle-death") in log, log
    notes = [line for _, _, line in log if "before this command was sent" in line]
    assert len(notes) == 1 and "killed by signal 9" in notes[0], log


@pytest.mark.parametrize("executor", ["python", "shell", "translated-shell"])
def test_an_end_item_sets_the_executors_exit_code(executor, tmp_path, monkeypatch):
    """End(code): no more work, and the executor exits with code once it has
    ended cleanly — started through a `sh -c` wrapper, which it leaves be."""
    if executor == "translated-shell":
        monkeypatch.setenv("FARMHAND_SHELL", "/bin/sh")
    program = farmhand.executor_path("python" if executor == "python" else "shell")
    argv = ["/bin/sh", "-c", ("/usr/bin/python3 -u %s" if executor == "python" else "%s") % program]
    command = "x = 1" if executor == "python" else "x=1"
    summary, log = run({"name": "end", "executor": {"argv": argv}}, tmp_path,
                       items=[{"command": command}, farmhand.End(3)])
    assert summary.ok and summary.executor["exit_code"] == 3, (summary, log)
    summary, _ = run({"name": "end", "executor": {"argv": argv}}, tmp_path, items=[{"command": command}])
    assert summary.executor["exit_code"] == 0, summary


def test_a_job_runs_once():
    with farmhand.Job(job("shell", [("a", "true")])) as j:
        j.run()
        with pytest.raises(farmhand.StateError, match="runs once"):
            j.run()
    with pytest.raises(farmhand.StateError, match="closed"):
        j.items()


def test_no_agenda_runs_setup_and_teardown(tmp_path):
    summary, log = run({"name": "bare", "setup": "echo set-up", "teardown": "echo torn-down"}, tmp_path)
    assert summary.ok and summary.results == [], summary.raw
    lines = [entry[2] for entry in log]
    assert "set-up" in lines and "torn-down" in lines, lines


def test_the_summary_must_agree_with_job_run():
    """job_run's return is checked against its summary."""
    assert farmhand.Summary.from_run(0, {"status": "complete"}, []).ok
    with pytest.raises(farmhand.PluginError, match="returned 0 with a summary that says 'failed'"):
        farmhand.Summary.from_run(0, {"status": "failed"}, [])
    with pytest.raises(farmhand.PluginError):
        farmhand.Summary.from_run(9, {"status": "complete"}, [])


# ---- many jobs in one process --------------------------------------------------

def fds():
    return len(os.listdir("/proc/self/fd"))


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_hundred_jobs_flat_fds_and_rss():
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

def test_qube_dispatcher(tmp_path):
    lines = []
    d = PyCmdDispatcher(logHandler=lines.append)
    d.startChild(["/bin/sh", "-c", "exec /usr/bin/python3 -u %s" % farmhand.executor_path("python")])
    assert d.execute(["import math", "k = 3"]) == 0
    assert d.execute("print(math.factorial(k))", work={"name": "7"}) == 0
    err_path = tmp_path / "qube-stderr.txt"
    saved = sys.stderr
    with open(err_path, "w") as sys.stderr:
        rc = d.execute("raise KeyError('frame 8 has no camera')", work={"name": "8"})
    sys.stderr = saved
    assert rc == 1
    err = err_path.read_text()
    assert err.count("KeyError: 'frame 8 has no camera'") == 1, err
    assert "farmhand> print(math.factorial(k))" in lines and "6" in lines, lines
    assert d.close() == 0
    with pytest.raises(farmhand.Error):
        d.startChild(["/bin/sh", "-c"])


def test_qube_close_returns_the_code_it_asked_for():
    """The seed's close(exitcode): the clean child is let exit by itself,
    with the suggested code — here behind `/bin/sh -c`, as the seed's
    backends start it, which it must not take down with it."""
    d = PyCmdDispatcher(logHandler=lambda line: None)
    d.startChild(["/bin/sh", "-c", "/usr/bin/python3 -u %s" % farmhand.executor_path("python")])
    assert d.execute(["x = 1", "print(x)"]) == 0
    t0 = time.monotonic()
    assert d.close(3) == 3
    assert time.monotonic() - t0 < 5


def test_qube_backend_example():
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

def test_inside_blender(marker):
    if shutil.which("blender") is None:
        pytest.skip("blender is not installed (apt-get install -y blender)")
    expr = textwrap.dedent("""
        import sys, farmhand
        s = farmhand.Job({"name": "b", "agenda": {"items": [{"name": "x", "command": "echo from-blender-%s"}]}}).run(
            on_log=lambda i, st, l: print("LOG", l))
        print("BLENDER-FARMHAND", s.status.value, farmhand.__version__)
        sys.stdout.flush()
    """ % marker)
    proc = subprocess.run(["blender", "-b", "--factory-startup", "--python-exit-code", "1",
                           "--python-expr", expr], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)
    assert "BLENDER-FARMHAND complete" in proc.stdout, proc.stdout[-2000:]
    assert "LOG from-blender-%s" % marker in proc.stdout, proc.stdout[-2000:]


def test_a_result_must_be_one_json_object():
    """The plugin's result is read without json.loads()'s checks around
    it: anything but exactly one object is the plugin's error."""
    from farmhand._results import parse_result as _parse_result
    assert _parse_result('{"name": "1", "status": "complete"}') == {"name": "1", "status": "complete"}
    for bad in ('{"name": "1"} {}', '{"name": "1"}\n', '[1]', ' {"a": 1}'):
        with pytest.raises(farmhand.PluginError):
            _parse_result(bad)
