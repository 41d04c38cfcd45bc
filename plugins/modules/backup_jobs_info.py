# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the action plugin plugins/action/backup_jobs_info.py, which does the work.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: backup_jobs_info
short_description: Find the jobs of on-demand backups and their state
version_added: 0.1.0
description:
  - Runs once on the controller (C(run_once) and C(delegate_to=localhost)) after M(azure.azcollection.azure_rm_backupazurevm)
    started on-demand backups (C(state=backup)); that module discards the job's id. Each VM's job is the newest C(Backup)
    job of that VM in its vault that started at or after the POST (less two minutes for the clocks' difference).
  - Reads each vault's Azure VM backup jobs since the earliest POST with B(one) run of
    M(azure_backup.snapshot_doctor.arm_info), one request per vault whatever the number of VMs. The C(backup) role
    calls it in an C(until) loop on RV(done).
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  backups:
    description: The backups started, one per VM.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: The inventory host, the key of RV(hosts).
        type: str
        required: true
      vm_id:
        description: The VM's resource id.
        type: str
        required: true
      vault_id:
        description: The Recovery Services vault's resource id.
        type: str
        required: true
      since:
        description: When the POST was sent, ISO 8601 in UTC (C(2025-11-27T10:00:00Z)).
        type: str
        required: true
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.azure_read
attributes:
  bypass_host_loop:
    support: none
    description: Use C(run_once); the result is for every host of O(backups).
seealso:
  - module: azure.azcollection.azure_rm_backupazurevm
  - module: azure_backup.snapshot_doctor.arm_info
"""

EXAMPLES = r"""
- name: Follow the backup jobs to their end
  azure_backup.snapshot_doctor.backup_jobs_info:
    backups:
      - host: web1
        vm_id: /subscriptions/0000/resourceGroups/web/providers/Microsoft.Compute/virtualMachines/web1
        vault_id: /subscriptions/0000/resourceGroups/backup/providers/Microsoft.RecoveryServices/vaults/vault1
        since: "2025-11-27T10:00:00Z"
  register: jobs
  until: jobs.done
  retries: 120
  delay: 60
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
hosts:
  description:
    - Per host its job - C(id), C(status) (C(InProgress), C(Completed), C(CompletedWithWarnings), C(Failed),
      C(Cancelled)), C(done), C(succeeded), C(error_code), C(error_message), C(start_time), C(end_time); C(id) is null
      while the vault lists no job of the VM since the POST.
  returned: success
  type: dict
done:
  description: True when every VM's job has ended.
  returned: success
  type: bool
errors:
  description: The vaults whose jobs could not be read, with why.
  returned: success
  type: list
  elements: str
request_count:
  description: HTTP requests sent to Azure Resource Manager (list pages included).
  returned: success
  type: int
"""
