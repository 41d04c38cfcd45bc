"""Network namespaces, the lab bridge and the veths.

Layout (nothing routes out of it; no default route anywhere, no NAT, no forwarding):

  root namespace            lab namespace (LAB_NETNS)                guest namespaces
  sdlab-ctl 10.213.0.254 -- sdlab-ctl-p ─┐
                            sdlab-br0 ├─ .1 DNS/DHCP/proxy, .2 wireserver, .3 IMDS, .4 HTTPS
                                       ├─ sdl-guest1 ───────────────── eth0 (DHCP: .11) in sdlab-guest1
                                       └─ sdl-guest2 ───────────────── eth0 (DHCP: .12) in sdlab-guest2
The root namespace only gets the connected route to the lab /24 on sdlab-ctl.
"""
import os
import subprocess

from . import config

NETNS_DIR = "/run/netns"


def run(argv, check=True, capture=False, **kwargs):
    return subprocess.run(argv, check=check, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None, **kwargs)


def in_netns(netns, argv):
    return ["ip", "netns", "exec", netns] + list(argv)


def netns_exists(netns):
    return os.path.exists(os.path.join(NETNS_DIR, netns))


def lab_namespaces():
    """Every namespace the lab may have created, found by its name prefix (for cleanup)."""
    if not os.path.isdir(NETNS_DIR):
        return []
    return sorted(name for name in os.listdir(NETNS_DIR)
                  if name == config.LAB_NETNS or name.startswith(config.GUEST_NETNS_PREFIX))


def netns_pids(netns):
    result = run(["ip", "netns", "pids", netns], check=False, capture=True)
    return [int(pid) for pid in result.stdout.split()] if result.returncode == 0 else []


def create_lab_network():
    """The lab namespace with its bridge and service addresses, and the controller veth."""
    ns = config.LAB_NETNS
    run(["ip", "netns", "add", ns])
    lab = ["ip", "-n", ns]
    run(lab + ["link", "set", "lo", "up"])
    run(lab + ["link", "add", config.BRIDGE, "type", "bridge"])
    for address in (config.BRIDGE_IP, config.WIRESERVER_IP, config.IMDS_IP, config.HTTPS_IP):
        run(lab + ["addr", "add", "%s/%d" % (address, config.PREFIX_LEN), "dev", config.BRIDGE])
    run(lab + ["link", "set", config.BRIDGE, "up"])
    # The lab namespace forwards nothing: guests talk to it or to each other over the bridge only.
    run(in_netns(ns, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=0"]))
    run(in_netns(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]))
    # Controller link: root end keeps its address, the lab end joins the bridge.
    run(["ip", "link", "add", config.CONTROLLER_VETH, "type", "veth",
         "peer", "name", config.CONTROLLER_VETH_PEER, "netns", ns])
    run(lab + ["link", "set", config.CONTROLLER_VETH_PEER, "master", config.BRIDGE, "up"])
    run(["ip", "addr", "add", "%s/%d" % (config.CONTROLLER_IP, config.PREFIX_LEN),
         "dev", config.CONTROLLER_VETH])
    run(["ip", "link", "set", config.CONTROLLER_VETH, "up"])
    # Programs run with `ip netns exec` read /etc/netns/<ns>/resolv.conf: the lab resolves lab names only.
    os.makedirs(os.path.join("/etc/netns", ns), exist_ok=True)
    with open(os.path.join("/etc/netns", ns, "resolv.conf"), "w") as handle:
        handle.write("# snapshot-doctor lab\nnameserver %s\n" % config.BRIDGE_IP)


def create_guest_network(name, index):
    """A namespace for one guest; its eth0 (fixed MAC, for the DHCP lease) is plugged into the bridge."""
    netns = config.guest_netns(name)
    run(["ip", "netns", "add", netns])
    host_end = config.GUEST_VETH_HOST_PREFIX + name
    run(["ip", "-n", config.LAB_NETNS, "link", "add", host_end, "type", "veth",
         "peer", "name", config.GUEST_IFACE, "netns", netns])
    run(["ip", "-n", config.LAB_NETNS, "link", "set", host_end, "master", config.BRIDGE, "up"])
    run(["ip", "-n", netns, "link", "set", config.GUEST_IFACE, "address", config.guest_mac(index)])
    run(in_netns(netns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]))
    return netns


def delete_netns(netns):
    if netns_exists(netns):
        run(["ip", "netns", "del", netns], check=False)


def delete_lab_network():
    """Remove every lab namespace and the controller veth. Safe to call at any time."""
    for netns in lab_namespaces():
        delete_netns(netns)
    if os.path.exists("/sys/class/net/" + config.CONTROLLER_VETH):
        run(["ip", "link", "del", config.CONTROLLER_VETH], check=False)
    resolv = os.path.join("/etc/netns", config.LAB_NETNS, "resolv.conf")
    if os.path.exists(resolv):
        os.remove(resolv)
        try:
            os.rmdir(os.path.dirname(resolv))
        except OSError:
            pass
