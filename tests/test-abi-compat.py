#!/usr/bin/python3
"""test-abi-compat.py BUILD_DIR SOURCE_DIR — the plugin ABI across minors,
with a plugin and a host built against ABI 1.1's header as released
(tests/abi-1.1/fh-plugin.h):

  * this 1.2 plugin in a 1.1 host (examples/host-minimal built against
    1.1): a job runs, and an invalid job's error is 1.1's text, a problem
    a line — not 1.2's JSON;
  * a 1.1 plugin (a shim in front of the real one, built against 1.1: no
    job_create) in this 1.2 host: validate, run and log test work; its
    refusal is shown a problem a line, and `validate --json` gives the
    error object with each line a problem.  TAP."""
import json
import os
import subprocess
import sys
import tempfile

from fh_tap import Suite

BUILD = os.path.abspath(sys.argv[1])
SOURCE = os.path.abspath(sys.argv[2])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
PLUGIN = os.path.join(BUILD, "plugin", "libfarmhand-jobtype.so")
SHIM = os.path.join(BUILD, "tests", "libabi-1-1-shim.so")
HOST_1_1 = os.path.join(BUILD, "tests", "host-minimal-abi-1.1")
HELLO = os.path.join(SOURCE, "examples", "hello", "job.json")
BROKEN = os.path.join(SOURCE, "tests", "data", "broken-job.json")
ENV = dict(os.environ, FH_SHIM_TARGET=PLUGIN)
SUITE = Suite(9700)
test = SUITE.test
TMP = tempfile.mkdtemp(prefix="farmhand-abi-compat-")


def run(*argv, **kw):
    return subprocess.run(list(argv), capture_output=True, text=True, env=ENV, cwd=TMP, timeout=120, **kw)


@test
def a_1_1_host_runs_a_job_on_this_plugin():
    r = run(HOST_1_1, PLUGIN, HELLO)
    assert r.returncode == 0, (r.returncode, r.stderr)
    results = [json.loads(l[len("result "):]) for l in r.stdout.splitlines() if l.startswith("result ")]
    assert [x["status"] for x in results] == ["complete"] * 3, results


@test
def a_1_1_host_gets_1_1s_text():
    r = run(HOST_1_1, PLUGIN, BROKEN)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "agenda.comand: unknown field, did you mean 'command'?\n" in r.stderr, r.stderr
    assert "agenda.chunk: must be from 1 to 1000000, not 0" in r.stderr, r.stderr
    assert '"problems"' not in r.stderr, r.stderr


@test
def this_host_loads_a_1_1_plugin():
    r = run(FARMHAND, "validate", "--plugin", SHIM, HELLO)
    assert r.returncode == 0 and "valid: job" in r.stdout, (r.returncode, r.stdout, r.stderr)
    r = run(FARMHAND, "run", "-q", "--plugin", SHIM, HELLO, "--results", os.path.join(TMP, "r.jsonl"))
    assert r.returncode == 0, (r.returncode, r.stderr)
    with open(os.path.join(TMP, "r.jsonl")) as f:
        assert len([l for l in f if l.strip()]) == 3
    r = run(FARMHAND, "log", "test", "--plugin", SHIM, "--preset", "blender", "-", input="Fra:1 | Sample 5/10\n")
    assert r.returncode == 0, (r.returncode, r.stderr)


@test
def a_1_1_plugins_refusal_a_problem_a_line():
    r = run(FARMHAND, "validate", "--plugin", SHIM, BROKEN)
    assert r.returncode == 2, r
    lines = r.stderr.splitlines()
    assert "%s: agenda.comand: unknown field, did you mean 'command'?" % BROKEN in lines, lines
    r = run(FARMHAND, "validate", "--json", "--plugin", SHIM, BROKEN)
    error = json.loads(r.stdout)["error"]
    assert error["code"] == "invalid_job", error
    messages = [p["message"] for p in error["problems"]]
    assert "agenda.comand: unknown field, did you mean 'command'?" in messages, messages
    assert all(p["path"] == "" for p in error["problems"]), error


@test
def the_same_refusal_from_this_plugin_is_data():
    r = run(FARMHAND, "validate", "--json", BROKEN)
    error = json.loads(r.stdout)["error"]
    found = {p["path"]: p["message"] for p in error["problems"]}
    assert found.get("agenda.comand") == "unknown field, did you mean 'command'?", found


if __name__ == "__main__":
    import shutil
    sys.exit(SUITE.main(cleanup=lambda: shutil.rmtree(TMP, ignore_errors=True)))
