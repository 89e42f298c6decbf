"""scene.py — builds the example scene once, in the job's setup, inside
Blender: Suzanne turning on a ground plane, a camera, a sun; Cycles on the
CPU with few samples at a small size (Debian's Blender has no
OpenImageDenoise, so denoising is off).  Defines render(frame), which the
agenda calls once per frame in the same Blender process."""
import math
import os

import bpy

out_dir = os.environ["FARMHAND_OUTPUT_DIR"]
os.makedirs(out_dir, exist_ok=True)

bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene

bpy.ops.mesh.primitive_monkey_add(size=2, location=(0, 0, 0))
suzanne = bpy.context.active_object
bpy.ops.object.shade_smooth()
clay = bpy.data.materials.new("clay")
clay.use_nodes = True
clay.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.8, 0.35, 0.1, 1)
suzanne.data.materials.append(clay)
suzanne.rotation_euler = (0, 0, 0)
suzanne.keyframe_insert("rotation_euler", frame=1)
suzanne.rotation_euler = (0, 0, math.radians(360))
suzanne.keyframe_insert("rotation_euler", frame=25)

bpy.ops.mesh.primitive_plane_add(size=12, location=(0, 0, -1))
bpy.ops.object.camera_add(location=(0, -6.5, 1.8), rotation=(math.radians(78), 0, 0))
scene.camera = bpy.context.active_object
bpy.ops.object.light_add(type="SUN", location=(3, -3, 6))
bpy.context.active_object.data.energy = 4.0
scene.world = bpy.data.worlds.new("sky")
scene.world.color = (0.05, 0.07, 0.1)

scene.render.engine = "CYCLES"
scene.cycles.device = "CPU"
scene.cycles.samples = 16
scene.cycles.use_denoising = False
scene.render.resolution_x = 160
scene.render.resolution_y = 90
scene.render.resolution_percentage = 100
scene.render.image_settings.file_format = "PNG"
scene.frame_start, scene.frame_end = 1, 24
print("scene ready: %d objects, %s, %d samples, %dx%d, output in %s"
      % (len(scene.objects), scene.render.engine, scene.cycles.samples,
         scene.render.resolution_x, scene.render.resolution_y, out_dir))


def render(frame):
    """Renders one frame to $FARMHAND_OUTPUT_DIR/frame_NNNN.png; Blender
    reports it in its log ("Saved: '...'"), which the job's log.outputs
    pattern picks up."""
    scene.frame_set(frame)
    scene.render.filepath = os.path.join(out_dir, "frame_%04d.png" % frame)
    bpy.ops.render.render(write_still=True)
    print("rendered frame %d in blender pid %d" % (frame, os.getpid()))
