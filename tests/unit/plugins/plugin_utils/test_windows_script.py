# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gather.ps1, checked without PowerShell: a real grammar parses it, and what it may call is read-only.

No pwsh can run here (it is neither in Debian's archive nor on PyPI). tree-sitter-powershell (PyPI) is
a full PowerShell grammar: the script must parse without an error node, every command it names must be
a read-only cmdlet or one of its own functions, the external programs it runs must be the three
read-only queries, and its parameters must be exactly what the controller sends. Also: the parsers
of the command output those queries return (the recorded outputs of fixtures/windows).
"""
from __future__ import absolute_import, division, print_function

import os
import re

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.windows import facts as windows_facts

__metaclass__ = type

tree_sitter = pytest.importorskip('tree_sitter')
tree_sitter_powershell = pytest.importorskip('tree_sitter_powershell')

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, 'fixtures', 'windows')
# Cmdlets that only read (Get-*, and pipeline plumbing). Anything else the script names must be its own function.
READ_ONLY_CMDLETS = {
    'Find-NetRoute', 'ForEach-Object', 'Get-ChildItem', 'Get-CimInstance', 'Get-Date', 'Get-Item', 'Get-ItemProperty',
    'Get-NetFirewallAddressFilter', 'Get-NetFirewallApplicationFilter', 'Get-NetFirewallPortFilter',
    'Get-NetFirewallProfile', 'Get-NetFirewallRule', 'Get-NetIPInterface', 'Get-NetRoute', 'Get-Variable',
    'Get-WinEvent', 'Join-Path', 'Select-Object', 'Sort-Object', 'Test-Path', 'Where-Object',
}
WRITE_VERBS = r'(Set|New|Remove|Stop|Start|Restart|Suspend|Resume|Add|Clear|Disable|Enable|Install|Uninstall|' \
              r'Register|Unregister|Rename|Move|Copy|Reset|Update|Out|Export|Invoke-Expression|Invoke-WebRequest)'
EXTERNAL_QUERIES = {('sc.exe', 'qfailure $name'), ('netsh.exe', 'winhttp show proxy'), ('vssadmin.exe', 'list writers')}


def source():
    with open(windows_facts.SCRIPT, 'rb') as handle:
        return handle.read()


def parse(code):
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    return parser.parse(code).root_node


def nodes(node, kind):
    found = [node] if node.type == kind else []
    for child in node.children:
        found.extend(nodes(child, kind))
    return found


def text_of(code, node):
    return code[node.start_byte:node.end_byte].decode('utf-8')


def test_the_grammar_tells_broken_powershell_from_valid():
    assert parse(b'if ($a) { Get-Item -Path $b }').has_error is False
    assert parse(b'if ($a) { Get-Item -Path $b').has_error is True
    assert parse(b'$x = @{ a = (1 + }').has_error is True


def test_the_script_parses_without_error():
    root = parse(source())
    assert root.has_error is False
    assert nodes(root, 'ERROR') == []


def test_the_script_calls_read_only_cmdlets_and_its_own_functions_only():
    code = source()
    root = parse(code)
    own = set(text_of(code, node) for node in nodes(root, 'function_name'))
    called = set(text_of(code, node) for node in nodes(root, 'command_name'))
    assert called - own - READ_ONLY_CMDLETS == set()
    assert not any(re.match(WRITE_VERBS + '-', name) for name in own)
    text = code.decode('utf-8')
    assert not re.search(r'(?i)\b' + WRITE_VERBS + r'-[a-z]+', text)
    assert not re.search(r'(?i)\breg(\.exe)?\s+(add|delete|import)|\[(System\.IO\.)?(File|Directory)\]::'
                         r'(Write|Append|Delete|Move|Copy|Create)|SetValue|DeleteValue|CreateSubKey|DeleteSubKey', text)


def test_external_programs_are_the_three_read_only_queries_with_a_timeout():
    text = source().decode('utf-8')
    calls = re.findall(r'Invoke-Bounded "\$env:SystemRoot\\System32\\([a-z]+\.exe)" ([\'"])(.*?)\2 \$t', text)
    assert set((program, arguments) for program, _quote, arguments in calls) == EXTERNAL_QUERIES
    assert text.count('Invoke-Bounded "') == len(calls)
    assert 'WaitForExit([int]($TimeoutSeconds * 1000))' in text


def test_every_event_query_is_bounded_and_cim_goes_through_the_timeout_helper():
    code = source()
    root = parse(code)
    commands = [text_of(code, node) for node in nodes(root, 'command')]
    winevent = [command for command in commands if command.startswith('Get-WinEvent')]
    assert winevent and all('-MaxEvents' in command for command in winevent)
    cim = [command for command in commands if command.startswith('Get-CimInstance')]
    assert cim == ['Get-CimInstance @arguments']
    assert 'OperationTimeoutSec = ' in code.decode('utf-8')


def test_the_script_parameters_are_what_the_controller_sends():
    code = source()
    root = parse(code)
    block = nodes(root, 'param_block')[0]
    declared = set(text_of(code, [child for child in parameter.children if child.type == 'variable'][0]).lstrip('$')
                   for parameter in nodes(block, 'script_parameter'))
    mandatory = set(re.findall(r'\[Parameter\(Mandatory = \$true\)\](?:\[AllowEmptyCollection\(\)\])?\[[a-z\[\]]+\]\$(\w+)',
                               text_of(code, block)))
    assert {'WireserverPorts', 'HttpsEndpoints', 'Gather', 'Wireserver'} <= mandatory
    # The run may empty these lists (the option table allows it); a mandatory array refuses [] otherwise.
    for declaration in ('[AllowEmptyCollection()][int[]]$WireserverPorts', '[AllowEmptyCollection()][string[]]$HttpsEndpoints'):
        assert declaration in text_of(code, block)
    sent = set(windows_facts.module_args(['platform'], {})['parameters'])
    assert mandatory and mandatory <= sent
    assert sent <= declared
    assert declared - sent == {'Proxy'}  # sent only when the run sets it
    assert 'Proxy' in windows_facts.module_args(['platform'], {'proxy': ''})['parameters']


def test_the_script_runs_in_check_mode_and_reports_no_change():
    text = source().decode('utf-8')
    # win_powershell skips a script in check mode unless it declares SupportsShouldProcess.
    assert '[CmdletBinding(SupportsShouldProcess)]' in text
    assert '$Ansible.Changed = $false' in text


# -- the parsers of the recorded command outputs -----------------------------------------------------------------
def fixture(name):
    # netsh prints CRLF line ends; the files keep LF (ansible-test's line-endings rule), the tests put CRLF back.
    with open(os.path.join(FIXTURES, name)) as handle:
        content = handle.read()
    return content.replace('\n', '\r\n') if name.startswith('netsh-') else content


def test_vss_writers():
    writers = windows_facts.parse_vss_writers(fixture('vssadmin-list-writers-failed.txt'))
    assert [(w['name'], w['state_code'], w['state'], w['last_error']) for w in writers] == [
        ('Task Scheduler Writer', 1, 'Stable', 'No error'), ('SqlServerWriter', 8, 'Failed', 'Timed out')]
    assert writers[1]['id'] == '{a65faa63-5ea8-4ebc-9dbd-a0c4db26912a}'
    assert len(windows_facts.parse_vss_writers(fixture('vssadmin-list-writers-stable.txt'))) == 4
    for hostile in (None, '', b'\xff', 'State: [1] Stable\n', 'Writer name: broken'):
        assert windows_facts.parse_vss_writers(hostile) == []


def test_sc_qfailure():
    assert windows_facts.parse_sc_qfailure(fixture('sc-qfailure-restart.txt')) == {
        'reset_period_seconds': 86400, 'actions': [{'action': 'restart', 'delay_ms': 60000}] * 3}
    assert windows_facts.parse_sc_qfailure(fixture('sc-qfailure-none.txt')) == {
        'reset_period_seconds': 0, 'actions': []}
    assert windows_facts.parse_sc_qfailure(None) == {'reset_period_seconds': None, 'actions': []}


def test_winhttp_proxy():
    assert windows_facts.parse_winhttp_proxy(fixture('netsh-winhttp-direct.txt')) == {'proxy': None, 'bypass': []}
    assert windows_facts.parse_winhttp_proxy(fixture('netsh-winhttp-proxy.txt')) == {
        'proxy': '10.1.0.4:3128', 'bypass': ['168.63.129.16', '169.254.169.254']}
    assert windows_facts.parse_winhttp_proxy('The RPC server is unavailable.') is None


@pytest.mark.parametrize('value, host, port, credentials', [
    ('10.1.0.4:3128', '10.1.0.4', 3128, False),
    ('http=10.1.0.4:3128;https=10.1.0.5:8443', '10.1.0.5', 8443, False),
    ('http=10.1.0.4:3128', '10.1.0.4', 3128, False),
    ('http://user:secret@proxy.test:8080', 'proxy.test', 8080, True),
])
def test_windows_proxy_values(value, host, port, credentials):
    parsed = windows_facts.parse_windows_proxy(value)
    assert (parsed['host'], parsed['port'], parsed['has_credentials']) == (host, port, credentials)


def test_windows_proxy_garbage():
    for value in ('', None, 'https=', 'a b'):
        assert windows_facts.parse_windows_proxy(value) is None


def test_the_scripts_composed_at_run_time_parse_with_their_param_block_first():
    """Each section runs in a runspace as 'param($p)' + the helpers + its block: that text must parse too."""
    code = source()
    text = code.decode('utf-8')
    root = parse(code)
    blocks = {}
    for node in nodes(root, 'assignment_expression'):
        match = re.match(r"\$(Sections\['(\w+)'\]|Helpers) = \{", text_of(code, node))
        if match:
            body = list(nodes(node, 'script_block_expression'))[0]
            blocks[match.group(2) or 'helpers'] = text_of(code, body)[1:-1]
    assert sorted(blocks) == ['agent', 'connectivity', 'dhcp', 'extension', 'helpers', 'load', 'platform', 'snapshot']
    assert "$prologue = 'param($p)' + \"`n\" + $Helpers.ToString() + \"`n\"" in text
    for name, body in blocks.items():
        if name == 'helpers':
            continue
        assert not body.lstrip().lower().startswith('param'), name
        composed = parse(('param($p)\n' + blocks['helpers'] + '\n' + body).encode('utf-8'))
        assert composed.has_error is False, name
        first = nodes(composed, 'param_block')
        assert first and first[0].start_byte == 0, name


def _win_powershell_docs():
    """DOCUMENTATION and RETURN of ansible.windows' win_powershell (make windows-collection unpacks it)."""
    import ast
    import yaml
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, os.pardir, os.pardir,
                        '.build', 'collections', 'ansible_collections', 'ansible', 'windows', 'plugins', 'modules',
                        'win_powershell.py')
    if not os.path.exists(path):
        pytest.skip('ansible.windows is not unpacked (make windows-collection)')
    with open(path) as handle:
        tree = ast.parse(handle.read())
    texts = dict((node.targets[0].id, node.value.value) for node in tree.body
                 if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                 and isinstance(node.value, ast.Constant))
    return yaml.safe_load(texts['DOCUMENTATION']), yaml.safe_load(texts['RETURN'])


def test_the_module_arguments_are_win_powershell_options_of_their_documented_types():
    documentation, returns = _win_powershell_docs()
    options = documentation['options']
    module_args = windows_facts.module_args(['platform', 'agent'], {'proxy': 'http://10.0.0.1:3128'})
    types = {'str': str, 'dict': dict, 'int': int}
    for name, value in module_args.items():
        assert name in options, name
        assert isinstance(value, types[options[name]['type']]), name
    assert module_args['error_action'] in options['error_action']['choices']
    assert module_args['depth'] > options['depth']['default']  # the facts nest deeper than the default
    assert 'script' in module_args and 'path' not in module_args  # ansible.windows 3.x: script or path
    # What the action reads back is documented, and the check-mode rule gather.ps1 relies on.
    assert {'output', 'error', 'result'} <= set(returns)
    assert any('SupportsShouldProcess' in note for note in documentation['notes'])


# Variables a block may read without assigning them: automatic ones, and the runner's argument.
AUTOMATIC_VARIABLES = {'$_', '$true', '$false', '$null', '$matches', '$psversiontable', '$env:systemroot', '@arguments'}


def _unassigned_variables(code, block, argument):
    """Variables ``block`` reads that it never assigns (by =, foreach or a param), beyond the allowed ones."""
    used, assigned = set(), set()
    for node in nodes(block, 'variable'):
        used.add(text_of(code, node).lower())
    for node in nodes(block, 'assignment_expression'):
        left = nodes(node.children[0], 'variable')
        if left:
            assigned.add(text_of(code, left[0]).lower())
    for kind in ('foreach_statement', 'script_parameter'):
        for node in nodes(block, kind):
            names = [child for child in node.children if child.type == 'variable']
            if names:
                assigned.add(text_of(code, names[0]).lower())
    return used - assigned - AUTOMATIC_VARIABLES - set([argument])


def test_runspace_blocks_read_only_their_own_variables():
    """A block run in a runspace of its own sees none of the script's variables: only what it is given."""
    code = source()
    root = parse(code)
    checked = []
    for node in nodes(root, 'assignment_expression'):
        match = re.match(r"\$(Sections\['(\w+)'\]|Helpers|tcp|dns|https) = \{", text_of(code, node))
        if not match:
            continue
        block = nodes(node, 'script_block_expression')[0]
        argument = '$p' if match.group(2) else '$a'
        assert _unassigned_variables(code, block, argument) == set(), match.group(1)
        checked.append(match.group(2) or match.group(1))
    assert sorted(checked) == ['Helpers', 'agent', 'connectivity', 'dhcp', 'dns', 'extension', 'https', 'load',
                               'platform', 'snapshot', 'tcp']
    # The check itself: a block reading a variable of the script is caught.
    leaky = b"$Sections['x'] = { $t = $p.CommandTimeout; Get-Item $Wireserver -Force:$t }"
    block = nodes(parse(leaky), 'script_block_expression')[0]
    assert _unassigned_variables(leaky, block, '$p') == {'$wireserver'}


def test_runspace_blocks_call_only_functions_their_runspace_defines():
    """Sections get the helpers in front of them; the probe blocks run bare, so they may call cmdlets only."""
    code = source()
    root = parse(code)
    blocks = {}
    for node in nodes(root, 'assignment_expression'):
        match = re.match(r"\$(Sections\['(\w+)'\]|Helpers|tcp|dns|https) = \{", text_of(code, node))
        if match:
            blocks[match.group(2) or match.group(1)] = nodes(node, 'script_block_expression')[0]
    helpers = set(text_of(code, node) for node in nodes(blocks.pop('Helpers'), 'function_name'))
    assert 'Invoke-Concurrently' in helpers and 'Get-Cim' in helpers
    for name, block in blocks.items():
        called = set(text_of(code, node) for node in nodes(block, 'command_name'))
        allowed = READ_ONLY_CMDLETS if name in ('tcp', 'dns', 'https') else READ_ONLY_CMDLETS | helpers
        assert called - allowed == set(), name
