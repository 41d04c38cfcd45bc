# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Windows fixes change, computed on the controller from the diagnosis facts. Pure Python.

The roles' Windows task files run ansible.windows modules (and short win_powershell scripts) with the values
computed here, through the action ``windows_fix_plan``: which service belongs to a failed VSS writer, which
Windows Firewall rules block the wireserver, the route to add, the proxy to set, and the rollback of the DHCP
switch (the saved static configuration and the PowerShell that restores it).
"""
from __future__ import absolute_import, division, print_function

import ipaddress
import re

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import parse_proxy_url
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.rules.connectivity import (
    _address_matches, _port_matches)

__metaclass__ = type

# The service that hosts each in-box VSS writer, by the writer name `vssadmin list writers` prints.
# Sources: Microsoft Learn "In-Box VSS Writers" (learn.microsoft.com/windows/win32/vss/in-box-vss-writers: the
# service of each writer), "SQL Writer Service" (learn.microsoft.com/sql/database-engine/configure-windows/
# sql-writer-service: SQLWriter), and the "ExtensionFailedVssWriterInBadState" fix of the VM backup
# troubleshooting article (restart the writer's service, e.g. `net stop/start sqlwriter`). The Registry,
# COM+ REGDB, Shadow Copy Optimization and ASR writers run inside the VSS service itself. Writers left out on
# purpose (a person restarts them): the Cluster Service Writer (restarting ClusSvc fails the node over).
VSS_WRITER_SERVICES = {
    'SqlServerWriter': 'SQLWriter',
    'System Writer': 'CryptSvc',
    'Registry Writer': 'VSS',
    'COM+ REGDB Writer': 'VSS',
    'Shadow Copy Optimization Writer': 'VSS',
    'ASR Writer': 'VSS',
    'WMI Writer': 'Winmgmt',
    'IIS Metabase Writer': 'IISADMIN',
    'IIS Config Writer': 'AppHostSvc',
    'Microsoft Hyper-V VSS Writer': 'vmms',
    'NTDS': 'NTDS',
    'DHCP Jet Writer': 'DHCPServer',
    'FRS Writer': 'NtFrs',
    'DFS Replication service writer': 'DFSR',
    'BITS Writer': 'BITS',
    'WINS Jet Writer': 'WINS',
    'Certificate Authority': 'CertSvc',
    'TermServLicensing': 'TermServLicensing',
    'MSSearch Service Writer': 'WSearch',
}
# Services of the snapshot check snapshot.vss; Windows ships all three as Manual (they start on demand).
VSS_SERVICES = ('VSS', 'COMSysApp', 'MSDTC')
# The restore task of the DHCP switch (Task Scheduler root folder).
DHCP_ROLLBACK_TASK = 'snapshot-doctor-dhcp-rollback'
MIN_ROLLBACK_SECONDS, MAX_ROLLBACK_SECONDS = 30, 3600


class FixError(ValueError):
    """The facts or the options do not allow the fix; the message says why."""


def _section(facts, name):
    section = (facts or {}).get(name)
    if not isinstance(section, dict) or section.get('result') != 'ok':
        raise FixError('the diagnosis has no %s facts (%s)' % (name, (section or {}).get('message', 'not gathered')))
    return section


def _observation(facts, section, name):
    value = _section(facts, section).get(name)
    if not isinstance(value, dict) or value.get('result') != 'ok':
        raise FixError('the diagnosis could not read %s.%s: %s' % (section, name, (value or {}).get('message')))
    return value


# -- snapshot -------------------------------------------------------------------------------------------------------
def writer_service(name):
    """The service of a VSS writer (case-insensitive name), or None for a writer not in the map."""
    wanted = str(name).strip().lower()
    for writer, service in VSS_WRITER_SERVICES.items():
        if writer.lower() == wanted:
            return service
    return None


def vss_writer_restarts(facts):
    """{'services': services to restart (once each, sorted), 'writers': failed writers, 'unknown': writers
    without a known service}. A writer fails when its state is not [1] Stable, as in the check snapshot.vss."""
    writers = _observation(facts, 'snapshot', 'vss_writers').get('writers') or []
    failed = [writer.get('name') for writer in writers if writer.get('state_code') != 1]
    services = sorted(set(writer_service(name) for name in failed if writer_service(name)), key=str.lower)
    return {'services': services, 'writers': failed, 'unknown': [name for name in failed if not writer_service(name)]}


def vss_service_settings(facts):
    """win_service arguments that make VSS, COMSysApp and MSDTC usable: started, and Manual when disabled.

    A missing service cannot be created here: it is listed in 'missing'."""
    services = _section(facts, 'snapshot').get('services') or {}
    settings, missing = [], []
    for name in VSS_SERVICES:
        record = services.get(name) or {}
        if record.get('result') != 'ok':
            raise FixError('service %s could not be read: %s' % (name, record.get('message') or 'not gathered'))
        if not record.get('present'):
            missing.append(name)
            continue
        setting = {'name': name, 'state': 'started'}
        if record.get('start_mode') == 'Disabled':
            setting['start_mode'] = 'manual'  # the Windows default of all three
        settings.append(setting)
    return {'services': settings, 'missing': missing}


# -- connectivity ---------------------------------------------------------------------------------------------------
def proxy_settings(url, wireserver=defaults.WIRESERVER_ADDRESS, imds=defaults.IMDS_ADDRESS):
    """The proxy for win_http_proxy and win_inet_proxy from ``http://host:port``; refuses credentials."""
    parsed = parse_proxy_url(url)
    if parsed is None or parsed['scheme'] != 'http':
        raise FixError('the proxy must be http://host:port, got %r' % (url if not parsed else parsed['scheme']))
    if parsed['has_credentials']:
        raise FixError('the proxy URL carries credentials: VM backup does not support authenticated proxies')
    host = '[%s]' % parsed['host'] if ':' in parsed['host'] else parsed['host']
    # The agent talks to the wireserver and IMDS directly; <local> keeps intranet names direct too.
    return {'proxy': '%s:%d' % (host, parsed['port']), 'bypass': [wireserver, imds, '<local>']}


def firewall_rules_to_disable(facts):
    """The enabled outbound block rules that surely cover the wireserver's ports or TCP 443 (the same matching as
    the check connectivity.firewall; a rule whose addresses the guest cannot resolve is left to a person).

    {'rules': [{name, display_name, packets}], 'uncertain': [display names]}."""
    connectivity = _section(facts, 'connectivity')
    firewall = _observation(facts, 'connectivity', 'firewall')
    endpoints = connectivity.get('endpoints') or {}
    wireserver = endpoints.get('wireserver')
    if not wireserver:
        raise FixError('the diagnosis lacks the wireserver endpoint')
    packets = [(wireserver, int(port), 'wireserver %s:%s' % (wireserver, port))
               for port in endpoints.get('wireserver_ports') or []]
    packets.append((None, defaults.HTTPS_PORT, 'any address:%d' % defaults.HTTPS_PORT))
    rules, uncertain = [], []
    for rule in firewall.get('rules') or []:
        if str(rule.get('protocol')).lower() not in ('any', 'tcp', '6'):
            continue
        program = str(rule.get('program') or 'Any').lower()
        if program != 'any' and not program.startswith(('c:\\windowsazure', 'c:\\packages')):
            continue
        covered = [label for address, port, label in packets if _port_matches(rule.get('remote_port'), port)
                   and _address_matches(rule.get('remote_address'), address)]
        unknown = [label for address, port, label in packets if _port_matches(rule.get('remote_port'), port)
                   and _address_matches(rule.get('remote_address'), address) is None]
        if covered:
            if not rule.get('name'):
                raise FixError('block rule %r has no Name to disable it by' % rule.get('display_name'))
            rules.append({'name': rule['name'], 'display_name': rule.get('display_name'), 'packets': covered})
        elif unknown:
            uncertain.append(rule.get('display_name') or rule.get('name'))
    return {'rules': rules, 'uncertain': uncertain}


def route_plan(facts, gateway=''):
    """win_route's arguments for a host route to the wireserver, or None when a route exists.

    The next hop is ``gateway`` when given, else the gateway of the primary interface's default route."""
    route = _observation(facts, 'connectivity', 'route')
    if route.get('found'):
        return None
    destination = route.get('destination') or ((facts.get('connectivity') or {}).get('endpoints') or {}).get('wireserver')
    if not gateway:
        primary = (facts.get('dhcp') or {}).get('primary_interface') or {}
        gateway = primary.get('next_hop') or ''
    if not gateway:
        raise FixError('no gateway for the route to %s: the host has no default route; set connectivity_route_gateway'
                       % destination)
    try:
        ipaddress.IPv4Address(str(gateway))
        ipaddress.IPv4Address(str(destination))
    except ValueError as exc:
        raise FixError('the route needs IPv4 addresses: %s' % exc)
    return {'destination': '%s/32' % destination, 'gateway': str(gateway), 'state': 'present'}


# -- DHCP with a rollback ------------------------------------------------------------------------------------------
def _ipv4(value, what):
    try:
        return str(ipaddress.IPv4Address(str(value).strip()))
    except ValueError:
        raise FixError('%s is not an IPv4 address: %r' % (what, value))


def dhcp_rollback_plan(facts, current, timeout):
    """The static configuration to restore and the PowerShell that restores it, for the primary interface.

    ``facts``: the diagnosis facts (dhcp.primary_interface); ``current``: what the host reads just before the
    change for that interface ({interface_index, addresses: [{ip, prefix_length}], gateway, dns_servers}).
    Returns None when the interface already uses DHCP. The values are validated here, so the script carries
    only addresses and numbers."""
    timeout = int(timeout)
    if not MIN_ROLLBACK_SECONDS <= timeout <= MAX_ROLLBACK_SECONDS:
        raise FixError('the rollback timeout must be %d..%d seconds, got %d'
                       % (MIN_ROLLBACK_SECONDS, MAX_ROLLBACK_SECONDS, timeout))
    primary = _observation(facts, 'dhcp', 'primary_interface')
    if primary.get('dhcp') == 'Enabled':
        return None
    index = primary.get('interface_index')
    if not isinstance(index, int) or isinstance(index, bool):
        raise FixError('the primary interface is unknown (no default route): nothing to switch')
    current = current or {}
    if current.get('interface_index') != index:
        raise FixError('the host read interface %r, the diagnosis names %r' % (current.get('interface_index'), index))
    addresses = []
    for item in current.get('addresses') or []:
        prefix = item.get('prefix_length')
        if not isinstance(prefix, int) or not 0 < prefix <= 32:
            raise FixError('bad prefix length %r' % prefix)
        addresses.append({'ip': _ipv4(item.get('ip'), 'address'), 'prefix_length': prefix})
    if not addresses:
        raise FixError('interface %d has no IPv4 address to restore' % index)
    gateway = _ipv4(current['gateway'], 'gateway') if current.get('gateway') else None
    dns = [_ipv4(server, 'DNS server') for server in current.get('dns_servers') or []]
    lines = ['Set-NetIPInterface -InterfaceIndex %d -AddressFamily IPv4 -Dhcp Disabled' % index,
             'Get-NetIPAddress -InterfaceIndex %d -AddressFamily IPv4 -ErrorAction SilentlyContinue | '
             'Remove-NetIPAddress -Confirm:$false' % index,
             'Get-NetRoute -InterfaceIndex %d -DestinationPrefix 0.0.0.0/0 -ErrorAction SilentlyContinue | '
             'Remove-NetRoute -Confirm:$false' % index]
    for number, address in enumerate(addresses):
        line = 'New-NetIPAddress -InterfaceIndex %d -AddressFamily IPv4 -IPAddress %s -PrefixLength %d' % (
            index, address['ip'], address['prefix_length'])
        if gateway and number == 0:
            line += ' -DefaultGateway %s' % gateway
        lines.append(line)
    if dns:
        lines.append('Set-DnsClientServerAddress -InterfaceIndex %d -ServerAddresses %s'
                     % (index, ','.join("'%s'" % server for server in dns)))
    else:
        lines.append('Set-DnsClientServerAddress -InterfaceIndex %d -ResetServerAddresses' % index)
    lines.append("Unregister-ScheduledTask -TaskName '%s' -Confirm:$false" % DHCP_ROLLBACK_TASK)
    # netsh's `source=dhcp` drops the static addresses and gateway of the interface (the check's documented remedy).
    apply_script = ('netsh.exe interface ipv4 set address name=%d source=dhcp\n'
                    'netsh.exe interface ipv4 set dnsservers name=%d source=dhcp\n' % (index, index))
    return {'interface_index': index, 'interface_alias': primary.get('interface_alias'), 'addresses': addresses,
            'gateway': gateway, 'dns_servers': dns, 'timeout': timeout, 'task_name': DHCP_ROLLBACK_TASK,
            'restore_script': '\n'.join(lines) + '\n', 'apply_script': apply_script}


# -- collect_logs: the host's redaction mirrors module_utils/redact.py ---------------------------------------------
def powershell_patterns(script):
    """The single-quoted regex strings of a ``$Patterns = @(...)`` block of a PowerShell script, for the tests."""
    block = re.search(r'\$Patterns\s*=\s*@\((.*?)\n\s*\)', script, re.S)
    if not block:
        raise FixError('no $Patterns block in the script')
    return [value.replace("''", "'") for value in re.findall(r"'((?:[^']|'')*)'", block.group(1))]
