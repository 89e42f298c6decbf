#!/usr/bin/env python3
"""bad-executor.py MODE — an executor that breaks the protocol in one way,
for the reliability tests.  Modes:
  no-hello         never says hello
  exit-early       exits 3 before saying hello
  garbage          a frame that is not JSON
  oversized        a length header of 2 GiB
  zero-length      a frame of length 0
  bad-utf8         a frame that is not UTF-8
  truncated        half a frame, then closes the backchannel and lingers
  duplicate-hello  two hellos
  unknown-seq      answers a command with the wrong seq
  progress-flood   200000 progress frames per command, then a good result
  binary-stdout    8 MB of binary junk on stdout per command, then a good result
  wrong-version    a hello for protocol 2
  close-stdin      closes its stdin, then says hello: every command the
                   dispatcher writes meets a pipe with no reader
  compact-ok       says it reads compact frames, checks every command came
                   as one (exits 5 if not), answers with good compact results
  compact-short    answers with a compact result cut before its traceback
  compact-trailing answers with a compact result and one byte more
  compact-flags    answers with a compact result with an unknown flag
"""
import json
import os
import socket
import struct
import sys
import time

mode = sys.argv[1]
sock = socket.socket(fileno=int(os.environ["FARMHAND_BACKCHANNEL_FD"]))


def frame(obj):
    data = json.dumps(obj).encode()
    return struct.pack(">I", len(data)) + data


def hello(protocol=1, compact=None):
    h = {"type": "hello", "protocol": protocol, "pid": os.getpid(), "kind": "bad"}
    if compact is not None:
        h["compact"] = compact
    sock.sendall(frame(h))


def payloads():
    buf = b""
    while True:
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
            chunk = os.read(0, 65536)
            if not chunk:
                return
            buf += chunk
        n = struct.unpack(">I", buf[:4])[0]
        yield buf[4:4 + n]
        buf = buf[4 + n:]


def commands():
    for payload in payloads():
        yield json.loads(payload)


def compact_result(seq, flags=0, tail=b"", cut=0):
    """docs/protocol.md "Compact frames": tag 2, flags, seq, code,
    stderr_lines, traceback length and bytes (@cut bytes fewer)."""
    body = struct.pack(">BBqiII", 2, flags, seq, 0, 0, 0) + tail
    body = body[:len(body) - cut]
    return struct.pack(">I", len(body)) + body


if mode == "no-hello":
    time.sleep(600)
elif mode == "exit-early":
    print("cannot load plugin libbad.so", file=sys.stderr)
    sys.exit(3)
elif mode == "garbage":
    sock.sendall(struct.pack(">I", 9) + b"{not json")
elif mode == "oversized":
    sock.sendall(struct.pack(">I", 2 ** 31) + b"xxxx")
elif mode == "zero-length":
    sock.sendall(struct.pack(">I", 0))
elif mode == "bad-utf8":
    sock.sendall(struct.pack(">I", 6) + b'{"\xff":1}'[:6])
elif mode == "truncated":
    sock.sendall(struct.pack(">I", 100) + b'{"type":')
    sock.close()
    time.sleep(600)
elif mode == "duplicate-hello":
    hello()
    hello()
elif mode == "wrong-version":
    hello(protocol=2)
elif mode == "close-stdin":
    os.close(0)
    hello()
elif mode.startswith("compact-"):
    hello(compact=1)
    for payload in payloads():
        if payload[0] != 1:
            sys.exit(5)
        (seq,) = struct.unpack(">q", payload[2:10])
        if mode == "compact-ok":
            sock.sendall(compact_result(seq, flags=0x02))
        elif mode == "compact-short":
            sock.sendall(compact_result(seq, cut=4))
        elif mode == "compact-trailing":
            sock.sendall(compact_result(seq, tail=b"x"))
        else:
            sock.sendall(compact_result(seq, flags=0x80))
elif mode in ("unknown-seq", "progress-flood", "binary-stdout"):
    hello()
    for cmd in commands():
        seq = cmd["seq"]
        if mode == "unknown-seq":
            seq += 100
        elif mode == "progress-flood":
            burst = b"".join(frame({"type": "progress", "seq": seq, "fraction": (i % 100) / 100})
                             for i in range(1000))
            for _ in range(200):
                sock.sendall(burst)
        else:
            junk = bytes(range(256)) * 4096
            for _ in range(8):
                sys.stdout.buffer.write(junk)
            sys.stdout.buffer.flush()
        sock.sendall(frame({"type": "result", "seq": seq, "status": 0}))
time.sleep(600)
