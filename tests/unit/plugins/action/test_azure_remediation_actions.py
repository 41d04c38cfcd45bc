# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller actions of the Azure fixes (backup_jobs_info, staggered_policies, activity_log_info), with the
arm_info run they make replaced by answers built here: which requests they send, how they read the answers."""
from __future__ import absolute_import, division, print_function

import json
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.azure_backup.snapshot_doctor.plugins.action import activity_log_info
from ansible_collections.azure_backup.snapshot_doctor.plugins.action import backup_jobs_info
from ansible_collections.azure_backup.snapshot_doctor.plugins.action import staggered_policies

__metaclass__ = type

SUB = '/subscriptions/11111111-2222-3333-4444-555555555555'
VM = SUB + '/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web1'
VM2 = SUB + '/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web2'
VAULT = SUB + '/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/vault-weu'


def run(module, args, answer, check_mode=False, transport='local'):
    """The action's result, and the requests it handed to arm_info (``answer(request)`` answers each)."""
    task = MagicMock(Task)
    task.args = args
    task.action = 'azure_backup.snapshot_doctor.' + module.__name__.rsplit('.', 1)[-1]
    task.check_mode = check_mode
    task.async_val = 0
    connection = MagicMock()
    connection.transport = transport
    connection._shell.tmpdir = None
    plugin = module.ActionModule(task, connection, MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    sent = []

    def execute(module_name, module_args, task_vars):
        assert module_name == 'azure_backup.snapshot_doctor.arm_info'
        sent.extend(module_args['requests'])
        return {'responses': dict((request['key'], answer(request)) for request in module_args['requests']),
                'request_count': len(module_args['requests'])}
    plugin._execute_module = execute
    return plugin.run(task_vars={}), sent


def job(name, vm, status, start, code=None):
    properties = {'entityFriendlyName': vm, 'operation': 'Backup', 'status': status, 'startTime': start,
                  'containerName': 'iaasvmcontainer;iaasvmcontainerv2;rg-web;' + vm}
    if code:
        properties['errorDetails'] = [{'errorCode': code, 'errorString': 'The snapshot failed.'}]
    return {'id': VAULT + '/backupJobs/' + name, 'name': name, 'properties': properties}


def test_backup_jobs_info_reads_each_vault_once_and_is_done_when_every_job_ended():
    backups = [{'host': 'web1', 'vm_id': VM, 'vault_id': VAULT, 'since': '2026-11-22T10:00:00.000000Z'},
               {'host': 'web2', 'vm_id': VM2, 'vault_id': VAULT.upper(), 'since': '2026-11-22T09:59:00.000000Z'}]
    jobs = [job('j1', 'web1', 'Completed', '2026-11-22T10:00:10Z'), job('j2', 'web2', 'InProgress', '2026-11-22T10:00:20Z')]
    result, sent = run(backup_jobs_info, {'backups': backups}, lambda request: {'status': 200, 'value': jobs})
    # One request for the vault (ids differ in case only), from the earliest POST less 2 minutes.
    assert [(request['path'].lower(), request['api_version']) for request in sent] == [
        ((VAULT + '/backupJobs').lower(), '2019-05-13')]
    assert "startTime eq '2026-11-22 09:57:00 AM'" in sent[0]['query']['$filter']
    assert result['done'] is False and result['changed'] is False and result['errors'] == []
    assert result['hosts']['web1']['status'] == 'Completed' and result['hosts']['web2']['id'].endswith('/j2')
    jobs[1] = job('j2', 'web2', 'Failed', '2026-11-22T10:00:20Z', code='ExtensionSnapshotFailedNoNetwork')
    result, _sent = run(backup_jobs_info, {'backups': backups}, lambda request: {'status': 200, 'value': jobs})
    assert result['done'] is True and result['hosts']['web2']['error_code'] == 'ExtensionSnapshotFailedNoNetwork'
    result, _sent = run(backup_jobs_info, {'backups': backups}, lambda request: {'status': 403, 'error': 'Forbidden'})
    assert result['done'] is False and result['errors'] == ['%s: Forbidden' % VAULT]


def test_backup_jobs_info_refuses_what_is_not_an_id_and_runs_only_on_the_controller():
    with pytest.raises(AnsibleActionFail, match='not a VM resource id'):
        run(backup_jobs_info, {'backups': [{'host': 'h', 'vm_id': 'vm1', 'vault_id': VAULT, 'since': 'x'}]}, None)
    with pytest.raises(AnsibleActionFail, match='delegate_to: localhost'):
        run(backup_jobs_info, {'backups': []}, None, transport='ssh')


POLICY = {'id': VAULT + '/backupPolicies/Evening', 'name': 'Evening', 'properties': {
    'backupManagementType': 'AzureIaasVM', 'timeZone': 'UTC', 'protectedItemsCount': 6,
    'schedulePolicy': {'schedulePolicyType': 'SimpleSchedulePolicy', 'scheduleRunFrequency': 'Daily',
                       'scheduleRunTimes': ['2020-01-01T19:00:00Z']},
    'retentionPolicy': {'retentionPolicyType': 'LongTermRetentionPolicy', 'dailySchedule': {
        'retentionTimes': ['2020-01-01T19:00:00Z'], 'retentionDuration': {'count': 30, 'durationType': 'Days'}}}}}


def move(vm, to_time='20:00'):
    return {'vm_id': vm, 'vault_id': VAULT, 'from_policy_id': POLICY['id'], 'from_time': '19:00', 'to_time': to_time,
            'to_policy_id': VAULT + '/backupPolicies/Evening-' + to_time.replace(':', ''),
            'to_policy_name': 'Evening-' + to_time.replace(':', ''), 'time_zone': 'UTC', 'item_path': vm + '/item'}


def test_staggered_policies_creates_each_copy_once_and_shows_the_difference_in_check_mode():
    moves = [move(VM), move(VM2)]
    result, sent = run(staggered_policies, {'moves': moves}, lambda request: {'status': 200, 'body': POLICY},
                       check_mode=True)
    assert [request['path'] for request in sent] == [POLICY['id']]
    assert result['changed'] is True and result['errors'] == []
    [policy] = result['policies']
    assert policy['path'] == VAULT + '/backupPolicies/Evening-2000' and policy['api_version'] == '2019-05-13'
    assert policy['write'] == {'fix': 'snapshot_schedule', 'method': 'PUT', 'path': policy['path'],
                               'api_version': '2019-05-13'}
    assert policy['body']['properties']['schedulePolicy']['scheduleRunTimes'] == ['2020-01-01T20:00:00Z']
    assert 'protectedItemsCount' not in json.dumps(policy['body'])
    assert [entry['before_header'] for entry in result['diff']] == [policy['path'] + ' (absent)', VM, VM2]
    assert result['diff'][1]['before'] == 'policy: %s\nstarts: 19:00 UTC\n' % POLICY['id']
    assert result['diff'][1]['after'] == 'policy: %s\nstarts: 20:00 UTC\n' % policy['path']
    # Outside check mode it only plans (the snapshot role writes), so it changes nothing.
    result, _sent = run(staggered_policies, {'moves': moves}, lambda request: {'status': 200, 'body': POLICY})
    assert result['changed'] is False and len(result['policies']) == 1
    result, _sent = run(staggered_policies, {'moves': moves}, lambda request: {'status': 404, 'error': 'NotFound'})
    assert result['policies'] == [] and result['errors'] == ['%s: NotFound' % POLICY['id']] * 2


def test_activity_log_info_reads_each_subscription_once_and_matches_each_write_once():
    write = {'fix': 'extension_remove', 'method': 'DELETE', 'path': VM + '/extensions/VMSnapshotLinux',
             'api_version': '2024-07-01'}
    events = [{'resourceId': write['path'], 'httpRequest': {'method': 'DELETE'}, 'eventTimestamp': '2026-11-22T10:00:01Z',
               'correlationId': 'c1', 'status': {'value': 'Accepted'}, 'properties': {'serviceRequestId': 'r1'}}]
    result, sent = run(activity_log_info, {'writes': [write, dict(write)], 'since': '2026-11-22T10:00:00Z'},
                       lambda request: {'status': 200, 'value': events})
    assert [(request['path'], request['api_version']) for request in sent] == [
        (SUB + '/providers/Microsoft.Insights/eventtypes/management/values', '2015-04-01')]
    assert result['writes'] == [dict(write, request_id='r1', correlation_id='c1', event_status='Accepted')]
    with pytest.raises(AnsibleActionFail, match='since is not an ISO 8601 time'):
        run(activity_log_info, {'writes': [write], 'since': 'now'}, None)


def _same(spec, options, where):
    assert sorted(options) == sorted(spec), where
    for name, rules in spec.items():
        documented = options[name]
        for key, default in (('type', 'str'), ('elements', None), ('default', None), ('required', False)):
            assert documented.get(key, default) == rules.get(key, default), (where, name, key)
        assert sorted(documented.get('choices') or []) == sorted(rules.get('choices') or []), (where, name)
        if rules.get('options'):
            _same(rules['options'], documented['suboptions'], where + '.' + name)


@pytest.mark.parametrize('name', ['backup_jobs_info', 'staggered_policies', 'activity_log_info', 'remediation_plan',
                                  'remediation_report'])
def test_the_documentation_says_what_the_action_validates(name):
    import importlib
    from documentation import documented_options
    spec = importlib.import_module('ansible_collections.azure_backup.snapshot_doctor.plugins.action.' + name).ARGUMENT_SPEC
    _same(spec, documented_options(name), name)
