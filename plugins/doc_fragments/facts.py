# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the Linux fact modules (guest_info and the per-cause *_info modules)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Every Linux fact module: where to look, how long a command may take, the attributes.
    DOCUMENTATION = r'''
options:
  root:
    description:
      - Root of the file system to analyse.
      - Any other value than C(/) is offline mode, for the OS disk of a broken VM mounted on a rescue
        VM (Azure's repair workflow). File facts (agent configuration and version directories, package
        database, unit files, extension state and status, logs, network configuration) are read under
        O(root); process, service runtime, DMI, network probe and load facts are reported as skipped.
    type: path
    default: /
  command_timeout:
    description: Seconds one command (C(systemctl), C(waagent -version), C(ip), C(iptables-save), ...) may run.
    type: float
    default: 10.0
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  platform:
    support: full
    platforms: posix
    description: Linux hosts (systemd, dpkg or rpm); offline mode reads any Linux disk.
notes:
  - Run as root (C(become=true)); without it some facts are reported as errors (permission denied on
    C(/proc/<pid>/environ), C(iptables-save), NetworkManager keyfiles).
  - Unreadable or malformed input never fails the module; it becomes an observation with
    C(result=error) and a message. See C(docs/facts.md) for every returned key.
'''

    AGENT = r'''
options:
  log_tail_kib:
    description: How many KiB of the end of C(/var/log/waagent.log) are read for error lines (1 to 10000).
    type: int
    default: 256
'''

    CONNECTIVITY = r'''
options:
  assume_azure:
    description:
      - Treat the host as an Azure VM even though its DMI identity is not Azure's (test labs, nested
        virtualisation). Without it, and without an endpoint override, the platform probes are skipped
        on a non-Azure host.
    type: bool
    default: false
  wireserver:
    description:
      - IP address probed as the wireserver. Another address than Azure's lets the wireserver probes
        run on a non-Azure host.
    type: str
    default: 168.63.129.16
  wireserver_ports:
    description: TCP ports probed on the wireserver (C(32526) is the HostGAPlugin).
    type: list
    elements: int
    default: [80, 32526]
  imds:
    description:
      - IP address, optionally C(address:port), probed as the instance metadata service. Without a port,
        O(imds_port) or C(80). Another address than Azure's lets the IMDS probe run on a non-Azure host.
    type: str
    default: 169.254.169.254
  imds_port:
    description: TCP port of the instance metadata service when O(imds) names none; C(80) when unset.
    type: int
  https_endpoints:
    description:
      - C(host) or C(host:port) names probed with DNS, TCP and a TLS handshake. Another list than the
        default lets these probes run on a non-Azure host.
    type: list
    elements: str
    default: ['login.microsoftonline.com:443']
  proxy:
    description:
      - C(http://host:port) of the proxy to use for the HTTPS probes instead of the one the agent would
        use (C(HttpProxy.Host)/C(HttpProxy.Port) of C(waagent.conf), else the agent's C(https_proxy)).
        An empty string means no proxy.
    type: str
  ca_file:
    description: CA bundle that verifies the TLS handshakes; the default is the system CA store.
    type: path
  probe_timeout:
    description:
      - Seconds one probe may take. The probes run concurrently, so the whole probe stage ends within
        about this time even when every endpoint is blackholed.
    type: float
    default: 5.0
'''

    LOAD = r'''
options:
  load_samples:
    description: How many CPU and memory samples are taken (1 to 10000).
    type: int
    default: 3
  load_interval:
    description:
      - Seconds between samples (each CPU sample measures this interval).
      - Sampling starts first and runs beside the other sections; the CPU the module and its commands
        spend meanwhile is left out of each sample.
    type: float
    default: 0.1
'''
