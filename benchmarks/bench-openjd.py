#!/usr/bin/python3
"""bench-openjd.py BUILD_DIR [--tasks N] [--steps N] [--space N] [--json FILE]
— `farmhand openjd` measured (issue "Run Open Job Description templates
unchanged"), side by side in one run:

  per_task_ms      a step of N no-op tasks (`true`; `python3 -c pass`)
                   under `farmhand openjd run`, per task, beside the floor:
                   a process per action through a generated /bin/sh wrapper
                   in the session's directory, output read through a pipe,
                   as openjd-sessions runs an action (Python's subprocess,
                   as openjd-sessions uses it).  Goal: <= 1.2x the floor for
                   argv actions.
  simple_bash_ms   what farmhand's persistent executor would save for
                   simple actions: a step of N `bash:` simple actions
                   (`true`; a bash and an embedded script file per task, as
                   the specification runs them) per task, beside a farmhand
                   job of N items of `true` in one persistent shell
  check_ms         `farmhand openjd check` of a template of N steps
  create           `farmhand openjd summary` of a job whose step is a
                   combination of three parameters with M tasks: time and
                   peak RSS (job creation only: nothing runs)
"""
import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def timed(argv, cwd):
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def step_template(path, tasks, argv):
    with open(path, "w") as f:
        f.write("specificationVersion: jobtemplate-2023-09\nname: Bench\nsteps:\n- name: S\n"
                "  parameterSpace:\n    taskParameterDefinitions:\n    - {name: F, type: INT, range: '1-%d'}\n"
                "  script:\n    actions:\n      onRun: {command: %s, args: %s}\n"
                % (tasks, json.dumps(argv[0]), json.dumps(argv[1:])))


def floor_per_task(tmp, tasks, argv):
    """What openjd-sessions does per action: a generated /bin/sh wrapper
    (exports, cd, exec) in the session directory, run with its output on a
    pipe read to the end."""
    env = dict(os.environ)
    t0 = time.perf_counter()
    for i in range(tasks):
        script = os.path.join(tmp, "action-%d.sh" % i)
        with open(script, "w") as f:
            f.write("#!/bin/sh\n")
            f.write("export OPENJD_SESSION_WORKING_DIR=%s\n" % shlex.quote(tmp))
            f.write("cd %s\nexec %s\n" % (shlex.quote(tmp), " ".join(shlex.quote(a) for a in argv)))
        os.chmod(script, 0o700)
        p = subprocess.Popen(["/bin/sh", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp,
                             env=env, start_new_session=True)
        for _ in p.stdout:
            pass
        p.wait()
        os.unlink(script)
    return (time.perf_counter() - t0) / tasks * 1000


def farmhand_per_task(farmhand, tmp, tasks, argv):
    template = os.path.join(tmp, "step.yaml")
    step_template(template, tasks, argv)
    # Job creation and the session's edges cost once: a 1-task run's time
    # is taken off, as the floor has none.
    base = os.path.join(tmp, "one.yaml")
    step_template(base, 1, argv)
    full = timed([farmhand, "openjd", "run", "--plain", "--quiet", template], tmp)
    one = timed([farmhand, "openjd", "run", "--plain", "--quiet", base], tmp)
    return (full - one) / (tasks - 1) * 1000


def bash_step_template(path, tasks):
    with open(path, "w") as f:
        f.write("specificationVersion: jobtemplate-2023-09\nextensions: [FEATURE_BUNDLE_1]\nname: Bench\n"
                "steps:\n- name: S\n  parameterSpace:\n    taskParameterDefinitions:\n"
                "    - {name: F, type: INT, range: '1-%d'}\n  bash: {script: 'true'}\n" % tasks)


def simple_per_task(farmhand, tmp, tasks):
    """Per task, a `bash:` simple action under `farmhand openjd run`, and
    per item, the same command in farmhand's persistent shell (a job run
    by `farmhand run`): each less its 1-task run."""
    per = {}
    for key, make, argv in (("openjd_bash", bash_step_template, ["openjd", "run", "--plain", "--quiet"]),
                            ("persistent_shell", persistent_job, ["run", "--plain", "--quiet"])):
        full, one = os.path.join(tmp, key + "-n"), os.path.join(tmp, key + "-1")
        make(full, tasks)
        make(one, 1)
        per[key] = (timed([farmhand] + argv + [full], tmp) - timed([farmhand] + argv + [one], tmp)) / (tasks - 1) * 1000
    return per


def persistent_job(path, tasks):
    with open(path, "w") as f:
        json.dump({"name": "bench", "agenda": {"frames": "1-%d" % tasks, "command": "true"}}, f)


def check_template(path, steps):
    with open(path, "w") as f:
        f.write("specificationVersion: jobtemplate-2023-09\nname: Many\n"
                "parameterDefinitions:\n- {name: Frames, type: STRING, default: '1-10'}\nsteps:\n")
        for i in range(steps):
            f.write("- name: Step%d\n" % i)
            if i:
                f.write("  dependencies: [{dependsOn: Step%d}]\n" % (i - 1))
            f.write("  parameterSpace:\n    taskParameterDefinitions:\n"
                    "    - {name: F, type: INT, range: '{{Param.Frames}}'}\n"
                    "  script:\n    actions:\n      onRun: {command: echo, args: ['{{Task.Param.F}}']}\n")


def rss_run(argv, cwd):
    """Wall seconds and peak RSS (MiB) of one command."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    took = time.perf_counter() - t0
    assert os.waitstatus_to_exitcode(status) == 0, argv
    return took, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--python-tasks", type=int, default=200)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--space", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    farmhand = os.path.join(os.path.abspath(args.build), "host", "farmhand")
    out = {"per_task_ms": {}, "tasks": args.tasks}
    with tempfile.TemporaryDirectory(prefix="farmhand-bench-openjd-") as tmp:
        for name, argv, n in (("true", ["true"], args.tasks),
                              ("python_pass", [sys.executable, "-c", "pass"], args.python_tasks)):
            fl, fh = [], []
            for _ in range(args.rounds):
                fl.append(floor_per_task(tmp, n, argv))
                fh.append(farmhand_per_task(farmhand, tmp, n, argv))
            floor, ours = statistics.median(fl), statistics.median(fh)
            out["per_task_ms"][name] = {"tasks": n, "floor": round(floor, 3), "farmhand": round(ours, 3),
                                        "x_floor": round(ours / floor, 2)}
        runs = [simple_per_task(farmhand, tmp, args.tasks) for _ in range(args.rounds)]
        sb = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        out["simple_bash_ms"] = {"tasks": args.tasks, "openjd_bash": round(sb["openjd_bash"], 3),
                                 "persistent_shell": round(sb["persistent_shell"], 3),
                                 # 0: not measurable (tiny counts: the difference of two runs)
                                 "saved_x": round(sb["openjd_bash"] / sb["persistent_shell"], 1)
                                 if sb["persistent_shell"] > 0 else 0.0}
        template = os.path.join(tmp, "steps.yaml")
        check_template(template, args.steps)
        checks = [timed([farmhand, "openjd", "check", template], tmp) for _ in range(args.rounds)]
        out["check_ms"] = {"steps": args.steps, "median": round(statistics.median(checks) * 1000, 1)}
        a = max(1, args.space // 1000)
        space = os.path.join(tmp, "space.yaml")
        with open(space, "w") as f:
            f.write("specificationVersion: jobtemplate-2023-09\nname: Space\nsteps:\n- name: S\n"
                    "  parameterSpace:\n    taskParameterDefinitions:\n"
                    "    - {name: A, type: INT, range: '1-%d'}\n    - {name: B, type: INT, range: '1-100'}\n"
                    "    - {name: C, type: STRING, range: [a, b, c, d, e, f, g, h, i, j]}\n"
                    "  script:\n    actions:\n      onRun: {command: 'true'}\n" % a)
        runs = [rss_run([farmhand, "openjd", "summary", space], tmp) for _ in range(args.rounds)]
        out["create"] = {"tasks": a * 1000, "seconds": round(statistics.median(r[0] for r in runs), 3),
                         "peak_rss_mb": round(max(r[1] for r in runs), 1)}
    print(json.dumps(out, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
