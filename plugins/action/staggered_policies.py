# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.staggered_policies (docs: plugins/modules/staggered_policies.py).

Runs once, on the controller, for the VMs whose backup moves to a later time (snapshot.schedule's proposal,
remediate_snapshot_schedule): reads each source backup policy with one run of the arm_info module and returns
the copies to create (the same policy, every schedule and retention time moved), and the difference, which
check mode with --diff shows. It writes nothing: the snapshot role creates the policies and moves the VMs.
"""
from __future__ import absolute_import, division, print_function

import json

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import api as azure_api
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import fixes as azure_fixes
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure_action import (
    COMMON_SPEC, AzureReadAction)

__metaclass__ = type

MOVE_SPEC = dict(
    vm_id=dict(type='str', required=True),
    vault_id=dict(type='str', required=True),
    from_policy_id=dict(type='str', required=True),
    from_time=dict(type='str', required=True),
    to_time=dict(type='str', required=True),
    to_policy_id=dict(type='str', required=True),
    to_policy_name=dict(type='str', required=True),
    time_zone=dict(type='str'),
    item_path=dict(type='str'),
)
ARGUMENT_SPEC = dict(
    COMMON_SPEC,
    moves=dict(type='list', elements='dict', required=True, options=MOVE_SPEC),
)


def policy_requests(moves):
    sources = sorted(set(move['from_policy_id'] for move in moves), key=azure_api.key)
    return [{'key': 'policy:' + azure_api.key(source), 'path': source, 'api_version': azure_api.API_VERSIONS['backup']}
            for source in sources]


def policies_and_diff(moves, responses):
    """(policies to create [{path, api_version, body, write}], diff [{before_header, after_header, before, after}],
    errors); ``write`` is the PUT as the remediation report lists it."""
    policies, diff, errors, seen = [], [], [], set()
    for move in moves:
        answer = responses.get('policy:' + azure_api.key(move['from_policy_id'])) or {}
        if answer.get('error') or answer.get('status') != 200 or not isinstance(answer.get('body'), dict):
            errors.append('%s: %s' % (move['from_policy_id'], answer.get('error') or 'HTTP %s' % answer.get('status')))
            continue
        if azure_api.key(move['to_policy_id']) not in seen:
            seen.add(azure_api.key(move['to_policy_id']))
            body = azure_fixes.staggered_policy(answer['body'], move['to_time'])
            policies.append({'path': move['to_policy_id'], 'api_version': azure_api.API_VERSIONS['backup'],
                             'body': body, 'write': {'fix': 'snapshot_schedule', 'method': 'PUT',
                                                     'path': move['to_policy_id'],
                                                     'api_version': azure_api.API_VERSIONS['backup']}})
            diff.append({'before_header': '%s (absent)' % move['to_policy_id'], 'before': '',
                         'after_header': '%s (a copy of %s starting at %s)' % (
                             move['to_policy_id'], azure_api.parse_id(move['from_policy_id'])['name'], move['to_time']),
                         'after': json.dumps(body, indent=2, sort_keys=True) + '\n'})
        zone = move.get('time_zone') or ''
        diff.append({'before_header': move['vm_id'], 'after_header': move['vm_id'],
                     'before': 'policy: %s\nstarts: %s %s\n' % (move['from_policy_id'], move['from_time'], zone),
                     'after': 'policy: %s\nstarts: %s %s\n' % (move['to_policy_id'], move['to_time'], zone)})
    return policies, diff, errors


class ActionModule(AzureReadAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        # Check mode's "would change", so that --diff shows the difference; the writes report their own changes.
        result['changed'] = bool(self._task.check_mode and result.get('policies'))
        return result

    def act(self, args, task_vars):
        responses, request_count = self.read(policy_requests(args['moves']), args, task_vars)
        policies, diff, errors = policies_and_diff(args['moves'], responses)
        return dict(policies=policies, diff=diff, errors=errors, request_count=request_count)
