"""The Debian 12 template every guest overlays: built once with debootstrap, cached by recipe hash.

The recipe is tests/lab/template/packages.txt + customize.sh + the suite. The cache lives under
config.CACHE_DIR (default /var/cache/snapshot-doctor-lab, override with LAB_CACHE) as
template-<hash>/rootfs; a change to the recipe gives a new hash and so a rebuild. Stale templates
are removed after a successful build.
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time

from . import config

RECIPE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "template")
PACKAGES_FILE = os.path.join(RECIPE_DIR, "packages.txt")
CUSTOMIZE_SCRIPT = os.path.join(RECIPE_DIR, "customize.sh")
READY_STAMP = "built-ok"

# Installed inside the chroot while packages are installed so that no postinst starts a daemon.
POLICY_RC_D = "#!/bin/sh\n# lab template build: never start services in the chroot\nexit 101\n"


def read_packages():
    packages = []
    with open(PACKAGES_FILE) as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line:
                packages.append(line)
    return packages


def recipe_hash():
    digest = hashlib.sha256()
    digest.update(config.TEMPLATE_SUITE.encode())
    for path in (PACKAGES_FILE, CUSTOMIZE_SCRIPT):
        with open(path, "rb") as handle:
            digest.update(b"\0" + handle.read())
    return digest.hexdigest()[:16]


def template_dir():
    return os.path.join(config.CACHE_DIR, "template-" + recipe_hash())


def rootfs():
    return os.path.join(template_dir(), "rootfs")


def agent_deb():
    debs = os.path.join(template_dir(), "debs")
    return os.path.join(debs, sorted(os.listdir(debs))[-1])


def is_built():
    return os.path.exists(os.path.join(template_dir(), READY_STAMP))


def _run(argv, **kwargs):
    print("+ " + " ".join(argv), file=sys.stderr, flush=True)
    subprocess.run(argv, check=True, **kwargs)


def _in_chroot(root, argv):
    # A private mount namespace: /proc, /sys, /dev mounted for the package scripts vanish with it,
    # even if the build is killed half-way.
    script = ("mount -t proc proc \"$1/proc\" && mount -t sysfs sysfs \"$1/sys\" && "
              "mount --rbind /dev \"$1/dev\" && shift && exec chroot \"$@\"")
    _run(["unshare", "--mount", "--propagation", "private", "--",
          "sh", "-c", script, "sh", root, root] + argv,
         env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
              "LC_ALL": "C"})


def _apt_source_entries():
    """(types, uris, suites) of every apt source on this machine, one-line and deb822 formats."""
    files = [config.APT_SOURCES[0]]
    if os.path.isdir(config.APT_SOURCES[1]):
        files += sorted(os.path.join(config.APT_SOURCES[1], name) for name in os.listdir(config.APT_SOURCES[1]))
    for path in files:
        try:
            with open(path) as handle:
                text = handle.read()
        except OSError:
            continue
        if path.endswith(".sources"):
            for stanza in text.split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    key, sep, value = line.partition(":")
                    if sep and not line.startswith(("#", " ")):
                        fields[key.strip().lower()] = value.split()
                yield fields.get("types", []), fields.get("uris", []), fields.get("suites", [])
        elif path.endswith(".list"):
            for line in text.splitlines():
                words = [word for word in line.split("#", 1)[0].split() if not word.startswith("[")]
                if len(words) >= 3:
                    yield [words[0]], [words[1]], [words[2]]


def host_mirror():
    """The Debian mirror this machine's apt uses for the template's suite (no mirror is hard-coded)."""
    for types, uris, suites in _apt_source_entries():
        if "deb" in types and config.TEMPLATE_SUITE in suites and uris:
            return uris[0]
    raise RuntimeError("no apt source for Debian %s on this machine: set LAB_MIRROR to a Debian mirror"
                       % config.TEMPLATE_SUITE)


def build(force=False):
    """Build the template unless a build of the same recipe is cached. Returns the rootfs path.
    Concurrent callers wait for one another (a lock file in the cache directory)."""
    os.makedirs(config.CACHE_DIR, mode=0o755, exist_ok=True)
    with open(os.path.join(config.CACHE_DIR, "build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(force)


def _build(force):
    target = template_dir()
    if is_built() and not force:
        print("template: cached at %s" % target, file=sys.stderr)
        return rootfs()
    started = time.monotonic()
    work = target + ".partial"
    shutil.rmtree(work, ignore_errors=True)
    root = os.path.join(work, "rootfs")
    os.makedirs(root)
    packages = read_packages()
    # minbase + our packages; debootstrap resolves their dependencies (not Recommends).
    _run(["unshare", "--mount", "--propagation", "private", "--",
          "debootstrap", "--variant=minbase", "--include=" + ",".join(packages),
          config.TEMPLATE_SUITE, root, config.TEMPLATE_MIRROR or host_mirror()])
    # Keep the agent's .deb beside the template: the agent_removed fault reinstalls it offline.
    debs = os.path.join(work, "debs")
    os.makedirs(debs)
    archives = os.path.join(root, "var/cache/apt/archives")
    for entry in os.listdir(archives):
        if entry.startswith(config.AGENT_PACKAGE + "_") and entry.endswith(".deb"):
            shutil.copy(os.path.join(archives, entry), debs)
    if not os.listdir(debs):
        raise RuntimeError("debootstrap left no %s .deb in %s" % (config.AGENT_PACKAGE, archives))
    policy = os.path.join(root, "usr/sbin/policy-rc.d")
    with open(policy, "w") as handle:
        handle.write(POLICY_RC_D)
    os.chmod(policy, 0o755)
    shutil.copy(CUSTOMIZE_SCRIPT, os.path.join(root, "tmp/customize.sh"))
    _in_chroot(root, ["/bin/sh", "/tmp/customize.sh"])
    os.remove(policy)
    with open(os.path.join(work, "recipe.txt"), "w") as handle:
        handle.write("suite=%s\npackages=%s\n" % (config.TEMPLATE_SUITE, " ".join(packages)))
    with open(os.path.join(work, READY_STAMP), "w") as handle:
        handle.write("built in %.0f s\n" % (time.monotonic() - started))
    shutil.rmtree(target, ignore_errors=True)
    os.rename(work, target)
    _remove_stale_templates(keep=target)
    print("template: built %s in %.0f s" % (target, time.monotonic() - started), file=sys.stderr)
    return rootfs()


def _remove_stale_templates(keep):
    if os.path.exists(config.STATE_FILE):
        return   # a running lab may have its overlays on an older template
    for entry in os.listdir(config.CACHE_DIR):
        path = os.path.join(config.CACHE_DIR, entry)
        if entry.startswith("template-") and path != keep and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
