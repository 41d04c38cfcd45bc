"""The fault registry: every named, reversible fault the lab can put into a guest.

Each fault is data + code in one place: its name, the check id of checks.md it exercises, what it
does to the guest, and apply / undo / observe. `observe` looks from inside the guest (or, for
lab-side blocks, from the guest's own connection attempts) and returns (present, evidence).
Tests and the demo use these same definitions.
"""
import base64
import json
import os
import time

from . import config, fixtures

AGENT_UNIT = config.AGENT_SERVICE + ".service"
AGENT_DROPIN_DIR = "/etc/systemd/system/%s.d" % AGENT_UNIT
PROXY_DEAD_PORT = config.PROXY_PORT + 1          # nothing listens there: "proxy configured but down"
STALE_SECONDS = 3 * 3600                          # a `transitioning` status this old is stale

# TCP connect from inside the guest: prints ok / timeout / refused / unreachable / <errno name>.
_TCP_PROBE = ("import errno,socket,sys\n"
              "s = socket.socket(); s.settimeout(float(sys.argv[3]))\n"
              "try:\n"
              "    s.connect((sys.argv[1], int(sys.argv[2]))); print('ok')\n"
              "except socket.timeout:\n"
              "    print('timeout')\n"
              "except OSError as e:\n"
              "    print({errno.ECONNREFUSED: 'refused', errno.EHOSTUNREACH: 'unreachable',\n"
              "           errno.ENETUNREACH: 'unreachable', errno.EACCES: 'prohibited',\n"
              "           errno.EPERM: 'blocked'}.get(e.errno, errno.errorcode.get(e.errno, str(e))))\n")


class Context:
    """What a fault may touch: one guest, the lab namespace's firewall, and its own backups."""

    def __init__(self, guest, lab_exec, backup_dir, agent_deb=None):
        self.guest = guest
        self.lab_exec = lab_exec          # callable(argv) running inside the lab namespace
        self.backup_dir = backup_dir
        self.agent_deb = agent_deb

    # -- backups of guest files, kept on the host so the guest holds nothing but the fault --
    def _backup_path(self, fault):
        return os.path.join(self.backup_dir, fault + ".json")

    def backup(self, fault, paths):
        """Save the current content of paths (None for absent) once, before the first change."""
        target = self._backup_path(fault)
        if os.path.exists(target):
            return
        saved = {}
        for path in paths:
            content = self.guest.exec(["base64", "-w0", "--", path], check=False)
            saved[path] = content.stdout if content.returncode == 0 else None
        os.makedirs(self.backup_dir, mode=0o700, exist_ok=True)
        with open(target, "w") as handle:
            json.dump(saved, handle)
        os.chmod(target, 0o600)

    def restore(self, fault):
        target = self._backup_path(fault)
        if not os.path.exists(target):
            return
        with open(target) as handle:
            saved = json.load(handle)
        for path, encoded in saved.items():
            if encoded is None:
                self.guest.exec(["rm", "-f", "--", path])
            else:
                self.guest.write_file(path, base64.b64decode(encoded).decode())
        os.remove(target)

    # -- small guest helpers --
    def tcp(self, ip, port, timeout=2.0):
        return self.guest.exec(["python3", "-c", _TCP_PROBE, ip, str(port), str(timeout)]).stdout.strip()

    def systemctl(self, *args):
        return self.guest.exec(["systemctl"] + list(args), check=False).stdout.strip()

    def conf_value(self, key):
        text = self.guest.read_file(config.AGENT_CONF) or ""
        for line in text.splitlines():
            if line.strip().startswith(key + "="):
                return line.split("=", 1)[1].strip()
        return None

    def set_conf(self, fault, key, value):
        self.backup(fault, [config.AGENT_CONF])
        text = self.guest.read_file(config.AGENT_CONF) or ""
        lines = [line for line in text.splitlines() if not line.strip().startswith(key + "=")]
        if value is not None:
            lines.append("%s=%s" % (key, value))
        self.guest.write_file(config.AGENT_CONF, "\n".join(lines) + "\n")

    def restart_agent_if_installed(self):
        """Restart a running agent so it reads its config. Faults applied back to back restart it
        often: clear systemd's start-rate counter so it does not give up (start-limit-hit)."""
        if self.guest.sh_ok(["test", "-x", "/usr/sbin/waagent"]):
            self.guest.exec(["systemctl", "reset-failed", AGENT_UNIT], check=False)
            self.guest.exec(["systemctl", "try-restart", AGENT_UNIT], check=False)


class Fault:
    def __init__(self, name, check, does, apply, undo, observe):
        self.name, self.check, self.does = name, check, does
        self._apply, self._undo, self._observe = apply, undo, observe

    def apply(self, ctx):
        self._apply(ctx)

    def undo(self, ctx):
        self._undo(ctx)

    def observe(self, ctx):
        return self._observe(ctx)

    def describe(self):
        return {"name": self.name, "check": self.check, "does": self.does}


REGISTRY = {}


def fault(name, check, does):
    """Decorator for a class holding apply/undo/observe static methods."""
    def register(cls):
        REGISTRY[name] = Fault(name, check, does, cls.apply, cls.undo, cls.observe)
        return cls
    return register


def get(name):
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError("unknown fault %r; known: %s" % (name, ", ".join(sorted(REGISTRY))))


# ---------------------------------------------------------------- agent ----
@fault("agent_stopped", "agent.service", "Stops walinuxagent.service (both agent processes end); "
       "it stays enabled.")
class AgentStopped:
    apply = staticmethod(lambda ctx: ctx.guest.exec(["systemctl", "stop", AGENT_UNIT]))

    @staticmethod
    def undo(ctx):
        ctx.guest.exec(["systemctl", "reset-failed", AGENT_UNIT], check=False)
        ctx.guest.exec(["systemctl", "start", AGENT_UNIT])

    @staticmethod
    def observe(ctx):
        active = ctx.systemctl("is-active", AGENT_UNIT)
        procs = ctx.guest.exec(["pgrep", "-f", "waagent -daemon"], check=False).returncode == 0
        return active != "active" and not procs, "is-active=%s daemon_process=%s" % (active, procs)


@fault("agent_disabled", "agent.service", "Disables walinuxagent.service at boot; the running "
       "agent is left alone.")
class AgentDisabled:
    apply = staticmethod(lambda ctx: ctx.guest.exec(["systemctl", "disable", "--quiet", AGENT_UNIT]))
    undo = staticmethod(lambda ctx: ctx.guest.exec(["systemctl", "enable", "--quiet", AGENT_UNIT]))

    @staticmethod
    def observe(ctx):
        enabled = ctx.systemctl("is-enabled", AGENT_UNIT)
        return enabled == "disabled", "is-enabled=%s" % enabled


@fault("agent_removed", "agent.installed", "Removes the waagent package with `dpkg -r`. As on a real "
       "Debian system the conffiles and the SysV script stay, and the package's postrm deletes "
       "/var/lib/waagent (extension handlers included). Undo reinstalls the same .deb offline and "
       "puts /var/lib/waagent back.")
class AgentRemoved:
    @staticmethod
    def _saved(ctx):
        return os.path.join(ctx.backup_dir, "agent_removed.var-lib-waagent.tar")

    @staticmethod
    def apply(ctx):
        ctx.guest.exec(["systemctl", "stop", AGENT_UNIT], check=False)
        archive = ctx.guest.exec(["tar", "-C", os.path.dirname(config.AGENT_LIB), "-cf", "-",
                                  os.path.basename(config.AGENT_LIB)], binary=True).stdout
        os.makedirs(ctx.backup_dir, mode=0o700, exist_ok=True)
        with open(AgentRemoved._saved(ctx), "wb") as handle:
            handle.write(archive)
        ctx.guest.exec(["dpkg", "-r", config.AGENT_PACKAGE], timeout=120)

    @staticmethod
    def undo(ctx):
        with open(ctx.agent_deb, "rb") as handle:
            deb = handle.read()
        target = "/var/tmp/" + os.path.basename(ctx.agent_deb)
        ctx.guest.exec(["dd", "status=none", "of=" + target], input=deb, binary=True)
        ctx.guest.exec(["dpkg", "-i", target], timeout=180)
        ctx.guest.exec(["rm", "-f", target])
        ctx.guest.exec(["systemctl", "stop", AGENT_UNIT], check=False)
        saved = AgentRemoved._saved(ctx)
        if os.path.exists(saved):
            with open(saved, "rb") as handle:
                ctx.guest.exec(["tar", "-C", os.path.dirname(config.AGENT_LIB), "-xf", "-"],
                               input=handle.read(), binary=True)
            os.remove(saved)
        ctx.guest.exec(["systemctl", "reset-failed", AGENT_UNIT], check=False)
        ctx.guest.exec(["systemctl", "enable", "--now", "--quiet", AGENT_UNIT])

    @staticmethod
    def observe(ctx):
        status = ctx.guest.exec(["dpkg-query", "-W", "-f=${Status}", config.AGENT_PACKAGE],
                                check=False).stdout.strip()
        binary = ctx.guest.sh_ok(["test", "-e", "/usr/sbin/waagent"])
        return "install ok installed" not in status and not binary, \
            "dpkg=%r /usr/sbin/waagent=%s" % (status, binary)


@fault("restart_no", "agent.autorestart", "Adds a unit drop-in with Restart=no: the agent stays "
       "down after a crash.")
class RestartNo:
    PATH = AGENT_DROPIN_DIR + "/90-lab-fault-restart-no.conf"

    @staticmethod
    def apply(ctx):
        ctx.guest.write_file(RestartNo.PATH, "[Service]\nRestart=no\n")
        ctx.guest.exec(["systemctl", "daemon-reload"])

    @staticmethod
    def undo(ctx):
        ctx.guest.exec(["rm", "-f", RestartNo.PATH])
        ctx.guest.exec(["systemctl", "daemon-reload"])

    @staticmethod
    def observe(ctx):
        value = ctx.systemctl("show", "-p", "Restart", "--value", AGENT_UNIT)
        return value == "no", "Restart=%s" % value


def _conf_fault(name, check, key, bad, does):
    class ConfFault:
        @staticmethod
        def apply(ctx):
            ctx.set_conf(name, key, bad)
            ctx.restart_agent_if_installed()

        @staticmethod
        def undo(ctx):
            ctx.restore(name)
            ctx.restart_agent_if_installed()

        @staticmethod
        def observe(ctx):
            value = ctx.conf_value(key)
            return value == bad, "%s=%s" % (key, value)
    fault(name, check, does)(ConfFault)


_conf_fault("extensions_disabled", "agent.extensions_enabled", "Extensions.Enabled", "n",
            "Sets Extensions.Enabled=n in /etc/waagent.conf and restarts the agent: it ignores "
            "every extension, the backup one included.")
_conf_fault("autoupdate_disabled", "agent.autoupdate", "AutoUpdate.Enabled", "n",
            "Sets AutoUpdate.Enabled=n in /etc/waagent.conf and restarts the agent.")
_conf_fault("logs_verbose", "agent.verbose_logging", "Logs.Verbose", "y",
            "Sets Logs.Verbose=y in /etc/waagent.conf and restarts the agent (an info finding).")


# ---------------------------------------------------------- connectivity ----
def _lab_block(name, ip, port, target, check, does):
    """A DROP/REJECT in the lab namespace for this guest's traffic to ip:port (the guest is untouched)."""
    def rule(ctx):
        argv = ["-s", ctx.guest.ip, "-d", ip, "-p", "tcp", "--dport", str(port),
                "-m", "comment", "--comment", "sdlab:%s:%s" % (name, ctx.guest.name), "-j", target]
        return argv + (["--reject-with", "tcp-reset"] if target == "REJECT" else [])

    class LabBlock:
        @staticmethod
        def apply(ctx):
            if ctx.lab_exec(["iptables", "-w", "-C", "INPUT"] + rule(ctx), check=False).returncode != 0:
                ctx.lab_exec(["iptables", "-w", "-I", "INPUT"] + rule(ctx))

        @staticmethod
        def undo(ctx):
            while ctx.lab_exec(["iptables", "-w", "-D", "INPUT"] + rule(ctx), check=False).returncode == 0:
                pass

        @staticmethod
        def observe(ctx):
            result = ctx.tcp(ip, port)
            expected = "timeout" if target == "DROP" else "refused"
            return result == expected, "tcp %s:%d from guest: %s" % (ip, port, result)
    fault(name, check, does)(LabBlock)


for _port in config.WIRESERVER_PORTS:
    _lab_block("wireserver_%d_drop" % _port, config.WIRESERVER_IP, _port, "DROP", "connectivity.wireserver",
               "Blackholes the guest's TCP to the wireserver port %d (DROP in the lab network): "
               "connections time out." % _port)
    _lab_block("wireserver_%d_reject" % _port, config.WIRESERVER_IP, _port, "REJECT",
               "connectivity.wireserver",
               "Rejects the guest's TCP to the wireserver port %d (REJECT with a TCP reset in the "
               "lab network): connections are refused." % _port)
_lab_block("imds_drop", config.IMDS_IP, config.IMDS_PORT, "DROP", "connectivity.imds",
           "Blackholes the guest's TCP to the IMDS (DROP in the lab network).")
_lab_block("https_drop", config.HTTPS_IP, config.HTTPS_PORT, "DROP", "connectivity.https",
           "Blackholes the guest's TCP to the HTTPS endpoints (DROP in the lab network).")


@fault("firewall_root_drop", "connectivity.firewall", "Adds a guest iptables OUTPUT rule that "
       "drops root's (uid 0) TCP to the wireserver, the way a hardening script might.")
class FirewallRootDrop:
    RULE = ["OUTPUT", "-d", config.WIRESERVER_IP, "-p", "tcp", "-m", "owner", "--uid-owner", "0",
            "-m", "comment", "--comment", "lab-fault-firewall-root-drop", "-j", "DROP"]

    @staticmethod
    def apply(ctx):
        if not ctx.guest.sh_ok(["iptables", "-w", "-C"] + FirewallRootDrop.RULE):
            ctx.guest.exec(["iptables", "-w", "-I"] + FirewallRootDrop.RULE)

    @staticmethod
    def undo(ctx):
        while ctx.guest.sh_ok(["iptables", "-w", "-D"] + FirewallRootDrop.RULE):
            pass

    @staticmethod
    def observe(ctx):
        rules = ctx.guest.exec(["iptables", "-w", "-S", "OUTPUT"]).stdout
        present = "lab-fault-firewall-root-drop" in rules
        result = ctx.tcp(config.WIRESERVER_IP, 80, timeout=1.0)
        return present and result == "timeout", "rule=%s tcp wireserver:80 as root: %s" % (present, result)


@fault("route_broken", "connectivity.route", "Adds an `unreachable` host route for the wireserver "
       "in the guest: the kernel refuses to send to it.")
class RouteBroken:
    ROUTE = ["unreachable", config.WIRESERVER_IP + "/32"]

    @staticmethod
    def apply(ctx):
        ctx.guest.exec(["ip", "route", "replace"] + RouteBroken.ROUTE)

    @staticmethod
    def undo(ctx):
        ctx.guest.exec(["ip", "route", "del"] + RouteBroken.ROUTE, check=False)

    @staticmethod
    def observe(ctx):
        route = ctx.guest.exec(["ip", "route", "get", config.WIRESERVER_IP], check=False)
        text = (route.stdout + route.stderr).strip()
        return route.returncode != 0 or text.startswith("unreachable"), "ip route get: %s" % text


@fault("dns_broken", "connectivity.dns", "Points the guest's resolv.conf at a lab address with no "
       "DNS server: the HTTPS endpoint names do not resolve.")
class DnsBroken:
    PATH = "/etc/resolv.conf"

    @staticmethod
    def apply(ctx):
        ctx.backup("dns_broken", [DnsBroken.PATH])
        ctx.guest.write_file(DnsBroken.PATH, "# lab fault dns_broken: no DNS server here\n"
                                             "nameserver %s\noptions timeout:1 attempts:1\n" % config.IMDS_IP)

    @staticmethod
    def undo(ctx):
        ctx.restore("dns_broken")

    @staticmethod
    def observe(ctx):
        result = ctx.guest.exec(["getent", "hosts", config.HTTPS_NAMES[0]], check=False)
        return result.returncode != 0, "getent hosts %s: rc=%d %s" % (
            config.HTTPS_NAMES[0], result.returncode, result.stdout.strip())


def _proxy_env(url):
    return "http_proxy=%s\nhttps_proxy=%s\nHTTP_PROXY=%s\nHTTPS_PROXY=%s\n" % (url, url, url, url)


@fault("proxy_down", "connectivity.proxy", "Configures a proxy (waagent.conf HttpProxy.Host/Port and "
       "/etc/environment) on a lab port where no proxy runs: the configured proxy is down.")
class ProxyDown:
    @staticmethod
    def apply(ctx):
        ctx.backup("proxy_down", [config.AGENT_CONF, "/etc/environment"])
        ctx.set_conf("proxy_down", "HttpProxy.Host", config.BRIDGE_IP)
        ctx.set_conf("proxy_down", "HttpProxy.Port", str(PROXY_DEAD_PORT))
        ctx.guest.write_file("/etc/environment",
                             _proxy_env("http://%s:%d/" % (config.BRIDGE_IP, PROXY_DEAD_PORT)))
        ctx.restart_agent_if_installed()

    @staticmethod
    def undo(ctx):
        ctx.restore("proxy_down")
        ctx.restart_agent_if_installed()

    @staticmethod
    def observe(ctx):
        host, port = ctx.conf_value("HttpProxy.Host"), ctx.conf_value("HttpProxy.Port")
        if not host or not port:
            return False, "no HttpProxy in waagent.conf"
        result = ctx.tcp(host, int(port), timeout=1.0)
        return result != "ok", "proxy %s:%s: %s" % (host, port, result)


@fault("proxy_env_only", "connectivity.proxy", "Sets http_proxy/https_proxy in /etc/environment "
       "(the working lab proxy) but not in waagent.conf: the two places disagree.")
class ProxyEnvOnly:
    @staticmethod
    def apply(ctx):
        ctx.backup("proxy_env_only", ["/etc/environment"])
        ctx.guest.write_file("/etc/environment",
                             _proxy_env("http://%s:%d/" % (config.BRIDGE_IP, config.PROXY_PORT)))

    @staticmethod
    def undo(ctx):
        ctx.restore("proxy_env_only")

    @staticmethod
    def observe(ctx):
        env = ctx.guest.read_file("/etc/environment") or ""
        in_env = "http_proxy=" in env
        in_conf = bool(ctx.conf_value("HttpProxy.Host"))
        return in_env and not in_conf, "environment=%s waagent.conf=%s" % (in_env, in_conf)


# ------------------------------------------------------------- extension ----
def _status_fault(name, does, content):
    class StatusFault:
        @staticmethod
        def apply(ctx):
            path = fixtures.status_path(fixtures.CURRENT_VERSION)
            ctx.backup(name, [path])
            text, seconds_ago = content()
            ctx.guest.write_file(path, text)
            if seconds_ago:
                stamp = time.strftime("%Y%m%d%H%M.%S", time.gmtime(time.time() - seconds_ago))
                ctx.guest.exec(["env", "TZ=UTC", "touch", "-m", "-t", stamp, path])

        @staticmethod
        def undo(ctx):
            ctx.restore(name)

        @staticmethod
        def observe(ctx):
            text = ctx.guest.read_file(fixtures.status_path(fixtures.CURRENT_VERSION))
            try:
                status = json.loads(text)[0]["status"]
            except (TypeError, ValueError, LookupError):
                return False, "status file unreadable"
            wanted = "error" if name == "extension_status_error" else "transitioning"
            return status["status"] == wanted, "status=%s code=%s" % (status["status"], status.get("code"))
    fault(name, "extension.status", does)(StatusFault)


_status_fault("extension_status_error",
              "Rewrites the VMSnapshotLinux handler's newest .status as `error`, code %d (%s), "
              "with the extension's message." % (fixtures.ERROR_CODE, fixtures.ERROR_NAME),
              lambda: (fixtures.error_status(), 0))
_status_fault("extension_status_stale",
              "Rewrites the handler's newest .status as `transitioning` with a timestamp (and mtime) "
              "%d hours old." % (STALE_SECONDS // 3600),
              lambda: (fixtures.transitioning_status(STALE_SECONDS), STALE_SECONDS))


def _handler_dirs(ctx):
    listing = ctx.guest.exec(["ls", "-1", config.AGENT_LIB]).stdout.split()
    prefix = config.VMSNAPSHOT_HANDLER + "-"
    return sorted(entry[len(prefix):] for entry in listing if entry.startswith(prefix))


@fault("extension_old", "extension.version", "Replaces the VMSnapshotLinux handler directory with "
       "one at %s, older than the article's 1.0.91.0." % fixtures.OLD_VERSION)
class ExtensionOld:
    @staticmethod
    def apply(ctx):
        ctx.guest.exec(["mv", "-T", fixtures.handler_dir(fixtures.CURRENT_VERSION),
                        fixtures.handler_dir(fixtures.OLD_VERSION)])

    @staticmethod
    def undo(ctx):
        ctx.guest.exec(["mv", "-T", fixtures.handler_dir(fixtures.OLD_VERSION),
                        fixtures.handler_dir(fixtures.CURRENT_VERSION)])

    @staticmethod
    def observe(ctx):
        versions = _handler_dirs(ctx)
        return versions == [fixtures.OLD_VERSION], "handler versions on disk: %s" % versions


@fault("extension_two_versions", "extension.stale", "Adds a second VMSnapshotLinux handler "
       "directory (%s) beside the current one." % fixtures.OLD_VERSION)
class ExtensionTwoVersions:
    @staticmethod
    def apply(ctx):
        for path, content, mode in fixtures.handler_files(fixtures.OLD_VERSION, fixtures.success_status()):
            ctx.guest.write_file(path, content, mode)

    @staticmethod
    def undo(ctx):
        ctx.guest.remove(fixtures.handler_dir(fixtures.OLD_VERSION))

    @staticmethod
    def observe(ctx):
        versions = _handler_dirs(ctx)
        return len(versions) >= 2, "handler versions on disk: %s" % versions


@fault("extension_missing", "extension.installed", "Moves the VMSnapshotLinux handler directory "
       "out of /var/lib/waagent (backup never installed it here; an info finding).")
class ExtensionMissing:
    PARKED = "/var/lib/lab-parked-" + config.VMSNAPSHOT_HANDLER

    @staticmethod
    def apply(ctx):
        ctx.guest.exec(["mv", "-T", fixtures.handler_dir(fixtures.CURRENT_VERSION), ExtensionMissing.PARKED])

    @staticmethod
    def undo(ctx):
        ctx.guest.exec(["mv", "-T", ExtensionMissing.PARKED, fixtures.handler_dir(fixtures.CURRENT_VERSION)])

    @staticmethod
    def observe(ctx):
        versions = _handler_dirs(ctx)
        return versions == [], "handler versions on disk: %s" % versions


# -------------------------------------------------------------- snapshot ----
def _static_text(ctx, style):
    ip = ctx.guest.ip
    if style == "ifupdown":
        return ("# interfaces(5) file used by ifup(8) and ifdown(8)\nsource /etc/network/interfaces.d/*\n\n"
                "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n"
                "    address %s/%d\n" % (ip, config.PREFIX_LEN))
    if style == "netplan":
        return ("network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: false\n"
                "      addresses: [%s/%d]\n" % (ip, config.PREFIX_LEN))
    return "[Match]\nName=eth0\n\n[Network]\nDHCP=no\nAddress=%s/%d\n" % (ip, config.PREFIX_LEN)


STATIC_FILES = {"ifupdown": "/etc/network/interfaces",
                "netplan": "/etc/netplan/50-cloud-init.yaml",
                "networkd": "/etc/systemd/network/10-eth0.network"}


def _static_fault(style, does):
    name = "static_ip_" + style
    path = STATIC_FILES[style]

    class StaticIp:
        @staticmethod
        def apply(ctx):
            ctx.backup(name, [path])
            if style == "ifupdown":
                # Really switch: release the lease, come back with the same address, statically.
                ctx.guest.exec(["ifdown", "eth0"], timeout=30)
                ctx.guest.write_file(path, _static_text(ctx, style))
                ctx.guest.exec(["ifup", "eth0"], timeout=30)
            else:
                ctx.guest.write_file(path, _static_text(ctx, style), 0o600 if style == "netplan" else 0o644)

        @staticmethod
        def undo(ctx):
            if style == "ifupdown":
                ctx.guest.exec(["ifdown", "eth0"], timeout=30)
                ctx.restore(name)
                ctx.guest.exec(["ifup", "eth0"], timeout=60)
            else:
                ctx.restore(name)

        @staticmethod
        def observe(ctx):
            text = ctx.guest.read_file(path) or ""
            static = ("inet static" in text) if style == "ifupdown" else (
                "dhcp4: false" in text if style == "netplan" else "DHCP=no" in text)
            evidence = "%s static=%s" % (path, static)
            if style == "ifupdown":
                dhclient = ctx.guest.exec(["pgrep", "-x", "dhclient"], check=False).returncode == 0
                static = static and not dhclient
                evidence += " dhclient_running=%s" % dhclient
            return static, evidence
    fault(name, "snapshot.dhcp", does)(StaticIp)


_static_fault("ifupdown", "Switches eth0 in /etc/network/interfaces from dhcp to a static address "
              "(the guest's own, so it stays reachable) and re-raises it: no DHCP client runs.")
_static_fault("netplan", "Writes a netplan file with dhcp4: false and a static address (netplan is "
              "not installed: the file is evidence for the check, not applied).")
_static_fault("networkd", "Writes a systemd-networkd .network file with DHCP=no and a static "
              "address (networkd is not enabled: evidence for the check, not applied).")


@fault("cpu_burn", "snapshot.load", "Runs %d busy loops per host CPU as transient units "
       "lab-cpu-burn-N (each ends by itself after %d s): more work than CPUs, so work waits and the "
       "guest's CPU pressure (PSI) reaches 90 %% within about 30 s. The guests' shared cgroup and the "
       "host's /proc see the load too." % (config.CPU_BURN_PER_CPU, config.CPU_BURN_SECONDS))
class CpuBurn:
    @staticmethod
    def units():
        return ["lab-cpu-burn-%d" % index for index in range(config.CPU_BURN_PER_CPU * (os.cpu_count() or 1))]

    @staticmethod
    def apply(ctx):
        for unit in CpuBurn.units():
            if ctx.systemctl("is-active", unit) != "active":
                ctx.guest.exec(["systemd-run", "--quiet", "--unit", unit, "--collect",
                                "-p", "RuntimeMaxSec=%d" % config.CPU_BURN_SECONDS,
                                "timeout", str(config.CPU_BURN_SECONDS), "sh", "-c", "while :; do :; done"])

    @staticmethod
    def undo(ctx):
        ctx.guest.exec(["systemctl", "stop"] + [unit + ".service" for unit in CpuBurn.units()], check=False)

    @staticmethod
    def observe(ctx):
        active = [unit for unit in CpuBurn.units() if ctx.systemctl("is-active", unit) == "active"]
        sample = ctx.guest.exec(["python3", "-c", "import psutil; print(psutil.cpu_percent(interval=1.5))"])
        busy = float(sample.stdout.strip())
        return len(active) == len(CpuBurn.units()) and busy >= 90.0, \
            "burners=%d/%d cpu=%.0f%%" % (len(active), len(CpuBurn.units()), busy)


def names():
    return sorted(REGISTRY)


def checks_covered():
    return sorted({item.check for item in REGISTRY.values()})
