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
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  hosts:
    description:
      - Host name to C({before, after, plan}), where C(before) and C(after) are the host's C(snapshot_doctor)
        facts and C(plan) the result of M(azure_backup.snapshot_doctor.remediation_plan).
    type: dict
    required: true
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
  description: Per host C(fixes), C(reason) and C(checks) (rows of C(check), C(before), C(after), C(verdict)).
  returned: success
  type: dict
"""
