# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From gathered facts (docs/facts.md) to exactly one finding per catalog check. Pure Python.

Runs on the controller. ``evaluate`` never raises: facts it cannot use give `error` findings
with the reason, a check whose facts were skipped (offline mode, section not gathered, non-Azure
host) gives `skip`, and control-plane checks are `skip` until the control-plane stage exists.
"""
from __future__ import absolute_import, division, print_function

import fnmatch
import re

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import (
    PLATFORMS, checks_for)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import (
    error_finding, make_finding, skip_finding)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import firewall
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import conf_switch
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.version import version_at_least

__metaclass__ = type

DEFAULT_OPTIONS = {
    'assume_azure': False,
    'min_agent_version': defaults.MIN_LINUX_AGENT_VERSION,
    'min_extension_version': defaults.MIN_LINUX_EXTENSION_VERSION,
    'load_threshold_percent': defaults.LOAD_THRESHOLD_PERCENT,
    'transitioning_minutes': defaults.STALE_TRANSITIONING_MINUTES,
}
CONTROL_PLANE_MESSAGE = 'needs the control plane (Azure API access), not evaluated from the guest'

# waagent.log lines that a healthy guest shows outside Azure or in transient conditions: they
# are listed as info, never a warning on their own. Each pattern is a regex searched in the text.
KNOWN_LOG_ARTEFACTS = (
    ('dmidecode missing', r'dmidecode.*not found|not found.*dmidecode'),
    ('no route to the wireserver (lab or early boot)', r'No route exists to \d+\.\d+\.\d+\.\d+'),
    ('IMDS unreachable', r'\bIMDS\b|169\.254\.169\.254|[Ii]nstance [Mm]etadata'),
    ('no DHCP client process', r'Dhcp client is not running'),
    # Provisioning.Agent=cloud-init on an image without cloud-init: provisioning only, not backup.
    ('cloud-init not enabled', r'cloud-init does not appear to be enabled'),
)
# systemd unit file states that start the unit at boot.
ENABLED_STATES = ('enabled', 'enabled-runtime', 'generated', 'alias', 'indirect')
RESTARTING_POLICIES = ('always', 'on-failure', 'on-abnormal', 'on-abort', 'on-watchdog')
# Azure names the primary NIC eth0 on its Linux images: offline, there is no route table to ask.
OFFLINE_PRIMARY_INTERFACE = 'eth0'
MAX_EXCERPT_LINES = 10


class _Skip(Exception):
    """The check does not apply; the message says why."""


class _Error(Exception):
    """The check cannot be determined; the message says why."""


def _need(container, key, what=None):
    """``container[key]`` as an observation that worked; _Skip/_Error for skip/error/missing."""
    what = what or key
    if not isinstance(container, dict):
        raise _Error('facts malformed: %s is not a mapping' % what)
    value = container.get(key)
    if not isinstance(value, dict):
        raise _Error('facts lack %s' % what)
    result = value.get('result')
    if result == 'skip':
        raise _Skip('%s skipped: %s' % (what, value.get('message') or 'no reason given'))
    if result == 'error':
        raise _Error('%s could not be gathered: %s' % (what, value.get('message') or 'unknown error'))
    if result != 'ok':
        raise _Error('facts malformed: %s has result %r' % (what, result))
    return value


class _Context:
    def __init__(self, facts, options):
        self.facts = facts
        self.options = options

    def section(self, name):
        if name not in (self.facts.get('gathered') or [name]) and name not in self.facts:
            raise _Skip('section %s was not gathered' % name)
        return _need(self.facts, name, 'section %s' % name)

    def observation(self, section, key):
        return _need(self.section(section), key, '%s.%s' % (section, key))


def _finding(check_id, status, summary, evidence=None, remedy=None):
    return make_finding(check_id, status, summary, evidence=evidence, remedy=remedy)


# -- platform -----------------------------------------------------------------------------------------
def _platform_azure(ctx):
    platform = ctx.section('platform')
    dmi = platform.get('dmi') or {}
    evidence = dict((key, dmi.get(key)) for key in ('sys_vendor', 'product_name', 'chassis_asset_tag'))
    if platform.get('azure_dmi') is True:
        return _finding('platform.azure', 'pass', 'the DMI identity is Azure\'s', evidence)
    if ctx.options['assume_azure']:
        return _finding('platform.azure', 'pass', 'treated as an Azure VM (assume_azure)', evidence)
    if dmi.get('result') == 'skip':
        raise _Skip('DMI not read: %s' % dmi.get('message'))
    if dmi.get('result') == 'error':
        evidence['dmi_error'] = dmi.get('message')
        return _finding('platform.azure', 'info', 'not recognised as an Azure VM (DMI identity unreadable): '
                        'platform probes are skipped', evidence)
    return _finding('platform.azure', 'info', 'not an Azure VM by DMI: platform probes are skipped', evidence)


# -- connectivity -----------------------------------------------------------------------------------
def _probes(ctx, key):
    observation = ctx.observation('connectivity', key)
    probes = observation.get('probes')
    if not isinstance(probes, list):
        raise _Error('facts malformed: connectivity.%s has no probe list' % key)
    return probes


def _describe(probe):
    target = probe.get('name') or '%s:%s' % (probe.get('host'), probe.get('port'))
    return '%s (%s)' % (target, probe.get('error') or 'ok')


def _connectivity_wireserver(ctx):
    probes = _probes(ctx, 'wireserver')
    if not probes:
        raise _Skip('no wireserver port to probe')
    evidence = {'probes': probes}
    failed = [probe for probe in probes if not probe.get('ok')]
    if failed:
        return _finding('connectivity.wireserver', 'fail', 'TCP to the wireserver fails: %s'
                        % ', '.join(_describe(probe) for probe in failed), evidence,
                        'Allow outbound TCP to %s on ports 80 and 32526 (guest firewall, NSG, '
                        'routes, proxy exclusions).' % failed[0].get('host'))
    return _finding('connectivity.wireserver', 'pass', 'TCP to the wireserver succeeds on ports %s'
                    % ', '.join(str(probe.get('port')) for probe in probes), evidence)


def _connectivity_imds(ctx):
    probes = _probes(ctx, 'imds')
    if not probes:
        raise _Skip('no IMDS endpoint to probe')
    failed = [probe for probe in probes if not probe.get('ok')]
    if failed:
        return _finding('connectivity.imds', 'warn', 'the instance metadata service is unreachable: %s'
                        % ', '.join(_describe(probe) for probe in failed), {'probes': probes},
                        'The backup does not need IMDS; other tools do. Check routes and firewall '
                        'rules for %s.' % failed[0].get('host'))
    return _finding('connectivity.imds', 'pass', 'TCP to the instance metadata service succeeds',
                    {'probes': probes})


def _some_all_none(check_id, probes, noun, remedy):
    failed = [probe for probe in probes if not probe.get('ok')]
    evidence = {'probes': probes}
    if not failed:
        return 'pass', evidence, failed
    if len(failed) < len(probes):
        return 'warn', evidence, failed
    return 'fail', evidence, failed


def _connectivity_https(ctx):
    probes = _probes(ctx, 'https')
    if not probes:
        raise _Skip('no HTTPS endpoint configured')
    status, evidence, failed = _some_all_none('connectivity.https', probes, 'endpoint', None)
    if status == 'pass':
        return _finding('connectivity.https', 'pass', 'HTTPS (TCP 443 and TLS) works for %d endpoint(s)'
                        % len(probes), evidence)
    summary = 'HTTPS fails for %s' % ', '.join(
        '%s:%s via %s at %s (%s)' % (probe.get('host'), probe.get('port'), probe.get('via'),
                                     probe.get('stage'), probe.get('error')) for probe in failed)
    return _finding('connectivity.https', status, summary, evidence,
                    'Allow outbound HTTPS to the Azure Storage and backup endpoints (service tags '
                    'Storage, AzureBackup), directly or through an unauthenticated proxy; a TLS '
                    'verification error means an intercepting proxy or a broken CA store.')


def _connectivity_dns(ctx):
    probes = _probes(ctx, 'dns')
    if not probes:
        raise _Skip('no HTTPS endpoint name to resolve')
    status, evidence, failed = _some_all_none('connectivity.dns', probes, 'name', None)
    resolvers = ctx.section('connectivity').get('resolvers') or {}
    evidence['nameservers'] = resolvers.get('nameservers')
    if status == 'pass':
        return _finding('connectivity.dns', 'pass', 'every endpoint name resolves', evidence)
    proxy = ctx.section('connectivity').get('proxy') or {}
    summary = 'names do not resolve: %s' % ', '.join(_describe(probe) for probe in failed)
    if proxy.get('effective') and status == 'fail':
        status = 'warn'  # through a proxy the proxy resolves the names, not the guest
        summary += ' (a proxy is configured and resolves names itself)'
    return _finding('connectivity.dns', status, summary, evidence,
                    'Check /etc/resolv.conf and that the VM can reach its DNS server '
                    '(Azure DNS is 168.63.129.16).')


def _connectivity_proxy(ctx):
    proxy = ctx.observation('connectivity', 'proxy')
    sources = proxy.get('sources') or []
    effective = proxy.get('effective')
    evidence = {'sources': sources, 'effective': effective, 'no_proxy': proxy.get('no_proxy'),
                'probe': proxy.get('probe')}
    configured = [source for source in sources if source.get('key') != 'no_proxy']
    if not configured and not effective:
        return _finding('connectivity.proxy', 'info', 'no proxy is configured', evidence)
    with_credentials = [source for source in configured if source.get('has_credentials')]
    if with_credentials:
        return _finding('connectivity.proxy', 'fail', 'the proxy setting in %s carries credentials: '
                        'authenticated proxies are not supported by VM backup'
                        % ', '.join(source['source'] for source in with_credentials), evidence,
                        'Use a proxy without authentication for the agent, or exempt the Azure '
                        'endpoints from the proxy.')
    probe = proxy.get('probe')
    if effective and isinstance(probe, dict) and not probe.get('ok'):
        return _finding('connectivity.proxy', 'fail', 'the proxy %s:%s (from %s) is unreachable: %s'
                        % (effective.get('host'), effective.get('port'), effective.get('source'),
                           probe.get('error')), evidence,
                        'Fix the proxy or the HttpProxy.Host/HttpProxy.Port settings in /etc/waagent.conf.')
    https = ctx.section('connectivity').get('https') or {}
    refused = [item for item in (https.get('probes') or []) if item.get('via') == 'proxy'
               and item.get('stage') == 'proxy_connect' and '407' in str(item.get('error'))]
    if refused:
        return _finding('connectivity.proxy', 'fail', 'the proxy asks for authentication (407), which '
                        'VM backup does not support', evidence)
    targets = sorted(set('%s:%s' % (source.get('host'), source.get('port')) for source in configured
                         if source.get('host') and source.get('key') != 'http_proxy'))
    if len(targets) > 1:
        return _finding('connectivity.proxy', 'warn', 'the places that configure a proxy disagree: %s'
                        % '; '.join('%s %s=%s' % (source['source'], source['key'], source.get('value'))
                                    for source in configured), evidence,
                        'Set the same proxy in /etc/waagent.conf (HttpProxy.Host/Port) and in the '
                        'environment (/etc/environment and the agent service).')
    if not effective:
        places = sorted(set(source['source'] for source in configured))
        return _finding('connectivity.proxy', 'warn', 'a proxy is configured (%s) but the agent would not '
                        'use it for HTTPS' % ', '.join(places),
                        evidence, 'Set HttpProxy.Host and HttpProxy.Port in /etc/waagent.conf.')
    return _finding('connectivity.proxy', 'pass', 'the proxy %s:%s (from %s) is reachable'
                    % (effective.get('host'), effective.get('port'), effective.get('source')), evidence)


def _connectivity_route(ctx):
    route = ctx.observation('connectivity', 'route')
    evidence = dict((key, route.get(key)) for key in ('destination', 'type', 'dev', 'via', 'src', 'output'))
    if route.get('type') in ('unicast', 'local'):
        return _finding('connectivity.route', 'pass', 'route to %s via %s dev %s'
                        % (route.get('destination'), route.get('via') or 'link', route.get('dev')), evidence)
    return _finding('connectivity.route', 'fail', 'no usable route to %s: %s (%s)'
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


def _connectivity_firewall(ctx):
    rules = ctx.observation('connectivity', 'firewall')
    if not ctx.section('connectivity').get('endpoints', {}).get('wireserver'):
        raise _Error('facts lack the wireserver endpoint')
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
        return _finding('connectivity.firewall', 'fail', 'the local firewall blocks root\'s traffic: %s'
                        % '; '.join('%s %s by %s' % (item['packet'], item['verdict'], item['rule'])
                                    for item in blocked[:4]), evidence,
                        'Remove the rule, or accept root\'s traffic to the wireserver (ports 80, 32526) '
                        'and to port 443 before it.')
    if unread:
        if not read:
            raise _Error('no firewall ruleset could be read: %s' % '; '.join(unread))
        return _finding('connectivity.firewall', 'warn', 'the firewall rules could only be read in part: %s'
                        % '; '.join(unread), evidence)
    return _finding('connectivity.firewall', 'pass', 'no rule drops root\'s traffic to the wireserver or '
                    'to port 443' + ('' if read else ' (no firewall tool installed)'), evidence)


# -- agent --------------------------------------------------------------------------------------------
def _agent_installed(ctx):
    agent = ctx.section('agent')
    package = agent.get('package') or {}
    executable = agent.get('executable') or {}
    evidence = {'package': package.get('name'), 'installed': package.get('installed'),
                'version': package.get('version'), 'executable': executable.get('path')}
    if package.get('result') == 'ok' and package.get('installed'):
        return _finding('agent.installed', 'pass', 'package %s %s is installed'
                        % (package.get('name'), package.get('version') or ''), evidence)
    if executable.get('result') == 'ok' and executable.get('exists'):
        return _finding('agent.installed', 'pass', 'waagent is present at %s (not from package %s)'
                        % (executable.get('path'), package.get('name')), evidence)
    if package.get('result') == 'error':
        raise _Error('package state unknown (%s) and no waagent executable' % package.get('message'))
    return _finding('agent.installed', 'fail', 'the agent is not installed (package %s absent, no waagent '
                    'executable)' % package.get('name'), evidence,
                    'Install the distribution\'s agent package (%s).' % package.get('name'))


def _agent_versions(ctx):
    agent = ctx.section('agent')
    version = agent.get('version') or {}
    daemon = goal_state = None
    sources = {}
    if version.get('result') == 'ok':
        daemon, goal_state = version.get('daemon'), version.get('goal_state')
        sources['daemon'] = sources['goal_state'] = 'waagent -version'
    package = agent.get('package') or {}
    if daemon is None and package.get('result') == 'ok' and package.get('installed'):
        daemon, sources['daemon'] = package.get('version'), 'package'
    dirs = agent.get('goal_state_dirs') or {}
    if goal_state is None and dirs.get('result') == 'ok' and dirs.get('versions'):
        goal_state, sources['goal_state'] = dirs['versions'][-1], 'newest WALinuxAgent-* directory'
    return daemon, goal_state, sources, version


def _agent_version(ctx):
    daemon, goal_state, sources, version = _agent_versions(ctx)
    minimum = ctx.options['min_agent_version']
    evidence = {'daemon': daemon, 'goal_state': goal_state, 'minimum': minimum, 'sources': sources}
    if daemon is None and goal_state is None:
        if version.get('result') == 'error':
            raise _Error('agent version unknown: %s' % version.get('message'))
        raise _Skip('the agent is not installed')
    below = []
    for label, value in (('daemon', daemon), ('goal-state agent', goal_state)):
        if value is None:
            continue
        at_least = version_at_least(value, minimum)
        if at_least is None:
            raise _Error('cannot compare %s version %r with minimum %r' % (label, value, minimum))
        if not at_least:
            below.append('%s %s' % (label, value))
    if below:
        return _finding('agent.version', 'fail', '%s below the minimum %s' % (', '.join(below), minimum),
                        evidence, 'Update the agent package (and enable AutoUpdate.Enabled so the '
                        'goal-state agent follows).')
    if goal_state is None:
        return _finding('agent.version', 'warn', 'daemon %s is at or above %s; the goal-state agent '
                        'version is unknown' % (daemon, minimum), evidence)
    return _finding('agent.version', 'pass', 'daemon %s and goal-state agent %s are at or above %s'
                    % (daemon or 'unknown', goal_state, minimum), evidence)


def _agent_service(ctx):
    service = ctx.observation('agent', 'service')
    evidence = dict((key, service.get(key)) for key in (
        'unit', 'load_state', 'active_state', 'sub_state', 'unit_file_state', 'fragment_path',
        'source_path', 'source'))
    unit = service.get('unit')
    remedy = 'Enable and start %s; the agent role does this.' % unit
    if service.get('load_state') in ('not-found', 'masked') or service.get('unit_file_state') in (
            'masked', 'masked-runtime', 'not-found'):
        state = service.get('unit_file_state') or service.get('load_state')
        return _finding('agent.service', 'fail', '%s is %s' % (unit, state), evidence, remedy)
    enabled = service.get('unit_file_state') in ENABLED_STATES
    active = service.get('active_state')
    if service.get('source') == 'files':  # offline: only the enablement is known
        if enabled:
            return _finding('agent.service', 'pass', '%s is enabled (offline: running state not '
                            'observable)' % unit, evidence)
        return _finding('agent.service', 'fail', '%s is %s: it will not start at boot'
                        % (unit, service.get('unit_file_state')), evidence, remedy)
    if active != 'active':
        summary = '%s is %s (%s) and %s' % (
            unit, active, service.get('sub_state'), service.get('unit_file_state'))
        if not service.get('fragment_path') and service.get('source_path'):
            summary += '; the unit comes from a leftover %s' % service.get('source_path')
        return _finding('agent.service', 'fail', summary, evidence, remedy)
    if not enabled:
        return _finding('agent.service', 'warn', '%s runs but is %s: it will not start at boot'
                        % (unit, service.get('unit_file_state')), evidence, remedy)
    return _finding('agent.service', 'pass', '%s is enabled and %s' % (unit, service.get('sub_state')),
                    evidence)


def _agent_process(ctx):
    processes = ctx.observation('agent', 'processes')
    daemon = processes.get('daemon') or []
    handlers = processes.get('exthandlers') or []
    evidence = {'daemon': daemon, 'exthandlers': handlers}
    missing = [label for label, found in (('the daemon (waagent -daemon)', daemon),
                                          ('the extension handler (-run-exthandlers)', handlers)) if not found]
    if missing:
        return _finding('agent.process', 'fail', 'missing: %s' % ' and '.join(missing), evidence,
                        'Restart the agent service; if the extension handler does not appear, read '
                        '/var/log/waagent.log (goal state, wireserver).')
    return _finding('agent.process', 'pass', 'daemon (pid %s) and extension handler (pid %s) run'
                    % (daemon[0].get('pid'), handlers[0].get('pid')), evidence)


def _agent_autorestart(ctx):
    service = ctx.observation('agent', 'service')
    if service.get('load_state') in ('not-found', 'masked'):
        raise _Skip('%s is %s' % (service.get('unit'), service.get('load_state')))
    restart = service.get('restart')
    evidence = {'unit': service.get('unit'), 'restart': restart, 'source': service.get('source')}
    if restart is None:
        raise _Error('the Restart= setting of %s is unknown' % service.get('unit'))
    if restart in RESTARTING_POLICIES:
        return _finding('agent.autorestart', 'pass', '%s has Restart=%s' % (service.get('unit'), restart),
                        evidence)
    return _finding('agent.autorestart', 'warn', '%s has Restart=%s: a crashed agent stays down'
                    % (service.get('unit'), restart), evidence,
                    'Add a drop-in with Restart=always and RestartSec=5 (upstream\'s unit does).')


def _agent_config(ctx):
    config = ctx.observation('agent', 'config')
    if not config.get('exists'):
        raise _Skip('%s does not exist' % config.get('path'))
    return config.get('values') or {}, config.get('path')


def _agent_extensions_enabled(ctx):
    values, path = _agent_config(ctx)
    raw = values.get('Extensions.Enabled')
    evidence = {'file': path, 'Extensions.Enabled': raw}
    if conf_switch(values, 'Extensions.Enabled', True):
        return _finding('agent.extensions_enabled', 'pass', 'Extensions.Enabled is %s'
                        % (raw if raw is not None else 'unset (default y)'), evidence)
    return _finding('agent.extensions_enabled', 'fail', 'Extensions.Enabled=n in %s: the agent ignores '
                    'the backup extension' % path, evidence,
                    'Set Extensions.Enabled=y in %s and restart the agent.' % path)


def _agent_autoupdate(ctx):
    values, path = _agent_config(ctx)
    evidence = {'file': path, 'AutoUpdate.Enabled': values.get('AutoUpdate.Enabled'),
                'AutoUpdate.UpdateToLatestVersion': values.get('AutoUpdate.UpdateToLatestVersion')}
    # Newer agents read AutoUpdate.UpdateToLatestVersion first and fall back to the legacy switch.
    key = 'AutoUpdate.UpdateToLatestVersion' if values.get('AutoUpdate.UpdateToLatestVersion') \
        else 'AutoUpdate.Enabled'
    if conf_switch(values, key, True):
        return _finding('agent.autoupdate', 'pass', '%s is %s' % (key, values.get(key) or 'unset (default y)'),
                        evidence)
    return _finding('agent.autoupdate', 'warn', '%s=n in %s: the goal-state agent cannot update' % (key, path),
                    evidence, 'Set %s=y in %s and restart the agent.' % (key, path))


def _agent_verbose_logging(ctx):
    values, path = _agent_config(ctx)
    raw = values.get('Logs.Verbose')
    return _finding('agent.verbose_logging', 'info', 'Logs.Verbose is %s'
                    % (raw if raw is not None else 'unset (default n)'),
                    {'file': path, 'Logs.Verbose': raw, 'verbose': conf_switch(values, 'Logs.Verbose', False)})


def known_artefact(text):
    """The label of the known harmless pattern ``text`` matches, or None."""
    for label, pattern in KNOWN_LOG_ARTEFACTS:
        if re.search(pattern, text or ''):
            return label
    return None


def _agent_log_errors(ctx):
    log = ctx.observation('agent', 'log')
    if not log.get('exists'):
        raise _Skip('%s does not exist' % log.get('path'))
    lines = log.get('error_lines') or []
    unexplained = [line for line in lines if not known_artefact(line.get('text'))]
    known = sorted(set(known_artefact(line.get('text')) for line in lines) - set([None]))
    evidence = {'file': log.get('path'), 'error_count': log.get('error_count'),
                'tail_bytes': log.get('tail_bytes'), 'known_artefacts': known,
                'excerpt': ['%s %s %s' % (line.get('timestamp'), line.get('level'), line.get('text'))
                            for line in (unexplained or lines)[-MAX_EXCERPT_LINES:]]}
    if not lines:
        return _finding('agent.log_errors', 'pass', 'no error or warning lines in the last %s bytes of %s'
                        % (log.get('tail_bytes'), log.get('path')), evidence)
    if not unexplained:
        return _finding('agent.log_errors', 'info', '%d error/warning lines, all known side effects (%s)'
                        % (len(lines), ', '.join(known)), evidence)
    return _finding('agent.log_errors', 'warn', '%d unexplained error/warning lines in %s; latest: %s'
                    % (len(unexplained), log.get('path'), unexplained[-1].get('text', '')[:200]), evidence,
                    'Read the excerpt; `waagent -collect-logs` gathers the full logs for support.')


# -- extension ------------------------------------------------------------------------------------------
def _handlers(ctx):
    handlers = ctx.observation('extension', 'handlers')
    items = handlers.get('items')
    if not isinstance(items, list):
        raise _Error('facts malformed: extension.handlers has no item list')
    return items


def _extension_installed(ctx):
    items = _handlers(ctx)
    if not items:
        return _finding('extension.installed', 'info', 'no VMSnapshotLinux handler on disk (backup not '
                        'enabled yet, or the extension was removed)', {'handlers': []})
    return _finding('extension.installed', 'pass', 'VMSnapshotLinux %s on disk'
                    % ', '.join(item.get('version') for item in items),
                    {'handlers': [item.get('path') for item in items]})


def _need_handlers(ctx):
    items = _handlers(ctx)
    if not items:
        raise _Skip('no VMSnapshotLinux handler on disk')
    return items


def _extension_version(ctx):
    items = _need_handlers(ctx)
    newest = items[-1].get('version')
    minimum = ctx.options['min_extension_version']
    evidence = {'newest': newest, 'minimum': minimum}
    if minimum is None:
        raise _Skip('no minimum extension version configured')
    at_least = version_at_least(newest, minimum)
    if at_least is None:
        raise _Error('cannot compare handler version %r with minimum %r' % (newest, minimum))
    if not at_least:
        return _finding('extension.version', 'fail', 'newest handler %s is below %s' % (newest, minimum),
                        evidence, 'Uninstall the extension (Azure removes and reinstalls it at the next '
                        'backup); the extension role does this.')
    return _finding('extension.version', 'pass', 'newest handler %s is at or above %s' % (newest, minimum),
                    evidence)


def _extension_status(ctx):
    items = _need_handlers(ctx)
    newest = items[-1]
    status = newest.get('status')
    if not isinstance(status, dict):
        raise _Error('facts lack the status of handler %s' % newest.get('version'))
    if status.get('result') == 'error':
        raise _Error('status of handler %s unreadable: %s' % (newest.get('version'), status.get('message')))
    if status.get('result') != 'ok':
        raise _Skip('status not gathered: %s' % status.get('message'))
    evidence = dict((key, status.get(key)) for key in ('file', 'status', 'operation', 'code', 'message',
                                                       'timestamp_utc', 'age_seconds'))
    evidence['handler'] = newest.get('version')
    if not status.get('file'):
        return _finding('extension.status', 'info', 'handler %s has no status file yet' % newest.get('version'),
                        evidence)
    state = status.get('status')
    remedy = 'Uninstall the extension so that Azure reinstalls it at the next backup; the extension role does this.'
    if state == 'success':
        return _finding('extension.status', 'pass', '%s succeeded (%s)'
                        % (status.get('operation'), status.get('timestamp_utc')), evidence)
    if state == 'error':
        return _finding('extension.status', 'fail', '%s failed with code %s: %s'
                        % (status.get('operation'), status.get('code'), status.get('message')), evidence, remedy)
    if state == 'warning':
        return _finding('extension.status', 'warn', '%s reported a warning (code %s): %s'
                        % (status.get('operation'), status.get('code'), status.get('message')), evidence)
    if state == 'transitioning':
        limit = float(ctx.options['transitioning_minutes']) * 60
        age = status.get('age_seconds')
        if isinstance(age, (int, float)) and age > limit:
            return _finding('extension.status', 'warn', '%s has been transitioning for %d minutes (limit %g)'
                            % (status.get('operation'), age // 60, limit / 60), evidence, remedy)
        return _finding('extension.status', 'info', '%s is in progress (transitioning)'
                        % status.get('operation'), evidence)
    raise _Error('unknown extension status %r' % state)


def _extension_stale(ctx):
    items = _need_handlers(ctx)
    versions = [item.get('version') for item in items]
    if len(items) > 1:
        return _finding('extension.stale', 'warn', '%d handler versions on disk: %s'
                        % (len(items), ', '.join(versions)), {'versions': versions},
                        'Uninstall the extension so that one fresh version is installed.')
    return _finding('extension.stale', 'pass', 'one handler version on disk (%s)' % versions[0],
                    {'versions': versions})


# -- snapshot --------------------------------------------------------------------------------------------
def _snapshot_load(ctx):
    load = ctx.section('load')
    threshold = float(ctx.options['load_threshold_percent'])
    evidence = {'threshold_percent': threshold, 'cpu_percent': load.get('cpu_percent'),
                'memory_percent': load.get('memory_percent'), 'samples': load.get('samples'),
                'interval_seconds': load.get('interval_seconds'), 'method': load.get('method')}
    sustained, spikes = [], []
    for label, values in (('CPU', load.get('cpu_percent')), ('memory', load.get('memory_percent'))):
        if not isinstance(values, list) or not values:
            raise _Error('facts lack %s samples' % label)
        high = [value for value in values if value >= threshold]
        text = '%s at or above %g %% in %d of %d samples (max %g %%)' % (
            label, threshold, len(high), len(values), max(values))
        if high and len(high) == len(values):
            sustained.append(text)
        elif high:
            spikes.append(text)
    remedy = 'Schedule the backup when the VM is less busy, or size the VM up.'
    if sustained:
        return _finding('snapshot.load', 'fail', '; '.join(sustained + spikes), evidence, remedy)
    if spikes:
        return _finding('snapshot.load', 'warn', '; '.join(spikes), evidence, remedy)
    return _finding('snapshot.load', 'pass', 'CPU (max %g %%) and memory (max %g %%) stay below %g %%'
                    % (max(load['cpu_percent']), max(load['memory_percent']), threshold), evidence)


def _snapshot_dhcp(ctx):
    dhcp = ctx.section('dhcp')
    primary = dhcp.get('primary_interface') or {}
    if primary.get('result') == 'ok' and primary.get('name'):
        interface, chosen_by = primary['name'], primary.get('source')
    elif primary.get('result') == 'skip' or (primary.get('result') == 'ok' and not primary.get('name')):
        interface, chosen_by = OFFLINE_PRIMARY_INTERFACE, 'assumed (Azure\'s primary NIC name)'
    else:
        raise _Error('primary interface unknown: %s' % primary.get('message'))
    matching = [source for source in dhcp.get('sources') or []
                if source.get('family', 'inet') == 'inet' and source.get('method') in ('dhcp', 'static')
                and (source.get('interface') is None or fnmatch.fnmatchcase(interface, str(source['interface'])))]
    evidence = {'interface': interface, 'chosen_by': chosen_by, 'sources': matching,
                'errors': dhcp.get('errors') or []}
    methods = sorted(set(source['method'] for source in matching))
    files = ', '.join('%s (%s: %s)' % (source.get('file'), source.get('kind'), source.get('method'))
                      for source in matching)
    unread = '; '.join('%s (%s)' % (item.get('file'), item.get('message')) for item in (dhcp.get('errors') or [])[:3])
    if methods == ['dhcp'] and unread:
        # An unread file may hold a static configuration that wins: not certain enough for a pass.
        return _finding('snapshot.dhcp', 'warn', '%s is configured by DHCP in %s, but some configuration could '
                        'not be read: %s' % (interface, files, unread), evidence)
    if methods == ['dhcp']:
        return _finding('snapshot.dhcp', 'pass', '%s is configured by DHCP in %s' % (interface, files), evidence)
    remedy = ('Configure %s by DHCP inside the guest and set a static private IP on the Azure NIC '
              'instead; the snapshot role does this.' % interface)
    if methods == ['static']:
        return _finding('snapshot.dhcp', 'fail', '%s has a static configuration in %s' % (interface, files),
                        evidence, remedy)
    if methods:
        return _finding('snapshot.dhcp', 'warn', 'the configuration sources disagree for %s: %s'
                        % (interface, files), evidence, remedy)
    if unread:
        return _finding('snapshot.dhcp', 'warn', 'no readable configuration for %s: %s' % (interface, unread),
                        evidence)
    return _finding('snapshot.dhcp', 'warn', 'no network configuration found for %s' % interface, evidence)


_RULES = {
    'platform.azure': _platform_azure,
    'connectivity.wireserver': _connectivity_wireserver,
    'connectivity.imds': _connectivity_imds,
    'connectivity.https': _connectivity_https,
    'connectivity.dns': _connectivity_dns,
    'connectivity.proxy': _connectivity_proxy,
    'connectivity.route': _connectivity_route,
    'connectivity.firewall': _connectivity_firewall,
    'agent.installed': _agent_installed,
    'agent.version': _agent_version,
    'agent.service': _agent_service,
    'agent.process': _agent_process,
    'agent.autorestart': _agent_autorestart,
    'agent.extensions_enabled': _agent_extensions_enabled,
    'agent.autoupdate': _agent_autoupdate,
    'agent.verbose_logging': _agent_verbose_logging,
    'agent.log_errors': _agent_log_errors,
    'extension.installed': _extension_installed,
    'extension.version': _extension_version,
    'extension.status': _extension_status,
    'extension.stale': _extension_stale,
    'snapshot.load': _snapshot_load,
    'snapshot.dhcp': _snapshot_dhcp,
}


def has_rule(check_id):
    """True when the evaluator judges ``check_id`` from guest facts (docs/checks_table.py reads this)."""
    return check_id in _RULES


def _merge_options(options):
    merged = dict(DEFAULT_OPTIONS)
    for key, value in (options or {}).items():
        if key in merged and value is not None:
            merged[key] = value
    return merged


def evaluate(facts, options=None):
    """One finding per catalog check of the facts' platform, in catalog order. Never raises."""
    try:
        options = _merge_options(options if isinstance(options, dict) else {})
    except Exception:  # pragma: no cover - dict() of a dict cannot fail
        options = dict(DEFAULT_OPTIONS)
    platform = facts.get('os') if isinstance(facts, dict) else None
    problem = None
    if not isinstance(facts, dict):
        problem = 'facts malformed: expected a mapping, got %s' % type(facts).__name__
    elif platform not in PLATFORMS:
        problem = 'facts malformed: unknown os %r' % (platform,)
    elif platform != 'linux':
        problem = 'no evaluator for %s facts yet' % platform
    ctx = _Context(facts if isinstance(facts, dict) else {}, options)
    findings = []
    for check in checks_for(platform=platform if platform in PLATFORMS else 'linux'):
        if check.scope == 'control_plane':
            findings.append(skip_finding(check.id, CONTROL_PLANE_MESSAGE))
            continue
        if problem:
            findings.append(error_finding(check.id, problem))
            continue
        rule = _RULES.get(check.id)
        try:
            if rule is None:
                raise _Error('no rule evaluates %s' % check.id)
            findings.append(rule(ctx))
        except _Skip as exc:
            findings.append(skip_finding(check.id, str(exc)))
        except _Error as exc:
            findings.append(error_finding(check.id, str(exc)))
        except Exception as exc:  # a bug or facts of an unexpected shape: this check only
            findings.append(error_finding(check.id, 'internal error evaluating %s: %s: %s'
                                          % (check.id, exc.__class__.__name__, exc)))
    return findings
