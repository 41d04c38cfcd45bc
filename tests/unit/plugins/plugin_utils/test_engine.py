# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rule engine's seams: a new OS is a backend row plus a rule set, with no change to Linux code."""
from __future__ import absolute_import, division, print_function

import copy
import json
import os
from unittest.mock import MagicMock

import pytest

from ansible.playbook.task import Task

from ansible_collections.azure_backup.snapshot_doctor.plugins.action import diagnose as diagnose_action
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import checks_for
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import backends, engine

__metaclass__ = type

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, 'action', 'fixtures')


def _plan9_rules():
    rules = engine.RuleSet()

    @rules.rule('plan9', 'platform.azure')
    def _azure(ctx):
        platform = ctx.section('platform')
        return engine.finding('platform.azure', 'pass' if platform.get('azure_dmi') else 'info', 'plan9 says so')

    @rules.rule('plan9', 'agent.service')
    def _service(ctx):
        if ctx.observation('agent', 'service').get('running'):
            return engine.finding('agent.service', 'pass', 'the agent runs')
        return engine.finding('agent.service', 'fail', 'the agent is stopped', remedy='start it')

    @rules.rule('plan9', 'agent.version')
    def _version(ctx):
        raise engine.Skip('plan9 agents have no version')
    return rules


PLAN9_FACTS = {
    'os': 'plan9', 'gathered': ['platform', 'agent'],
    'platform': {'result': 'ok', 'azure_dmi': True},
    'agent': {'result': 'ok', 'service': {'result': 'ok', 'running': False}},
}


def test_a_stand_in_os_rule_set_gives_findings_for_its_checks_only():
    findings = engine.evaluate(PLAN9_FACTS, rules=_plan9_rules())
    assert [(f['check'], f['status']) for f in findings] == [
        ('platform.azure', 'pass'), ('agent.version', 'skip'), ('agent.service', 'fail')]
    assert findings[2]['fix'] == 'agent' and findings[2]['remedy'] == 'start it'


def test_the_collection_rules_stay_untouched_by_a_stand_in():
    _plan9_rules()
    assert 'plan9' not in engine.collection_rules().platforms()
    assert 'linux' in engine.collection_rules().platforms()


def test_a_check_the_catalog_gives_an_os_without_a_rule_there_is_not_applicable():
    rules = engine.RuleSet()
    rules.rule('windows', 'platform.azure')(lambda ctx: engine.finding('platform.azure', 'pass', 'yes'))
    facts = {'os': 'windows', 'platform': {'result': 'ok'}}
    findings = dict((f['check'], f) for f in engine.evaluate(facts, rules=rules))
    assert set(findings) == set(check.id for check in checks_for(platform='windows'))
    assert findings['platform.azure']['status'] == 'pass'
    assert findings['agent.service']['status'] == 'skip'
    assert 'not applicable on windows' in findings['agent.service']['summary']
    assert findings['snapshot.power_state']['summary'] == engine.CONTROL_PLANE_MESSAGE


def test_a_rule_registered_twice_or_for_an_unknown_check_is_refused():
    rules = _plan9_rules()
    with pytest.raises(ValueError, match='already registered'):
        rules.rule('plan9', 'agent.service')(lambda ctx: None)
    with pytest.raises(KeyError, match='unknown check id'):
        rules.rule('plan9', 'agent.nonsense')


def test_a_stand_in_backend_runs_one_module_and_its_rules(monkeypatch):
    """The diagnose action with a plan9 backend row and rule set: no Linux code involved."""
    backend = backends.Backend(os='plan9', facts_module='example.plan9.facts',
                               sections_by_cause={'platform': ('platform',), 'agent': ('agent',)},
                               module_options=('root',), build_args=backends.module_args_for,
                               to_facts=lambda result, args: (result.get('facts'), None))
    monkeypatch.setitem(backends.BACKENDS, 'plan9', backend)
    monkeypatch.setitem(diagnose_action.BACKENDS, 'plan9', backend)
    rules = _plan9_rules()
    monkeypatch.setattr(diagnose_action, 'evaluate', lambda facts, options: engine.evaluate(facts, options, rules))
    task = MagicMock(Task)
    task.args = {'causes': ['platform', 'agent']}
    task.action = 'azure_backup.snapshot_doctor.diagnose'
    task.check_mode = False
    task.async_val = 0
    connection = MagicMock()
    connection._shell.tmpdir = None
    play_context = MagicMock()
    plugin = diagnose_action.ActionModule(task, connection, play_context, loader=None, templar=None,
                                          shared_loader_obj=None)
    monkeypatch.setattr(plugin, '_os_name', lambda: 'plan9')
    plugin._execute_module = MagicMock(return_value={'facts': copy.deepcopy(PLAN9_FACTS)})
    plugin._remove_tmp_path = MagicMock()
    result = plugin.run(task_vars={})
    plugin._execute_module.assert_called_once()
    call = plugin._execute_module.call_args.kwargs
    assert call['module_name'] == 'example.plan9.facts'
    assert call['module_args'] == {'gather': ['platform', 'agent'], 'root': '/'}
    assert [(f['check'], f['status']) for f in result['findings']] == [
        ('platform.azure', 'pass'), ('agent.version', 'skip'), ('agent.service', 'fail')]
    assert result['summary']['worst'] == 'fail' and result['platform']['os'] == 'plan9'


def test_a_failed_module_keeps_its_stderr_redacted():
    with open(os.path.join(FIXTURES, 'guest_info_healthy.json')) as handle:
        json.load(handle)  # the fixture directory is where the action tests keep recordings
    message = diagnose_action.module_failure_message('azure_backup.snapshot_doctor.guest_info', {
        'failed': True, 'msg': 'MODULE FAILURE\nSee stdout/stderr for the exact error',
        'module_stderr': '/bin/sh: 1: pyenv: python3.13: command not found\n'
                         'proxy http://user:SECRETPASS@10.0.0.5:3128 refused\n'})
    assert message.startswith('MODULE FAILURE')
    assert 'pyenv: python3.13: command not found' in message
    assert 'SECRETPASS' not in message
    assert diagnose_action.module_failure_message('m', {'failed': True}) == 'm returned no facts'


# -- the fleet stage -------------------------------------------------------------------------------------------
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import (  # noqa: E402
    make_finding, skip_finding)
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import fleet, report  # noqa: E402


def _fleet_report():
    entry = report.host_entry([skip_finding('snapshot.schedule', engine.CONTROL_PLANE_MESSAGE)],
                              {'os': 'linux', 'azure_vm': True})
    hosts = {'vm%d' % number: dict(entry, findings=list(entry['findings'])) for number in range(6)}
    hosts['down'] = report.host_entry(reachable=False, error='unreachable')
    return report.build_report(hosts, '0.0.0')


def test_a_fleet_rule_sees_every_host_and_replaces_their_finding():
    rules = fleet.FleetRules()

    @rules.rule('snapshot.schedule')
    def _too_many(hosts, context):
        crowded = sorted(name for name, entry in hosts.items() if entry['reachable'])
        return dict((name, make_finding('snapshot.schedule', 'fail', '%d VMs start together' % len(crowded)))
                    for name in crowded + ['down', 'unknown'])
    document = _fleet_report()
    assert fleet.run_fleet_stage(document, rules=rules) == {'rules': ['snapshot.schedule'], 'errors': []}
    assert document['hosts']['vm3']['findings'] == [make_finding('snapshot.schedule', 'fail', '6 VMs start together')]
    assert document['hosts']['down']['findings'] == [] and 'unknown' not in document['hosts']
    assert report.fleet_summary(document)['hosts_by_worst']['fail'] == 6


def test_a_failing_fleet_rule_leaves_the_hosts_as_they_were():
    rules = fleet.FleetRules()
    rules.rule('snapshot.schedule')(lambda hosts, context: 1 / 0)
    document = _fleet_report()
    outcome = fleet.run_fleet_stage(document, rules=rules)
    assert outcome['rules'] == [] and 'ZeroDivisionError' in outcome['errors'][0]
    assert document['hosts']['vm0']['findings'][0]['status'] == 'skip'
