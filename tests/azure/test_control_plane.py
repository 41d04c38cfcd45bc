"""The control-plane diagnosis end to end: the diagnose role (diagnose_azure: true) and the triage playbook, run by
ansible-playbook with the real azure.azcollection client and Azure SDK against the fake ARM. Each control-plane
check shows each of its statuses on a VM of one scenario; the request log shows what was read and how."""
import json
import os

import pytest

from azure_run import local_inventory, run_playbook
from scenario_builder import Scenario, nsg_rule, vm_id

DIAGNOSE = """
- hosts: all
  gather_facts: false
  roles:
    - role: azure_backup.snapshot_doctor.diagnose
      vars:
        diagnose_azure: true
        diagnose_report_dir: "{{ report_dir }}"
"""
# The collection's playbook, as a user runs it (ansible-playbook azure_backup.snapshot_doctor.triage).
TRIAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                      'playbooks', 'triage.yml')
CONTROL_PLANE_CHECKS = ('connectivity.nsg', 'agent.azure_status', 'extension.provisioning', 'snapshot.power_state',
                        'snapshot.schedule', 'backup.last_job', 'backup.restore_points')
API_VERSIONS = {'Microsoft.Compute': '2024-07-01', 'Microsoft.Network': '2024-05-01',
                'Microsoft.Authorization': '2016-09-01'}


def scenario():
    """One VM per verdict (names say what is wrong), five VMs of one availability set at one time, and one VM the
    guest diagnosis reaches (this machine, through the local connection) that Azure says is deallocated."""
    built = Scenario('test_control_plane: one VM per verdict')
    built.vault('vault-1')
    deny = built.nsg('nsg-deny', [nsg_rule('deny-443', 'Deny', 100)])
    allow_first = built.nsg('nsg-allow-first', [nsg_rule('allow-storage', 'Allow', 100, 'Storage'),
                                                nsg_rule('deny-internet', 'Deny', 200, port='*')])
    built.vm('healthy', location='northeurope', restore_points=2, nsg=allow_first)
    built.vm('broken', agent='Not Ready', power='stopped', extension_state='Failed', nsg=deny, restore_points=18,
             extension_status=('Error', 'ProvisioningState/failed/1', 'The snapshot extension failed'),
             job=('Failed', 'GuestAgentSnapshotTaskStatusError'))
    built.vm('busy', power='starting', extension_state='Updating', job=('CompletedWithWarnings', None))
    built.vm('running-job', job=('InProgress', None), os='windows')
    built.vm('unprotected', vault=False, location='northeurope')
    built.lock('AzureBackupRG_westeurope_1')
    for index in range(5):
        built.vm('crowd%d' % index, availability_set='avset-web', location='northeurope')
    built.vm('guest', power='deallocated', location='northeurope')
    return built.data


def azure_only(name):
    return {'diagnose_azure_vm_id': vm_id(name), 'diagnose_azure_only': True}


def findings_of(report_dir):
    with open(os.path.join(report_dir, 'findings.json'), encoding='utf-8') as handle:
        hosts = json.load(handle)['hosts']
    return dict((host, dict((f['check'], f) for f in entry['findings'])) for host, entry in hosts.items())


@pytest.fixture(scope='module')
def diagnosed(tmp_path_factory):
    """The diagnose role over the scenario's VMs, once for this module's tests."""
    from fake_arm import FakeAzure
    report_dir = str(tmp_path_factory.mktemp('report'))
    names = ['healthy', 'broken', 'busy', 'running-job', 'unprotected'] + ['crowd%d' % i for i in range(5)]
    hosts = dict((name, azure_only(name)) for name in names)
    # The guest is this machine (not an Azure VM, so no platform probe leaves it); Azure says deallocated.
    hosts['guest'] = {'diagnose_azure_resource_group': 'rg-app'}
    hosts['nowhere'] = {'diagnose_azure_only': True}
    with FakeAzure(scenario()) as fake:
        rc, results = run_playbook(DIAGNOSE, fake, extra_vars={'report_dir': report_dir},
                                   inventory=local_inventory(hosts))
        requests = list(fake.requests)
    assert rc == 0, results.output[-3000:]
    return findings_of(report_dir), requests, results


def status(findings, host, check):
    return findings[host][check]['status']


def test_every_control_plane_check_shows_each_of_its_verdicts(diagnosed):
    findings, _requests, _results = diagnosed
    expected = {
        'connectivity.nsg': {'healthy': 'pass', 'broken': 'fail'},
        'agent.azure_status': {'healthy': 'pass', 'broken': 'fail'},
        'extension.provisioning': {'healthy': 'pass', 'busy': 'warn', 'broken': 'fail'},
        'snapshot.power_state': {'healthy': 'pass', 'busy': 'warn', 'broken': 'fail', 'guest': 'fail'},
        'snapshot.schedule': {'healthy': 'pass', 'crowd0': 'fail', 'crowd4': 'fail'},
        'backup.last_job': {'healthy': 'pass', 'running-job': 'info', 'unprotected': 'info', 'busy': 'warn',
                            'broken': 'fail'},
        'backup.restore_points': {'healthy': 'pass', 'broken': 'fail', 'busy': 'fail'},
    }
    seen = dict((check, dict((host, status(findings, host, check)) for host in hosts))
                for check, hosts in expected.items())
    assert seen == expected


def test_the_findings_say_why(diagnosed):
    findings, _requests, _results = diagnosed
    broken = findings['broken']
    job = broken['backup.last_job']
    assert 'GuestAgentSnapshotTaskStatusError' in job['summary']
    # The article's explanation of the code names checks; those that fail on this VM explain the failure.
    assert {'check': 'agent.azure_status', 'status': 'fail'} in job['evidence']['explained_by']
    assert 'Not Ready' in broken['agent.azure_status']['summary']
    assert 'deny-443' in broken['connectivity.nsg']['summary']
    assert 'disagree' in findings['guest']['snapshot.power_state']['summary']
    # A lock on the region's restore point resource group blocks the cleanup of every VM of that region.
    assert 'AzureBackupRG_westeurope_1' in findings['busy']['backup.restore_points']['summary']
    proposal = findings['crowd0']['snapshot.schedule']['evidence']['proposal']
    assert [move['vm'] for move in proposal] == ['crowd4'] and proposal[0]['proposed_time'] == '23:00'


def test_hosts_azure_cannot_place_are_skipped_with_the_reason(diagnosed):
    findings, _requests, _results = diagnosed
    for check in CONTROL_PLANE_CHECKS:
        if check != 'snapshot.schedule':
            assert findings['nowhere'][check]['status'] == 'skip', check
    assert 'diagnose_azure_resource_group' in findings['nowhere']['agent.azure_status']['summary']


def test_only_reads_with_a_token_and_the_documented_api_versions(diagnosed):
    _findings, requests, _results = diagnosed
    arm = [request for request in requests if request['host'] == 'management.azure.com']
    assert arm and all(request['method'] == 'GET' and request['bearer'] for request in arm)
    for request in arm:
        provider = request['path'].split('/providers/')[1].split('/')[0] if '/providers/' in request['path'] else None
        if provider in API_VERSIONS:
            assert request['api_version'] == API_VERSIONS[provider], request['path']
        elif provider == 'Microsoft.RecoveryServices' and '/vaults/' in request['path']:
            assert request['api_version'] == '2019-05-13', request['path']
    # List calls, not one GET per VM: the instance views are the only per-VM requests.
    per_vm = [r['path'] for r in arm if '/virtualMachines/' in r['path']]
    assert all(path.endswith('/instanceView') for path in per_vm)
    assert len(per_vm) == 11


def test_when_azure_cannot_be_read_every_check_is_an_error_and_the_guest_is_still_diagnosed(tmp_path):
    from fake_arm import FakeAzure
    data = scenario()
    data['errors'] = {'/subscriptions/%s/providers/Microsoft.Compute/virtualMachines' % data['subscription_id']:
                      {'status': 403, 'code': 'AuthorizationFailed', 'message': 'no read access'}}
    with FakeAzure(data) as fake:
        rc, results = run_playbook(DIAGNOSE, fake, extra_vars={'report_dir': str(tmp_path)},
                                   inventory=local_inventory({'guest': {'diagnose_azure_resource_group': 'rg-app'}}))
    assert rc == 0, results.output[-3000:]
    guest = findings_of(str(tmp_path))['guest']
    assert guest['agent.azure_status']['status'] == 'error'
    assert 'AuthorizationFailed' in guest['agent.azure_status']['summary']
    assert guest['platform.azure']['status'] == 'info'  # the guest's own checks ran


def test_triage_diagnoses_exactly_the_vms_whose_backups_failed(tmp_path):
    """Failed jobs of two VMs: one in the inventory (unreachable here, so Azure's view only), one the inventory does
    not know. The healthy VMs of the inventory are left alone."""
    from fake_arm import FakeAzure
    data = scenario()
    built = Scenario()
    built.data = data
    built.vaults = [vault for vault in data['resources'] if vault.endswith('/vaults/vault-1')]
    built.vm('lost', job=('Failed', 'UserErrorGuestAgentStatusUnavailable'), agent='Not Ready')
    # 'broken' is in the inventory behind a closed port: the guest diagnosis finds it unreachable.
    inventory = local_inventory({'healthy': {'diagnose_azure_vm_id': vm_id('healthy')}})
    inventory['all']['hosts']['broken'] = {'ansible_host': '127.0.0.1', 'ansible_port': 9, 'ansible_connection': 'ssh',
                                           'diagnose_azure_vm_id': vm_id('broken')}
    vault = built.vaults[0]
    with FakeAzure(data) as fake:
        rc, results = run_playbook(TRIAGE, fake, inventory=inventory,
                                   extra_vars={'triage_vaults': [vault], 'triage_days': 3,
                                               'diagnose_report_dir': str(tmp_path)})
        requests = list(fake.requests)
    assert rc == 0, results.output[-3000:]
    assert results.task('Show what was found')['result']['msg'] == \
        '2 failed backup job(s) of 2 VM(s) in the last 3 day(s)'
    with open(os.path.join(str(tmp_path), 'findings.json'), encoding='utf-8') as handle:
        hosts = json.load(handle)['hosts']
    assert sorted(hosts) == ['broken', 'lost']
    assert hosts['broken']['reachable'] is False
    assert 'not in the inventory' in hosts['lost']['error']
    lost = dict((f['check'], f) for f in hosts['lost']['findings'])
    assert lost['backup.last_job']['status'] == 'fail' and 'UserErrorGuestAgentStatusUnavailable' in lost['backup.last_job']['summary']
    assert {'check': 'agent.azure_status', 'status': 'fail'} in lost['backup.last_job']['evidence']['explained_by']
    broken = dict((f['check'], f['status']) for f in hosts['broken']['findings'])
    assert broken['backup.last_job'] == 'fail' and broken['snapshot.power_state'] == 'fail'
    # The triage's own reads: the vault's failed jobs (filtered by status and time) and its protected items.
    jobs = [r for r in requests if r['path'].endswith('/backupJobs')]
    assert "status eq 'Failed'" in jobs[0]['query']['$filter']
    assert all(r['method'] == 'GET' for r in requests if r['host'] == 'management.azure.com')
