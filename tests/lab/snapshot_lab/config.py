"""Every name, address and path the lab uses, in one place."""
import os

# One private /24 used only inside the lab's namespaces. Never an Azure or public address.
NETWORK_ADDRESS = "10.213.0.0"
PREFIX_LEN = 24
SUBNET = "%s/%d" % (NETWORK_ADDRESS, PREFIX_LEN)
BRIDGE_IP = "10.213.0.1"          # dnsmasq (DNS + DHCP) and the HTTP proxy listen here
WIRESERVER_IP = "10.213.0.2"      # fake wireserver :80 and HostGAPlugin :32526
IMDS_IP = "10.213.0.3"            # fake IMDS :80
HTTPS_IP = "10.213.0.4"           # fake Azure HTTPS endpoints :443 (lab CA)
CONTROLLER_IP = "10.213.0.254"    # the root namespace's end of the controller veth
FIRST_GUEST_HOST = 11             # guest N gets 10.213.0.(10 + N)
MAX_GUESTS = 40

WIRESERVER_PORTS = (80, 32526)
IMDS_PORT = 80
HTTPS_PORT = 443
PROXY_PORT = 3128
LAB_DOMAIN = "lab.test"
HTTPS_NAMES = ("management.lab.test", "storage.lab.test")
UNRESOLVABLE_NAME = "nosuch.lab.test"   # a name dnsmasq answers NXDOMAIN for

# Names of kernel objects; short because interface names are limited to 15 characters.
LAB_NETNS = "sdlab-core"
GUEST_NETNS_PREFIX = "sdlab-"        # + guest name
BRIDGE = "sdlab-br0"
CONTROLLER_VETH = "sdlab-ctl"        # root namespace end
CONTROLLER_VETH_PEER = "sdlab-ctl-p"  # lab namespace end, on the bridge
GUEST_VETH_HOST_PREFIX = "sdl-"      # + guest name, the bridge end in the lab namespace

GUEST_NAME_PREFIX = "guest"
GUEST_IFACE = "eth0"

# Where things live. The cache survives reboots; the state dir is per boot.
CACHE_DIR = os.environ.get("LAB_CACHE", "/var/cache/snapshot-doctor-lab")
STATE_DIR = os.environ.get("LAB_STATE", "/run/snapshot-doctor-lab")
STATE_FILE = os.path.join(STATE_DIR, "lab.json")
INVENTORY_FILE = os.path.join(STATE_DIR, "inventory.yml")
SSH_KEY = os.path.join(STATE_DIR, "id_ed25519")
KNOWN_HOSTS = os.path.join(STATE_DIR, "known_hosts")
CA_DIR = os.path.join(STATE_DIR, "ca")
CA_CERT = os.path.join(CA_DIR, "lab-ca.crt")
GUESTS_DIR = os.path.join(STATE_DIR, "guests")
LOG_DIR = os.path.join(STATE_DIR, "logs")

# systemd-nspawn comes from the systemd-container .deb unpacked here by `make lab-deps`, because
# installing the package would upgrade the machine's own systemd.
NSPAWN_DIR = os.environ.get("LAB_NSPAWN_DIR", os.path.join(CACHE_DIR, "systemd-container"))
NSPAWN = os.path.join(NSPAWN_DIR, "usr", "bin", "systemd-nspawn")

TEMPLATE_SUITE = "bookworm"
# The Debian mirror debootstrap uses: LAB_MIRROR, else the one this machine's apt is configured with.
TEMPLATE_MIRROR = os.environ.get("LAB_MIRROR")
APT_SOURCES = ("/etc/apt/sources.list", "/etc/apt/sources.list.d")

# Agent facts for Debian 12's waagent package.
AGENT_SERVICE = "walinuxagent"
AGENT_PACKAGE = "waagent"
AGENT_CONF = "/etc/waagent.conf"
AGENT_LIB = "/var/lib/waagent"
AGENT_LOG = "/var/log/waagent.log"
VMSNAPSHOT_HANDLER = "Microsoft.Azure.RecoveryServices.VMSnapshotLinux"

BOOT_TIMEOUT = 60          # seconds until ssh must answer
CPU_BURN_SECONDS = 600     # upper bound on the CPU-burner fault
# Busy loops per CPU: with one per CPU nothing waits, and the PSI that confirms lasting load stays low
# (measured: 2 per CPU hovered at 86-94 % in the guest's cgroup, 3 per CPU reached 91 % in 25 s, 99 % in 50 s).
CPU_BURN_PER_CPU = 3


def guest_name(index):
    return "%s%d" % (GUEST_NAME_PREFIX, index)


def guest_ip(index):
    return "10.213.0.%d" % (FIRST_GUEST_HOST - 1 + index)


def guest_mac(index):
    # Locally administered, unicast; the index makes the DHCP static lease per guest.
    return "02:5d:1a:00:00:%02x" % index


def guest_netns(name):
    return GUEST_NETNS_PREFIX + name
