# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the action plugin plugins/action/failed_backups.py, which does the work.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: failed_backups
short_description: List the VMs whose Azure backups failed, from their Recovery Services vaults
version_added: 0.1.0
description:
  - "Runs once on the controller (C(delegate_to: localhost)); the first step of the C(azure_backup.snapshot_doctor.triage)
    playbook. Reads the failed backup jobs of the last O(days) days of each vault, and the vault's protected items to
    know which VM each job belongs to, with B(one) run of M(azure_backup.snapshot_doctor.arm_info): two requests per
    vault (plus list pages), whatever the number of VMs."
  - Each VM concerned is matched to the inventory host of O(hosts) that maps to it (the same mapping as
    M(azure_backup.snapshot_doctor.control_plane_facts)), else to the one host of that name, else to none.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  vaults:
    description: Resource ids of the Recovery Services vaults.
    type: list
    elements: str
    required: true
  hosts:
    description: The inventory hosts to match the VMs to (for example C(groups['all'])).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.azure_read
attributes:
  bypass_host_loop:
    support: none
    description: Use it in a play on localhost, or with C(run_once).
seealso:
  - module: azure_backup.snapshot_doctor.control_plane_facts
"""

EXAMPLES = r"""
- name: Find the VMs whose backups failed this week
  azure_backup.snapshot_doctor.failed_backups:
    vaults:
      - /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/backup/providers/Microsoft.RecoveryServices/vaults/vault1
    hosts: "{{ groups['all'] }}"
    days: 7
  delegate_to: localhost
  register: failed
"""

RETURN = r"""
vms:
  description:
    - One entry per VM with failed jobs, by VM name. C(host) is its inventory host or null (C(in_inventory)
      says which); C(jobs) its failed jobs, newest first (C(job_id), C(status), C(error_code), C(error_message),
      C(start_time), C(end_time), C(vault_id)); C(error_code) the newest job's.
  returned: success
  type: list
  elements: dict
failed_jobs:
  description: How many failed jobs were found.
  returned: success
  type: int
request_count:
  description: HTTP requests sent to Azure Resource Manager (list pages included).
  returned: success
  type: int
"""
