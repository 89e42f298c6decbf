"""Where farmhand's plugin and executors are, by the C host's rules: an
environment variable first, then — for this package imported from a build
tree (meson devenv) — that tree, else the installed directories."""
from __future__ import annotations

import os

from . import _config
from ._abi import MODULE
from ._errors import ArgumentError


def _in_build_tree() -> bool:
    here = os.path.realpath(os.path.dirname(__file__))
    return here.startswith(os.path.realpath(_config.BUILD_ROOT) + os.sep)


def plugin_path() -> str:
    """$FARMHAND_PLUGIN, else the build tree's plugin, else the installed one."""
    env = os.environ.get("FARMHAND_PLUGIN")
    if env:
        return env
    if _in_build_tree():
        return os.path.join(_config.BUILD_ROOT, "plugin", MODULE)
    return os.path.join(_config.PLUGINDIR, MODULE)


def executor_dir() -> str:
    """$FARMHAND_EXECUTOR_DIR, else the build tree's executor/, else the
    installed libexec directory (as plugin/job/fh-executor-dir.c decides)."""
    env = os.environ.get("FARMHAND_EXECUTOR_DIR")
    if env:
        return env
    if _in_build_tree():
        return os.path.join(_config.BUILD_ROOT, "executor")
    return _config.LIBEXECDIR


EXECUTORS = {"python": "farmhand_executor.py", "shell": "farmhand-executor"}


def executor_path(kind: str) -> str:
    """The path of farmhand's own executor: "python" (farmhand_executor.py,
    for any Python: python3, mayapy, hython, blender --python) or "shell"
    (farmhand-executor)."""
    try:
        name = EXECUTORS[kind]
    except KeyError:
        raise ArgumentError("no farmhand executor '%s' (there are: %s)"
                         % (kind, ", ".join(sorted(EXECUTORS)))) from None
    return os.path.join(executor_dir(), name)
