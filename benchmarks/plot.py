#!/usr/bin/python3
"""plot.py — the round-trip latency CDFs from a `benchmarks/run --samples
DIR` run, as a PNG (log-scale time axis: from the kernel's limit to
Qube-style polling is four orders of magnitude).

  benchmarks/plot.py SAMPLES_DIR OUT.png [PLACEMENT]

PLACEMENT is free (the default), apart or pinned (see benchmarks/run).

Needs python3-matplotlib (Debian); not needed to run the benchmarks.
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERIES = [
    ("limit_pipe_socketpair", "limit: pipe in, socketpair back", "black", "-"),
    ("farmhand_shell", "farmhand, shell executor", "tab:blue", "-"),
    ("farmhand_python", "farmhand, Python executor", "tab:orange", "-"),
    ("execnet", "execnet channel", "tab:green", "--"),
    ("mitogen", "mitogen call", "tab:red", "--"),
    ("spawn_sh_c", "process per command: sh -c", "tab:purple", ":"),
    ("spawn_python_c", "process per command: python3 -c", "tab:brown", ":"),
    ("poll_0_2s_tcp", "Qube-style 0.2 s poll", "tab:gray", "-."),
]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    samples_dir, out = sys.argv[1:3]
    placement = sys.argv[3] if len(sys.argv) == 4 else "free"
    fig, ax = plt.subplots(figsize=(9, 5.2), dpi=110)
    for key, label, color, style in SERIES:
        path = os.path.join(samples_dir, "%s.%s.txt" % (key, placement))
        if not os.path.exists(path):
            continue
        with open(path) as f:
            xs = sorted(float(line) for line in f if line.strip())
        ys = [(i + 1) / len(xs) for i in range(len(xs))]
        median = xs[len(xs) // 2]
        ax.step(xs, ys, where="post", color=color, linestyle=style,
                label="%s (median %s)" % (label, fmt(median)))
    ax.set_xscale("log")
    ax.set_xlabel("round trip of a no-op command (µs, log scale)")
    ax.set_ylabel("fraction of commands")
    ax.set_ylim(0, 1.0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("farmhand vs the limit and its peers: latency CDF")
    fig.tight_layout()
    fig.savefig(out)


def fmt(us):
    return "%.0f µs" % us if us < 10000 else "%.0f ms" % (us / 1000)


if __name__ == "__main__":
    main()
