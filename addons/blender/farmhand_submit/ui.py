"""The add-on's Blender side: preferences, the scene's submission settings,
the operators and the panel in the Render properties."""
import json
import os

import bpy

from . import checks, client, job

ADDON = __package__


class FarmhandPreferences(bpy.types.AddonPreferences):
    # Stored in Blender's preferences, not in the .blend: a token never
    # travels with a scene.
    bl_idname = ADDON

    server_url: bpy.props.StringProperty(name="Server URL", default="http://127.0.0.1:8080",
                                         description="The farm's `farmhand serve` address")
    token: bpy.props.StringProperty(name="Token", subtype="PASSWORD",
                                    description="The farm's API token (printed by `farmhand serve`)")

    def draw(self, context):
        self.layout.prop(self, "server_url")
        self.layout.prop(self, "token")


class FarmhandSettings(bpy.types.PropertyGroup):
    use_scene_range: bpy.props.BoolProperty(name="Scene frame range", default=True,
                                            description="Render the scene's frame range and step")
    frame_start: bpy.props.IntProperty(name="Start", default=1)
    frame_end: bpy.props.IntProperty(name="End", default=250)
    frame_step: bpy.props.IntProperty(name="Step", default=1, min=1)
    frames_per_item: bpy.props.IntProperty(name="Frames per item", default=1, min=1, max=1000,
                                           description="Frames one farm item renders in a row")
    job_name: bpy.props.StringProperty(name="Job name", description="Default: the .blend's name and the scene's")
    template: bpy.props.StringProperty(
        name="OpenJD template",
        description="A template of the farm's templates folder to submit with the scene's values "
                    "(empty: a farmhand job that renders the scene)")
    save_before: bpy.props.BoolProperty(name="Save before submitting", default=True)


def preferences(context):
    return context.preferences.addons[ADDON].preferences


def _save_if_needed(op, context):
    settings = context.scene.farmhand
    if bpy.data.filepath and bpy.data.is_dirty and settings.save_before:
        bpy.ops.wm.save_mainfile()


def _refuse(op, found):
    for problem in found:
        op.report({"ERROR"}, problem)
    op.report({"ERROR"}, "farmhand: not submitted (%d problem%s)" % (len(found), "" if len(found) == 1 else "s"))
    return {"CANCELLED"}


def _body(context, prefs):
    settings = context.scene.farmhand
    if not settings.template:
        return job.farmhand_job(context)
    for t in client.templates(prefs.server_url, prefs.token):
        if t.get("name") == settings.template:
            return {"template": t["name"], "parameters": job.template_values(t, context)}
    raise client.FarmError("the farm has no template '%s' (its templates folder, farmhand serve --templates)"
                           % settings.template)


class FARMHAND_OT_submit(bpy.types.Operator):
    """Save the scene, check it and send it to the farm"""
    bl_idname = "farmhand.submit"
    bl_label = "Submit to farmhand"

    write_job_file: bpy.props.BoolProperty(name="Write the job next to the .blend", default=False)

    def execute(self, context):
        prefs = preferences(context)
        _save_if_needed(self, context)
        found = checks.problems(context)
        if found:
            return _refuse(self, found)
        if not prefs.token:
            return _refuse(self, ["no token: set the farm's token in the add-on's preferences"])
        try:
            body = _body(context, prefs)
            if self.write_job_file and "template" not in body:
                write_job_file(body)
            answer = client.submit(prefs.server_url, prefs.token, body)
        except (client.FarmError, ValueError) as e:
            return _refuse(self, [str(e)])
        url = prefs.server_url.rstrip("/") + answer.get("url", "/jobs/%s" % answer.get("id"))
        context.window_manager.farmhand_last_job = answer.get("id", "")
        message = "farmhand: job %s submitted (%s items): %s" % (answer.get("name"), answer.get("n_items"), url)
        self.report({"INFO"}, message)
        print(message, flush=True)
        if context.workspace is not None:
            context.workspace.status_text_set(message)
        return {"FINISHED"}


def write_job_file(body):
    """The job description next to the .blend, for a farm without serve
    (`farmhand submit --slurm FILE`).  Returns its path."""
    path = os.path.splitext(bpy.data.filepath)[0] + ".farmhand.json"
    with open(path, "w") as f:
        json.dump(body, f, indent=2)
        f.write("\n")
    return path


class FARMHAND_OT_write_job(bpy.types.Operator):
    """Write the farmhand job for the saved scene next to the .blend"""
    bl_idname = "farmhand.write_job"
    bl_label = "Write job file"

    def execute(self, context):
        _save_if_needed(self, context)
        found = checks.problems(context)
        if found:
            return _refuse(self, found)
        try:
            path = write_job_file(job.farmhand_job(context))
        except (OSError, ValueError) as e:
            return _refuse(self, [str(e)])
        self.report({"INFO"}, "farmhand: job written to %s" % path)
        print("farmhand: job written to %s" % path, flush=True)
        return {"FINISHED"}


class RENDER_PT_farmhand(bpy.types.Panel):
    bl_label = "farmhand"
    bl_space_type = "PROPERTIES"
    bl_region_type = "WINDOW"
    bl_context = "render"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.farmhand
        layout.prop(preferences(context), "server_url")
        layout.prop(settings, "job_name")
        layout.prop(settings, "use_scene_range")
        row = layout.row(align=True)
        row.enabled = not settings.use_scene_range
        for name in ("frame_start", "frame_end", "frame_step"):
            row.prop(settings, name)
        layout.prop(settings, "frames_per_item")
        layout.prop(settings, "template")
        layout.label(text="Output: " + (context.scene.render.filepath or "(none)"))
        layout.prop(settings, "save_before")
        layout.operator(FARMHAND_OT_submit.bl_idname, icon="RENDER_ANIMATION")
        layout.operator(FARMHAND_OT_write_job.bl_idname, icon="FILE_TEXT")


CLASSES = (FarmhandPreferences, FarmhandSettings, FARMHAND_OT_submit, FARMHAND_OT_write_job, RENDER_PT_farmhand)


def register():
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.farmhand = bpy.props.PointerProperty(type=FarmhandSettings)
    bpy.types.WindowManager.farmhand_last_job = bpy.props.StringProperty(options={"SKIP_SAVE"})


def unregister():
    del bpy.types.WindowManager.farmhand_last_job
    del bpy.types.Scene.farmhand
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
