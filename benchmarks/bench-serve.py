#!/usr/bin/python3
"""bench-serve.py BUILD_DIR [--jobs N] [--items N] [--json FILE] — the farm
UI's figures (issue "The farm UI"), measured on the real `farmhand serve`
and real headless Chromium:

  view_10k_ms       a 10,000-item job's view, from navigation to the grid
                    built and painted (goal < 1000)
  result_to_grid_ms from a result's ledger line landing on disk to its
                    cell turning green in the open page (goal < 1000):
                    median, p95, max of 40
  rss_mb            the server's resident memory following N jobs of M
                    items (default 100 x 10,000 = 1,000,000; goal < 64),
                    after answering a 10,000-item job and with a page open
  requests_per_s    /api/jobs and a 10,000-item job's items at 1, 10 and
                    100 concurrent kept-alive clients (wrk; without it, a
                    Python client, which measures itself more than the
                    server), and the server's descriptors after each round

The jobs are laid out by `farmhand submit --prepare` and their ledgers
written the way a worker writes them (tests/fh_serve.py's Ledger), so
that a million items take seconds, not a farm's day.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import fh_cdp  # noqa: E402
from fh_serve import Ledger, Server, prepare  # noqa: E402


def prepare_template(farmhand, tmp, name, items):
    jobdir = os.path.join(tmp, "template-" + name)
    prepare(farmhand, jobdir, {"name": name, "executor": "shell",
                               "agenda": {"frames": "1-%d" % items, "command": "true"}}, tmp)
    return jobdir


def fill(jobdir, items, done_fraction, rng):
    ledger = Ledger(jobdir, "bench-w1")
    for i in range(int(items * done_fraction)):
        ledger.result(i, "failed" if rng.random() < 0.01 else "complete", flush=False)
    ledger.close()


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def view_ms(page, server, job_id, runs=3):
    """Navigation to painted grid of @job_id, each run a fresh load."""
    out = []
    for _ in range(runs):
        page.navigate(server.base + "/jobs/" + job_id)
        if not page.wait_for("document.body.dataset.paintedMs", 60):
            raise RuntimeError("the view never painted")
        out.append(float(page.eval("document.body.dataset.paintedMs")))
    return out


def result_to_grid(page, server, jobdir, job_id, n):
    page.navigate(server.base + "/jobs/" + job_id)
    if not page.wait_for("document.body.dataset.paintedMs", 60):
        raise RuntimeError("the view never painted")
    # The page notes when each cell turns green (its own clock is the
    # machine's wall clock, as ours is).
    page.eval("""(() => { window.__seen = {};
      new MutationObserver((ms) => { for (const m of ms) {
        const c = m.target; if (c.classList && c.classList.contains('s-complete') && !(c.dataset.index in window.__seen))
          window.__seen[c.dataset.index] = Date.now(); } })
        .observe(document.getElementById('grid'), { subtree: true, attributes: true, attributeFilter: ['class'] });
      return true; })()""")
    ledger = Ledger(jobdir, "bench-live")
    written = {}
    rng = random.Random(7)
    for i in range(n):
        # Off the server's refresh phase: a result lands at any moment.
        time.sleep(0.1 + rng.random() * 0.25)
        ledger.result(i)
        written[i] = time.time() * 1000
    ledger.close()
    if not page.wait_for("Object.keys(window.__seen).length >= %d" % n, 30):
        raise RuntimeError("not every result reached the grid")
    seen = page.eval("window.__seen")
    return sorted(seen[str(i)] - written[i] for i in range(n))


def load_wrk(server, path, clients, seconds):
    r = subprocess.run(["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", "%ds" % max(1, round(seconds)),
                        "-H", "Authorization: Bearer " + server.token, server.base + path],
                       capture_output=True, text=True, check=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", r.stdout).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    errors = re.search(r"Socket errors: (.*)", r.stdout)
    return rate, int(bad.group(1)) if bad else 0, errors.group(1) if errors else None


def load_python(server, path, clients, seconds):
    done, bad = [0], [0]
    deadline = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        while time.monotonic() < deadline:
            conn.request("GET", path, headers={"Authorization": "Bearer " + server.token})
            res = conn.getresponse()
            res.read()
            done[0] += 1
            bad[0] += res.status != 200
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / (time.monotonic() - started), bad[0], None


def settle(server, fds_before):
    """Seconds until the server's descriptors are back to @fds_before (the
    clients have just closed theirs; it sees each hang-up as it serves
    what is still queued), and the count then (bounded: 60 s)."""
    started = time.monotonic()
    while server.n_fds() > fds_before and time.monotonic() - started < 60:
        time.sleep(0.01)
    return round(time.monotonic() - started, 2), server.n_fds()


def throughput(server, job_id, seconds):
    """Requests per second at 1, 10 and 100 kept-alive clients, and the
    server's descriptors after each round (its baseline first)."""
    load = load_wrk if shutil.which("wrk") else load_python
    before = server.n_fds()
    out = {"client": "wrk" if load is load_wrk else "python", "fds_before": before, "rounds": []}
    for path, what in (("/api/jobs", "jobs"), ("/api/jobs/%s" % job_id, "view_10k")):
        for clients in (1, 10, 100):
            rate, bad, errors = load(server, path, clients, seconds)
            settle_s, fds = settle(server, before)
            out["rounds"].append({"path": what, "clients": clients, "requests_per_s": round(rate, 1),
                                  "non_2xx": bad, "socket_errors": errors, "fds_after": fds,
                                  "settle_s": settle_s})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--jobs", type=int, default=100)
    ap.add_argument("--items", type=int, default=10000)
    ap.add_argument("--latency-samples", type=int, default=40)
    ap.add_argument("--load-seconds", type=float, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    farmhand = os.path.join(os.path.abspath(args.build), "host", "farmhand")
    tmp = tempfile.mkdtemp(prefix="farmhand-bench-ui-")
    rng = random.Random(1)
    try:
        template = prepare_template(farmhand, tmp, "shot", args.items)
        root = os.path.join(tmp, "jobs")
        os.makedirs(root)
        for j in range(args.jobs):
            jobdir = os.path.join(root, "shot%03d" % j)
            shutil.copytree(template, jobdir)
            fill(jobdir, args.items, rng.random(), rng)
        live = os.path.join(root, "live")
        shutil.copytree(prepare_template(farmhand, tmp, "live", 200), live)
        started = time.monotonic()
        server = Server(farmhand, root)
        browser = fh_cdp.Browser()
        try:
            page = browser.page(1280, 800)
            page.navigate(server.url)
            if not page.wait_for("document.querySelectorAll('#jobs-body tr').length === %d" % (args.jobs + 1), 120):
                raise RuntimeError("the job list never showed every job")
            list_s = time.monotonic() - started
            views = view_ms(page, server, "shot000")
            latency = result_to_grid(page, server, live, "live", args.latency_samples)
            rss, hwm = rss_mb(server.proc.pid)
            load = throughput(server, "shot000", args.load_seconds)
        finally:
            browser.close()
            server.stop()
        r = {
            "jobs": args.jobs, "items": args.jobs * args.items,
            "view_10k_ms": {"median": statistics.median(views), "max": max(views), "runs": views},
            "result_to_grid_ms": {"median": statistics.median(latency),
                                  "p95": latency[int(0.95 * (len(latency) - 1))], "max": max(latency),
                                  "n": len(latency)},
            "rss_mb": round(rss, 1), "peak_rss_mb": round(hwm, 1),
            "list_all_jobs_s": round(list_s, 2),
            "requests_per_s": load,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(r, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
