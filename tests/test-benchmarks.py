#!/usr/bin/python3
"""test-benchmarks.py — keeps benchmarks/run from rotting: runs it with
--smoke (tiny counts; no timing is asserted, the numbers mean nothing) and
checks that the JSON has every figure benchmarks/RESULTS.md reports.  TAP.

Usage: test-benchmarks.py SOURCE_DIR BUILD_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

SRC, BUILD = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
for module in ("execnet", "mitogen"):
    try:
        __import__(module)
    except ImportError:
        print("1..0 # SKIP python3-%s is not installed (apt-get install python3-%s)" % (module, module))
        sys.exit(0)

ROUNDTRIPS = ["limit_pipe_socketpair", "limit_3_processes", "farmhand_shell_connection",
              "farmhand_shell", "farmhand_python", "farmhand_shell_python_host", "spawn_sh_c",
              "farmhand_session_run", "spawn_python_c", "execnet",
              "execnet_remote_exec", "mitogen", "poll_0_2s_tcp"]


def number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0


with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "out.json")
    proc = subprocess.run([os.path.join(SRC, "benchmarks", "run"), "--smoke", "--no-blender",
                           "--build", BUILD, "--json", out],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    checks = []

    def check(name, ok, detail=""):
        checks.append((name, bool(ok), detail))

    check("run_exits_0", proc.returncode == 0, proc.stdout[-2000:])
    r = json.load(open(out)) if os.path.exists(out) else {}
    for placement in ("free", "apart", "pinned"):
        rt = r.get("roundtrip_us", {}).get(placement, {})
        for key in ROUNDTRIPS:
            if placement != "free" and key == "poll_0_2s_tcp":
                continue
            q = rt.get(key, {})
            # Smoke counts are too small for the per-command figures to mean
            # anything (they may even come out negative): only that they are there.
            check("roundtrip_us.%s.%s" % (placement, key),
                  all(number(q.get(f)) for f in ("median", "p99", "x_limit")) and
                  all(isinstance(q.get(f), (int, float)) for f in ("cs_per_cmd", "cpu_us_per_cmd")), q)
    ins = r.get("instructions") or {}
    check("instructions", "skipped" in ins or all(
        isinstance(ins.get(k, {}).get("instr_per_cmd"), int) for k in
        ("limit_pipe_socketpair", "farmhand_shell_connection", "farmhand_shell", "farmhand_python",
         "farmhand_shell_python_host", "farmhand_session_run")), ins)
    check("instructions_printed", "instructions per command" in proc.stdout, proc.stdout[-500:])
    check("items_per_s", number(r.get("items_per_s", {}).get("farmhand_shell")), r.get("items_per_s"))
    ls = r.get("log_scan_MBps", {})
    check("log_scan_MBps", all(number(ls.get(k)) for k in ("farmhand", "farmhand_preset", "grep_E", "grep_E_C_locale", "pipe_limit")), ls)
    check("workers", number(r.get("workers", {}).get("items_per_s")), r.get("workers"))
    of = r.get("openjd_farm") or {}
    check("openjd_farm", all(number(of.get(k, {}).get("tasks_per_s")) for k in ("openjd", "farmhand_true", "farmhand_noop"))
          and number(of.get("x_true")) and isinstance(of.get("openjd", {}).get("step_gap_s"), (int, float))
          and ("skipped" in of.get("slurm", {}) or isinstance(of.get("slurm", {}).get("step_gap_s"), (int, float))), of)
    rss = r.get("peak_rss_mb", {})
    check("peak_rss_mb", any(k.endswith("_log") and number(v) for k, v in rss.items()), rss)
    if shutil.which("chromium"):
        u = r.get("ui") or {}
        check("ui", number(u.get("view_10k_ms", {}).get("median")) and number(u.get("rss_mb")) and
              number(u.get("result_to_grid_ms", {}).get("max")), u)
        rounds = (u.get("requests_per_s") or {}).get("rounds", [])
        check("ui_requests_per_s", len(rounds) == 6 and all(number(x.get("requests_per_s")) and
                                                            number(x.get("fds_after")) for x in rounds), rounds)
    tr = r.get("transports") or {}
    if "skipped" not in tr:
        check("transports", all(number(tr.get(t, {}).get(k, {}).get("x_limit"))
                                for t, keys in (("sudo", ("limit", "farmhand_shell", "farmhand_python", "mitogen")),
                                                ("ssh", ("limit", "farmhand_python", "execnet")))
                                for k in keys), tr)
    o = r.get("openjd") or {}
    check("openjd", all(number(o.get("per_task_ms", {}).get(k, {}).get("x_floor")) for k in ("true", "python_pass")) and
          number(o.get("check_ms", {}).get("median")) and
          # a difference of two runs: at smoke counts it may even come out negative
          isinstance(o.get("simple_bash_ms", {}).get("saved_x"), (int, float)) and number(o.get("create", {}).get("peak_rss_mb")), o)
    check("machine_and_date", r.get("machine", {}).get("cores") and r.get("date"), r.get("machine"))
    check("targets", len(r.get("targets", [])) >= 6, r.get("targets"))
    check("table_printed", "round trip of a no-op command" in proc.stdout, proc.stdout[-500:])
    # --baseline's side-by-side table, from these figures as both builds'
    # (measuring a second build would double this test's time).
    if r:
        import contextlib
        import copy
        import io
        from importlib.machinery import SourceFileLoader
        bench = SourceFileLoader("bench_run", os.path.join(SRC, "benchmarks", "run")).load_module()
        both = copy.deepcopy(r)
        both["before"] = dict(copy.deepcopy(r), build=BUILD)
        for q in both["roundtrip_us"].values():
            q.update({k + bench.BEFORE: v for k, v in list(q.items()) if k.startswith("farmhand_")})
        text = io.StringIO()
        try:
            with contextlib.redirect_stdout(text):
                bench.print_table(both)
            ok = "before (--baseline %s) and now, side by side" % BUILD in text.getvalue() and "(1.00×)" in text.getvalue()
        except Exception as e:  # reported as the check's detail
            ok, text = False, io.StringIO(repr(e))
        check("baseline_table", ok, text.getvalue()[-1500:])

print("1..%d" % len(checks))
for i, (name, ok, detail) in enumerate(checks, 1):
    print("%s %d %s" % ("ok" if ok else "not ok", i, name))
    if not ok:
        for line in str(detail).splitlines():
            print("# " + line)
sys.exit(0 if all(ok for _, ok, _ in checks) else 1)
