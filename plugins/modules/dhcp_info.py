#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dhcp section of guest_info as its own module."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: dhcp_info
short_description: Gather how the primary network interface of a Linux VM gets its address
version_added: 0.1.0
description:
  - Finds the primary interface (the one of the default route, else the first non-loopback interface
    that is up) and every interface stanza of ifupdown, netplan, systemd-networkd, NetworkManager,
    sysconfig ifcfg and cloud-init configuration, with its method (dhcp, static, manual, other).
  - Netplan and cloud-init YAML are read by the collection's own parser of the subset the check needs
    (no PyYAML on the host); a file it cannot read (anchors, tags, block scalars) is reported as an error.
  - Returns raw observations only (see C(docs/facts.md)); M(azure_backup.snapshot_doctor.guest_info)
    gathers every section at once.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options: {}
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.facts
'''

EXAMPLES = r'''
- name: Read the DHCP facts
  azure_backup.snapshot_doctor.dhcp_info:
  become: true
  register: result
'''

RETURN = r'''
dhcp:
  description:
    - 'Primary interface, configuration sources and unreadable files.'
    - Every observation carries C(result) (V(ok), V(skip) or V(error)) and, unless V(ok), a C(message).
  returned: always
  type: dict
'''

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.facts_module import run_module


def main():
    run_module('dhcp')


if __name__ == '__main__':
    main()
