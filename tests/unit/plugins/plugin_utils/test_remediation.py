# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation plan and the before/after comparison, and the two controller actions around them."""
from __future__ import absolute_import, division, print_function

import json
import os
import stat
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.azure_backup.snapshot_doctor.plugins.action import remediation_plan as plan_action
from ansible_collections.azure_backup.snapshot_doctor.plugins.action import remediation_report as report_action
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import FIXES
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import remediation

__metaclass__ = type


def diagnosis(statuses, azure_vm=True):
    return {'platform': {'os': 'linux', 'azure_vm': azure_vm},
            'findings': [{'check': check, 'status': status} for check, status in statuses.items()]}


BROKEN = diagnosis({'agent.service': 'fail', 'agent.process': 'fail', 'snapshot.dhcp': 'fail',
                    'connectivity.proxy': 'warn', 'agent.log_errors': 'info', 'platform.azure': 'pass'})


def test_a_fix_applies_when_its_switch_is_on_and_a_check_fails():
    plan = remediation.plan(BROKEN, {})
    assert plan['applied'] == ['agent_service']  # dhcp is risky (off), the proxy fix needs a proxy state
    assert plan['needs'] == ['agent.service', 'agent.process', 'snapshot.dhcp', 'connectivity.proxy']
    assert plan['reason'] is None and sorted(plan['fixes']) == sorted(fix.name for fix in FIXES)
    plan = remediation.plan(BROKEN, {'snapshot_dhcp': True, 'agent_service': False}, proxy_state='present')
    assert plan['applied'] == ['connectivity_proxy', 'snapshot_dhcp']


def test_a_host_that_is_not_azure_or_not_diagnosed_is_left_alone_with_the_reason():
    plan = remediation.plan(diagnosis({'agent.service': 'fail'}, azure_vm=False), {'agent_service': True})
    assert plan['applied'] == [] and 'not an Azure VM' in plan['reason']
    plan = remediation.plan({}, {'agent_service': True})
    assert plan['applied'] == [] and 'no diagnosis' in plan['reason']


def test_before_and_after_are_paired_by_check_and_a_missing_after_shows():
    before = diagnosis({'agent.service': 'fail', 'agent.process': 'fail', 'snapshot.dhcp': 'pass',
                        'extension.status': 'fail'})
    after = diagnosis({'extension.status': 'fail', 'agent.service': 'pass', 'snapshot.dhcp': 'fail'})
    rows = remediation.compare(before, after)
    assert rows == [
        {'check': 'agent.service', 'before': 'fail', 'after': 'pass', 'verdict': remediation.FIXED},
        {'check': 'agent.process', 'before': 'fail', 'after': None, 'verdict': remediation.MISSING},
        {'check': 'snapshot.dhcp', 'before': 'pass', 'after': 'fail', 'verdict': remediation.WORSE},
        {'check': 'extension.status', 'before': 'fail', 'after': 'fail', 'verdict': remediation.STILL_OPEN}]
    assert all(row['after'] is None for row in remediation.compare(before, {}))


def _plugin(module, args, check_mode=False):
    task = MagicMock(Task)
    task.args = args
    task.action = 'azure_backup.snapshot_doctor.' + module.__name__.rsplit('.', 1)[-1]
    task.check_mode = check_mode
    task.async_val = 0
    play_context = MagicMock()
    play_context.check_mode = check_mode
    return module.ActionModule(task, MagicMock(), play_context, loader=None, templar=None, shared_loader_obj=None)


def test_the_plan_action_reads_the_remediate_switches_and_refuses_tag_typos():
    result = _plugin(plan_action, {'diagnosis': BROKEN, 'variables': {
        'remediate_snapshot_dhcp': 'yes', 'remediate_agent_service': False, 'remediate_report_dir': 'x'}}).run(
            task_vars={})
    assert result['applied'] == ['snapshot_dhcp']
    with pytest.raises(AnsibleActionFail, match='remediate_snapshot_dhcp must be a boolean'):
        _plugin(plan_action, {'variables': {'remediate_snapshot_dhcp': 'maybe'}}).run(task_vars={})
    with pytest.raises(AnsibleActionFail, match='Unknown tag.*agnet'):
        _plugin(plan_action, {'run_tags': ['agent', 'agnet']}).run(task_vars={})
    assert not _plugin(plan_action, {'run_tags': ['agent_service', 'snapshot', 'all']}).run(task_vars={}).get('failed')


def test_the_report_action_writes_private_files_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hosts = {'vm1': {'before': BROKEN, 'after': {}, 'plan': remediation.plan(BROKEN, {})},
             'vm2': {'before': {}, 'after': {}, 'plan': remediation.plan({}, {})}}
    result = _plugin(report_action, {'hosts': hosts, 'dest': 'out'}, check_mode=True).run(task_vars={})
    directory = tmp_path / 'out'
    assert result['dest'] == str(directory) and stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    for name in ('remediation.json', 'remediation.md'):
        assert stat.S_IMODE(os.stat(directory / name).st_mode) == 0o600
    document = json.loads((directory / 'remediation.json').read_text())
    assert document['check_mode'] is True and document['hosts']['vm1']['fixes'] == ['agent_service']
    assert document['hosts']['vm1']['checks'][0] == {'check': 'agent.service', 'before': 'fail', 'after': None,
                                                     'verdict': remediation.MISSING}
    markdown = (directory / 'remediation.md').read_text()
    assert 'check mode: nothing was changed' in markdown and 'Fixes planned: agent_service' in markdown
    assert '| agent.service | fail | - (not diagnosed after) |' in markdown
    assert 'Nothing changed: no diagnosis of this host' in markdown


# -- the Azure side ------------------------------------------------------------------------------------------------
def _section():
    vm = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1'
    vault = '/subscriptions/s/resourceGroups/rb/providers/Microsoft.RecoveryServices/vaults/v1'
    return {'result': 'ok', 'vm_id': vm,
            'vm': {'result': 'ok', 'id': vm, 'location': 'westeurope'},
            'extensions': {'result': 'ok', 'items': [],
                           'snapshot': {'name': 'VMSnapshotLinux', 'provisioning_state': 'failed', 'level': 'Error'}},
            'network': {'result': 'ok', 'nsgs': []},
            'backup': {'result': 'ok', 'protected': True, 'vault_id': vault, 'policy_id': vault + '/backupPolicies/P'}}


EXTENSION_BROKEN = diagnosis({'extension.provisioning': 'fail', 'backup.last_job': 'pass', 'agent.service': 'pass'})


def test_the_azure_fixes_need_the_runs_azure_side_and_say_why_they_wait():
    plan = remediation.plan(EXTENSION_BROKEN, {})
    assert plan['applied'] == [] and plan['held'] == {
        'extension_remove': "the run's Azure side is off (remediate_azure)"}
    plan = remediation.plan(EXTENSION_BROKEN, {}, azure={'result': 'error', 'message': 'no credentials'})
    assert plan['held'] == {'extension_remove': "Azure's view of the VM is missing: no credentials"}


def test_with_azure_the_extension_goes_and_a_backup_proves_it():
    plan = remediation.plan(EXTENSION_BROKEN, {}, azure=_section())
    assert plan['applied'] == ['extension_remove', 'backup_on_demand'] and plan['held'] == {}
    assert plan['azure']['extension_remove']['path'].endswith('/virtualMachines/vm1/extensions/VMSnapshotLinux')
    assert plan['azure']['backup_on_demand']['vault_name'] == 'v1'
    # Switched off, the extension stays; nothing else changes, so no backup either.
    assert remediation.plan(EXTENSION_BROKEN, {'extension_remove': False}, azure=_section())['applied'] == []


def test_the_backup_proves_guest_fixes_and_a_failed_last_job_but_not_a_report():
    guest = diagnosis({'agent.service': 'fail', 'backup.last_job': 'pass'})
    assert remediation.plan(guest, {}, azure=_section())['applied'] == ['agent_service', 'backup_on_demand']
    failed_job = diagnosis({'backup.last_job': 'fail'})
    assert remediation.plan(failed_job, {}, azure=_section())['applied'] == ['backup_on_demand']
    load_only = diagnosis({'snapshot.load': 'fail', 'backup.last_job': 'pass'})
    assert remediation.plan(load_only, {}, azure=_section())['applied'] == ['snapshot_load_report']
    unprotected = _section()
    unprotected['backup'] = {'result': 'ok', 'protected': False}
    plan = remediation.plan(guest, {}, azure=unprotected)
    assert plan['applied'] == ['agent_service']
    assert plan['held'] == {'backup_on_demand': 'the VM is not protected by a Recovery Services vault the run read'}


def test_the_risky_azure_fixes_stay_off_unless_asked_for():
    nsg = diagnosis({'connectivity.nsg': 'fail'})
    assert remediation.plan(nsg, {}, azure=_section())['applied'] == []
    plan = remediation.plan(nsg, {'connectivity_nsg': True}, azure=_section())
    assert plan['held'] == {'connectivity_nsg': 'no NSG of the VM denies outbound TCP 443 to Storage or AzureBackup'}
    # snapshot.schedule is a fleet check: the host's own diagnosis has it as skip, the fleet context decides.
    schedule = diagnosis({'snapshot.schedule': 'skip'})
    assert remediation.plan(schedule, {'snapshot_schedule': True}, azure=_section(), fleet={'vms': {}})['applied'] == []


BACKUP_OK = {'started': True, 'error': None,
             'job': {'id': 'J1', 'status': 'Completed', 'done': True, 'succeeded': True, 'end_time': 'T'}}


@pytest.mark.parametrize('host_plan, backup, check_mode, verdict, why', [
    ({'needs': ['agent.service'], 'applied': ['agent_service']}, BACKUP_OK, False, 'fixed', 'backup job J1 Completed at T'),
    ({'needs': ['agent.service']},
     {'started': True, 'job': {'id': 'J2', 'status': 'Failed', 'done': True,
                               'error_code': 'ExtensionSnapshotFailedNoNetwork', 'error_message': 'No network.'}}, False,
     'not fixed', 'backup job J2 Failed: ExtensionSnapshotFailedNoNetwork No network.'),
    ({'needs': ['agent.service']}, {'started': True, 'job': {'id': 'J3', 'status': 'InProgress', 'done': False}},
     False, 'not fixed', 'backup job J3 still InProgress when the run stopped following it'),
    ({'needs': ['agent.service']}, {'started': True, 'job': None}, False, 'not fixed',
     'no backup job of the VM appeared in the vault after the on-demand backup started'),
    ({'needs': ['agent.service']}, {'started': True, 'job': None, 'follow_error': 'AuthorizationFailed'}, False,
     'not fixed', "the vault's backup jobs could not be read: AuthorizationFailed"),
    ({'needs': ['agent.service']}, {'started': False, 'error': 'UserErrorBackupOperationInProgress'}, False,
     'not fixed', 'the on-demand backup could not start: UserErrorBackupOperationInProgress'),
    ({'needs': []}, None, False, 'nothing to fix', 'no check fails or warns'),
    ({'needs': ['agent.service']}, None, True, 'not proven', 'check mode: no backup was started'),
    ({'needs': ['agent.service'], 'held': {'backup_on_demand': 'off side'}}, None, False, 'not proven',
     'no backup was started: off side'),
    ({'reason': 'not an Azure VM'}, None, False, None, None),
])
def test_a_vm_is_fixed_only_when_a_backup_job_succeeded_after_the_fixes(host_plan, backup, check_mode, verdict, why):
    assert remediation.vm_verdict(host_plan, backup, check_mode) == (verdict, why)


def test_the_report_lists_each_write_with_its_request_id_and_the_hosts_it_served():
    plan = remediation.plan(EXTENSION_BROKEN, {}, azure=_section())
    target = plan['azure']['extension_remove']
    writes = [{'fix': 'extension_remove', 'method': 'DELETE', 'path': target['path'], 'api_version': '2024-07-01',
               'request_id': 'req-1'},
              {'fix': 'backup_on_demand', 'method': 'POST', 'path': plan['azure']['backup_on_demand']['path'],
               'api_version': '2016-12-01', 'request_id': None}]
    document = remediation.build({'vm1': {'before': EXTENSION_BROKEN, 'after': {}, 'plan': plan, 'backup': BACKUP_OK},
                                  'vm2': {'before': {}, 'after': {}, 'plan': remediation.plan({}, {})}}, False, writes)
    assert [write['hosts'] for write in document['azure_writes']] == [['vm1'], ['vm1']]
    host = document['hosts']['vm1']
    assert (host['vm'], host['backup_job']['id']) == ('fixed', 'J1')
    assert host['notes'] == ['The backup extension VMSnapshotLinux was removed in Azure: Azure Backup installs it '
                             'again at the next backup (this run\'s on-demand backup).']
    markdown = remediation.render_markdown(document)
    assert 'VM: **fixed** (backup job J1 Completed at T)' in markdown
    assert '| extension_remove | vm1 | DELETE | %s | 2024-07-01 | req-1 |' % target['path'] in markdown
    assert '| 2016-12-01 | - |' in markdown
    assert document['hosts']['vm2']['vm'] is None


def test_a_windows_extension_removed_without_its_guest_reset_says_how_to_pair_them():
    section = _section()
    section['extensions']['snapshot']['name'] = 'VMSnapshot'
    plan = remediation.plan(EXTENSION_BROKEN, {}, azure=section)
    notes = remediation.build({'vm1': {'before': EXTENSION_BROKEN, 'plan': plan}}, False)['hosts']['vm1']['notes']
    assert len(notes) == 2 and 'remediate_extension_reset (risky, off by default)' in notes[1]
    plan['applied'].append('extension_reset')
    assert len(remediation.build({'vm1': {'before': EXTENSION_BROKEN, 'plan': plan}}, False)['hosts']['vm1']['notes']) == 1
