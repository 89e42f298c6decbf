"""farmhand from Python: run farmhand jobs — one persistent executor per
job, commands streamed in, results over a private backchannel — from a
Python farm host, a job type's backend or a pipeline tool.

    import farmhand

    job = farmhand.Job({"name": "shot", "executor": "python",
                        "setup": "import math",
                        "agenda": {"frames": "1-10", "command": "print(math.sqrt({frame}))"}})
    summary = job.run(on_log=lambda item, stream, line: print(item, line))
    print(summary.status, [r["status"] for r in summary.results])

Every exception it raises is a farmhand.Error (JobError for a job the
plugin refused, with .problems as data).

The package drives farmhand's job-type plugin through its C ABI
(docs/abi.md) with ctypes: standard library only, Python 3.7 or newer, so
it also runs inside DCC Pythons.  docs/hosts.md has the guide;
farmhand.compat.qube.PyCmdDispatcher is a drop-in for Qube job types.
"""
from ._config import VERSION as __version__
from ._errors import (ArgumentError, Error, ItemsError, JobError, LogScanError, PluginError, Problem,
                      StateError)
from ._job import End, Job, Status, Summary, load_plugin, scan_log
from ._paths import executor_dir, executor_path, plugin_path

__all__ = ["ArgumentError", "End", "Error", "ItemsError", "Job", "JobError", "LogScanError", "PluginError",
           "Problem", "StateError", "Status", "Summary", "executor_dir", "executor_path", "load_plugin",
           "plugin_path", "scan_log", "__version__"]
