# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of the connectivity cause (article cause 1: the VM has no internet access)."""
from __future__ import absolute_import, division, print_function

import ipaddress

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import PLATFORMS
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import firewall
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import (
    RULES, Error, Skip, finding)

__metaclass__ = type


def _probes(ctx, key):
    observation = ctx.observation('connectivity', key)
    probes = observation.get('probes')
    if not isinstance(probes, list):
        raise Error('facts malformed: connectivity.%s has no probe list' % key)
    return probes


def _describe(probe):
    target = probe.get('name') or '%s:%s' % (probe.get('host'), probe.get('port'))
    return '%s (%s)' % (target, probe.get('error') or 'ok')


@RULES.rule('linux', 'connectivity.wireserver')
def _connectivity_wireserver(ctx):
    probes = _probes(ctx, 'wireserver')
    if not probes:
        raise Skip('no wireserver port to probe')
    evidence = {'probes': probes}
    failed = [probe for probe in probes if not probe.get('ok')]
    if failed:
        return finding('connectivity.wireserver', 'fail', 'TCP to the wireserver fails: %s'
                       % ', '.join(_describe(probe) for probe in failed), evidence,
                       'Allow outbound TCP to %s on ports 80 and 32526 (guest firewall, NSG, '
                       'routes, proxy exclusions).' % failed[0].get('host'))
    return finding('connectivity.wireserver', 'pass', 'TCP to the wireserver succeeds on ports %s'
                   % ', '.join(str(probe.get('port')) for probe in probes), evidence)


@RULES.rule('linux', 'connectivity.imds')
def _connectivity_imds(ctx):
    probes = _probes(ctx, 'imds')
    if not probes:
        raise Skip('no IMDS endpoint to probe')
    failed = [probe for probe in probes if not probe.get('ok')]
    if failed:
        return finding('connectivity.imds', 'warn', 'the instance metadata service is unreachable: %s'
                       % ', '.join(_describe(probe) for probe in failed), {'probes': probes},
                       'The backup does not need IMDS; other tools do. Check routes and firewall '
                       'rules for %s.' % failed[0].get('host'))
    return finding('connectivity.imds', 'pass', 'TCP to the instance metadata service succeeds',
                   {'probes': probes})


def _probe_outcome(probes):
    """('pass' or 'fail', evidence, the failed probes): every endpoint is one the VM's backups need
    (the run or the collection names it for that reason), so one that fails is a fail."""
    failed = [probe for probe in probes if not probe.get('ok')]
    return ('fail' if failed else 'pass'), {'probes': probes}, failed


@RULES.rule('linux', 'connectivity.https')
def _connectivity_https(ctx):
    probes = _probes(ctx, 'https')
    if not probes:
        raise Skip('no HTTPS endpoint configured')
    status, evidence, failed = _probe_outcome(probes)
    if status == 'pass':
        return finding('connectivity.https', 'pass', 'HTTPS (TCP 443 and TLS) works for %d endpoint(s)'
                       % len(probes), evidence)
    summary = 'HTTPS fails for %s' % ', '.join(
        '%s:%s via %s at %s (%s)' % (probe.get('host'), probe.get('port'), probe.get('via'),
                                     probe.get('stage'), probe.get('error')) for probe in failed)
    return finding('connectivity.https', status, summary, evidence,
                   'Allow outbound HTTPS to the Azure Storage and backup endpoints (service tags '
                   'Storage, AzureBackup), directly or through an unauthenticated proxy; a TLS '
                   'verification error means an intercepting proxy or a broken CA store.')


def _dns_finding(ctx, remedy, nameservers=None):
    """connectivity.dns on any OS: a name the backups need that does not resolve is a fail, a warn when a
    proxy resolves the names for the agent."""
    probes = _probes(ctx, 'dns')
    if not probes:
        raise Skip('no HTTPS endpoint name to resolve')
    status, evidence, failed = _probe_outcome(probes)
    if nameservers is not None:
        evidence['nameservers'] = nameservers
    if status == 'pass':
        return finding('connectivity.dns', 'pass', 'every endpoint name resolves', evidence)
    proxy = ctx.section('connectivity').get('proxy') or {}
    summary = 'names do not resolve: %s' % ', '.join(_describe(probe) for probe in failed)
    if proxy.get('effective'):
        status = 'warn'  # through a proxy the proxy resolves the names, not the guest
        summary += ' (a proxy is configured and resolves names itself)'
    return finding('connectivity.dns', status, summary, evidence, remedy)


@RULES.rule('linux', 'connectivity.dns')
def _connectivity_dns(ctx):
    resolvers = ctx.section('connectivity').get('resolvers') or {}
    return _dns_finding(ctx, 'Check /etc/resolv.conf and that the VM can reach its DNS server '
                             '(Azure DNS is 168.63.129.16).', resolvers.get('nameservers'))


@RULES.rule('linux', 'connectivity.proxy')
def _connectivity_proxy(ctx):
    proxy = ctx.observation('connectivity', 'proxy')
    sources = proxy.get('sources') or []
    effective = proxy.get('effective')
    evidence = {'sources': sources, 'effective': effective, 'no_proxy': proxy.get('no_proxy'),
                'probe': proxy.get('probe')}
    configured = [source for source in sources if source.get('key') != 'no_proxy']
    if not configured and not effective:
        return finding('connectivity.proxy', 'info', 'no proxy is configured', evidence)
    with_credentials = [source for source in configured if source.get('has_credentials')]
    if with_credentials:
        return finding('connectivity.proxy', 'fail', 'the proxy setting in %s carries credentials: '
                       'authenticated proxies are not supported by VM backup'
                       % ', '.join(source['source'] for source in with_credentials), evidence,
                       'Use a proxy without authentication for the agent, or exempt the Azure '
                       'endpoints from the proxy.')
    probe = proxy.get('probe')
    if effective and isinstance(probe, dict) and not probe.get('ok'):
        return finding('connectivity.proxy', 'fail', 'the proxy %s:%s (from %s) is unreachable: %s'
                       % (effective.get('host'), effective.get('port'), effective.get('source'),
                           probe.get('error')), evidence,
                       'Fix the proxy or the HttpProxy.Host/HttpProxy.Port settings in /etc/waagent.conf.')
    https = ctx.section('connectivity').get('https') or {}
    refused = [item for item in (https.get('probes') or []) if item.get('via') == 'proxy'
               and item.get('stage') == 'proxy_connect' and '407' in str(item.get('error'))]
    if refused:
        return finding('connectivity.proxy', 'fail', 'the proxy asks for authentication (407), which '
                       'VM backup does not support', evidence)
    targets = sorted(set('%s:%s' % (source.get('host'), source.get('port')) for source in configured
                         if source.get('host') and source.get('key') != 'http_proxy'))
    if len(targets) > 1:
        return finding('connectivity.proxy', 'warn', 'the places that configure a proxy disagree: %s'
                       % '; '.join('%s %s=%s' % (source['source'], source['key'], source.get('value'))
                                   for source in configured), evidence,
                       'Set the same proxy in /etc/waagent.conf (HttpProxy.Host/Port) and in the '
                       'environment (/etc/environment and the agent service).')
    if not effective:
        places = sorted(set(source['source'] for source in configured))
        return finding('connectivity.proxy', 'warn', 'a proxy is configured (%s) but the agent would not '
                       'use it for HTTPS' % ', '.join(places),
                       evidence, 'Set HttpProxy.Host and HttpProxy.Port in /etc/waagent.conf.')
    return finding('connectivity.proxy', 'pass', 'the proxy %s:%s (from %s) is reachable'
                   % (effective.get('host'), effective.get('port'), effective.get('source')), evidence)


@RULES.rule('linux', 'connectivity.route')
def _connectivity_route(ctx):
    route = ctx.observation('connectivity', 'route')
    evidence = dict((key, route.get(key)) for key in ('destination', 'type', 'dev', 'via', 'src', 'output'))
    if route.get('type') in ('unicast', 'local'):
        return finding('connectivity.route', 'pass', 'route to %s via %s dev %s'
                       % (route.get('destination'), route.get('via') or 'link', route.get('dev')), evidence)
    return finding('connectivity.route', 'fail', 'no usable route to %s: %s (%s)'
                   % (route.get('destination'), route.get('type'), route.get('output')), evidence,
                   'Remove the %s route or add a route to the wireserver through the primary NIC\'s '
                   'gateway.' % route.get('type'))


def _firewall_packets(ctx):
    section = ctx.section('connectivity')
    endpoints = section.get('endpoints') or {}
    route = section.get('route') or {}
    device = route.get('dev') if route.get('result') == 'ok' else None
    packets = [firewall.Packet(endpoints.get('wireserver'), port, device, 'wireserver %s:%s'
                               % (endpoints.get('wireserver'), port))
               for port in endpoints.get('wireserver_ports') or []]
    packets.append(firewall.Packet(None, defaults.HTTPS_PORT, None, 'any address:%d' % defaults.HTTPS_PORT))
    for probe in ((section.get('dns') or {}).get('probes') or []):
        for address in (probe.get('addresses') or [])[:4]:
            if ':' not in address:
                packets.append(firewall.Packet(address, defaults.HTTPS_PORT, None, '%s (%s):%d'
                                               % (probe.get('name'), address, defaults.HTTPS_PORT)))
    return packets


@RULES.rule('linux', 'connectivity.firewall')
def _connectivity_firewall(ctx):
    rules = ctx.observation('connectivity', 'firewall')
    if not ctx.section('connectivity').get('endpoints', {}).get('wireserver'):
        raise Error('facts lack the wireserver endpoint')
    packets = _firewall_packets(ctx)
    blocked, uncertain, unread, read = [], [], [], []
    for name, analyse in (('iptables', firewall.iptables_verdict), ('nft', firewall.nft_verdict)):
        observation = rules.get(name) or {}
        if observation.get('result') == 'error':
            unread.append('%s: %s' % (name, observation.get('message')))
            continue
        if observation.get('result') != 'ok' or not observation.get('exists') or not observation.get('output'):
            continue
        read.append(name)
        for packet in packets:
            verdict = analyse(observation['output'], packet)
            uncertain.extend(verdict['uncertain'])
            if verdict['verdict'] != 'accept':
                blocked.append({'ruleset': name, 'packet': packet.label, 'verdict': verdict['verdict'],
                                'rule': verdict['rule']})
    evidence = {'rulesets_read': read, 'blocked': blocked, 'unread': unread,
                'uncertain_rules': sorted(set(uncertain))[:20]}
    if blocked:
        return finding('connectivity.firewall', 'fail', 'the local firewall blocks root\'s traffic: %s'
                       % '; '.join('%s %s by %s' % (item['packet'], item['verdict'], item['rule'])
                                   for item in blocked[:4]), evidence,
                       'Remove the rule, or accept root\'s traffic to the wireserver (ports 80, 32526) '
                       'and to port 443 before it.')
    if unread:
        if not read:
            raise Error('no firewall ruleset could be read: %s' % '; '.join(unread))
        return finding('connectivity.firewall', 'warn', 'the firewall rules could only be read in part: %s'
                       % '; '.join(unread), evidence)
    return finding('connectivity.firewall', 'pass', 'no rule drops root\'s traffic to the wireserver or '
                   'to port 443' + ('' if read else ' (no firewall tool installed)'), evidence)


# -- Windows -------------------------------------------------------------------------------------------------------
# The probe records have the Linux shape (plugin_utils/windows/facts.py), so the judgement is the same.
RULES.rule('windows', 'connectivity.wireserver')(_connectivity_wireserver)
RULES.rule('windows', 'connectivity.imds')(_connectivity_imds)
RULES.rule('windows', 'connectivity.https')(_connectivity_https)
# Address keywords of Windows Firewall whose extent the guest alone cannot resolve.
WINDOWS_PROXY_PLACES = ('winhttp', 'LocalSystem Internet Settings')
FIREWALL_KEYWORDS = ('localsubnet', 'internet', 'intranet', 'dns', 'dhcp', 'wins', 'defaultgateway',
                     'remotecorpnetwork', 'playtodevice', 'captiveportaladdresses')


@RULES.rule('windows', 'connectivity.dns')
def _windows_connectivity_dns(ctx):
    return _dns_finding(ctx, 'Check the adapter\'s DNS servers (Get-DnsClientServerAddress); Azure DNS is '
                             '168.63.129.16.')


@RULES.rule('windows', 'connectivity.proxy')
def _windows_connectivity_proxy(ctx):
    proxy = ctx.observation('connectivity', 'proxy')
    sources = proxy.get('sources') or []
    effective = proxy.get('effective')
    probe = proxy.get('probe')
    evidence = {'sources': sources, 'effective': effective, 'no_proxy': proxy.get('no_proxy'), 'probe': probe,
                'errors': proxy.get('errors')}
    if not sources:
        return finding('connectivity.proxy', 'info', 'no proxy is configured (WinHTTP direct, LocalSystem without '
                       'proxy, no machine HTTPS_PROXY)', evidence)
    remedy = ('Set the same unauthenticated proxy for WinHTTP (netsh winhttp set proxy) and for LocalSystem '
              '(HKEY_USERS\\S-1-5-18 Internet Settings), or none.')
    with_credentials = [source for source in sources if source.get('has_credentials')]
    if with_credentials:
        return finding('connectivity.proxy', 'fail', 'the proxy setting in %s carries credentials: authenticated '
                       'proxies are not supported by VM backup'
                       % ', '.join(source['source'] for source in with_credentials), evidence, remedy)
    if effective and isinstance(probe, dict) and not probe.get('ok'):
        return finding('connectivity.proxy', 'fail', 'the proxy %s:%s (from %s) is unreachable: %s'
                       % (effective.get('host'), effective.get('port'), effective.get('source'), probe.get('error')),
                       evidence, remedy)
    https = ctx.section('connectivity').get('https') or {}
    refused = [item for item in (https.get('probes') or []) if item.get('via') == 'proxy'
               and item.get('stage') == 'proxy_connect' and '407' in str(item.get('error'))]
    if refused:
        return finding('connectivity.proxy', 'fail', 'the proxy asks for authentication (407), which VM backup '
                       'does not support', evidence, remedy)
    targets = sorted(set('%s:%s' % (source.get('host'), source.get('port')) for source in sources
                         if source.get('source') != 'option'))
    places = sorted(set(source['source'] for source in sources if source.get('source') != 'option'))
    # The agent and the extension run as LocalSystem: WinHTTP and LocalSystem's Internet Settings must agree.
    missing = [place for place in WINDOWS_PROXY_PLACES if place not in places]
    if len(targets) > 1 or (places and missing):
        return finding('connectivity.proxy', 'warn', 'the places that configure a proxy for LocalSystem disagree: %s%s'
                       % ('; '.join('%s %s=%s' % (source['source'], source['key'], source.get('value'))
                                    for source in sources), ' (nothing in %s)' % ', '.join(missing) if missing else ''),
                       evidence, remedy)
    if not places:  # only the run's own proxy option
        return finding('connectivity.proxy', 'pass', 'the run\'s proxy %s:%s is reachable'
                       % ((effective or {}).get('host'), (effective or {}).get('port')), evidence)
    return finding('connectivity.proxy', 'pass', 'the proxy %s is set alike in %s and reachable'
                   % (targets[0], ', '.join(places)), evidence)


@RULES.rule('windows', 'connectivity.route')
def _windows_connectivity_route(ctx):
    route = ctx.observation('connectivity', 'route')
    evidence = dict((key, route.get(key)) for key in ('destination', 'found', 'interface_alias', 'next_hop',
                                                      'destination_prefix', 'source_address'))
    if route.get('found'):
        return finding('connectivity.route', 'pass', 'route to %s via %s on %s (%s)' % (
            route.get('destination'), route.get('next_hop'), route.get('interface_alias'),
            route.get('destination_prefix')), evidence)
    return finding('connectivity.route', 'fail', 'no route to %s (Find-NetRoute)' % route.get('destination'),
                   evidence, 'Add a route to the wireserver through the primary adapter\'s gateway, or remove the '
                   'route that hides it.')


def _address_matches(entries, address):
    """True/False when the rule's remote addresses cover ``address`` (None: any address); None when unknown."""
    unknown = False
    for entry in entries or ['Any']:
        entry = str(entry).strip()
        if entry.lower() in ('any', '*'):
            return True
        if entry.lower() in FIREWALL_KEYWORDS:
            unknown = True
            continue
        if address is None:
            continue  # a rule for given addresses does not block every address
        try:
            target = ipaddress.ip_address(address)
            if '-' in entry:
                low, high = (ipaddress.ip_address(part.strip()) for part in entry.split('-', 1))
                if low <= target <= high:
                    return True
            elif target in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            unknown = True
    return None if unknown else False


def _port_matches(entries, port):
    for entry in entries or ['Any']:
        entry = str(entry).strip()
        if entry.lower() == 'any':
            return True
        low, _sep, high = entry.partition('-')
        if low.isdigit() and int(low) <= port <= int(high if high.isdigit() else low):
            return True
    return False


@RULES.rule('windows', 'connectivity.firewall')
def _windows_connectivity_firewall(ctx):
    firewall_facts = ctx.observation('connectivity', 'firewall')
    endpoints = ctx.section('connectivity').get('endpoints') or {}
    wireserver = endpoints.get('wireserver')
    if not wireserver:
        raise Error('facts lack the wireserver endpoint')
    packets = [(wireserver, port, 'wireserver %s:%s' % (wireserver, port))
               for port in endpoints.get('wireserver_ports') or []]
    packets.append((None, defaults.HTTPS_PORT, 'any address:%d' % defaults.HTTPS_PORT))
    blocked, uncertain = [], []
    for rule in firewall_facts.get('rules') or []:
        if str(rule.get('protocol')).lower() not in ('any', 'tcp', '6'):
            continue
        program = str(rule.get('program') or 'Any')
        if program.lower() != 'any' and not program.lower().startswith(('c:\\windowsazure', 'c:\\packages')):
            continue  # a block for another program does not touch the agent or the extension
        for address, port, label in packets:
            if not _port_matches(rule.get('remote_port'), port):
                continue
            covered = _address_matches(rule.get('remote_address'), address)
            if covered:
                blocked.append({'rule': rule.get('display_name') or rule.get('name'), 'packet': label,
                                'remote_address': rule.get('remote_address'), 'remote_port': rule.get('remote_port')})
            elif covered is None:
                uncertain.append({'rule': rule.get('display_name') or rule.get('name'), 'packet': label,
                                  'remote_address': rule.get('remote_address')})
    evidence = {'blocked': blocked[:10], 'uncertain': uncertain[:10], 'block_rules': len(firewall_facts.get('rules') or []),
                'profiles': firewall_facts.get('profiles')}
    if blocked:
        return finding('connectivity.firewall', 'fail', 'Windows Firewall blocks the platform traffic: %s' % '; '.join(
            '%s by rule \'%s\'' % (item['packet'], item['rule']) for item in blocked[:4]), evidence,
            'Disable or narrow the outbound block rule (a block rule wins over every allow rule in Windows Firewall).')
    if uncertain:
        return finding('connectivity.firewall', 'warn', 'outbound block rules with addresses the guest cannot '
                       'resolve may block the platform traffic: %s' % '; '.join(
                           '%s by rule \'%s\' (%s)' % (item['packet'], item['rule'], ', '.join(item['remote_address']))
                           for item in uncertain[:4]), evidence)
    return finding('connectivity.firewall', 'pass', 'no enabled outbound block rule covers the wireserver ports or 443',
                   evidence)


# -- Both, from Azure: the network security groups ----------------------------------------------------------------
# The destinations the backup extension needs, as service tags: Storage, or AzureBackup (the article: "allow
# access to the Azure storage ... using service tags"; checks.md: Storage or AzureBackup, or the Internet).
NSG_DESTINATIONS = ('Storage', 'AzureBackup')
# Prefixes that hold every public Azure address, hence Storage's and AzureBackup's.
NSG_WIDE_PREFIXES = ('*', '0.0.0.0/0', 'internet', 'azurecloud')
# What Azure puts in every NSG when the answer lists no default rules (priorities 65000-65500).
NSG_DEFAULT_OUTBOUND = (
    {'name': 'AllowVnetOutBound', 'priority': 65000, 'direction': 'Outbound', 'access': 'Allow', 'protocol': '*',
     'destinations': ['VirtualNetwork'], 'ports': ['*']},
    {'name': 'AllowInternetOutBound', 'priority': 65001, 'direction': 'Outbound', 'access': 'Allow', 'protocol': '*',
     'destinations': ['Internet'], 'ports': ['*']},
    {'name': 'DenyAllOutBound', 'priority': 65500, 'direction': 'Outbound', 'access': 'Deny', 'protocol': '*',
     'destinations': ['*'], 'ports': ['*']},
)


def _nsg_port(ranges, port=defaults.HTTPS_PORT):
    for value in ranges or []:
        text = str(value).strip()
        if text in ('*', 'Any'):
            return True
        low, _dash, high = text.partition('-')
        try:
            if int(low) <= port <= int(high or low):
                return True
        except ValueError:
            continue
    return False


def _nsg_destination(prefixes, tag, region):
    """True when a rule's destination prefixes hold the service tag ``tag`` (in the VM's ``region``). Address
    prefixes other than 0.0.0.0/0 are not matched: Storage's address ranges are not known here."""
    for prefix in prefixes or []:
        text = str(prefix).replace(' ', '').lower()
        name, _dot, tag_region = text.partition('.')
        if text in NSG_WIDE_PREFIXES or name == tag.lower() and (not tag_region or not region or tag_region == region):
            return True
        if name == 'azurecloud' and (not region or tag_region == region):
            return True
    return False


def nsg_verdict(nsg, tag, region=None):
    """The rule of ``nsg`` that decides outbound TCP 443 to ``tag``: {nsg, scope, rule, priority, access}."""
    rules = list(nsg.get('rules') or []) + list(nsg.get('default_rules') or NSG_DEFAULT_OUTBOUND)
    for rule in sorted(rules, key=lambda item: item.get('priority') if isinstance(item.get('priority'), int) else 0):
        if ((rule.get('direction') or '').lower() == 'outbound'
                and str(rule.get('protocol') or '*').lower() in ('*', 'tcp', 'any')
                and _nsg_port(rule.get('ports')) and _nsg_destination(rule.get('destinations'), tag, region)):
            return {'nsg': nsg.get('name'), 'scope': nsg.get('scope'), 'rule': rule.get('name'),
                    'priority': rule.get('priority'), 'access': rule.get('access')}
    return {'nsg': nsg.get('name'), 'scope': nsg.get('scope'), 'rule': None, 'priority': None, 'access': 'Allow'}


@RULES.rule(PLATFORMS, 'connectivity.nsg')
def _connectivity_nsg(ctx):
    network = ctx.azure('network')
    region = ((ctx.facts['azure'].get('vm') or {}).get('location') or '').replace(' ', '').lower() or None
    nsgs = network.get('nsgs') or []
    if not network.get('primary_nic'):
        raise Skip('Azure lists no network interface for the VM')
    if not nsgs:
        return finding('connectivity.nsg', 'pass', 'no network security group on the primary NIC or its subnet',
                       {'primary_nic': network.get('primary_nic'), 'nsgs': []})
    verdicts = dict((tag, [nsg_verdict(nsg, tag, region) for nsg in nsgs]) for tag in NSG_DESTINATIONS)
    evidence = {'primary_nic': network.get('primary_nic'), 'region': region,
                'nsgs': [{'id': nsg.get('id'), 'scope': nsg.get('scope')} for nsg in nsgs], 'verdicts': verdicts}
    open_tags = [tag for tag in NSG_DESTINATIONS
                 if all((item['access'] or '').lower() == 'allow' for item in verdicts[tag])]
    if open_tags:
        deciding = verdicts[open_tags[0]]
        return finding('connectivity.nsg', 'pass', 'outbound TCP 443 to %s is allowed (%s)' % (open_tags[0], ', '.join(
            '%s NSG %s: %s' % (item['scope'], item['nsg'], item['rule'] or 'no rule applies') for item in deciding)),
            evidence)
    denials = []
    for tag in NSG_DESTINATIONS:
        for item in verdicts[tag]:
            if (item['access'] or '').lower() != 'allow':
                denials.append('%s NSG %s rule %s (priority %s) denies outbound TCP 443 to %s' % (
                    item['scope'], item['nsg'], item['rule'], item['priority'], tag))
    return finding('connectivity.nsg', 'fail', '; '.join(denials), evidence,
                   'Add an outbound rule allowing TCP 443 to the Storage (or AzureBackup) service tag of the VM\'s '
                   'region, with a higher priority (lower number) than the rule that denies it '
                   '(ExtensionSnapshotFailedNoNetwork).')
