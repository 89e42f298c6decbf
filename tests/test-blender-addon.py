#!/usr/bin/python3
"""test-blender-addon.py BUILD_DIR SOURCE_DIR — the Blender add-on
(addons/blender/farmhand_submit) in the real Blender, in background mode,
against a real `farmhand serve` with local workers: a saved scene
submitted with bpy.ops.farmhand.submit() renders its frames where its
`//`-relative output path says; an unsaved scene and a missing texture are
refused with their messages; the token is not in the saved .blend; an
OpenJD template of the server's templates folder is submitted with the
scene's values; the job file is written next to the .blend on request;
the extension manifest and bl_info agree.  TAP."""
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib

from fh_serve import Events, Server
from fh_tap import Suite

BUILD = os.path.abspath(sys.argv[1])
SOURCE = os.path.abspath(sys.argv[2])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
ADDON = os.path.join(SOURCE, "addons", "blender", "farmhand_submit")
DRIVER = os.path.join(SOURCE, "tests", "blender-addon-driver.py")
TMP = tempfile.mkdtemp(prefix="farmhand-blender-addon-")
suite = Suite(31000)
state = {}


def server():
    """One `farmhand serve` for the tests, with 2 local workers and the
    examples' OpenJD bundles as its templates folder."""
    if "server" not in state:
        templates = os.path.join(TMP, "templates")
        os.makedirs(templates)
        os.symlink(os.path.join(SOURCE, "examples", "openjd", "blender"), os.path.join(templates, "blender"))
        state["server"] = Server(FARMHAND, os.path.join(TMP, "jobs"), "--workers", "2", "--templates", templates)
    return state["server"]


def run_driver(case, template=""):
    """Blender running the driver; returns its result and the scene's folder."""
    where = os.path.join(TMP, "%s-%s" % (case, suite.marker()))
    scripts = os.path.join(TMP, "scripts", "addons")
    os.makedirs(where)
    if not os.path.exists(os.path.join(scripts, "farmhand_submit")):
        os.makedirs(scripts)
        os.symlink(ADDON, os.path.join(scripts, "farmhand_submit"))
    s = server()
    env = dict(os.environ, FH_URL=s.base, FH_TOKEN=s.token, BLENDER_USER_SCRIPTS=os.path.dirname(scripts))
    p = subprocess.run(["blender", "-b", "--factory-startup", "--python", DRIVER, "--", case, where] +
                       ([template] if template else []), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=env, timeout=300)
    line = [l for l in p.stdout.splitlines() if l.startswith("FH-ADDON-RESULT ")]
    assert line, p.stdout[-3000:]
    return json.loads(line[-1].split(" ", 1)[1]), where, p.stdout


def await_job(job_id, timeout=240):
    """The job's summary once it has ended (from the server's events)."""
    s = server()
    events = Events(s)
    try:
        status, data, _ = s.get("/api/jobs/%s?limit=0" % job_id)
        if status == 200 and data["job"]["state"] in ("complete", "failed", "cancelled"):
            return data["job"]
        got = events.wait(lambda e, d: e == "job" and d.get("id") == job_id and
                          d.get("state") in ("complete", "failed", "cancelled"), timeout)
        assert got is not None, "job %s did not end in %d s" % (job_id, timeout)
        return got[1]
    finally:
        events.close()


def have_blender():
    return shutil.which("blender") is not None


NO_BLENDER = "SKIP Blender is not installed (apt-get install -y blender)"


@suite.test
def manifest_and_bl_info_agree():
    with open(os.path.join(ADDON, "blender_manifest.toml"), "rb") as f:
        manifest = tomllib.load(f)
    for key in ("schema_version", "id", "version", "name", "tagline", "maintainer", "type",
                "blender_version_min", "license"):
        assert key in manifest, "blender_manifest.toml has no %s" % key
    assert manifest["id"] == os.path.basename(ADDON) and manifest["type"] == "add-on", manifest
    assert tuple(int(x) for x in manifest["blender_version_min"].split(".")) >= (4, 2, 0), manifest
    assert all(l.startswith("SPDX:") for l in manifest["license"]), manifest
    assert len(manifest["tagline"]) <= 64 and not manifest["tagline"].endswith("."), manifest["tagline"]
    with open(os.path.join(ADDON, "__init__.py")) as f:
        tree = ast.parse(f.read())
    info = next(ast.literal_eval(n.value) for n in tree.body
                if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "bl_info")
    assert ".".join(map(str, info["version"])) == manifest["version"], (info, manifest)
    assert info["blender"] <= (3, 0, 0) and info["category"] == "Render", info


@suite.test
def a_saved_scene_renders_on_the_farm():
    if not have_blender():
        return NO_BLENDER
    result, where, out = run_driver("submit")
    assert result.get("ops") == ["FINISHED"] and result.get("job"), (result, out[-2000:])
    assert "farmhand: job " in out and "/jobs/%s" % result["job"] in out, out[-2000:]
    summary = await_job(result["job"])
    assert summary["state"] == "complete" and summary["n_items"] == 2, summary
    # "//render/frame_####" resolved against the saved .blend, as in Blender.
    frames = sorted(os.listdir(os.path.join(where, "render")))
    assert frames == ["frame_%04d.png" % f for f in (1, 2, 3, 4)], frames
    with open(os.path.join(where, "scene.blend"), "rb") as f:
        assert server().token.encode() not in f.read(), "the token is in the saved .blend"
    return "4 frames in 2 items"


@suite.test
def an_unsaved_scene_is_refused():
    if not have_blender():
        return NO_BLENDER
    result, where, out = run_driver("unsaved")
    assert "the scene has never been saved" in result.get("error", ""), result
    assert "not submitted (1 problem)" in result["error"], result


@suite.test
def a_missing_texture_is_refused():
    if not have_blender():
        return NO_BLENDER
    result, where, out = run_driver("missing-texture")
    want = "the image 'wood' is missing: %s" % os.path.join(where, "textures", "wood-missing.png")
    assert want in result.get("error", ""), result


@suite.test
def an_openjd_template_gets_the_scenes_values():
    if not have_blender():
        return NO_BLENDER
    if shutil.which("ffmpeg") is None:
        return "SKIP ffmpeg is not installed: the template's encode step needs it"
    result, where, out = run_driver("submit", "blender")
    assert result.get("ops") == ["FINISHED"], (result, out[-2000:])
    summary = await_job(result["job"])
    assert summary["state"] == "complete", summary
    assert [s["name"] for s in summary["steps"]] == ["Render", "Encode"], summary
    assert os.path.join(where, "scene.blend") in summary["name"] and "frames 1-4" in summary["name"], summary
    made = sorted(os.listdir(os.path.join(where, "render")))
    assert made == ["frame_%04d.png" % f for f in (1, 2, 3, 4)] + ["movie.mp4"], made


@suite.test
def the_job_file_is_written_next_to_the_blend():
    if not have_blender():
        return NO_BLENDER
    result, where, out = run_driver("write-job")
    assert result.get("ops") == ["FINISHED"], result
    path = os.path.join(where, "scene.farmhand.json")
    with open(path) as f:
        job = json.load(f)
    assert job["executor"] == "blender" and job["agenda"]["frames"] == "1-4" and job["agenda"]["chunk"] == 2, job
    p = subprocess.run([FARMHAND, "validate", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert p.returncode == 0, p.stdout


def cleanup():
    if "server" in state:
        state["server"].stop()
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(suite.main(cleanup=cleanup))
