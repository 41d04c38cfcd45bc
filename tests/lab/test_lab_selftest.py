"""Lab self-test: boots guests and checks that the lab is what it claims to be.

Needs root and `make lab-deps`; run with `make lab-test`. Every fault in the registry is applied to
a guest, observed from inside it, undone, and observed gone.
"""
import ipaddress
import json
import subprocess

import pytest

from snapshot_lab import config, faults, guests, lab

pytestmark = pytest.mark.lab

FAULT_GUEST = "guest2"


def ssh(state, name, command):
    return subprocess.run(guests.ssh_command(state["guests"][name], command), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, check=False)


def guest(state, name):
    return lab.get_guest(state, name)


def test_every_guest_answers_ssh_with_the_lab_key(lab_state):
    for name, record in lab_state["guests"].items():
        result = ssh(lab_state, name, ["hostname"])
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == name
        assert ssh(lab_state, name, ["cat", "/etc/debian_version"]).stdout.startswith("12.")


def test_three_guest_boot_budget_is_met(lab_state):
    # The budget is 3 guests in 10 s; the fixture boots fewer, so this is the upper bound.
    assert lab_state["boot_to_ssh_seconds"] < 10


def test_the_real_agent_is_ready_in_every_guest(lab_state):
    for name in lab_state["guests"]:
        state = guests.agent_state(guest(lab_state, name))
        assert state["daemon"] and state["exthandlers"] and state["goal_state_agent"], (name, state)
        version = guest(lab_state, name).exec(["waagent", "-version"]).stdout
        assert "WALinuxAgent-2.7.3.0 running on debian 12" in version
        log = guest(lab_state, name).read_file(config.AGENT_LOG)
        assert "Wire server endpoint:%s" % config.WIRESERVER_IP in log


def test_the_agent_found_the_wireserver_through_dhcp_option_245(lab_state):
    lease = guest(lab_state, "guest1").read_file("/var/lib/dhcp/dhclient.eth0.leases")
    wanted = ":".join("%x" % int(part) for part in config.WIRESERVER_IP.split("."))
    assert "option unknown-245 %s;" % wanted in lease


def test_fake_platform_answers_like_the_real_one(lab_state):
    probe = guest(lab_state, "guest1")
    versions = probe.exec(["curl", "-sS", "http://%s/?comp=versions" % config.WIRESERVER_IP]).stdout
    assert "<Preferred>" in versions and "2012-11-30" in versions
    health = probe.exec(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                         "http://%s:32526/health" % config.WIRESERVER_IP]).stdout
    assert health == "200"
    imds = "http://%s/metadata/instance?api-version=2021-02-01" % config.IMDS_IP
    without = probe.exec(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", imds]).stdout
    assert without == "400"
    document = json.loads(probe.exec(["curl", "-sS", "-H", "Metadata: true", imds]).stdout)
    assert document["compute"]["name"] == "guest1"
    assert document["compute"]["vmId"] == lab_state["guests"]["guest1"]["vm_id"]
    assert document["network"]["interface"][0]["ipv4"]["ipAddress"][0]["privateIpAddress"] == \
        lab_state["guests"]["guest1"]["ip"]


def test_https_endpoint_is_trusted_through_the_lab_ca_directly_and_via_the_proxy(lab_state):
    probe = guest(lab_state, "guest1")
    for name in config.HTTPS_NAMES:
        direct = probe.exec(["curl", "-sS", "--noproxy", "*", "https://%s/" % name], check=False)
        assert direct.returncode == 0, direct.stderr
        proxied = probe.exec(["curl", "-sS", "--proxy", "http://%s:%d" % (config.BRIDGE_IP, config.PROXY_PORT),
                              "https://%s/" % name], check=False)
        assert proxied.returncode == 0, proxied.stderr
    # Python's ssl (what the product uses) trusts it too.
    python_tls = probe.exec(["python3", "-c", "import urllib.request,sys; print(urllib.request.urlopen("
                             "'https://%s/', timeout=5).status)" % config.HTTPS_NAMES[0]])
    assert python_tls.stdout.strip() == "200"


def test_names_outside_the_lab_do_not_resolve(lab_state):
    probe = guest(lab_state, "guest1")
    assert probe.exec(["getent", "hosts", config.UNRESOLVABLE_NAME], check=False).returncode != 0


def _routes(target, argv):
    text = target(argv)
    return [line for line in text.splitlines() if line.strip()]


def test_guests_have_no_route_out_of_the_lab(lab_state):
    """Read from the routing tables only: nothing is sent anywhere."""
    subnet = ipaddress.ip_network(config.SUBNET)
    for name in lab_state["guests"]:
        probe = guest(lab_state, name)
        routes = json.loads(probe.exec(["ip", "-j", "-4", "route", "show", "table", "all"]).stdout)
        assert routes, "no routes at all in %s" % name
        for route in routes:
            destination = route["dst"]
            assert destination != "default", (name, route)
            if route.get("type") in ("local", "broadcast") and route.get("table") == "local":
                network = ipaddress.ip_network(destination, strict=False)
                assert network.subnet_of(subnet) or network.is_loopback, (name, route)
                continue
            network = ipaddress.ip_network(destination, strict=False)
            assert network.subnet_of(subnet), (name, route)
        assert json.loads(probe.exec(["ip", "-j", "-6", "route", "show", "table", "main"]).stdout) == []
    lab_routes = json.loads(subprocess.run(["ip", "-n", config.LAB_NETNS, "-j", "-4", "route"], text=True,
                                           stdout=subprocess.PIPE, check=True).stdout)
    assert all(route["dst"] != "default" and ipaddress.ip_network(route["dst"]).subnet_of(subnet)
               for route in lab_routes), lab_routes


def test_inventory_points_the_product_at_the_lab(lab_state):
    with open(config.INVENTORY_FILE) as handle:
        text = handle.read()
    for needle in ("diagnose_assume_azure: true", 'diagnose_wireserver: "%s"' % config.WIRESERVER_IP,
                   'diagnose_imds: "%s:%d"' % (config.IMDS_IP, config.IMDS_PORT),
                   '- "%s:443"' % config.HTTPS_NAMES[0], 'connectivity_wireserver: "%s"' % config.WIRESERVER_IP,
                   'connectivity_imds: "%s:%d"' % (config.IMDS_IP, config.IMDS_PORT)):
        assert needle in text
    for name, record in lab_state["guests"].items():
        assert "ansible_host: %s" % record["ip"] in text


def test_ansible_reaches_the_guests_through_the_inventory(lab_state):
    result = subprocess.run(["ansible", "-i", config.INVENTORY_FILE, "lab", "-m", "ansible.builtin.ping",
                             "-o"], text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stdout
    assert result.stdout.count("SUCCESS") == len(lab_state["guests"])


def test_lab_json_records_what_down_needs(lab_state):
    state = lab.load_state()
    assert set(state["guests"]) == {config.guest_name(i) for i in range(1, len(state["guests"]) + 1)}
    for record in state["guests"].values():
        assert guests.is_ours(record["nspawn_pid"], record["nspawn_start"])
        assert record["netns"] in subprocess.run(["ip", "netns", "list"], text=True,
                                                 stdout=subprocess.PIPE, check=True).stdout


@pytest.mark.parametrize("fault_name", faults.names())
def test_fault_is_observable_and_reversible(lab_state, fault_name):
    before, evidence = lab.observe_fault(fault_name, FAULT_GUEST)
    assert not before, "present before apply: %s" % evidence
    lab.apply_fault(fault_name, FAULT_GUEST)
    try:
        present, evidence = lab.observe_fault(fault_name, FAULT_GUEST)
        assert present, "not observable after apply: %s" % evidence
        assert fault_name in lab.load_state()["guests"][FAULT_GUEST]["faults"]
    finally:
        lab.undo_fault(fault_name, FAULT_GUEST)
    after, evidence = lab.observe_fault(fault_name, FAULT_GUEST)
    assert not after, "still present after undo: %s" % evidence
    assert fault_name not in lab.load_state()["guests"][FAULT_GUEST]["faults"]


def test_faults_cover_every_linux_check():
    linux_checks = {"connectivity.wireserver", "connectivity.imds", "connectivity.https",
                    "connectivity.dns", "connectivity.proxy", "connectivity.route", "connectivity.firewall",
                    "agent.installed", "agent.service", "agent.autorestart", "agent.extensions_enabled",
                    "agent.autoupdate", "agent.verbose_logging", "extension.installed", "extension.version",
                    "extension.status", "extension.stale", "snapshot.load", "snapshot.dhcp"}
    assert linux_checks <= set(faults.checks_covered())


def test_fault_guest_is_healthy_again_after_all_faults(lab_state):
    lab.wait_for_agents(lab_state, timeout=90, names=[FAULT_GUEST])
    assert lab.load_state()["guests"][FAULT_GUEST]["faults"] == []
