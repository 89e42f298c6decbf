"""What a farm render needs of the open scene, as a list of problems a
person can act on (an empty list: ready).  A farm node opens the saved
.blend from where it is and reads every external file by the path the
.blend holds, so: the scene is saved, nothing is left unsaved, and every
external file exists at its absolute path or its path relative to the
.blend (`//`).  Packed files travel in the .blend and need nothing."""
import os

import bpy

# The datablock collections whose members may name an external file.
EXTERNAL = (("images", "image"), ("libraries", "linked library"), ("sounds", "sound"),
            ("movieclips", "movie clip"), ("cache_files", "cache file"), ("fonts", "font"),
            ("volumes", "volume"))


def _packed(block):
    return getattr(block, "packed_file", None) is not None or bool(getattr(block, "packed_files", ()))


def _needs_file(kind, block):
    if _packed(block) or not getattr(block, "filepath", ""):
        return False
    if kind == "images" and block.source not in {"FILE", "SEQUENCE", "TILED", "MOVIE"}:
        return False
    if kind == "fonts" and block.filepath == "<builtin>":
        return False
    return True


def _exists(kind, block, path):
    if kind == "images" and block.source in {"SEQUENCE", "TILED"}:
        # A sequence or UDIM set: its folder holds the files.
        return os.path.isdir(os.path.dirname(path))
    return os.path.exists(path)


def external_files():
    """(what, name, absolute path, exists) for each external file the
    scene's data names."""
    for kind, what in EXTERNAL:
        for block in getattr(bpy.data, kind, ()):
            if not _needs_file(kind, block):
                continue
            path = os.path.normpath(bpy.path.abspath(block.filepath, library=getattr(block, "library", None)))
            yield what, block.name, path, _exists(kind, block, path)


def problems(context):
    """Each problem a farm render of the open scene would have, in words."""
    found = []
    if not bpy.data.filepath:
        found.append("the scene has never been saved: save it where the farm can read it (File > Save As)")
        return found
    if bpy.data.is_dirty:
        found.append("the scene has unsaved changes: save it first (the farm renders the saved file)")
    for what, name, path, exists in external_files():
        if not exists:
            found.append("the %s '%s' is missing: %s (farm nodes read it by this path)" % (what, name, path))
    scene = context.scene
    if scene.camera is None:
        found.append("the scene '%s' has no camera" % scene.name)
    if not scene.render.filepath:
        found.append("the output path is empty (Output Properties > Output)")
    return found
