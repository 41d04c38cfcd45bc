# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the action plugin plugins/action/windows_fix_plan.py, which does the work.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: windows_fix_plan
short_description: Compute what a snapshot_doctor Windows fix changes, from the diagnosis facts
version_added: 0.3.0
description:
  - Runs on the controller only; the roles' Windows task files apply the result with ansible.windows modules.
  - V(vss_writer_restart) gives the services of the VSS writers that are not stable; V(vss_services) the
    win_service settings that make VSS, COMSysApp and MSDTC usable; V(proxy) the WinHTTP and LocalSystem proxy
    (refusing credentials); V(firewall) the outbound block rules that surely cover the wireserver's ports or 443;
    V(route) the win_route arguments of a host route to the wireserver (null when a route exists);
    V(dhcp_rollback) the static configuration to restore and the PowerShell that restores it (null when the
    primary interface already uses DHCP).
  - Fails with the reason when the facts do not allow the fix.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  fix:
    description: The computation.
    type: str
    required: true
    choices: [vss_writer_restart, vss_services, proxy, firewall, route, dhcp_rollback]
  facts:
    description: The diagnosis facts (M(azure_backup.snapshot_doctor.diagnose) with C(return_facts=true), key C(facts)).
    type: dict
    default: {}
  proxy_url:
    description: The proxy, C(http://host:port), for V(proxy).
    type: str
    default: ""
  wireserver:
    description: The wireserver address for the proxy bypass list.
    type: str
    default: 168.63.129.16
  imds:
    description: The instance metadata service address for the proxy bypass list.
    type: str
    default: 169.254.169.254
  gateway:
    description: Next hop of the route for V(route); empty means the primary interface's default gateway.
    type: str
    default: ""
  current:
    description:
      - For V(dhcp_rollback), the primary interface as the host reads it just before the change
        (C(interface_index), C(addresses) of C(ip) and C(prefix_length), C(gateway), C(dns_servers)).
    type: dict
    default: {}
  timeout:
    description: Seconds after which the rollback restores the static configuration (30 to 3600).
    type: int
    default: 180
attributes:
  check_mode:
    support: full
    description: It only computes; check mode changes nothing.
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.controller
seealso:
  - module: azure_backup.snapshot_doctor.diagnose
"""

EXAMPLES = r"""
- name: Diagnose the snapshot cause with its facts
  azure_backup.snapshot_doctor.diagnose:
    causes: [snapshot]
    return_facts: true
  register: diagnosis

- name: Which services to restart for the failed VSS writers
  azure_backup.snapshot_doctor.windows_fix_plan:
    fix: vss_writer_restart
    facts: "{{ diagnosis.facts }}"
  register: writers
"""

RETURN = r"""
plan:
  description: The computed change; its keys depend on O(fix) (null when nothing is to change).
  returned: success
  type: raw
  sample: {services: [SQLWriter], writers: [SqlServerWriter], unknown: []}
"""
