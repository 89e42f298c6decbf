"""fh_transports.py — the transports farmhand's tests run the executor
through, started by the tests themselves: an sshd on 127.0.0.1 with a
throwaway host key and user key, sudo to an unprivileged user, a bwrap
namespace sandbox.  The users and the sudoers rule are the machine's
(.ci/run makes them: FH_TEST_USER may run anything, the farm user
FH_TEST_FARM_USER may run anything as FH_TEST_USER and nothing else)."""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading

USER = os.environ.get("FH_TEST_USER", "fhrender")
FARM_USER = os.environ.get("FH_TEST_FARM_USER", "fhfarm")
SSHD = "/usr/sbin/sshd"


def have_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def missing(what):
    """Why a transport cannot run here, or None."""
    if what == "sudo":
        if shutil.which("sudo") is None:
            return "sudo is not installed"
        if not have_user(USER):
            return "no user %s (.ci/run creates it)" % USER
        r = subprocess.run(["sudo", "-n", "-u", USER, "--", "true"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        return None if r.returncode == 0 else "sudo -n -u %s fails: %s" % (USER, r.stderr.strip())
    if what == "ssh":
        if not os.path.exists(SSHD) or shutil.which("ssh") is None:
            return "openssh-server and openssh-client are not installed"
        if os.getuid() != 0:
            return "sshd needs root to log in as %s" % USER
        return None if have_user(USER) else "no user %s" % USER
    if what == "bwrap":
        if shutil.which("bwrap") is None:
            return "bubblewrap is not installed"
        r = subprocess.run(bwrap_via() + ["true"], stderr=subprocess.PIPE, text=True)
        return None if r.returncode == 0 else "bwrap cannot run here: %s" % r.stderr.strip()
    raise ValueError(what)


def sudo_via(user=USER):
    return ["sudo", "-n", "-u", user, "--"]


def bwrap_via():
    """A sandbox with its own pid namespace over a read-only root; /tmp
    (the tests' job directories) stays writable."""
    return ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--bind", "/tmp", "/tmp", "--unshare-pid", "--die-with-parent"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sshd(object):
    """An sshd of our own on 127.0.0.1, for USER with a fresh key pair."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fh-sshd-")
        os.chmod(self.dir, 0o755)   # sshd reads authorized_keys as USER
        self.key = os.path.join(self.dir, "user_key")
        host_key = os.path.join(self.dir, "host_key")
        for path in (self.key, host_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)
        shutil.copy(self.key + ".pub", os.path.join(self.dir, "authorized_keys"))
        os.chmod(os.path.join(self.dir, "authorized_keys"), 0o644)
        self.port = free_port()
        config = os.path.join(self.dir, "sshd_config")
        with open(config, "w") as f:
            f.write("ListenAddress 127.0.0.1\nPort %d\nHostKey %s\nAuthorizedKeysFile %s\n"
                    "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nPermitRootLogin no\nPidFile none\n"
                    "PrintMotd no\nAllowUsers %s\n"
                    % (self.port, host_key, os.path.join(self.dir, "authorized_keys"), USER))
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)   # privilege separation
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", config], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # Listening once it says so: wait on that line, not on time.
        for line in self.proc.stderr:
            if "Server listening" in line:
                break
        else:
            raise RuntimeError("sshd did not start: exit %s" % self.proc.wait())
        # Its log goes on; a full pipe would stop it.
        self.log = []
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()

    def via(self, port=None, host="127.0.0.1"):
        return ["ssh", "-i", self.key, "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                "-o", "ConnectTimeout=5", "-p", str(port or self.port), "%s@%s" % (USER, host)]

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
