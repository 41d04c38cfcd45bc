# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows facts: the arguments of the one win_powershell run, and its result turned into facts. Controller only.

The host runs ``gather.ps1`` (next to this file) through ansible.windows.win_powershell: it returns raw
observations (command output as text, registry values, event records, probe records). Everything that
interprets them happens here, so that the rules see the same envelope as on Linux (docs/facts.md,
"Windows"): sections with ``result`` ok/skip/error, observations with ``result`` and ``message``, and
probe records ``{host, port, ok, error, seconds, timed_out}``.
"""
from __future__ import absolute_import, division, print_function

import base64
import binascii
import os
import re

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import options as option_table
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.identity import azure_by_dmi
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.extension import parse_utc
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.observations import error, ok, skip
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import (
    parse_extension_status, parse_proxy_url, split_endpoint)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.redact import redact
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.version import parse_version
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.windows.offline import parse_failure_actions

__metaclass__ = type

MODULE = 'ansible.windows.win_powershell'
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'gather.ps1')
# win_powershell serializes its output 2 levels deep by default; the facts nest deeper.
OUTPUT_DEPTH = 10
# Windows' formatted performance counters are cooked over about one second: shorter samples repeat.
MIN_LOAD_INTERVAL_SECONDS = 1.0
MAX_MESSAGE_CHARS = 2000
SECTIONS_BY_CAUSE = {
    'platform': ('platform',),
    'connectivity': ('connectivity',),
    'agent': ('agent',),
    'extension': ('extension',),
    'snapshot': ('snapshot', 'dhcp', 'load'),
}
# Which script parameter carries which option, and the run's endpoint override that unlocks a probe group.
OVERRIDES = ('wireserver', 'imds', 'https_endpoints')


def script_text():
    with open(SCRIPT) as handle:
        return handle.read()


def module_args(sections, args):
    """win_powershell's arguments: the script, and its parameters from the run's options (defaults filled in)."""
    values = option_table.defaults_of(option_table.select(where='host'))
    values.update((key, value) for key, value in args.items() if value is not None)
    imds, imds_port = split_endpoint(values['imds'], defaults.IMDS_PORT)
    parameters = {
        'Gather': list(sections),
        'Wireserver': values['wireserver'],
        'WireserverPorts': list(values['wireserver_ports']),
        'Imds': imds,
        'ImdsPort': imds_port,
        'HttpsEndpoints': list(values['https_endpoints']),
        'Overridden': [name for name in OVERRIDES if option_table.overridden(args, name)],
        'AssumeAzure': bool(values['assume_azure']),
        'ProbeTimeout': float(values['probe_timeout']),
        'CommandTimeout': float(values['command_timeout']),
        'LogTailKib': int(values['log_tail_kib']),
        'LoadSamples': int(values['load_samples']),
        'LoadInterval': max(float(values['load_interval']), MIN_LOAD_INTERVAL_SECONDS),
        'AzureAssetTag': defaults.AZURE_CHASSIS_ASSET_TAG,
        'AzureManufacturer': defaults.AZURE_SYS_VENDOR,
        'AzureModel': defaults.AZURE_PRODUCT_NAME,
    }
    if args.get('proxy') is not None:  # '' means: no proxy, whatever the host configures
        parameters['Proxy'] = args['proxy']
    return {'script': script_text(), 'parameters': parameters, 'depth': OUTPUT_DEPTH,
            'error_action': 'continue'}


# -- helpers ------------------------------------------------------------------------------------------------------
def _is_ok(observation):
    return isinstance(observation, dict) and observation.get('result') == 'ok'


def _observation(raw, what):
    """A raw observation as is when it has a known result, else an error naming what is wrong."""
    if isinstance(raw, dict) and raw.get('result') in ('ok', 'skip', 'error'):
        return raw
    return error('facts malformed: %s is missing or has no result' % what)


def _text(value):
    return value if isinstance(value, str) else ''


# -- command output parsers (the host returns the text; English output of Windows Server) ---------------------------
def parse_vss_writers(text):
    """``vssadmin list writers``: [{name, id, instance_id, state, state_code, last_error}]."""
    writers = []
    current = None
    for line in _text(text).splitlines():
        match = re.match(r"\s*Writer name:\s*'(.*)'\s*$", line)
        if match:
            current = {'name': match.group(1), 'id': None, 'instance_id': None, 'state': None,
                       'state_code': None, 'last_error': None}
            writers.append(current)
            continue
        match = re.match(r'\s*(Writer Id|Writer Instance Id|State|Last error):\s*(.*?)\s*$', line)
        if not match or current is None:
            continue
        key, value = match.groups()
        if key == 'Writer Id':
            current['id'] = value
        elif key == 'Writer Instance Id':
            current['instance_id'] = value
        elif key == 'State':
            state = re.match(r'\[(\d+)\]\s*(.*)', value)
            current['state'] = state.group(2) if state else value
            current['state_code'] = int(state.group(1)) if state else None
        else:
            current['last_error'] = value
    return writers


def parse_sc_qfailure(text):
    """``sc.exe qfailure NAME``: {reset_period_seconds, actions: [{action, delay_ms}]}."""
    result = {'reset_period_seconds': None, 'actions': []}
    in_actions = False
    for line in _text(text).splitlines():
        match = re.match(r'\s*RESET_PERIOD \(in seconds\)\s*:\s*(\d+)', line)
        if match:
            result['reset_period_seconds'] = int(match.group(1))
            continue
        if re.match(r'\s*FAILURE_ACTIONS\s*:', line):
            in_actions = True
        elif re.match(r'\s*[A-Z_]+\s*:', line):
            in_actions = False
        match = re.search(r'([A-Z_ ]+?) -- Delay = (\d+) milliseconds', line)
        if in_actions and match:
            result['actions'].append({'action': match.group(1).strip().lower().replace(' ', '_'),
                                      'delay_ms': int(match.group(2))})
    return result


def parse_winhttp_proxy(text):
    """``netsh winhttp show proxy``: {proxy (str or None), bypass (list)}; None when the text is not recognised."""
    text = _text(text)
    if re.search(r'Direct access \(no proxy server\)', text):
        return {'proxy': None, 'bypass': []}
    match = re.search(r'Proxy Server\(s\)\s*:\s*(\S+)', text)
    if not match:
        return None
    bypass = re.search(r'Bypass List\s*:\s*(.*)', text)
    entries = bypass.group(1).strip() if bypass else ''
    return {'proxy': match.group(1), 'bypass': [] if entries in ('', '(none)') else
            [entry for entry in re.split(r'[;,\s]+', entries) if entry]}


def parse_windows_proxy(value):
    """A Windows proxy value ('host:port', 'http=h:p;https=h2:p2', a URL): parse_proxy_url's dict for HTTPS."""
    value = _text(value).strip()
    per_scheme = dict(part.split('=', 1) for part in value.split(';') if '=' in part)
    if per_scheme:
        value = per_scheme.get('https') or per_scheme.get('http') or ''
    return parse_proxy_url(value)


# -- sections -----------------------------------------------------------------------------------------------------
def _platform(raw):
    smbios = _observation(raw.get('smbios'), 'platform.smbios')
    dmi = skip(smbios.get('message') or 'SMBIOS not read') if not _is_ok(smbios) else ok(
        chassis_asset_tag=smbios.get('smbios_asset_tag') or None, sys_vendor=smbios.get('manufacturer'),
        product_name=smbios.get('model'), source='Win32_SystemEnclosure, Win32_ComputerSystem')
    if smbios.get('result') == 'error':
        dmi = error(smbios.get('message'))
    os_info = _observation(raw.get('os'), 'platform.os')
    return ok(smbios=smbios, dmi=dmi, azure_dmi=azure_by_dmi(dmi), os=os_info,
              distribution='windows', distribution_version=os_info.get('version') if _is_ok(os_info) else None,
              caption=os_info.get('caption') if _is_ok(os_info) else None, powershell=raw.get('powershell'),
              dotnet_tls=_observation(raw.get('dotnet_tls'), 'platform.dotnet_tls'))


def _failure_actions_from_registry(observation):
    """The FailureActions value (base64 of the REG_BINARY) decoded, or None when it cannot be used."""
    if not _is_ok(observation) or not observation.get('exists'):
        return None
    value = (observation.get('values') or {}).get('FailureActions')
    if value is None:
        return ok(reset_period_seconds=None, actions=[], source='registry (no FailureActions value)')
    try:
        parsed = parse_failure_actions(base64.b64decode(value, validate=True))
    except (TypeError, ValueError, binascii.Error):
        parsed = None
    return ok(source='registry', **parsed) if parsed else None


def _agent(raw):
    failure = {}
    registry = raw.get('failure_actions_registry') or {}
    for name, command in (raw.get('failure_actions') or {}).items():
        from_registry = _failure_actions_from_registry(registry.get(name))
        if from_registry:
            failure[name] = from_registry
            continue
        command = _observation(command, 'agent.failure_actions.%s' % name)
        if _is_ok(command) and 'actions' not in command:  # offline disks give them parsed from the registry
            parsed = parse_sc_qfailure(command.get('output'))
            if command.get('rc') not in (0, None):
                command = error('sc.exe qfailure %s exited %s: %s'
                                % (name, command.get('rc'), _text(command.get('output')).strip()[:200]))
            else:
                command = ok(output=command.get('output'), source='sc.exe qfailure', **parsed)
        failure[name] = command
    log = _observation(raw.get('log'), 'agent.log')
    if _is_ok(log) and log.get('exists'):
        log = dict(log, text=redact(_text(log.get('text')))[0])
    return ok(services=dict((name, _observation(value, 'agent.services.%s' % name))
                            for name, value in (raw.get('services') or {}).items()),
              failure_actions=failure,
              registry=_observation(raw.get('registry'), 'agent.registry'),
              executables=_observation(raw.get('executables'), 'agent.executables'),
              system_events=_observation(raw.get('system_events'), 'agent.system_events'),
              application_errors=_observation(raw.get('application_errors'), 'agent.application_errors'),
              log=log, certificates=_observation(raw.get('certificates'), 'agent.certificates'))


def _status(raw, gathered_at):
    """The newest status file of one handler, parsed here with the Linux parser."""
    raw = _observation(raw, 'extension status')
    if not _is_ok(raw) or not raw.get('file'):
        return raw
    parsed = parse_extension_status(raw.get('text'))
    where = dict(file=raw.get('file'), sequence=raw.get('sequence'), mtime_utc=raw.get('mtime_utc'))
    if parsed['status'] is None:
        return error('%s: %s' % (raw.get('file'), '; '.join(parsed['warnings']) or 'no status'), **where)
    reference = parse_utc(parsed['timestamp'])
    if reference is None:
        reference = parse_utc(raw.get('mtime_utc'))
    now = parse_utc(gathered_at)
    message = parsed['message']
    if isinstance(message, str):
        message = redact(message[:MAX_MESSAGE_CHARS])[0]
    return ok(timestamp_utc=parsed['timestamp'], status=parsed['status'], operation=parsed['operation'],
              code=parsed['code'], message=message, name=parsed['name'], warnings=parsed['warnings'],
              age_seconds=round(now - reference, 1) if None not in (now, reference) else None, **where)


def _version_key(version):
    parsed = parse_version(version)
    return (parsed is not None, parsed or ())


def _extension(raw, gathered_at):
    handlers = _observation(raw.get('handlers'), 'extension.handlers')
    newest = None
    if _is_ok(handlers):
        items = [{'version': item.get('version'), 'path': item.get('path'),
                  'status': _status(item.get('status'), gathered_at)}
                 for item in handlers.get('items') or [] if isinstance(item, dict)]
        # Unparsable versions sort first so that the newest real version is last, as on Linux.
        items.sort(key=lambda item: _version_key(item['version']))
        handlers = ok(path=handlers.get('path'), exists=handlers.get('exists'), items=items)
        newest = items[-1]['version'] if items else None
    return ok(handlers=handlers, newest_version=newest,
              provider_service=_observation(raw.get('provider_service'), 'extension.provider_service'),
              bcdr_agent=_observation(raw.get('bcdr_agent'), 'extension.bcdr_agent'),
              bcdr_persistent_keys=_observation(raw.get('bcdr_persistent_keys'), 'extension.bcdr_persistent_keys'),
              applocker_events=_observation(raw.get('applocker_events'), 'extension.applocker_events'),
              application_errors=_observation(raw.get('application_errors'), 'extension.application_errors'))


def _snapshot(raw):
    vss = _observation(raw.get('vss_writers'), 'snapshot.vss_writers')
    if _is_ok(vss):
        writers = parse_vss_writers(vss.get('output'))
        if vss.get('rc') not in (0, None) or not writers:
            vss = error('vssadmin list writers (exit %s) listed no writer: %s'
                        % (vss.get('rc'), _text(vss.get('output')).strip()[-300:] or vss.get('stderr')))
        else:
            vss = ok(writers=writers, output=vss.get('output'))
    return ok(sql_services=_observation(raw.get('sql_services'), 'snapshot.sql_services'),
              bcdr_agent=_observation(raw.get('bcdr_agent'), 'snapshot.bcdr_agent'),
              vss_writers=vss,
              services=dict((name, _observation(value, 'snapshot.services.%s' % name))
                            for name, value in (raw.get('services') or {}).items()))


def _load(raw):
    memory = []
    for sample in raw.get('memory') or []:
        total, free = (sample or {}).get('total_kib'), (sample or {}).get('free_kib')
        if isinstance(total, int) and isinstance(free, int) and total > 0:
            memory.append(round(100.0 * (total - free) / total, 1))
    if not memory or not raw.get('cpu_percent'):
        return error('facts malformed: load samples missing')
    return ok(method=raw.get('method'), samples=raw.get('samples'), interval_seconds=raw.get('interval_seconds'),
              cpu_percent=[float(value) for value in raw.get('cpu_percent')], memory_percent=memory,
              processor_queue_length=raw.get('processor_queue_length'), cpu_count=raw.get('cpu_count'))


def _proxy(raw, probes):
    """Every place that configures a proxy for LocalSystem, the one the probes used, and its probe."""
    raw = _observation(raw, 'connectivity.proxy')
    if not _is_ok(raw):
        return raw
    sources, errors, no_proxy = [], [], []

    def add(source, key, value):
        parsed = parse_windows_proxy(value)
        sources.append({'source': source, 'key': key, 'value': redact(_text(value))[0],
                        'host': parsed and parsed['host'], 'port': parsed and parsed['port'],
                        'has_credentials': bool(parsed and parsed['has_credentials'])})

    winhttp = raw.get('winhttp') or {}
    if _is_ok(winhttp):
        parsed = parse_winhttp_proxy(winhttp.get('output'))
        if parsed is None:
            errors.append({'source': 'winhttp', 'message': 'netsh winhttp show proxy: output not recognised'})
        elif parsed['proxy']:
            add('winhttp', 'Proxy Server(s)', parsed['proxy'])
            no_proxy.extend(parsed['bypass'])
    else:
        errors.append({'source': 'winhttp', 'message': winhttp.get('message')})
    local = raw.get('local_system') or {}
    if _is_ok(local):
        values = local.get('values') or {}
        if values.get('ProxyEnable') == 1 and values.get('ProxyServer'):
            add('LocalSystem Internet Settings', 'ProxyServer', values['ProxyServer'])
            no_proxy.extend(entry for entry in _text(values.get('ProxyOverride')).split(';') if entry)
    else:
        errors.append({'source': 'LocalSystem Internet Settings', 'message': local.get('message')})
    for key, value in sorted(((raw.get('environment') or {}).get('values') or {}).items()):
        if value and key != 'NO_PROXY':
            add('machine environment', key, value)
    if raw.get('option'):
        add('option', 'proxy', raw['option'])
    via = raw.get('via')
    effective = {'host': via.get('host'), 'port': via.get('port'), 'source': via.get('source')} \
        if isinstance(via, dict) and via.get('host') else None
    return ok(sources=sources, effective=effective, no_proxy=no_proxy, errors=errors,
              probe=probes.get('proxy') if effective else None)


def _connectivity(raw, platform, args):
    """Probe records grouped like Linux; a group the host did not probe is skip with the reason."""
    groups = raw.get('groups') or {}
    probes = raw.get('probes') or {}
    # Again on the controller: Azure's addresses only from an Azure VM, unless the run asks for them.
    azure = bool((platform or {}).get('azure_dmi')) or bool(args.get('assume_azure'))
    allowed = {'wireserver': azure or option_table.overridden(args, 'wireserver'),
               'imds': azure or option_table.overridden(args, 'imds'),
               'https': azure or option_table.overridden(args, 'https_endpoints')}
    if not any(groups.get(name) for name in allowed):
        return skip('not an Azure VM by SMBIOS (asset tag %s): platform probes skipped; set assume_azure or '
                    'override the endpoints to probe' % defaults.AZURE_CHASSIS_ASSET_TAG)

    def group(name, prefix):
        if not isinstance(probes, dict):
            return error('facts malformed: the probe records are not a mapping')
        if not groups.get(name):
            return skip('%s not probed: not an Azure VM by SMBIOS and not overridden' % name)
        if not allowed[name]:
            return error('%s was probed although the controller does not recognise an Azure VM' % name)
        return ok(probes=[probes[key] for key in sorted(probes, key=_probe_order) if key.startswith(prefix)])

    return ok(endpoints=raw.get('endpoints'), timeout_seconds=raw.get('timeout_seconds'),
              elapsed_seconds=raw.get('elapsed_seconds'),
              wireserver=group('wireserver', 'wireserver:'), imds=group('imds', 'imds'),
              https=group('https', 'https:'), dns=group('https', 'dns:'),
              proxy=_proxy(raw.get('proxy'), probes),
              route=_observation(raw.get('route'), 'connectivity.route'),
              firewall=_observation(raw.get('firewall'), 'connectivity.firewall'))


def _probe_order(key):
    """'wireserver:80' before 'wireserver:32526': by name, then by port as a number."""
    head, _sep, tail = key.rpartition(':')
    return (head, int(tail)) if tail.isdigit() else (key, 0)


def _section(raw, name, build, *extra):
    value = raw.get(name)
    if not isinstance(value, dict) or value.get('result') != 'ok':
        return _observation(value, 'section %s' % name)
    try:
        return build(value, *extra)
    except (AttributeError, TypeError, ValueError, KeyError) as exc:  # a shape the script never returns
        return error('facts malformed: section %s: %s: %s' % (name, exc.__class__.__name__, exc))


def facts_from_result(module_result, args):
    """The normalized facts from win_powershell's result, or (None, message) when the script gave none."""
    output = module_result.get('output')
    raw = output[-1] if isinstance(output, list) and output else None
    if not isinstance(raw, dict) or raw.get('os') != 'windows':
        errors = [item.get('output') or (item.get('exception') or {}).get('message')
                  for item in module_result.get('error') or [] if isinstance(item, dict)]
        return None, 'gather.ps1 returned no facts%s' % (': ' + '; '.join(str(e) for e in errors[:3]) if errors else '')
    facts = facts_from_raw(raw, args)
    # The script's own error records: shown, never fatal (a section that failed says so itself).
    facts['script_errors'] = [str(item.get('output'))[:500] for item in module_result.get('error') or []
                              if isinstance(item, dict)][:20]
    return facts, None


def facts_from_raw(raw, args):
    """The normalized facts from the raw observations (gather.ps1's output, or an offline disk's from guest_info)."""
    gathered = [name for name in raw.get('gathered') or [] if isinstance(name, str)]
    facts = {'schema': 1, 'os': 'windows', 'root': raw.get('root'), 'offline': bool(raw.get('offline')),
             'gathered_at': raw.get('gathered_at'), 'gathered': ['platform'] + [n for n in gathered if n != 'platform']}
    facts['platform'] = _section(raw, 'platform', _platform)
    builders = {'agent': (_agent,), 'extension': (_extension, raw.get('gathered_at')), 'snapshot': (_snapshot,),
                'dhcp': (lambda value: value,), 'load': (_load,),
                'connectivity': (_connectivity, facts['platform'], args)}
    for name in gathered:
        if name in builders:
            build = builders[name]
            facts[name] = _section(raw, name, build[0], *build[1:])
    return facts
