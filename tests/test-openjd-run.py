#!/usr/bin/python3
"""test-openjd-run.py — `farmhand openjd run` end to end: real templates,
real processes, real signals.  Environments are exited after a failing
task, a failing onEnter, a timeout and a cancel, with nothing left
running; NOTIFY_THEN_TERMINATE writes cancel_info.json and sends SIGTERM
before SIGKILL; a redacted value never reaches the log or the results; a
job bundle directory; a 100,000-task parameter space in bounded memory.
TAP.

Usage: test-openjd-run.py BUILD_DIR
"""
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fh_tap import Suite, await_true, count_procs  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
# Under valgrind (tools/test): "valgrind --error-exitcode=9 ... ".
WRAPPER = os.environ.get("FH_OPENJD_WRAPPER", "").split()
TMP = tempfile.mkdtemp(prefix="farmhand-openjd-")
SUITE = Suite(9700)
test, marker = SUITE.test, SUITE.marker


def write(name, text):
    path = os.path.join(TMP, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def run(template, *args, timeout=120):
    return subprocess.run(WRAPPER + [FARMHAND, "openjd", "run", "--plain", template] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          cwd=TMP)


def results(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def env_template(tag, enter="true"):
    """A job with one environment whose onExit leaves a file: the proof it ran."""
    return ("specificationVersion: jobtemplate-2023-09\n"
            "name: J%s\n"
            "jobEnvironments:\n"
            "- name: Outer\n"
            "  script:\n"
            "    actions:\n"
            "      onEnter: {command: bash, args: ['-c', '%s']}\n"
            "      onExit: {command: bash, args: ['-c', 'echo outer-exit > %s/%s.outer']}\n"
            % (tag, enter, TMP, tag))


@test
def environments_are_exited_after_a_failing_task():
    tag = "fail" + marker().replace(".", "")
    t = write(tag + ".yaml", env_template(tag) +
              "steps:\n- name: S\n  parameterSpace:\n    taskParameterDefinitions:\n"
              "    - {name: F, type: INT, range: '1-3'}\n"
              "  script:\n    actions:\n      onRun: {command: bash, args: ['-c', 'echo task {{Task.Param.F}}; exit 3']}\n")
    res = os.path.join(TMP, tag + ".jsonl")
    r = run(t, "--results", res)
    assert r.returncode == 1, r.stdout
    assert "exited with code: 3" in r.stdout, r.stdout
    assert "task 1" in r.stdout and "task 2" not in r.stdout, r.stdout
    assert os.path.exists(os.path.join(TMP, tag + ".outer")), r.stdout
    rs = results(res)
    assert rs[0]["status"] == "failed" and rs[0]["code"] == 3 and rs[0]["class"] == "exit_code", rs[0]
    # The tasks the session never reached are there too, not run.
    assert [x["status"] for x in rs] == ["failed"] * 3 and rs[1]["attempts"] == 0, rs


@test
def environments_are_exited_after_a_failing_enter():
    tag = "enter" + marker().replace(".", "")
    t = write(tag + ".yaml", env_template(tag) +
              "- name: Inner\n  script:\n    actions:\n      onEnter: {command: bash, args: ['-c', 'exit 5']}\n"
              "      onExit: {command: bash, args: ['-c', 'echo inner-exit > %s/%s.inner']}\n"
              "steps:\n- name: S\n  script:\n    actions:\n      onRun: {command: bash, args: ['-c', 'echo RAN-%s']}\n"
              % (TMP, tag, tag))
    r = run(t)
    assert r.returncode == 1, r.stdout
    assert "RAN-" + tag not in r.stdout.replace("'echo RAN-", ""), r.stdout
    assert "exited with code: 5" in r.stdout and "failed to enter" in r.stdout, r.stdout
    for which in ("outer", "inner"):
        assert os.path.exists(os.path.join(TMP, "%s.%s" % (tag, which))), (which, r.stdout)


@test
def a_timeout_fails_the_task_and_exits_the_environments():
    tag = "timeout" + marker().replace(".", "")
    t = write(tag + ".yaml", env_template(tag) +
              "steps:\n- name: S\n  script:\n    actions:\n"
              "      onRun: {command: sleep, args: ['30'], timeout: 1}\n")
    res = os.path.join(TMP, tag + ".jsonl")
    started = time.monotonic()
    r = run(t, "--results", res)
    took = time.monotonic() - started
    assert r.returncode == 1 and took < 20, (took, r.stdout)
    assert results(res)[0]["class"] == "timeout", results(res)
    assert os.path.exists(os.path.join(TMP, tag + ".outer")), r.stdout


@test
def sigterm_cancels_the_action_exits_the_environments_and_leaves_nothing():
    mark = marker()
    tag = "cancel" + mark.replace(".", "")
    t = write(tag + ".yaml", env_template(tag) +
              "steps:\n- name: S\n  script:\n    actions:\n"
              "      onRun: {command: bash, args: ['-c', 'echo started-%s; sleep %s; echo never']}\n" % (tag, mark))
    p = subprocess.Popen(WRAPPER + [FARMHAND, "openjd", "run", "--plain", t], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, cwd=TMP)
    seen = []
    for line in p.stdout:
        seen.append(line)
        if "started-" + tag in line:
            break
    await_true(lambda: count_procs("sleep " + mark) == 1, 10)
    p.send_signal(signal.SIGTERM)
    out = "".join(seen) + p.stdout.read()
    assert p.wait(30) == 1, out
    assert "never" not in out.replace("; echo never", ""), out
    assert os.path.exists(os.path.join(TMP, tag + ".outer")), out
    assert count_procs("sleep " + mark) == 0


@test
def notify_then_terminate_writes_cancel_info_then_sigterm_then_sigkill():
    mark = marker()
    tag = "notify" + mark.replace(".", "")
    log = os.path.join(TMP, tag + ".log")
    script = write(tag + ".py",
                   "import json, os, signal, sys, time\n"
                   "log = open(%r, 'a', buffering=1)\n"
                   "def term(signum, frame):\n"
                   "    info = json.load(open(os.path.join(os.getcwd(), 'cancel_info.json')))\n"
                   "    log.write('TERM %%.3f %%s\\n' %% (time.time(), info['NotifyEnd']))\n"
                   "signal.signal(signal.SIGTERM, term)\n"
                   "print('ready-%s', flush=True)\n"
                   "while True:\n"
                   "    time.sleep(0.05)\n" % (log, tag))
    t = write(tag + ".yaml", "specificationVersion: jobtemplate-2023-09\nname: N\nsteps:\n- name: S\n"
              "  script:\n    actions:\n      onRun:\n        command: python3\n        args: ['%s', '%s']\n"
              "        cancelation: {mode: NOTIFY_THEN_TERMINATE, notifyPeriodInSeconds: 3}\n" % (script, mark))
    p = subprocess.Popen(WRAPPER + [FARMHAND, "openjd", "run", "--plain", t], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, cwd=TMP)
    for line in p.stdout:
        if "ready-" + tag in line:
            break
    sent = time.time()
    p.send_signal(signal.SIGINT)
    out = p.stdout.read()
    code = p.wait(60)
    ended = time.time()
    with open(log) as f:
        term = f.read().split()
    assert code == 1, out
    assert term[0] == "TERM" and float(term[1]) - sent < 2, term
    # NotifyEnd: UTC, to the second, about now + the period.
    notify_end = time.mktime(time.strptime(term[2], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert abs(notify_end - (sent + 3)) < 3, (term, sent)
    # SIGKILL after the period, not before.
    assert 2.5 <= ended - sent < 20, ended - sent
    assert count_procs("python3 %s %s" % (script, mark)) == 0


@test
def a_redacted_value_reaches_neither_the_log_nor_the_results():
    secret = "s3cr3t-" + marker().replace(".", "")
    t = write("redact.yaml", "specificationVersion: jobtemplate-2023-09\nextensions: [REDACTED_ENV_VARS]\n"
              "name: R\njobEnvironments:\n- name: E\n  script:\n    actions:\n"
              "      onEnter: {command: bash, args: ['-c', 'echo \"openjd_redacted_env: TOKEN=%s\"']}\n"
              "steps:\n- name: S\n  script:\n    actions:\n"
              "      onRun: {command: bash, args: ['-c', 'echo token=$TOKEN; echo \"openjd_fail: bad $TOKEN\"; exit 1']}\n"
              % secret)
    res, log = os.path.join(TMP, "redact.jsonl"), os.path.join(TMP, "redact.log")
    r = run(t, "--results", res, "--log", log)
    assert r.returncode == 1
    assert "token=********" in r.stdout and "openjd_redacted_env: TOKEN=********" in r.stdout, r.stdout
    for text in (r.stdout, open(res).read(), open(log).read()):
        assert secret not in text, text


@test
def a_job_bundle_directory_with_its_values():
    d = os.path.join(TMP, "bundle")
    write("bundle/template.yaml", "specificationVersion: jobtemplate-2023-09\nname: B\n"
          "parameterDefinitions:\n- {name: Who, type: STRING, default: nobody}\n- {name: N, type: INT}\n"
          "steps:\n- name: S\n  script:\n    actions:\n"
          "      onRun: {command: bash, args: ['-c', 'echo hello-{{Param.Who}}-{{Param.N}}']}\n")
    write("bundle/parameter_values.yaml", "parameterValues:\n- {name: Who, value: bundle}\n- {name: N, value: 7}\n"
          "- {name: 'deadline:priority', value: 50}\n")
    write("bundle/asset_references.yaml", "assetReferences: {inputs: {filenames: [], directories: []}}\n")
    r = run(d)
    assert r.returncode == 0 and "hello-bundle-7" in r.stdout, r.stdout
    assert "deadline:priority" in r.stdout, r.stdout
    r = run(d, "-p", "Who=override")
    assert r.returncode == 0 and "hello-override-7" in r.stdout, r.stdout


@test
def invalid_template_names_file_line_column_and_path():
    t = write("bad.yaml", "specificationVersion: jobtemplate-2023-09\nname: X\nsteps:\n- name: S\n  script:\n"
              "    actions:\n      onRun:\n        command: echo\n        args: ['{{Param.Nope}}']\n")
    r = subprocess.run([FARMHAND, "openjd", "check", t], capture_output=True, text=True)
    assert r.returncode == 1
    assert "%s:9:16: steps[0].script.actions.onRun.args[0]: the format string references 'Param.Nope'" % t \
        in r.stderr, r.stderr


@test
def the_examples_check_and_run():
    examples = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "openjd")
    out = os.path.join(TMP, "example-out")
    r = subprocess.run([FARMHAND, "openjd", "check", os.path.join(examples, "render.yaml"),
                        os.path.join(examples, "bundle")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(os.path.join(examples, "render.yaml"), "-p", "Frames=1-10", "-p", "OutDir=" + out)
    assert r.returncode == 0 and "chunks rendered: 3" in r.stdout, r.stdout
    assert sorted(os.listdir(out)) == ["sh010.1-4.exr", "sh010.5-7.exr", "sh010.8-10.exr"], os.listdir(out)
    r = run(os.path.join(examples, "bundle"))
    assert r.returncode == 0 and "hello from a bundle #3" in r.stdout, r.stdout
    r = subprocess.run([FARMHAND, "openjd", "check", os.path.join(examples, "blender")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@test
def a_background_server_that_exits_is_not_left_a_zombie():
    # The daemon pattern (a server started by onEnter, quit by onExit): once
    # it exits, it is gone, not a zombie of farmhand's that `kill -0` sees.
    tag = "zombie" + marker().replace(".", "")
    pidfile = os.path.join(TMP, tag + ".pid")
    t = write(tag + ".yaml",
              "specificationVersion: jobtemplate-2023-09\nname: Z\njobEnvironments:\n- name: Server\n"
              "  script:\n    actions:\n"
              "      onEnter: {command: bash, args: ['-c', 'sleep 0.2 & echo $! > %s']}\n"
              "      onExit: {command: bash, args: ['-c', 'for i in $(seq 100); do kill -0 $(cat %s) 2>/dev/null || exit 0;"
              " sleep 0.1; done; echo still there; exit 1']}\n"
              "steps:\n- name: S\n  script:\n    actions:\n      onRun: {command: bash, args: ['-c', 'sleep 1.5']}\n"
              % (pidfile, pidfile))
    r = run(t)
    assert r.returncode == 0 and "still there" not in r.stdout, r.stdout


def max_rss_kib(args):
    """Peak resident memory of a farmhand run, in KiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    code = os.fork()
    if code == 0:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
        os.execv(FARMHAND, [FARMHAND] + args)
    _, status = os.waitpid(code, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)


@test
def a_100000_task_space_runs_in_bounded_memory():
    def template(n):
        return write("space%d.yaml" % n, "specificationVersion: jobtemplate-2023-09\nname: Big\nsteps:\n- name: S\n"
                     "  parameterSpace:\n    taskParameterDefinitions:\n"
                     "    - {name: A, type: INT, range: '1-%d'}\n    - {name: B, type: INT, range: '1-100'}\n"
                     "    - {name: C, type: STRING, range: [x, y, z, w, v, u, t, s, r, q]}\n"
                     "  script:\n    actions:\n      onRun: {command: 'true'}\n" % n)
    if WRAPPER:
        return "SKIP memory is measured without valgrind"
    small = max_rss_kib(["openjd", "run", "--plain", "--maximum-tasks", "3", template(1)])
    big = max_rss_kib(["openjd", "run", "--plain", "--maximum-tasks", "3", template(100)])
    # 1,000 tasks and 100,000: the same few MiB (the tasks are computed, not held).
    assert big - small < 8 * 1024, (small, big)


def cleanup():
    subprocess.run(["rm", "-rf", TMP])


if __name__ == "__main__":
    sys.exit(SUITE.main(cleanup))
