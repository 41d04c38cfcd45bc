"""The lab's platform services, all inside the lab namespace: DNS/DHCP (dnsmasq), the HTTP proxy
(tinyproxy), the fake wireserver/HostGAPlugin/IMDS/HTTPS (fake_platform.py), and the lab CA."""
import json
import os
import subprocess
import sys
import time

from . import config, network

LAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_ca(log):
    """A lab CA and a server certificate for the HTTPS names, made fresh at every lab-up."""
    os.makedirs(config.CA_DIR, mode=0o700, exist_ok=True)
    ca_key = os.path.join(config.CA_DIR, "lab-ca.key")
    server_key = os.path.join(config.CA_DIR, "server.key")
    server_csr = os.path.join(config.CA_DIR, "server.csr")
    server_crt = os.path.join(config.CA_DIR, "server.crt")
    ext = os.path.join(config.CA_DIR, "server.ext")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", ca_key, "-out", config.CA_CERT, "-days", "7",
                    "-subj", "/O=snapshot-doctor lab/CN=snapshot-doctor lab CA",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"], check=True, **quiet)
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", server_key, "-out", server_csr,
                    "-subj", "/CN=" + config.HTTPS_NAMES[0]], check=True, **quiet)
    with open(ext, "w") as handle:
        handle.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                     % ",".join("DNS:" + name for name in config.HTTPS_NAMES))
    subprocess.run(["openssl", "x509", "-req", "-in", server_csr, "-CA", config.CA_CERT,
                    "-CAkey", ca_key, "-CAcreateserial", "-out", server_crt, "-days", "7",
                    "-extfile", ext], check=True, **quiet)
    for path in (ca_key, server_key):
        os.chmod(path, 0o600)
    log("lab CA: %s" % config.CA_CERT)
    return server_crt, server_key


def _spawn(name, argv, log):
    """Start a service inside the lab namespace; returns its record for lab.json."""
    out = open(os.path.join(config.LOG_DIR, name + ".log"), "ab")
    process = subprocess.Popen(network.in_netns(config.LAB_NETNS, argv), stdin=subprocess.DEVNULL,
                               stdout=out, stderr=out, start_new_session=True)
    out.close()
    log("%s: pid %d" % (name, process.pid))
    return {"pid": process.pid, "argv": argv}


def dnsmasq_argv(guests):
    argv = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--pid-file=",
            # Only BRIDGE_IP: the other lab addresses must have no DNS server (dns_broken uses one).
            "--bind-interfaces", "--listen-address=" + config.BRIDGE_IP,
            # DNS: only lab names; nothing is forwarded anywhere.
            "--no-resolv", "--no-hosts", "--no-poll", "--domain=" + config.LAB_DOMAIN,
            "--local=/%s/" % config.LAB_DOMAIN, "--log-queries",
            "--log-facility=" + os.path.join(config.LOG_DIR, "dnsmasq.events.log"),
            # DHCP: a static lease per guest MAC, no router (no default route), and option 245
            # (the wireserver address) which the agent reads from the dhclient lease.
            "--dhcp-range=%s,static,255.255.255.0,12h" % config.NETWORK_ADDRESS,
            "--dhcp-option=3", "--dhcp-option-force=245,%s" % config.WIRESERVER_IP,
            "--dhcp-leasefile=" + os.path.join(config.STATE_DIR, "dnsmasq.leases"),
            "--dhcp-authoritative", "--log-dhcp"]
    for name in config.HTTPS_NAMES:
        argv.append("--address=/%s/%s" % (name, config.HTTPS_IP))
    argv.append("--host-record=wireserver.%s,%s" % (config.LAB_DOMAIN, config.WIRESERVER_IP))
    argv.append("--host-record=proxy.%s,%s" % (config.LAB_DOMAIN, config.BRIDGE_IP))
    for guest in guests:
        argv.append("--dhcp-host=%s,%s,%s" % (guest["mac"], guest["ip"], guest["name"]))
    return argv


def start_dnsmasq(guests, log):
    return _spawn("dnsmasq", dnsmasq_argv(guests), log)


def tinyproxy_config():
    return ("# snapshot-doctor lab proxy (written at lab-up)\n"
            "User nobody\nGroup nogroup\n"
            "Port %d\nListen %s\nTimeout 30\n"
            "Allow %s\n"
            "LogLevel Info\nMaxClients 50\nDisableViaHeader Yes\n"
            "ConnectPort 443\nConnectPort 80\n" % (config.PROXY_PORT, config.BRIDGE_IP, config.SUBNET))


def start_tinyproxy(log):
    path = os.path.join(config.STATE_DIR, "tinyproxy.conf")
    with open(path, "w") as handle:
        handle.write(tinyproxy_config())
    os.chmod(path, 0o644)
    return _spawn("tinyproxy", ["tinyproxy", "-d", "-c", path], log)


def start_platform(guests, cert, key, log):
    path = os.path.join(config.STATE_DIR, "platform-guests.json")
    with open(path, "w") as handle:
        json.dump({guest["ip"]: {key_: guest[key_] for key_ in ("name", "vm_id", "mac", "ip")}
                   for guest in guests}, handle, indent=1)
    argv = [sys.executable, "-u", os.path.join(LAB_DIR, "snapshot_lab", "fake_platform.py"),
            "--guests", path, "--cert", cert, "--key", key,
            "--log", os.path.join(config.LOG_DIR, "platform.requests.log")]
    return _spawn("platform", argv, log)


def wait_listening(endpoints, timeout=10):
    """Wait until every (ip, port) accepts TCP inside the lab namespace."""
    deadline = time.monotonic() + timeout
    pending = list(endpoints)
    while pending and time.monotonic() < deadline:
        pending = [(ip, port) for ip, port in pending if not _listening(ip, port)]
        if pending:
            time.sleep(0.1)
    if pending:
        raise RuntimeError("lab services not listening: %s" % pending)


def _listening(ip, port):
    listing = subprocess.run(network.in_netns(config.LAB_NETNS, ["ss", "-Htln"]), text=True,
                             stdout=subprocess.PIPE, check=False).stdout
    return any(line.split()[3] == "%s:%d" % (ip, port) for line in listing.splitlines() if line.split())


SERVICE_ENDPOINTS = [(config.BRIDGE_IP, 53), (config.BRIDGE_IP, config.PROXY_PORT),
                     (config.WIRESERVER_IP, 80), (config.WIRESERVER_IP, 32526),
                     (config.IMDS_IP, config.IMDS_PORT), (config.HTTPS_IP, config.HTTPS_PORT)]
