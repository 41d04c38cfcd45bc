# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the action plugin plugins/action/activity_log_info.py, which does the work.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: activity_log_info
short_description: Find the request ids of writes in Azure's activity log
version_added: 0.1.0
description:
  - Runs once on the controller (C(run_once) and C(delegate_to=localhost)) at the end of a remediation. The
    azure.azcollection modules that wrote in Azure return no response header, so each write's request id
    (C(x-ms-request-id), the activity log's C(properties.serviceRequestId)) is read back from the subscription's
    activity log (C(Microsoft.Insights/eventtypes/management/values), api-version 2015-04-01) since O(since).
  - One request per subscription written to, by one run of M(azure_backup.snapshot_doctor.arm_info). A write matches
    the newest event of its resource (the acted-on resource for a POST action) and HTTP method that carries a
    request id. Azure adds events within minutes; a write without one yet gets a null C(request_id).
  - Reading the activity log needs the Reader role (C(Microsoft.Insights/eventtypes/values/read)).
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  writes:
    description: The writes to look up; the same write given twice is looked up once.
    type: list
    elements: dict
    required: true
    suboptions:
      fix:
        description: The fix that made the write.
        type: str
        required: true
      method:
        description: The HTTP method.
        type: str
        required: true
        choices: [PUT, PATCH, POST, DELETE]
      path:
        description: The resource id written to (for a POST, the action's path).
        type: str
        required: true
      api_version:
        description: The api-version of the write.
        type: str
        required: true
  since:
    description: The start of the run, ISO 8601 in UTC; events from two minutes before it are read.
    type: str
    required: true
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.azure_read
attributes:
  bypass_host_loop:
    support: none
    description: Use C(run_once).
seealso:
  - module: azure_backup.snapshot_doctor.arm_info
  - module: azure_backup.snapshot_doctor.remediation_report
"""

EXAMPLES = r"""
- name: Find the request ids of the writes
  azure_backup.snapshot_doctor.activity_log_info:
    writes:
      - fix: extension_remove
        method: DELETE
        path: /subscriptions/0000/resourceGroups/web/providers/Microsoft.Compute/virtualMachines/web1/extensions/VMSnapshotLinux
        api_version: '2024-07-01'
    since: "2025-11-27T10:00:00Z"
  register: activity
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
writes:
  description: The writes, each once, with C(request_id), C(correlation_id) and C(event_status) (null when not found).
  returned: success
  type: list
  elements: dict
errors:
  description: The activity logs that could not be read, with why.
  returned: success
  type: list
  elements: str
request_count:
  description: HTTP requests sent to Azure Resource Manager (list pages included).
  returned: success
  type: int
"""
