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
