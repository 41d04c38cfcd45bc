# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Azure-side fixes write (plugin_utils/azure/fixes.py), on the recorded subscription of azure_fixtures:
the extension to remove, the on-demand backup, the NSG rules, the staggered policies; then the backup job found
after the POST and each write's request id in the activity log."""
from __future__ import absolute_import, division, print_function

import copy
import datetime

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import facts, fixes
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.rules.connectivity import nsg_verdict

from azure_fixtures import NOW, REFS, SUB, VAULT, load, ref, responses, vm_id

__metaclass__ = type

HOSTS = dict(REFS, web5=ref('web5'), web6=ref('web6'))
SECTIONS = facts.control_plane_facts(HOSTS, responses(), NOW)
FLEET = facts.fleet_context(responses(), HOSTS)
# Item and vault ids come back as '/Subscriptions/...' from the backup service: compared without case.
VAULT_ITEMS = VAULT.replace('/subscriptions/', '/Subscriptions/')


def section(name):
    return copy.deepcopy(SECTIONS[name])


# -- the backup extension ------------------------------------------------------------------------------------------
def test_the_extension_goes_when_the_guest_finds_it_broken_or_azure_reports_it_failed():
    target, why = fixes.extension_target(section('web1'), ['extension.status'])
    assert why is None and target == {
        'vm_id': vm_id('web1'), 'subscription': SUB.split('/')[2], 'resource_group': 'rg-web', 'vm_name': 'web1',
        'name': 'VMSnapshotLinux', 'path': vm_id('web1') + '/extensions/VMSnapshotLinux'}
    # extension.provisioning alone: only when the backup extension itself failed (web2's did, web1's is healthy).
    assert fixes.extension_target(section('web2'), ['extension.provisioning'])[0]['name'] == 'VMSnapshotLinux'
    target, why = fixes.extension_target(section('web1'), ['extension.provisioning'])
    assert target is None and 'healthy in Azure (another extension failed)' in why
    target, why = fixes.extension_target(section('db1'), ['extension.status'])
    assert target is None and why == 'the backup extension is not installed in Azure'


# -- the on-demand backup --------------------------------------------------------------------------------------------
def test_the_backup_goes_to_the_item_azure_rm_backupazurevm_builds():
    target, why = fixes.backup_target(section('web1'))
    assert why is None
    assert target['vault_id'].lower() == VAULT.lower() and target['vault_name'] == 'vault-weu'
    assert target['vault_resource_group'] == 'rg-backup' and target['policy_id'].endswith('/backupPolicies/DailyPolicy')
    assert target['path'].lower() == (
        VAULT + '/backupFabrics/Azure/protectionContainers/iaasvmcontainer;iaasvmcontainerv2;rg-web;web1'
        '/protectedItems/vm;iaasvmcontainerv2;rg-web;web1/backup').lower()
    unprotected = section('web1')
    unprotected['backup'].update(protected=False, vault_id=None)
    assert fixes.backup_target(unprotected) == (
        None, 'the VM is not protected by a Recovery Services vault the run read')


# -- NSG rules -------------------------------------------------------------------------------------------------------
def test_an_nsg_that_denies_gets_one_rule_per_tag_just_before_its_deny_and_nothing_wider():
    target, why = fixes.nsg_target(section('web2'), {'status': 'fail'})
    assert why is None
    rules = target['rules']
    assert [rule['body']['properties']['destinationAddressPrefix'] for rule in rules] == [
        'Storage.westeurope', 'AzureBackup.westeurope']
    nsg = section('web2')['network']['nsgs'][0]
    deny = nsg_verdict(nsg, 'Storage', 'westeurope')
    used = set(rule['priority'] for rule in nsg['rules'])
    for rule in rules:
        properties = rule['body']['properties']
        assert properties['priority'] < deny['priority'] and properties['priority'] not in used
        assert (properties['protocol'], properties['destinationPortRange'], properties['access'],
                properties['direction'], properties['sourceAddressPrefix']) == (
            'Tcp', '443', 'Allow', 'Outbound', 'VirtualNetwork')
        assert rule['path'] == nsg['id'] + '/securityRules/' + rule['path'].rsplit('/', 1)[1]
        assert rule['write'] == {'fix': 'connectivity_nsg', 'method': 'PUT', 'path': rule['path'],
                                 'api_version': '2024-05-01'}
    assert rules[0]['body']['properties']['priority'] == rules[1]['body']['properties']['priority'] + 1
    # With the rules in place, the NSG lets both tags through.
    nsg['rules'] += [facts._rule({'name': rule['path'].rsplit('/', 1)[1], 'properties': rule['body']['properties']})
                     for rule in rules]
    assert nsg_verdict(nsg, 'Storage', 'westeurope')['access'] == 'Allow'


def test_no_rule_without_a_denying_nsg_or_a_free_priority():
    assert fixes.nsg_target(section('web2'), {'status': 'pass'}) == (None, 'connectivity.nsg does not fail')
    assert fixes.nsg_target(section('db1'), {'status': 'fail'})[0] is None
    full = section('web2')
    nsg = full['network']['nsgs'][0]
    deny = nsg_verdict(nsg, 'Storage', 'westeurope')['priority']
    nsg['rules'] += [{'name': 'r%d' % number, 'priority': number, 'direction': 'Inbound'}
                     for number in range(100, deny)]
    target, why = fixes.nsg_target(full, {'status': 'fail'})
    assert target is None and 'has no free priority below its rule' in why


# -- staggered schedules ---------------------------------------------------------------------------------------------
def test_the_vms_the_proposal_moves_go_to_a_copy_of_their_policy():
    assert fixes.schedule_crowded(section('web5'), FLEET) and not fixes.schedule_crowded(section('db1'), FLEET)
    target, why = fixes.schedule_target(section('web5'), FLEET)
    assert why is None
    assert (target['from_time'], target['to_time'], target['to_policy_name']) == ('19:00', '20:00', 'EveningPolicy-2000')
    assert target['to_policy_id'].lower() == (VAULT + '/backupPolicies/EveningPolicy-2000').lower()
    assert target['item_path'].lower().endswith('/protecteditems/vm;iaasvmcontainerv2;rg-web;web5')
    assert fixes.schedule_target(section('web1'), FLEET) == (None, 'the VM keeps its time (others of its group move)')
    assert fixes.schedule_target(section('web1'), None)[0] is None


def test_a_staggered_policy_moves_every_schedule_and_retention_time():
    policies = dict((policy['name'], policy) for policy in load('policies.json')['value'])
    for name, policy in policies.items():
        body = fixes.staggered_policy(policy, '20:00')
        text = repr(body)
        assert 'protectedItemsCount' not in text and list(body) == ['properties']
        schedule = facts.schedule_of({'id': 'x', 'name': name, 'properties': body['properties']})
        assert schedule['times'] == ['20:00'] * len(schedule['times']), name
        original = facts.schedule_of(policy)
        assert (schedule['frequency'], schedule['days'], schedule['time_zone']) == (
            original['frequency'], original['days'], original['time_zone'])
        retention = body['properties'].get('retentionPolicy') or {}
        for kind in ('dailySchedule', 'weeklySchedule'):
            for value in (retention.get(kind) or {}).get('retentionTimes') or []:
                assert 'T20:00' in value, (name, value)
    assert fixes.staggered_policy({'properties': {}}, '01:00') == {'properties': {}}


# -- the backup job after the POST -----------------------------------------------------------------------------------
POSTED = datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.timezone.utc)


def job(name, vm, status, start, container=True, code=None):
    properties = {'entityFriendlyName': vm, 'operation': 'Backup', 'status': status,
                  'startTime': start, 'endTime': None if status == 'InProgress' else start}
    if container:
        properties['containerName'] = 'iaasvmcontainer;iaasvmcontainerv2;rg-web;' + vm
    if code:
        properties['errorDetails'] = [{'errorCode': code, 'errorString': 'It failed.'}]
    return {'id': VAULT_ITEMS + '/backupJobs/' + name, 'name': name, 'properties': properties}


def test_the_job_is_the_newest_backup_of_the_vm_after_the_post():
    jobs = [job('old', 'web1', 'Failed', '2026-11-22T09:00:00.1234567Z'),
            job('mine', 'web1', 'InProgress', '2026-11-22T09:59:30.1234567Z'),  # clocks differ by 30 s
            job('other', 'web2', 'Completed', '2026-11-22T10:01:00Z'),
            job('restore', 'web1', 'Completed', '2026-11-22T10:02:00Z')]
    jobs[3]['properties']['operation'] = 'Restore'
    assert fixes.find_job(jobs, vm_id('web1'), POSTED)['name'] == 'mine'
    assert fixes.find_job(jobs, vm_id('web1', 'rg-other'), POSTED) is None  # same name, other resource group
    by_name = [job('named', 'web1', 'Completed', '2026-11-22T10:00:05Z', container=False)]
    assert fixes.find_job(by_name, vm_id('web1'), POSTED)['name'] == 'named'
    assert fixes.find_job(jobs[:1], vm_id('web1'), POSTED) is None


def test_a_jobs_outcome_names_its_error_code():
    assert fixes.job_outcome(job('a', 'web1', 'Completed', 'x')) == {
        'id': VAULT_ITEMS + '/backupJobs/a', 'status': 'Completed', 'done': True, 'succeeded': True,
        'error_code': None, 'error_message': None, 'start_time': 'x', 'end_time': 'x'}
    failed = fixes.job_outcome(job('b', 'web1', 'Failed', 'x', code='UserErrorGuestAgentStatusUnavailable'))
    assert (failed['done'], failed['succeeded'], failed['error_code']) == (
        True, False, 'UserErrorGuestAgentStatusUnavailable')
    numbered = fixes.job_outcome(job('c', 'web1', 'Failed', 'x', code=400123))
    assert numbered['error_code'] == '400123'
    assert fixes.job_outcome(job('d', 'web1', 'InProgress', 'x'))['done'] is False
    assert fixes.job_outcome(None)['id'] is None


def test_the_jobs_filter_starts_before_the_post_for_the_clocks():
    assert fixes.job_filter(POSTED, POSTED + datetime.timedelta(minutes=5)) == (
        "backupManagementType eq 'AzureIaasVM' and operation eq 'Backup' and startTime eq '2026-11-22 09:58:00 AM' "
        "and endTime eq '2026-11-22 10:05:00 AM'")


@pytest.mark.parametrize('text, expected', [
    ('2026-11-22T10:00:00.1234567Z', datetime.datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=datetime.timezone.utc)),
    ('2026-11-22T10:00:00Z', POSTED), ('2026-11-22T10:00:00', POSTED), ('2026-11-22T11:00:00+01:00', POSTED),
    ('', None), (None, None), ('yesterday', None)])
def test_times_as_arm_writes_them(text, expected):
    assert fixes.parse_time(text) == expected


# -- request ids from the activity log -------------------------------------------------------------------------------
def test_each_write_gets_the_request_id_of_its_event():
    extension = vm_id('web1') + '/extensions/VMSnapshotLinux'
    item = fixes.item_path(VAULT, vm_id('web1'))
    writes = [{'fix': 'extension_remove', 'method': 'DELETE', 'path': extension, 'api_version': '2024-07-01'},
              {'fix': 'backup_on_demand', 'method': 'POST', 'path': item + '/backup', 'api_version': '2016-12-01'},
              {'fix': 'connectivity_nsg', 'method': 'PUT', 'path': SUB + '/x', 'api_version': '2024-05-01'}]

    def event(resource, method, request_id, when, status='Succeeded'):
        return {'resourceId': resource.upper(), 'httpRequest': {'method': method}, 'eventTimestamp': when,
                'correlationId': 'c-' + request_id, 'status': {'value': status},
                'properties': {'serviceRequestId': request_id}}
    events = [event(extension, 'DELETE', 'del-1', '2026-11-22T10:00:00Z', 'Accepted'),
              {'resourceId': extension, 'httpRequest': {'method': 'DELETE'}, 'properties': {}},  # no request id
              event(extension, 'PUT', 'put-1', '2026-11-22T10:01:00Z'),
              event(item, 'POST', 'post-1', '2026-11-22T10:02:00Z')]
    found = fixes.with_request_ids(writes, events)
    assert [(write['request_id'], write['correlation_id'], write['event_status']) for write in found] == [
        ('del-1', 'c-del-1', 'Accepted'), ('post-1', 'c-post-1', 'Succeeded'), (None, None, None)]
    assert found[0]['path'] == extension and found[0]['fix'] == 'extension_remove'


def test_one_activity_log_request_per_subscription_from_before_the_run():
    other = '/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/x/providers/A.B/c/d'
    requests = fixes.activity_requests([{'path': vm_id('web1')}, {'path': vm_id('web2')}, {'path': other}],
                                       POSTED, POSTED + datetime.timedelta(hours=1))
    assert requests == [
        {'key': 'activity:11111111-2222-3333-4444-555555555555',
         'path': SUB + '/providers/Microsoft.Insights/eventtypes/management/values', 'api_version': '2015-04-01',
         'query': {'$filter': "eventTimestamp ge '2026-11-22T09:58:00Z' and eventTimestamp le '2026-11-22T11:00:00Z'"}},
        {'key': 'activity:99999999-0000-0000-0000-000000000000',
         'path': '/subscriptions/99999999-0000-0000-0000-000000000000/providers/Microsoft.Insights/eventtypes/management/'
                 'values', 'api_version': '2015-04-01',
         'query': {'$filter': "eventTimestamp ge '2026-11-22T09:58:00Z' and eventTimestamp le '2026-11-22T11:00:00Z'"}}]
