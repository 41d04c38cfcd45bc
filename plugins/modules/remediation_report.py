# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the action plugin plugins/action/remediation_report.py, which does the work.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: remediation_report
short_description: Write the before and after of a snapshot_doctor remediation
version_added: 0.2.0
description:
  - Runs on the controller only. Writes C(remediation.json) and C(remediation.md) into O(dest) (directory
    0700, files 0600), with, per host, the fixes applied (or planned, in check mode), why nothing was changed where
    that is so, and every check's status before and after, paired by check id.
  - A check the second diagnosis did not report (the host became unreachable, its diagnosis failed) is shown
    as C(not diagnosed after), never dropped.
  - Each VM gets a verdict - C(fixed) only when a backup job succeeded after the fixes (the on-demand backup of the
    C(backup) role), C(not fixed) with the job's status and error code otherwise, C(not proven) when no backup ran
    (and why), C(nothing to fix) - and the run's writes in Azure are listed with their request ids.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  hosts:
    description:
      - Host name to C({before, after, plan, backup}), where C(before) and C(after) are the host's C(snapshot_doctor)
        facts, C(plan) the result of M(azure_backup.snapshot_doctor.remediation_plan) and C(backup) the C(backup)
        role's C(backup_result) (C(started), C(error), C(job) as M(azure_backup.snapshot_doctor.backup_jobs_info)
        returns it), or null when no backup ran.
    type: dict
    required: true
  writes:
    description:
      - The run's writes in Azure, as M(azure_backup.snapshot_doctor.activity_log_info) returns them (C(fix),
        C(method), C(path), C(api_version), C(request_id)); the report adds the hosts each write served.
    type: list
    elements: dict
    default: []
  dest:
    description: The report directory; a relative path is relative to the directory ansible-playbook runs in.
    type: path
    default: snapshot-doctor-report
attributes:
  check_mode:
    support: full
    description: The files are written in check mode too; they say that nothing was changed.
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.controller
seealso:
  - module: azure_backup.snapshot_doctor.remediation_plan
"""

EXAMPLES = r"""
- name: Write the comparison
  azure_backup.snapshot_doctor.remediation_report:
    hosts:
      vm1: {before: "{{ before }}", after: "{{ after }}", plan: "{{ plan }}"}
    dest: snapshot-doctor-report
  run_once: true
"""

RETURN = r"""
dest:
  description: Absolute path of the report directory.
  returned: success
  type: str
files:
  description: The files written.
  returned: success
  type: list
  elements: str
hosts:
  description:
    - Per host C(fixes), C(reason), C(held) (Azure fixes a check calls for that were not applied, and why), C(vm)
      (C(fixed), C(not fixed), C(not proven), C(nothing to fix)) with C(vm_why), C(backup_job), C(notes) and C(checks)
      (rows of C(check), C(before), C(after), C(verdict)).
  returned: success
  type: dict
"""
