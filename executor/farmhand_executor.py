#!/usr/bin/env python3
"""farmhand executor for Python: runs dispatcher commands in one persistent
namespace inside whatever interpreter starts it (python3, mayapy, hython,
``blender -b --python farmhand_executor.py``).

Wire protocol (docs/protocol.md): every frame is a 4-byte big-endian length
and that many bytes of UTF-8 JSON.  Commands arrive on stdin; the hello and
one result per command leave on a private backchannel, the socket whose fd
is in FARMHAND_BACKCHANNEL_FD.  stdout and stderr are the job log.

Commands see a ``farmhand`` object: ``farmhand.item`` (the work item: name,
index, frames), ``farmhand.progress(fraction)``, ``farmhand.output(path)``,
``farmhand.log(message)``.

Standard library only; Python 3.7 or newer.
"""

import json
import linecache
import os
import socket
import struct
import sys
import threading
import traceback

PROTOCOL = 1
MAX_FRAME = 16 * 1024 * 1024
PROMPT = "farmhand> "
CONTINUATION = "      ... "


class ProtocolError(Exception):
    """The dispatcher sent something that is not a valid frame."""


class Backchannel(object):
    """Frames to the dispatcher, safe to use from several threads."""

    def __init__(self, sock):
        self._sock = sock
        self._lock = threading.Lock()

    def send(self, message):
        data = json.dumps(message, separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8", "surrogatepass")
        if len(data) > MAX_FRAME:
            raise ValueError("message of %d bytes exceeds the maximum frame "
                             "size of %d" % (len(data), MAX_FRAME))
        with self._lock:
            self._sock.sendall(struct.pack(">I", len(data)) + data)


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
    fd_text = os.environ.pop("FARMHAND_BACKCHANNEL_FD", None)
    if fd_text is None:
        raise SystemExit("farmhand_executor: FARMHAND_BACKCHANNEL_FD is not set: "
                         "this script is started by the farmhand dispatcher")
    try:
        fd = int(fd_text)
        sock = socket.socket(fileno=fd)
    except (ValueError, OSError) as e:
        raise SystemExit("farmhand_executor: FARMHAND_BACKCHANNEL_FD=%s is not an "
                         "open socket: %s" % (fd_text, e))
    # Commands and the processes they start must never hold it.
    os.set_inheritable(fd, False)
    return sock


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
        self._fd = fd
        self._buf = bytearray()
        self.count = 0

    def _fill(self):
        chunk = os.read(self._fd, 65536)
        self._buf += chunk
        return bool(chunk)

    def next(self):
        """The next frame's JSON object, or None at the end of the stream."""
        while len(self._buf) < 4:
            if not self._fill():
                if self._buf:
                    raise ProtocolError("stream ended inside the header of frame %d"
                                        % (self.count + 1))
                return None
        (length,) = struct.unpack(">I", bytes(self._buf[:4]))
        if length == 0:
            raise ProtocolError("frame %d has length 0" % (self.count + 1))
        if length > MAX_FRAME:
            raise ProtocolError("frame %d declares %d bytes, more than the maximum "
                                "of %d" % (self.count + 1, length, MAX_FRAME))
        while len(self._buf) < 4 + length:
            if not self._fill():
                raise ProtocolError("stream ended inside frame %d: %d of %d payload "
                                    "bytes received" % (self.count + 1,
                                                        len(self._buf) - 4, length))
        payload = bytes(self._buf[4:4 + length])
        del self._buf[:4 + length]
        self.count += 1
        try:
            message = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolError("frame %d is not UTF-8 JSON: %s" % (self.count, e))
        if (not isinstance(message, dict) or message.get("type") != "command"
                or not isinstance(message.get("seq"), int)
                or not isinstance(message.get("command"), str)):
            raise ProtocolError("frame %d is not a command message" % self.count)
        return message


def flush_output():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # an application's replacement stream may refuse
            pass


def echo(command):
    # Split on "\n" only: the dispatcher predicts these lines to tell the
    # echo from the command's output.
    lines = command.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    text = PROMPT + lines[0] + "\n" + "".join(CONTINUATION + l + "\n" for l in lines[1:])
    try:
        sys.stdout.write(text)
    except Exception:
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

    def __init__(self, channel):
        self.channel = channel
        self.farmhand = Farmhand(channel)
        self.namespace = {"__name__": "__main__", "__builtins__": __builtins__,
                          "farmhand": self.farmhand}

    def _traceback(self, filename):
        etype, value, tb = sys.exc_info()
        # Drop our own frame (the exec call) so the traceback starts at the
        # command, as it would in an interactive session.
        if tb is not None and tb.tb_frame.f_code.co_filename == __file__:
            tb = tb.tb_next
        try:
            return "".join(traceback.format_exception(etype, value, tb))
        finally:
            linecache.cache.pop(filename, None)

    def run(self, message):
        """Runs one command.  Returns an exit code when the command ended
        the session (sys.exit), else None."""
        seq, command = message["seq"], message["command"]
        self.farmhand.seq = seq
        self.farmhand.phase = message.get("phase")
        self.farmhand.item = message.get("item")
        item = message.get("item")
        # Tracebacks name what ran: "<farmhand item 1-4>", "<farmhand setup 1>".
        if isinstance(item, dict) and "name" in item:
            filename = "<farmhand item %s>" % item["name"]
        else:
            filename = "<farmhand %s %d>" % (message.get("phase"), seq)
        # Register the source so tracebacks can quote the failing line.
        linecache.cache[filename] = (len(command), None,
                                     command.splitlines(True), filename)
        echo(command)
        flush_output()
        result = {"type": "result", "seq": seq, "status": 0}
        exit_code = None
        try:
            exec(compile(command, filename, "exec"), self.namespace)
        except SystemExit as e:
            exit_code = exit_code_of(e)
            if exit_code != 0:
                result.update(status=1, traceback="SystemExit: %d" % exit_code)
            result["code"] = exit_code
        except BaseException:
            tb = self._traceback(filename)
            result.update(status=1, traceback=tb)
            try:
                sys.stderr.write(tb)
            except Exception:
                pass
        linecache.cache.pop(filename, None)
        flush_output()
        self.channel.send(result)
        return exit_code


def main():
    try:
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(line_buffering=True)
    except Exception:
        pass
    sock = open_backchannel()
    channel = Backchannel(sock)
    reader = FrameReader(take_stdin())
    channel.send({"type": "hello", "protocol": PROTOCOL, "pid": os.getpid(),
                  "kind": "python", "echo": True, "python": sys.version.split()[0],
                  "executable": sys.executable})
    session = Session(channel)
    while True:
        try:
            message = reader.next()
        except ProtocolError as e:
            sys.stderr.write("farmhand_executor: protocol error: %s\n" % e)
            flush_output()
            return 2
        if message is None:
            return 0
        code = session.run(message)
        if code is not None:
            return code


if __name__ == "__main__":
    sys.exit(main())
