"""blender-addon-driver.py — runs inside Blender (blender -b --factory-startup
--python THIS -- CASE DIR [TEMPLATE]) for tests/test-blender-addon.py: enables
the add-on from the user scripts folder the test made (BLENDER_USER_SCRIPTS),
sets its preferences from FH_URL and FH_TOKEN, builds a small scene and
calls bpy.ops.farmhand.submit() as a pipeline would.  Prints one line
"FH-ADDON-RESULT {json}"."""
import json
import os
import sys
import traceback

import addon_utils
import bpy

case, where = sys.argv[sys.argv.index("--") + 1:][:2]
template = (sys.argv[sys.argv.index("--") + 3:] or [""])[0]
result = {"case": case}
try:
    addon_utils.enable("farmhand_submit", default_set=True, handle_error=None)
    prefs = bpy.context.preferences.addons["farmhand_submit"].preferences
    prefs.server_url, prefs.token = os.environ["FH_URL"], os.environ["FH_TOKEN"]
    scene = bpy.context.scene
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 64, 48, 100
    scene.render.image_settings.file_format = "PNG"
    scene.frame_start, scene.frame_end, scene.frame_step = 1, 4, 1
    scene.render.filepath = "//render/frame_####"
    scene.farmhand.frames_per_item = 2
    scene.farmhand.template = template
    if case == "missing-texture":
        image = bpy.data.images.new("wood", 8, 8)
        image.source = "FILE"
        image.filepath = os.path.join(where, "textures", "wood-missing.png")
        material = bpy.data.materials.new("wood")
        material.use_nodes = True
        node = material.node_tree.nodes.new("ShaderNodeTexImage")
        node.image = image
        bpy.data.objects["Cube"].data.materials.append(material)
    if case != "unsaved":
        bpy.ops.wm.save_as_mainfile(filepath=os.path.join(where, "scene.blend"))
    if case == "write-job":
        result["ops"] = list(bpy.ops.farmhand.write_job())
    else:
        result["ops"] = list(bpy.ops.farmhand.submit())
    result["job"] = bpy.context.window_manager.farmhand_last_job
except Exception as e:
    result["error"] = str(e)
    result["traceback"] = traceback.format_exc()
print("FH-ADDON-RESULT " + json.dumps(result), flush=True)
