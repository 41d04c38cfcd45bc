# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows: recorded win_powershell results -> facts (plugin_utils/windows/facts.py) -> findings.

The base is fixtures/windows/win_powershell-healthy.json (provenance in fixtures/windows/README.md);
each case changes the raw script output the way a fault would (often with another recorded command
output of that folder) and names the status it must produce. Every case goes through the same
normalization as the action, so the parsers of command output are exercised too.
"""
from __future__ import absolute_import, division, print_function

import copy
import json
import os

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import checks_for
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import FINDING_KEYS
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import engine
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.windows import facts as windows_facts

__metaclass__ = type

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, 'fixtures', 'windows')
WINDOWS_CHECKS = [check.id for check in checks_for(platform='windows')]
GUEST_CHECKS = [check.id for check in checks_for(platform='windows', scope='guest')]
HEALTHY_NOT_PASS = {'connectivity.proxy': 'info', 'extension.version': 'skip'}


def text(name):
    # netsh prints CRLF line ends; the files keep LF (ansible-test's line-endings rule), the tests put CRLF back.
    with open(os.path.join(FIXTURES, name)) as handle:
        content = handle.read()
    return content.replace('\n', '\r\n') if name.startswith('netsh-') else content


def recorded():
    with open(os.path.join(FIXTURES, 'win_powershell-healthy.json')) as handle:
        return json.load(handle)


def raw(result):
    return result['output'][0]


def findings_of(result, options=None):
    facts, problem = windows_facts.facts_from_result(result, options or {})
    assert problem is None
    return dict((finding['check'], finding) for finding in engine.evaluate(facts, options))


# -- changes of the raw output --------------------------------------------------------------------------------
def _set(path, value):
    def change(output):
        node = output
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = copy.deepcopy(value)
    return change


def _both(*changes):
    def change(output):
        for item in changes:
            item(output)
    return change


def _error(*path):
    return _set(path, {'result': 'error', 'message': 'Access is denied'})


def _probe(key, **changes):
    def change(output):
        output['connectivity']['probes'][key].update(changes)
    return change


def _service(section, name, **changes):
    def change(output):
        output[section]['services'][name].update(changes)
    return change


def _event(event_id, log, first, when='2026-11-27T01:00:00Z', message=''):
    return {'id': event_id, 'log': log, 'provider': None, 'time_utc': when, 'properties': [first], 'message': message}


def _events(section, key, *events):
    return _set((section, key, 'events'), list(events))


def _handlers(*items):
    return _set(('extension', 'handlers', 'items'), list(items))


def _handler(version, status_text=None, stamp='2026-11-27T02:14:07Z'):
    status = {'result': 'ok', 'file': None}
    if status_text is not None:
        status = {'result': 'ok', 'file': 'C:\\Packages\\Plugins\\x\\%s\\Status\\1.status' % version, 'sequence': 1,
                  'mtime_utc': stamp, 'text': status_text}
    return {'version': version, 'path': 'C:\\Packages\\Plugins\\x\\%s' % version, 'status': status}


def _status(state, stamp='2026-11-27T02:14:07Z', code=1, message='msg'):
    return json.dumps([{'version': '1.0', 'timestampUTC': stamp, 'status': {
        'name': 'Microsoft.Azure.RecoveryServices.VMSnapshot', 'operation': 'Enable', 'status': state, 'code': code,
        'formattedMessage': {'lang': 'en-US', 'message': message}, 'substatus': []}}])


def _rule(**changes):
    rule = {'name': 'block', 'display_name': 'Block rule', 'profile': 'Any', 'remote_address': ['Any'],
            'protocol': 'TCP', 'remote_port': ['Any'], 'program': 'Any'}
    rule.update(changes)
    return _set(('connectivity', 'firewall', 'rules'), [rule])


def _winhttp(name):
    return _set(('connectivity', 'proxy', 'winhttp', 'output'), text(name))


LOCAL_SYSTEM_PROXY = _set(('connectivity', 'proxy', 'local_system', 'values'),
                          {'ProxyEnable': 1, 'ProxyServer': '10.1.0.4:3128'})
VIA_PROXY = _set(('connectivity', 'proxy', 'via'), {'value': '10.1.0.4:3128', 'source': 'winhttp', 'host': '10.1.0.4',
                                                    'port': 3128})
PROXY_PROBE = _set(('connectivity', 'probes', 'proxy'), {'host': '10.1.0.4', 'port': 3128, 'ok': True, 'error': None,
                                                         'timed_out': False, 'seconds': 0.001})
SECOND_ENDPOINT = _both(
    _set(('connectivity', 'probes', 'https:b.test:443'), {'host': 'b.test', 'port': 443, 'via': 'direct', 'ok': False,
                                                          'stage': 'tcp', 'error': 'timed out', 'timed_out': True}),
    _set(('connectivity', 'probes', 'dns:b.test'), {'name': 'b.test', 'ok': False, 'addresses': [],
                                                    'error': 'No such host is known', 'timed_out': False}))
NOT_AZURE = _both(_set(('platform', 'smbios', 'smbios_asset_tag'), 'None'),
                  _set(('platform', 'smbios', 'model'), 'Standard PC'),
                  _set(('connectivity', 'groups'), {'wireserver': False, 'imds': False, 'https': False}),
                  _set(('connectivity', 'probes'), {}))
TWO_CRASHES = _events('agent', 'system_events',
                      _event(7031, 'System', 'Windows Azure Guest Agent'), _event(7034, 'System', 'RdAgent'))
MIN_EXT = {'min_extension_version': '1.0.90.0'}

CASES = [
    # platform
    ('platform.azure', NOT_AZURE, {}, 'info', 'not an Azure VM'),
    ('platform.azure', _set(('platform',), {'result': 'error', 'message': 'internal error: x'}), {}, 'error', 'x'),
    ('platform.tls', _set(('platform', 'dotnet_tls', 'x86', 'values'), {}), {}, 'warn', 'only in the x64 view'),
    ('platform.tls', _both(_set(('platform', 'dotnet_tls', 'x86', 'values'), {}),
                           _set(('platform', 'dotnet_tls', 'x64', 'values'), {'SchUseStrongCrypto': 0})),
     {}, 'fail', 'neither'),
    ('platform.tls', _both(_error('platform', 'dotnet_tls', 'x86'), _error('platform', 'dotnet_tls', 'x64')),
     {}, 'error', 'Access is denied'),
    # connectivity
    ('connectivity.wireserver', _probe('wireserver:32526', ok=False, error='timed out', timed_out=True), {}, 'fail',
     '168.63.129.16:32526 (timed out)'),
    ('connectivity.wireserver', NOT_AZURE, {}, 'skip', 'not an Azure VM by SMBIOS'),
    ('connectivity.wireserver', _set(('connectivity',), {'result': 'error', 'message': 'probes timed out after 8 s'}),
     {}, 'error', 'timed out after 8 s'),
    ('connectivity.imds', _probe('imds', ok=False, error='No connection could be made'), {}, 'warn', 'unreachable'),
    ('connectivity.imds', _set(('connectivity', 'groups', 'imds'), True), {}, 'pass', 'succeeds'),
    ('connectivity.imds', _both(NOT_AZURE, _set(('connectivity', 'groups', 'imds'), True)), {}, 'error',
     'controller does not recognise an Azure VM'),
    ('connectivity.https', _probe('https:login.microsoftonline.com:443', ok=False, stage='tls',
                                  error='The remote certificate is invalid'), {}, 'fail', 'at tls'),
    ('connectivity.https', SECOND_ENDPOINT, {}, 'fail', 'b.test:443 via direct at tcp'),
    ('connectivity.https', _set(('connectivity', 'probes'), 'not a mapping'), {}, 'error', 'malformed'),
    ('connectivity.dns', SECOND_ENDPOINT, {}, 'fail', 'b.test (No such host is known)'),
    ('connectivity.dns', _both(SECOND_ENDPOINT, _winhttp('netsh-winhttp-proxy.txt'), VIA_PROXY), {}, 'warn',
     'a proxy is configured and resolves names itself'),
    ('connectivity.dns', _probe('dns:login.microsoftonline.com', ok=False, error='No such host is known',
                                addresses=[]), {}, 'fail', 'names do not resolve'),
    ('connectivity.dns', _set(('connectivity',), {'result': 'error', 'message': 'boom'}), {}, 'error', 'boom'),
    ('connectivity.proxy', _both(_winhttp('netsh-winhttp-proxy.txt'), LOCAL_SYSTEM_PROXY, VIA_PROXY, PROXY_PROBE),
     {}, 'pass', 'the proxy 10.1.0.4:3128 is set alike in LocalSystem Internet Settings, winhttp'),
    ('connectivity.proxy', _both(_winhttp('netsh-winhttp-proxy.txt'), VIA_PROXY, PROXY_PROBE), {}, 'warn',
     'nothing in LocalSystem Internet Settings'),
    ('connectivity.proxy', _both(_winhttp('netsh-winhttp-proxy.txt'), LOCAL_SYSTEM_PROXY, VIA_PROXY,
                                 PROXY_PROBE, _set(('connectivity', 'probes', 'proxy', 'ok'), False),
                                 _set(('connectivity', 'probes', 'proxy', 'error'), 'timed out')),
     {}, 'fail', 'unreachable: timed out'),
    ('connectivity.proxy', _both(_winhttp('netsh-winhttp-proxy.txt'),
                                 _set(('connectivity', 'proxy', 'local_system', 'values'),
                                      {'ProxyEnable': 1, 'ProxyServer': 'http://user:secret@10.1.0.4:3128'})),
     {}, 'fail', 'carries credentials'),
    ('connectivity.proxy', _error('connectivity', 'proxy'), {}, 'error', 'Access is denied'),
    ('connectivity.route', _set(('connectivity', 'route', 'found'), False), {}, 'fail', 'no route to 168.63.129.16'),
    ('connectivity.route', _error('connectivity', 'route'), {}, 'error', 'Access is denied'),
    ('connectivity.firewall', _rule(remote_address=['168.63.129.16'], remote_port=['32526']), {}, 'fail',
     'wireserver 168.63.129.16:32526 by rule \'Block rule\''),
    ('connectivity.firewall', _rule(remote_address=['168.63.0.0/255.255.0.0']), {}, 'fail', 'wireserver'),
    ('connectivity.firewall', _rule(remote_port=['443']), {}, 'fail', 'any address:443'),
    ('connectivity.firewall', _rule(remote_address=['10.0.0.0/8'], remote_port=['80-443']), {}, 'pass', 'no enabled'),
    ('connectivity.firewall', _rule(program='C:\\Tools\\other.exe'), {}, 'pass', 'no enabled'),
    ('connectivity.firewall', _rule(remote_address=['Internet']), {}, 'warn', 'cannot resolve'),
    ('connectivity.firewall', _error('connectivity', 'firewall'), {}, 'error', 'Access is denied'),
    # agent
    ('agent.installed', _both(_set(('agent', 'services', 'WindowsAzureGuestAgent'), {
        'result': 'ok', 'name': 'WindowsAzureGuestAgent', 'present': False}),
        _set(('agent', 'executables', 'wa_app_agent', 'exists'), False)), {}, 'fail', 'not installed'),
    ('agent.installed', _error('agent', 'services', 'WindowsAzureGuestAgent'), {}, 'error', 'Access is denied'),
    ('agent.version', _set(('agent', 'registry', 'values', 'GuestAgentVersion'), '2.6.1198.718'), {}, 'fail',
     'GuestAgentVersion 2.6.1198.718 below the minimum 2.7.41491.1010'),
    ('agent.version', {}, {'min_agent_version': '2.8'}, 'fail', 'below the minimum 2.8'),
    ('agent.version', _both(_set(('agent', 'registry', 'values'), {}),
                            _set(('agent', 'executables', 'guest_agents'), [])), {}, 'warn', 'guest agent version is unknown'),
    ('agent.version', _set(('agent', 'registry', 'values', 'GuestAgentVersion'), 'unknown'), {}, 'error', 'cannot compare'),
    ('agent.service', _service('agent', 'RdAgent', state='Stopped'), {}, 'fail', 'RdAgent is Stopped'),
    ('agent.service', _service('agent', 'WindowsAzureGuestAgent', start_mode='Manual'), {}, 'warn', 'starts Manual'),
    ('agent.service', _error('agent', 'services', 'RdAgent'), {}, 'error', 'Access is denied'),
    ('agent.autorestart', _set(('agent', 'failure_actions_registry', 'RdAgent', 'values'), {}), {},
     'warn', 'RdAgent: no restart'),
    # The registry unreadable: sc.exe's text is the fallback.
    ('agent.autorestart', _both(_error('agent', 'failure_actions_registry', 'RdAgent'),
                                _set(('agent', 'failure_actions', 'RdAgent', 'output'), text('sc-qfailure-none.txt'))),
     {}, 'warn', 'RdAgent: no restart'),
    ('agent.autorestart', _both(_error('agent', 'failure_actions_registry', 'RdAgent'),
                                _set(('agent', 'failure_actions', 'RdAgent', 'output'), text('sc-qfailure-restart.txt'))),
     {}, 'pass', 'restarts'),
    ('agent.autorestart', _both(_error('agent', 'failure_actions_registry', 'RdAgent'),
                                _error('agent', 'failure_actions', 'RdAgent')), {}, 'error', 'Access is denied'),
    # A value that is not a SERVICE_FAILURE_ACTIONS: sc.exe's text decides (here: no action).
    ('agent.autorestart', _both(_set(('agent', 'failure_actions_registry', 'RdAgent', 'values', 'FailureActions'), 'AAAA'),
                                _set(('agent', 'failure_actions', 'RdAgent', 'output'), text('sc-qfailure-none.txt'))),
     {}, 'warn', 'RdAgent: no restart'),
    ('agent.crashes', _events('agent', 'system_events', _event(7034, 'System', 'Windows Azure Guest Agent')), {},
     'warn', '1 crash event'),
    ('agent.crashes', TWO_CRASHES, {}, 'fail', '2 crash event'),
    ('agent.crashes', _events('agent', 'application_errors', _event(1000, 'Application', 'WaAppAgent.exe'),
                              _event(1000, 'Application', 'WaAppAgent.exe')), {}, 'fail', '2 crash event'),
    ('agent.crashes', _events('agent', 'system_events', _event(7031, 'System', 'Print Spooler')), {}, 'pass', 'no crash'),
    ('agent.crashes', _error('agent', 'system_events'), {}, 'error', 'Access is denied'),
    ('agent.certificate', _set(('agent', 'certificates', 'items'), []), {}, 'fail', 'no TenantEncryptionCert'),
    ('agent.certificate', _set(('agent', 'certificates', 'items', 0, 'not_after_utc'), '2026-11-26T00:00:00Z'), {},
     'fail', 'outside its validity'),
    ('agent.certificate', _error('agent', 'certificates'), {}, 'error', 'Access is denied'),
    # extension
    ('extension.installed', _handlers(), {}, 'info', 'no VMSnapshot handler'),
    ('extension.installed', _error('extension', 'handlers'), {}, 'error', 'Access is denied'),
    ('extension.version', {}, MIN_EXT, 'pass', 'newest handler 1.0.92.0 is at or above 1.0.90.0'),
    ('extension.version', {}, {'min_extension_version': '1.0.93.0'}, 'fail', 'below 1.0.93.0'),
    ('extension.version', _handlers(_handler('weird')), MIN_EXT, 'error', 'cannot compare'),
    ('extension.status', _handlers(_handler('1.0.92.0')), {}, 'info', 'no status file yet'),
    ('extension.status', _handlers(_handler('1.0.92.0', _status('error', code=76, message='no network'))), {},
     'fail', 'code 76: no network'),
    ('extension.status', _handlers(_handler('1.0.92.0', _status('transitioning', stamp='2026-11-27T01:00:00Z'))), {},
     'warn', 'transitioning for 80 minutes'),
    ('extension.status', _handlers(_handler('1.0.92.0', 'not json')), {}, 'error', 'not valid JSON'),
    ('extension.stale', _handlers(_handler('1.0.91.0'), _handler('1.0.92.0')), {}, 'warn', '1.0.91.0, 1.0.92.0'),
    ('extension.stale', _error('extension', 'handlers'), {}, 'error', 'Access is denied'),
    ('extension.provider_service', _set(('extension', 'provider_service'),
                                        {'result': 'ok', 'name': 'IaaSVmProvider', 'present': False}), {}, 'fail', 'missing'),
    ('extension.provider_service', _error('extension', 'provider_service'), {}, 'error', 'Access is denied'),
    ('extension.blocked', _events('extension', 'applocker_events', _event(
        8004, 'Microsoft-Windows-AppLocker/EXE and DLL', 'x', message='%OSDRIVE%\\PACKAGES\\PLUGINS\\'
        'MICROSOFT.AZURE.RECOVERYSERVICES.VMSNAPSHOT\\1.0.92.0\\IAASBCDREXTENSION.EXE was prevented from running.')),
     {}, 'fail', 'blocked by AppLocker 1 time'),
    ('extension.blocked', _events('extension', 'application_errors',
                                  _event(1000, 'Application', 'IaaSBcdrExtension.exe')), {}, 'fail', 'crashed 1 time'),
    ('extension.blocked', _events('extension', 'applocker_events', _event(
        8003, 'Microsoft-Windows-AppLocker/EXE and DLL', 'x', message='...\\IAASBCDREXTENSION.EXE was allowed to run '
        'but would have been prevented from running if the AppLocker policy were enforced.')), {}, 'warn', 'audit'),
    ('extension.blocked', _error('extension', 'applocker_events'), {}, 'error', 'Access is denied'),
    # snapshot
    # A saturated CPU is a fail only when something lasting confirms it: the processor queue, or a long window.
    ('snapshot.load', _both(_set(('load', 'cpu_percent'), [95.0, 99.0, 97.0]),
                            _set(('load', 'processor_queue_length'), [9, 12, 10])), {}, 'fail', 'processor queue of 9, 12, 10'),
    ('snapshot.load', _set(('load', 'cpu_percent'), [95.0, 99.0, 97.0]), {}, 'warn', 'not confirmed as lasting'),
    ('snapshot.load', _set(('load', 'memory'), [{'free_kib': 10, 'total_kib': 1000}] * 3), {}, 'fail', 'memory at or above'),
    ('snapshot.load', _set(('load', 'cpu_percent'), [95.0, 9.0, 7.0]), {}, 'warn', 'CPU at or above 90 % in 1 of 3'),
    ('snapshot.load', _set(('load', 'memory'), [{'free_kib': 1, 'total_kib': 0}]), {}, 'error', 'load samples missing'),
    ('snapshot.dhcp', _set(('dhcp', 'primary_interface', 'dhcp'), 'Disabled'), {}, 'fail', 'static configuration'),
    ('snapshot.dhcp', _set(('dhcp', 'primary_interface'), {'result': 'ok', 'interface_index': None,
                                                           'source': 'default route'}), {}, 'warn', 'no default route'),
    ('snapshot.dhcp', _error('dhcp', 'primary_interface'), {}, 'error', 'Access is denied'),
    ('snapshot.sql_vss', _set(('snapshot', 'sql_services', 'items'), [{'name': 'MSSQLSERVER', 'state': 'Running'}]),
     {}, 'fail', 'UseVSSCopyBackup is None: VSS full backups apply (UseVssFullBackup=True)'),
    ('snapshot.sql_vss', _both(_set(('snapshot', 'sql_services', 'items'), [{'name': 'MSSQL$SQLEXPRESS'}]),
                               _set(('snapshot', 'bcdr_agent', 'values', 'UseVSSCopyBackup'), 'True')),
     {}, 'pass', 'VSS copy backups apply'),
    ('snapshot.sql_vss', _error('snapshot', 'bcdr_agent'), {}, 'error', 'Access is denied'),
    ('snapshot.vss', _set(('snapshot', 'vss_writers', 'output'), text('vssadmin-list-writers-failed.txt')), {},
     'fail', 'writer \'SqlServerWriter\' is [8] Failed (Timed out)'),
    ('snapshot.vss', _service('snapshot', 'COMSysApp', start_mode='Disabled'), {}, 'fail', 'COMSysApp is disabled'),
    ('snapshot.vss', _set(('snapshot', 'vss_writers', 'output'), text('vssadmin-list-writers-stable-retryable.txt')),
     {}, 'warn', 'last error: Retryable error'),
    ('snapshot.vss', _set(('snapshot', 'vss_writers', 'output'), 'Error: Access is denied.'), {}, 'error',
     'listed no writer'),
]


@pytest.mark.parametrize('check, change, options, status, summary', CASES,
                         ids=['%s-%s-%d' % (case[0], case[3], index) for index, case in enumerate(CASES)])
def test_check_statuses(check, change, options, status, summary):
    result = recorded()
    if change:
        change(raw(result))
    finding = findings_of(result, options)[check]
    assert finding['status'] == status, finding
    assert summary in finding['summary'], finding['summary']


def test_healthy_recording_passes_every_guest_check():
    findings = findings_of(recorded())
    assert list(findings) == WINDOWS_CHECKS
    statuses = dict((check, finding['status']) for check, finding in findings.items())
    assert statuses == dict(dict((check, 'pass') for check in GUEST_CHECKS), **dict(
        HEALTHY_NOT_PASS, **dict((check, 'skip') for check in WINDOWS_CHECKS if check not in GUEST_CHECKS)))
    assert all(tuple(sorted(finding)) == tuple(sorted(FINDING_KEYS)) for finding in findings.values())


def test_every_status_of_every_windows_guest_check_is_covered():
    covered = set((case[0], case[3]) for case in CASES)
    covered |= set((check, 'pass') for check in GUEST_CHECKS if check not in HEALTHY_NOT_PASS)
    covered |= set(HEALTHY_NOT_PASS.items())
    wanted = set()
    for check in checks_for(platform='windows', scope='guest'):
        for status in list(check.rules) + ['error']:
            wanted.add((check.id, status))
    assert sorted(wanted - covered) == []


def test_every_windows_guest_check_has_a_windows_rule():
    rules = engine.collection_rules()
    assert [check for check in GUEST_CHECKS if rules.get('windows', check) is None] == []


def test_the_facts_are_json_and_carry_no_raw_command_text_for_status_files():
    facts, _problem = windows_facts.facts_from_result(recorded(), {})
    json.dumps(facts)
    status = facts['extension']['handlers']['items'][0]['status']
    assert 'text' not in status and status['status'] == 'success' and status['age_seconds'] == 353.0


@pytest.mark.parametrize('garbage', [
    {'platform': ['not', 'a', 'mapping']},
    {'agent': {'result': 'ok', 'services': 'oops', 'failure_actions': None, 'executables': 7}},
    {'extension': {'result': 'ok', 'handlers': {'result': 'ok', 'items': 'x'}}},
    {'snapshot': {'result': 'ok', 'vss_writers': {'result': 'ok', 'output': b'\xff\xfe', 'rc': 0}}},
    {'load': {'result': 'ok', 'cpu_percent': 'high', 'memory': [None]}},
    {'connectivity': {'result': 'ok', 'groups': None, 'probes': [], 'proxy': 'x'}},
    {'gathered': 'agent'},
    {'dhcp': {'result': 'maybe'}},
])
def test_malformed_raw_output_gives_error_findings_never_exceptions(garbage):
    result = recorded()
    raw(result).update(garbage)
    findings = findings_of(result)
    assert list(findings) == WINDOWS_CHECKS
    assert all(set(finding) == set(FINDING_KEYS) for finding in findings.values())


@pytest.mark.parametrize('module_result, message', [
    ({'output': [], 'error': []}, 'gather.ps1 returned no facts'),
    ({'output': ['text'], 'error': [{'output': 'Access is denied'}]}, 'gather.ps1 returned no facts: Access is denied'),
    ({'output': 'x'}, 'returned no facts'),
    ({}, 'returned no facts'),
])
def test_a_result_without_facts_says_so(module_result, message):
    facts, problem = windows_facts.facts_from_result(module_result, {})
    assert facts is None and message in problem
