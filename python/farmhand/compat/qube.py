"""farmhand.compat.qube — Qube's PyCmdDispatcher on farmhand's engine.

A Qube Python job type's backend switches by changing one import:

    from farmhand.compat.qube import PyCmdDispatcher

The interface is the one Qube documents (qb.backend.pythonChildHandler):
``PyCmdDispatcher(logHandler=None, mergeStderr=False, debug=False)``,
``startChild([shell, '-c', command])``, ``execute(commands, work=None)``
returning 0 or 1 (the traceback on sys.stderr), ``close(exitcode=0)``
returning the child's exit code.  What differs — no 0.2 s polling, no TCP,
an authenticated backchannel, what the child must be — is in docs/qube.md.
"""
from __future__ import annotations

import collections
import os
import queue
import sys
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

from .. import _job
from .._errors import ArgumentError, StateError

# On the results queue: the run ended.
_DONE = object()


class PyCmdDispatcher:
    """Runs commands in one persistent child — an executor speaking
    farmhand's protocol, e.g. ``mayapy -u <farmhand.executor_path("python")>``
    — one at a time, each answered over farmhand's backchannel."""

    # Qube's class variables, kept for code that reads them: farmhand waits
    # on events, it does not poll.
    CHILD_CHECK_INTERVAL = 0.2
    LOG_PARSE_INTERVAL = 5
    BLOCKSIZE = 4096
    POLL_TIMEOUT = 200

    def __init__(self, logHandler: Optional[Callable[[str], Any]] = None, mergeStderr: bool = False,
                 debug: bool = False) -> None:
        """@logHandler (the backend's logHandler method, or any callable
        taking a str) receives the child's output line by line (default:
        printed to stdout); with @mergeStderr its stderr too (default: to
        sys.stderr); @debug adds farmhand's own notes (executor start and
        exit, timeouts)."""
        self.logHandler = logHandler
        self.mergeStderr = mergeStderr
        self.debug = debug
        self.child: Optional[_job.Job] = None
        self._job: Optional[_job.Job] = None
        self._thread: Optional[threading.Thread] = None
        self._work: "queue.Queue[Any]" = queue.Queue()
        self._results: "queue.Queue[Any]" = queue.Queue()
        self._summary: Optional[_job.Summary] = None
        self._failure: Optional[BaseException] = None
        self._count = 0
        self._stderr_seen = collections.deque(maxlen=500)  # this command's stderr lines

    # ---- the child ---------------------------------------------------------

    def startChild(self, subprocessArgs: List[str]) -> None:
        """Starts the child: @subprocessArgs is Qube's 3-element list —
        the shell's full path, '-c', and the command that starts the child
        as one string (it must start a farmhand executor)."""
        args = list(subprocessArgs)
        if len(args) != 3 or not all(isinstance(a, str) for a in args) or args[1] != "-c":
            raise ArgumentError("startChild takes [shell, '-c', command] (3 strings), not %r"
                             % (subprocessArgs,))
        if self._job is not None:
            raise StateError("startChild was already called")
        self._job = _job.Job({"name": "qube", "executor": {"argv": args}}, job_dir=os.getcwd())
        self._thread = threading.Thread(target=self._serve, name="farmhand-qube", daemon=True)
        self._thread.start()
        self.child = self._job

    def _items(self) -> Iterator[Any]:
        while True:
            work = self._work.get()
            yield work
            if isinstance(work, _job.End):
                return

    def _serve(self) -> None:
        try:
            # Results go to execute() as they come; a dispatcher serves
            # without end, so the summary keeps none.
            self._summary = self._job.run(items=self._items(), on_result=self._results.put,
                                          on_log=self._log, keep_results=False)
        except BaseException as e:  # noqa: B902 — reported by execute/close
            self._failure = e
        finally:
            self._results.put(_DONE)

    def _log(self, item: Optional[str], stream: str, line: str) -> None:
        if stream == "farmhand" and not self.debug:
            return
        if stream == "stderr" and not self.mergeStderr:
            self._stderr_seen.append(line)
            sys.stderr.write(line + "\n")
            return
        if self.logHandler is not None:
            self.logHandler(line)
        else:
            sys.stdout.write(line + "\n")

    # ---- commands ----------------------------------------------------------

    @staticmethod
    def _work_name(work: Any, count: int) -> str:
        if isinstance(work, dict):
            name = work.get("name")
        else:
            name = getattr(work, "name", None) if work is not None else None
            if name is None and hasattr(work, "get"):
                try:
                    name = work.get("name")
                except Exception:
                    name = None
        return str(name) if name else "command-%d" % count

    def execute(self, commands: Union[str, List[str]], work: Any = None) -> int:
        """Runs @commands (a list of strings, or one string) in the child one
        after another; stops at the first that fails.  Returns 0 when all
        succeeded, 1 otherwise, with the failure's traceback written to
        sys.stderr.  @work (Qube's work object, or a dict) names the item
        in the log and in results."""
        if self._job is None:
            raise StateError("execute before startChild")
        if isinstance(commands, str):
            commands = [commands]
        for command in commands:
            self._count += 1
            self._stderr_seen.clear()
            self._work.put({"command": command, "name": self._work_name(work, self._count)})
            result = self._results.get()
            if result is _DONE:
                self._results.put(_DONE)
                reason = self._failure or (self._summary.error if self._summary else None)
                sys.stderr.write("farmhand: the child is gone: %s\n" % (reason or "it exited"))
                return 1
            if result.get("status") != "complete":
                self._write_traceback(result.get("traceback") or "the command failed")
                return 1
        return 0

    def _write_traceback(self, traceback: str) -> None:
        """To sys.stderr, as Qube does — unless the child's own stderr has
        just put every line of it there (farmhand's Python executor prints
        a command's traceback as well as sending it)."""
        seen = set(self._stderr_seen)
        if all(line in seen for line in traceback.splitlines() if line.strip()):
            return
        sys.stderr.write(traceback if traceback.endswith("\n") else traceback + "\n")

    def close(self, exitcode: int = 0) -> int:
        """Signals the child to shut down: no more commands, and @exitcode,
        the code the job type suggests, which farmhand's executors exit
        with once they have ended cleanly.  Returns the code the child
        actually exited with."""
        if self._job is None:
            return exitcode
        self._work.put(_job.End(exitcode))
        self._thread.join()
        self._job.close()
        if self._summary is None:
            return 1
        code = self._summary.executor.get("exit_code")
        return code if code is not None else 1
