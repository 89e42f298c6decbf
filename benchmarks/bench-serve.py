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

The jobs are laid out by `farmhand submit --prepare` and their ledgers
written the way a worker writes them (tests/fh_serve.py's Ledger), so
that a million items take seconds, not a farm's day.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--jobs", type=int, default=100)
    ap.add_argument("--items", type=int, default=10000)
    ap.add_argument("--latency-samples", type=int, default=40)
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
