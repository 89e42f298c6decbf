#!/usr/bin/python3
"""spread.py RUN.json... — how repeatable benchmarks/run is: for each
round-trip row and placement, its ratio to the limit in every run, and the
spread of those ratios around their mean (the issue's bar: ±15 %).

  for i in 1 2 3 4 5; do benchmarks/run --quick --json q$i.json; done
  benchmarks/spread.py q*.json
"""
import json
import statistics
import sys

ROWS = ["limit_3_processes", "farmhand_shell_connection", "farmhand_shell", "farmhand_python",
        "farmhand_shell_python_host",
        "execnet", "execnet_remote_exec", "mitogen", "spawn_sh_c", "spawn_python_c"]


def main(paths):
    runs = [json.load(open(p)) for p in paths]
    worst = 0.0
    print("%-28s %-7s %s  %s" % ("row", "placed", " ".join("%6s" % ("run%d" % (i + 1)) for i in range(len(runs))),
                                "spread"))
    for placement in ("free", "apart", "pinned"):
        for row in ROWS:
            ratios = [r["roundtrip_us"][placement][row]["x_limit"] for r in runs
                      if row in r["roundtrip_us"].get(placement, {})]
            if len(ratios) < 2:
                continue
            mean = statistics.fmean(ratios)
            spread = max(abs(x - mean) for x in ratios) / mean * 100
            if row.startswith("farmhand"):
                worst = max(worst, spread)
            print("%-28s %-7s %s  ±%.0f %%" % (row, placement, " ".join("%6.2f" % x for x in ratios), spread))
    print("largest spread of a farmhand row: ±%.0f %%" % worst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
