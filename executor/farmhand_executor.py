#!/usr/bin/env python3
"""farmhand executor for Python: runs dispatcher commands in one persistent
namespace inside whatever interpreter starts it (python3, mayapy, hython,
``blender -b --python farmhand_executor.py``).

Wire protocol (docs/protocol.md): every frame is a 4-byte big-endian length
and that many bytes of UTF-8 JSON, or of a compact command or result (binary
fields, once the hello asked for them).  Commands arrive on stdin; the hello and
one result per command leave on a private backchannel, the socket whose fd
is in FARMHAND_BACKCHANNEL_FD.  stdout and stderr are the job log.

Behind a transport (sudo, ssh, a container: the job's executor.via) the
channel is stdio: frames come in on stdin and go out on stdout, what
commands print comes back as "stream" frames, and interrupt, terminate and
kill arrive as "signal" frames that we carry out on our own process group
(StdioChannel, Pump).  With nothing installed on the far side, a loader in
``python3 -c`` reads this file from stdin first and calls main("stdio").

Commands see a ``farmhand`` object: ``farmhand.item`` (the work item: name,
index, frames), ``farmhand.progress(fraction)``, ``farmhand.output(path)``,
``farmhand.log(message)``.

Standard library only; Python 3.7 or newer.
"""

import codecs
import fcntl
import json
import linecache
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import types

# The names and bytes of the wire besides its frames, as common/fh-wire.h
# spells them (tests/test-schemas.py checks that they agree).
ENV_BACKCHANNEL_FD = "FARMHAND_BACKCHANNEL_FD"
ENV_BACKCHANNEL_PATH = "FARMHAND_BACKCHANNEL_PATH"
ENV_BACKCHANNEL_TOKEN = "FARMHAND_BACKCHANNEL_TOKEN"
SENTINEL = b"FARMHAND-CHANNEL-1"

PROTOCOL = 1
MAX_FRAME = 16 * 1024 * 1024
# Compact frames (docs/protocol.md "Compact frames"): a command and its
# result as binary fields, big-endian, told from JSON by the first byte.
COMPACT_VERSION = 1
COMPACT_COMMAND = 0x01
COMPACT_RESULT = 0x02
RESULT_FAILED = 0x01
RESULT_HAS_CODE = 0x02
RESULT_FINAL = 0x04
ITEM_PRESENT = 0x01
ITEM_HAS_INDEX = 0x02
ITEM_HAS_NAME = 0x04
ITEM_HAS_FRAMES = 0x08
ITEM_ALL = ITEM_PRESENT | ITEM_HAS_INDEX | ITEM_HAS_NAME | ITEM_HAS_FRAMES
U32 = struct.Struct(">I")
I64 = struct.Struct(">q")
PHASES = ("setup", "agenda", "teardown")
COMMAND_HEAD = struct.Struct(">BBqI")       # tag, phase, seq, command length
RESULT_FRAME = struct.Struct(">IBBqiII")    # frame length, tag, flags, seq, code,
                                            # stderr_lines, traceback length
# One encoder and decoder for every frame: json.dumps() with options builds
# a new encoder per call, which costs a no-op command a tenth of its time.
ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
DECODER = json.JSONDecoder()


class ProtocolError(Exception):
    """The dispatcher sent something that is not a valid frame."""


class Interrupts(object):
    """SIGINT (the dispatcher's interrupt, sent to our process group)
    raises KeyboardInterrupt in the running command, except while held:
    from the moment a command has finished until its result is out, and
    while a frame is being sent.  Then it is only noted, so a frame is never
    cut in half and a finished command is never left unanswered; one that
    arrives after the command finished has nothing left to interrupt and is
    dropped.  Python-level, not pthread_sigmask(): this costs no system
    call per command.  The handler runs in the main thread only."""

    held = False
    noted = False
    main = threading.get_ident()

    @classmethod
    def handler(cls, signum, frame):
        if cls.held:
            cls.noted = True
            return
        raise KeyboardInterrupt

    @classmethod
    def hold(cls):
        """Holds interrupts in the main thread; returns the previous state."""
        if threading.get_ident() != cls.main:
            return None
        was, cls.held = cls.held, True
        return was

    @classmethod
    def restore(cls, was):
        """Back to the state hold() returned; an interrupt noted meanwhile
        is raised now if that state lets it through (a command that sent
        progress is still interruptible)."""
        if was is None:
            return
        cls.held = was
        if not was and cls.noted:
            cls.noted = False
            raise KeyboardInterrupt

    @classmethod
    def release(cls):
        """Lets interrupts through again; drops one noted meanwhile."""
        if threading.get_ident() == cls.main:
            cls.held = cls.noted = False


def write_all(fd, data):
    """os.write() until all of @data is out."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Backchannel(object):
    """Frames to the dispatcher, safe to use from several threads: on the
    backchannel socket, or (stdio channel) our original stdout."""

    def __init__(self, sock=None, fd=None):
        self._write = sock.sendall if sock is not None else lambda data: write_all(fd, data)
        self._lock = threading.Lock()

    def send(self, message):
        data = ENCODER.encode(message).encode("utf-8", "surrogatepass")
        if len(data) > MAX_FRAME:
            raise ValueError("message of %d bytes exceeds the maximum frame "
                             "size of %d" % (len(data), MAX_FRAME))
        self._send_frame(len(data).to_bytes(4, "big") + data)

    def send_result(self, seq, outcome, compact):
        """The result of command @seq, as a compact frame when the command
        came as one.  @outcome: its status, traceback, code and final when
        they are not a plain success's.  The caller holds interrupts."""
        if not compact:
            result = {"type": "result", "seq": seq, "status": 0}
            result.update(outcome)
            return self.send(result)
        if not outcome:
            return self._send_frame(RESULT_FRAME.pack(RESULT_FRAME.size - 4, COMPACT_RESULT, 0,
                                                      seq, 0, 0, 0), held=True)
        tb = outcome.get("traceback", "").encode("utf-8", "surrogatepass")
        if RESULT_FRAME.size - 4 + len(tb) > MAX_FRAME:
            tb = tb[:MAX_FRAME - RESULT_FRAME.size].decode("utf-8", "ignore").encode("utf-8")
        code = outcome.get("code")
        if code is not None and not -2**31 <= code < 2**31:
            code = 1
        flags = ((RESULT_FAILED if outcome.get("status") else 0) |
                 (RESULT_HAS_CODE if code is not None else 0) |
                 (RESULT_FINAL if outcome.get("final") else 0))
        self._send_frame(RESULT_FRAME.pack(RESULT_FRAME.size - 4 + len(tb), COMPACT_RESULT, flags,
                                           seq, code or 0, 0, len(tb)) + tb, held=True)

    def _send_frame(self, frame, held=False):
        if held:    # (by the caller: Session.run holds them until its result is out)
            with self._lock:
                self._write(frame)
            return
        # An interrupt must not land in the middle of a frame.
        was = Interrupts.hold()
        try:
            with self._lock:
                self._write(frame)
        finally:
            Interrupts.restore(was)


class Farmhand(object):
    """The ``farmhand`` object commands see in their namespace."""

    def __init__(self, channel):
        self._channel = channel
        self.seq = 0
        self.phase = None
        self.item = None

    def progress(self, fraction):
        """Report progress of the running item, 0.0 to 1.0."""
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("progress must be from 0 to 1, not %r" % fraction)
        self._channel.send({"type": "progress", "seq": self.seq,
                            "fraction": fraction})

    def output(self, path):
        """Declare an output file of the running item."""
        self._channel.send({"type": "output", "seq": self.seq,
                            "path": os.fspath(path)})

    def log(self, message):
        """A note in the job log, from farmhand's side of the log."""
        self._channel.send({"type": "log", "seq": self.seq,
                            "message": str(message)})


def open_backchannel():
    """The inherited socket (FARMHAND_BACKCHANNEL_FD), or, for applications
    that close inherited fds, the socket at FARMHAND_BACKCHANNEL_PATH with
    the token from FARMHAND_BACKCHANNEL_TOKEN.  Returns (socket, token)."""
    fd_text = os.environ.pop(ENV_BACKCHANNEL_FD, None)
    path = os.environ.pop(ENV_BACKCHANNEL_PATH, None)
    token = os.environ.pop(ENV_BACKCHANNEL_TOKEN, None)
    if fd_text is not None:
        try:
            sock = socket.socket(fileno=int(fd_text))
        except (ValueError, OSError) as e:
            raise SystemExit("farmhand_executor: " + ENV_BACKCHANNEL_FD + "=%s is not an "
                             "open socket: %s" % (fd_text, e))
        token = None
    elif path is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except OSError as e:
            raise SystemExit("farmhand_executor: cannot connect to the backchannel "
                             "%s: %s" % (path, e))
    else:
        raise SystemExit("farmhand_executor: neither " + ENV_BACKCHANNEL_FD + " nor " +
                         ENV_BACKCHANNEL_PATH + " is set: this script is started by "
                         "the farmhand dispatcher")
    # Commands and the processes they start must never hold it.
    os.set_inheritable(sock.fileno(), False)
    return sock, token


# ---- the process tree ------------------------------------------------------
# Everything a command starts stays in our process group unless it leaves
# (setsid); what leaves and is orphaned comes back to us as the child
# subreaper.  So we can always end what we started.

def become_subreaper():
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except Exception:  # not Linux, or no ctypes: best effort
        pass


def parent_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def ancestors():
    """Our parent, its parent, ...: a wrapper that started us (`sh -c`)
    may share our process group, and is not ours to end."""
    out, pid = set(), os.getppid()
    while pid > 1 and pid not in out:
        out.add(pid)
        pid = parent_of(pid)
    return out


def our_tree():
    """Pids in our process group or adopted by us, other than ourselves
    and our ancestors."""
    me, group = os.getpid(), os.getpgrp()
    skip = ancestors() | {me}
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit() or int(entry) in skip:
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, ppid, pgrp = fields[0], int(fields[1]), int(fields[2])
        if state != "Z" and (pgrp == group or ppid == me):
            found.append(int(entry))
    return found


def end_tree(grace=2.0):
    """SIGTERM, then SIGKILL after @grace, to what our_tree() finds."""
    deadline = time.monotonic() + grace
    sig = signal.SIGTERM
    while True:
        pids = our_tree()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        if time.monotonic() >= deadline:
            if sig == signal.SIGKILL:
                return
            sig, deadline = signal.SIGKILL, time.monotonic() + 2.0
        time.sleep(0.02)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass


def on_sigterm(signum, frame):
    end_tree()
    os._exit(128 + signum)


def watch_dispatcher(sock):
    """The dispatcher never writes to the backchannel: when it becomes
    readable the dispatcher is gone.  A thread, because the main thread may
    be deep in a command; poll() blocks, nothing spins."""
    def watch():
        # The kernel hands a process-directed signal to any thread that does
        # not block it; SIGINT must reach the main thread, or its blocking
        # call is not interrupted and no KeyboardInterrupt happens.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        p = select.poll()
        p.register(sock.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
        while True:
            try:
                if p.poll():
                    break
            except InterruptedError:
                continue
        end_tree(grace=1.0)
        os._exit(128 + signal.SIGHUP)
    t = threading.Thread(target=watch, name="farmhand-watchdog", daemon=True)
    t.start()


def take_stdin():
    """Keep the command stream on a private fd; give fd 0 /dev/null so that
    neither commands nor their subprocesses can swallow frames."""
    private = os.dup(0)
    os.set_inheritable(private, False)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    try:
        sys.stdin = open(os.devnull, "r")
    except OSError:
        pass
    return private


class FrameReader(object):
    """Length-prefixed frames from a file descriptor."""

    def __init__(self, fd):
        self.fd = fd
        self._buf = bytearray()
        self.count = 0

    def fill(self):
        """One read; False at the end of the stream."""
        chunk = os.read(self.fd, 65536)
        self._buf += chunk
        return bool(chunk)

    def _length(self):
        length = int.from_bytes(self._buf[:4], "big")
        if length == 0:
            raise ProtocolError("frame %d has length 0" % (self.count + 1))
        if length > MAX_FRAME:
            raise ProtocolError("frame %d declares %d bytes, more than the maximum "
                                "of %d" % (self.count + 1, length, MAX_FRAME))
        return length

    def pop(self):
        """The next whole frame in the buffer (a dict with a "type"), or
        None when there is none yet."""
        buf = self._buf
        if len(buf) < 4:
            return None
        length = U32.unpack_from(buf)[0]
        if not 0 < length <= MAX_FRAME:
            self._length()      # (says which)
        end = 4 + length
        if len(buf) < end:
            return None
        payload = bytes(buf[4:end])
        del buf[:end]
        self.count += 1
        if payload[0] == COMPACT_COMMAND:
            return decode_compact_command(payload, self.count)
        try:
            message = DECODER.decode(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolError("frame %d is not UTF-8 JSON: %s" % (self.count, e))
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise ProtocolError("frame %d is not a message" % self.count)
        return message

    def next_frame(self):
        """The next frame's JSON object, or None at the end of the stream."""
        while True:
            message = self.pop()
            if message is not None:
                return message
            if not self.fill():
                if not self._buf:
                    return None
                if len(self._buf) < 4:
                    raise ProtocolError("stream ended inside the header of frame %d"
                                        % (self.count + 1))
                raise ProtocolError("stream ended inside frame %d: %d of %d payload "
                                    "bytes received" % (self.count + 1,
                                                        len(self._buf) - 4, self._length()))

    def next(self):
        """The next command, or None at the end of the stream."""
        message = self.next_frame()
        # (A compact command was checked field by field as it was decoded.)
        if message is not None and "compact" not in message:
            check_command(message, self.count)
        return message


def compact_text(raw, size):
    """The UTF-8 text of a field that should be @size bytes long."""
    if len(raw) != size:
        raise struct.error()
    if 0 in raw:        # (b"\0" in raw would raise and clear a TypeError first)
        raise UnicodeDecodeError("utf-8", raw, 0, 1, "a NUL byte")
    return raw.decode("utf-8")


def decode_compact_command(payload, count):
    """A compact command frame as the dict its JSON form would be, every
    field checked as the C decoder (common/fh-message-compact.c) does."""
    field = "command"
    try:
        _, phase, seq, size = COMMAND_HEAD.unpack_from(payload)
        at = COMMAND_HEAD.size + size
        command = compact_text(payload[COMMAND_HEAD.size:at], size)
        field = "item"
        flags = payload[at]
        at += 1
        item = None
        if flags:
            if flags & ~ITEM_ALL or not flags & ITEM_PRESENT:
                raise ValueError("unknown item flags 0x%02x" % flags)
            item = {}
            if flags & ITEM_HAS_INDEX:
                field = "item.index"
                index = item["index"] = I64.unpack_from(payload, at)[0]
                at += 8
                if index < 0:
                    raise ValueError("a negative item.index")
            if flags & ITEM_HAS_NAME:
                field = "item.name"
                size = U32.unpack_from(payload, at)[0]
                at += 4 + size
                item["name"] = compact_text(payload[at - size:at], size)
            if flags & ITEM_HAS_FRAMES:
                field = "item.frames"
                n = U32.unpack_from(payload, at)[0]
                if len(payload) - at - 4 < 8 * n:
                    raise struct.error(field)
                item["frames"] = ([I64.unpack_from(payload, at + 4)[0]] if n == 1 else
                                  list(struct.unpack_from(">%dq" % n, payload, at + 4)))
                at += 4 + 8 * n
        if phase >= len(PHASES) or seq < 1:
            raise ValueError("phase %d or seq %d out of range" % (phase, seq))
        if at != len(payload):
            raise ValueError("%d bytes after its last field" % (len(payload) - at))
    except (struct.error, IndexError):
        raise ProtocolError("frame %d: compact 'command' frame: field '%s' runs past the end "
                            "of the frame" % (count, field))
    except UnicodeDecodeError:
        raise ProtocolError("frame %d: compact 'command' frame: field '%s' must be UTF-8 "
                            "text without NUL bytes" % (count, field))
    except ValueError as e:
        raise ProtocolError("frame %d: compact 'command' frame: %s" % (count, e))
    return {"type": "command", "seq": seq, "phase": PHASES[phase], "command": command,
            "item": item, "compact": True}


def check_command(message, count):
    """A command, or the dispatcher's last word: exit with a code."""
    if message.get("type") == "exit":
        code = message.get("code")
        if not isinstance(code, int) or isinstance(code, bool) or not 0 <= code <= 255:
            raise ProtocolError("frame %d: an exit message's code must be 0 to 255" % count)
        return
    if (message.get("type") != "command" or not isinstance(message.get("seq"), int)
            or not isinstance(message.get("command"), str)):
        raise ProtocolError("frame %d is not a command message" % count)


# How many command texts a session keeps compiled (Session._compile).
COMPILED_KEPT = 64
ANONYMOUS = {"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "<lambda>"}


def flush_output():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # an application's replacement stream may refuse
            pass


def exit_code_of(exc):
    """What sys.exit(x) would make the process exit with."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        sys.stderr.write("%s\n" % (code,))
    except Exception:
        pass
    return 1


class Session(object):
    """One persistent namespace; runs commands and reports their results."""

    def __init__(self, channel, pump=None):
        self.channel = channel
        self.pump = pump            # the stdio channel's, or None
        self.farmhand = Farmhand(channel)
        self.namespace = {"__name__": "__main__", "__builtins__": __builtins__,
                          "farmhand": self.farmhand}
        self._compiled = {}     # command text -> its code, see _compile()

    def _compile(self, command, filename):
        """The command's code, named @filename.  A job whose items all run
        the same text (``render(farmhand.item)``) compiles it once: that
        costs a short command half of its time here.  Only code without
        code inside it is kept (a renamed copy names every frame it can
        run), and only the last COMPILED_KEPT texts, so memory stays
        bounded however many different commands a job sends.
        Returns (code, whether it defines a function or a class that later
        commands may call — whose tracebacks will then quote this source)."""
        code = self._compiled.get(command)
        if code is not None:
            return code.replace(co_filename=filename), False
        code = compile(command, filename, "exec")
        inner = [c for c in code.co_consts if isinstance(c, types.CodeType)]
        # (code.replace() is Python 3.8's: 3.7 compiles every time.)
        if not inner and hasattr(code, "replace"):
            if len(self._compiled) >= COMPILED_KEPT:
                del self._compiled[next(iter(self._compiled))]
            self._compiled[command] = code
        return code, any(c.co_name not in ANONYMOUS for c in inner)

    @staticmethod
    def _remember_source(filename, command):
        linecache.cache[filename] = (len(command), None, command.splitlines(True), filename)

    def _traceback(self):
        etype, value, tb = sys.exc_info()
        # Drop our own frames — the exec call at the top, the SIGINT handler
        # at the bottom — so the traceback starts at the command, as in an
        # interactive session, and ends where it was interrupted.
        te = traceback.TracebackException(etype, value, tb)
        while te.stack and te.stack[0].filename == __file__:
            te.stack.pop(0)
        while te.stack and te.stack[-1].filename == __file__:
            te.stack.pop()
        return "".join(te.format())

    def run(self, message):
        """Runs one command.  Returns an exit code when the command ended
        the session (sys.exit), else None."""
        seq, command = message["seq"], message["command"]
        phase, item = message.get("phase"), message.get("item")
        fh = self.farmhand
        fh.seq, fh.phase, fh.item = seq, phase, item
        # Tracebacks name what ran: "<farmhand item 1-4>", "<farmhand setup 1>".
        if isinstance(item, dict) and "name" in item:
            filename = "<farmhand item %s>" % item["name"]
        else:
            filename = "<farmhand %s %d>" % (phase, seq)
        # Register the source so tracebacks can quote the failing line: for
        # good when later commands may call into it (setup, or any command
        # that defines a function or class), else only when it fails.
        transient = phase == "agenda"
        if not transient:
            self._remember_source(filename, command)
        outcome = {}    # the result's fields besides its seq, when not a plain success
        exit_code = remembered = None
        if self.pump is not None:
            self.pump.begin()
        try:
            try:
                code, defines = self._compile(command, filename)
                if transient and defines:
                    transient = False
                    self._remember_source(filename, command)
                # (Output of earlier commands went out with their results.)
                exec(code, self.namespace)
                # From here to the result going out, an interrupt must not
                # cut in (it would leave the command unanswered).
                Interrupts.hold()
            except SystemExit as e:
                Interrupts.hold()
                exit_code = exit_code_of(e)
                if exit_code != 0:
                    outcome.update(status=1, traceback="SystemExit: %d" % exit_code)
                outcome["code"] = exit_code
                # The session ends with this command: the dispatcher must
                # send the next one to a new executor.
                outcome["final"] = True
            except BaseException:
                Interrupts.hold()
                if transient:
                    self._remember_source(filename, command)
                    remembered = filename
                tb = self._traceback()
                outcome.update(status=1, traceback=tb)
                try:
                    sys.stderr.write(tb)
                except Exception:
                    pass
        except KeyboardInterrupt:
            # A second interrupt while the first was being handled.
            Interrupts.hold()
            outcome.update(status=1, traceback="KeyboardInterrupt (interrupted while "
                                               "reporting an earlier failure)\n")
        if remembered is not None:      # for its traceback only
            linecache.cache.pop(remembered, None)
        flush_output()
        if self.pump is not None:
            # Everything the command printed goes out before its result.
            self.pump.end()
        try:
            self.channel.send_result(seq, outcome, message.get("compact", False))
        finally:
            Interrupts.release()
        return exit_code


# ---- the stdio channel -----------------------------------------------------



def open_stdio():
    """Moves the channel off fds 0 and 1 before any command runs: stdin
    becomes /dev/null, stdout and stderr pipes of ours (their data goes back
    as stream frames), so nothing a command or its children do can write
    on the channel or swallow frames.  The transport's stderr is kept for
    our own last words.  Returns (in, out, stdout_r, stderr_r, diag)."""
    ch_in, ch_out, diag = os.dup(0), os.dup(1), os.dup(2)   # not inheritable
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    pipes = []
    for fd in (1, 2):
        r, w = os.pipe()
        os.dup2(w, fd)
        os.close(w)
        os.set_blocking(r, False)
        pipes.append(r)
    try:
        sys.stdin = open(os.devnull, "r")
    except OSError:
        pass
    return ch_in, ch_out, pipes[0], pipes[1], diag


def die(diag, message, code=1):
    """Before the channel is open only the transport's stderr can say why."""
    try:
        write_all(diag, ("farmhand_executor: %s\n" % message).encode("utf-8", "replace"))
    except OSError:
        pass
    os._exit(code)


def enter_channel(reader, diag):
    """The dispatcher's first frame: the token to answer with, the job's
    environment and directory (they do not cross sudo or ssh)."""
    try:
        first = reader.next_frame()
    except ProtocolError as e:
        die(diag, "protocol error in the channel frame: %s" % e, 2)
    if first is None:
        die(diag, "stdin ended before the dispatcher's channel frame: this program is started "
                  "by the farmhand dispatcher (directly, or through a transport)", 2)
    if first.get("type") != "channel" or not isinstance(first.get("token"), str):
        die(diag, "the dispatcher's first frame is not a channel frame", 2)
    env = first.get("env") or {}
    for name, value in env.items():
        os.environ[name] = value
    cwd = first.get("cwd")
    if cwd:
        try:
            os.chdir(cwd)
        except OSError as e:
            die(diag, "cannot change to the job's directory %s on %s: %s"
                % (cwd, socket.gethostname(), e.strerror))
    try:
        os.setpgid(0, 0)   # our own group, for signal frames (EPERM: we lead a session)
    except OSError:
        pass
    return first


def whoami():
    try:
        import pwd
        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return str(os.getuid())


# fcntl's F_SETOWN_EX with F_OWNER_TID (linux/fcntl.h): SIGIO for an fd
# goes to one thread.
F_SETOWN_EX, F_OWNER_TID = 15, 0


class Pump(object):
    """A thread for what the main thread cannot watch while a command runs:
    the commands' stdout and stderr pipes (sent on as stream frames) and,
    during a command, the channel's input (signal and heartbeat frames).
    Between commands the main thread reads the channel; the switch happens
    under a lock, so no frame is read twice or lost.

    The thread sleeps in sigtimedwait(): the pipes and, during a command,
    the channel raise SIGIO at it (O_ASYNC, owned by its thread id), so
    switching the channel's watch on and off costs the main thread one
    fcntl() and wakes nobody — a wake-up per command, with the GIL handed
    over twice, is what a round trip would otherwise pay.  Without
    F_SETOWN_EX (Python < 3.8, not Linux) it selects, with a pipe to wake
    it when a command starts."""

    def __init__(self, channel, reader, out_r, err_r, heartbeat_s):
        self.channel = channel
        self.reader = reader
        self.streams = {out_r: ("stdout", codecs.getincrementaldecoder("utf-8")("replace")),
                        err_r: ("stderr", codecs.getincrementaldecoder("utf-8")("replace"))}
        self.io_lock = threading.Lock()      # pipe reads, so chunks keep their order
        self.in_lock = threading.Lock()      # the channel's input
        self.running = False
        self.last_in = time.monotonic()
        self.limit = max(10.0, 10.0 * float(heartbeat_s or 1))
        self.wake_r = self.wake_w = None
        self.sigio = False
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), name="farmhand-pump", daemon=True)
        self.thread.start()
        ready.wait()

    @staticmethod
    def _set_async(fd, on, flags=None):
        if flags is None:
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_ASYNC if on else flags & ~os.O_ASYNC)

    def _take_sigio(self):
        """In the pump's thread: SIGIO of the pipes and the channel to it."""
        try:
            me = struct.pack("ii", F_OWNER_TID, threading.get_native_id())
            for fd in list(self.streams) + [self.reader.fd]:
                fcntl.fcntl(fd, F_SETOWN_EX, me)
            for fd in self.streams:
                self._set_async(fd, True)
            # The channel's flags once: switching its watch is one call.
            self.in_flags = fcntl.fcntl(self.reader.fd, fcntl.F_GETFL)
            return True
        except (AttributeError, OSError):
            self.wake_r, self.wake_w = os.pipe()
            return False

    def begin(self):
        with self.in_lock:
            self.running = True
            self.last_in = time.monotonic()
            if self.sigio:
                # A frame that came before the watch was on raises no SIGIO;
                # the pump's once-a-second look finds it.
                self._set_async(self.reader.fd, True, self.in_flags)
        if not self.sigio:
            os.write(self.wake_w, b"x")

    def end(self):
        with self.in_lock:
            self.running = False
            if self.sigio:
                self._set_async(self.reader.fd, False, self.in_flags)
        self.drain()

    def drain(self):
        with self.io_lock:
            for fd in self.streams:
                self._read(fd)

    def _read(self, fd):
        name, decoder = self.streams[fd]
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return
            # NUL as the dispatcher's own pipes would show it (and JSON
            # strings cannot carry it to a C reader).
            text = decoder.decode(chunk, final=not chunk).replace("\0", "\ufffd")
            if text:
                self.channel.send({"type": "stream", "stream": name, "data": text})
            if len(chunk) < 65536:
                return

    def _gone(self, why):
        """The dispatcher is gone (or wants us gone): end everything."""
        end_tree(grace=1.0)
        os._exit(128 + signal.SIGHUP)

    def _signal(self, message):
        what = message.get("signal")
        if what == "interrupt":
            os.killpg(os.getpgrp(), signal.SIGURG)
            os.killpg(os.getpgrp(), signal.SIGINT)
        elif what == "terminate":
            end_tree()
            os._exit(128 + signal.SIGTERM)
        elif what == "kill":
            # As pid 1 of a namespace (bwrap) SIGKILL from inside does not
            # reach us: exit as well.
            try:
                os.killpg(os.getpgrp(), signal.SIGKILL)
            finally:
                os._exit(128 + signal.SIGKILL)

    def _take_input(self):
        """Reads the channel while a command runs; False at its end."""
        with self.in_lock:
            # The main thread may have read what woke us (between commands).
            if not self.running or not select.select([self.reader.fd], [], [], 0)[0]:
                return True
            if not self.reader.fill():
                return False
            self.last_in = time.monotonic()
            while True:
                message = self.reader.pop()
                if message is None:
                    return True
                if message.get("type") == "signal":
                    self._signal(message)
                elif message.get("type") != "heartbeat":
                    raise ProtocolError("a '%s' frame while a command runs"
                                        % message.get("type"))

    def _wait(self):
        """Until something may have happened; the fds that may be ready."""
        if self.sigio:
            # Once a second at most: the heartbeat's clock.
            signal.sigtimedwait({signal.SIGIO}, 1.0)
            return list(self.streams) + [self.reader.fd]
        fds = list(self.streams) + [self.wake_r] + ([self.reader.fd] if self.running else [])
        ready = select.select(fds, [], [], 1.0 if self.running else None)[0]
        if self.wake_r in ready:
            os.read(self.wake_r, 512)
        return ready

    def _run(self, ready):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGURG,
                                                  signal.SIGIO})
        self.sigio = self._take_sigio()
        ready.set()
        try:
            while True:
                fds = self._wait()
                with self.io_lock:
                    for fd in fds:
                        if fd in self.streams:
                            self._read(fd)
                if self.reader.fd in fds and not self._take_input():
                    self._gone("end of the channel")
                if self.running and time.monotonic() - self.last_in > self.limit:
                    self._gone("no heartbeat for %g s" % self.limit)
        except (OSError, ProtocolError):
            self._gone("the channel broke")


def next_message(reader):
    """The next command, ignoring interrupts that arrive between commands
    (SIGINT to the process group when nothing is running)."""
    while True:
        try:
            return reader.next()
        except KeyboardInterrupt:
            continue


def next_command(reader):
    """The stdio channel's next command: heartbeats and interrupts between
    commands have nothing to act on; terminate and kill end us."""
    while True:
        message = next_message_frame(reader)
        if message is None or message.get("type") in ("command", "exit"):
            if message is not None:
                check_command(message, reader.count)
            return message
        if message.get("type") == "signal" and message.get("signal") in ("terminate", "kill"):
            end_tree()
            os._exit(128 + signal.SIGTERM)
        if message.get("type") not in ("signal", "heartbeat"):
            raise ProtocolError("frame %d is a '%s' frame" % (reader.count, message.get("type")))


def next_message_frame(reader):
    while True:
        try:
            return reader.next_frame()
        except KeyboardInterrupt:
            continue


def start_stdio():
    """The stdio channel: returns (channel, reader, pump)."""
    ch_in, ch_out, out_r, err_r, diag = open_stdio()
    reader = FrameReader(ch_in)
    first = enter_channel(reader, diag)
    channel = Backchannel(fd=ch_out)
    # The sentinel line opens the channel: what the transport printed
    # before it (banners, MOTDs) is log text for the dispatcher.
    write_all(ch_out, b"\n" + SENTINEL + b" " + first["token"].encode("ascii", "replace") + b"\n")
    return channel, reader, Pump(channel, reader, out_r, err_r, first.get("heartbeat_s"))


def main(channel=None):
    try:
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(line_buffering=True)
    except Exception:
        pass
    pump = token = None
    # No backchannel in the environment: behind a transport (this file
    # installed on the far side, the job's remote_executor) or bootstrapped.
    if channel is None and not ({ENV_BACKCHANNEL_FD, ENV_BACKCHANNEL_PATH} & set(os.environ)):
        channel = "stdio"
    if channel == "stdio":
        channel, reader, pump = start_stdio()
    else:
        sock, token = open_backchannel()
        channel = Backchannel(sock)
        reader = FrameReader(take_stdin())
    become_subreaper()
    # Embedded interpreters (Blender, Maya) may leave SIGINT to the
    # application: interrupting a command must raise KeyboardInterrupt.
    signal.signal(signal.SIGINT, Interrupts.handler)
    signal.signal(signal.SIGTERM, on_sigterm)
    if pump is None:
        watch_dispatcher(sock)
    # The dispatcher echoes each command into the log ("farmhand> ...")
    # before sending it: cheaper there than a write per command here.
    hello = {"type": "hello", "protocol": PROTOCOL, "pid": os.getpid(),
             "kind": "python", "echo": False, "python": sys.version.split()[0],
             "executable": sys.executable, "user": whoami(), "host": socket.gethostname(),
             "compact": COMPACT_VERSION}
    if token is not None:
        hello["token"] = token
    channel.send(hello)
    session = Session(channel, pump)
    code = 0
    while True:
        try:
            message = next_command(reader) if pump is not None else next_message(reader)
        except ProtocolError as e:
            sys.stderr.write("farmhand_executor: protocol error: %s\n" % e)
            flush_output()
            code = 2
            break
        if message is None:
            break
        if message.get("type") == "exit":
            # Asked to end cleanly with the code its host suggested.
            code = message["code"]
            break
        try:
            code = session.run(message)
        except KeyboardInterrupt:
            # Arrived just after the result went out (SIGINT is held while
            # a frame is sent): nothing is running any more.
            code = None
        if code is not None:
            break
        code = 0
    # What the commands left running in the background goes with us.
    end_tree()
    if pump is not None:
        flush_output()
        pump.drain()
    return code


if __name__ == "__main__":
    sys.exit(main())
