#!/usr/bin/python3
"""test-web-lint.py — the farm UI's page under ESLint (web/eslint.config.js):
one TAP line per file, each problem with its file, line and column.

ESLint comes from web/node_modules (`npm ci --prefix web`, which .ci/run
does); without it the test skips, saying how to get it.

Usage: test-web-lint.py SOURCE_DIR
"""
import json
import os
import subprocess
import sys

WEB = os.path.join(os.path.abspath(sys.argv[1]), "web")
ESLINT = os.path.join(WEB, "node_modules", ".bin", "eslint")

if not os.access(ESLINT, os.X_OK):
    print("1..0 # SKIP no ESLint in web/node_modules (npm ci --prefix web)")
    sys.exit(0)

proc = subprocess.run([ESLINT, "--format", "json", "--max-warnings", "0", "."],
                      cwd=WEB, capture_output=True, text=True, timeout=120)
try:
    reports = json.loads(proc.stdout)
except json.JSONDecodeError:
    print("1..1")
    print(f"not ok 1 - eslint ran (exit {proc.returncode})")
    for line in (proc.stderr or proc.stdout).splitlines():
        print("# " + line)
    sys.exit(0)

print(f"1..{len(reports)}")
for n, report in enumerate(reports, 1):
    name = os.path.relpath(report["filePath"], WEB)
    problems = report["messages"]
    print(f"{'not ok' if problems else 'ok'} {n} - web/{name}")
    for p in problems:
        print(f"# web/{name}:{p.get('line', 0)}:{p.get('column', 0)}: "
              f"{p['message']} ({p.get('ruleId') or 'parse'})")
