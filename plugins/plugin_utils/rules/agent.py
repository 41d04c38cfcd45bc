# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of the agent cause (article cause 2: the VM agent is out of date or not running)."""
from __future__ import absolute_import, division, print_function

import re

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import PLATFORMS
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.extension import parse_utc
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import conf_switch
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.version import (
    version_at_least, version_string)
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure.facts import STOPPED_POWER_STATES
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import (
    RULES, Error, Skip, finding)

__metaclass__ = type


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
MAX_EXCERPT_LINES = 10


@RULES.rule('linux', 'agent.installed')
def _agent_installed(ctx):
    agent = ctx.section('agent')
    package = agent.get('package') or {}
    executable = agent.get('executable') or {}
    evidence = {'package': package.get('name'), 'installed': package.get('installed'),
                'version': package.get('version'), 'executable': executable.get('path')}
    if package.get('result') == 'ok' and package.get('installed'):
        return finding('agent.installed', 'pass', 'package %s %s is installed'
                       % (package.get('name'), package.get('version') or ''), evidence)
    if executable.get('result') == 'ok' and executable.get('exists'):
        return finding('agent.installed', 'pass', 'waagent is present at %s (not from package %s)'
                       % (executable.get('path'), package.get('name')), evidence)
    if package.get('result') == 'error':
        raise Error('package state unknown (%s) and no waagent executable' % package.get('message'))
    return finding('agent.installed', 'fail', 'the agent is not installed (package %s absent, no waagent '
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


def _below_minimum(labelled_versions, minimum):
    """'<label> <version>' for each known version below ``minimum``; Error when one cannot be compared."""
    below = []
    for label, value in labelled_versions:
        if value is None:
            continue
        at_least = version_at_least(value, minimum)
        if at_least is None:
            raise Error('cannot compare %s version %r with minimum %r' % (label, value, minimum))
        if not at_least:
            below.append('%s %s' % (label, value))
    return below


@RULES.rule('linux', 'agent.version')
def _agent_version(ctx):
    daemon, goal_state, sources, version = _agent_versions(ctx)
    minimum = ctx.options['min_agent_version']
    evidence = {'daemon': daemon, 'goal_state': goal_state, 'minimum': minimum, 'sources': sources}
    if daemon is None and goal_state is None:
        if version.get('result') == 'error':
            raise Error('agent version unknown: %s' % version.get('message'))
        raise Skip('the agent is not installed')
    below = _below_minimum([('daemon', daemon), ('goal-state agent', goal_state)], minimum)
    if below:
        return finding('agent.version', 'fail', '%s below the minimum %s' % (', '.join(below), minimum),
                       evidence, 'Update the agent package (and enable AutoUpdate.Enabled so the '
                       'goal-state agent follows).')
    if goal_state is None:
        return finding('agent.version', 'warn', 'daemon %s is at or above %s; the goal-state agent '
                       'version is unknown' % (daemon, minimum), evidence)
    return finding('agent.version', 'pass', 'daemon %s and goal-state agent %s are at or above %s'
                   % (daemon or 'unknown', goal_state, minimum), evidence)


@RULES.rule('linux', 'agent.service')
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
        return finding('agent.service', 'fail', '%s is %s' % (unit, state), evidence, remedy)
    enabled = service.get('unit_file_state') in ENABLED_STATES
    active = service.get('active_state')
    if service.get('source') == 'files':  # offline: only the enablement is known
        if enabled:
            return finding('agent.service', 'pass', '%s is enabled (offline: running state not '
                           'observable)' % unit, evidence)
        return finding('agent.service', 'fail', '%s is %s: it will not start at boot'
                       % (unit, service.get('unit_file_state')), evidence, remedy)
    if active != 'active':
        summary = '%s is %s (%s) and %s' % (
            unit, active, service.get('sub_state'), service.get('unit_file_state'))
        if not service.get('fragment_path') and service.get('source_path'):
            summary += '; the unit comes from a leftover %s' % service.get('source_path')
        return finding('agent.service', 'fail', summary, evidence, remedy)
    if not enabled:
        return finding('agent.service', 'warn', '%s runs but is %s: it will not start at boot'
                       % (unit, service.get('unit_file_state')), evidence, remedy)
    return finding('agent.service', 'pass', '%s is enabled and %s' % (unit, service.get('sub_state')),
                   evidence)


@RULES.rule('linux', 'agent.process')
def _agent_process(ctx):
    processes = ctx.observation('agent', 'processes')
    daemon = processes.get('daemon') or []
    handlers = processes.get('exthandlers') or []
    evidence = {'daemon': daemon, 'exthandlers': handlers}
    missing = [label for label, found in (('the daemon (waagent -daemon)', daemon),
                                          ('the extension handler (-run-exthandlers)', handlers)) if not found]
    if missing:
        return finding('agent.process', 'fail', 'missing: %s' % ' and '.join(missing), evidence,
                       'Restart the agent service; if the extension handler does not appear, read '
                       '/var/log/waagent.log (goal state, wireserver).')
    return finding('agent.process', 'pass', 'daemon (pid %s) and extension handler (pid %s) run'
                   % (daemon[0].get('pid'), handlers[0].get('pid')), evidence)


@RULES.rule('linux', 'agent.autorestart')
def _agent_autorestart(ctx):
    service = ctx.observation('agent', 'service')
    if service.get('load_state') in ('not-found', 'masked'):
        raise Skip('%s is %s' % (service.get('unit'), service.get('load_state')))
    restart = service.get('restart')
    evidence = {'unit': service.get('unit'), 'restart': restart, 'source': service.get('source')}
    if restart is None:
        raise Error('the Restart= setting of %s is unknown' % service.get('unit'))
    if restart in RESTARTING_POLICIES:
        return finding('agent.autorestart', 'pass', '%s has Restart=%s' % (service.get('unit'), restart),
                       evidence)
    return finding('agent.autorestart', 'warn', '%s has Restart=%s: a crashed agent stays down'
                   % (service.get('unit'), restart), evidence,
                   'Add a drop-in with Restart=always and RestartSec=5 (upstream\'s unit does).')


def _agent_config(ctx):
    config = ctx.observation('agent', 'config')
    if not config.get('exists'):
        raise Skip('%s does not exist' % config.get('path'))
    return config.get('values') or {}, config.get('path')


@RULES.rule('linux', 'agent.extensions_enabled')
def _agent_extensions_enabled(ctx):
    values, path = _agent_config(ctx)
    raw = values.get('Extensions.Enabled')
    evidence = {'file': path, 'Extensions.Enabled': raw}
    if conf_switch(values, 'Extensions.Enabled', True):
        return finding('agent.extensions_enabled', 'pass', 'Extensions.Enabled is %s'
                       % (raw if raw is not None else 'unset (default y)'), evidence)
    return finding('agent.extensions_enabled', 'fail', 'Extensions.Enabled=n in %s: the agent ignores '
                   'the backup extension' % path, evidence,
                   'Set Extensions.Enabled=y in %s and restart the agent.' % path)


@RULES.rule('linux', 'agent.autoupdate')
def _agent_autoupdate(ctx):
    values, path = _agent_config(ctx)
    evidence = {'file': path, 'AutoUpdate.Enabled': values.get('AutoUpdate.Enabled'),
                'AutoUpdate.UpdateToLatestVersion': values.get('AutoUpdate.UpdateToLatestVersion')}
    # Newer agents read AutoUpdate.UpdateToLatestVersion first and fall back to the legacy switch.
    key = 'AutoUpdate.UpdateToLatestVersion' if values.get('AutoUpdate.UpdateToLatestVersion') \
        else 'AutoUpdate.Enabled'
    if conf_switch(values, key, True):
        return finding('agent.autoupdate', 'pass', '%s is %s' % (key, values.get(key) or 'unset (default y)'),
                       evidence)
    return finding('agent.autoupdate', 'warn', '%s=n in %s: the goal-state agent cannot update' % (key, path),
                   evidence, 'Set %s=y in %s and restart the agent.' % (key, path))


@RULES.rule('linux', 'agent.verbose_logging')
def _agent_verbose_logging(ctx):
    values, path = _agent_config(ctx)
    raw = values.get('Logs.Verbose')
    return finding('agent.verbose_logging', 'info', 'Logs.Verbose is %s'
                   % (raw if raw is not None else 'unset (default n)'),
                   {'file': path, 'Logs.Verbose': raw, 'verbose': conf_switch(values, 'Logs.Verbose', False)})


def known_artefact(text):
    """The label of the known harmless pattern ``text`` matches, or None."""
    for label, pattern in KNOWN_LOG_ARTEFACTS:
        if re.search(pattern, text or ''):
            return label
    return None


@RULES.rule('linux', 'agent.log_errors')
def _agent_log_errors(ctx):
    log = ctx.observation('agent', 'log')
    if not log.get('exists'):
        raise Skip('%s does not exist' % log.get('path'))
    lines = log.get('error_lines') or []
    unexplained = [line for line in lines if not known_artefact(line.get('text'))]
    known = sorted(set(known_artefact(line.get('text')) for line in lines) - set([None]))
    evidence = {'file': log.get('path'), 'error_count': log.get('error_count'),
                'tail_bytes': log.get('tail_bytes'), 'known_artefacts': known,
                'excerpt': ['%s %s %s' % (line.get('timestamp'), line.get('level'), line.get('text'))
                            for line in (unexplained or lines)[-MAX_EXCERPT_LINES:]]}
    if not lines:
        return finding('agent.log_errors', 'pass', 'no error or warning lines in the last %s bytes of %s'
                       % (log.get('tail_bytes'), log.get('path')), evidence)
    if not unexplained:
        return finding('agent.log_errors', 'info', '%d error/warning lines, all known side effects (%s)'
                       % (len(lines), ', '.join(known)), evidence)
    return finding('agent.log_errors', 'warn', '%d unexplained error/warning lines in %s; latest: %s'
                   % (len(unexplained), log.get('path'), unexplained[-1].get('text', '')[:200]), evidence,
                   'Read the excerpt; `waagent -collect-logs` gathers the full logs for support.')


# -- Windows -------------------------------------------------------------------------------------------------------
WINDOWS_AGENT_EXECUTABLES = ('WaAppAgent.exe', 'WindowsAzureGuestAgent.exe')
# Two crashes in the window are "repeated" (the check's fail); one is a warn.
REPEATED_CRASHES = 2


def _windows_services(ctx):
    services = ctx.section('agent').get('services') or {}
    records = {}
    for name in defaults.WINDOWS_AGENT_SERVICES:
        record = services.get(name) or {}
        if record.get('result') == 'error':
            raise Error('service %s could not be read: %s' % (name, record.get('message')))
        records[name] = record
    return records


def _windows_minimum(ctx):
    """The run's min_agent_version, unless it is the Linux default: then the Windows minimum."""
    minimum = ctx.options['min_agent_version']
    if minimum == defaults.MIN_LINUX_AGENT_VERSION:
        return defaults.MIN_WINDOWS_AGENT_VERSION
    return minimum


@RULES.rule('windows', 'agent.installed')
def _windows_agent_installed(ctx):
    services = _windows_services(ctx)
    executables = ctx.observation('agent', 'executables')
    wa_app_agent = executables.get('wa_app_agent') or {}
    evidence = {'services': dict((name, record.get('present')) for name, record in services.items()),
                'executable': wa_app_agent.get('path'), 'executable_exists': wa_app_agent.get('exists')}
    if services['WindowsAzureGuestAgent'].get('present') or wa_app_agent.get('exists'):
        return finding('agent.installed', 'pass', 'the Windows Azure Guest Agent is installed', evidence)
    return finding('agent.installed', 'fail', 'the Windows Azure Guest Agent is not installed (no '
                   'WindowsAzureGuestAgent service, no %s)' % wa_app_agent.get('path'), evidence,
                   'Install the VM agent (the Windows Azure VM Agent MSI from Microsoft).')


@RULES.rule('windows', 'agent.version')
def _windows_agent_version(ctx):
    agent = ctx.section('agent')
    minimum = _windows_minimum(ctx)
    registry = agent.get('registry') or {}
    executables = agent.get('executables') or {}
    versions = {}
    if registry.get('result') == 'ok':
        versions['GuestAgentVersion'] = (registry.get('values') or {}).get('GuestAgentVersion')
    if executables.get('result') == 'ok':
        versions['WaAppAgent.exe'] = (executables.get('wa_app_agent') or {}).get('file_version')
        guest_agents = [item for item in executables.get('guest_agents') or [] if item.get('exists')]
        if guest_agents:
            versions['WindowsAzureGuestAgent.exe'] = guest_agents[-1].get('file_version')
    versions = dict((key, version_string(value) or value) for key, value in versions.items() if value)
    evidence = {'versions': versions, 'minimum': minimum}
    if not versions:
        if registry.get('result') == 'error':
            raise Error('agent version unknown: %s' % registry.get('message'))
        raise Skip('the agent is not installed')
    below = _below_minimum(sorted(versions.items()), minimum)
    if below:
        return finding('agent.version', 'fail', '%s below the minimum %s' % (', '.join(below), minimum), evidence,
                       'Update the VM agent (the agent updates itself when it can reach the wireserver; otherwise '
                       'install the current MSI).')
    if 'GuestAgentVersion' not in versions and 'WindowsAzureGuestAgent.exe' not in versions:
        return finding('agent.version', 'warn', 'WaAppAgent.exe %s is at or above %s; the guest agent version is '
                       'unknown' % (versions.get('WaAppAgent.exe'), minimum), evidence)
    return finding('agent.version', 'pass', '%s at or above %s' % (
        ', '.join('%s %s' % item for item in sorted(versions.items())), minimum), evidence)


@RULES.rule('windows', 'agent.service')
def _windows_agent_service(ctx):
    services = _windows_services(ctx)
    evidence = dict((name, dict((key, record.get(key)) for key in ('present', 'state', 'start_mode')))
                    for name, record in services.items())
    remedy = 'Set WindowsAzureGuestAgent and RdAgent to start automatically and start them.'
    missing = [name for name, record in services.items() if not record.get('present')]
    if ctx.facts.get('offline'):  # a disk: only the start modes are known
        manual = ['%s starts %s' % (name, record.get('start_mode')) for name, record in services.items()
                  if record.get('present') and record.get('start_mode') != 'Auto']
        if missing or manual:
            return finding('agent.service', 'fail', '; '.join(['%s is missing' % name for name in missing] + manual)
                           + ': not started at boot', evidence, remedy)
        return finding('agent.service', 'pass', 'WindowsAzureGuestAgent and RdAgent start automatically (offline: '
                       'running state not observable)', evidence)
    stopped = ['%s is %s' % (name, record.get('state')) for name, record in services.items()
               if record.get('present') and record.get('state') != 'Running']
    if missing or stopped:
        return finding('agent.service', 'fail', '; '.join(['%s is missing' % name for name in missing] + stopped),
                       evidence, remedy)
    manual = ['%s starts %s' % (name, record.get('start_mode')) for name, record in services.items()
              if record.get('start_mode') != 'Auto']
    if manual:
        return finding('agent.service', 'warn', '%s: not started at boot' % '; '.join(manual), evidence, remedy)
    return finding('agent.service', 'pass', 'WindowsAzureGuestAgent and RdAgent are automatic and running',
                   evidence)


@RULES.rule('windows', 'agent.autorestart')
def _windows_agent_autorestart(ctx):
    actions = ctx.section('agent').get('failure_actions') or {}
    evidence, without = {}, []
    for name in defaults.WINDOWS_AGENT_SERVICES:
        record = actions.get(name) or {}
        if record.get('result') != 'ok':
            raise Error('failure actions of %s unknown: %s' % (name, record.get('message') or 'not gathered'))
        evidence[name] = {'reset_period_seconds': record.get('reset_period_seconds'), 'actions': record.get('actions')}
        if not any(action.get('action') == 'restart' for action in record.get('actions') or []):
            without.append(name)
    if without:
        return finding('agent.autorestart', 'warn', '%s: no restart failure action, a crashed agent stays down'
                       % ', '.join(without), evidence,
                       'Set the recovery actions to restart the service (services.msc, or sc.exe failure '
                       '<service> reset= 86400 actions= restart/60000).')
    return finding('agent.autorestart', 'pass', 'the service control manager restarts %s after a crash'
                   % ' and '.join(defaults.WINDOWS_AGENT_SERVICES), evidence)


def windows_application_crashes(events, executables):
    """Application Error 1000 records whose faulting application (first property) is one of ``executables``."""
    wanted = set(name.lower() for name in executables)
    return [event for event in events if event.get('id') == 1000
            and str((event.get('properties') or [''])[0]).lower() in wanted]


@RULES.rule('windows', 'agent.crashes')
def _windows_agent_crashes(ctx):
    services = _windows_services(ctx)
    system = ctx.observation('agent', 'system_events')
    application = ctx.observation('agent', 'application_errors')
    # 7031/7034 name the service by its display name in their first property.
    names = set()
    for name, record in services.items():
        names.update(value.lower() for value in (name, record.get('display_name')) if value)
    service_crashes = [event for event in system.get('events') or [] if event.get('id') in (7031, 7034)
                       and str((event.get('properties') or [''])[0]).lower() in names]
    process_crashes = windows_application_crashes(application.get('events') or [], WINDOWS_AGENT_EXECUTABLES)
    crashes = service_crashes + process_crashes
    evidence = {'hours': system.get('hours'), 'events': [
        {'id': event.get('id'), 'time_utc': event.get('time_utc'), 'what': (event.get('properties') or [None])[0]}
        for event in crashes[:10]]}
    if not crashes:
        return finding('agent.crashes', 'pass', 'no crash of the agent in the last %s hours' % system.get('hours'),
                       evidence)
    status = 'fail' if len(crashes) >= REPEATED_CRASHES else 'warn'
    return finding('agent.crashes', status, '%d crash event(s) of the agent in the last %s hours, latest %s at %s'
                   % (len(crashes), system.get('hours'), crashes[0].get('id'), crashes[0].get('time_utc')), evidence,
                   'Read C:\\WindowsAzure\\Logs\\WaAppAgent.log and the Application log around those times; '
                   'reinstall the agent if it keeps crashing.')


@RULES.rule('windows', 'agent.certificate')
def _windows_agent_certificate(ctx):
    certificates = ctx.observation('agent', 'certificates')
    now = parse_utc(ctx.facts.get('gathered_at'))
    if now is None:
        raise Error('facts lack gathered_at')
    items = certificates.get('items') or []
    evidence = {'store': certificates.get('store'), 'certificates': [
        dict((key, item.get(key)) for key in ('subject', 'friendly_name', 'thumbprint', 'not_before_utc',
                                              'not_after_utc')) for item in items]}
    remedy = ('Restart the WindowsAzureGuestAgent service: the agent requests a new tenant certificate '
              '(GuestAgentCertificateNotFound).')
    if not items:
        return finding('agent.certificate', 'fail', 'no TenantEncryptionCert certificate in %s'
                       % certificates.get('store'), evidence, remedy)
    valid = [item for item in items if (parse_utc(item.get('not_after_utc')) or 0) > now
             and (parse_utc(item.get('not_before_utc')) or 0) <= now]
    if not valid:
        return finding('agent.certificate', 'fail', 'every tenant certificate is outside its validity (latest '
                       'expiry %s)' % max(str(item.get('not_after_utc')) for item in items), evidence, remedy)
    return finding('agent.certificate', 'pass', 'tenant certificate valid until %s' % valid[-1].get('not_after_utc'),
                   evidence)


# -- Both, from Azure ----------------------------------------------------------------------------------------------
AZURE_AGENT_READY = 'Ready'


@RULES.rule(PLATFORMS, 'agent.azure_status')
def _agent_azure_status(ctx):
    agent = ctx.azure('agent')
    power_state = (ctx.facts['azure'].get('vm') or {}).get('power_state')
    status = agent.get('status')
    evidence = dict((key, agent.get(key)) for key in ('status', 'code', 'level', 'message', 'time', 'version'))
    if status is None and power_state in STOPPED_POWER_STATES:
        raise Skip('the VM is %s in Azure: its agent reports no status (see snapshot.power_state)' % power_state)
    if status == AZURE_AGENT_READY:
        return finding('agent.azure_status', 'pass', 'Azure reports the VM agent Ready (version %s)'
                       % (agent.get('version') or 'unknown'), evidence)
    return finding('agent.azure_status', 'fail', 'Azure reports the VM agent %s: %s' % (
        status or 'without a status', agent.get('message') or 'no message'), evidence,
        'Start (or reinstall) the VM agent in the guest and make sure it reaches the wireserver: the agent role '
        'and the guest checks of the agent cause say what is wrong (UserErrorGuestAgentStatusUnavailable).')
