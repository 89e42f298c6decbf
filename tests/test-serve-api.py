#!/usr/bin/python3
"""test-serve-api.py BUILD_DIR SOURCE_DIR — `farmhand serve`'s API over
real HTTP: the token (401s; a cookie or a query parameter is not enough),
the schema, 422s with JSON paths, oversize bodies, path traversal in ids,
item names and static paths, a job submitted, followed through Server-Sent
Events, its failed item's result and log, retried and cancelled, and no
worker left when the server is killed.  TAP."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from fh_serve import Events, Server, job_state, prepare, write_ledger_at_once
from fh_tap import Suite, await_true, count_procs

BUILD = os.path.abspath(sys.argv[1])
SOURCE = os.path.abspath(sys.argv[2])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
TMP = tempfile.mkdtemp(prefix="farmhand-serve-")
SUITE = Suite(7000)
test, marker = SUITE.test, SUITE.marker
SERVER = Server(FARMHAND, os.path.join(TMP, "jobs"))


def frames_job(name, command, frames="1-4", **extra):
    job = {"name": name, "executor": "shell", "agenda": {"frames": frames, "command": command}}
    job.update(extra)
    return job


@test
def every_api_call_needs_the_token():
    for path in ("/api/jobs", "/api/schema", "/api/events"):
        status, body, headers = SERVER.get(path, token=False)
        assert status == 401 and "token" in body["error"], (path, status, body)
        assert headers.get("WWW-Authenticate") == "Bearer"
    assert SERVER.get("/api/jobs", token="0" * len(SERVER.token))[0] == 401
    assert SERVER.get("/api/jobs", token=SERVER.token[:-1])[0] == 401
    # A cross-site form carries cookies and query strings, never the header.
    assert SERVER.get("/api/jobs", token=False, headers={"Cookie": "token=" + SERVER.token})[0] == 401
    assert SERVER.get("/api/jobs?token=" + SERVER.token, token=False)[0] == 401
    assert SERVER.post("/api/jobs", frames_job("x", "true"), token=False)[0] == 401
    status, body, _ = SERVER.get("/api/jobs")
    assert status == 200 and isinstance(body["jobs"], list), body


@test
def bad_options_are_clear_errors():
    m = marker()
    for args, words in ((["--listen", "127.0.0.1:http"], "port"), (["--listen", "256.0.0.1:80"], "not an IP address"),
                        (["--listen", "127.0.0.1:%d" % SERVER.port], "127.0.0.1:%d" % SERVER.port),
                        (["--workers", "-1"], "--workers"), (["--partition", "p"], "--slurm")):
        r = subprocess.run([FARMHAND, "serve", "--jobs-root", os.path.join(TMP, "bad-%s" % m)] + args,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and words in r.stderr, (args, r.returncode, r.stderr)
    short = os.path.join(TMP, "short-%s" % m)
    with open(short, "w") as f:
        f.write("abc\n")
    r = subprocess.run([FARMHAND, "serve", "--token-file", short], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "at least 16" in r.stderr, r.stderr


@test
def a_token_file_sets_the_token():
    m = marker()
    path = os.path.join(TMP, "token-%s" % m)
    token = "tok-%s-0123456789abcdef" % m
    with open(path, "w") as f:
        f.write(token + "\n")
    server = Server(FARMHAND, os.path.join(TMP, "jobs-token-%s" % m), "--token-file", path)
    try:
        assert server.token == token and server.url.endswith("/?token=" + token), server.url
        assert server.get("/api/jobs")[0] == 200
        assert server.get("/api/jobs", token=SERVER.token)[0] == 401
    finally:
        server.stop()


@test
def the_page_is_served_without_data_and_locked_down():
    status, body, headers = SERVER.get("/", token=False)
    assert status == 200 and "<title>farmhand</title>" in body
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    for name in ("app.js", "form.js", "grid.js", "style.css"):
        assert SERVER.get("/static/" + name, token=False)[0] == 200, name
    assert SERVER.get("/jobs/anything", token=False)[0] == 200


@test
def the_schema_is_the_job_schema():
    status, body, _ = SERVER.get("/api/schema")
    with open(os.path.join(SOURCE, "schemas", "job.schema.json")) as f:
        assert status == 200 and body == json.load(f)


@test
def invalid_jobs_are_422_with_json_paths():
    bad = {"name": "bad", "executor": {"preset": "nope"}, "timeouts": {"hello_s": "soon"},
           "agenda": {"frames": "1-3", "command": "true", "chunk": 0}, "framez": 1}
    status, body, _ = SERVER.post("/api/jobs", bad)
    assert status == 422, (status, body)
    paths = {e["path"]: e["message"] for e in body["errors"]}
    for p in ("executor.preset", "timeouts.hello_s", "agenda.chunk", "framez"):
        assert p in paths, (p, body)
    assert "nope" in paths["executor.preset"]
    status, body, _ = SERVER.post("/api/jobs", '{"name": "x", "agenda": [1,}')
    assert status == 422 and body["errors"][0]["path"] == "", body
    status, body, _ = SERVER.post("/api/jobs", {"executor": "shell"})
    assert status == 422 and body["errors"] == [{"path": "name", "message": body["errors"][0]["message"]}], body
    status, body, _ = SERVER.post("/api/jobs", [1, 2])
    assert status == 422, body
    # Nothing was laid out for any of them.
    assert [d for d in os.listdir(SERVER.root) if not d.startswith(".")] == [], os.listdir(SERVER.root)


def raw_request(lines, body_chunks=()):
    """A request written by hand (what a client library would refuse to
    send); the status line of the answer."""
    s = socket.create_connection((SERVER.host, SERVER.port), timeout=30)
    s.sendall("\r\n".join(lines).encode() + b"\r\n\r\n")
    try:
        for chunk in body_chunks:
            s.sendall(chunk)
    except OSError:
        pass   # the server may close early: it has answered
    data = b""
    while b"\r\n" not in data:
        got = s.recv(4096)
        if not got:
            break
        data += got
    s.close()
    return data.split(b"\r\n", 1)[0].decode()


@test
def oversize_bodies_are_refused():
    auth = "Authorization: Bearer " + SERVER.token
    big = 5 << 20
    status = raw_request(["POST /api/jobs HTTP/1.1", "Host: x", auth, "Content-Length: %d" % big],
                         [b" " * (1 << 20)] * 5)
    assert " 413 " in status, status
    status = raw_request(["POST /api/jobs HTTP/1.1", "Host: x", auth, "Content-Length: %d" % big,
                          "Expect: 100-continue"])
    assert " 413 " in status, status
    # Chunked, with no length to judge by: refused once past the limit.
    chunk = b"%x\r\n%s\r\n" % (1 << 16, b" " * (1 << 16))
    status = raw_request(["POST /api/jobs HTTP/1.1", "Host: x", auth, "Transfer-Encoding: chunked"],
                         [chunk] * 40 + [b"0\r\n\r\n"])
    assert " 413 " in status, status
    # The server still answers.
    assert SERVER.get("/api/jobs")[0] == 200


@test
def no_path_outside_the_jobs_root_is_read():
    secret = os.path.join(TMP, "secret-%s" % marker())
    os.makedirs(secret)
    with open(os.path.join(secret, "meta.json"), "w") as f:
        f.write("{}")
    auth = "Authorization: Bearer " + SERVER.token
    for path in ("/api/jobs/..", "/api/jobs/.", "/api/jobs/%2e%2e", "/api/jobs/..%2f" + os.path.basename(secret),
                 "/api/jobs/../" + os.path.basename(secret), "/api/jobs/%2e%2e%2fsecret/items/1/log",
                 "/api/jobs/" + "a" * 300, "/api/jobs/x%00y"):
        status = raw_request(["GET %s HTTP/1.1" % path, "Host: x", auth])
        assert " 404 " in status or " 400 " in status, (path, status)
    for path in ("/static/../../README.md", "/static/..%2f..%2fREADME.md", "/static/%2e%2e/README.md",
                 "/static/index.html/../../meson.build", "/static/", "/static/meson.build", "/../meson.build",
                 "/jobs/../../meson.build"):
        status = raw_request(["GET %s HTTP/1.1" % path, "Host: x"])
        assert " 404 " in status or " 400 " in status, (path, status)


@test
def a_job_runs_fails_and_is_retried():
    m = marker()
    flag = os.path.join(TMP, "fixed-%s" % m)
    # Frame 3 fails until the flag exists; the retry finds it.
    cmd = ("echo 'frame {frames} %s'; if [ {frames} = 3 ] && [ ! -e %s ]; then touch %s; "
           "echo 'ERROR: no licence %s' >&2; exit 4; fi" % (m, flag, flag, m))
    events = Events(SERVER)
    assert events.status == 200
    job_id = SERVER.submit(frames_job("retry-%s" % m, cmd, frames="1-5"))
    assert job_state(events, job_id, {"failed"}), "the job did not end failed"
    status, body, _ = SERVER.get("/api/jobs/" + job_id)
    assert status == 200 and body["total"] == 5 and body["job"]["counts"]["failed"] == 1, body
    by_name = {i["name"]: i for i in body["items"]}
    assert by_name["3"]["status"] == "failed" and by_name["1"]["status"] == "complete", by_name
    assert by_name["3"]["class"] == "exit_code" and "status 4" in by_name["3"]["reason"], by_name["3"]
    status, item, _ = SERVER.get("/api/jobs/%s/items/3" % job_id)
    assert status == 200 and "no licence %s" % m in item["result"]["traceback"], item
    assert item["attempts"][0]["worker"], item
    status, log, _ = SERVER.get("/api/jobs/%s/items/3/log?attempt=1" % job_id)
    texts = [(l["stream"], l["text"]) for l in log["lines"]]
    assert ("stdout", "frame 3 %s" % m) in texts and ("stderr", "ERROR: no licence %s" % m) in texts, texts
    assert not any("frame 2 %s" % m in t for _, t in texts), "another item's line in item 3's log"
    # From where it stopped: nothing new.
    status, again, _ = SERVER.get("/api/jobs/%s/items/3/log?attempt=1&offset=%d" % (job_id, log["offset"]))
    assert again["lines"] == [], again
    assert SERVER.get("/api/jobs/%s/items/3/log?offset=x" % job_id)[0] == 400
    assert SERVER.get("/api/jobs/%s/items/nope" % job_id)[0] == 404
    status, body, _ = SERVER.post("/api/jobs/%s/retry" % job_id)
    assert status == 200 and body["remaining"] == 1, body
    got = events.wait(lambda e, d: e == "items" and d["job"] == job_id and
                      any(i["index"] == 2 and i["state"] == "complete" and i["attempt"] == 2 for i in d["items"]))
    assert got, "item 3 did not complete on its second attempt"
    assert job_state(events, job_id, {"complete"})
    status, item, _ = SERVER.get("/api/jobs/%s/items/3" % job_id)
    assert item["status"] == "complete" and [a["attempt"] for a in item["attempts"]] == [1, 2], item
    status, body, _ = SERVER.get("/api/jobs")
    summary = [j for j in body["jobs"] if j["id"] == job_id][0]
    assert summary["counts"]["complete"] == 5 and summary["progress"] == 1.0, summary
    events.close()


@test
def a_running_item_shows_and_its_log_tails():
    m = marker()
    gate = os.path.join(TMP, "gate-%s" % m)
    cmd = "echo 'before %s'; while [ ! -e %s ]; do sleep 0.05; done; echo 'after %s'" % (m, gate, m)
    events = Events(SERVER)
    job_id = SERVER.submit(frames_job("tail-%s" % m, cmd, frames="1"))
    assert events.wait(lambda e, d: e == "items" and d["job"] == job_id and
                       any(i["state"] == "running" for i in d["items"])), "never running"
    # The first line may still be in the worker's buffer (flushed each
    # second): read on from where each answer stopped until it shows.
    state = {"offset": 0, "lines": []}

    def tail():
        status, log, _ = SERVER.get("/api/jobs/%s/items/1/log?offset=%d" % (job_id, state["offset"]))
        assert status == 200 and log["running"] and log["attempt"] == 1, log
        state["lines"] += log["lines"]
        state["offset"] = log["offset"]
        return any("before %s" % m in l["text"] for l in state["lines"])
    assert await_true(tail, timeout=30), state["lines"]
    offset = state["offset"]
    open(gate, "w").close()
    assert job_state(events, job_id, {"complete"})
    status, log, _ = SERVER.get("/api/jobs/%s/items/1/log?offset=%d" % (job_id, offset))
    assert any("after %s" % m in l["text"] for l in log["lines"]) and not log["running"], log
    assert not any("before %s" % m in l["text"] for l in log["lines"]), "re-read from the start"
    events.close()


@test
def cancel_stops_the_workers_and_their_commands():
    m = marker()
    events = Events(SERVER)
    job_id = SERVER.submit(frames_job("cancel-%s" % m, "sleep 3%s" % m.replace(".", ""), frames="1-6"))
    sleeper = "sleep 3%s" % m.replace(".", "")
    assert events.wait(lambda e, d: e == "items" and d["job"] == job_id and
                       any(i["state"] == "running" for i in d["items"])), "never running"
    assert await_true(lambda: count_procs(sleeper) > 0), "no command running"
    status, body, _ = SERVER.post("/api/jobs/%s/cancel" % job_id)
    assert status == 200 and body["signalled"] == 2, body
    assert job_state(events, job_id, {"cancelled"}), "not cancelled"
    assert await_true(lambda: count_procs(sleeper) == 0), "a command outlived the cancel"
    status, body, _ = SERVER.get("/api/jobs/" + job_id)
    assert body["job"]["cancelled"] and body["job"]["counts"]["complete"] == 0, body["job"]
    events.close()


@test
def unknown_calls_and_methods_are_refused():
    assert SERVER.get("/api/nope")[0] == 404
    assert SERVER.request("DELETE", "/api/jobs")[0] == 405
    assert SERVER.post("/api/schema")[0] == 405
    assert SERVER.get("/api/jobs/no-such-job")[0] == 404
    assert SERVER.post("/api/jobs/no-such-job/retry")[0] == 404


@test
def jobs_of_farmhand_submit_show_too():
    m = marker()
    events = Events(SERVER)
    jobdir = os.path.join(SERVER.root, "cli-%s" % m)
    job_id = prepare(FARMHAND, jobdir, frames_job("cli-%s" % m, "true", frames="1-3"), TMP)
    assert events.wait(lambda e, d: e == "job" and d["id"] == job_id) or SERVER.get("/api/jobs/" + job_id)[0] == 200
    r = subprocess.run([FARMHAND, "worker", jobdir], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert job_state(events, job_id, {"complete"}), "the CLI's job never showed complete"
    events.close()


@test
def a_burst_of_results_asks_for_a_reload():
    """More changes in one look than an event should carry (a big job's
    results appearing at once): the summary says "reload" instead."""
    m = marker()
    events = Events(SERVER)
    jobdir = os.path.join(SERVER.root, "burst-%s" % m)
    job_id = prepare(FARMHAND, jobdir, frames_job("burst-%s" % m, "true", frames="1-6000"), TMP)
    assert events.wait(lambda e, d: e == "job" and d["id"] == job_id), "the job never showed"
    # 6,000 results landing at once, as a worker writes them.
    write_ledger_at_once(jobdir, "w%s" % m, 6000)
    got = events.wait(lambda e, d: (e == "items" and d["job"] == job_id) or
                      (e == "job" and d["id"] == job_id and d["counts"]["complete"] == 6000))
    assert got and got[0] == "job" and got[1].get("reload") is True, got
    status, body, _ = SERVER.get("/api/jobs/" + job_id)
    assert body["job"]["state"] == "complete" and all(i["status"] == "complete" for i in body["items"])
    events.close()


@test
def a_killed_server_leaves_no_worker():
    m = marker()
    server = Server(FARMHAND, os.path.join(TMP, "jobs-kill-%s" % m))
    sleeper = "sleep 4%s" % m.replace(".", "")
    server.submit(frames_job("orphan-%s" % m, sleeper, frames="1-4"))
    assert await_true(lambda: count_procs(sleeper) == 2), "the workers' commands never ran"
    server.stop(signal.SIGKILL)
    assert await_true(lambda: count_procs(sleeper) == 0, timeout=30), "a command outlived the server"


def slurm_up():
    try:
        r = subprocess.run(["sinfo", "--noheader", "--responding", "--format=%T"], capture_output=True,
                           text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and r.stdout.strip() != ""


@test
def with_slurm_a_submitted_job_runs_as_an_array():
    if not slurm_up():
        return "SKIP no Slurm cluster here: .ci/run starts one (../shared/slurm/start-local-slurm.sh, as root)"
    m = marker()
    server = Server(FARMHAND, os.path.join(TMP, "jobs-slurm-%s" % m), "--slurm", "--workers", "2")
    try:
        events = Events(server)
        job_id = server.submit(frames_job("slurm-%s" % m, "echo 'frame {frames} %s'" % m, frames="1-6"))
        assert job_state(events, job_id, {"complete"}, timeout=180), "the Slurm job did not complete"
        status, body, _ = server.get("/api/jobs/" + job_id)
        assert body["job"].get("slurm_job"), body["job"]
        workers = {i["attempt"] for i in body["items"]}
        assert workers == {1}, body["items"]
        status, log, _ = server.get("/api/jobs/%s/items/6/log" % job_id)
        assert any("frame 6 %s" % m in l["text"] for l in log["lines"]), log
        events.close()
    finally:
        server.stop()


@test
def the_server_stops_cleanly():
    # SIGTERM ends its workers (none left now) and it exits 0; under the
    # sanitizers, leak-free.
    SERVER.stop()
    err = SERVER.proc.stderr_text
    assert SERVER.proc.returncode == 0, (SERVER.proc.returncode, err)
    # (Under valgrind, its --error-exitcode says it; it warns of syscalls.)
    for bad in ("Sanitizer", "runtime error", "CRITICAL") + (() if os.environ.get("FH_SERVE_WRAPPER") else ("WARNING",)):
        assert bad not in err, err


def cleanup():
    SERVER.stop()
    shutil.rmtree(TMP, ignore_errors=True)


sys.exit(SUITE.main(cleanup))
