#!/usr/bin/python3
"""test-layers.py SRCDIR BUILDDIR — farmhand's layers and rooms, enforced
(docs/architecture.md has them drawn).

    common/    → GLib, json-glib (and config.h): the wire protocol between
                 plugin and executors and its plumbing; no job model
    plugin/    → common/, abi/, in rooms that depend one way:
                 log/ ← job/ ← openjd/ ← run/ → connection/; the ABI glue on top
    executor/  → common/ only: the far end of the wire
    host/      → abi/ (the plugin ABI) and common/'s helpers — never the
                 plugin's internals, a job model or the executor messages;
                 its rooms depend one way: jobtype/ ← run/ ← jobdir/,
                 session/ ← serve/ ← cli/ (cli/ may use every room, no room
                 uses cli/)

Two checks per source file: every #include "..." names a header of a room
the file may use, and the compiler's include path (the build's
compile_commands.json) holds no source directory of a room it may not
use — so a forbidden include cannot even be written by accident.  A
third: every source directory is a room this test knows.  TAP.
"""
import json
import os
import re
import shlex
import sys

# Headers of common/ the host may use (None: all of them): its helpers,
# and the framing of its own session socket — not the plugin↔executor
# messages.
HOST_COMMON = {"fh-error.h", "fh-json.h", "fh-wire.h", "fh-proc.h", "fh-source.h"}

BASE = {"config"}
PLUGIN_BASE = BASE | {"common", "abi"}
HOST_BASE = BASE | {"common", "abi", "host"}

# room: (rooms it may include from, which common/ headers (None: all))
ROOMS = {
    "common": (BASE | {"common"}, None),
    "abi": ({"abi"}, None),
    "plugin/log": (BASE | {"common", "plugin/log"}, None),
    "plugin/job": (PLUGIN_BASE | {"plugin/job", "plugin/log"}, None),
    "plugin/connection": (PLUGIN_BASE | {"plugin/connection"}, None),
    "plugin/openjd": (PLUGIN_BASE | {"plugin/openjd", "plugin/job", "plugin/log"}, None),
    "plugin/run": (PLUGIN_BASE | {"plugin/run", "plugin/openjd", "plugin/job", "plugin/log", "plugin/connection"}, None),
    "plugin": (PLUGIN_BASE | {"plugin", "plugin/run", "plugin/openjd", "plugin/job", "plugin/log",
                              "plugin/connection"}, None),
    "executor": (BASE | {"executor", "common", "bash"}, None),
    "host": (HOST_BASE, HOST_COMMON),
    "host/jobtype": (HOST_BASE | {"host/jobtype"}, HOST_COMMON),
    "host/run": (HOST_BASE | {"host/run", "host/jobtype"}, HOST_COMMON),
    "host/jobdir": (HOST_BASE | {"host/jobdir", "host/run", "host/jobtype"}, HOST_COMMON),
    "host/session": (HOST_BASE | {"host/session", "host/run", "host/jobtype"}, HOST_COMMON),
    "host/serve": (HOST_BASE | {"host/serve", "host/jobdir", "host/run", "host/jobtype"}, HOST_COMMON),
    "host/cli": (HOST_BASE | {"host/cli", "host/serve", "host/session", "host/jobdir", "host/run", "host/jobtype"},
                 HOST_COMMON),
}
LAYERS = ("common", "plugin", "executor", "host", "abi")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def source_dirs(src):
    """Every directory of a layer that holds C sources, as "host/serve"."""
    out = []
    for layer in LAYERS:
        for dirpath, _, files in os.walk(os.path.join(src, layer)):
            if any(f.endswith((".c", ".h")) for f in files):
                out.append(os.path.relpath(dirpath, src))
    return sorted(out)


def headers_of(src):
    """header file name -> the rooms it is in"""
    out = {}
    for room in source_dirs(src):
        for name in os.listdir(os.path.join(src, room)):
            if name.endswith(".h"):
                out.setdefault(name, set()).add(room)
    out["config.h"] = {"config"}
    return out


def check_rooms(src):
    return ["%s/ holds sources but is no room of tests/test-layers.py: give it its rules" % d
            for d in source_dirs(src) if d not in ROOMS]


def check_includes(src, headers):
    problems = []
    for room in source_dirs(src):
        if room not in ROOMS:
            continue
        allowed, common = ROOMS[room]
        for name in sorted(os.listdir(os.path.join(src, room))):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(room, name)
            with open(os.path.join(src, path), encoding="utf-8") as f:
                text = f.read()
            for header in INCLUDE.findall(text):
                homes = headers.get(header)
                if homes is None:
                    # bash's own headers, for the builtin (system headers in the build)
                    if room == "executor" and name == "fh-bash-builtin.c":
                        continue
                    problems.append("%s includes \"%s\", which no room has" % (path, header))
                    continue
                if len(homes) > 1:
                    problems.append("%s is in %s: one name, one header" % (header, ", ".join(sorted(homes))))
                home = sorted(homes)[0]
                if home not in allowed:
                    problems.append("%s includes %s/%s: %s/ may not use %s/" % (path, home, header, room, home))
                elif home == "common" and common is not None and header not in common:
                    problems.append("%s includes common/%s: %s/ uses only %s of common/"
                                    % (path, header, room, ", ".join(sorted(common))))
    return problems


def room_of(rel):
    """The room of a source path: its directory, as "host/serve"."""
    d = os.path.dirname(rel)
    return d if d in ROOMS else None


def check_include_paths(src, build):
    db = os.path.join(build, "compile_commands.json")
    with open(db) as f:
        commands = json.load(f)
    src = os.path.realpath(src)
    problems, seen = [], set()
    for entry in commands:
        file = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
        rel = os.path.relpath(file, src)
        room = room_of(rel)
        # The executor compiles common/'s framing again (unsanitized, for
        # bash), with its own include path: its rules apply.
        if entry.get("output", "").startswith("executor/"):
            room = "executor"
        if room is None:
            continue
        args = entry.get("arguments") or shlex.split(entry["command"])
        for i, a in enumerate(args):
            d = a[2:] if a.startswith("-I") and len(a) > 2 else args[i + 1] if a == "-I" else None
            if d is None:
                continue
            d = os.path.relpath(os.path.realpath(os.path.join(entry["directory"], d)), src)
            if d in ROOMS and d not in ROOMS[room][0] and (rel, d) not in seen:
                seen.add((rel, d))
                problems.append("%s is compiled with %s/ on its include path" % (rel, d))
    return problems


def main():
    src, build = sys.argv[1], sys.argv[2]
    headers = headers_of(src)
    checks = [("every source directory is a room with rules", check_rooms(src)),
              ("every #include is of an allowed room", check_includes(src, headers)),
              ("no forbidden room on any include path", check_include_paths(src, build))]
    print("1..%d" % len(checks))
    failed = 0
    for n, (what, problems) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if not problems else "not ok", n, what))
        for p in problems:
            print("#   " + p)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
