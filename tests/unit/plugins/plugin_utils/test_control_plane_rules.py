# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control-plane rules: every status of every check read from Azure, on Linux and Windows, beside the guest's
facts or alone (evaluate_control_plane), and the job error explained by the host's own findings."""
from __future__ import absolute_import, division, print_function

import copy
import json
import os

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import checks_for
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import engine
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import facts as azure_facts
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.rules import connectivity

from azure_fixtures import NOW, REFS, ref, responses

__metaclass__ = type

HOSTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, 'fixtures', 'hosts')
CONTROL_PLANE = [check.id for check in checks_for(platform='linux', scope='control_plane')]
SECTIONS = azure_facts.control_plane_facts(dict(REFS, web3=ref('web3'), web4=ref('web4'), web6=ref('web6'),
                                                solo1=ref('solo1')), responses(), NOW)


def section(name):
    return copy.deepcopy(SECTIONS[name])


def guest_facts():
    with open(os.path.join(HOSTS, 'lab-healthy.json')) as handle:
        return json.load(handle)


def alone(azure, os_name='linux'):
    return dict((item['check'], item) for item in engine.evaluate_control_plane(azure, os_name))


def with_guest(azure):
    facts = guest_facts()
    facts['azure'] = azure
    return dict((item['check'], item) for item in engine.evaluate(facts, {'assume_azure': True}))


def test_the_recorded_vms():
    web1, web2, db1 = alone(section('web1')), alone(section('web2')), alone(section('db1'), 'windows')
    assert list(web1) == CONTROL_PLANE
    assert dict((check, item['status']) for check, item in web1.items()) == {
        'connectivity.nsg': 'pass', 'agent.azure_status': 'pass', 'extension.provisioning': 'pass',
        'snapshot.power_state': 'pass', 'snapshot.schedule': 'skip', 'backup.last_job': 'pass',
        'backup.restore_points': 'pass'}
    assert dict((check, item['status']) for check, item in web2.items()) == {
        'connectivity.nsg': 'fail', 'agent.azure_status': 'fail', 'extension.provisioning': 'fail',
        'snapshot.power_state': 'pass', 'snapshot.schedule': 'skip', 'backup.last_job': 'fail',
        'backup.restore_points': 'fail'}
    assert dict((check, item['status']) for check, item in db1.items()) == {
        'connectivity.nsg': 'pass', 'agent.azure_status': 'skip', 'extension.provisioning': 'pass',
        'snapshot.power_state': 'fail', 'snapshot.schedule': 'skip', 'backup.last_job': 'info',
        'backup.restore_points': 'pass'}
    assert web1['snapshot.schedule']['summary'] == engine.CONTROL_PLANE_MESSAGE


def test_without_azure_every_control_plane_rule_skips():
    findings = dict((item['check'], item) for item in engine.evaluate(guest_facts()))
    for check in CONTROL_PLANE:
        expected = engine.CONTROL_PLANE_MESSAGE if check == 'snapshot.schedule' else engine.NO_AZURE_MESSAGE
        assert (findings[check]['status'], findings[check]['summary']) == ('skip', expected)


def test_a_host_mapped_to_no_vm_and_a_run_that_could_not_read_azure():
    skipped = alone({'result': 'skip', 'message': 'not mapped to an Azure VM: no diagnose_azure_resource_group'})
    assert skipped['agent.azure_status']['status'] == 'skip'
    assert 'no diagnose_azure_resource_group' in skipped['agent.azure_status']['summary']
    failed = alone({'result': 'error', 'message': 'Azure could not be read: AuthenticationFailed'})
    assert all(failed[check]['status'] == 'error' and 'AuthenticationFailed' in failed[check]['summary']
               for check in CONTROL_PLANE if check != 'snapshot.schedule')


def finding(azure, check, os_name='linux'):
    return alone(azure, os_name)[check]


# -- agent.azure_status --------------------------------------------------------------------------------------------
def test_agent_azure_status():
    ready = finding(section('web1'), 'agent.azure_status', 'windows')
    assert ready['summary'] == 'Azure reports the VM agent Ready (version 2.9.1.1)'
    not_ready = finding(section('web2'), 'agent.azure_status')
    assert not_ready['summary'] == 'Azure reports the VM agent Not Ready: VM Agent is unresponsive.'
    assert not_ready['evidence']['code'] == 'ProvisioningState/Unavailable' and not_ready['fix'] is None
    running_without = section('web1')
    running_without['agent'].update(status=None, message='the instance view holds no VM agent status')
    assert finding(running_without, 'agent.azure_status')['summary'] == (
        'Azure reports the VM agent without a status: the instance view holds no VM agent status')
    stopped = finding(section('db1'), 'agent.azure_status')
    assert stopped['status'] == 'skip' and 'deallocated' in stopped['summary']
    broken = section('web1')
    broken['agent'] = {'result': 'error', 'message': 'the instance view could not be read: x'}
    assert finding(broken, 'agent.azure_status')['status'] == 'error'


# -- extension.provisioning ----------------------------------------------------------------------------------------
def test_extension_provisioning():
    healthy = finding(section('web1'), 'extension.provisioning')
    assert healthy['summary'] == ('the VM and its 1 extension(s) are provisioned, the backup extension VMSnapshotLinux '
                                  'reports no error')
    failed = finding(section('web2'), 'extension.provisioning')
    assert failed['summary'] == ('extension VMSnapshotLinux: ProvisioningState/failed/-1: Enable failed: the snapshot '
                                 'timed out')
    assert failed['remedy'].startswith('Uninstall the failed VMSnapshotLinux extension')
    none = finding(section('db1'), 'extension.provisioning', 'windows')
    assert none['summary'] == 'the VM has no extension in Azure (the first backup installs VMSnapshot)'
    vm_failed = section('web1')
    vm_failed['vm'].update(provisioning_state='failed', provisioning_message='OSProvisioningTimedOut')
    other = {'name': 'CustomScript', 'type': 'Microsoft.Azure.Extensions.CustomScript', 'provisioning_state': 'succeeded',
             'level': 'Info', 'substatuses': [{'code': 'ComponentStatus/StdErr/failed', 'level': 'Error', 'message': 'boom'}]}
    vm_failed['extensions']['items'].append(other)
    result = finding(vm_failed, 'extension.provisioning')
    assert result['status'] == 'fail' and result['summary'] == (
        'the VM is in failed provisioning state: OSProvisioningTimedOut; extension CustomScript: '
        'ComponentStatus/StdErr/failed: boom')
    assert result['remedy'].startswith('resolve the other failed extensions')
    updating = section('web1')
    updating['vm']['provisioning_state'] = 'updating'
    updating['extensions']['items'][0]['provisioning_state'] = 'transitioning'
    warn = finding(updating, 'extension.provisioning')
    assert warn['status'] == 'warn' and warn['summary'] == (
        'the VM is updating; extension VMSnapshotLinux is transitioning: a backup now may fail')


# -- connectivity.nsg ------------------------------------------------------------------------------------------------
def test_connectivity_nsg_on_the_recorded_vms():
    allowed = finding(section('web1'), 'connectivity.nsg')
    assert allowed['summary'] == 'outbound TCP 443 to Storage is allowed (nic NSG web1-nsg: AllowStorageWestEurope)'
    denied = finding(section('web2'), 'connectivity.nsg')
    assert denied['summary'] == ('subnet NSG app-nsg rule DenyHttpsOut (priority 110) denies outbound TCP 443 to '
                                 'Storage; subnet NSG app-nsg rule DenyHttpsOut (priority 110) denies outbound TCP 443 '
                                 'to AzureBackup')
    assert 'Storage (or AzureBackup) service tag' in denied['remedy']
    assert finding(section('db1'), 'connectivity.nsg')['summary'] == (
        'no network security group on the primary NIC or its subnet')
    no_nic = section('web1')
    no_nic['network'] = {'result': 'ok', 'nics': [], 'primary_nic': None, 'nsgs': []}
    assert finding(no_nic, 'connectivity.nsg')['status'] == 'skip'


def nsg(rules, scope='nic', name='nsg', defaults=None):
    return {'id': '/nsg/' + name, 'name': name, 'scope': scope, 'rules': rules, 'default_rules': defaults or []}


def rule(name, priority, access, destinations, ports=('443',), protocol='Tcp', direction='Outbound'):
    return {'name': name, 'priority': priority, 'direction': direction, 'access': access, 'protocol': protocol,
            'destinations': list(destinations), 'ports': list(ports)}


@pytest.mark.parametrize('rules, tag, region, access, deciding', [
    ([], 'Storage', 'westeurope', 'Allow', 'AllowInternetOutBound'),
    ([rule('deny', 100, 'Deny', ['*'], ['*'], '*')], 'Storage', None, 'Deny', 'deny'),
    ([rule('allow-eu', 100, 'Allow', ['Storage.WestEurope']), rule('deny', 200, 'Deny', ['Internet'])],
     'Storage', 'eastus', 'Deny', 'deny'),
    ([rule('allow-cloud', 100, 'Allow', ['AzureCloud.EastUS']), rule('deny', 200, 'Deny', ['0.0.0.0/0'])],
     'AzureBackup', 'eastus', 'Allow', 'allow-cloud'),
    ([rule('udp', 100, 'Deny', ['*'], protocol='Udp'), rule('in', 110, 'Deny', ['*'], direction='Inbound'),
      rule('other-port', 120, 'Deny', ['*'], ['80', '8000-9000', 'x-y']), rule('cidr', 130, 'Deny', ['20.0.0.0/8'])],
     'Storage', None, 'Allow', 'AllowInternetOutBound'),
    ([rule('range', 100, 'Deny', ['Storage'], ['400-500'], 'Any'), rule('late', 4000, 'Allow', ['Storage'])],
     'Storage', None, 'Deny', 'range'),
])
def test_nsg_rules_are_taken_by_priority(rules, tag, region, access, deciding):
    verdict = connectivity.nsg_verdict(nsg(rules), tag, region)
    assert (verdict['access'], verdict['rule']) == (access, deciding)


def test_both_nsgs_must_allow_and_either_tag_is_enough():
    azure = section('web1')
    azure['network']['nsgs'] = [
        nsg([rule('allow-backup', 100, 'Allow', ['AzureBackup'])], 'nic', 'nic-nsg'),
        nsg([rule('deny-storage', 100, 'Deny', ['Storage']), rule('allow-all', 200, 'Allow', ['*'])], 'subnet', 'sub-nsg')]
    result = finding(azure, 'connectivity.nsg')
    assert result['status'] == 'pass' and result['summary'].startswith('outbound TCP 443 to AzureBackup is allowed')
    azure['network']['nsgs'][1]['rules'].insert(0, rule('deny-internet', 50, 'Deny', ['Internet'], ['*']))
    result = finding(azure, 'connectivity.nsg')
    assert result['status'] == 'fail' and result['summary'] == (
        'subnet NSG sub-nsg rule deny-internet (priority 50) denies outbound TCP 443 to Storage; '
        'subnet NSG sub-nsg rule deny-internet (priority 50) denies outbound TCP 443 to AzureBackup')
    # the NIC's NSG lets Storage out by Azure's default rule (Internet holds Storage); the subnet's does not
    assert [(item['scope'], item['rule'], item['access']) for item in result['evidence']['verdicts']['Storage']] == [
        ('nic', 'AllowInternetOutBound', 'Allow'), ('subnet', 'deny-internet', 'Deny')]


# -- snapshot.power_state ------------------------------------------------------------------------------------------
@pytest.mark.parametrize('state, guest, status, summary', [
    ('running', True, 'pass', 'Azure reports the VM running and the guest answered'),
    ('running', False, 'pass', 'Azure reports the VM running'),
    ('deallocated', True, 'fail', 'the guest answered but Azure says the VM is deallocated: they disagree'),
    ('stopped', False, 'fail', 'the VM is stopped in Azure: the snapshot cannot reach its agent'),
    ('starting', False, 'warn', 'Azure reports the VM starting'),
    ('hibernated', False, 'warn', "Azure reports an unexpected power state 'hibernated'"),
])
def test_snapshot_power_state(state, guest, status, summary):
    azure = section('web1')
    azure['vm']['power_state'] = state
    result = with_guest(azure)['snapshot.power_state'] if guest else finding(azure, 'snapshot.power_state')
    assert result['status'] == status and result['summary'].startswith(summary), result['summary']
    assert result['evidence']['guest_answered'] is guest


def test_snapshot_power_state_offline_and_unknown():
    azure = section('db1')
    facts = guest_facts()
    facts.update(azure=azure, offline=True)
    offline = dict((item['check'], item) for item in engine.evaluate(facts))['snapshot.power_state']
    assert offline['summary'].startswith('the VM is deallocated in Azure')
    azure['vm'].update(power_state=None, instance_view_error='the instance view could not be read: x')
    unknown = finding(azure, 'snapshot.power_state')
    assert unknown['status'] == 'error' and unknown['summary'] == (
        'Azure reported no power state for the VM: the instance view could not be read: x')
    azure['vm']['instance_view_error'] = None
    assert finding(azure, 'snapshot.power_state')['summary'] == 'Azure reported no power state for the VM'


# -- backup.last_job -------------------------------------------------------------------------------------------------
def test_backup_last_job_statuses():
    assert finding(section('web1'), 'backup.last_job')['summary'] == (
        'the last backup job completed (started 2026-11-21T19:00:41.1Z)')
    assert finding(section('web3'), 'backup.last_job')['status'] == 'warn'
    in_progress = finding(section('db1'), 'backup.last_job')
    assert (in_progress['status'], in_progress['summary']) == (
        'info', 'the last backup job is InProgress (started 2026-11-22T03:30:00.0Z)')
    solo = finding(section('solo1'), 'backup.last_job')
    assert solo['status'] == 'info' and solo['summary'].startswith('the VM is not protected by the vault(s)')
    nothing = finding(section('web4'), 'backup.last_job')
    assert nothing['status'] == 'warn' and 'no backup job in the last 7 days' in nothing['summary']
    stopped = section('web1')
    stopped['backup']['protected_item']['protection_state'] = 'ProtectionStopped'
    assert finding(stopped, 'backup.last_job')['summary'].startswith('protection of the VM is stopped')
    cancelled = section('web1')
    cancelled['backup']['last_job']['status'] = 'Cancelled'
    assert finding(cancelled, 'backup.last_job')['status'] == 'warn'
    unread = section('web1')
    unread['backup'] = {'result': 'error', 'message': 'the backup jobs of vault v could not be read: x'}
    assert finding(unread, 'backup.last_job')['status'] == 'error'


def test_a_failed_job_names_its_code_and_the_checks_that_explain_it():
    alone_ = finding(section('web2'), 'backup.last_job')
    assert alone_['summary'] == ('the last backup job failed (started 2026-11-21T19:00:42.1Z): '
                                 'UserErrorGuestAgentStatusUnavailable: VM Agent unable to communicate with Azure Backup; '
                                 'explained by this host\'s agent.azure_status (fail), extension.provisioning (fail)')
    evidence = alone_['evidence']
    assert evidence['error_code'] == 'UserErrorGuestAgentStatusUnavailable' and evidence['error_number'] == 400136
    assert evidence['error_code_checks'][0] == 'agent.azure_status' and 'agent.service' in evidence['error_code_checks']
    assert evidence['explained_by'] == [{'check': 'agent.azure_status', 'status': 'fail'},
                                        {'check': 'extension.provisioning', 'status': 'fail'}]
    assert evidence['meaning'] == 'VM Agent unable to communicate with Azure Backup'
    # beside a guest whose agent is stopped, the guest's own finding explains it too
    facts = guest_facts()
    facts['agent']['service'].update(active_state='inactive', sub_state='dead')
    facts['azure'] = section('web2')
    findings = dict((item['check'], item) for item in engine.evaluate(facts, {'assume_azure': True}))
    assert {'check': 'agent.service', 'status': 'fail'} in findings['backup.last_job']['evidence']['explained_by']


def test_failed_jobs_without_a_known_code_or_without_an_explaining_check():
    unknown = finding(section('web6'), 'backup.last_job')
    assert unknown['summary'] == ('the last backup job failed (started 2026-11-21T19:00:46.1Z): Something nobody '
                                  'documented went wrong')
    assert 'explained_by' not in unknown['evidence'] and unknown['remedy'].startswith('Open the job in the vault')
    policy = section('web1')
    policy['backup']['last_job'].update(status='Failed', error_code='UserErrorRequestDisallowedByPolicy',
                                        error_message=None)
    result = finding(policy, 'backup.last_job')
    assert result['summary'].endswith('UserErrorRequestDisallowedByPolicy: no error details in the job list')
    assert result['evidence']['explained_by'] == [] and result['evidence']['error_code_checks'] == []
    explained = section('web1')
    explained['backup']['last_job'].update(status='Failed', error_code='UserErrorRpCollectionLimitReached')
    explained['restore_points']['locks'] = [{'name': 'l', 'level': 'CanNotDelete', 'scope': '/s'}]
    result = finding(explained, 'backup.last_job')
    assert result['evidence']['explained_by'] == [{'check': 'backup.restore_points', 'status': 'fail'}]
    assert result['remedy'] == ('The checks backup.restore_points explain UserErrorRpCollectionLimitReached: fix those '
                                'that fail, then run an on-demand backup.')


# -- backup.restore_points -----------------------------------------------------------------------------------------------
def test_backup_restore_points():
    assert finding(section('web1'), 'backup.restore_points')['summary'] == (
        '3 of 18 restore points, no lock blocks their cleanup')
    locked = finding(section('web2'), 'backup.restore_points')
    assert locked['summary'].startswith('CanNotDelete lock keep-rp on ') and 'UserErrorRpCollectionLimitReached' in \
        locked['remedy']
    full = section('web2')
    full['restore_points']['locks'] = []
    assert finding(full, 'backup.restore_points')['summary'] == 'the VM has 18 restore points, the limit is 18'
    assert finding(section('db1'), 'backup.restore_points')['summary'].startswith('no restore point collection')
    unknown = section('web1')
    unknown['restore_points'].update(count=None, count_error='c: NotFound')
    assert finding(unknown, 'backup.restore_points')['summary'] == (
        'no lock blocks the cleanup (the restore points could not be counted: c: NotFound)')


def test_every_status_of_every_control_plane_rule_is_covered():
    """The tests above produce each status a control-plane check may report (checks.md's end)."""
    produced = {
        'connectivity.nsg': {'pass', 'fail'}, 'agent.azure_status': {'pass', 'fail'},
        'extension.provisioning': {'pass', 'warn', 'fail'}, 'snapshot.power_state': {'pass', 'warn', 'fail'},
        'backup.last_job': {'pass', 'info', 'warn', 'fail'}, 'backup.restore_points': {'pass', 'fail'},
        'snapshot.schedule': {'pass', 'fail'}}
    for check in checks_for(scope='control_plane'):
        assert set(check.rules) == produced[check.id], check.id
