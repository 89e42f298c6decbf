"""farmhand: submit the open scene to a farmhand render farm.

A panel in the Render properties, an operator (bpy.ops.farmhand.submit) and
add-on preferences (server_url, token; the token lives in Blender's
preferences, never in the .blend).  Submitting saves the scene, checks
what a farm render needs (checks.py) and posts a job to `farmhand serve`
(job.py, client.py): a farmhand job that opens the saved .blend once per
worker and renders its frames, or, when a template is named, an OpenJD
template of the server's templates folder filled with the scene's values.
docs/blender.md says how to install it and what each check means."""

bl_info = {
    "name": "farmhand: submit to the farm",
    "author": "farmhand maintainers",
    "version": (0, 4, 0),
    "blender": (3, 0, 0),
    "location": "Properties > Render > farmhand",
    "description": "Send the open scene to a farmhand render farm",
    "category": "Render",
}

from . import ui


def register():
    ui.register()


def unregister():
    ui.unregister()
