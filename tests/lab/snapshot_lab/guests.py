"""One guest = an overlayfs on the template + a network namespace + systemd-nspawn booting systemd."""
import json
import os
import signal
import subprocess
import time

from . import config, network

GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Writes stdin to argv[1] with mode argv[2], inside the guest (so guest symlinks resolve in the guest).
_WRITE_FILE = ("import os,sys\n"
               "path, mode = sys.argv[1], int(sys.argv[2], 8)\n"
               "os.makedirs(os.path.dirname(path), exist_ok=True)\n"
               "fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)\n"
               "os.write(fd, sys.stdin.buffer.read())\n"
               "os.close(fd)\n"
               "os.chmod(path, mode)\n")


class Guest:
    """A lab guest as recorded in lab.json; runs commands inside it through nsenter."""

    def __init__(self, record):
        self.record = record

    name = property(lambda self: self.record["name"])
    ip = property(lambda self: self.record["ip"])
    netns = property(lambda self: self.record["netns"])
    leader_pid = property(lambda self: self.record["leader_pid"])

    def exec(self, argv, input=None, check=True, timeout=60, binary=False):
        """Run argv inside the guest (all its namespaces) as root; returns CompletedProcess
        (text, unless binary)."""
        command = ["nsenter", "--target", str(self.leader_pid), "--mount", "--uts", "--ipc",
                   "--net", "--pid", "--", "env", "-i", "PATH=" + GUEST_PATH, "LANG=C.UTF-8"]
        return subprocess.run(command + list(argv), input=input, check=check, timeout=timeout,
                              text=not binary, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def sh_ok(self, argv, timeout=60):
        return self.exec(argv, check=False, timeout=timeout).returncode == 0

    def read_file(self, path):
        """The file's text, or None when it does not exist."""
        result = self.exec(["cat", "--", path], check=False)
        return result.stdout if result.returncode == 0 else None

    def write_file(self, path, content, mode=0o644):
        self.exec(["python3", "-c", _WRITE_FILE, path, "%o" % mode], input=content)

    def remove(self, path):
        self.exec(["rm", "-rf", "--", path])


def _write_into_root(root, path, content, mode=0o644):
    """Write a file into a not-yet-booted guest tree, refusing anything that would leave it."""
    target = os.path.join(root, path.lstrip("/"))
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    real_root = os.path.realpath(root)
    if os.path.commonpath([os.path.realpath(parent), real_root]) != real_root:
        raise RuntimeError("refusing to write %s: it resolves outside the guest" % path)
    if os.path.islink(target):
        os.remove(target)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w" if isinstance(content, str) else "wb") as handle:
        handle.write(content)
    os.chmod(target, mode)


def prepare(index, template_rootfs, public_key, ca_pem, log):
    """Mount the guest's overlay and personalise it (hostname, keys, CA, agent endpoint, fixtures)."""
    from . import fixtures  # noqa: deferred to keep module import light

    name = config.guest_name(index)
    base = os.path.join(config.GUESTS_DIR, name)
    upper, work, root = (os.path.join(base, part) for part in ("upper", "work", "root"))
    for path in (upper, work, root):
        os.makedirs(path, mode=0o755, exist_ok=True)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=%s,upperdir=%s,workdir=%s" % (template_rootfs, upper, work), root],
                   check=True)
    ip = config.guest_ip(index)
    _write_into_root(root, "/etc/hostname", name + "\n")
    _write_into_root(root, "/etc/hosts", "127.0.0.1\tlocalhost\n%s\t%s.%s %s\n"
                     % (ip, name, config.LAB_DOMAIN, name))
    _write_into_root(root, "/root/.ssh/authorized_keys", public_key, 0o600)
    os.chmod(os.path.join(root, "root/.ssh"), 0o700)
    # A host key of its own, so the lab's known_hosts can be strict.
    host_key = os.path.join(base, "ssh_host_ed25519_key")
    if os.path.exists(host_key):
        os.remove(host_key)
        os.remove(host_key + ".pub")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "root@" + name,
                    "-f", host_key], check=True)
    with open(host_key) as handle:
        _write_into_root(root, "/etc/ssh/ssh_host_ed25519_key", handle.read(), 0o600)
    with open(host_key + ".pub") as handle:
        host_public = handle.read()
    _write_into_root(root, "/etc/ssh/ssh_host_ed25519_key.pub", host_public, 0o644)
    _write_into_root(root, "/etc/ssh/sshd_config.d/lab.conf",
                     "# snapshot-doctor lab: one host key per guest\nHostKey /etc/ssh/ssh_host_ed25519_key\n")
    # The lab CA, trusted as update-ca-certificates would do it (saves a chroot run per guest).
    _write_into_root(root, "/usr/local/share/ca-certificates/snapshot-doctor-lab-ca.crt", ca_pem)
    bundle = os.path.join(root, "etc/ssl/certs/ca-certificates.crt")
    with open(bundle) as handle:
        trusted = handle.read()
    _write_into_root(root, "/etc/ssl/certs/ca-certificates.crt", trusted + ca_pem)
    # Where the agent finds the wireserver (as after a first DHCP lease with option 245).
    _write_into_root(root, config.AGENT_LIB + "/WireServerEndpoint", config.WIRESERVER_IP)
    fixtures.install_healthy_extension(root, _write_into_root)
    log("%s: overlay ready at %s" % (name, root))
    return {"name": name, "index": index, "ip": ip, "mac": config.guest_mac(index),
            "netns": config.guest_netns(name), "root": root, "base": base,
            "vm_id": fixtures.vm_id(name), "host_key": host_public.strip(), "faults": []}


def boot(record):
    """Start systemd-nspawn for a prepared guest; fills nspawn_pid and leader_pid."""
    console = os.path.join(config.LOG_DIR, record["name"] + ".console.log")
    argv = [config.NSPAWN, "--boot", "--directory", record["root"], "--machine", record["name"],
            "--register=no", "--keep-unit", "--link-journal=no", "--console=read-only",
            "--network-namespace-path=" + os.path.join(network.NETNS_DIR, record["netns"]),
            # The guest owns its network namespace: it needs NET_ADMIN for DHCP, routes, iptables.
            "--capability=CAP_NET_ADMIN"]
    with open(console, "ab") as out:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                   start_new_session=True)
    record["nspawn_pid"] = process.pid
    record["nspawn_start"] = _start_time(process.pid)
    return process


def find_leader(nspawn_pid, timeout=10):
    """The guest's PID 1 (systemd) as seen from the host: nspawn's child."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/task/%d/children" % (nspawn_pid, nspawn_pid)) as handle:
                children = [int(pid) for pid in handle.read().split()]
        except OSError:
            children = []
        for child in children:
            if _comm(child) == "systemd":
                return child
        time.sleep(0.05)
    raise RuntimeError("systemd-nspawn %d started no guest systemd within %ds" % (nspawn_pid, timeout))


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as handle:
            return handle.read().strip()
    except OSError:
        return None


def _start_time(pid):
    """Field 22 of /proc/PID/stat (tells a recycled pid from ours); None once the process is
    gone or a zombie waiting to be reaped."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def is_alive(pid):
    return _start_time(pid) is not None


def is_ours(pid, start_time):
    return pid and start_time is not None and _start_time(pid) == start_time


def stop(record, timeout=10):
    """Power the guest off (SIGTERM to nspawn asks systemd to halt), then kill what is left."""
    pid, start = record.get("nspawn_pid"), record.get("nspawn_start")
    if is_ours(pid, start):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and is_ours(pid, start):
            time.sleep(0.1)
    kill_netns_processes(record["netns"])
    if is_ours(pid, start):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_netns_processes(netns, grace=2.0):
    """Every process inside one of the lab's namespaces is a lab process: end them."""
    if not network.netns_exists(netns):
        return
    pids = network.netns_pids(netns)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            pids = network.netns_pids(netns)
            if not pids:
                return
            time.sleep(0.1)


def lab_mounts():
    """Mount points under the lab's guests directory, deepest first."""
    mounts = []
    prefix = os.path.realpath(config.GUESTS_DIR) + "/"
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            point = line.split()[4].encode().decode("unicode_escape")
            if point.startswith(prefix):
                mounts.append(point)
    return sorted(mounts, key=len, reverse=True)


def unmount_all():
    for point in lab_mounts():
        if subprocess.run(["umount", point], check=False).returncode != 0:
            subprocess.run(["umount", "--lazy", point], check=False)


def remove_nspawn_leftovers(name):
    # nspawn keeps a propagation directory per machine under /run/systemd/nspawn on the host.
    path = os.path.join("/run/systemd/nspawn/propagate", name)
    if os.path.isdir(path):
        subprocess.run(["rm", "-rf", "--", path], check=False)


def ssh_command(record, argv=None):
    base = ["ssh", "-i", config.SSH_KEY, "-o", "UserKnownHostsFile=" + config.KNOWN_HOSTS,
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=2",
            "root@" + record["ip"]]
    return base + (list(argv) if argv else [])


def ssh_ready(record):
    result = subprocess.run(ssh_command(record, ["true"]), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return result.returncode == 0


def agent_state(guest):
    """What the agent looks like from inside: its two processes and whether it heartbeats."""
    ps = guest.exec(["ps", "-eo", "args="], check=False).stdout
    log = guest.read_file(config.AGENT_LOG) or ""
    return {"daemon": any("waagent -daemon" in line for line in ps.splitlines()),
            "exthandlers": any("-run-exthandlers" in line for line in ps.splitlines()),
            "heartbeat": "[HEARTBEAT]" in log,
            "goal_state_agent": "is running as the goal state agent" in log}


def agent_ready(guest):
    state = agent_state(guest)
    return state["daemon"] and state["exthandlers"] and state["goal_state_agent"]


def dump(record):
    return json.dumps(record, indent=2, sort_keys=True)
