# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ARM answers -> each host's azure section, the triage's failed jobs and the fleet stage's context."""
from __future__ import absolute_import, division, print_function

import datetime

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import facts

from azure_fixtures import (NOW, REFS, SUB, SUBSCRIPTION, VAULT, VAULT_KEY, listed, load, ref, responses,
                            status_list, vm_id)

__metaclass__ = type


def sections(answers=None, refs=None):
    return facts.control_plane_facts(refs or REFS, responses() if answers is None else answers, NOW)


def test_a_healthy_vm():
    web1 = sections()['web1']
    assert web1['result'] == 'ok' and web1['vm_id'] == vm_id('web1') and web1['read_at'] == '2026-11-22T03:40:00Z'
    assert web1['vm'] == dict(
        result='ok', id=vm_id('web1'), name='web1', resource_group='rg-web', subscription=SUBSCRIPTION,
        location='westeurope', os_type='Linux', scale_set=None, provisioning_state='succeeded',
        provisioning_message=None, power_state='running', instance_view='instance_view', instance_view_error=None,
        availability_set=SUB + '/resourceGroups/RG-WEB/providers/Microsoft.Compute/availabilitySets/AVSET-WEB')
    assert web1['agent'] == dict(result='ok', status='Ready', code='ProvisioningState/succeeded', level='Info',
                                 message='GuestAgent is running and processing the extensions.',
                                 time='2026-11-22T03:39:01+00:00', version='2.9.1.1')
    snapshot = web1['extensions']['snapshot']
    assert web1['extensions']['items'] == [snapshot]
    assert (snapshot['publisher'], snapshot['handler'], snapshot['provisioning_state']) == (
        'Microsoft.Azure.RecoveryServices', 'VMSnapshotLinux', 'succeeded')
    network = web1['network']
    assert network['primary_nic'].endswith('/networkInterfaces/web1-nic')
    assert [(nsg['name'], nsg['scope']) for nsg in network['nsgs']] == [('web1-nsg', 'nic')]
    assert network['nsgs'][0]['rules'][0] == {
        'name': 'AllowStorageWestEurope', 'priority': 100, 'direction': 'Outbound', 'access': 'Allow',
        'protocol': 'Tcp', 'destinations': ['Storage.WestEurope'], 'ports': ['443'], 'application_security_groups': []}
    backup = web1['backup']
    assert backup['protected'] and backup['vault_id'].lower() == VAULT_KEY
    assert backup['schedule'] == {'policy_id': backup['policy_id'], 'policy_name': 'DailyPolicy', 'frequency': 'Daily',
                                  'times': ['19:00'], 'days': None, 'time_zone': 'UTC', 'hourly': None}
    assert [job['job_id'][:8] for job in backup['jobs']] == ['00000001', '00000002']
    assert backup['last_job']['status'] == 'Completed' and backup['jobs_days'] == 7
    points = web1['restore_points']
    assert (points['count'], points['limit'], points['locks'], points['count_error']) == (3, 18, [], None)


def test_a_broken_vm():
    web2 = sections()['web2']
    assert (web2['agent']['status'], web2['agent']['message']) == ('Not Ready', 'VM Agent is unresponsive.')
    snapshot = web2['extensions']['snapshot']
    assert snapshot['provisioning_state'] == 'failed' and snapshot['level'] == 'Error'
    assert snapshot['substatuses'][0]['message'] == 'FailedRetryableSnapshotFailedNoNetwork'
    assert [(nsg['name'], nsg['scope']) for nsg in web2['network']['nsgs']] == [('app-nsg', 'subnet')]
    assert web2['network']['nsgs'][0]['rules'][0]['destinations'] == ['0.0.0.0/0']
    assert web2['network']['nsgs'][0]['rules'][0]['ports'] == ['80', '443-445']
    job = web2['backup']['last_job']
    assert (job['status'], job['error_code'], job['error_number']) == (
        'Failed', 'UserErrorGuestAgentStatusUnavailable', 400136)
    points = web2['restore_points']
    assert points['count'] == 18 and [lock['name'] for lock in points['locks']] == ['keep-rp']
    assert points['locks'][0]['scope'].endswith('/restorePointCollections/AzureBackupRG_web2_1')


def test_a_deallocated_windows_vm():
    db1 = sections()['db1']
    assert db1['vm']['power_state'] == 'deallocated' and db1['vm']['os_type'] == 'Windows'
    assert db1['agent']['status'] is None and 'holds no VM agent status' in db1['agent']['message']
    assert db1['extensions'] == {'result': 'ok', 'items': [], 'snapshot': None}
    assert db1['network']['nsgs'] == []
    assert db1['backup']['last_job']['status'] == 'InProgress'
    assert db1['backup']['schedule']['hourly'] == {'interval': 4, 'window_hours': 16}
    assert db1['backup']['schedule']['times'] == ['08:00']
    assert db1['restore_points']['collection_ids'] == [] and db1['restore_points']['count'] == 0


def test_a_host_that_maps_to_no_vm_gets_a_skip_section():
    result = facts.control_plane_facts({'web9': 'no diagnose_azure_resource_group', 'x': None}, {}, NOW)
    assert result == {'web9': {'result': 'skip', 'message': 'no diagnose_azure_resource_group'},
                      'x': {'result': 'skip', 'message': 'the host maps to no Azure VM'}}


def test_a_vm_azure_does_not_know():
    ghost = sections(refs={'ghost': ref('ghost')})['ghost']
    for name in ('vm', 'agent', 'extensions', 'network'):
        assert ghost[name] == {'result': 'error', 'message': 'VM %s not found in Azure' % vm_id('ghost')}
    assert ghost['backup']['protected'] is False and ghost['restore_points']['result'] == 'ok'


def test_failed_lists_make_what_depends_on_them_an_error_with_arms_message():
    answers = responses()
    denied = {'status': 403, 'error': 'AuthorizationFailed: the client has no access'}
    for prefix in ('vms', 'rpcs', 'vaults'):
        answers['%s:%s' % (prefix, SUBSCRIPTION)] = denied
    web1 = sections(answers)['web1']
    assert web1['vm'] == {'result': 'error', 'message': 'the VMs of subscription %s could not be listed: '
                          'AuthorizationFailed: the client has no access' % SUBSCRIPTION}
    assert web1['agent']['result'] == web1['network']['result'] == 'error'
    assert 'restore point collections' in web1['restore_points']['message']
    assert 'Recovery Services vaults' in web1['backup']['message'] and web1['backup']['result'] == 'error'


@pytest.mark.parametrize('key, answer, section, message', [
    ('iv:' + vm_id('web1').lower(), {'status': 404, 'error': 'ResourceNotFound: gone'}, 'agent',
     'VM %s not found in Azure (ResourceNotFound: gone)' % vm_id('web1')),
    ('iv:' + vm_id('web1').lower(), {'status': None, 'error': 'ConnectionError: reset'}, 'extensions',
     'the instance view could not be read: ConnectionError: reset'),
    ('nics:' + SUBSCRIPTION, {'status': 500, 'error': 'InternalError: x'}, 'network',
     'the network interfaces of subscription %s could not be listed: InternalError: x' % SUBSCRIPTION),
    ('nsgs:' + SUBSCRIPTION, {'status': 200, 'value': [], 'error': 'more than 200 pages: stopped'}, 'network',
     'could not be listed: more than 200 pages: stopped'),
    ('nsgs:' + SUBSCRIPTION, {'status': 200, 'value': []}, 'network', 'web1-nsg of NIC web1-nic is not in the list'),
    ('nics:' + SUBSCRIPTION, {'status': 200, 'value': []}, 'network', 'web1-nic of the VM is not in the list'),
    ('locks:' + SUBSCRIPTION, {'status': 429, 'error': 'TooManyRequests: slow down'}, 'restore_points',
     'management locks of subscription %s could not be listed: TooManyRequests' % SUBSCRIPTION),
    ('jobs:' + VAULT_KEY, {'status': 502, 'error': 'BadGateway: y'}, 'backup',
     'the backup jobs of vault %s could not be read: BadGateway: y' % VAULT.replace('/subscriptions/', '/Subscriptions/')),
])
def test_each_failed_answer_is_an_error_of_its_observation(key, answer, section, message):
    answers = responses()
    answers[key] = answer
    observation = sections(answers)['web1'][section]
    assert observation['result'] == 'error' and message in observation['message'], observation


def test_an_instance_view_that_failed_leaves_the_vm_without_power_state():
    answers = responses()
    answers['iv:' + vm_id('web1').lower()] = {'status': 503, 'error': 'ServiceUnavailable: z'}
    vm = sections(answers)['web1']['vm']
    assert vm['result'] == 'ok' and vm['power_state'] is None
    assert vm['instance_view_error'] == 'the instance view could not be read: ServiceUnavailable: z'


def test_instance_views_from_the_status_only_list():
    answers = responses()
    for name, group in (('web1', 'rg-web'), ('web2', 'rg-web'), ('db1', 'rg-db')):
        del answers['iv:' + vm_id(name, group).lower()]
    answers['vmstatus:' + SUBSCRIPTION] = status_list()
    refs = dict(REFS, solo1=ref('solo1'))
    result = sections(answers, refs)
    assert result['web1']['vm']['instance_view'] == 'status_list' and result['web1']['agent']['status'] == 'Ready'
    assert result['web2']['extensions']['snapshot']['provisioning_state'] == 'failed'
    assert result['solo1']['agent'] == {'result': 'error', 'message': 'the status-only VM list of subscription %s has '
                                        'no instance view of solo1' % SUBSCRIPTION}
    answers['vmstatus:' + SUBSCRIPTION] = {'status': 500, 'error': 'InternalError'}
    assert 'status-only VM list of subscription' in sections(answers)['web1']['agent']['message']
    del answers['vmstatus:' + SUBSCRIPTION]
    assert sections(answers)['web1']['agent'] == {'result': 'error', 'message': 'the instance view was not read'}


def test_a_status_list_without_agent_statuses_says_where_they_were_missing():
    answers = responses()
    del answers['iv:' + vm_id('web1').lower()]
    listed_vms = status_list()
    for vm in listed_vms['value']:
        if vm['name'] == 'web1':
            del vm['properties']['instanceView']['vmAgent']
    answers['vmstatus:' + SUBSCRIPTION] = listed_vms
    agent = sections(answers, {'web1': ref('web1')})['web1']['agent']
    assert agent['status'] is None and agent['message'] == 'the status-only VM list holds no VM agent status'


def test_vault_problems():
    answers = responses()
    answers['items:' + VAULT_KEY] = {'status': 403, 'error': 'Forbidden: vault'}
    assert sections(answers)['web1']['backup'] == {
        'result': 'error', 'message': 'the protected items of vault(s) could not be read: %s: Forbidden: vault' % VAULT_KEY}
    # found in a vault that answered, a vault that did not is no matter
    answers = responses()
    answers['items:/subscriptions/x/resourcegroups/y/providers/microsoft.recoveryservices/vaults/z'] = {
        'status': 403, 'error': 'Forbidden'}
    assert sections(answers)['web1']['backup']['protected'] is True
    # no vault at all
    answers = responses()
    for key in list(answers):
        if key.startswith(('items:', 'jobs:', 'policies:')):
            del answers[key]
    backup = sections(answers)['web1']['backup']
    assert backup['result'] == 'ok' and backup['protected'] is False and backup['vaults_read'] == []


def test_restore_points_that_could_not_be_counted():
    answers = responses()
    for key in list(answers):
        if key.startswith('rpc:'):
            answers[key] = {'status': 404, 'error': 'NotFound: deleted meanwhile'}
    points = sections(answers)['web1']['restore_points']
    assert points['count'] is None and points['count_error'] == 'AzureBackupRG_web1_1: NotFound: deleted meanwhile'


def test_locks_that_block_the_cleanup():
    answers = responses()
    backup_group = SUB + '/resourceGroups/AzureBackupRG_westeurope_7'
    answers['locks:' + SUBSCRIPTION]['value'] += [
        {'id': SUB + '/providers/Microsoft.Authorization/locks/everything', 'name': 'everything',
         'properties': {'level': 'ReadOnly'}},
        {'id': backup_group + '/providers/Microsoft.Authorization/locks/rg-lock', 'name': 'rg-lock',
         'properties': {'level': 'CanNotDelete'}},
        {'id': SUB + '/resourceGroups/AzureBackupRG_eastus_1/providers/Microsoft.Authorization/locks/other-region',
         'name': 'other-region', 'properties': {'level': 'CanNotDelete'}},
        {'id': 'not a lock id', 'name': 'odd'}, 'garbage']
    locks = sections(answers)['web1']['restore_points']['locks']
    assert [(lock['name'], lock['scope']) for lock in locks] == [
        ('everything', SUB), ('rg-lock', backup_group)]


def test_job_error_names_the_code_wherever_it_is():
    assert facts.job_error({}) == (None, None, None)
    assert facts.job_error({'errorDetails': [{'errorCode': 'UserErrorFsFreezeFailed', 'errorString': 'x'}]}) == (
        'UserErrorFsFreezeFailed', 'x', 'UserErrorFsFreezeFailed')
    assert facts.job_error({'errorDetails': [{'errorCode': 1, 'errorTitle': 'ExtensionFailedVssWriterInBadState'}]})[0] == \
        'ExtensionFailedVssWriterInBadState'
    # by the article's message, whatever its case and final dot
    assert facts.job_error({'errorDetails': [{'errorCode': 400, 'errorString':
                                              'Snapshot operation failed due to inadequate VM resources.'}]})[0] == \
        'ExtensionFailedTimeoutVMNetworkUnresponsive'
    # an unknown name is kept, an unknown number is not a name
    assert facts.job_error({'errorDetails': [{'errorCode': 'UserErrorNewThing', 'errorString': 'new'}]}) == (
        'UserErrorNewThing', 'new', None)
    assert facts.job_error({'errorDetails': [{'errorCode': 12, 'errorString': 'odd'}]}) == (None, 'odd', 12)
    long = facts.job_error({'errorDetails': [{'errorCode': 1, 'errorString': 'x' * 5000}]})[1]
    assert len(long) == facts.MAX_MESSAGE


def test_secrets_in_azure_messages_are_redacted():
    answers = responses()
    view = answers['iv:' + vm_id('web2').lower()]['body']
    secret = 'SECRET' + 'SIG'  # built here: the shipped sources hold no SAS signature
    view['vmAgent']['statuses'][0]['message'] = 'upload to https://a.blob.core.windows.net/c?sv=1&sig=%s failed' % secret
    message = sections(answers)['web2']['agent']['message']
    assert secret not in message and 'a.blob.core.windows.net' in message


@pytest.mark.parametrize('policy, expected', [
    ({'properties': {'schedulePolicy': {'scheduleRunFrequency': 'Weekly', 'scheduleRunDays': ['Sunday', 'Monday'],
                                        'scheduleRunTimes': ['2020-01-01T23:30:00Z']}}},
     {'frequency': 'Weekly', 'times': ['23:30'], 'days': ['Monday', 'Sunday'], 'time_zone': 'UTC', 'hourly': None}),
    ({'properties': {'timeZone': 'Tokyo Standard Time', 'schedulePolicy': {
        'schedulePolicyType': 'SimpleSchedulePolicyV2', 'scheduleRunFrequency': 'Daily',
        'dailySchedule': {'scheduleRunTimes': ['2020-01-01T02:00:00Z']}}}},
     {'frequency': 'Daily', 'times': ['02:00'], 'days': None, 'time_zone': 'Tokyo Standard Time', 'hourly': None}),
    ({'properties': {'schedulePolicy': {'schedulePolicyType': 'SimpleSchedulePolicyV2', 'scheduleRunFrequency': 'Weekly',
                                        'weeklySchedule': {'scheduleRunDays': ['Friday'],
                                                           'scheduleRunTimes': ['2020-01-01T05:00:00Z']}}}},
     {'frequency': 'Weekly', 'times': ['05:00'], 'days': ['Friday'], 'time_zone': 'UTC', 'hourly': None}),
    ({'properties': {}}, {'frequency': None, 'times': [], 'days': None, 'time_zone': 'UTC', 'hourly': None}),
    ({'properties': {'schedulePolicy': {'scheduleRunTimes': ['not a time']}}},
     {'frequency': None, 'times': [], 'days': None, 'time_zone': 'UTC', 'hourly': None}),
])
def test_schedule_of_each_policy_shape(policy, expected):
    schedule = facts.schedule_of(dict(policy, id='p', name='n'))
    assert schedule == dict(expected, policy_id='p', policy_name='n')


def test_jobs_find_their_vm_by_container_then_by_a_unique_name():
    items = load('items.json')['value']
    twin = dict(items[0], properties=dict(items[0]['properties'], containerName='iaasvmcontainerv2;rg-other;web1',
                                          virtualMachineId=vm_id('web1', 'rg-other')))
    vault = facts._Vault(items + [twin])
    by_name = {'properties': {'entityFriendlyName': 'web1'}}
    assert vault.item_of_job(by_name) is None  # two protected VMs are called web1: ambiguous
    by_container = {'properties': {'entityFriendlyName': 'web1', 'containerName': 'iaasvmcontainer;iaasvmcontainerv2;'
                                                                                  'rg-other;web1'}}
    assert vault.item_of_job(by_container) is twin
    assert vault.item_of_job({'properties': {'entityFriendlyName': 'WEB3'}})['properties']['friendlyName'] == 'web3'
    assert vault.item_of_job({}) is None


def test_failed_jobs_for_the_triage():
    answers = {'failedjobs:' + VAULT_KEY: listed('jobs.json'), 'items:' + VAULT_KEY: listed('items.json')}
    jobs = facts.failed_jobs(answers, 7, NOW)
    assert [(job['vm_name'], job['error_code']) for job in jobs] == [
        ('web6', None), ('web5', 'UserErrorRpCollectionLimitReached'), ('web2', 'UserErrorGuestAgentStatusUnavailable'),
        ('ghost', None)]
    assert jobs[2] == {'vm_id': vm_id('web2'), 'vm_name': 'web2', 'vault_id': VAULT.replace('/subscriptions/', '/Subscriptions/'),
                       'job_id': '00000003-1111-2222-3333-444444444444', 'status': 'Failed',
                       'error_code': 'UserErrorGuestAgentStatusUnavailable',
                       'error_message': 'VM Agent unable to communicate with Azure Backup',
                       'start_time': '2026-11-21T19:00:42.1Z', 'end_time': '2026-11-21T19:21:42.9Z'}
    assert jobs[3]['vm_id'] is None
    # a job older than the window is dropped even when the server ignored the filter; no items: no VM ids
    later = NOW + datetime.timedelta(hours=15)
    assert [job['vm_name'] for job in facts.failed_jobs(answers, 1, later)] == ['web6', 'web5', 'web2']
    answers['items:' + VAULT_KEY] = {'status': 403, 'error': 'Forbidden'}
    answers['failedjobs:x'] = {'status': 500, 'error': 'InternalError'}
    assert all(job['vm_id'] is None for job in facts.failed_jobs(answers))
    assert facts.response_errors(answers) == ['failedjobs:x: InternalError', 'items:%s: Forbidden' % VAULT_KEY]
    assert facts.response_errors(answers, ['items:']) == ['items:%s: Forbidden' % VAULT_KEY]


def test_fleet_context_sees_every_vm_of_the_lists_and_their_protection():
    context = facts.fleet_context(responses(), REFS)
    vms = context['vms']
    assert len(vms) == 8 and context['errors'] == []
    assert context['hosts'] == dict((vm_id(name, group).lower(), name) for name, group in (
        ('web1', 'rg-web'), ('web2', 'rg-web'), ('db1', 'rg-db')))
    web5 = vms[vm_id('web5').lower()]
    assert web5['group_kind'] == 'availability_set' and web5['group'].endswith('/AVSET-WEB')
    assert web5['protected'] and web5['schedule']['policy_name'] == 'EveningPolicy'
    solo = vms[vm_id('solo1').lower()]
    assert (solo['group'], solo['protected'], solo['schedule']) == (None, False, None)


def test_fleet_context_groups_classic_vms_by_cloud_service_and_reports_failed_lists():
    answers = responses()
    answers['items:' + VAULT_KEY]['value'].append({
        'id': VAULT + '/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainer;svc1;old1/'
                      'protectedItems/VM;iaasvmcontainer;svc1;old1', 'name': 'VM;iaasvmcontainer;svc1;old1',
        'properties': {'friendlyName': 'old1', 'protectionState': 'ProtectionStopped',
                       'protectedItemType': 'Microsoft.ClassicCompute/virtualMachines',
                       'containerName': 'iaasvmcontainer;svc1;old1',
                       'virtualMachineId': '/subscriptions/%s/resourceGroups/svc1/providers/'
                                           'Microsoft.ClassicCompute/virtualMachines/old1' % SUBSCRIPTION}})
    answers['items:' + VAULT_KEY]['value'].append({'id': 'x', 'properties': {}})
    answers['vms:' + SUBSCRIPTION] = {'status': 500, 'error': 'InternalError: boom'}
    context = facts.fleet_context(answers)
    old = [vm for vm in context['vms'].values() if vm['name'] == 'old1'][0]
    assert (old['group'], old['group_kind'], old['protected']) == ('cloudservice:svc1', 'cloud_service', False)
    assert context['errors'] == ['vms:%s: InternalError: boom' % SUBSCRIPTION] and context['hosts'] == {}


def test_answers_problems():
    answers = facts.Answers({'a': 'text', 'b': {'status': 201}})
    assert answers.problem('a') == 'malformed answer for a'
    assert answers.problem('b') == 'HTTP status 201'
    assert answers.problem('c') == 'not read (c was not requested)'
    assert answers.body('b') == (None, 'HTTP status 201')
    assert facts.vault_of('/not/a/vault') is None


def test_odd_but_valid_answers():
    answers = responses()
    for vm in answers['vms:' + SUBSCRIPTION]['value']:
        if vm['name'] == 'web1':
            del vm['properties']['networkProfile']
    answers['jobs:' + VAULT_KEY]['value'].append('not a job')
    web1 = facts.control_plane_facts({'web1': ref('web1')}, answers)['web1']
    assert web1['network'] == {'result': 'ok', 'nics': [], 'primary_nic': None, 'nsgs': []}
    assert web1['read_at'] is None and web1['backup']['last_job']['status'] == 'Completed'
    answers['failedjobs:' + VAULT_KEY] = {'status': 200, 'value': ['not a job']}
    assert facts.failed_jobs(answers) == []
