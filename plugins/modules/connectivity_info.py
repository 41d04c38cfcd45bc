#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connectivity section of guest_info as its own module."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: connectivity_info
short_description: Probe the network paths the Azure agent and backup extension need
version_added: 0.1.0
description:
  - Reads the proxy configuration the agent would use, C(ip route get) for the wireserver and the
    firewall rules (C(iptables-save), C(nft list ruleset)), and probes concurrently TCP to the
    wireserver (80, 32526) and IMDS, DNS of the HTTPS endpoints, and TCP 443 plus a verified TLS
    handshake to each, through the proxy where the agent would use one.
  - On a host that is not an Azure VM by DMI, only overridden endpoints are probed, unless
    O(assume_azure=true).
  - Returns raw observations only (see C(docs/facts.md)); M(azure_backup.snapshot_doctor.guest_info)
    gathers every section at once.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options: {}
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.facts
  - azure_backup.snapshot_doctor.facts.connectivity
'''

EXAMPLES = r'''
- name: Probe the platform endpoints with a short timeout
  azure_backup.snapshot_doctor.connectivity_info:
    probe_timeout: 3
  become: true
  register: result
'''

RETURN = r'''
connectivity:
  description:
    - 'Endpoints, proxy, probe results, route and firewall rules.'
    - Every observation carries C(result) (V(ok), V(skip) or V(error)) and, unless V(ok), a C(message).
  returned: always
  type: dict
'''

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.facts_module import run_module


def main():
    run_module('connectivity')


if __name__ == '__main__':
    main()
