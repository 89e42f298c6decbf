#!/usr/bin/python3
"""test-packages.py SOURCE_DIR — farmhand as a studio installs it: the
Debian packages built from the source tree with the distribution's tools
(dpkg-buildpackage, debhelper + meson), lintian clean, installed with apt,
then used from the installed files only (no build tree, a PATH of /usr/bin
and /bin): the README's example job, a Python job, the Python package with
a job, a C host compiled against the installed header through pkg-config,
`man --warnings` for every page, the bash completion sourced, the service
unit through `systemd-analyze verify`; then purged, leaving none of their
files behind.  Needs root and dpkg-buildpackage (it skips, saying so,
without them).  tools/test runs it after the rest (suite 'packages').  TAP."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

from fh_tap import Suite

SOURCE = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="farmhand-packages-")
PACKAGES = ("farmhand", "farmhand-dev", "python3-farmhand", "farmhand-blender")
# Installed files only: nothing of the build tree or the developer's setup.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "HOME": TMP, "LANG": "C.UTF-8", "MANWIDTH": "80"}
suite = Suite(30000)
state = {}


def sh(argv, cwd=None, env=None, check=True, timeout=1800):
    p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s" % (" ".join(argv), p.returncode, p.stdout[-4000:]))
    return p


def source_tree():
    """The tracked files (a fresh clone's), not a developer's build dirs."""
    tree = os.path.join(TMP, "farmhand-src")
    files = sh(["git", "-C", SOURCE, "ls-files", "-z"]).stdout.split("\0")
    for f in filter(None, files):
        dest = os.path.join(tree, f)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.islink(os.path.join(SOURCE, f)):
            os.symlink(os.readlink(os.path.join(SOURCE, f)), dest)
        elif os.path.exists(os.path.join(SOURCE, f)):
            shutil.copy2(os.path.join(SOURCE, f), dest)
    return tree


def skip_reason():
    if os.geteuid() != 0:
        return "SKIP not root: installing packages needs root (CI is)"
    for tool in ("dpkg-buildpackage", "dh", "lintian", "apt-get", "git"):
        if shutil.which(tool) is None:
            return "SKIP %s is not installed (tools/bootstrap installs the packaging tools)" % tool
    return None


@suite.test
def packages_build():
    why = skip_reason()
    if why:
        state["skip"] = why
        return why
    tree = source_tree()
    sh(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=tree,
       env=dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2"))
    debs = {os.path.basename(d).split("_")[0]: d for d in glob.glob(os.path.join(TMP, "*.deb"))}
    assert set(PACKAGES) <= set(debs), sorted(debs)
    state["debs"] = [debs[p] for p in PACKAGES]
    return ", ".join(sorted(os.path.basename(d) for d in state["debs"]))


@suite.test
def lintian_is_clean():
    if "debs" not in state:
        return state.get("skip", "SKIP the packages did not build")
    changes = glob.glob(os.path.join(TMP, "*.changes"))
    out = sh(["lintian", "--fail-on", "error,warning", "--info"] + changes, check=False)
    tags = [l for l in out.stdout.splitlines() if l[:2] in ("E:", "W:", "I:")]
    assert out.returncode == 0 and not tags, out.stdout
    return "no tags (overrides, each with its reason: debian/*.lintian-overrides)"


@suite.test
def they_install_with_apt():
    if "debs" not in state:
        return state.get("skip", "SKIP the packages did not build")
    sh(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + state["debs"],
       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    state["installed"] = True
    state["files"] = [l for p in PACKAGES for l in sh(["dpkg", "-L", p]).stdout.splitlines()
                      if os.path.isfile(l)]
    assert "/usr/bin/farmhand" in state["files"], state["files"][:20]
    return "%d files" % len(state["files"])


def installed():
    if "installed" not in state:
        raise AssertionError(state.get("skip", "the packages are not installed"))


@suite.test
def the_readme_example_runs_from_the_installed_files():
    if "installed" not in state:
        return state.get("skip", "SKIP not installed")
    work = os.path.join(TMP, "frames")
    shutil.copytree(os.path.join(SOURCE, "examples", "frames"), work)
    out = sh(["farmhand", "run", "--plain", "job.json"], cwd=work, env=CLEAN_ENV).stdout
    assert "complete" in out and "0 failed" in out, out
    assert sh(["farmhand", "--version"], env=CLEAN_ENV).stdout.startswith("farmhand "), "no --version"
    py = os.path.join(TMP, "python-job")
    shutil.copytree(os.path.join(SOURCE, "examples", "python"), py)
    out = sh(["farmhand", "run", "--plain", "job.json"], cwd=py, env=CLEAN_ENV).stdout
    assert "0 failed" in out, out


@suite.test
def python_imports_farmhand_and_runs_a_job():
    if "installed" not in state:
        return state.get("skip", "SKIP not installed")
    job = os.path.join(TMP, "frames", "job.json")
    code = ("import farmhand, sys; s = farmhand.Job(sys.argv[1]).run(); "
            "print(farmhand.__file__, s.status, len(s.results))")
    out = sh(["/usr/bin/python3", "-c", code, job], cwd=TMP, env=CLEAN_ENV).stdout
    assert out.startswith("/usr/lib/python3/dist-packages/farmhand/") and " 6" in out, out


@suite.test
def a_c_host_builds_against_the_installed_header():
    if "installed" not in state:
        return state.get("skip", "SKIP not installed")
    flags = sh(["pkg-config", "--cflags", "--libs", "farmhand-plugin", "json-glib-1.0"], env=CLEAN_ENV).stdout.split()
    exe = os.path.join(TMP, "host-minimal")
    sh(["cc", "-Wall", "-Werror", "-o", exe,
        os.path.join(SOURCE, "examples", "host-minimal", "host-minimal.c")] + flags + ["-ldl"], env=CLEAN_ENV)
    plugin = glob.glob("/usr/lib/*/farmhand/plugins/libfarmhand-jobtype.so")[0]
    out = sh([exe, plugin, os.path.join(SOURCE, "examples", "hello", "job.json")], cwd=TMP, env=CLEAN_ENV).stdout
    assert "hello from farmhand" in out, out


@suite.test
def the_manuals_render_without_warnings():
    if "installed" not in state:
        return state.get("skip", "SKIP not installed")
    for page in (("1", "farmhand"), ("5", "farmhand-job"), ("5", "farmhand-presets"), ("7", "farmhand-plugin")):
        p = subprocess.run(["man", "--warnings", page[0], page[1]], env=CLEAN_ENV, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        assert p.returncode == 0 and p.stdout.strip() and not p.stderr.strip(), (page, p.returncode, p.stderr)


@suite.test
def the_completion_sources_and_completes():
    if "installed" not in state:
        return state.get("skip", "SKIP not installed")
    script = ("set -e; source /usr/share/bash-completion/bash_completion; "
              "source /usr/share/bash-completion/completions/farmhand; "
              "COMP_WORDS=(farmhand log test --preset ble); COMP_CWORD=4; COMP_LINE='farmhand log test --preset ble'; "
              "COMP_POINT=${#COMP_LINE}; _farmhand; echo \"${COMPREPLY[*]}\"")
    p = subprocess.run(["bash", "-c", script], env=CLEAN_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.returncode == 0 and not p.stderr and p.stdout.strip() == "blender", (p.stdout, p.stderr)


@suite.test
def the_service_unit_verifies():
    if "installed" not in state:
        return state.get("skip", "SKIP not installed")
    if shutil.which("systemd-analyze") is None:
        return "SKIP no systemd-analyze"
    p = sh(["systemd-analyze", "verify", "/lib/systemd/system/farmhand-serve.service"], env=CLEAN_ENV, check=False)
    assert p.returncode == 0 and "farmhand-serve" not in p.stdout, p.stdout


@suite.test
def purging_leaves_nothing_behind():
    if "installed" not in state:
        return state.get("skip", "SKIP not installed")
    sh(["apt-get", "purge", "-y", "-q"] + list(PACKAGES), env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    state.pop("installed")
    left = [f for f in state["files"] if os.path.lexists(f)]
    assert not left, left
    assert not os.path.exists("/srv/farmhand"), "the service's folder stayed"
    return "%d files gone" % len(state["files"])


def cleanup():
    if state.get("installed"):
        subprocess.run(["apt-get", "purge", "-y", "-q"] + list(PACKAGES), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(suite.main(cleanup=cleanup))
