"""What the farmhand package's tests share: the build tree the package and
plugin come from ($FH_BUILD_DIR, $FH_SOURCE_DIR: meson sets them), a
marker unique to each test, and the system Python's PATH (the "python"
preset runs python3 from PATH, as on a farm)."""
import itertools
import os
import sys

import pytest

BUILD = os.path.abspath(os.environ["FH_BUILD_DIR"])
SOURCE = os.path.abspath(os.environ["FH_SOURCE_DIR"])
PYDIR = os.path.join(BUILD, "python")
sys.path.insert(0, PYDIR)
sys.path.insert(0, os.path.join(SOURCE, "tests"))
os.environ["PATH"] = "/usr/bin:" + os.environ.get("PATH", "")
os.environ["PYTHONPATH"] = PYDIR + os.pathsep + os.environ.get("PYTHONPATH", "")

_markers = itertools.count(1)


@pytest.fixture
def marker():
    """A string no other test's processes use: a counter and our pid."""
    return "%d.%06d" % (4000 + next(_markers), os.getpid())


@pytest.fixture
def build():
    return BUILD


@pytest.fixture
def source():
    return SOURCE
