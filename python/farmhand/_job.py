"""farmhand.Job: one job through the job-type plugin, from Python."""
import ctypes
import json
import os
import signal
import threading

from . import _abi
from ._paths import plugin_path

_plugins = {}
_plugins_lock = threading.Lock()


def load_plugin(path=None):
    """The job-type plugin at @path (default: $FARMHAND_PLUGIN, the build
    tree's, or the installed one), loaded once per process."""
    path = path or plugin_path()
    with _plugins_lock:
        if path not in _plugins:
            if not os.path.exists(path):
                raise _abi.PluginError("no job-type plugin at %s: set FARMHAND_PLUGIN, or build "
                                       "farmhand (meson compile -C build)" % path)
            _plugins[path] = _abi.Plugin(path)
        return _plugins[path]


def scan_log(log, preset, plugin=None):
    """What log preset @preset makes of @log (bytes or str), with no job:
    `farmhand log test --preset NAME --json`."""
    return load_plugin(plugin).scan_log(None, log, preset)


class JobError(ValueError):
    """The plugin refused the job.  The message has every problem, one per
    line; .problems holds them, each starting with its JSON path (or, for
    a syntax error, with the source and line:column)."""

    def __init__(self, message):
        super().__init__(message)
        self.problems = [line for line in message.splitlines() if line]


class Summary(object):
    """What a run did: .status ("complete", "failed", "job_failed",
    "cancelled"), .results (one dict per item served, as
    schemas/result.schema.json), .items_complete, .items_failed, .error
    (why the job stopped early, or None), .executor (argv, kind, pid,
    restarts, exit_code) and .raw, the plugin's summary as it came."""

    def __init__(self, raw, results):
        self.raw = raw
        self.status = raw.get("status", "unknown")
        self.results = results
        self.items_complete = raw.get("items_complete", 0)
        self.items_failed = raw.get("items_failed", 0)
        self.error = raw.get("error")
        self.executor = raw.get("executor", {})

    @property
    def ok(self):
        return self.status == "complete"

    def __repr__(self):
        return "<farmhand.Summary %s: %d complete, %d failed>" % (
            self.status, self.items_complete, self.items_failed)


class _Run(object):
    """The host's side of one job_run: serves items, collects results,
    forwards log lines and progress to the caller's functions.  A callback
    that raises cancels the job; the exception is raised again by run()."""

    def __init__(self, job, items, on_result, on_log, on_progress):
        self.job = job
        self.items = iter(items) if items is not None else iter(range(job.n_items))
        self.by_index = items is None
        self.on_result, self.on_log, self.on_progress = on_result, on_log, on_progress
        self.results = []
        self.error = None
        self.served = {}     # address -> buffer, until free_item

    def fail(self, exc):
        if self.error is None:
            self.error = exc
        # Ctrl-C that Python delivers inside a callback: as the signal
        # watcher would, gracefully (teardown runs); anything else at once.
        self.job.cancel(now=not isinstance(exc, KeyboardInterrupt))

    def next_item(self, data):
        try:
            item = next(self.items, None)
            if item is None:
                return None
            if self.by_index or isinstance(item, int):
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

    def free_item(self, data, address):
        self.served.pop(address, None)

    def report_item(self, data, result_json):
        try:
            result = json.loads(result_json.decode("utf-8"))
            self.results.append(result)
            if self.on_result is not None:
                self.on_result(result)
        except BaseException as e:
            self.fail(e)

    def log_line(self, data, item, stream, line, length):
        if self.on_log is None:
            return
        try:
            self.on_log(item.decode("utf-8") if item else None, _abi.STREAMS.get(stream, "stdout"),
                        ctypes.string_at(line, length).decode("utf-8"))
        except BaseException as e:
            self.fail(e)

    def progress(self, data, item, fraction):
        if self.on_progress is None:
            return
        try:
            self.on_progress(item.decode("utf-8") if item else None, fraction)
        except BaseException as e:
            self.fail(e)


class _SignalWatch(object):
    """While a job runs in the main thread, Python cannot run its SIGINT
    handler (the thread is in C, or in a callback that must not raise).
    So, while the job runs, SIGINT only records itself, and Python's wakeup
    fd lets a helper thread cancel the job at once: gracefully, then — on
    a second Ctrl-C — now.  run() raises KeyboardInterrupt after the job
    has stopped.  An application that handles SIGINT itself (a DCC) keeps
    its handler: then nothing here is installed."""

    def __init__(self, job):
        self.job = job
        self.signals = []
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

    def _on_sigint(self, signum, frame):
        self.signals.append(signum)

    def _watch(self):
        count = 0
        while True:
            data = os.read(self.r, 64)
            if not data:
                return
            for signum in data:
                if signum == signal.SIGINT:
                    count += 1
                    self.job.cancel(now=count > 1)

    def close(self):
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


class Job(object):
    """A farmhand job, validated by the job-type plugin.

    @job is a job description: a dict, or the path of a JSON file.
    @job_dir is what relative paths in it mean (default: the file's
    directory, or the current one for a dict); @output_dir its
    FARMHAND_OUTPUT_DIR (default: ./farmhand-out/<name>).  An invalid job
    raises JobError listing every problem by JSON path.  A Job runs once;
    close() (or the end of a with block) releases it."""

    def __init__(self, job, job_dir=None, output_dir=None, plugin=None):
        self._plugin = load_plugin(plugin)
        self._desc = self._plugin.desc
        self._job = None
        self._run = None
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
        error = ctypes.c_void_p()
        self._job = self._desc.job_new(ctypes.byref(self._api), text.encode("utf-8"),
                                       json.dumps(options).encode("utf-8"), ctypes.byref(error))
        if not self._job:
            raise JobError(self._plugin.take_string(error.value) or "the plugin refused the job")
        self.description = json.loads(self._plugin.take_string(self._desc.job_describe(self._job)))

    def _make_host(self):
        # The callbacks dispatch to the run in progress; they (and the
        # struct) live as long as the job: the plugin keeps pointers.
        def relay(name):
            def call(*args):
                run = self._run
                return getattr(run, name)(*args) if run is not None else None
            return call
        self._callbacks = (
            _abi.NextItemFunc(relay("next_item")), _abi.FreeItemFunc(relay("free_item")),
            _abi.ReportItemFunc(relay("report_item")), _abi.LogLineFunc(relay("log_line")),
            _abi.ProgressFunc(relay("progress")))
        self._api = _abi.HostApi(_abi.ABI_MAJOR, _abi.ABI_MINOR, ctypes.sizeof(_abi.HostApi), 0, None,
                                 *self._callbacks)

    @property
    def name(self):
        return self.description["name"]

    @property
    def n_items(self):
        return self.description["items"]

    def items(self, items=None, commands=True):
        """The agenda, as the plugin lists it: dicts with "number" (from 1),
        "index", "name", "frames" and "command".  @items selects some by
        number in frame-list syntax ("3-7,10")."""
        out = []
        if items is not None:
            return self._agenda(items, commands)
        page = 10000
        for first in range(1, self.n_items + 1, page):
            out.extend(self._agenda("%d-%d" % (first, min(self.n_items, first + page - 1)), commands))
        return out

    def _agenda(self, items, commands):
        error = ctypes.c_void_p()
        text = self._desc.job_agenda(self._check_open(), items.encode("utf-8"),
                                     _abi.AGENDA_COMMANDS if commands else 0, ctypes.byref(error))
        if not text:
            raise ValueError(self._plugin.take_string(error.value) or "the plugin listed nothing")
        return json.loads(self._plugin.take_string(text))

    def scan_log(self, log, preset=None, per_line=False):
        """What this job's log rules make of @log (bytes or str), as
        `farmhand log test --json` prints it: {"verdict", "class",
        "reason", "errors", "warnings", "highlights", "progress",
        "outputs", ...}.  @preset replaces the job's log preset."""
        return self._plugin.scan_log(self._check_open(), log, preset, per_line)

    def run(self, items=None, on_result=None, on_log=None, on_progress=None):
        """Runs the job to the end: one executor, setup once, the items,
        teardown.  @items is an iterable of the items to serve, in order
        (default: the whole agenda) — a Python farm host hands out its own
        work this way: names as job.items() gives them, or indices (int,
        from 0); a dict {"command": ..., "name": ...} runs a command that
        is not in the agenda.  on_result(result) is called as
        each item ends, on_log(item, stream, line) for every line of the job
        log, on_progress(item, fraction) as an item reports progress; all on
        this thread.  Ctrl-C (SIGINT) while it runs in the main thread
        cancels the job (a second one: at once), and KeyboardInterrupt is
        raised once it has stopped.  Returns a Summary."""
        with self._lock:
            if self._ran:
                raise RuntimeError("a farmhand.Job runs once: make another for another run")
            self._ran = True
            job = self._check_open()
            self._run = run = _Run(self, items, on_result, on_log, on_progress)
        watch = _SignalWatch(self)
        summary = ctypes.c_void_p()
        try:
            self._desc.job_run(job, ctypes.byref(summary))
        finally:
            self._run = None
            raw = json.loads(self._plugin.take_string(summary.value) or "{}")
            watch.close()
        if run.error is not None:
            raise run.error
        return Summary(raw, run.results)

    def cancel(self, now=False):
        """Stops the run from any thread: the running command is interrupted
        (and, unless @now, teardown runs).  Before run(): it will run
        nothing.  After: nothing happens."""
        with self._lock:
            if self._job is not None:
                self._desc.job_cancel(self._job, _abi.CANCEL_NOW if now else _abi.CANCEL_GRACEFUL)

    def close(self):
        """Releases the job (a running one is cancelled at once first)."""
        with self._lock:
            job, self._job = self._job, None
        if job is not None:
            self._desc.job_free(job)

    def _check_open(self):
        if self._job is None:
            raise RuntimeError("this farmhand.Job is closed")
        return self._job

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return "<farmhand.Job %r: %d items>" % (self.name, self.n_items)
