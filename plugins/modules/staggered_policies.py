# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the action plugin plugins/action/staggered_policies.py, which does the work.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: staggered_policies
short_description: Plan the backup policies of staggered schedules
version_added: 0.1.0
description:
  - Runs once on the controller (C(run_once) and C(delegate_to=localhost)) for the VMs whose backup moves to a later
    time (C(snapshot.schedule)'s proposal, planned by M(azure_backup.snapshot_doctor.remediation_plan)). Reads each
    source backup policy with one run of M(azure_backup.snapshot_doctor.arm_info) and returns the copies to create,
    the same policy with every schedule and retention time of day moved to the new start.
  - It writes nothing; the C(snapshot) role creates the policies (M(azure.azcollection.azure_rm_resource)) and moves
    the VMs (M(azure.azcollection.azure_rm_backupazurevm) C(state=update)). In check mode it reports C(changed) with
    the difference (new policies, each VM's policy and start time) for C(--diff).
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  moves:
    description: The VMs' moves, as M(azure_backup.snapshot_doctor.remediation_plan) returns them (C(azure.snapshot_schedule)).
    type: list
    elements: dict
    required: true
    suboptions:
      vm_id:
        description: The VM's resource id.
        type: str
        required: true
      vault_id:
        description: The vault's resource id.
        type: str
        required: true
      from_policy_id:
        description: The VM's policy now.
        type: str
        required: true
      from_time:
        description: Its start time, C(HH:MM).
        type: str
        required: true
      to_time:
        description: The new start time, C(HH:MM) in the same time zone.
        type: str
        required: true
      to_policy_id:
        description: The copy's resource id (C(<policy>-<HHMM>) in the same vault).
        type: str
        required: true
      to_policy_name:
        description: The copy's name.
        type: str
        required: true
      time_zone:
        description: The policy's time zone.
        type: str
      item_path:
        description: The VM's protected item.
        type: str
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.azure_read
attributes:
  diff_mode:
    support: full
    description: Returns the new policies and each VM's move as the difference.
  bypass_host_loop:
    support: none
    description: Use C(run_once).
  check_mode:
    support: full
    description: It only reads (GET requests); in check mode C(changed) means the policies would be created.
seealso:
  - module: azure_backup.snapshot_doctor.remediation_plan
  - module: azure.azcollection.azure_rm_backupazurevm
"""

EXAMPLES = r"""
- name: Plan the backup policies that start later
  azure_backup.snapshot_doctor.staggered_policies:
    moves: "{{ moves }}"
  register: policies
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
policies:
  description:
    - The policies to create, each once - C(path) (its resource id), C(api_version), C(body) (for a PUT), C(write) (the
      PUT as the remediation report lists it).
  returned: success
  type: list
  elements: dict
errors:
  description: The source policies that could not be read, with why (their VMs do not move).
  returned: success
  type: list
  elements: str
request_count:
  description: HTTP requests sent to Azure Resource Manager.
  returned: success
  type: int
"""
