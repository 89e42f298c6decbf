"""fh_serve.py — a real `farmhand serve` for the farm UI's tests and
benchmark: started on a free port with a jobs root of its own, its URL and
token read from the line it prints, an HTTP client for its API, and its
Server-Sent Events followed by a thread."""
import http.client
import json
import os
import queue
import resource
import signal
import subprocess
import threading
import time
import urllib.parse


class Server:
    def __init__(self, farmhand, root, *extra, env=None, nofile=None):
        """@nofile: the server's descriptor limit (soft and hard)."""
        self.root = root
        os.makedirs(root, exist_ok=True)
        # FH_SERVE_WRAPPER="valgrind --error-exitcode=9 ..." runs the server under a tool.
        wrapper = os.environ.get("FH_SERVE_WRAPPER", "").split()
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None
        self.proc = subprocess.Popen(wrapper + [farmhand, "serve", "--listen", "127.0.0.1:0", "--jobs-root", root] + list(extra),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     preexec_fn=limit)
        line = self.proc.stdout.readline()
        if not line.startswith("farmhand serve: http://"):
            self.proc.kill()
            raise RuntimeError("farmhand serve did not start: %r %s" % (line, self.proc.stderr.read()))
        self.url = line.split(": ", 1)[1].strip()
        parsed = urllib.parse.urlsplit(self.url)
        self.host, self.port = parsed.hostname, parsed.port
        self.base = "http://%s:%d" % (self.host, self.port)
        self.token = urllib.parse.parse_qs(parsed.query)["token"][0]

    def n_fds(self):
        """The server's open descriptors now."""
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            return int(next(line for line in f if line.startswith("VmRSS:")).split()[1])

    def request(self, method, path, body=None, headers=None, token=True):
        """(status, parsed JSON or text, headers)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + (self.token if token is True else token)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=h)
        res = conn.getresponse()
        data = res.read().decode("utf-8", "replace")
        conn.close()
        try:
            data = json.loads(data)
        except ValueError:
            pass
        return res.status, data, dict(res.getheaders())

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def submit(self, job):
        status, data, _ = self.post("/api/jobs", job)
        if status != 201:
            raise AssertionError("submit: %d %s" % (status, data))
        return data["id"]

    def stop(self, sig=signal.SIGTERM):
        """Ends the server; its stderr is then in proc.stderr_text."""
        if self.proc.stderr.closed:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, self.proc.stderr_text = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, self.proc.stderr_text = self.proc.communicate()


class Events:
    """The server's event stream, read by a thread into a queue of
    (event, data, arrival time)."""

    def __init__(self, server):
        self.queue = queue.Queue()
        self.conn = http.client.HTTPConnection(server.host, server.port, timeout=600)
        self.conn.request("GET", "/api/events", headers={"Authorization": "Bearer " + server.token})
        self.res = self.conn.getresponse()
        self.status = self.res.status
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        event, data = "message", []
        try:
            for raw in self.res:
                line = raw.decode("utf-8").rstrip("\n")
                if line == "":
                    if data:
                        self.queue.put((event, json.loads("\n".join(data)), time.time()))
                    event, data = "message", []
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
        except Exception:   # closed under the reader (close()): the end
            pass
        self.queue.put(("closed", None, time.time()))

    def wait(self, predicate, timeout=60):
        """The first (event, data) for which @predicate holds, or None."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                event, data, _ = self.queue.get(timeout=left)
            except queue.Empty:
                return None
            if event == "closed":
                return None
            if predicate(event, data):
                return event, data

    def close(self):
        try:
            self.conn.sock.shutdown(2)
        except OSError:
            pass
        self.conn.close()


def prepare(farmhand, jobdir, job, tmp):
    """Lays @job (a dict) out at @jobdir with `farmhand submit --prepare`;
    its id (the directory's name)."""
    path = os.path.join(tmp, os.path.basename(jobdir) + ".json")
    with open(path, "w") as f:
        json.dump(job, f)
    r = subprocess.run([farmhand, "submit", "--prepare", "-q", "-d", jobdir, path], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("submit --prepare: " + r.stderr)
    return os.path.basename(jobdir)


class Ledger:
    """A worker's ledger in a job directory, written as `farmhand worker`
    writes it (docs/jobdir.md): the result's JSON line first, then
    "result I A STATUS OFFSET"."""

    def __init__(self, jobdir, worker):
        self.results = open(os.path.join(jobdir, "ledgers", worker + ".results"), "ab")
        self.ledger = open(os.path.join(jobdir, "ledgers", worker + ".ledger"), "ab")
        self.worker = worker

    def result(self, index, status="complete", flush=True):
        offset = self.results.tell()
        line = {"name": str(index + 1), "index": index, "frames": [index + 1], "status": status,
                "elapsed_s": 0.01, "attempts": 1, "code": 0 if status == "complete" else 1,
                "worker": self.worker}
        if status == "failed":
            line.update({"class": "exit_code", "reason": "the command exited with status 1",
                         "traceback": "command exited with status 1"})
        self.results.write((json.dumps(line) + "\n").encode())
        if flush:
            self.results.flush()
        self.ledger.write(("result %d 1 %s %d\n" % (index, status, offset)).encode())
        if flush:
            self.ledger.flush()

    def close(self):
        self.results.close()
        self.ledger.close()


def write_ledger_at_once(jobdir, worker, n):
    """Results of items 0..@n-1 as one new ledger that appears whole (by
    rename): a reader sees all of them or none."""
    tmp_name = "." + worker
    ledger = Ledger(jobdir, tmp_name)
    for i in range(n):
        ledger.result(i, flush=False)
    ledger.close()
    d = os.path.join(jobdir, "ledgers")
    os.rename(os.path.join(d, tmp_name + ".results"), os.path.join(d, worker + ".results"))
    os.rename(os.path.join(d, tmp_name + ".ledger"), os.path.join(d, worker + ".ledger"))


def job_state(events, job_id, states, timeout=60):
    """Waits for a "job" event of @job_id in one of @states."""
    return events.wait(lambda e, d: e == "job" and d["id"] == job_id and d["state"] in states, timeout)
