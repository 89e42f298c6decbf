"""farmhand.Job: one job through the job-type plugin, from Python."""
from __future__ import annotations

import ctypes
import enum
import json
import os
import signal
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Union

from . import _abi
from ._errors import ItemsError, PluginError, StateError
from ._paths import plugin_path
from ._results import Results, parse_result

OnResult = Callable[[Dict[str, Any]], None]
OnLog = Callable[[Optional[str], str, str], None]
OnProgress = Callable[[Optional[str], float], None]

_plugins = {}
_plugins_lock = threading.Lock()


def load_plugin(path: Optional[str] = None) -> _abi.Plugin:
    """The job-type plugin at @path (default: $FARMHAND_PLUGIN, the build
    tree's, or the installed one), loaded once per process."""
    path = path or plugin_path()
    with _plugins_lock:
        if path not in _plugins:
            if not os.path.exists(path):
                raise PluginError("no job-type plugin at %s: set FARMHAND_PLUGIN, or build "
                                  "farmhand (meson compile -C build)" % path)
            _plugins[path] = _abi.Plugin(path)
        return _plugins[path]


def scan_log(log: Union[bytes, str], preset: str, plugin: Optional[str] = None) -> Dict[str, Any]:
    """What log preset @preset makes of @log (bytes or str), with no job:
    `farmhand log test --preset NAME --json`."""
    return load_plugin(plugin).scan_log(None, log, preset)


class Status(str, enum.Enum):
    """How a run ended (a str: compares equal to its value)."""

    COMPLETE = "complete"       # every item served completed
    FAILED = "failed"           # ran to the end; an item or teardown failed
    JOB_FAILED = "job_failed"   # stopped early: the executor, or setup
    CANCELLED = "cancelled"     # cancel() was called
    REFUSED = "refused"         # nothing ran


# job_run's return (FhRunStatus) and the status its summary must say.
_RUN_STATUS = {_abi.RUN_OK: Status.COMPLETE, _abi.RUN_ITEMS_FAILED: Status.FAILED,
               _abi.RUN_JOB_FAILED: Status.JOB_FAILED, _abi.RUN_CANCELLED: Status.CANCELLED,
               _abi.RUN_REFUSED: Status.REFUSED}


@dataclass
class Summary:
    """What a run did: .status (a Status), .results (one dict per item
    served, as schemas/result.schema.json, in a read-only sequence that
    keeps them compact), .items_complete,
    .items_failed, .error (why the job stopped early, or None), .executor
    (argv, kind, pid, restarts, exit_code) and .raw, the plugin's summary
    as it came."""

    status: Status
    results: Sequence[Dict[str, Any]]
    items_complete: int = 0
    items_failed: int = 0
    error: Optional[str] = None
    executor: Dict[str, Any] = field(default_factory=dict)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_run(cls, code: int, raw: Dict[str, Any], results: Sequence[Dict[str, Any]]) -> "Summary":
        """From job_run's return and its summary, which must agree."""
        status = _RUN_STATUS.get(code)
        if status is None or raw.get("status") != status.value:
            raise PluginError("the plugin's job_run returned %r with a summary that says %r"
                              % (code, raw.get("status")))
        return cls(status, results, raw.get("items_complete", 0), raw.get("items_failed", 0),
                   raw.get("error"), raw.get("executor", {}), raw)

    @property
    def ok(self) -> bool:
        return self.status is Status.COMPLETE


@dataclass(frozen=True)
class End:
    """Served by run()'s items (a host's own work): the end of the work,
    and the exit code the executor is asked to exit with after teardown
    (ABI 1.2; Qube's close(exitcode))."""

    exit_code: int = 0


class _Run:
    """The host's side of a Job's one job_run: serves items, collects
    results, forwards log lines and progress to the caller's functions.  A
    callback that raises cancels the job; the exception is raised again by
    run().  Made with the Job, idle until begin() (the plugin's callbacks
    are its methods: no layer between them and ctypes)."""

    def __init__(self, job: "Job") -> None:
        self.job = job
        self.active = False
        self.items: Iterator[Any] = iter(())
        self.by_index = False
        self.on_result: Optional[OnResult] = None
        self.on_log: Optional[OnLog] = None
        self.on_progress: Optional[OnProgress] = None
        self.results = Results()
        self.keep_results = True
        self.error: Optional[BaseException] = None
        self.served: Dict[int, Any] = {}     # address -> buffer, until free_item
        self.pending: Any = None             # what next_index left to next_item

    def begin(self, items: Optional[Iterable[Any]], on_result: Optional[OnResult],
              on_log: Optional[OnLog], on_progress: Optional[OnProgress], keep_results: bool) -> None:
        self.items = iter(items) if items is not None else iter(range(self.job.n_items))
        self.by_index = items is None
        self.on_result, self.on_log, self.on_progress = on_result, on_log, on_progress
        self.keep_results = keep_results
        self.active = True

    def end(self) -> None:
        self.active = False
        self.on_result = self.on_log = self.on_progress = None

    def fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        # Ctrl-C that Python delivers inside a callback: as the signal
        # watcher would, gracefully (teardown runs); anything else at once.
        self.job.cancel(now=not isinstance(exc, KeyboardInterrupt))

    def next_index(self, data: Any) -> int:
        """An item that is an index goes as one (ABI 1.4): no JSON to make
        here and parse in the plugin.  Any other is next_item's."""
        if not self.active:
            return _abi.NEXT_ITEM_NONE
        try:
            item = next(self.items, None)
            if item is None:
                return _abi.NEXT_ITEM_NONE
            if (self.by_index or type(item) is int) and item >= 0:
                return item
            self.pending = item
            return _abi.NEXT_ITEM_JSON
        except BaseException as e:  # KeyboardInterrupt too: never into C
            self.fail(e)
            return _abi.NEXT_ITEM_NONE

    def next_item(self, data: Any) -> Optional[int]:
        if not self.active:
            return None
        try:
            item, self.pending = self.pending, None
            if item is None:
                item = next(self.items, None)
            if item is None:
                return None
            if isinstance(item, End):
                work: Dict[str, Any] = {"end": True, "exit_code": item.exit_code}
            elif self.by_index or isinstance(item, int):
                work = {"index": item}
            elif isinstance(item, dict):
                work = item
            else:
                work = {"name": str(item)}
            buf = ctypes.create_string_buffer(json.dumps(work).encode("utf-8"))
            address = ctypes.addressof(buf)
            self.served[address] = buf
            return address
        except BaseException as e:  # KeyboardInterrupt too: never into C
            self.fail(e)
            return None

    def free_item(self, data: Any, address: int) -> None:
        self.served.pop(address, None)

    def report_item(self, data: Any, result_json: bytes) -> None:
        if not self.active:
            return
        try:
            # Checked here, kept as text: a dict per item kept would cost
            # the command path a fresh allocation each (~2 µs).
            result = parse_result(result_json.decode("utf-8"))
            if self.keep_results:
                self.results.append_text(result_json)
            if self.on_result is not None:
                self.on_result(result)
        except BaseException as e:
            self.fail(e)

    def log_line(self, data: Any, item: Optional[int], stream: int, line: int, length: int) -> None:
        # Called without an on_log by a plugin older than 1.5 only.
        if self.on_log is None:
            return
        try:
            self.on_log(ctypes.string_at(item).decode("utf-8") if item else None,
                        _abi.STREAMS.get(stream, "stdout"), ctypes.string_at(line, length).decode("utf-8"))
        except BaseException as e:
            self.fail(e)

    def progress(self, data: Any, item: Optional[bytes], fraction: float) -> None:
        if self.on_progress is None:
            return
        try:
            self.on_progress(item.decode("utf-8") if item else None, fraction)
        except BaseException as e:
            self.fail(e)


class _SignalWatch:
    """While a job runs in the main thread, Python cannot run its SIGINT
    handler (the thread is in C, or in a callback that must not raise).
    So, while the job runs, SIGINT only records itself, and Python's wakeup
    fd lets a helper thread cancel the job at once: gracefully, then — on
    a second Ctrl-C — now.  run() raises KeyboardInterrupt after the job
    has stopped.  An application that handles SIGINT itself (a DCC) keeps
    its handler: then nothing here is installed."""

    def __init__(self, job: "Job") -> None:
        self.job = job
        self.signals: List[int] = []
        self.thread = None
        if (threading.current_thread() is not threading.main_thread()
                or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
            return
        self.r, self.w = os.pipe()
        os.set_blocking(self.w, False)
        self.old_handler = signal.signal(signal.SIGINT, self._on_sigint)
        self.old_fd = signal.set_wakeup_fd(self.w, warn_on_full_buffer=False)
        self.thread = threading.Thread(target=self._watch, name="farmhand-signals", daemon=True)
        self.thread.start()

    def _on_sigint(self, signum: int, frame: Any) -> None:
        self.signals.append(signum)

    def _watch(self) -> None:
        count = 0
        while True:
            data = os.read(self.r, 64)
            if not data:
                return
            for signum in data:
                if signum == signal.SIGINT:
                    count += 1
                    self.job.cancel(now=count > 1)

    def close(self) -> None:
        """Puts Python's handler and wakeup fd back; raises
        KeyboardInterrupt when a SIGINT came meanwhile."""
        if self.thread is None:
            return
        signal.set_wakeup_fd(self.old_fd)
        signal.signal(signal.SIGINT, self.old_handler)
        os.close(self.w)
        self.thread.join()
        os.close(self.r)
        if self.signals:
            raise KeyboardInterrupt


class Job:
    """A farmhand job, validated by the job-type plugin.

    @job is a job description: a dict, or the path of a JSON file.
    @job_dir is what relative paths in it mean (default: the file's
    directory, or the current one for a dict); @output_dir its
    FARMHAND_OUTPUT_DIR (default: ./farmhand-out/<name>).  An invalid job
    raises JobError with every problem (its field's path, its message, and
    the line and column where the file has them).  A Job runs once;
    close() (or the end of a with block) releases it."""

    def __init__(self, job: Union[Dict[str, Any], str, "os.PathLike[str]"], job_dir: Optional[str] = None,
                 output_dir: Optional[str] = None, plugin: Optional[str] = None) -> None:
        self._plugin = load_plugin(plugin)
        self._desc = self._plugin.desc
        self._job = None
        self._run = _Run(self)
        self._ran = False
        self._lock = threading.Lock()
        if isinstance(job, dict):
            text, source = json.dumps(job), "job"
            base = job_dir if job_dir is not None else os.getcwd()
        else:
            source = os.fspath(job)
            with open(source, encoding="utf-8") as f:
                text = f.read()
            base = job_dir if job_dir is not None else os.path.dirname(os.path.abspath(source))
        options = {"base_dir": os.fspath(base), "source": source}
        if output_dir is not None:
            options["output_dir"] = os.fspath(output_dir)
        self._make_host()
        self._job = self._plugin.create_job(self._api, text, options)
        self.description: Dict[str, Any] = self._plugin.parse(
            self._plugin.take_string(self._desc.job_describe(self._job)), "job_describe")

    def _make_host(self) -> None:
        # The callbacks are the run's methods; they (and the struct) live
        # as long as the job: the plugin keeps pointers.
        run = self._run
        self._callbacks = (
            _abi.NextItemFunc(run.next_item), _abi.FreeItemFunc(run.free_item),
            _abi.ReportItemFunc(run.report_item), _abi.LogLineFunc(run.log_line),
            _abi.ProgressFunc(run.progress), _abi.NextIndexFunc(run.next_index))
        self._api = _abi.host_api(self._callbacks)

    def _follow(self, log: bool, progress: bool) -> None:
        # A crossing into Python per line (a line per item at least: its
        # command) that nobody reads costs more than the rest of the item's
        # Python: a plugin of 1.5 takes NULL, read at job_run.
        if self._desc.abi_minor >= _abi.SINCE_OPTIONAL_LOG:
            self._api.log_line = self._callbacks[3] if log else _abi.LogLineFunc()
            self._api.progress = self._callbacks[4] if progress else _abi.ProgressFunc()

    @property
    def name(self) -> str:
        return self.description["name"]

    @property
    def n_items(self) -> int:
        return self.description["items"]

    def items(self, items: Optional[str] = None, commands: bool = True) -> List[Dict[str, Any]]:
        """The agenda, as the plugin lists it: dicts with "number" (from 1),
        "index", "name", "frames" and "command".  @items selects some by
        number in frame-list syntax ("3-7,10"); ItemsError for a list the
        job does not have."""
        out: List[Dict[str, Any]] = []
        if items is not None:
            return self._agenda(items, commands)
        page = 10000
        for first in range(1, self.n_items + 1, page):
            out.extend(self._agenda("%d-%d" % (first, min(self.n_items, first + page - 1)), commands))
        return out

    def _agenda(self, items: str, commands: bool) -> List[Dict[str, Any]]:
        error = ctypes.c_void_p()
        text = self._desc.job_agenda(self._check_open(), items.encode("utf-8"),
                                     _abi.AGENDA_COMMANDS if commands else 0, ctypes.byref(error))
        if not text:
            raise ItemsError(self._plugin.take_string(error.value) or "the plugin listed nothing")
        return self._plugin.parse(self._plugin.take_string(text), "job_agenda")

    def scan_log(self, log: Union[bytes, str], preset: Optional[str] = None,
                 per_line: bool = False) -> Dict[str, Any]:
        """What this job's log rules make of @log (bytes or str), as
        `farmhand log test --json` prints it: {"verdict", "class",
        "reason", "errors", "warnings", "highlights", "progress",
        "outputs", ...}.  @preset replaces the job's log preset."""
        return self._plugin.scan_log(self._check_open(), log, preset, per_line)

    def run(self, items: Optional[Iterable[Any]] = None, on_result: Optional[OnResult] = None,
            on_log: Optional[OnLog] = None, on_progress: Optional[OnProgress] = None,
            keep_results: bool = True) -> Summary:
        """Runs the job to the end: one executor, setup once, the items,
        teardown.  @items is an iterable of the items to serve, in order
        (default: the whole agenda) — a Python farm host hands out its own
        work this way: names as job.items() gives them, or indices (int,
        from 0); a dict {"command": ..., "name": ...} runs a command that
        is not in the agenda; End(code) ends the work and asks the
        executor to exit with code after teardown.  on_result(result) is called as
        each item ends, on_log(item, stream, line) for every line of the job
        log, on_progress(item, fraction) as an item reports progress; all on
        this thread.  The Summary keeps every result (~100 bytes an
        item); a host that takes them from on_result and serves items
        without end passes keep_results=False to keep none (memory stays
        flat).  Ctrl-C (SIGINT) while it runs in the main thread
        cancels the job (a second one: at once), and KeyboardInterrupt is
        raised once it has stopped.  Returns a Summary."""
        with self._lock:
            if self._ran:
                raise StateError("a farmhand.Job runs once: make another for another run")
            self._ran = True
            job = self._check_open()
            run = self._run
            run.begin(items, on_result, on_log, on_progress, keep_results)
            self._follow(on_log is not None, on_progress is not None)
        watch = _SignalWatch(self)
        summary = ctypes.c_void_p()
        try:
            code = self._desc.job_run(job, ctypes.byref(summary))
        finally:
            run.end()
            text = self._plugin.take_string(summary.value)
            watch.close()
        if run.error is not None:
            raise run.error
        return Summary.from_run(code, self._plugin.parse(text, "job_run"), run.results)

    def cancel(self, now: bool = False) -> None:
        """Stops the run from any thread: the running command is interrupted
        (and, unless @now, teardown runs).  Before run(): it will run
        nothing.  After: nothing happens."""
        with self._lock:
            if self._job is not None:
                self._desc.job_cancel(self._job, _abi.CANCEL_NOW if now else _abi.CANCEL_GRACEFUL)

    def close(self) -> None:
        """Releases the job (a running one is cancelled at once first)."""
        with self._lock:
            job, self._job = self._job, None
        if job is not None:
            self._desc.job_free(job)

    def _check_open(self) -> int:
        if self._job is None:
            raise StateError("this farmhand.Job is closed")
        return self._job

    def __enter__(self) -> "Job":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return "<farmhand.Job %r: %d items>" % (self.name, self.n_items)
