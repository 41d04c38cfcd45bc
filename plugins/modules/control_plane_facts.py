# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the action plugin plugins/action/control_plane_facts.py, which does the work.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: control_plane_facts
short_description: Read what Azure says about the VMs of the run and their backups
version_added: 0.1.0
description:
  - "Runs once on the controller (C(run_once) and C(delegate_to: localhost)). Maps each inventory host to an Azure
    VM, reads Azure Resource Manager with B(one) run of M(azure_backup.snapshot_doctor.arm_info), and returns
    each host's C(azure) facts section for M(azure_backup.snapshot_doctor.diagnose) and the context of the
    fleet checks (C(snapshot.schedule))."
  - "A host maps to a VM by, in this order: its variable C(diagnose_azure_vm_id) (a VM resource id); its variable
    C(id) when that is a VM resource id (the M(azure.azcollection.azure_rm) inventory plugin sets it); its variables
    C(diagnose_azure_vm_name) (default: the inventory name), C(diagnose_azure_resource_group) and
    C(diagnose_azure_subscription_id) (default: the credentials' subscription). A host that maps to nothing gets a
    C(skip) section that says why."
  - "What is read: per subscription of those VMs, the lists of VMs, network interfaces, network security groups,
    locks, restore point collections and (unless O(vaults) is given) Recovery Services vaults; per vault, the
    protected items, the backup policies and the backup jobs of the last O(days) days; the instance view of each
    mapped VM only. The number of requests grows with the subscriptions, vaults and mapped VMs, not with the
    size of the subscriptions (beyond list pages)."
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  hosts:
    description: The inventory hosts of the run (for example C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  vaults:
    description:
      - Resource ids of the Recovery Services vaults to read. Empty means every vault of the VMs' subscriptions.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.azure_read
attributes:
  bypass_host_loop:
    support: none
    description: Use C(run_once); the result is for every host of O(hosts).
notes:
  - The Azure SDK that azure.azcollection requires must be installed on the controller (or in the execution
    environment).
seealso:
  - module: azure_backup.snapshot_doctor.arm_info
  - module: azure_backup.snapshot_doctor.diagnose
"""

EXAMPLES = r"""
- name: Read Azure's view of the play's VMs
  azure_backup.snapshot_doctor.control_plane_facts:
    hosts: "{{ ansible_play_hosts_all }}"
    days: 3
  register: control_plane
  run_once: true
  delegate_to: localhost

- name: Diagnose each host with Azure's view beside the guest's
  azure_backup.snapshot_doctor.diagnose:
    control_plane: "{{ control_plane.hosts[inventory_hostname] }}"
"""

RETURN = r"""
hosts:
  description:
    - Each host's C(azure) facts section (docs/facts.md); C(result) is C(skip) with the reason for a host that maps
      to no VM.
  returned: success
  type: dict
fleet:
  description: What the fleet checks need (availability sets with their VMs and backup schedules).
  returned: success
  type: dict
request_count:
  description: HTTP requests sent to Azure Resource Manager (list pages included).
  returned: success
  type: int
mapped:
  description: How many hosts map to a VM.
  returned: success
  type: int
"""
