"""The job-type plugin ABI (abi/fh-plugin.h, version 1.1) in ctypes.

ctypes rather than a C extension: the package is plain Python, so one copy
serves every Python that can load it — the system's, a venv's, and the
interpreters bundled with DCCs (mayapy, hython, Blender's), whose versions
and C ABIs vary and which cannot build extensions on a render node.  The
plugin's ABI was made for this: C strings and JSON only, structs that carry
their version and size, every entry point safe against bad input.  Calls
into the plugin release the GIL; its callbacks take it back.
"""
import ctypes
import json
import os

ABI_MAJOR = 1
ABI_MINOR = 1
SYMBOL = "fh_plugin_get_desc"
MODULE = "libfarmhand-jobtype.so"

LOG_STDOUT, LOG_STDERR, LOG_FARMHAND = 1, 2, 3
STREAMS = {LOG_STDOUT: "stdout", LOG_STDERR: "stderr", LOG_FARMHAND: "farmhand"}

RUN_OK, RUN_ITEMS_FAILED, RUN_JOB_FAILED, RUN_CANCELLED, RUN_REFUSED = range(5)
CANCEL_GRACEFUL, CANCEL_NOW = 0, 1
AGENDA_COMMANDS = 1

# Strings the plugin returns are pointers (c_void_p) until read, so that
# they can be handed back to free_string.
NextItemFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)
FreeItemFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
ReportItemFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)
LogLineFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                               ctypes.c_void_p, ctypes.c_size_t)
ProgressFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_double)


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
        ("reserved", ctypes.c_void_p * 8),
    ]


JobNewFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.POINTER(HostApi), ctypes.c_char_p,
                              ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p))
JobRunFunc = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p))
JobCancelFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int)
JobFreeFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
FreeStringFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
JobDescribeFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)
JobAgendaFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p,
                                 ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p))
# ABI 1.1
JobScanLogFunc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                  ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p))


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
        ("job_scan_log", JobScanLogFunc),   # ABI 1.1: NULL in a 1.0 plugin
        ("reserved", ctypes.c_void_p * 7),
    ]


# Every 1.x descriptor has these (what host/fh-plugin-module.c checks too).
DESC_MIN_SIZE = PluginDesc.job_agenda.offset + ctypes.sizeof(ctypes.c_void_p)
ENTRY_POINTS = ("job_new", "job_run", "job_cancel", "job_free", "free_string",
                "job_describe", "job_agenda")
LICENSES = {"MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC", "MPL-2.0",
            "LGPL-2.1-or-later", "LGPL-3.0-or-later", "GPL-2.0-or-later",
            "GPL-3.0-or-later", "Zlib", "Proprietary"}


class PluginError(Exception):
    """The job-type plugin could not be loaded (the message says what to do)."""


class Plugin(object):
    """A loaded job-type plugin: its descriptor, checked as the C host
    checks it.  Loaded means loaded: the plugin registers GTypes, which
    cannot be unregistered, so it is never unloaded."""

    def __init__(self, path):
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
        if minor > ABI_MINOR:
            raise PluginError("%s needs farmhand plugin ABI %d.%d, newer than this host's %d.%d: "
                              "upgrade farmhand's Python package" % (path, major, minor, ABI_MAJOR, ABI_MINOR))
        if size < DESC_MIN_SIZE:
            raise PluginError("%s: descriptor is %d bytes, smaller than ABI %d.0's %d"
                              % (path, size, ABI_MAJOR, DESC_MIN_SIZE))
        self.desc = ctypes.cast(address, ctypes.POINTER(PluginDesc)).contents
        license = (self.desc.license or b"").decode()
        if license not in LICENSES:
            raise PluginError("%s: license '%s' is not a known SPDX identifier" % (path, license))
        for name in ENTRY_POINTS:
            if not ctypes.cast(getattr(self.desc, name), ctypes.c_void_p).value:
                raise PluginError("%s: descriptor lacks the %s entry point" % (path, name))
        self.name = self.desc.name.decode()
        self.version = self.desc.version.decode()

    def scan_log(self, job, log, preset=None, per_line=False):
        """job_scan_log (ABI 1.1): what @job's log rules (a job pointer, or
        None: those of log preset @preset alone) make of @log (bytes or
        str), as a dict (docs/log-presets.md).  ValueError for a bad
        preset; PluginError for a 1.0 plugin."""
        func = ctypes.cast(self.desc.job_scan_log, ctypes.c_void_p).value
        if self.desc.abi_minor < 1 or not func:
            raise PluginError("%s speaks plugin ABI %d.%d: it cannot scan a log (job_scan_log is ABI 1.1)"
                              % (self.path, self.desc.abi_major, self.desc.abi_minor))
        if isinstance(log, str):
            log = log.encode("utf-8")
        options = {"per_line": bool(per_line)}
        if preset is not None:
            options["preset"] = preset
        error = ctypes.c_void_p()
        text = self.desc.job_scan_log(job, log, len(log), json.dumps(options).encode("utf-8"),
                                      ctypes.byref(error))
        if not text:
            raise ValueError(self.take_string(error.value) or "the plugin scanned nothing")
        return json.loads(self.take_string(text))

    def take_string(self, address):
        """A string the plugin returned, as str, handed back to the plugin."""
        if not address:
            return None
        try:
            return ctypes.string_at(address).decode("utf-8")
        finally:
            self.desc.free_string(address)
