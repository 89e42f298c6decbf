#!/usr/bin/python3
"""test-log-presets.py BUILD_DIR SOURCE_DIR — every log preset against its
fixture corpus (tests/log-fixtures/<preset>/<case>.log, with the expected
extraction in <case>.expect.json), through `farmhand log test --json`
exactly as a wrangler runs it: verdict, class, error and warning lines,
outputs, frames done, progress.  Each fixture is checked as written and
again inside every wrapper prefix farms and adaptors put on lines (and
with CRLF endings), which must not change what a preset finds.  Clean
fixtures must show no error.  Also: `--job` with a job's own patterns
over a preset, `disable`, the job's secrets masked, a bad preset's error,
and the exit codes.  TAP."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

from fh_tap import Suite

BUILD = os.path.abspath(sys.argv[1])
SOURCE = os.path.abspath(sys.argv[2])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
FIXTURES = os.path.join(SOURCE, "tests", "log-fixtures")
PRESETS = ("blender", "arnold", "vray", "renderman", "karma", "mantra", "houdini", "redshift",
           "maya", "nuke", "3dsmax", "c4d", "natron", "ffmpeg", "openjd")
WRAPPERS = ("0: STDOUT: ", "ADAPTOR_OUTPUT: STDOUT: ", "2026-12-01 12:00:01.123 ",
            "2026-12-01T12:00:01Z ", "[12:00:01] ", "   17 | ")
TMP = tempfile.mkdtemp(prefix="farmhand-log-presets-")


def log_test(*args, data=None):
    p = subprocess.run([FARMHAND, "log", "test"] + list(args), input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def scan(preset, data, *extra):
    code, out, err = log_test("--preset", preset, "--json", *extra, "-", data=data)
    if code not in (0, 1):
        raise AssertionError("exit %d: %s" % (code, err))
    result = json.loads(out)
    if (code == 0) != (result["verdict"] == "complete"):
        raise AssertionError("exit %d for verdict %s" % (code, result["verdict"]))
    return result


def lines_of(result, key):
    return [e["line"] for e in result[key]]


def check(name, result, expect, shift=0):
    """@shift: lines the wrapped text was moved by (none: wrappers keep lines)."""
    problems = []

    def same(what, got, want):
        if got != want:
            problems.append("%s: got %r, expected %r" % (what, got, want))

    same("verdict", result["verdict"], expect["verdict"])
    if expect["verdict"] == "failed" and expect["class"] is not None:
        same("class", result.get("class"), expect["class"])
    if expect["verdict"] == "complete":
        same("class", result.get("class"), None)
    if "errors" in expect:
        same("error lines", lines_of(result, "errors"), expect["errors"])
    if "warnings" in expect:
        same("warning lines", lines_of(result, "warnings"), expect["warnings"])
    if "outputs" in expect:
        same("outputs", [e["path"] for e in result["outputs"]], expect["outputs"])
    if "frames_done" in expect:
        same("frames done", [e["frame"] for e in result["frames_done"]], expect["frames_done"])
    if "progress" in expect:
        got = [round(e["fraction"], 6) for e in result["progress"]]
        same("progress", got, [round(f, 6) for f in expect["progress"]])
    if "reason" in expect:
        same("reason", result.get("reason"), expect["reason"])
    if any(not 0.0 <= e["fraction"] <= 1.0 for e in result["progress"]):
        problems.append("a progress fraction outside 0..1: %r" % result["progress"])
    if name.startswith("clean") and result["errors"]:
        problems.append("false errors on a clean render: %r" % result["errors"])
    if expect["verdict"] == "failed" and not result.get("reason"):
        problems.append("a failed verdict without a reason")
    if problems:
        raise AssertionError("%s:\n  %s" % (name, "\n  ".join(problems)))


def fixtures():
    for preset in PRESETS:
        cases = sorted(glob.glob(os.path.join(FIXTURES, preset, "*.log")))
        assert cases, "no fixtures for preset %s" % preset
        for log in cases:
            with open(log[:-4] + ".expect.json") as f:
                yield preset, os.path.basename(log)[:-4], log, json.load(f)


def wrap(data, prefix, crlf=False):
    lines = data.decode().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    end = "\r\n" if crlf else "\n"
    return "".join(prefix + l + end for l in lines).encode()


SUITE = Suite(6000)


def fixture_tests():
    for preset, name, log, expect in fixtures():
        def plain(preset=preset, name=name, log=log, expect=expect):
            with open(log, "rb") as f:
                check("%s/%s" % (preset, name), scan(preset, f.read()), expect)

        def wrapped(preset=preset, name=name, log=log, expect=expect):
            with open(log, "rb") as f:
                data = f.read()
            for i, prefix in enumerate(WRAPPERS):
                check("%s/%s in '%s'" % (preset, name, prefix),
                      scan(preset, wrap(data, prefix, crlf=i % 2 == 1)), expect)

        SUITE.test(plain, "%s/%s" % (preset, name))
        SUITE.test(wrapped, "%s/%s wrapped" % (preset, name))


def every_class_has_a_fixture():
    """The corpus shows every class the presets can give (or says why not)."""
    seen = set()
    for preset, name, log, expect in fixtures():
        if expect.get("class"):
            seen.add(expect["class"])
    # Classes the log cannot give: the run knows them (timeouts, stalls,
    # cancels, a lost executor, missing outputs on disk, exit statuses).
    need = {"license", "watermark", "missing_input", "out_of_memory", "gpu", "crash", "bad_output",
            "error"}
    assert need <= seen, "no fixture shows %s" % sorted(need - seen)


def per_line_text():
    data = b"Fra:1 Mem:1M | Scene | Sample 64/128\nSaved: '/tmp/x.0001.png'\nError: Cannot read file \"/x.blend\"\n"
    code, out, err = log_test("--preset", "blender", "-", data=data)
    assert code == 1, (code, err)
    for want in ("     1  progress 0.5 [rule cycles-samples]", "     2  output [rule saved] -> /tmp/x.0001.png",
                 "     3  error [missing_input, rule blend-unreadable]",
                 "verdict: failed (missing_input): Error: Cannot read file \"/x.blend\""):
        assert want in out, "missing %r in:\n%s" % (want, out)
    # A reason names what the line names: a texture is not the scene.
    code, out, err = log_test("--preset", "blender", "-", data=b"Error: Cannot read file \"/tex/wood-5521.png\"\n")
    assert code == 1 and "error [missing_input, rule file-unreadable]" in out, out
    assert "verdict: failed (missing_input): Error: Cannot read file \"/tex/wood-5521.png\"" in out, out


def job_patterns_over_preset():
    """A job's own patterns add to the preset's; disable switches one off."""
    job = os.path.join(TMP, "job.json")
    with open(job, "w") as f:
        json.dump({"name": "lp-job", "agenda": {"items": [{"name": "a", "command": ":"}]},
                   "log": {"preset": "blender", "errors": ["^STUDIO-FAIL-7731"],
                           "disable": ["blend-unreadable", "file-unreadable", "common/cannot-read"]}}, f)
    data = b"STUDIO-FAIL-7731 pipeline check\nError: Cannot read file \"/x.blend\"\n"
    code, out, err = log_test("--job", job, "--json", "-", data=data)
    result = json.loads(out)
    assert code == 1, (code, err)
    errors = result["errors"]
    # line 1: the job's pattern (no rule); line 2: the generic rule, not the disabled ones
    # (an included rule by its origin's name: common/cannot-read)
    assert [e["line"] for e in errors] == [1, 2], errors
    assert "rule" not in errors[0], errors[0]
    assert errors[1]["rule"] == "error", errors[1]
    assert result["class"] == "error", result
    # --preset replaces the job's preset: the job's own pattern still counts
    code, out, err = log_test("--job", job, "--preset", "nuke", "--json", "-", data=b"STUDIO-FAIL-7731\n")
    assert code == 2 and "preset nuke has no rule 'blend-unreadable'" in err, (code, err)


def secrets_masked():
    """The job's redacted env values are masked before scanning, as in a run."""
    job = os.path.join(TMP, "secret.json")
    with open(job, "w") as f:
        json.dump({"name": "lp-secret", "agenda": {"items": [{"name": "a", "command": ":"}]},
                   "env": {"TOKEN": {"value": "hunter2-lp-5512", "redact": True}},
                   "log": {"preset": "blender"}}, f)
    code, out, err = log_test("--job", job, "--json", "-", data=b"Error: token hunter2-lp-5512 refused\n")
    assert code == 1, (code, err)
    assert "hunter2-lp-5512" not in out and "Error: token *** refused" in out, out


def includes_are_named():
    data = b"00:00:02   190MB ERROR   | [rlm] error initializing license system:\n"
    result = scan("maya", data)
    assert result["class"] == "license", result
    assert result["errors"][0]["rule"] == "arnold/license", result["errors"]


def common_base():
    """The base every preset includes: what a line means, in any voice,
    not the level it is said at; decoys that are not errors."""
    cases = [
        (b"Process exited with status 0x00000000\n", "complete", None),
        (b"Render exited with code: 0\n", "complete", None),
        (b"mayabatch exited with status 3\n", "failed", "error"),
        (b"Nuke exited with code -11\n", "failed", "error"),
        (b"WARNING: rendering aborted due to earlier errors\n", "failed", "error"),
        (b"ALSA lib conf.c:4528:(_snd_config_evaluate) function snd_func_card_driver returned error: "
         b"No such file or directory\n", "complete", None),
        (b"ERROR: pip's dependency resolver does not currently take into account all the packages\n",
         "complete", None),
        (b"ERROR:root:scene export failed\n", "failed", "error"),
        (b"[ERROR] Could not open file /proj/cache/sim.0001.vdb\n", "failed", "missing_input"),
        (b"FATAL ERROR: texture /proj/tex/wood.tx not found\n", "failed", "missing_input"),
    ]
    for data, verdict, cls in cases:
        for preset in ("common", "arnold", "ffmpeg"):
            r = scan(preset, data)
            assert (r["verdict"], r.get("class")) == (verdict, cls), (preset, data, r)
    # A line that is both a warning and an error is an error only.
    r = scan("arnold", b"00:00:02   121MB WARNING | render aborted\n")
    assert [e["line"] for e in r["errors"]] == [1] and r["warnings"] == [], r
    # A studio switches a base rule off by its name.
    job = os.path.join(TMP, "nobase.json")
    with open(job, "w") as f:
        json.dump({"name": "lp-nobase", "agenda": {"items": [{"name": "a", "command": ":"}]},
                   "log": {"preset": "ffmpeg", "disable": ["common/error-line"]}}, f)
    code, out, err = log_test("--job", job, "--json", "-", data=b"ERROR: harmless studio notice\n")
    assert code == 0 and json.loads(out)["errors"] == [], (code, out, err)


def bad_presets():
    d = os.path.join(TMP, "presets")
    os.makedirs(d, exist_ok=True)
    bad = {
        "badregex": ({"preset": "badregex", "version": 1, "rules": [{"name": "r1", "errors": "("}]},
                     "rules[0] (r1): invalid regular expression: missing closing parenthesis at offset 1"),
        "badclass": ({"preset": "badclass", "version": 1,
                      "rules": [{"name": "r1", "errors": "x", "class": "cosmic_rays"}]},
                     "rules[0] (r1): unknown class 'cosmic_rays'"),
        "badjson": ("{not json", "badjson.json"),
    }
    for name, (doc, want) in bad.items():
        with open(os.path.join(d, name + ".json"), "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
    env = dict(os.environ, FARMHAND_LOG_PRESETS=d)
    for name, (doc, want) in bad.items():
        p = subprocess.run([FARMHAND, "log", "test", "--preset", name, "-"], input=b"x\n", env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode()
        assert p.returncode == 2, (name, p.returncode, err)
        assert want in err and os.path.join(d, name + ".json") in err, (name, err)
    # A studio preset of its own is found first, and can include farmhand's.
    with open(os.path.join(d, "studio.json"), "w") as f:
        json.dump({"preset": "studio", "version": 3, "include": ["blender"],
                   "rules": [{"name": "farm-check", "errors": "^FARMCHECK", "class": "license"}]}, f)
    p = subprocess.run([FARMHAND, "log", "test", "--preset", "studio", "--json", "-"],
                       input=b"Saved: '/r/a.png'\nFARMCHECK no seat\n", env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    result = json.loads(p.stdout)
    assert p.returncode == 1 and result["class"] == "license", (p.returncode, result)
    assert result["outputs"] == [{"line": 1, "path": "/r/a.png"}], result
    assert result["preset"]["version"] == 3, result


def usage_errors():
    for args, want in ((["x.log"], "log needs a subcommand"), (["test"], "one log file"),
                       (["test", "-"], "--preset NAME or --job"),
                       (["test", "--preset", "blender", os.path.join(TMP, "no-such.log")], "no-such.log")):
        p = subprocess.run([FARMHAND, "log"] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        assert p.returncode == 2 and want in p.stderr.decode(), (args, p.returncode, p.stderr)


def main():
    fixture_tests()
    for fn in (every_class_has_a_fixture, per_line_text, job_patterns_over_preset, secrets_masked,
               includes_are_named, common_base, bad_presets, usage_errors):
        SUITE.test(fn)
    return SUITE.main(cleanup=lambda: shutil.rmtree(TMP, ignore_errors=True))


if __name__ == "__main__":
    sys.exit(main())
