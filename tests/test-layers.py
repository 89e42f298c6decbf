#!/usr/bin/python3
"""test-layers.py SRCDIR BUILDDIR — farmhand's layers, enforced.

    common/   → GLib, json-glib, PCRE2 (and config.h)
    plugin/   → common/, abi/
    executor/ → the framing and I/O helpers of common/
    host/     → abi/ (the plugin ABI) and common/'s helpers — never the
                plugin's internals nor the job model

Two checks per source file: every #include "..." names a header of a
layer the file may use, and the compiler's include path (the build's
compile_commands.json) holds no source directory of a layer it may not
use — so a forbidden include cannot even be written by accident.
TAP output.
"""
import json
import os
import re
import shlex
import sys

# Headers of common/ each layer may use (None: all of them).
COMMON_ALL = None
EXECUTOR_COMMON = {"fh-error.h", "fh-json.h", "fh-message.h", "fh-wire.h", "fh-proc.h",
                   "fh-pipe-reader.h", "fh-fd-writer.h", "fh-source.h"}
HOST_COMMON = {"fh-error.h", "fh-json.h", "fh-wire.h", "fh-proc.h", "fh-source.h"}

LAYERS = {
    # layer: (layers it may include from, which common/ headers)
    "common": ({"common", "config"}, COMMON_ALL),
    "plugin": ({"plugin", "common", "abi", "config"}, COMMON_ALL),
    "executor": ({"executor", "common", "config", "bash"}, EXECUTOR_COMMON),
    "host": ({"host", "abi", "common", "config"}, HOST_COMMON),
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def headers_of(src):
    """header file name -> the layer directory it is in"""
    out = {}
    for layer in ("common", "plugin", "executor", "host", "abi"):
        for name in os.listdir(os.path.join(src, layer)):
            if name.endswith(".h"):
                out.setdefault(name, set()).add(layer)
    out["config.h"] = {"config"}
    return out


def check_includes(src, headers):
    problems = []
    for layer, (allowed, common) in LAYERS.items():
        for name in sorted(os.listdir(os.path.join(src, layer))):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(layer, name)
            with open(os.path.join(src, path), encoding="utf-8") as f:
                text = f.read()
            for header in INCLUDE.findall(text):
                homes = headers.get(header)
                if homes is None:
                    # bash's own headers, for the builtin (system headers in the build)
                    if layer == "executor" and name == "fh-bash-builtin.c":
                        continue
                    problems.append("%s includes \"%s\", which no layer has" % (path, header))
                    continue
                home = sorted(homes)[0]
                if home not in allowed:
                    problems.append("%s includes %s/%s: %s/ may not use %s/" % (path, home, header, layer, home))
                elif home == "common" and common is not None and header not in common:
                    problems.append("%s includes common/%s: %s/ uses only %s of common/"
                                    % (path, header, layer, ", ".join(sorted(common))))
    return problems


def check_include_paths(src, build):
    db = os.path.join(build, "compile_commands.json")
    with open(db) as f:
        commands = json.load(f)
    src = os.path.realpath(src)
    layers = ("common", "plugin", "executor", "host", "abi")
    problems, seen = [], set()
    for entry in commands:
        file = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
        rel = os.path.relpath(file, src)
        # The target's layer: the executor compiles common/'s framing
        # again (unsanitized, for bash), with its own include path.
        layer = entry.get("output", rel).split("/")[0]
        if layer not in LAYERS:
            continue
        args = entry.get("arguments") or shlex.split(entry["command"])
        for i, a in enumerate(args):
            d = a[2:] if a.startswith("-I") and len(a) > 2 else args[i + 1] if a == "-I" else None
            if d is None:
                continue
            d = os.path.realpath(os.path.join(entry["directory"], d))
            if os.path.dirname(d) != src:
                continue
            other = os.path.basename(d)
            if other in layers and other not in LAYERS[layer][0] and (rel, other) not in seen:
                seen.add((rel, other))
                problems.append("%s is compiled with %s/ on its include path" % (rel, other))
    return problems


def main():
    src, build = sys.argv[1], sys.argv[2]
    headers = headers_of(src)
    checks = [("every #include is of an allowed layer", check_includes(src, headers)),
              ("no forbidden layer on any include path", check_include_paths(src, build))]
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
