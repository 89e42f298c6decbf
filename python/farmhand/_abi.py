"""The job-type plugin ABI (abi/fh-plugin.h, version 1.2) in ctypes.

ctypes rather than a C extension: the package is plain Python, so one copy
serves every Python that can load it — the system's, a venv's, and the
interpreters bundled with DCCs (mayapy, hython, Blender's), whose versions
and C ABIs vary and which cannot build extensions on a render node.  The
plugin's ABI was made for this: C strings and JSON only, structs that carry
their version and size, every entry point safe against bad input.  Calls
into the plugin release the GIL; its callbacks take it back.

This is a host of the ABI in its own right: it applies the header's rules
(its major, a descriptor at least 1.0's size with 1.0's entry points, and
the one rule for members added since: SINCE and Plugin.has()), not the
policies of farmhand's C loader.
"""
from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Dict, Optional, Union

from ._errors import JobError, LogScanError, PluginError, Problem

ABI_MAJOR = 1
ABI_MINOR = 5
SYMBOL = "fh_plugin_get_desc"
MODULE = "libfarmhand-jobtype.so"

LOG_STDOUT, LOG_STDERR, LOG_FARMHAND = 1, 2, 3
STREAMS = {LOG_STDOUT: "stdout", LOG_STDERR: "stderr", LOG_FARMHAND: "farmhand"}

RUN_OK, RUN_ITEMS_FAILED, RUN_JOB_FAILED, RUN_CANCELLED, RUN_REFUSED = range(5)
CANCEL_GRACEFUL, CANCEL_NOW = 0, 1
AGENDA_COMMANDS = 1
# The minor that added each member after 1.0 (FH_PLUGIN_SINCE_*).
SINCE = {"job_scan_log": 1, "job_create": 2, "job_open": 3, "check_file": 3}
# The minor from which a plugin takes a host's NULL log_line and progress,
# read again at job_run (FH_PLUGIN_SINCE_optional_log).
SINCE_OPTIONAL_LOG = 5

# Strings the plugin returns are pointers (c_void_p) until read, so that
# they can be handed back to free_string.
NextItemFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)
FreeItemFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
ReportItemFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)
# (The item's name as an address: made bytes only when the host follows
# the log.)
LogLineFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                               ctypes.c_void_p, ctypes.c_size_t)
ProgressFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_double)
NextIndexFunc = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p)
# What next_index returns without an index (abi/fh-plugin.h).
NEXT_ITEM_NONE = -1
NEXT_ITEM_JSON = -2


class HostApi(ctypes.Structure):
    _fields_ = [
        ("abi_major", ctypes.c_uint32),
        ("abi_minor", ctypes.c_uint32),
        ("struct_size", ctypes.c_uint32),
        ("reserved_flags", ctypes.c_uint32),
        ("host_data", ctypes.c_void_p),
        ("next_item", NextItemFunc),
        ("free_item", FreeItemFunc),
        ("report_item", ReportItemFunc),
        ("log_line", LogLineFunc),
        ("progress", ProgressFunc),
        ("next_index", NextIndexFunc),
        ("reserved", ctypes.c_void_p * 7),
    ]


JobNewFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.POINTER(HostApi), ctypes.c_char_p,
                              ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p))
JobRunFunc = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p))
JobCancelFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32)
JobFreeFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
FreeStringFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
JobDescribeFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)
JobAgendaFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p,
                                 ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p))
# ABI 1.1
JobScanLogFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                  ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p))
# ABI 1.2: job_new's signature, its error a JSON object.
JobCreateFunc = JobNewFunc
# ABI 1.3: a job by its path (farmhand's, or OpenJD's), and a file checked.
JobOpenFunc = JobNewFunc
CheckFileFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                 ctypes.POINTER(ctypes.c_void_p))


class PluginDesc(ctypes.Structure):
    _fields_ = [
        ("abi_major", ctypes.c_uint32),
        ("abi_minor", ctypes.c_uint32),
        ("struct_size", ctypes.c_uint32),
        ("reserved_flags", ctypes.c_uint32),
        ("name", ctypes.c_char_p),
        ("version", ctypes.c_char_p),
        ("license", ctypes.c_char_p),
        ("description", ctypes.c_char_p),
        ("job_new", JobNewFunc),
        ("job_run", JobRunFunc),
        ("job_cancel", JobCancelFunc),
        ("job_free", JobFreeFunc),
        ("free_string", FreeStringFunc),
        ("job_describe", JobDescribeFunc),
        ("job_agenda", JobAgendaFunc),
        ("job_scan_log", JobScanLogFunc),   # ABI 1.1
        ("job_create", JobCreateFunc),      # ABI 1.2
        ("job_open", JobOpenFunc),          # ABI 1.3
        ("check_file", CheckFileFunc),      # ABI 1.3
        ("reserved", ctypes.c_void_p * 4),
    ]


# Every 1.x descriptor has these.
DESC_MIN_SIZE = PluginDesc.job_agenda.offset + ctypes.sizeof(ctypes.c_void_p)
ENTRY_POINTS = ("job_new", "job_run", "job_cancel", "job_free", "free_string",
                "job_describe", "job_agenda")


def host_api(callbacks: tuple) -> HostApi:
    """This package's FhHostApi: its version, the six callbacks."""
    return HostApi(ABI_MAJOR, ABI_MINOR, ctypes.sizeof(HostApi), 0, None, *callbacks)


class Plugin:
    """A loaded job-type plugin: its descriptor, checked by the header's
    rules.  Loaded means loaded: the plugin registers GTypes, which cannot
    be unregistered, so it is never unloaded."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._lib = ctypes.CDLL(path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        except OSError as e:
            raise PluginError("cannot load plugin: %s" % e) from None
        try:
            get_desc = getattr(self._lib, SYMBOL)
        except AttributeError:
            raise PluginError("%s is not a farmhand plugin: it has no %s()" % (path, SYMBOL)) from None
        get_desc.restype = ctypes.c_void_p
        get_desc.argtypes = []
        address = get_desc()
        if not address:
            raise PluginError("%s: %s() returned no descriptor" % (path, SYMBOL))
        # The head first: the version says whether the rest can be trusted.
        head = ctypes.cast(address, ctypes.POINTER(ctypes.c_uint32 * 3)).contents
        major, minor, size = head[0], head[1], head[2]
        if major != ABI_MAJOR:
            raise PluginError("%s was built for farmhand plugin ABI %d.%d, but this host speaks "
                              "ABI %d.%d: rebuild the plugin against this farmhand"
                              % (path, major, minor, ABI_MAJOR, ABI_MINOR))
        if size < DESC_MIN_SIZE:
            raise PluginError("%s: descriptor is %d bytes, smaller than ABI %d.0's %d"
                              % (path, size, ABI_MAJOR, DESC_MIN_SIZE))
        self.desc = ctypes.cast(address, ctypes.POINTER(PluginDesc)).contents
        for name in ENTRY_POINTS:
            if not self._address(name):
                raise PluginError("%s: descriptor lacks the %s entry point" % (path, name))
        self.name = (self.desc.name or b"").decode()
        self.version = (self.desc.version or b"").decode()
        self.license = (self.desc.license or b"").decode()

    def _address(self, member: str) -> Optional[int]:
        return ctypes.cast(getattr(self.desc, member), ctypes.c_void_p).value

    def has(self, member: str) -> bool:
        """FH_PLUGIN_HAS: the plugin's minor is new enough for @member and
        the entry point is set."""
        return self.desc.abi_minor >= SINCE.get(member, 0) and bool(self._address(member))

    def create_job(self, host: Optional[HostApi], text: str, options: Dict[str, Any]) -> int:
        """job_create (job_new for a plugin before 1.2): the job's pointer,
        or JobError with every problem."""
        error = ctypes.c_void_p()
        create = self.desc.job_create if self.has("job_create") else self.desc.job_new
        job = create(ctypes.byref(host) if host is not None else None, text.encode("utf-8"),
                     json.dumps(options).encode("utf-8"), ctypes.byref(error))
        if job:
            return job
        message = self.take_string(error.value) or ""
        if self.has("job_create"):
            raise JobError.from_json(self.parse(message, "job_create"))
        # A 1.1 plugin's text: a problem a line (what 1.1 promised).
        raise JobError("invalid_job", [Problem("", line) for line in message.splitlines() if line],
                       options.get("source"), message)

    def scan_log(self, job: Optional[int], log: Union[bytes, str], preset: Optional[str] = None,
                 per_line: bool = False) -> Dict[str, Any]:
        """job_scan_log (ABI 1.1): what @job's log rules (a job pointer, or
        None: those of log preset @preset alone) make of @log (bytes or
        str), as a dict (docs/log-presets.md).  LogScanError for a bad
        preset; PluginError for a 1.0 plugin."""
        if not self.has("job_scan_log"):
            raise PluginError("%s speaks plugin ABI %d.%d: it cannot scan a log (job_scan_log is ABI 1.1)"
                              % (self.path, self.desc.abi_major, self.desc.abi_minor))
        if isinstance(log, str):
            log = log.encode("utf-8")
        options: Dict[str, Any] = {"per_line": bool(per_line)}
        if preset is not None:
            options["preset"] = preset
        error = ctypes.c_void_p()
        text = self.desc.job_scan_log(job, log, len(log), json.dumps(options).encode("utf-8"),
                                      ctypes.byref(error))
        if not text:
            raise LogScanError(self.take_string(error.value) or "the plugin scanned nothing")
        return self.parse(self.take_string(text), "job_scan_log")

    def parse(self, text: Optional[str], what: str) -> Any:
        """JSON the plugin returned from @what, or PluginError."""
        try:
            return json.loads(text or "")
        except ValueError as e:
            raise PluginError("the plugin's %s answered what is not JSON: %s" % (what, e)) from None

    def take_string(self, address: Optional[int]) -> Optional[str]:
        """A string the plugin returned, as str, handed back to the plugin."""
        if not address:
            return None
        try:
            return ctypes.string_at(address).decode("utf-8")
        finally:
            self.desc.free_string(address)
