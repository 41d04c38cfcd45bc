# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.activity_log_info (docs: plugins/modules/activity_log_info.py).

Runs once, on the controller, at the end of a remediation: the azure.azcollection modules that made the run's
writes do not return the response headers, so each write's request id (x-ms-request-id, the activity log's
serviceRequestId) is read back from Azure's activity log: one request per subscription written to, by one run
of the arm_info module.
"""
from __future__ import absolute_import, division, print_function

import datetime

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import fixes as azure_fixes
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure_action import (
    COMMON_SPEC, AzureReadAction)

__metaclass__ = type

WRITE_SPEC = dict(
    fix=dict(type='str', required=True),
    method=dict(type='str', required=True, choices=['PUT', 'PATCH', 'POST', 'DELETE']),
    path=dict(type='str', required=True),
    api_version=dict(type='str', required=True),
)
ARGUMENT_SPEC = dict(
    COMMON_SPEC,
    writes=dict(type='list', elements='dict', required=True, options=WRITE_SPEC),
    since=dict(type='str', required=True),
)


class ActionModule(AzureReadAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def problems(self, args):
        if azure_fixes.parse_time(args['since']) is None:
            return ['since is not an ISO 8601 time: %s' % args['since']]
        return []

    def act(self, args, task_vars):
        now = datetime.datetime.now(datetime.timezone.utc)
        writes = []
        for write in args['writes']:
            if write not in writes:  # a write published by several hosts of the batch is one write
                writes.append(write)
        requests = azure_fixes.activity_requests(writes, azure_fixes.parse_time(args['since']), now)
        responses, request_count = self.read(requests, args, task_vars)
        events, errors = [], []
        for request in requests:
            answer = responses.get(request['key']) or {}
            if answer.get('error') or answer.get('status') != 200:
                errors.append('%s: %s' % (request['path'], answer.get('error') or 'HTTP %s' % answer.get('status')))
            events += [event for event in answer.get('value') or [] if isinstance(event, dict)]
        return dict(writes=azure_fixes.with_request_ids(writes, events), errors=errors, request_count=request_count)
