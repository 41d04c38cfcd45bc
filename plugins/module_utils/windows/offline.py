# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OS disk of a broken Windows VM, mounted on a Linux rescue VM (ntfs-3g): its raw observations.

Runs on the rescue host inside guest_info when ``root`` holds Windows/System32/config/SYSTEM. It reads the
SYSTEM and SOFTWARE registry hives with regipy (pure Python; an optional dependency of the rescue host:
without it the registry observations are errors naming it) and files under ``root``, and returns the
same raw shape as plugins/plugin_utils/windows/gather.ps1 does on a running Windows host, so that the
controller normalizes both with one code (plugin_utils/windows/facts.py). What only a running system
shows (services' state, event logs, certificates, VSS writers, probes, load, routes) is ``skip``.
Python 3.8+, standard library and regipy only, no Ansible import.
"""
from __future__ import absolute_import, division, print_function

import os
import re
import struct
import time

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.observations import (
    error, ok, skip, utc_iso)

__metaclass__ = type

OFFLINE = 'offline: the OS disk is not running'
SYSTEM_HIVE = ('Windows', 'System32', 'config', 'SYSTEM')
SOFTWARE_HIVE = ('Windows', 'System32', 'config', 'SOFTWARE')
AGENT_SERVICES = ('WindowsAzureGuestAgent', 'RdAgent')
VSS_SERVICES = ('VSS', 'COMSysApp', 'MSDTC')
PROVIDER_SERVICE = 'IaaSVmProvider'
# The Start value of a service key (Microsoft "CurrentControlSet\Services Subkey Entries").
START_MODES = {0: 'Boot', 1: 'System', 2: 'Auto', 3: 'Manual', 4: 'Disabled'}
# SC_ACTION_TYPE of SERVICE_FAILURE_ACTIONS (winsvc.h).
FAILURE_ACTIONS = {0: 'none', 1: 'restart', 2: 'reboot', 3: 'run_command'}
EXTENSION_DIR = ('Packages', 'Plugins', 'Microsoft.Azure.RecoveryServices.VMSnapshot')
AGENT_LOG = ('WindowsAzure', 'Logs', 'WaAppAgent.log')
MAX_STATUS_BYTES = 256 * 1024
STATUS_RE = re.compile(r'^([0-9]+)\.status$', re.IGNORECASE)


def skip_offline(message=OFFLINE):
    return skip(message)


def find_path(root, parts):
    """``root``/``parts`` matched case-insensitively component by component (NTFS is, ntfs-3g need not be)."""
    path = root
    for part in parts:
        try:
            names = os.listdir(path)
        except OSError:
            return None
        match = [name for name in names if name.lower() == part.lower()]
        if not match:
            return None
        path = os.path.join(path, sorted(match)[0])
    return path


def is_windows_root(root):
    return bool(root) and root != '/' and find_path(root, SYSTEM_HIVE) is not None


class Hive:
    """One registry hive read with regipy; every read returns (value, problem)."""

    def __init__(self, path):
        self.path = path
        self.problem = None
        self.hive = None
        try:
            from regipy.registry import RegistryHive  # optional on the rescue host
        except ImportError:
            self.problem = 'regipy is not installed on this host (pip install regipy) to read %s' % path
            return
        if path is None:
            self.problem = 'hive not found under the root'
            return
        try:
            self.hive = RegistryHive(path)
        except Exception as exc:  # regipy raises its own types for a damaged hive
            self.problem = '%s: %s: %s' % (path, exc.__class__.__name__, exc)

    def key(self, path):
        """The key at ``path`` (backslashes, from the hive root) or None; raises nothing."""
        try:
            return self.hive.get_key('\\' + path.strip('\\'))
        except Exception:  # RegistryKeyNotFoundException, or a damaged cell
            return None

    def values(self, path, names=None):
        """A registry observation like gather.ps1's: {path, exists, values}."""
        if self.problem:
            return error(self.problem, path=path)
        key = self.key(path)
        if key is None:
            return ok(path=path, exists=False, values={})
        try:
            values = dict((value.name, value.value) for value in key.iter_values()
                          if names is None or value.name in names)
        except Exception as exc:
            return error('%s: %s' % (path, exc), path=path)
        return ok(path=path, exists=True, values=values)

    def subkeys(self, path):
        key = self.key(path)
        if key is None:
            return []
        try:
            return [subkey.name for subkey in key.iter_subkeys()]
        except Exception:
            return []


def parse_failure_actions(hex_text):
    """SERVICE_FAILURE_ACTIONS as the registry stores it (FailureActions, REG_BINARY, 32-bit layout):
    dwResetPeriod, lpRebootMsg, lpCommand, cActions, lpsaActions, then cActions (type, delay) pairs."""
    try:
        data = bytes.fromhex(hex_text) if isinstance(hex_text, str) else bytes(hex_text)
        reset, _reboot, _command, count, _actions = struct.unpack_from('<IIIII', data, 0)
        actions = [struct.unpack_from('<II', data, 20 + 8 * index) for index in range(count)]
    except (ValueError, TypeError, struct.error):
        return None
    return {'reset_period_seconds': reset,
            'actions': [{'action': FAILURE_ACTIONS.get(kind, str(kind)), 'delay_ms': delay}
                        for kind, delay in actions if kind != 0]}


def _service(system, control_set, name):
    if system.problem:
        return error(system.problem, name=name)
    path = '%s\\Services\\%s' % (control_set, name)
    found = system.values(path)
    if found['result'] != 'ok':
        return found
    if not found['exists']:
        return ok(name=name, present=False, source='registry')
    values = found['values']
    return ok(name=name, present=True, source='registry', state=None, display_name=values.get('DisplayName'),
              start_mode=START_MODES.get(values.get('Start'), values.get('Start')),
              start_name=values.get('ObjectName'), path_name=values.get('ImagePath'))


def _failure_actions(system, control_set, name):
    if system.problem:
        return error(system.problem)
    found = system.values('%s\\Services\\%s' % (control_set, name), ['FailureActions'])
    if found['result'] != 'ok':
        return found
    raw = found['values'].get('FailureActions')
    if raw is None:
        return ok(reset_period_seconds=None, actions=[], source='registry')
    parsed = parse_failure_actions(raw)
    if parsed is None:
        return error('%s FailureActions is not a SERVICE_FAILURE_ACTIONS value' % name)
    return ok(source='registry', **parsed)


def _read_text(path, max_bytes):
    with open(path, 'rb') as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - max_bytes))
        data = handle.read(max_bytes)
    return size, data.decode('utf-8', 'replace')


def _handlers(root):
    base = find_path(root, EXTENSION_DIR)
    shown = 'C:\\' + '\\'.join(EXTENSION_DIR)
    if base is None:
        return ok(path=shown, exists=False, items=[])
    items = []
    try:
        versions = sorted(name for name in os.listdir(base) if os.path.isdir(os.path.join(base, name)))
    except OSError as exc:
        return error('%s: %s' % (shown, exc.strerror or exc), path=shown)
    for version in versions:
        status_dir = find_path(os.path.join(base, version), ('Status',))
        numbered = []
        if status_dir:
            try:
                numbered = [(int(STATUS_RE.match(name).group(1)), name) for name in os.listdir(status_dir)
                            if STATUS_RE.match(name)]
            except OSError:
                numbered = []
        status = ok(file=None)
        if numbered:
            sequence, name = max(numbered)
            path = os.path.join(status_dir, name)
            shown_file = '%s\\%s\\Status\\%s' % (shown, version, name)
            try:
                if os.path.getsize(path) > MAX_STATUS_BYTES:
                    status = error('%s: larger than %d bytes' % (shown_file, MAX_STATUS_BYTES), file=shown_file)
                else:
                    with open(path, 'rb') as handle:
                        text = handle.read().decode('utf-8-sig', 'replace')
                    status = ok(file=shown_file, sequence=sequence, mtime_utc=utc_iso(os.path.getmtime(path)),
                                text=text)
            except OSError as exc:
                status = error('%s: %s' % (shown_file, exc.strerror or exc), file=shown_file)
        items.append({'version': version, 'path': '%s\\%s' % (shown, version), 'status': status})
    return ok(path=shown, exists=True, items=items)


def _agent(root, system, software, control_set, options):
    guest_agents = []
    agent_dir = find_path(root, ('WindowsAzure',))
    if agent_dir:
        for name in sorted(os.listdir(agent_dir)):
            if name.lower().startswith('guestagent_'):
                exe = find_path(os.path.join(agent_dir, name), ('WindowsAzureGuestAgent.exe',))
                # Offline the version comes from the directory name (no PE resource reader here).
                guest_agents.append(ok(path='C:\\WindowsAzure\\%s\\WindowsAzureGuestAgent.exe' % name,
                                       exists=exe is not None, file_version=name.split('_', 1)[1],
                                       product_version=None))
    wa_app_agent = find_path(root, ('WindowsAzure', 'Packages', 'WaAppAgent.exe'))
    log_path = find_path(root, AGENT_LOG)
    if log_path is None:
        log = ok(path='C:\\' + '\\'.join(AGENT_LOG), exists=False)
    else:
        try:
            size, text = _read_text(log_path, int(options.get('log_tail_kib') or 256) * 1024)
            log = ok(path='C:\\' + '\\'.join(AGENT_LOG), exists=True, size=size, tail_bytes=len(text), text=text)
        except OSError as exc:
            log = error('%s: %s' % (log_path, exc.strerror or exc))
    return ok(
        services=dict((name, _service(system, control_set, name)) for name in AGENT_SERVICES),
        failure_actions=dict((name, _failure_actions(system, control_set, name)) for name in AGENT_SERVICES),
        registry=software.values('Microsoft\\Virtual Machine\\Guest', ['GuestAgentVersion', 'DHCPStatus']),
        executables=ok(wa_app_agent=ok(path='C:\\WindowsAzure\\Packages\\WaAppAgent.exe',
                                       exists=wa_app_agent is not None, file_version=None, product_version=None),
                       guest_agents=guest_agents),
        system_events=skip('offline: event logs are not read from a disk'),
        application_errors=skip('offline: event logs are not read from a disk'),
        log=log, certificates=skip('offline: the certificate store is not read from a disk'))


def _sql_services(system, control_set):
    if system.problem:
        return error(system.problem)
    names = system.subkeys('%s\\Services' % control_set)
    items = []
    for name in names:
        if name.upper() == 'MSSQLSERVER' or name.upper().startswith('MSSQL$'):
            service = _service(system, control_set, name)
            items.append({'name': name, 'state': None, 'start_mode': service.get('start_mode')})
    return ok(items=items)


def _adapters(system, control_set):
    """Tcpip\\Parameters\\Interfaces\\{guid}: EnableDHCP and the static IPAddress per interface."""
    if system.problem:
        return error(system.problem)
    base = '%s\\Services\\Tcpip\\Parameters\\Interfaces' % control_set
    items = []
    for guid in system.subkeys(base):
        values = system.values('%s\\%s' % (base, guid))['values']
        addresses = values.get('IPAddress') or []
        if isinstance(addresses, str):
            addresses = [addresses]
        items.append({'interface_guid': guid, 'dhcp_enabled': values.get('EnableDHCP') == 1,
                      'ip_address': [address for address in addresses if address and address != '0.0.0.0'],
                      'dhcp_ip_address': values.get('DhcpIPAddress'), 'source': 'registry'})
    return ok(items=items)


def gather(root, sections, options=None):
    """The raw observations of an offline Windows disk, in gather.ps1's shape (see the module docstring)."""
    options = options or {}
    sections = list(sections)
    # guest_info's sections are Linux's: its snapshot cause is dhcp and load; Windows adds the snapshot section.
    if 'dhcp' in sections and 'snapshot' not in sections:
        sections.insert(sections.index('dhcp'), 'snapshot')
    started = time.time()
    system = Hive(find_path(root, SYSTEM_HIVE))
    software = Hive(find_path(root, SOFTWARE_HIVE))
    control_set = 'ControlSet001'
    if not system.problem:
        current = system.values('Select', ['Current'])['values'].get('Current')
        if isinstance(current, int):
            control_set = 'ControlSet%03d' % current
    version = software.values('Microsoft\\Windows NT\\CurrentVersion', [
        'ProductName', 'CurrentBuild', 'CurrentMajorVersionNumber', 'CurrentMinorVersionNumber'])
    os_info = version if version['result'] != 'ok' else ok(
        caption=version['values'].get('ProductName'), build=version['values'].get('CurrentBuild'),
        version='%s.%s.%s' % (version['values'].get('CurrentMajorVersionNumber'),
                              version['values'].get('CurrentMinorVersionNumber'), version['values'].get('CurrentBuild'))
        if version['values'].get('CurrentMajorVersionNumber') is not None else None, architecture=None)
    tls_names = ['SchUseStrongCrypto', 'SystemDefaultTlsVersions']
    raw = {
        'schema': 1, 'os': 'windows', 'root': root, 'offline': True, 'gathered_at': utc_iso(started),
        'gathered': list(sections), 'control_set': control_set,
        'platform': ok(smbios=skip('offline: SMBIOS describes the rescue VM, not this disk'), os=os_info,
                       powershell=None,
                       dotnet_tls=ok(x64=software.values('Microsoft\\.NETFramework\\v4.0.30319', tls_names),
                                     x86=software.values('WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319',
                                                         tls_names))),
    }
    builders = {
        'agent': lambda: _agent(root, system, software, control_set, options),
        'extension': lambda: ok(
            handlers=_handlers(root), provider_service=_service(system, control_set, PROVIDER_SERVICE),
            bcdr_agent=software.values('Microsoft\\BcdrAgent'),
            bcdr_persistent_keys=software.values('Microsoft\\BcdrAgentPersistentKeys'),
            applocker_events=skip('offline: event logs are not read from a disk'),
            application_errors=skip('offline: event logs are not read from a disk')),
        'snapshot': lambda: ok(
            sql_services=_sql_services(system, control_set),
            bcdr_agent=software.values('Microsoft\\BcdrAgent', ['UseVSSCopyBackup', 'UseVssFullBackup']),
            vss_writers=skip('offline: VSS writers exist only on a running system'),
            services=dict((name, _service(system, control_set, name)) for name in VSS_SERVICES)),
        'dhcp': lambda: ok(primary_interface=skip('offline: no route table on a disk'),
                           adapters=_adapters(system, control_set)),
        'load': skip_offline,
        'connectivity': skip_offline,
    }
    for name in sections:
        if name in builders:
            try:
                raw[name] = builders[name]()
            except Exception as exc:  # one section, not the run
                raw[name] = error('internal error: %s: %s' % (exc.__class__.__name__, exc))
    return raw
