"""Lab lifecycle: up, down, status, faults, inventory. State lives in config.STATE_FILE (lab.json)."""
import concurrent.futures
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from . import config, faults, guests, network, services, template

STATE_VERSION = 1


def log(message):
    print("[lab %s] %s" % (time.strftime("%H:%M:%S"), message), file=sys.stderr, flush=True)


# ------------------------------------------------------------------ state ----
def load_state():
    try:
        with open(config.STATE_FILE) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def save_state(state):
    os.makedirs(config.STATE_DIR, mode=0o700, exist_ok=True)
    temporary = config.STATE_FILE + ".tmp"
    with open(temporary, "w") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
    os.chmod(temporary, 0o600)
    os.replace(temporary, config.STATE_FILE)


@contextlib.contextmanager
def state_lock():
    """Serialise read-modify-write of lab.json between concurrent CLI calls and tests."""
    os.makedirs(config.STATE_DIR, mode=0o700, exist_ok=True)
    with open(os.path.join(config.STATE_DIR, "lab.lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def is_up():
    return load_state() is not None


def lab_exec(argv, check=True):
    return network.run(network.in_netns(config.LAB_NETNS, argv), check=check, capture=True)


def get_guest(state, name):
    try:
        return guests.Guest(state["guests"][name])
    except KeyError:
        raise KeyError("no guest %r in the lab (guests: %s)" % (name, ", ".join(sorted(state["guests"]))))


def fault_context(state, name):
    record = state["guests"][name]
    return faults.Context(get_guest(state, name), lab_exec, os.path.join(record["base"], "fault-backups"),
                          agent_deb=state.get("agent_deb"))


# --------------------------------------------------------------------- up ----
def up(count=2, requested_faults=(), wait_agent=False):
    """Start the lab with `count` guests; requested_faults is [(guest_name, fault_name)].

    Returns the state. On any failure (or SIGINT/SIGTERM) everything started so far is torn down.
    """
    if is_up():
        raise RuntimeError("the lab is already up (%s); run `down` first" % config.STATE_FILE)
    if not 1 <= count <= config.MAX_GUESTS:
        raise ValueError("guest count must be 1..%d" % config.MAX_GUESTS)
    for _guest, name in requested_faults:
        faults.get(name)
    if network.lab_namespaces() or guests.lab_mounts():
        log("leftovers of an earlier lab found: cleaning up first")
        down()
    rootfs = template.build()
    started = time.monotonic()
    try:
        state = _up(count, rootfs, started)
        if wait_agent:   # healthy first: the agent was Ready before the faults broke it
            wait_for_agents(state)
        for guest_name, fault_name in requested_faults:
            apply_fault(fault_name, guest_name, state=state)
        return state
    except BaseException:
        log("lab-up failed: tearing down")
        down()
        raise


def _up(count, rootfs, started):
    os.makedirs(config.STATE_DIR, mode=0o700, exist_ok=True)
    os.makedirs(config.LOG_DIR, mode=0o755, exist_ok=True)
    state = {"version": STATE_VERSION, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "template": rootfs, "agent_deb": template.agent_deb(), "lab_netns": config.LAB_NETNS,
             "state_dir": config.STATE_DIR, "inventory": config.INVENTORY_FILE,
             "ssh_key": config.SSH_KEY, "known_hosts": config.KNOWN_HOSTS, "ca_cert": config.CA_CERT,
             "addresses": endpoints(), "services": {}, "guests": {}}
    save_state(state)   # from here on `down` can find and undo everything
    if os.path.exists(config.SSH_KEY):
        os.remove(config.SSH_KEY)
        os.remove(config.SSH_KEY + ".pub")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "snapshot-doctor-lab",
                    "-f", config.SSH_KEY], check=True)
    with open(config.SSH_KEY + ".pub") as handle:
        public_key = handle.read()
    cert, key = services.make_ca(log)
    with open(config.CA_CERT) as handle:
        ca_pem = handle.read()

    network.create_lab_network()
    records = []
    for index in range(1, count + 1):
        record = guests.prepare(index, rootfs, public_key, ca_pem, log)
        state["guests"][record["name"]] = record
        records.append(record)
        save_state(state)
    state["services"]["dnsmasq"] = services.start_dnsmasq(records, log)
    state["services"]["tinyproxy"] = services.start_tinyproxy(log)
    state["services"]["platform"] = services.start_platform(records, cert, key, log)
    save_state(state)
    services.wait_listening(services.SERVICE_ENDPOINTS)

    boot_started = time.monotonic()
    for record in records:
        network.create_guest_network(record["name"], record["index"])
        guests.boot(record)
        save_state(state)
    for record in records:
        record["leader_pid"] = guests.find_leader(record["nspawn_pid"])
    save_state(state)
    _write_known_hosts(records)
    _wait_ssh(records)
    state["boot_to_ssh_seconds"] = round(time.monotonic() - boot_started, 2)
    state["up_seconds"] = round(time.monotonic() - started, 2)
    write_inventory(state)
    save_state(state)
    log("%d guest(s) ssh-ready %.1f s after boot (lab-up %.1f s)"
        % (count, state["boot_to_ssh_seconds"], state["up_seconds"]))
    return state


def _write_known_hosts(records):
    with open(config.KNOWN_HOSTS, "w") as handle:
        for record in records:
            handle.write("%s %s\n" % (record["ip"], " ".join(record["host_key"].split()[:2])))
    os.chmod(config.KNOWN_HOSTS, 0o600)


def _wait_ssh(records):
    deadline = time.monotonic() + config.BOOT_TIMEOUT
    pending = list(records)
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(records)) as pool:
        while pending:
            if time.monotonic() > deadline:
                raise RuntimeError("guests not ssh-ready after %ds: %s (see %s)" % (
                    config.BOOT_TIMEOUT, [r["name"] for r in pending], config.LOG_DIR))
            ready = list(pool.map(guests.ssh_ready, pending))
            pending = [record for record, ok in zip(pending, ready) if not ok]
            if pending:
                time.sleep(0.2)


def wait_for_agents(state, timeout=120, names=None):
    """Wait until the real agent is Ready in the guests: daemon + exthandler running, goal state agent."""
    deadline = time.monotonic() + timeout
    pending = sorted(names or state["guests"])
    while pending:
        pending = [name for name in pending if not guests.agent_ready(get_guest(state, name))]
        if not pending:
            break
        if time.monotonic() > deadline:
            details = []
            for name in pending:
                guest = get_guest(state, name)
                log_tail = (guest.read_file(config.AGENT_LOG) or "").splitlines()[-15:]
                details.append("%s %s\n    %s" % (name, guests.agent_state(guest), "\n    ".join(log_tail)))
            raise RuntimeError("agent not Ready after %ds in:\n%s" % (timeout, "\n".join(details)))
        time.sleep(1)
    log("agent Ready in %s" % ", ".join(sorted(names or state["guests"])))


# -------------------------------------------------------------- inventory ----
def endpoints():
    return {"wireserver": config.WIRESERVER_IP, "wireserver_ports": list(config.WIRESERVER_PORTS),
            "imds": "%s:%d" % (config.IMDS_IP, config.IMDS_PORT),
            "https": ["%s:%d" % (name, config.HTTPS_PORT) for name in config.HTTPS_NAMES],
            "https_ip": config.HTTPS_IP, "proxy": "%s:%d" % (config.BRIDGE_IP, config.PROXY_PORT),
            "dns": config.BRIDGE_IP, "controller": config.CONTROLLER_IP, "subnet": config.SUBNET}


def inventory_text(state):
    """YAML inventory: group `lab` with every guest; group vars point the product at the lab."""
    address = state["addresses"]
    lines = ["# Written by tests/lab/lab.py at lab-up; the lab's guests and its fake platform endpoints.",
             "all:", "  children:", "    lab:", "      hosts:"]
    for name in sorted(state["guests"], key=lambda n: state["guests"][n]["index"]):
        record = state["guests"][name]
        lines += ["        %s:" % name, "          ansible_host: %s" % record["ip"],
                  "          lab_faults: [%s]" % ", ".join(record["faults"])]
    lines += ["      vars:",
              "        ansible_user: root",
              "        ansible_ssh_private_key_file: %s" % state["ssh_key"],
              "        ansible_ssh_common_args: >-",
              "          -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes" % state["known_hosts"],
              "        ansible_python_interpreter: /usr/bin/python3",
              "        diagnose_assume_azure: true",
              "        diagnose_wireserver: \"%s\"" % address["wireserver"],
              "        diagnose_imds: \"%s\"" % address["imds"],
              "        diagnose_https_endpoints:"]
    lines += ["          - \"%s\"" % item for item in address["https"]]
    lines += ["        connectivity_wireserver: \"%s\"" % address["wireserver"],
              "        connectivity_imds: \"%s\"" % address["imds"],
              "        lab_ca_cert: %s" % state["ca_cert"],
              "        lab_proxy: \"%s\"" % address["proxy"],
              ""]
    return "\n".join(lines)


def write_inventory(state):
    with open(config.INVENTORY_FILE, "w") as handle:
        handle.write(inventory_text(state))
    os.chmod(config.INVENTORY_FILE, 0o600)


# ----------------------------------------------------------------- faults ----
def apply_fault(fault_name, guest_name, state=None):
    with state_lock():
        return _apply_fault(fault_name, guest_name, state)


def _apply_fault(fault_name, guest_name, state):
    state = _require_state() if state is None else state
    fault = faults.get(fault_name)
    get_guest(state, guest_name)
    record = state["guests"][guest_name]
    fault.apply(fault_context(state, guest_name))
    if fault_name not in record["faults"]:
        record["faults"].append(fault_name)
    save_state(state)
    write_inventory(state)
    log("fault %s applied to %s: %s" % (fault_name, guest_name, fault.does))
    return state


def undo_fault(fault_name, guest_name, state=None):
    with state_lock():
        return _undo_fault(fault_name, guest_name, state)


def _undo_fault(fault_name, guest_name, state):
    state = _require_state() if state is None else state
    fault = faults.get(fault_name)
    get_guest(state, guest_name)
    fault.undo(fault_context(state, guest_name))
    record = state["guests"][guest_name]
    if fault_name in record["faults"]:
        record["faults"].remove(fault_name)
    save_state(state)
    write_inventory(state)
    log("fault %s undone on %s" % (fault_name, guest_name))
    return state


def observe_fault(fault_name, guest_name, state=None):
    state = state or _require_state()
    return faults.get(fault_name).observe(fault_context(state, guest_name))


def _require_state():
    state = load_state()
    if state is None:
        raise RuntimeError("the lab is not up (no %s)" % config.STATE_FILE)
    return state


# ------------------------------------------------------------------- down ----
def down():
    """Stop everything the lab started. Idempotent, safe at any time, even without lab.json:
    lab processes are found through the lab's namespaces and recorded pids, mounts through
    /proc/self/mountinfo under the guests directory."""
    state = load_state() or {}
    records = list((state.get("guests") or {}).values())
    known = {record["name"] for record in records}
    for netns in network.lab_namespaces():   # guests missing from lab.json (a crashed up)
        if netns != config.LAB_NETNS:
            name = netns[len(config.GUEST_NETNS_PREFIX):]
            if name not in known:
                records.append({"name": name, "netns": netns})
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(records))) as pool:
        list(pool.map(guests.stop, records))
    guests.kill_netns_processes(config.LAB_NETNS)
    for service in (state.get("services") or {}).values():
        _kill_if_lab_process(service.get("pid"), service.get("argv") or [])
    guests.unmount_all()
    network.delete_lab_network()
    for record in records:
        guests.remove_nspawn_leftovers(record["name"])
    if os.path.isdir(config.STATE_DIR):
        _keep_logs()
        shutil.rmtree(config.STATE_DIR, ignore_errors=True)
    leftovers = leftover_report()
    if leftovers:
        raise RuntimeError("lab-down left things behind: %s" % leftovers)
    log("lab is down")


def _kill_if_lab_process(pid, argv):
    """Kill a recorded service pid only if it is still that service (pids get reused)."""
    if not pid or not argv:
        return
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            cmdline = handle.read().split(b"\0")
    except OSError:
        return
    if argv[0].encode() in b" ".join(cmdline):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _keep_logs():
    logs = config.LOG_DIR
    if os.path.isdir(logs):
        kept = config.STATE_DIR.rstrip("/") + "-last-logs"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(logs, kept)


def leftover_report():
    """What of the lab still exists on the machine (empty when clean)."""
    found = {}
    if network.lab_namespaces():
        found["netns"] = network.lab_namespaces()
    if guests.lab_mounts():
        found["mounts"] = guests.lab_mounts()
    if os.path.exists("/sys/class/net/" + config.CONTROLLER_VETH):
        found["links"] = [config.CONTROLLER_VETH]
    # Only nspawns booting a tree under this lab's state dir (other labs may share the binary).
    pattern = "--directory %s/" % os.path.realpath(config.GUESTS_DIR)
    nspawn = [pid for pid in subprocess.run(["pgrep", "-f", "--", pattern], text=True,
                                            stdout=subprocess.PIPE, check=False).stdout.split()
              if guests.is_alive(int(pid))]
    if nspawn:
        found["nspawn_pids"] = nspawn
    return found


# ----------------------------------------------------------------- status ----
def status():
    state = load_state()
    if state is None:
        return {"up": False, "leftovers": leftover_report()}
    report = {"up": True, "state_file": config.STATE_FILE, "inventory": config.INVENTORY_FILE,
              "addresses": state["addresses"], "guests": {}}
    for name, record in sorted(state["guests"].items()):
        running = guests.is_ours(record.get("nspawn_pid"), record.get("nspawn_start"))
        entry = {"ip": record["ip"], "running": bool(running), "faults": record["faults"]}
        if running:
            entry["ssh"] = guests.ssh_ready(record)
            entry["agent"] = guests.agent_state(guests.Guest(record))
        report["guests"][name] = entry
    return report
