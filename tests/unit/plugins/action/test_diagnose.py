# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diagnose action with _execute_module replaced by recorded guest_info outputs.

The recorded outputs under fixtures/ come from lab guests (tests/lab): a healthy guest and a guest
with the agent service stopped and Extensions.Enabled=n.
"""
from __future__ import absolute_import, division, print_function

import copy
import json
import os

import pytest
from unittest.mock import MagicMock

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.azure_backup.snapshot_doctor.plugins.action import diagnose
from ansible_collections.azure_backup.snapshot_doctor.plugins.action.diagnose import ActionModule
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import (
    CAUSES, checks_for)

__metaclass__ = type

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')
LINUX_CHECKS = [check.id for check in checks_for(platform='linux')]


def recorded(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def run_action(args, module_result=None, windows=False, check_mode=False):
    """Run the action like the task executor would; returns (result, the _execute_module mock)."""
    task = MagicMock(Task)
    task.args = args
    task.action = 'azure_backup.snapshot_doctor.diagnose'
    task.check_mode = check_mode
    task.async_val = 0
    connection = MagicMock()
    connection._shell.tmpdir = None
    connection.module_implementation_preferences = ('.ps1', '.exe', '') if windows else ('',)
    play_context = MagicMock()
    play_context.check_mode = check_mode
    plugin = ActionModule(task, connection, play_context, loader=None, templar=None,
                          shared_loader_obj=None)
    plugin._execute_module = MagicMock(return_value=copy.deepcopy(module_result))
    plugin._remove_tmp_path = MagicMock()
    return plugin.run(task_vars={}), plugin._execute_module


def by_check(result):
    return dict((finding['check'], finding) for finding in result['findings'])


def test_healthy_guest_has_one_finding_per_linux_check_and_no_fail():
    result, execute = run_action({'assume_azure': True}, recorded('guest_info_healthy.json'))
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is False
    assert [f['check'] for f in result['findings']] == LINUX_CHECKS
    assert result['summary']['counts']['fail'] == 0
    assert result['summary']['worst'] != 'fail'
    assert by_check(result)['agent.service']['status'] == 'pass'
    assert result['platform'] == {'os': 'linux', 'distribution': 'debian', 'version': '12',
                                  'azure_vm': True}
    fact = result['ansible_facts']['snapshot_doctor']
    assert fact['findings'] == result['findings'] and fact['summary'] == result['summary']
    assert fact['causes'] == list(CAUSES)
    assert 'facts' not in result
    # One module execution, every section.
    execute.assert_called_once()
    kwargs = execute.call_args.kwargs
    assert kwargs['module_name'] == 'azure_backup.snapshot_doctor.guest_info'
    assert kwargs['module_args']['gather'] == ['platform', 'connectivity', 'agent', 'extension', 'dhcp',
                                               'load']


def test_broken_agent_fails_the_matching_checks():
    result, _execute = run_action({'assume_azure': True}, recorded('guest_info_agent_broken.json'))
    findings = by_check(result)
    assert findings['agent.service']['status'] == 'fail'
    assert findings['agent.service']['fix'] == 'agent'
    assert findings['agent.extensions_enabled']['status'] == 'fail'
    assert result['summary']['worst'] == 'fail'
    assert result['summary']['causes']['agent'] == 'fail'
    assert not result.get('failed')  # failing checks are a result, not a task failure


def test_causes_limit_sections_and_findings():
    result, execute = run_action({'causes': ['agent'], 'assume_azure': True},
                                 recorded('guest_info_healthy.json'))
    assert execute.call_args.kwargs['module_args']['gather'] == ['platform', 'agent']
    assert set(f['cause'] for f in result['findings']) == {'agent'}
    assert result['causes'] == ['agent']
    result, execute = run_action({'causes': ['snapshot', 'platform']}, recorded('guest_info_healthy.json'))
    assert execute.call_args.kwargs['module_args']['gather'] == ['platform', 'dhcp', 'load']
    assert result['causes'] == ['platform', 'snapshot']


def test_options_reach_the_module_only_when_set():
    _result, execute = run_action({
        'wireserver': '10.213.0.2', 'imds': '10.213.0.3:8080', 'https_endpoints': ['a.test:443'],
        'probe_timeout': 1.5, 'proxy': '', 'min_agent_version': '2.2.10'},
        recorded('guest_info_healthy.json'))
    module_args = execute.call_args.kwargs['module_args']
    assert module_args['wireserver'] == '10.213.0.2'
    assert (module_args['imds'], module_args['imds_port']) == ('10.213.0.3', 8080)
    assert module_args['https_endpoints'] == ['a.test:443']
    assert module_args['probe_timeout'] == 1.5
    assert module_args['proxy'] == ''
    assert module_args['root'] == '/' and module_args['assume_azure'] is False
    # evaluator options stay on the controller
    for name in ('min_agent_version', 'causes', 'return_facts', 'load_samples', 'ca_file'):
        assert name not in module_args
    _result, execute = run_action({'imds': '10.213.0.3'}, recorded('guest_info_healthy.json'))
    assert 'imds_port' not in execute.call_args.kwargs['module_args']


def test_evaluator_options_change_the_verdict():
    result, _execute = run_action({'assume_azure': True, 'min_agent_version': '99.0'},
                                  recorded('guest_info_healthy.json'))
    assert by_check(result)['agent.version']['status'] == 'fail'


@pytest.mark.parametrize('args, message', [
    ({'causes': ['bogus']}, 'causes'),
    ({'causes': []}, 'at least one'),
    ({'probe_timeout': 0}, 'probe_timeout must be greater than 0'),
    ({'load_samples': 0}, 'load_samples must be at least 1'),
    ({'load_interval': -1}, 'load_interval must not be negative'),
    ({'load_threshold_percent': 150}, 'load_threshold_percent'),
    ({'min_agent_version': 'latest'}, 'min_agent_version is not a dotted version'),
    ({'wireserver': '10.0.0.2:80'}, 'wireserver is an address without a port'),
    ({'wireserver_ports': [80, 70000]}, 'not a TCP port'),
    ({'imds': '10.0.0.3:http'}, 'imds: expected'),
    ({'no_such_option': 1}, 'no_such_option'),
    ({'assume_azure': 'maybe'}, 'assume_azure'),
])
def test_invalid_options_fail_clearly_before_touching_the_host(args, message):
    with pytest.raises(AnsibleActionFail, match=message):
        run_action(args, recorded('guest_info_healthy.json'))


WINDOWS_FIXTURES = os.path.join(FIXTURES, os.pardir, os.pardir, os.pardir, 'fixtures', 'windows')
WINDOWS_CHECKS = [check.id for check in checks_for(platform='windows')]


def recorded_windows(name='win_powershell-healthy.json'):
    with open(os.path.join(WINDOWS_FIXTURES, name)) as handle:
        return json.load(handle)


def test_windows_host_is_diagnosed_with_one_win_powershell_run():
    result, execute = run_action({}, recorded_windows(), windows=True)
    assert not result.get('failed'), result.get('msg')
    assert [f['check'] for f in result['findings']] == WINDOWS_CHECKS
    assert result['summary']['worst'] not in ('fail', 'error')
    assert result['platform'] == {'os': 'windows', 'distribution': 'windows', 'version': '10.0.20348',
                                  'azure_vm': True}
    execute.assert_called_once()
    kwargs = execute.call_args.kwargs
    assert kwargs['module_name'] == 'ansible.windows.win_powershell'
    module_args = kwargs['module_args']
    assert sorted(module_args) == ['depth', 'error_action', 'parameters', 'script']
    with open(os.path.join(os.path.dirname(diagnose.__file__), os.pardir, 'plugin_utils', 'windows',
                           'gather.ps1')) as handle:
        assert module_args['script'] == handle.read()
    parameters = module_args['parameters']
    assert parameters['Gather'] == ['platform', 'connectivity', 'agent', 'extension', 'snapshot', 'dhcp', 'load']
    assert (parameters['Wireserver'], parameters['WireserverPorts']) == ('168.63.129.16', [80, 32526])
    assert (parameters['Imds'], parameters['ImdsPort']) == ('169.254.169.254', 80)
    assert parameters['Overridden'] == [] and parameters['AssumeAzure'] is False
    assert 'Proxy' not in parameters  # the host's own proxy settings apply


def test_windows_endpoint_overrides_reach_the_script():
    _result, execute = run_action({'wireserver': '10.213.0.2', 'imds': '10.213.0.3:8080', 'proxy': '',
                                   'https_endpoints': ['a.test:8443'], 'causes': ['connectivity'],
                                   'probe_timeout': 1.5}, recorded_windows(), windows=True)
    parameters = execute.call_args.kwargs['module_args']['parameters']
    assert parameters['Gather'] == ['platform', 'connectivity']
    assert (parameters['Wireserver'], parameters['Imds'], parameters['ImdsPort']) == ('10.213.0.2', '10.213.0.3', 8080)
    assert parameters['HttpsEndpoints'] == ['a.test:8443'] and parameters['ProbeTimeout'] == 1.5
    assert parameters['Overridden'] == ['wireserver', 'imds', 'https_endpoints']
    assert parameters['Proxy'] == ''  # '' means: no proxy, whatever the host configures


def test_windows_findings_follow_the_recording():
    module_result = recorded_windows()
    module_result['output'][0]['agent']['services']['RdAgent']['state'] = 'Stopped'
    result, execute = run_action({'causes': ['agent']}, module_result, windows=True)
    assert execute.call_count == 1
    assert by_check(result)['agent.service']['status'] == 'fail'
    assert set(f['cause'] for f in result['findings']) == {'agent'}


def test_windows_script_without_facts_fails_clearly():
    module_result = recorded_windows()
    module_result['output'] = []
    module_result['error'] = [{'output': 'Get-CimInstance : Access denied'}]
    result, _execute = run_action({}, module_result, windows=True)
    assert result['failed'] is True
    assert result['msg'] == 'gather.ps1 returned no facts: Get-CimInstance : Access denied'
    result, _execute = run_action({}, {'failed': True, 'msg': 'Unhandled exception while executing script'},
                                  windows=True)
    assert result['failed'] is True and result['msg'] == 'Unhandled exception while executing script'


def test_module_failure_is_returned_as_failure():
    result, _execute = run_action({}, {'failed': True, 'msg': 'root /mnt/x is not a directory'})
    assert result['failed'] is True
    assert result['msg'] == 'root /mnt/x is not a directory'
    assert 'findings' not in result
    result, _execute = run_action({}, {'changed': False})
    assert result['failed'] is True and 'returned no facts' in result['msg']


def test_check_mode_runs_the_read_only_diagnosis():
    result, execute = run_action({'assume_azure': True}, recorded('guest_info_healthy.json'),
                                 check_mode=True)
    execute.assert_called_once()
    assert result['findings'] and result['changed'] is False


def test_return_facts_and_module_warnings():
    module_result = recorded('guest_info_healthy.json')
    module_result['warnings'] = ['psutil is missing, reading /proc']
    result, _execute = run_action({'return_facts': True}, module_result)
    assert result['facts'] == module_result['facts']
    assert result['warnings'] == ['psutil is missing, reading /proc']


def test_secrets_in_evidence_are_redacted():
    module_result = recorded('guest_info_agent_broken.json')
    log = module_result['facts']['agent']['log']
    log['error_count'] = len(log.get('error_lines') or []) + 1
    log['error_lines'] = (log.get('error_lines') or []) + [{
        'level': 'ERROR',
        'text': 'Fetch failed: https://x.blob.core.windows.net/c?sv=1&sig=TOPSECRETSIG%2B&se=2',
    }]
    result, _execute = run_action({'assume_azure': True}, module_result)
    assert 'TOPSECRETSIG' not in json.dumps(result)


def test_split_host_port():
    assert diagnose.split_host_port('10.0.0.3') == ('10.0.0.3', None)
    assert diagnose.split_host_port('10.0.0.3:81') == ('10.0.0.3', 81)
    for bad in (':81', '10.0.0.3:', '10.0.0.3:0', '10.0.0.3:99999'):
        with pytest.raises(ValueError):
            diagnose.split_host_port(bad)


def test_role_causes_match_the_catalog():
    """The role's YAML list of causes (vars/main.yml) is the catalog's."""
    import yaml
    root = FIXTURES
    for _level in range(5):
        root = os.path.dirname(root)
    with open(os.path.join(root, 'roles', 'diagnose', 'vars', 'main.yml')) as handle:
        role_vars = yaml.safe_load(handle)
    assert tuple(role_vars['__diagnose_all_causes']) == CAUSES
    with open(os.path.join(root, 'roles', 'diagnose', 'meta', 'argument_specs.yml')) as handle:
        spec = yaml.safe_load(handle)['argument_specs']['main']['options']
    assert tuple(spec['diagnose_causes']['choices']) == CAUSES


@pytest.mark.parametrize('plugin, doc', [
    ('diagnose', 'diagnose'),
    ('diagnose_report', 'diagnose_report'),
    ('control_plane_facts', 'control_plane_facts'),
    ('failed_backups', 'failed_backups'),
])
def test_documentation_matches_the_argument_spec(plugin, doc):
    """The action plugins validate with ARGUMENT_SPEC; their docs must say the same thing."""
    import importlib
    from documentation import documented_options
    spec = importlib.import_module(
        'ansible_collections.azure_backup.snapshot_doctor.plugins.action.' + plugin).ARGUMENT_SPEC
    options = documented_options(doc)
    assert sorted(options) == sorted(spec)
    for name, rules in spec.items():
        documented = options[name]
        assert documented['type'] == rules['type'], name
        assert documented.get('elements') == rules.get('elements'), name
        assert documented.get('default') == rules.get('default'), name
        assert documented.get('required', False) == rules.get('required', False), name
        assert sorted(documented.get('choices') or []) == sorted(rules.get('choices') or []), name


@pytest.mark.parametrize('plugin, windows', [('winrm', True), ('psrp', True), ('local', False), ('ssh', False)])
def test_windows_is_told_by_the_real_connection_plugins(plugin, windows):
    """The action asks the connection for PowerShell modules; ansible-core's own plugins answer it so."""
    import importlib
    connection = importlib.import_module('ansible.plugins.connection.' + plugin).Connection
    action = ActionModule.__new__(ActionModule)
    action._connection = MagicMock(module_implementation_preferences=connection.module_implementation_preferences)
    assert action._os_name() == ('windows' if windows else 'linux')
