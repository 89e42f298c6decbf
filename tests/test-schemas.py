#!/usr/bin/python3
"""test-schemas.py — the JSON Schemas are the contract: checked with a real
validator (Debian's python3-jsonschema) against the examples, a broken job,
real results lines and protocol messages.  TAP output.

Usage: test-schemas.py SOURCE_DIR FARMHAND_BINARY
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("1..0 # SKIP python3-jsonschema is not installed (apt-get install python3-jsonschema)")
    sys.exit(0)

SRC, FARMHAND = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
Validator = jsonschema.Draft202012Validator
tests = []


def test(fn):
    tests.append(fn)
    return fn


def load(*parts):
    with open(os.path.join(SRC, *parts)) as f:
        return json.load(f)


JOB = load("schemas", "job.schema.json")
RESULT = load("schemas", "result.schema.json")
PROTOCOL = load("schemas", "protocol.schema.json")
DESCRIBE = load("schemas", "describe.schema.json")
ERROR = load("schemas", "error.schema.json")
EXAMPLES = sorted(glob.glob(os.path.join(SRC, "examples", "*", "job.json")))


@test
def schemas_are_valid_2020_12():
    for schema in (JOB, RESULT, PROTOCOL, DESCRIBE, ERROR):
        Validator.check_schema(schema)
        assert schema["$schema"].endswith("2020-12/schema")


@test
def every_job_field_has_title_and_description():
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                p = path + "." + name if path else name
                if name != "$schema" and ("title" not in sub or "description" not in sub):
                    missing.append(p)
                walk(sub, p)
            for key in ("oneOf", "anyOf"):
                for i, sub in enumerate(node.get(key, [])):
                    walk(sub, path)
            if isinstance(node.get("items"), dict):
                walk(node["items"], path + "[]")
            if isinstance(node.get("additionalProperties"), dict):
                walk(node["additionalProperties"], path + ".*")
    walk(JOB, "")
    assert not missing, "fields without title/description: %s" % missing


@test
def defaults_are_declared():
    props = JOB["properties"]
    for name in ("executor", "env", "setup", "teardown", "path_map", "log",
                 "outputs_required", "min_output_bytes", "timeouts", "retries",
                 "max_restarts"):
        assert "default" in props[name], name
    frames = props["agenda"]["oneOf"][0]["properties"]
    assert frames["chunk"]["default"] == 1


@test
def examples_validate():
    assert len(EXAMPLES) >= 3, EXAMPLES
    for path in EXAMPLES:
        with open(path) as f:
            Validator(JOB).validate(json.load(f))
        r = subprocess.run([FARMHAND, "validate", path], capture_output=True, text=True)
        assert r.returncode == 0, (path, r.stderr)


@test
def descriptions_and_errors_validate():
    """What job_describe says of every example, and what job_create says of
    a broken job, a malformed one and (the host's) a missing file, through
    `farmhand validate --json`."""
    with tempfile.TemporaryDirectory() as tmp:
        syntax = os.path.join(tmp, "syntax.json")
        with open(syntax, "w") as f:
            f.write('{\n  "agenda": ')
        broken = os.path.join(SRC, "tests", "data", "broken-job.json")
        r = subprocess.run([FARMHAND, "validate", "--json"] + EXAMPLES + [broken, syntax, os.path.join(tmp, "none.json")],
                           capture_output=True, text=True)
    assert r.returncode == 2, r
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(lines) == len(EXAMPLES) + 3, r.stdout
    for line in lines[:len(EXAMPLES)]:
        assert line["valid"], line
        Validator(DESCRIBE).validate(line["job"])
    codes = []
    for line in lines[len(EXAMPLES):]:
        assert not line["valid"], line
        Validator(ERROR).validate(line["error"])
        codes.append(line["error"]["code"])
    assert codes == ["invalid_job", "syntax", "unreadable"], codes
    paths = [p["path"] for p in lines[len(EXAMPLES)]["error"]["problems"]]
    assert "agenda.comand" in paths and "agenda.chunk" in paths, paths
    where = lines[len(EXAMPLES) + 1]["error"]["problems"][0]
    assert where["line"] == 2 and where["column"] > 0, where


@test
def broken_job_is_rejected_by_both():
    path = os.path.join(SRC, "tests", "data", "broken-job.json")
    with open(path) as f:
        job = json.load(f)
    errors = list(Validator(JOB).iter_errors(job))
    assert errors, "the schema accepted a broken job"
    r = subprocess.run([FARMHAND, "validate", path], capture_output=True, text=True)
    assert r.returncode == 2, r
    assert "agenda.comand: unknown field, did you mean 'command'?" in r.stderr, r.stderr
    assert "agenda.chunk: must be from 1 to 1000000, not 0" in r.stderr, r.stderr


@test
def real_results_validate():
    with tempfile.TemporaryDirectory() as tmp:
        job = os.path.join(tmp, "job.json")
        results = os.path.join(tmp, "results.jsonl")
        with open(job, "w") as f:
            json.dump({"log": {"warnings": "^W", "highlights": "^H", "errors": "^E",
                               "progress": "(\\d+)%", "outputs": "^O (.+)$"},
                       "agenda": {"frames": "1-4", "chunk": 2,
                                  "command": "echo W; echo H; echo 50%; echo x > o{frame};"
                                             " echo O o{frame}; [ {frame} = 3 ] && echo E || true"}}, f)
        r = subprocess.run([FARMHAND, "run", job, "--results", results, "--plain"],
                           capture_output=True, text=True, cwd=tmp)
        assert r.returncode == 1, r
        with open(results) as f:
            lines = [json.loads(l) for l in f if l.strip()]
    assert [l["status"] for l in lines] == ["complete", "failed"], lines
    assert lines[0]["outputs"][0]["bytes"] == 2 and lines[1]["errors"]["count"] == 1, lines
    for line in lines:
        Validator(RESULT).validate(line)


@test
def worker_results_validate():
    # The results a scale-out worker writes into a job directory.
    with tempfile.TemporaryDirectory() as tmp:
        job = os.path.join(tmp, "job.json")
        jobdir = os.path.join(tmp, "jobdir")
        with open(job, "w") as f:
            json.dump({"agenda": {"frames": "1-3", "command": "[ {frame} != 2 ]"}}, f)
        for argv in ([FARMHAND, "submit", "--prepare", "--jobdir", jobdir, job],
                     [FARMHAND, "worker", "--name", "w", jobdir]):
            subprocess.run(argv, capture_output=True, text=True, cwd=tmp)
        out = subprocess.run([FARMHAND, "status", "--results", jobdir], capture_output=True,
                             text=True, check=True).stdout
        lines = [json.loads(l) for l in out.splitlines()]
    assert [l["status"] for l in lines] == ["complete", "failed", "complete"], lines
    for line in lines:
        assert line["worker"] == "w", line
        Validator(RESULT).validate(line)


@test
def protocol_messages_validate():
    good = [
        {"type": "hello", "protocol": 1, "pid": 7, "kind": "shell", "echo": False},
        {"type": "command", "seq": 1, "phase": "agenda", "command": ":",
         "item": {"index": 0, "name": "1-4", "frames": [1, 2, 3, 4]}},
        {"type": "result", "seq": 1, "status": 0, "code": 0},
        {"type": "result", "seq": 2, "status": 1, "traceback": "x", "stderr_lines": 20},
        {"type": "result", "seq": 3, "status": 1, "traceback": "x", "code": 3, "final": True},
        {"type": "progress", "seq": 2, "fraction": 0.5},
        {"type": "channel", "token": "0" * 32, "env": {"A": "b"}, "cwd": "/tmp", "heartbeat_s": 1},
        {"type": "stream", "stream": "stderr", "data": "x\n"},
        {"type": "signal", "signal": "interrupt"},
        {"type": "heartbeat"},
        {"type": "exit", "code": 3},
    ]
    bad = [
        {"type": "signal", "signal": "hangup"},
        {"type": "stream", "stream": "stdin", "data": ""},
        {"type": "channel", "env": {}},
        {"type": "result", "seq": 1, "status": 1},
        {"type": "result", "seq": 0, "status": 0},
        {"type": "command", "seq": 1, "phase": "render", "command": "x"},
        {"type": "progress", "seq": 1, "fraction": 2},
        {"type": "exit", "code": 256},
    ]
    v = Validator(PROTOCOL)
    for m in good:
        v.validate(m)
    for m in bad:
        assert list(v.iter_errors(m)), m


def wire_header_and_python_executor(pattern):
    """The #defines of common/fh-wire.h that @pattern matches (name ->
    value), and the Python executor's source, which cannot include it."""
    import re
    with open(os.path.join(SRC, "common", "fh-wire.h")) as f:
        header = dict(re.findall(pattern, f.read()))
    with open(os.path.join(SRC, "executor", "farmhand_executor.py")) as f:
        return header, f.read()


@test
def the_python_executor_spells_the_wires_names_as_the_header():
    """common/fh-wire.h holds every name of the wire besides its frames;
    the Python executor must spell the same."""
    header, py = wire_header_and_python_executor(r'#define (FH_(?:ENV_\w+|CHANNEL_SENTINEL)) "([^"]+)"')
    assert len(header) == 4, header
    for name, value in header.items():
        py_name = name[3:] if name.startswith("FH_ENV_") else "SENTINEL"
        want = '%s = %s"%s"' % (py_name, "b" if py_name == "SENTINEL" else "", value)
        assert want in py, (name, want)


@test
def the_python_executor_spells_the_compact_frames_as_the_header():
    """The tags, flags and version of compact frames are the Python
    executor's too."""
    header, py = wire_header_and_python_executor(r'#define FH_WIRE_((?:COMPACT|RESULT|ITEM)_\w+) (0x[0-9a-f]+|\d+)\n')
    assert len(header) == 10, header
    for name, value in header.items():
        assert "\n%s = %s\n" % (name, value) in py, (name, value)


print("1..%d" % len(tests))
failed = 0
for n, fn in enumerate(tests, 1):
    try:
        fn()
        print("ok %d %s" % (n, fn.__name__))
    except Exception as e:  # report and go on: every test runs
        failed += 1
        print("not ok %d %s" % (n, fn.__name__))
        for line in repr(e).splitlines():
            print("# " + line)
sys.exit(1 if failed else 0)
