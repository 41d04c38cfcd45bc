# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diagnose_report action: registered results of every outcome -> the report directory."""
from __future__ import absolute_import, division, print_function

import json
import os
import stat
import xml.etree.ElementTree as ET

import pytest
from unittest.mock import MagicMock

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.azure_backup.snapshot_doctor.plugins.action.diagnose_report import ActionModule
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import (
    make_finding, summarize)
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.report import collection_version

__metaclass__ = type

PLATFORM = {'os': 'linux', 'distribution': 'debian', 'version': '12', 'azure_vm': True}


def _diagnosed(findings):
    return {'changed': False, 'findings': findings, 'summary': summarize(findings), 'platform': PLATFORM}


RESULTS = {
    'healthy': _diagnosed([make_finding('platform.azure', 'pass', 'ok'),
                           make_finding('agent.service', 'pass', 'running')]),
    'broken': _diagnosed([make_finding('platform.azure', 'pass', 'ok'),
                          make_finding('agent.service', 'fail', 'walinuxagent.service is inactive'),
                          make_finding('agent.autoupdate', 'warn', 'AutoUpdate.Enabled is n')]),
    'down': {'unreachable': True, 'changed': False,
             'msg': 'Failed to connect to the host via ssh: connect to host 10.213.0.99 port 22: No route'},
    'windows': {'failed': True, 'unsupported': True, 'msg': 'Windows hosts are not yet supported',
                'platform': {'os': 'windows', 'distribution': None, 'version': None, 'azure_vm': None}},
    'crashed': {'failed': True, 'msg': 'MODULE FAILURE: /usr/bin/python3: not found'},
    'skipped': {'skipped': True, 'changed': False, 'skip_reason': 'Conditional result was False'},
    'no_result': {},
}


def run_report(args, check_mode=False, task_vars=None):
    task = MagicMock(Task)
    task.args = args
    task.action = 'azure_backup.snapshot_doctor.diagnose_report'
    task.check_mode = check_mode
    task.async_val = 0
    connection = MagicMock()
    connection._shell.tmpdir = None
    plugin = ActionModule(task, connection, MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    return plugin.run(task_vars=task_vars or {})


def test_every_outcome_lands_in_the_report(tmp_path):
    dest = tmp_path / 'report'
    result = run_report({'results': RESULTS, 'dest': str(dest)}, check_mode=True)
    assert result['changed'] is True and result['dest'] == str(dest)
    assert sorted(os.listdir(str(dest))) == ['findings.json', 'junit.xml', 'report.html', 'report.md']
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o700
    for path in result['files']:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    document = json.loads((dest / 'findings.json').read_text())
    assert document['schema'] == 1 and document['collection_version'] == collection_version()
    hosts = document['hosts']
    assert sorted(hosts) == sorted(RESULTS)
    assert hosts['down'] == {'reachable': False, 'platform': None, 'findings': [],
                             'error': RESULTS['down']['msg']}
    assert hosts['windows']['reachable'] is True and hosts['windows']['findings'] == []
    assert 'not yet supported' in hosts['windows']['error']
    assert hosts['crashed']['error'].startswith('MODULE FAILURE')
    assert hosts['skipped']['error'] == 'diagnosis skipped: Conditional result was False'
    assert hosts['no_result']['error'] == 'no diagnosis result for this host'
    assert [f['status'] for f in hosts['broken']['findings']] == ['pass', 'fail', 'warn']
    assert 'error' not in hosts['healthy']

    assert result['summary']['hosts'] == 7 and result['summary']['unreachable'] == 1
    assert result['summary']['undiagnosed'] == 4
    assert result['hosts']['broken'] == {'reachable': True, 'worst': 'fail',
                                         'counts': {'fail': 1, 'warn': 1, 'pass': 1},
                                         'fail': ['agent.service'], 'error': [],
                                         'warn': ['agent.autoupdate']}
    assert result['hosts']['down']['reachable'] is False and result['hosts']['down']['worst'] is None

    junit = ET.parse(str(dest / 'junit.xml')).getroot()
    assert junit.get('tests') == '10' and junit.get('failures') == '1' and junit.get('errors') == '5'


def test_formats_and_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    result = run_report({'results': {'healthy': RESULTS['healthy']}, 'formats': ['junit']})
    assert result['dest'] == str(tmp_path / 'snapshot-doctor-report')
    assert sorted(os.listdir(result['dest'])) == ['findings.json', 'junit.xml']
    assert result['lines'] == ['healthy: pass']
    # Custom stats, the way ansible.builtin.set_stats hands them to the strategy.
    stats = result['ansible_stats']
    assert stats['per_host'] is False and stats['aggregate'] is False
    assert stats['data']['snapshot_doctor'] == {'report_dir': result['dest'], 'summary': result['summary'],
                                                'hosts': result['hosts']}


def test_stats_can_be_left_out(tmp_path):
    result = run_report({'results': {}, 'dest': str(tmp_path / 'r'), 'set_stats': False})
    assert 'ansible_stats' not in result


@pytest.mark.parametrize('args, message', [
    ({}, 'results'),
    ({'results': {}, 'formats': ['pdf']}, 'formats'),
    ({'results': 'not a dict'}, 'results'),
])
def test_invalid_options(args, message):
    with pytest.raises(AnsibleActionFail, match=message):
        run_report(args)


def test_unwritable_destination_is_a_clear_failure(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    with pytest.raises(AnsibleActionFail, match='Cannot write the report into'):
        run_report({'results': {}, 'dest': str(blocker / 'sub')})


def test_the_action_can_read_each_hosts_result_from_hostvars(tmp_path):
    """The role's way at fleet scale: the action reads the registered results itself."""
    hostvars = dict((name, {'__diagnose_result': value}) for name, value in RESULTS.items())
    hostvars['never_ran'] = {}
    by_hostvars = run_report({'hosts': sorted(hostvars), 'result_var': '__diagnose_result',
                              'dest': str(tmp_path / 'a')}, task_vars={'hostvars': hostvars})
    by_mapping = run_report({'results': dict(RESULTS, never_ran={}), 'dest': str(tmp_path / 'b')})
    assert by_hostvars['hosts'] == by_mapping['hosts']
    assert by_hostvars['hosts']['never_ran']['error'] == 'no diagnosis result for this host'
    for args in ({}, {'results': RESULTS, 'hosts': ['healthy'], 'result_var': 'x'}, {'hosts': ['healthy']}):
        with pytest.raises(AnsibleActionFail, match='Give either results, or hosts and result_var'):
            run_report(dict(args, dest=str(tmp_path / 'c')), task_vars={'hostvars': hostvars})


def test_registered_results_are_read_where_ansible_core_keeps_them(tmp_path):
    """Real ansible-core objects: what `register` stores (set_nonpersistent_facts) is found without hostvars'
    per-host merge and templating; a result that is only an inventory variable still comes through hostvars."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager

    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[])
    for name in RESULTS:
        inventory.add_host(name, group='all')
    variables = VariableManager(loader=loader, inventory=inventory)
    for name, value in RESULTS.items():
        if name == 'broken':
            inventory.get_host(name).set_variable('__diagnose_result', value)
        else:
            variables.set_nonpersistent_facts(name, {'__diagnose_result': value})
    merged = []

    class CountingHostVars(HostVars):
        def __getitem__(self, key):
            merged.append(key)
            return super(CountingHostVars, self).__getitem__(key)

    hostvars = CountingHostVars(inventory=inventory, variable_manager=variables, loader=loader)
    read = run_report({'hosts': sorted(RESULTS), 'result_var': '__diagnose_result', 'dest': str(tmp_path / 'a')},
                      task_vars={'hostvars': hostvars})
    given = run_report({'results': RESULTS, 'dest': str(tmp_path / 'b')})
    assert read['hosts'] == given['hosts']
    assert read['hosts']['broken']['fail'] == ['agent.service']
    assert merged == ['broken']
