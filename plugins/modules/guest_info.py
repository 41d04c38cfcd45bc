#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather every Linux fact section the snapshot checks need, in one module execution."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: guest_info
short_description: Gather the facts that explain Azure Backup snapshot timeouts on a Linux VM
version_added: 0.1.0
description:
  - Gathers, in one execution, raw observations about the platform (distribution, DMI identity), the
    Azure Linux agent (package, versions, service, processes, configuration, log errors), the VM snapshot
    extension (handlers on disk and their status files), connectivity (proxy configuration, route and
    firewall rules, concurrent probes of the wireserver, IMDS and HTTPS endpoints), DHCP configuration of
    the primary interface, and CPU and memory load.
  - Returns observations only; the M(azure_backup.snapshot_doctor.diagnose) action turns them into
    findings. Every key is documented in C(docs/facts.md) of the collection.
  - The per-cause modules M(azure_backup.snapshot_doctor.agent_info), M(azure_backup.snapshot_doctor.extension_info),
    M(azure_backup.snapshot_doctor.connectivity_info), M(azure_backup.snapshot_doctor.dhcp_info),
    M(azure_backup.snapshot_doctor.load_info) and M(azure_backup.snapshot_doctor.platform_info) return one
    section each.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  gather:
    description:
      - Sections to gather. V(platform) is always gathered because the others depend on it.
    type: list
    elements: str
    default: [all]
    choices: [all, platform, agent, extension, connectivity, dhcp, load]
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.facts
  - azure_backup.snapshot_doctor.facts.agent
  - azure_backup.snapshot_doctor.facts.connectivity
  - azure_backup.snapshot_doctor.facts.load
'''

EXAMPLES = r'''
- name: Gather every section
  azure_backup.snapshot_doctor.guest_info:
  become: true
  register: snapshot_facts

- name: Analyse the OS disk of a broken VM mounted on a rescue VM
  azure_backup.snapshot_doctor.guest_info:
    root: /rescue
    gather: [agent, extension, dhcp]
  become: true

- name: Probe a lab's stand-in endpoints on a host that is not an Azure VM
  azure_backup.snapshot_doctor.guest_info:
    gather: [connectivity]
    wireserver: 10.213.0.2
    imds: 10.213.0.3
    https_endpoints: [management.lab.test, storage.lab.test]
    ca_file: /usr/local/share/ca-certificates/lab-ca.crt
    probe_timeout: 3
  become: true
'''

RETURN = r'''
facts:
  description:
    - The facts document. Every observation carries C(result) (V(ok), V(skip) or V(error)) and, unless
      V(ok), a C(message); the full schema is in C(docs/facts.md).
  returned: always
  type: dict
  contains:
    schema:
      description: Version of the facts schema.
      type: int
      sample: 1
    os:
      description: Operating system family of the facts.
      type: str
      sample: linux
    root:
      description: The analysed root.
      type: str
      sample: /
    offline:
      description: Whether O(root) is not C(/).
      type: bool
      sample: false
    gathered_at:
      description: UTC time the gathering started.
      type: str
      sample: '2026-11-22T03:40:00Z'
    gathered:
      description: The sections present.
      type: list
      elements: str
      sample: [platform, agent, extension, connectivity, dhcp, load]
    platform:
      description: Distribution, DMI identity, kernel.
      type: dict
      returned: always
    agent:
      description: Agent package, executable, versions, service, processes, configuration and log errors.
      type: dict
      returned: when gathered
    extension:
      description: VMSnapshotLinux handlers on disk and their newest status.
      type: dict
      returned: when gathered
    connectivity:
      description: Proxy configuration, probes, route and firewall rules.
      type: dict
      returned: when gathered
    dhcp:
      description: Primary interface and the network configuration sources found.
      type: dict
      returned: when gathered
    load:
      description: CPU and memory samples.
      type: dict
      returned: when gathered
'''

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.facts_module import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
