"""The job a submission sends: a farmhand job description for the open
scene, or the values of an OpenJD template's parameters.  Kept free of
side effects so a pipeline can call it (and tests can read what it makes)."""
import os
import re

import bpy

# Runs once per worker in Blender (the "blender" executor): opens the
# saved scene and defines what each item calls.  Outputs are Blender's own
# "Saved: '...'" lines, which the blender log preset reads.
SETUP = '''import bpy
bpy.ops.wm.open_mainfile(filepath=%(blend)r)
_farmhand_scene = %(scene)r
_farmhand_output = %(output)r


def farmhand_render(frames):
    # Each frame as a one-frame animation: Blender names the file as it
    # would (#### and the extension), and says "Saved: '...'".
    scene = bpy.data.scenes[_farmhand_scene]
    scene.render.filepath = _farmhand_output
    for frame in frames.split():
        scene.frame_start = scene.frame_end = int(frame)
        bpy.ops.render.render(animation=True, scene=scene.name)
'''


def frame_list(settings, scene):
    """The frames as farmhand writes them: "1-240", "1-240x5"."""
    start, end, step = ((scene.frame_start, scene.frame_end, scene.frame_step) if settings.use_scene_range
                        else (settings.frame_start, settings.frame_end, settings.frame_step))
    if end < start:
        raise ValueError("the frame range runs backwards: %d to %d" % (start, end))
    return "%d-%d" % (start, end) + ("x%d" % step if step > 1 else "")


def openjd_frames(settings, scene):
    """The same frames as an OpenJD range expression: "1-240:5"."""
    return frame_list(settings, scene).replace("x", ":")


def output_pattern(scene):
    """The render output path, absolute: `//` resolves against the saved
    .blend, as Blender resolves it."""
    return os.path.normpath(bpy.path.abspath(scene.render.filepath))


def job_name(settings, scene):
    base = settings.job_name.strip() or os.path.splitext(os.path.basename(bpy.data.filepath))[0]
    return re.sub(r"[^\w.-]+", "-", "%s-%s" % (base, scene.name)).strip("-")


def farmhand_job(context):
    """The job description for `farmhand serve` (schemas/job.schema.json)."""
    scene = context.scene
    settings = scene.farmhand
    return {
        "name": job_name(settings, scene),
        "description": "%s, scene %s, submitted from Blender %s" % (bpy.data.filepath, scene.name,
                                                                   bpy.app.version_string),
        "executor": "blender",
        "setup": SETUP % {"blend": bpy.data.filepath, "scene": scene.name, "output": output_pattern(scene)},
        "agenda": {"frames": frame_list(settings, scene), "chunk": max(1, settings.frames_per_item),
                   "command": "farmhand_render('{frames}')"},
        "log": {"preset": "blender"},
        "outputs_required": True,
    }


def template_values(template, context):
    """Values for an OpenJD template's parameters from the scene, by what
    each parameter is: the scene file (a PATH, FILE, IN that takes .blend
    files or is named for a scene), the frames (a STRING named Frames or a
    frame range), the output directory (a PATH, DIRECTORY, OUT).  The rest
    keep their defaults."""
    scene = context.scene
    values = {}
    for p in template.get("parameters", []):
        name, kind = p.get("name", ""), p.get("type")
        lname = name.lower()
        if kind == "PATH" and p.get("objectType") == "FILE" and p.get("dataFlow", "NONE") in ("IN", "INOUT") and (
                "blend" in lname or "scene" in lname or "*.blend" in str(p.get("userInterface", {}))):
            values[name] = bpy.data.filepath
        elif kind == "STRING" and lname in ("frames", "framerange", "frame_range", "framelist"):
            values[name] = openjd_frames(scene.farmhand, scene)
        elif kind == "PATH" and p.get("objectType") == "DIRECTORY" and p.get("dataFlow") in ("OUT", "INOUT"):
            values[name] = os.path.dirname(output_pattern(scene))
    return values
