#!/usr/bin/python3
"""bench-python-host.py — the round trip of a no-op item with a Python
host: farmhand.Job (python/farmhand, ctypes over the plugin ABI) serving
items one by one, measured as bench-roundtrip measures the C host — from
handing the plugin the item to its result arriving.

  bench-python-host.py BUILD_DIR [--executor shell|python] [-n N] [--warmup W] [--samples FILE]

Prints {"n", "median", "p99", "mean", "min", "cs_per_cmd", "cpu_us_per_cmd"} in µs.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from peers import USAGE, summary  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build")
    ap.add_argument("--executor", default="shell", choices=["shell", "python"])
    ap.add_argument("-n", "--count", type=int, default=10000)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--samples")
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(os.path.abspath(args.build), "python"))
    import farmhand

    total = args.warmup + args.count
    command = ":" if args.executor == "shell" else "pass"
    samples, started = [], [0]

    def items():
        for i in range(total):
            if i == args.warmup:
                USAGE.begin()
            started[0] = time.perf_counter_ns()
            yield i

    def on_result(result):
        t1 = time.perf_counter_ns()
        if result.get("index", 0) >= args.warmup:
            samples.append(t1 - started[0])
            if len(samples) == args.count:
                USAGE.end()

    job = farmhand.Job({"name": "bench-python-host", "executor": args.executor,
                        "agenda": {"frames": "1-%d" % total, "command": command}})
    result = job.run(items=items(), on_result=on_result)
    job.close()
    if result.status != "complete":
        sys.exit("bench-python-host: the job ended %s: %s" % (result.status, result.error))
    if args.samples:
        with open(args.samples, "w") as f:
            f.writelines("%.3f\n" % (s / 1000.0) for s in samples)
    out = summary(samples)
    out.update(USAGE.per_command(len(samples)))
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
