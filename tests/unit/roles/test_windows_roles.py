# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' Windows task files, checked without a Windows host.

- every ansible.windows task uses only options that ansible.windows 3.3.0 documents (the DOCUMENTATION of its
  modules, unpacked from the PyPI `ansible` 12.3.0 wheel by `make windows-collection`), with documented choices;
- every task of this collection gets only its documented arguments;
- every state-changing task sits behind its fix's switch and tag, and respects check mode;
- the PowerShell parses with a real grammar (tree-sitter-powershell);
- the Jinja renders to the values the modules want; main.yml sends Windows hosts to windows.yml only;
- the host's redaction patterns give what plugins/module_utils/redact.py gives.
"""
from __future__ import absolute_import, division, print_function

import ast
import os
import re

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.azure_backup.snapshot_doctor.plugins.action import windows_fix_plan
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import options as option_table
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import FIXES
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.redact import redact
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.windows import fixes

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
WINDOWS_MODULES = os.path.join(ROOT, '.build', 'collections', 'ansible_collections', 'ansible', 'windows', 'plugins',
                               'modules')
ROLES = ('agent', 'connectivity', 'extension', 'snapshot', 'collect_logs')
KEYWORDS = {'name', 'when', 'tags', 'block', 'rescue', 'always', 'register', 'loop', 'vars', 'become', 'become_user',
            'become_method', 'changed_when', 'failed_when', 'delegate_to', 'run_once', 'async', 'poll', 'notify',
            'check_mode', 'ignore_errors', 'no_log', 'loop_control'}
# Modules whose every run changes nothing on the host.
READ_ONLY = {'ansible.windows.win_service_info', 'ansible.builtin.debug', 'ansible.builtin.set_fact',
             'ansible.builtin.assert', 'azure_backup.snapshot_doctor.diagnose',
             'azure_backup.snapshot_doctor.windows_fix_plan', 'ansible.builtin.meta',
             'ansible.builtin.wait_for_connection', 'ansible.builtin.fetch', 'ansible.builtin.file'}
MUTATING_CMDLETS = re.compile(r'(?i)\b(Set|New(?!-Object\b)|Remove|Register|Unregister|Disable|Enable|Rename|Move|Stop|Start|'
                              r'Restart)-[A-Za-z]+|\breg(\.exe)?\s+export|::Write|Compress-Archive')
# The role variable of a fix whose name differs from the fix's.
ROLE_VARIABLE = {'connectivity_proxy': 'connectivity_proxy_state'}


def _load(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def _walk(tasks, whens=(), tags=()):
    """(task, module, args, the when expressions and tags that apply, including those of enclosing blocks)."""
    for task in tasks or []:
        when = task.get('when', [])
        when = list(whens) + (when if isinstance(when, list) else [when])
        tag = list(tags) + list(task.get('tags') or [])
        if 'block' in task:
            for section in ('block', 'rescue', 'always'):
                yield from _walk(task.get(section), when, tag)
            continue
        modules = [key for key in task if key not in KEYWORDS]
        assert len(modules) == 1, task.get('name')
        yield task, modules[0], task[modules[0]], when, tag


def _windows_tasks():
    for role in ROLES:
        for item in _walk(_load('roles', role, 'tasks', 'windows.yml')):
            yield (role,) + item


def _documentation(module):
    if not os.path.isdir(WINDOWS_MODULES):
        pytest.skip('ansible.windows is not unpacked (make windows-collection)')
    with open(os.path.join(WINDOWS_MODULES, module + '.py')) as handle:
        tree = ast.parse(handle.read())
    texts = dict((node.targets[0].id, node.value.value) for node in tree.body
                 if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                 and isinstance(node.value, ast.Constant))
    return yaml.safe_load(texts['DOCUMENTATION'])


def _check_options(module, args, options):
    names = {}
    for name, option in options.items():
        for alias in [name] + list(option.get('aliases') or []):
            names[alias] = option
    for key, value in args.items():
        assert key in names, '%s has no option %s' % (module, key)
        option = names[key]
        if option.get('choices') and isinstance(value, str) and '{{' not in value:
            assert value in option['choices'], (module, key, value)
        if option.get('suboptions') and isinstance(value, list):
            for item in value:
                _check_options(module + '.' + key, item, option['suboptions'])


def test_the_ansible_windows_tasks_use_documented_options_only():
    used = set()
    for role, task, module, args, _whens, _tags in _windows_tasks():
        if not module.startswith('ansible.windows.'):
            continue
        used.add(module)
        _check_options(module, args, _documentation(module.split('.')[-1])['options'])
    assert used == {'ansible.windows.win_service', 'ansible.windows.win_service_info', 'ansible.windows.win_regedit',
                    'ansible.windows.win_powershell', 'ansible.windows.win_http_proxy',
                    'ansible.windows.win_inet_proxy', 'ansible.windows.win_route', 'ansible.windows.win_file'}


def test_the_collections_own_tasks_get_their_documented_arguments():
    diagnose = set(option.name for option in option_table.OPTIONS)
    for role, task, module, args, _whens, _tags in _windows_tasks():
        if module == 'azure_backup.snapshot_doctor.windows_fix_plan':
            assert set(args) <= set(windows_fix_plan.ARGUMENT_SPEC), task['name']
            assert args['fix'] in windows_fix_plan.FIXES
        elif module == 'azure_backup.snapshot_doctor.diagnose':
            assert set(args) <= diagnose, task['name']
        else:
            assert not module.startswith('azure_backup.'), module  # Windows hosts run no module of ours


def _fix_of(tags):
    names = [fix.name for fix in FIXES]
    found = [tag for tag in tags if tag in names]
    return found[0] if found else None


def test_every_change_sits_behind_its_fix_switch_and_tag():
    for role, task, module, args, whens, tags in _windows_tasks():
        if module in READ_ONLY or role == 'collect_logs':  # collect_logs is one fix: the role itself
            continue
        if module == 'ansible.windows.win_powershell' and not MUTATING_CMDLETS.search(args['script']):
            continue
        fix = _fix_of(tags)
        assert fix, (role, task['name'])
        variable = ROLE_VARIABLE.get(fix, fix)
        assert any(re.search(r'\b%s\b' % variable, str(when)) for when in whens), (task['name'], variable)


def test_powershell_that_changes_something_does_not_run_in_check_mode():
    scripts = 0
    for role, task, module, args, whens, _tags in _windows_tasks():
        if module != 'ansible.windows.win_powershell':
            continue
        scripts += 1
        script = args['script']
        declared = '[CmdletBinding(SupportsShouldProcess)]' in script
        skipped = 'not ansible_check_mode' in whens
        assert declared or skipped, task['name']
        if declared and MUTATING_CMDLETS.search(script):
            # Run in check mode with -WhatIf: every change must wait for ShouldProcess.
            head, _sep, gated = script.partition('if ($PSCmdlet.ShouldProcess(')
            assert gated and not MUTATING_CMDLETS.search(head), task['name']
    assert scripts == 7


def test_a_check_mode_plan_is_shown_where_a_script_is_skipped():
    for role in ('extension', 'snapshot', 'connectivity'):
        tasks = list(_walk(_load('roles', role, 'tasks', 'windows.yml')))
        skipped = [task for task, module, _a, whens, _t in tasks if 'not ansible_check_mode' in whens]
        shown = [task for task, module, _a, whens, _t in tasks
                 if module == 'ansible.builtin.debug' and 'ansible_check_mode' in whens]
        assert skipped and shown, role


def _scripts():
    for role, task, module, args, _whens, _tags in _windows_tasks():
        if module == 'ansible.windows.win_powershell' and '{{' not in args['script']:
            yield task['name'], args['script']
    plan = fixes.dhcp_rollback_plan(
        {'dhcp': {'result': 'ok', 'primary_interface': {'result': 'ok', 'dhcp': 'Disabled', 'interface_index': 6}}},
        {'interface_index': 6, 'addresses': [{'ip': '10.1.0.5', 'prefix_length': 24}], 'gateway': '10.1.0.1',
         'dns_servers': ['10.1.0.10']}, 60)
    yield 'restore', plan['restore_script']
    yield 'apply', plan['apply_script']


@pytest.mark.parametrize('name, script', list(_scripts()), ids=lambda value: str(value)[:40])
def test_the_powershell_parses(name, script):
    tree_sitter = pytest.importorskip('tree_sitter')
    tree_sitter_powershell = pytest.importorskip('tree_sitter_powershell')
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    code = script.encode('utf-8')
    tree = parser.parse(code)
    assert tree.root_node.has_error is False, name
    assert parser.parse(code + b'\n}').root_node.has_error is True  # the grammar can fail
    assert _operators_passed_as_arguments(code, tree.root_node) == [], name


def _operators_passed_as_arguments(code, node):
    """Arguments of a command that start with + (`Join-Path $a $b + '.x'` passes '+' to Join-Path: valid
    syntax, wrong meaning; the expression needs its own parentheses)."""
    found = []
    if node.type == 'command_elements':
        for child in node.children:
            text = code[child.start_byte:child.end_byte].decode('utf-8').strip()
            if child.type != 'command_argument_sep' and text.startswith('+'):
                found.append(text)
    for child in node.children:
        found.extend(_operators_passed_as_arguments(code, child))
    return found


def test_an_operator_passed_as_a_command_argument_is_found():
    tree_sitter = pytest.importorskip('tree_sitter')
    tree_sitter_powershell = pytest.importorskip('tree_sitter_powershell')
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    wrong = b"$out = Join-Path $stage ($key -replace ' ', '_') + '.reg'"
    right = b"$out = Join-Path $stage (($key -replace ' ', '_') + '.reg')"
    assert _operators_passed_as_arguments(wrong, parser.parse(wrong).root_node) == ["+ '.reg'"]
    assert _operators_passed_as_arguments(right, parser.parse(right).root_node) == []


def _render(value, variables):
    templar = Templar(loader=DataLoader(), variables=variables)

    def trust(item):
        if isinstance(item, str):
            return trust_as_template(item)
        if isinstance(item, dict):
            return dict((key, trust(child)) for key, child in item.items())
        if isinstance(item, list):
            return [trust(child) for child in item]
        return item
    return templar.template(trust(value))


def _task(role, name):
    for _role, task, module, args, _whens, _tags in _windows_tasks():
        if _role == role and task['name'] == name:
            return module, args
    raise AssertionError('no task %r in role %s' % (name, role))


def test_the_agent_failure_actions_render_to_milliseconds():
    module, args = _task('agent', 'Make the service control manager restart the agent\'s services after a crash')
    rendered = _render(args, {'item': 'RdAgent', 'agent_autorestart_delay': 5})
    assert rendered['failure_actions'] == [{'type': 'restart', 'delay_ms': 5000}] * 3
    assert rendered['failure_reset_period_sec'] == 86400


@pytest.mark.parametrize('state, expected', [
    ('present', {'proxy': 'proxy.corp:3128', 'bypass': ['168.63.129.16', '169.254.169.254', '<local>']}),
    ('absent', {})])  # win_http_proxy and win_inet_proxy remove the proxy when it is omitted
def test_the_proxy_renders_for_both_modules(state, expected):
    plan = {'plan': fixes.proxy_settings('http://proxy.corp:3128')} if state == 'present' else {'skipped': True}
    variables = {'connectivity_proxy_state': state, '__connectivity_proxy_plan': plan}
    _module, http = _task('connectivity', 'Set the WinHTTP proxy (services and .NET applications)')
    assert _render(http, variables) == expected
    _module, inet = _task('connectivity', 'Set the WinINet proxy of LocalSystem')
    assert _render(inet, variables) == dict(expected, auto_detect=False)


def test_localsystems_proxy_is_set_as_system():
    for role, task, module, args, _whens, _tags in _windows_tasks():
        if module == 'ansible.windows.win_inet_proxy':
            assert (task.get('become'), task.get('become_method'), task.get('become_user')) == (
                True, 'ansible.builtin.runas', 'SYSTEM')


def test_the_route_and_vss_services_render_from_the_plans():
    _module, route = _task('connectivity', 'Add the host route through the primary gateway')
    plan = {'destination': '168.63.129.16/32', 'gateway': '10.1.0.1', 'state': 'present'}
    assert _render(route, {'__connectivity_route_plan': {'plan': plan}}) == plan
    _module, service = _task('snapshot', 'Start VSS, COMSysApp and MSDTC (Manual where disabled)')
    assert _render(service, {'item': {'name': 'VSS', 'state': 'started'}}) == {'name': 'VSS', 'state': 'started'}
    assert _render(service, {'item': {'name': 'MSDTC', 'state': 'started', 'start_mode': 'manual'}})['start_mode'] \
        == 'manual'


@pytest.mark.parametrize('role', list(ROLES))
def test_main_sends_windows_to_windows_yml_and_linux_to_the_linux_tasks(role):
    tasks = _load('roles', role, 'tasks', 'main.yml')
    for family, system in (('Windows', 'Win32NT'), ('Debian', 'Linux')):
        variables = {'ansible_facts': {'os_family': family, 'system': system, 'service_mgr': 'systemd',
                                       'distribution': family},
                     # agent and connectivity: even a "supported" Windows host must not take the Linux path;
                     # snapshot: its own rule (vars/main.yml), Linux only.
                     '__agent_supported': True, '__connectivity_supported': True,
                     '__snapshot_supported': system == 'Linux'}
        variables.update(_load('roles', role, 'defaults', 'main.yml') or {})  # the Azure switches: off
        templar = Templar(loader=DataLoader(), variables=variables)
        ran = []
        for task in tasks:
            whens = task.get('when', [])
            whens = whens if isinstance(whens, list) else [whens]
            if all(templar.evaluate_conditional(trust_as_template(when)) for when in whens):
                ran.append(task)
        included = [task['ansible.builtin.include_tasks']['file'] for task in ran
                    if 'ansible.builtin.include_tasks' in task]
        own = [task['name'] for task in ran if any(key.startswith('azure_backup.') for key in task)]
        if family == 'Windows':
            assert included == ['windows.yml'] and not own, role
        else:
            assert included == ['linux.yml'], role


# -- the host's redaction (collect_logs) gives what redact.py gives ----------------------------------------------------
REDACTION_SAMPLES = [
    ('https://md-x.blob.core.windows.net/$system/vm.status?sv=2018-03-28&sr=b&sk=system-1&sig=Ab%2B&se=2030',
     'https://md-x.blob.core.windows.net/$system/vm.status?sv=2018-03-28&sr=b&sk=system-1&sig=REDACTED&se=2030'),
    ('<StatusUploadBlob>https://a.blob.core.windows.net/c?sv=1&amp;sig=XyZ123&amp;se=2</StatusUploadBlob>',
     '<StatusUploadBlob>https://a.blob.core.windows.net/c?sv=1&amp;sig=REDACTED&amp;se=2</StatusUploadBlob>'),
    ('"statusBlobUri": "https://a/b?SIG=abc"', '"statusBlobUri": "https://a/b?SIG=REDACTED"'),
    ('ProxyServer=http://alice:s3cret@proxy.corp:3128', 'ProxyServer=http://alice:REDACTED@proxy.corp:3128'),
    ('http_proxy=http://u:p%40ss@10.0.0.1:80 and sig=zz;', 'http_proxy=http://u:REDACTED@10.0.0.1:80 and sig=REDACTED;'),
    ('AccountKey=abc/def== ; api_key=123', 'AccountKey=REDACTED ; api_key=REDACTED'),
    ('config.sig=keep no_sig=keep sig=REDACTED', 'config.sig=keep no_sig=keep sig=REDACTED'),
    ('nothing secret here: 168.63.129.16:32526', 'nothing secret here: 168.63.129.16:32526'),
]


def _collect_script():
    _module, args = _task('collect_logs', 'Gather and redact the files into an archive on the host')
    return args['script']


def _host_redact(patterns, text):
    """What the script's evaluator does: replace the 'value' group unless it is already REDACTED."""
    def replace(match):
        if match.group('value') == 'REDACTED':
            return match.group(0)
        start, end = match.start('value') - match.start(0), match.end('value') - match.start(0)
        return match.group(0)[:start] + 'REDACTED' + match.group(0)[end:]
    for pattern in patterns:
        text = re.sub(pattern, replace, text)
    return text


def test_the_script_holds_two_patterns_that_python_reads_as_well():
    patterns = fixes.powershell_patterns(_collect_script())
    assert len(patterns) == 2 and all('(?<value>' in pattern for pattern in patterns)


@pytest.mark.parametrize('sample, expected', REDACTION_SAMPLES)
def test_the_hosts_redaction_gives_what_redact_py_gives(sample, expected):
    # .NET writes a named group (?<value>...), Python (?P<value>...); the rest of the syntax is common.
    patterns = [pattern.replace('(?<value>', '(?P<value>') for pattern in fixes.powershell_patterns(_collect_script())]
    assert _host_redact(patterns, sample) == expected
    assert redact(sample)[0] == expected
