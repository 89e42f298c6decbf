#!/usr/bin/python3
"""peers.py — the round trip of a no-op Python command through farmhand's
peers, measured the way each is meant to be used, on the same interpreter
(run this with /usr/bin/python3: Debian's python3-execnet and
python3-mitogen belong to it).

  peers.py execnet  [-n N] [--samples FILE]   channel: send the command, remote exec()s it
                                              in a persistent namespace, sends 0 back
  peers.py execnet-remote-exec [...]          gateway.remote_exec(source) per command
  peers.py mitogen  [...]                     context.call(run_command, source)
  peers.py pingpong --via JSON [...]          a byte to `cat` behind the transport and back:
                                              the transport's own limit
  peers.py mitogen --transport T [...]        the same context.call, through sudo:USER or
                                              ssh:USER@HOST:PORT:KEYFILE
  peers.py execnet --transport ssh:... [...]  execnet's ssh gateway (an ssh_config of ours)
  peers.py qube-poll [...]                    Qube's mechanism, written from its description:
                                              command on stdin, the child opens a TCP
                                              connection per result, the dispatcher polls
                                              the received buffer every 0.2 s

Prints {"n", "median", "p99", "mean", "min", "cs_per_cmd", "cpu_us_per_cmd"}
in µs, like the C benchmarks (bench-usage.c: the switches and CPU time of
this process and every process below it, between the first measured
command and the last).
"""
import argparse
import json
import os
import resource
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

PYTHON = sys.executable
NAMESPACE = {}


class Usage(object):
    """CPU time and context switches of this process tree over the measured
    commands, from /proc as bench-usage.c reads it."""

    def __init__(self):
        self.begin_at = self.end_at = None

    @staticmethod
    def now():
        cpu_ns = switches = 0
        pids, seen = [os.getpid()], 0
        while seen < len(pids):
            task_dir = "/proc/%d/task" % pids[seen]
            seen += 1
            try:
                tids = os.listdir(task_dir)
            except OSError:
                continue
            for tid in tids:
                base = os.path.join(task_dir, tid)
                try:
                    with open(base + "/schedstat") as f:
                        cpu_ns += int(f.read().split()[0])
                    with open(base + "/status") as f:
                        for line in f:
                            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                                switches += int(line.split()[1])
                    with open(base + "/children") as f:
                        pids.extend(int(x) for x in f.read().split())
                except (OSError, ValueError, IndexError):
                    continue
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_ns += int((reaped.ru_utime + reaped.ru_stime) * 1e9)
        switches += reaped.ru_nvcsw + reaped.ru_nivcsw
        return cpu_ns, switches

    @staticmethod
    def place_apart():
        """With FH_BENCH_APART set, as bench-usage.c does: this process on
        CPU 0, every thread of every process below it on CPU 1."""
        if "FH_BENCH_APART" not in os.environ:
            return
        pids, seen = [os.getpid()], 0
        while seen < len(pids):
            pid = pids[seen]
            seen += 1
            try:
                for tid in os.listdir("/proc/%d/task" % pid):
                    os.sched_setaffinity(int(tid), {0 if pid == os.getpid() else 1})
                    with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                        pids.extend(int(x) for x in f.read().split())
            except OSError:
                continue

    def begin(self):
        self.place_apart()
        self.begin_at = self.now()

    def end(self):
        self.end_at = self.now()

    def per_command(self, n):
        if self.begin_at is None or self.end_at is None or n == 0:
            return {}
        return {"cs_per_cmd": round((self.end_at[1] - self.begin_at[1]) / n, 2),
                "cpu_us_per_cmd": round((self.end_at[0] - self.begin_at[0]) / n / 1000.0, 1)}


USAGE = Usage()


def run_command(source):
    """The remote side of mitogen's call: exec in a persistent namespace."""
    exec(source, NAMESPACE)
    return 0


EXECNET_REMOTE = """
import traceback
namespace = {}
while True:
    source = channel.receive()
    if source is None:
        break
    try:
        exec(source, namespace)
        channel.send(0)
    except BaseException:
        channel.send(traceback.format_exc())
"""


# --transport: "sudo:USER" or "ssh:USER@HOST:PORT:KEYFILE" (the remote's
# Python is its python3).
TRANSPORT = None


def parse_transport(spec):
    kind, _, rest = spec.partition(":")
    if kind == "sudo":
        return {"kind": "sudo", "user": rest}
    if kind == "ssh":
        userhost, port, key = rest.split(":", 2)
        user, host = userhost.split("@", 1)
        return {"kind": "ssh", "user": user, "host": host, "port": int(port), "key": key}
    raise SystemExit("peers.py: --transport %r: sudo:USER or ssh:USER@HOST:PORT:KEYFILE" % spec)


def execnet_spec():
    if TRANSPORT is None:
        return "popen//python=%s" % PYTHON
    if TRANSPORT["kind"] != "ssh":
        raise SystemExit("peers.py: execnet has an ssh gateway, no sudo gateway")
    import tempfile
    config = tempfile.NamedTemporaryFile("w", prefix="peers-ssh-", suffix=".config", delete=False)
    config.write("Host farmhand-bench\n  HostName %(host)s\n  Port %(port)d\n  User %(user)s\n"
                 "  IdentityFile %(key)s\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
                 "  BatchMode yes\n  LogLevel ERROR\n" % TRANSPORT)
    config.close()
    return "ssh=farmhand-bench//ssh_config=%s//python=python3" % config.name


def bench_execnet(n, warmup):
    import execnet

    gw = execnet.makegateway(execnet_spec())
    ch = gw.remote_exec(EXECNET_REMOTE)
    samples = []
    for i in range(warmup + n):
        if i == warmup:
            USAGE.begin()
        t0 = time.perf_counter_ns()
        ch.send("pass")
        status = ch.receive()
        t1 = time.perf_counter_ns()
        assert status == 0, status
        if i >= warmup:
            samples.append(t1 - t0)
    USAGE.end()
    ch.send(None)
    ch.waitclose()
    gw.exit()
    return samples


def bench_execnet_remote_exec(n, warmup):
    import execnet

    gw = execnet.makegateway("popen//python=%s" % PYTHON)
    samples = []
    for i in range(warmup + n):
        if i == warmup:
            USAGE.begin()
        t0 = time.perf_counter_ns()
        ch = gw.remote_exec("pass")
        ch.waitclose()
        t1 = time.perf_counter_ns()
        if i >= warmup:
            samples.append(t1 - t0)
    USAGE.end()
    gw.exit()
    return samples


def bench_mitogen(n, warmup):
    import mitogen.master

    broker = mitogen.master.Broker()
    router = mitogen.master.Router(broker)
    try:
        if TRANSPORT is None:
            ctx = router.local(python_path=PYTHON)
        elif TRANSPORT["kind"] == "sudo":
            ctx = router.sudo(username=TRANSPORT["user"], python_path="python3")
        else:
            ctx = router.ssh(hostname=TRANSPORT["host"], port=TRANSPORT["port"], username=TRANSPORT["user"],
                             identity_file=TRANSPORT["key"], check_host_keys="ignore", python_path="python3",
                             ssh_args=["-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"])
        samples = []
        for i in range(warmup + n):
            if i == warmup:
                USAGE.begin()
            t0 = time.perf_counter_ns()
            status = ctx.call(run_command, "pass")
            t1 = time.perf_counter_ns()
            assert status == 0, status
            if i >= warmup:
                samples.append(t1 - t0)
        USAGE.end()
        return samples
    finally:
        broker.shutdown()
        broker.join()


# The child of the Qube-style dispatcher: length-prefixed commands on stdin,
# exec in persistent globals, each result on a new TCP connection.
QUBE_CHILD = r"""
import socket, struct, sys, traceback
port = int(sys.argv[1])
stdin = sys.stdin.buffer
namespace = {}
while True:
    head = stdin.read(4)
    if len(head) < 4:
        break
    source = stdin.read(struct.unpack(">I", head)[0]).decode()
    try:
        exec(source, namespace)
        reply = struct.pack(">I", 0)
    except BaseException:
        tb = traceback.format_exc().encode()
        reply = struct.pack(">I", len(tb)) + tb
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(reply)
    s.close()
"""


class QubeStyleBackchannel(object):
    """A TCP server on 127.0.0.1, one connection per message, whatever
    arrives lands in one shared buffer under a lock."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.lock = threading.Lock()
        self.buffer = None
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def port(self):
        return self.server.getsockname()[1]

    def _serve(self):
        while True:
            conn, _ = self.server.accept()
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            conn.close()
            with self.lock:
                self.buffer = data

    def poll(self):
        with self.lock:
            data, self.buffer = self.buffer, None
        return data


def bench_qube_poll(n, warmup):
    back = QubeStyleBackchannel()
    child = subprocess.Popen([PYTHON, "-c", QUBE_CHILD, str(back.port)], stdin=subprocess.PIPE)
    samples = []
    try:
        for i in range(warmup + n):
            if i == warmup:
                USAGE.begin()
            t0 = time.perf_counter_ns()
            child.stdin.write(struct.pack(">I", 4) + b"pass")
            child.stdin.flush()
            while True:
                reply = back.poll()
                if reply is not None:
                    break
                time.sleep(0.2)
            t1 = time.perf_counter_ns()
            assert reply == struct.pack(">I", 0), reply
            if i >= warmup:
                samples.append(t1 - t0)
        USAGE.end()
    finally:
        child.stdin.close()
        child.wait()
    return samples


VIA = None   # --via: the transport's argv prefix


def bench_pingpong(n, warmup):
    """One byte down to cat behind the transport and back: all the
    transport itself costs a round trip."""
    p = subprocess.Popen(VIA + ["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    fd_in, fd_out = p.stdin.fileno(), p.stdout.fileno()
    samples = []
    for i in range(warmup + n):
        if i == warmup:
            USAGE.begin()
        t0 = time.perf_counter_ns()
        os.write(fd_in, b"x")
        got = os.read(fd_out, 1)
        t1 = time.perf_counter_ns()
        assert got == b"x", got
        if i >= warmup:
            samples.append(t1 - t0)
    USAGE.end()
    p.stdin.close()
    p.wait()
    return samples


BENCHES = {
    "pingpong": bench_pingpong,
    "execnet": bench_execnet,
    "execnet-remote-exec": bench_execnet_remote_exec,
    "mitogen": bench_mitogen,
    "qube-poll": bench_qube_poll,
}


def summary(samples_ns):
    us = sorted(s / 1000.0 for s in samples_ns)
    return {"n": len(us), "median": round(statistics.median(us), 2),
            "p99": round(us[int(0.99 * (len(us) - 1) + 0.5)], 2),
            "mean": round(statistics.fmean(us), 2), "min": round(us[0], 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("peer", choices=sorted(BENCHES))
    ap.add_argument("-n", "--count", type=int, default=10000)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--samples", help="write every sample (µs) to FILE")
    ap.add_argument("--via", help="pingpong: the transport's argv prefix, a JSON array")
    ap.add_argument("--transport", help="mitogen, execnet: sudo:USER or ssh:USER@HOST:PORT:KEYFILE")
    args = ap.parse_args()
    global VIA, TRANSPORT
    VIA = json.loads(args.via) if args.via else None
    TRANSPORT = parse_transport(args.transport) if args.transport else None
    if args.peer == "pingpong" and VIA is None:
        raise SystemExit("peers.py: pingpong needs --via")
    warmup = args.warmup if args.warmup is not None else min(500, args.count // 10 + 1)
    try:
        samples = BENCHES[args.peer](args.count, warmup)
    except ImportError as e:
        sys.exit("peers.py: %s is not installed for %s (Debian: apt-get install -y python3-%s)"
                 % (e.name, PYTHON, e.name))
    if args.samples:
        with open(args.samples, "w") as f:
            f.writelines("%.3f\n" % (s / 1000.0) for s in samples)
    out = summary(samples)
    out.update(USAGE.per_command(len(samples)))
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
