#!/usr/bin/python3
"""test-transports.py BUILD_DIR — the executor behind a transport (the
job's executor.via) over the stdio channel, through real transports that
this test starts: sudo to another user, ssh to an sshd of its own on
127.0.0.1, a bwrap sandbox.  For each: the executor conformance table
(tests/test-executor.c) for the shell executor (direct and translator
mode) and the bootstrapped Python executor; a job whose only change is
`via` (state, tracebacks, progress, outputs, env, as whom); banners and
MOTDs before the executor starts; a timeout, a cancel, `kill -9` of the
host and a frozen host (no heartbeat) ending the far side's tree; broken transports failing within
hello_s with the transport's own words.  podman cannot run containers in
this VM (see docs/transports.md).  FH_TRANSPORTS_WRAPPER (tools/test:
valgrind) runs the conformance program and every farmhand under it.  TAP."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import fh_transports
from fh_tap import Suite, await_true, count_procs

BUILD = os.path.abspath(sys.argv[1])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
CONFORMANCE = os.path.join(BUILD, "tests", "test-executor")
WRAPPER = os.environ.get("FH_TRANSPORTS_WRAPPER", "").split()
TMP = tempfile.mkdtemp(prefix="farmhand-transports-")
os.chmod(TMP, 0o755)
SUITE = Suite(7000)
test, marker = SUITE.test, SUITE.marker
TRANSPORTS = ("sudo", "ssh", "bwrap")
SSHD = []   # started by the first test that needs it


def via(name):
    """The transport's argv prefix, or a "SKIP ..." string."""
    why = fh_transports.missing(name)
    if why is not None:
        return "SKIP " + why
    if name == "sudo":
        return fh_transports.sudo_via()
    if name == "bwrap":
        return fh_transports.bwrap_via()
    if not SSHD:
        SSHD.append(fh_transports.Sshd())
    return SSHD[0].via()


def far_user(name):
    return "root" if name == "bwrap" else fh_transports.USER


class Job(object):
    """A job file in a directory of its own (writable by the far user)."""

    def __init__(self, job):
        self.dir = tempfile.mkdtemp(prefix="j", dir=TMP)
        os.chmod(self.dir, 0o777)
        self.path = os.path.join(self.dir, "job.json")
        self.results_path = os.path.join(self.dir, "results.jsonl")
        self.log_path = os.path.join(self.dir, "job.log")
        with open(self.path, "w") as f:
            json.dump(job, f)
        os.chmod(self.path, 0o644)

    def argv(self, *extra):
        return WRAPPER + [FARMHAND, "run", "-r", self.results_path, "-l", self.log_path,
                "-o", os.path.join(self.dir, "out"), self.path] + list(extra)

    def run(self, prefix=(), timeout=120):
        return subprocess.run(list(prefix) + self.argv(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout, cwd=self.dir)

    def start(self):
        return subprocess.Popen(self.argv(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=self.dir, start_new_session=True)

    def results(self):
        with open(self.results_path) as f:
            return {r["name"]: r for r in (json.loads(line) for line in f if line.strip())}

    def log(self):
        with open(self.log_path) as f:
            return f.read()


def executor(name, preset, through):
    return {"preset": preset, "via": through}



# ---- the conformance table through each transport ------------------------

def conformance(name):
    through = via(name)
    if isinstance(through, str):
        return through
    env = dict(os.environ, FH_TEST_VIA=json.dumps(through))
    r = subprocess.run(WRAPPER + [CONFORMANCE, "--tap"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600)
    lines = r.stdout.splitlines()
    passed = [l for l in lines if l.startswith("ok ")]
    failed = [l for l in lines if l.startswith("not ok") or l.startswith("Bail out")]
    plan = next((l for l in lines if l.startswith("1..")), "1..0")
    assert r.returncode == 0 and not failed and len(passed) == int(plan[3:]) > 0, \
        "\n".join(failed or lines[-30:])
    return "%d cases: shell (direct), shell-posix (translator), python (bootstrapped)" % len(passed)


for _name in TRANSPORTS:
    test(lambda n=_name: conformance(n), "conformance-through-%s" % _name)


# ---- a job changed only by `via` ------------------------------------------

PY_JOB = {
    "setup": ["import getpass, os\nstate = {'user': getpass.getuser(), 'mark': os.environ['FH_MARK'],"
              " 'job': os.environ['FARMHAND_JOB_NAME']}"],
    "agenda": {"frames": "1-3", "command":
               "farmhand.progress(0.5)\nprint('frame {frame} as', state['user'], state['mark'], state['job'])\n"
               "open('out-{frame}.txt', 'w').write('x' * 10)\nfarmhand.output(os.path.abspath('out-{frame}.txt'))\n"
               "assert {frame} != 3, 'frame three fails ' + state['mark']"},
}
SH_JOB = {
    "setup": ["SEEN_USER=$(id -un); SEEN_MARK=$FH_MARK"],
    "agenda": {"frames": "1-3", "command":
               "echo \"frame {frame} as $SEEN_USER $SEEN_MARK $FARMHAND_JOB_NAME\"; echo 50% done; "
               "echo xxxxxxxxxx > out-{frame}.txt; echo \"Saved: '$PWD/out-{frame}.txt'\"; "
               "[ {frame} != 3 ] || { echo \"frame three fails $SEEN_MARK\" >&2; (exit 4); }"},
    "log": {"outputs": "^Saved: '(?<path>[^']+)'", "progress": "(?<pct>\\d+)% done"},
}


def unchanged_job(name, preset):
    through = via(name)
    if isinstance(through, str):
        return through
    m = marker()
    spec = dict(PY_JOB if preset == "python" else SH_JOB, name="via-%s-%s" % (name, preset),
                env={"FH_MARK": "mark-" + m}, executor=executor(name, preset, through))
    j = Job(spec)
    r = j.run()
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    res, log = j.results(), j.log()
    assert [res[k]["status"] for k in ("1", "2", "3")] == ["complete", "complete", "failed"], res
    assert "frame three fails mark-%s" % m in res["3"]["traceback"], res["3"]
    if preset == "python":
        assert "AssertionError" in res["3"]["traceback"] and "Traceback (most recent call last)" in res["3"]["traceback"]
    else:
        assert "status 4" in res["3"]["traceback"], res["3"]
    assert res["1"]["outputs"] and res["1"]["outputs"][0]["path"].endswith("out-1.txt"), res["1"]
    assert res["1"].get("progress") == 0.5 and res["2"].get("progress") == 0.5, res
    assert "frame 1 as %s mark-%s %s" % (far_user(name), m, spec["name"]) in log, log
    assert "runs as %s@" % far_user(name) in log and "through %s" % " ".join(through) in log, log
    return "as %s" % far_user(name)


for _name in TRANSPORTS:
    for _preset in ("python", "shell"):
        test(lambda n=_name, p=_preset: unchanged_job(n, p), "job-through-%s-%s" % (_name, _preset))


@test
def python_executor_installed_on_the_far_side():
    # remote_executor: the file, not the bootstrap (a preset without one).
    through = via("sudo")
    if isinstance(through, str):
        return through
    m = marker()
    spec = dict(PY_JOB, name="remote-file", env={"FH_MARK": "mark-" + m},
                executor={"preset": "python", "via": through,
                          "remote_executor": os.path.join(BUILD, "executor", "farmhand_executor.py")})
    j = Job(spec)
    r = j.run()
    res, log = j.results(), j.log()
    assert r.returncode == 1 and [res[k]["status"] for k in "123"] == ["complete", "complete", "failed"], (res, log)
    assert "{farmhand_bootstrap}" not in log and "farmhand_executor.py" in log, log


@test
def stdio_channel_without_a_transport():
    # "channel": "stdio" alone: the same channel for a local executor.
    for preset in ("python", "shell"):
        m = marker()
        spec = dict(PY_JOB if preset == "python" else SH_JOB, name="stdio-" + preset,
                    env={"FH_MARK": "mark-" + m}, executor={"preset": preset, "channel": "stdio"})
        j = Job(spec)
        r = j.run()
        res, log = j.results(), j.log()
        assert r.returncode == 1 and [res[k]["status"] for k in "123"] == ["complete", "complete", "failed"], res
        assert "frame three fails mark-%s" % m in res["3"]["traceback"], res["3"]
        assert "through its stdin and stdout (no transport)" in log, log


# ---- banners and MOTDs ----------------------------------------------------

@test
def banner_and_motd_are_log_lines():
    m = marker()
    wrapper = os.path.join(TMP, "login-banner-%s" % m)
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\necho 'Welcome to render-%s'\nprintf 'partial banner line '\n"
                "echo 'MOTD-%s: maintenance at noon' >&2\nexec \"$@\"\n" % (m, m))
    os.chmod(wrapper, 0o755)
    for preset in ("python", "shell"):
        j = Job({"name": "banner-" + preset, "executor": {"preset": preset, "via": [wrapper]},
                 "setup": ["print('after the banner')" if preset == "python" else "echo after the banner"],
                 "agenda": {"frames": "1", "command": "pass" if preset == "python" else "true"}})
        r = j.run()
        assert r.returncode == 0, (r.stdout, r.stderr)
        log = j.log()
        name = os.path.basename(wrapper)
        assert "via %s: Welcome to render-%s" % (name, m) in log, log
        assert "via %s: partial banner line" % name in log, log
        assert "via %s: MOTD-%s: maintenance at noon" % (name, m) in log, log
        assert "after the banner" in log


# ---- stopping: timeout, cancel, a dead host -------------------------------

def sleeper_job(name, preset, through, m, **extra):
    sleeper = "sleep 1000%s" % m
    command = ("import subprocess\nsubprocess.run(%r.split())" % sleeper if preset == "python"
               else "%s; echo not-reached-%s" % (sleeper, m))
    spec = {"name": "stop-%s-%s" % (name, preset), "executor": executor(name, preset, through),
            "agenda": {"frames": "1-2", "command": command}}
    spec.update(extra)
    return Job(spec), sleeper


def timeout_ends_far_tree(name):
    through = via(name)
    if isinstance(through, str):
        return through
    for preset in ("python", "shell"):
        j, sleeper = sleeper_job(name, preset, through, marker(), timeouts={"command_s": 1, "grace_s": 1})
        r = j.run()
        res = j.results()
        assert res["1"]["status"] == "failed" and "timeout after 1 s" in res["1"]["traceback"], res
        assert res["2"]["status"] == "failed" and "timeout" in res["2"]["traceback"], res
        assert count_procs(sleeper) == 0, "the far side's sleep outlived its timeout"
        # Nothing after the interrupted statement ran (only its echo is there).
        log = j.log()
        assert log.count("not-reached-") == log.count("echo not-reached-"), log
        assert r.returncode == 1


def cancel_ends_far_tree(name):
    through = via(name)
    if isinstance(through, str):
        return through
    for preset in ("python", "shell"):
        j, sleeper = sleeper_job(name, preset, through, marker(), timeouts={"grace_s": 1})
        p = j.start()
        assert await_true(lambda: count_procs(sleeper) == 1, 30), "the far command did not start"
        p.send_signal(signal.SIGINT)   # farmhand run's cancel
        p.communicate(timeout=60)
        assert count_procs(sleeper) == 0, "the far side's sleep outlived the cancel"
        res = j.results()
        assert res["1"]["status"] == "failed" and "cancel" in res["1"]["traceback"], res


def host_killed_leaves_nothing(name):
    through = via(name)
    if isinstance(through, str):
        return through
    waited = []
    for preset in ("python", "shell"):
        j, sleeper = sleeper_job(name, preset, through, marker())
        p = j.start()
        assert await_true(lambda: count_procs(sleeper) == 1, 30), "the far command did not start"
        t0 = time.monotonic()
        p.kill()   # kill -9 of the host: nothing can tell the far side but the channel
        p.communicate()
        assert await_true(lambda: count_procs(sleeper) == 0, 10), "the far side outlived kill -9 of the host"
        waited.append("%s %.1f s" % (preset, time.monotonic() - t0))
    return "far tree gone after " + ", ".join(waited)


def heartbeat_lost_ends_far_tree(name, preset):
    """The host freezes (SIGSTOP) with the channel still open: no more
    heartbeats, so the far side ends its tree by itself."""
    through = via(name)
    if isinstance(through, str):
        return through
    j, sleeper = sleeper_job(name, preset, through, marker())
    p = j.start()
    try:
        assert await_true(lambda: count_procs(sleeper) == 1, 30), "the far command did not start"
        t0 = time.monotonic()
        p.send_signal(signal.SIGSTOP)
        assert await_true(lambda: count_procs(sleeper) == 0, 30), "the far side outlived the heartbeat"
        took = time.monotonic() - t0
        assert took >= 9, "gone after %.1f s: before the heartbeat's 10 s ran out" % took
    finally:
        p.send_signal(signal.SIGCONT)
        p.kill()
        p.communicate()
    return "far tree gone %.1f s after the last heartbeat" % took


for _name, _preset in (("ssh", "python"), ("ssh", "shell"), ("sudo", "python")):
    test(lambda n=_name, p=_preset: heartbeat_lost_ends_far_tree(n, p),
         "lost-heartbeat-ends-far-tree-%s-%s" % (_name, _preset))

for _name in TRANSPORTS:
    test(lambda n=_name: timeout_ends_far_tree(n), "timeout-ends-far-tree-%s" % _name)
    test(lambda n=_name: cancel_ends_far_tree(n), "cancel-ends-far-tree-%s" % _name)
    test(lambda n=_name: host_killed_leaves_nothing(n), "kill-9-of-host-leaves-nothing-%s" % _name)


# ---- broken transports ----------------------------------------------------

def broken(through, want, preset="python", prefix=(), argv=None):
    """A job through @through fails at once (well within hello_s), every
    item failed with a reason that names the transport and quotes @want."""
    ex = {"argv": argv, "via": through} if argv else {"preset": preset, "via": through}
    j = Job({"name": "broken", "executor": ex, "timeouts": {"hello_s": 20},
             "agenda": {"frames": "1-2", "command": "pass"}})
    t0 = time.monotonic()
    r = j.run(prefix=prefix)
    took = time.monotonic() - t0
    assert r.returncode == 1 and took < 20, (r.returncode, took, r.stdout, r.stderr)
    res = j.results()
    label = os.path.basename(through[0])
    for item in ("1", "2"):
        why = res[item]["traceback"]
        assert res[item]["status"] == "failed" and label in why and want in why, res[item]
    return "%.2f s" % took


@test
def broken_ssh_closed_port():
    if fh_transports.missing("ssh"):
        return "SKIP " + fh_transports.missing("ssh")
    via("ssh")
    return broken(SSHD[0].via(port=fh_transports.free_port()), "Connection refused")


@test
def broken_ssh_unknown_host():
    if fh_transports.missing("ssh"):
        return "SKIP " + fh_transports.missing("ssh")
    via("ssh")
    return broken(SSHD[0].via(host="no-such-host.invalid"), "Could not resolve hostname")


def as_farm_user():
    if os.getuid() != 0 or not fh_transports.have_user(fh_transports.FARM_USER):
        return None
    return ["setpriv", "--reuid=%s" % fh_transports.FARM_USER, "--regid=%s" % fh_transports.FARM_USER,
            "--init-groups"]


@test
def broken_sudo_without_a_rule():
    prefix = as_farm_user()
    if prefix is None or fh_transports.missing("sudo"):
        return "SKIP needs root, sudo and the farm user %s" % fh_transports.FARM_USER
    # The farm user may become USER, nobody else.
    return broken(["sudo", "-n", "-u", "nobody", "--"], "a password is required", prefix=prefix)


@test
def broken_sudo_asking_for_a_password():
    prefix = as_farm_user()
    if prefix is None or fh_transports.missing("sudo"):
        return "SKIP needs root, sudo and the farm user %s" % fh_transports.FARM_USER
    # No -n: sudo wants a password and there is no terminal to ask on.
    return broken(["sudo", "-u", "nobody", "--"], "password", prefix=prefix)


@test
def broken_missing_binary_on_the_far_side():
    if fh_transports.missing("bwrap"):
        return "SKIP " + fh_transports.missing("bwrap")
    return broken(fh_transports.bwrap_via(), "python9",
                  argv=["python9", "-c", "{farmhand_bootstrap}"])


@test
def broken_missing_shell_executor_on_the_far_side():
    if fh_transports.missing("bwrap"):
        return "SKIP " + fh_transports.missing("bwrap")
    j = Job({"name": "no-executor", "agenda": {"frames": "1", "command": "true"},
             "executor": {"preset": "shell", "via": fh_transports.bwrap_via(),
                          "remote_executor": "/opt/nowhere/farmhand-executor"}})
    r = j.run()
    why = j.results()["1"]["traceback"]
    assert r.returncode == 1 and "/opt/nowhere/farmhand-executor" in why and "No such file" in why, why


@test
def broken_missing_transport():
    j = Job({"name": "no-transport", "agenda": {"frames": "1", "command": "true"},
             "executor": {"preset": "shell", "via": ["/opt/nowhere/bin/transport"]}})
    r = j.run()
    why = j.results()["1"]["traceback"]
    assert r.returncode == 1 and "cannot start the transport '/opt/nowhere/bin/transport'" in why, why


# ---- the local socket fallback checks who connects -----------------------

INTRUDER = """
import json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
hello = json.dumps({"type": "hello", "protocol": 1, "pid": os.getpid(), "kind": "python",
                    "token": sys.argv[2]}).encode()
try:
    s.sendall(struct.pack(">I", len(hello)) + hello)
    print("intruder answered with %r" % s.recv(16))
except ConnectionError as e:
    print("intruder refused: %s" % e.strerror)
"""
OPENS_THE_DOOR = """
import os, subprocess, sys
path, token = os.environ["FARMHAND_BACKCHANNEL_PATH"], os.environ["FARMHAND_BACKCHANNEL_TOKEN"]
os.chmod(os.path.dirname(path), 0o755)
os.chmod(path, 0o777)
subprocess.run(["setpriv", "--reuid=%s" % sys.argv[1], "--regid=%s" % sys.argv[1], "--clear-groups",
                "/usr/bin/python3", "-c", sys.argv[2], path, token], check=True)
os.execv("/usr/bin/python3", ["/usr/bin/python3", "-u", sys.argv[3]])
"""


@test
def socket_fallback_refuses_another_user_with_the_token():
    if os.getuid() != 0 or not fh_transports.have_user(fh_transports.USER):
        return "SKIP needs root and the user %s" % fh_transports.USER
    executor_py = os.path.join(BUILD, "executor", "farmhand_executor.py")
    j = Job({"name": "peercred", "agenda": {"frames": "1", "command": "print('the real executor ran')"},
             "executor": {"argv": ["/usr/bin/python3", "-c", OPENS_THE_DOOR, fh_transports.USER, INTRUDER,
                                   executor_py], "backchannel": "socket"}})
    r = j.run()
    log = j.log()
    assert r.returncode == 0, (r.stdout, r.stderr, log)
    # The token was right; the uid was not (SO_PEERCRED).
    assert "rejected a backchannel connection from another user" in log, log
    assert ("intruder answered with b''" in log or "intruder refused" in log) and "the real executor ran" in log, log


def cleanup():
    for s in SSHD:
        s.close()
    subprocess.run(["rm", "-rf", TMP])


if __name__ == "__main__":
    sys.exit(SUITE.main(cleanup))
