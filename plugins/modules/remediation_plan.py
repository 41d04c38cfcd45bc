# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the action plugin plugins/action/remediation_plan.py, which does the work.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: remediation_plan
short_description: Decide which snapshot_doctor fixes a host needs, from its diagnosis
version_added: 0.2.0
description:
  - Runs on the controller only. A fix applies when its switch is on and one of its checks is C(fail) or
    C(warn) in the host's diagnosis (the C(snapshot_doctor) fact set by M(azure_backup.snapshot_doctor.diagnose)).
  - The fixes, their checks, roles and default switches come from the collection's check catalog.
  - A host without a diagnosis, or that is not an Azure VM (C(platform.azure_vm) false), gets no fix and a
    C(reason).
  - The fixes that act in Azure (C(extension_remove), C(connectivity_nsg), C(snapshot_schedule),
    C(backup_on_demand)) also need O(azure), the host's control-plane section; their targets (what they write) are
    returned in RV(azure). C(backup_on_demand) applies when another fix changes something or C(backup.last_job)
    fails or warns, to prove them. C(snapshot_schedule) reads O(fleet), since C(snapshot.schedule) is a
    fleet check.
  - Fails on a tag of the run that selects nothing in the remediation (a typo such as C(agnet)), and on an
    unknown switch.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  diagnosis:
    description: The host's diagnosis, the C(snapshot_doctor) fact.
    type: dict
    default: {}
  variables:
    description:
      - The host's C(remediate_*) variables; C(remediate_<fix>) is the switch of a fix of the catalog (for example
        C(remediate_snapshot_dhcp=true)). A fix without one keeps the catalog's default; other keys are ignored.
    type: dict
    default: {}
  proxy_state:
    description: The proxy wanted by the C(connectivity_proxy) fix; V(unchanged) turns that fix off.
    type: str
    choices: [unchanged, present, absent]
    default: unchanged
  run_tags:
    description: The tags of the run (C(ansible_run_tags)), checked for typos.
    type: list
    elements: str
    default: []
  azure:
    description:
      - The host's control-plane section, its entry in
        RV(azure_backup.snapshot_doctor.control_plane_facts#module:hosts). Omitted, the run's Azure side is off and no
        Azure fix applies.
    type: dict
  fleet:
    description:
      - M(azure_backup.snapshot_doctor.control_plane_facts)'s RV(azure_backup.snapshot_doctor.control_plane_facts#module:fleet),
        for C(snapshot_schedule); omitted, that fix does not apply.
    type: dict

attributes:
  check_mode:
    support: full
    description: It only decides; check mode changes nothing.
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.controller
seealso:
  - module: azure_backup.snapshot_doctor.diagnose
  - module: azure_backup.snapshot_doctor.remediation_report
"""

EXAMPLES = r"""
- name: Plan the fixes of this host
  azure_backup.snapshot_doctor.remediation_plan:
    diagnosis: "{{ snapshot_doctor }}"
    variables:
      remediate_snapshot_dhcp: true
    run_tags: "{{ ansible_run_tags }}"
  register: plan
"""

RETURN = r"""
needs:
  description: The checks in C(fail) or C(warn).
  returned: success
  type: list
  elements: str
fixes:
  description: Every fix of the catalog, true when it is to be applied.
  returned: success
  type: dict
  sample: {agent_install: false, agent_service: true, snapshot_dhcp: false}
applied:
  description: The fixes to apply, in catalog order.
  returned: success
  type: list
  elements: str
reason:
  description: Why no fix applies to the host (no diagnosis, not an Azure VM); null otherwise.
  returned: success
  type: str
azure:
  description:
    - What each applied Azure fix writes - C(extension_remove) (C(vm_id), C(name), C(path) of the extension),
      C(backup_on_demand) (C(vm_id), C(vault_id), C(policy_id), C(path) of the POST), C(connectivity_nsg) (C(rules),
      each with C(path), C(api_version), C(body)), C(snapshot_schedule) (the VM's move to a policy that starts later).
  returned: success
  type: dict
held:
  description: The Azure fixes a check calls for that are not applied, each with why (the run's Azure side is off...).
  returned: success
  type: dict
known_tags:
  description: The tags a remediation run may use (Ansible's own, the causes, the fixes, the fix roles).
  returned: success
  type: list
  elements: str
"""
