# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Windows fixes change (plugins/plugin_utils/windows/fixes.py), from facts normalized from the recorded
win_powershell result (fixtures/windows/win_powershell-healthy.json) changed the way a fault would."""
from __future__ import absolute_import, division, print_function

import json
import os
import re

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import engine
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.windows import facts as windows_facts
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.windows import fixes

__metaclass__ = type

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, 'fixtures', 'windows')


def raw():
    with open(os.path.join(FIXTURES, 'win_powershell-healthy.json')) as handle:
        return json.load(handle)['output'][0]


def facts_of(output):
    facts, problem = windows_facts.facts_from_result({'output': [output]}, {})
    assert problem is None
    return facts


def status(facts, check):
    return dict((finding['check'], finding['status']) for finding in engine.evaluate(facts))[check]


# -- VSS writers ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('writer, service', [
    ('SqlServerWriter', 'SQLWriter'), ('System Writer', 'CryptSvc'), ('Registry Writer', 'VSS'),
    ('COM+ REGDB Writer', 'VSS'), ('Shadow Copy Optimization Writer', 'VSS'), ('WMI Writer', 'Winmgmt'),
    ('IIS Metabase Writer', 'IISADMIN'), ('Microsoft Hyper-V VSS Writer', 'vmms'), ('NTDS', 'NTDS'),
    ('DHCP Jet Writer', 'DHCPServer'), ('FRS Writer', 'NtFrs'), ('ASR Writer', 'VSS'), ('BITS Writer', 'BITS'),
    ('sqlserverwriter', 'SQLWriter'), ('Cluster Service Writer', None), ('Some Vendor Writer', None)])
def test_the_service_of_each_writer(writer, service):
    assert fixes.writer_service(writer) == service


def test_failed_writers_give_their_services_once_and_unknown_writers_apart():
    output = raw()
    with open(os.path.join(FIXTURES, 'vssadmin-list-writers-failed.txt')) as handle:
        output['snapshot']['vss_writers']['output'] = handle.read() + (
            "\nWriter name: 'Registry Writer'\n   State: [7] Failed\n   Last error: Retryable error\n"
            "\nWriter name: 'COM+ REGDB Writer'\n   State: [9] Failed\n   Last error: Timed out\n"
            "\nWriter name: 'Contoso Writer'\n   State: [8] Failed\n   Last error: Non-retryable error\n")
    facts = facts_of(output)
    assert status(facts, 'snapshot.vss') == 'fail'
    plan = fixes.vss_writer_restarts(facts)
    assert plan == {'services': ['SQLWriter', 'VSS'], 'unknown': ['Contoso Writer'],
                    'writers': ['SqlServerWriter', 'Registry Writer', 'COM+ REGDB Writer', 'Contoso Writer']}


def test_stable_writers_restart_nothing():
    assert fixes.vss_writer_restarts(facts_of(raw())) == {'services': [], 'writers': [], 'unknown': []}


def test_unreadable_writers_are_an_error_not_an_empty_plan():
    output = raw()
    output['snapshot']['vss_writers'] = {'result': 'error', 'message': 'vssadmin timed out'}
    with pytest.raises(fixes.FixError, match='vssadmin timed out'):
        fixes.vss_writer_restarts(facts_of(output))


def test_vss_services_are_started_and_a_disabled_one_made_manual():
    output = raw()
    output['snapshot']['services']['COMSysApp']['start_mode'] = 'Disabled'
    output['snapshot']['services']['MSDTC']['present'] = False
    facts = facts_of(output)
    assert status(facts, 'snapshot.vss') == 'fail'
    assert fixes.vss_service_settings(facts) == {
        'services': [{'name': 'VSS', 'state': 'started'},
                     {'name': 'COMSysApp', 'state': 'started', 'start_mode': 'manual'}],
        'missing': ['MSDTC']}


# -- proxy ------------------------------------------------------------------------------------------------------------
def test_the_proxy_for_winhttp_and_localsystem():
    assert fixes.proxy_settings('http://proxy.corp.example:3128') == {
        'proxy': 'proxy.corp.example:3128', 'bypass': ['168.63.129.16', '169.254.169.254', '<local>']}
    assert fixes.proxy_settings('10.0.0.9', '10.213.0.2', '10.213.0.3')['proxy'] == '10.0.0.9:80'


@pytest.mark.parametrize('url, message', [
    ('http://user:secret@proxy:3128', 'credentials'), ('http://user@proxy:3128', 'credentials'),
    ('https://proxy:3128', 'http://host:port'), ('socks5://proxy:1080', 'http://host:port'),
    ('', 'http://host:port'), ('http://proxy:notaport', 'http://host:port')])
def test_a_proxy_with_credentials_or_another_scheme_is_refused(url, message):
    with pytest.raises(fixes.FixError, match=re.escape(message)):
        fixes.proxy_settings(url)


# -- firewall ---------------------------------------------------------------------------------------------------------
def _rule(name, **values):
    rule = {'name': name, 'display_name': 'Rule ' + name, 'profile': 'Any', 'remote_address': ['Any'],
            'protocol': 'Any', 'remote_port': ['Any'], 'program': 'Any'}
    rule.update(values)
    return rule


def test_only_block_rules_that_surely_cover_the_platform_traffic_are_disabled():
    output = raw()
    output['connectivity']['firewall']['rules'] = [
        _rule('{wire}', remote_address=['168.63.129.16'], remote_port=['80', '32526'], protocol='TCP'),
        _rule('{range}', remote_address=['168.63.0.0-168.63.255.255'], remote_port=['32526']),
        _rule('{https}', remote_port=['443'], protocol='6'),
        _rule('{udp}', protocol='UDP'),
        _rule('{other-program}', program='C:\\Tools\\app.exe'),
        _rule('{agent-program}', program='C:\\WindowsAzure\\GuestAgent_2.7\\WindowsAzureGuestAgent.exe',
              remote_address=['168.63.129.16/32']),
        _rule('{elsewhere}', remote_address=['10.9.0.0/16']),
        _rule('{subnet}', remote_address=['LocalSubnet'], remote_port=['80']),
    ]
    facts = facts_of(output)
    assert status(facts, 'connectivity.firewall') == 'fail'
    plan = fixes.firewall_rules_to_disable(facts)
    assert [rule['name'] for rule in plan['rules']] == ['{wire}', '{range}', '{https}', '{agent-program}']
    assert plan['rules'][0]['packets'] == ['wireserver 168.63.129.16:80', 'wireserver 168.63.129.16:32526']
    assert plan['rules'][2]['packets'] == ['any address:443']
    assert plan['uncertain'] == ['Rule {subnet}']


def test_no_block_rule_disables_nothing():
    assert fixes.firewall_rules_to_disable(facts_of(raw())) == {'rules': [], 'uncertain': []}


# -- route ------------------------------------------------------------------------------------------------------------
def test_a_missing_route_goes_through_the_primary_gateway_or_the_given_one():
    output = raw()
    output['connectivity']['route'] = {'result': 'ok', 'destination': '168.63.129.16', 'found': False}
    facts = facts_of(output)
    assert status(facts, 'connectivity.route') == 'fail'
    assert fixes.route_plan(facts) == {'destination': '168.63.129.16/32', 'gateway': '10.1.0.1', 'state': 'present'}
    assert fixes.route_plan(facts, '10.1.0.254')['gateway'] == '10.1.0.254'
    with pytest.raises(fixes.FixError, match='IPv4'):
        fixes.route_plan(facts, 'gw.example')
    output['dhcp']['primary_interface'] = {'result': 'ok', 'interface_index': None, 'next_hop': None}
    with pytest.raises(fixes.FixError, match='connectivity_route_gateway'):
        fixes.route_plan(facts_of(output))


def test_an_existing_route_is_left_alone():
    assert fixes.route_plan(facts_of(raw())) is None


# -- DHCP rollback ----------------------------------------------------------------------------------------------------
CURRENT = {'interface_index': 6, 'addresses': [{'ip': '10.1.0.5', 'prefix_length': 24}], 'gateway': '10.1.0.1',
           'dns_servers': ['10.1.0.10', '168.63.129.16']}


def _static():
    output = raw()
    output['dhcp']['primary_interface']['dhcp'] = 'Disabled'
    return facts_of(output)


def test_the_rollback_restores_the_saved_static_configuration():
    facts = _static()
    assert status(facts, 'snapshot.dhcp') == 'fail'
    plan = fixes.dhcp_rollback_plan(facts, CURRENT, 180)
    assert plan['interface_index'] == 6 and plan['interface_alias'] == 'Ethernet' and plan['timeout'] == 180
    assert plan['restore_script'].splitlines() == [
        'Set-NetIPInterface -InterfaceIndex 6 -AddressFamily IPv4 -Dhcp Disabled',
        'Get-NetIPAddress -InterfaceIndex 6 -AddressFamily IPv4 -ErrorAction SilentlyContinue | '
        'Remove-NetIPAddress -Confirm:$false',
        'Get-NetRoute -InterfaceIndex 6 -DestinationPrefix 0.0.0.0/0 -ErrorAction SilentlyContinue | '
        'Remove-NetRoute -Confirm:$false',
        'New-NetIPAddress -InterfaceIndex 6 -AddressFamily IPv4 -IPAddress 10.1.0.5 -PrefixLength 24 '
        '-DefaultGateway 10.1.0.1',
        "Set-DnsClientServerAddress -InterfaceIndex 6 -ServerAddresses '10.1.0.10','168.63.129.16'",
        "Unregister-ScheduledTask -TaskName 'snapshot-doctor-dhcp-rollback' -Confirm:$false"]
    assert plan['apply_script'].splitlines() == ['netsh.exe interface ipv4 set address name=6 source=dhcp',
                                                 'netsh.exe interface ipv4 set dnsservers name=6 source=dhcp']


def test_a_second_address_and_no_dns_servers():
    current = dict(CURRENT, addresses=CURRENT['addresses'] + [{'ip': '10.1.0.6', 'prefix_length': 24}],
                   dns_servers=[])
    lines = fixes.dhcp_rollback_plan(_static(), current, 60)['restore_script'].splitlines()
    assert lines[4] == 'New-NetIPAddress -InterfaceIndex 6 -AddressFamily IPv4 -IPAddress 10.1.0.6 -PrefixLength 24'
    assert lines[5] == 'Set-DnsClientServerAddress -InterfaceIndex 6 -ResetServerAddresses'


def test_dhcp_already_on_needs_no_rollback():
    assert fixes.dhcp_rollback_plan(facts_of(raw()), CURRENT, 180) is None


@pytest.mark.parametrize('current, timeout, message', [
    (dict(CURRENT, interface_index=7), 180, 'diagnosis names 6'),
    (dict(CURRENT, addresses=[]), 180, 'no IPv4 address'),
    (dict(CURRENT, addresses=[{'ip': '10.1.0.5; Restart-Computer', 'prefix_length': 24}]), 180, 'not an IPv4'),
    (dict(CURRENT, gateway='10.1.0.1 -Force'), 180, 'not an IPv4'),
    (dict(CURRENT, dns_servers=["x'; rm"]), 180, 'not an IPv4'),
    (dict(CURRENT, addresses=[{'ip': '10.1.0.5', 'prefix_length': 33}]), 180, 'prefix'),
    (CURRENT, 29, 'timeout'), (CURRENT, 3601, 'timeout')])
def test_the_rollback_refuses_what_it_cannot_restore_safely(current, timeout, message):
    with pytest.raises(fixes.FixError, match=message):
        fixes.dhcp_rollback_plan(_static(), current, timeout)


# -- the action that hands the plans to the roles ---------------------------------------------------------------------
def test_the_action_computes_each_fix_and_fails_with_the_reason():
    from ansible.errors import AnsibleActionFail
    from ansible_collections.azure_backup.snapshot_doctor.plugins.action import windows_fix_plan as action

    def args(**values):
        result = dict((name, spec.get('default')) for name, spec in action.ARGUMENT_SPEC.items())
        result.update(values)
        return result

    assert sorted(action.FIXES) == sorted(action.ARGUMENT_SPEC['fix']['choices'])
    facts = _static()
    assert action.compute(args(fix='dhcp_rollback', facts=facts, current=CURRENT))['interface_index'] == 6
    assert action.compute(args(fix='route', facts=facts)) is None
    assert action.compute(args(fix='proxy', proxy_url='http://p:3128', wireserver='10.213.0.2'))['bypass'][0] == \
        '10.213.0.2'
    assert action.compute(args(fix='vss_services', facts=facts))['missing'] == []
    assert action.compute(args(fix='vss_writer_restart', facts=facts))['services'] == []
    assert action.compute(args(fix='firewall', facts=facts))['rules'] == []
    module = action.ActionModule.__new__(action.ActionModule)
    with pytest.raises(AnsibleActionFail, match='^proxy: .*credentials'):
        module.act(args(fix='proxy', proxy_url='http://a:b@p:3128'))
    assert module.act(args(fix='route', facts=facts)) == {'plan': None, 'changed': False}
