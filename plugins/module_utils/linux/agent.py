# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WALinuxAgent facts: package, executable, versions, service, processes, configuration, log.

Raw observations only; evaluate.py judges them.
"""
from __future__ import absolute_import, division, print_function

import os
import re

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import (
    MAX_FILE_BYTES, OFFLINE_MESSAGE, error, ok, os_error_text, skip)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import (
    ini_items, parse_waagent_conf, parse_waagent_version)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.redact import redact

__metaclass__ = type

EXECUTABLE_PATHS = ('/usr/sbin/waagent', '/usr/bin/waagent', '/usr/local/sbin/waagent',
                    '/usr/local/bin/waagent')
# Where unit files live, in systemd's precedence order (the first hit is the fragment).
UNIT_DIRS = ('/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system',
             '/usr/lib/systemd/system', '/lib/systemd/system')
SERVICE_PROPERTIES = ('LoadState', 'ActiveState', 'SubState', 'UnitFileState', 'Restart',
                      'FragmentPath', 'SourcePath')
GOAL_STATE_DIR_RE = re.compile(r'^WALinuxAgent-(?P<version>[0-9][0-9.]*)$')
DEFAULT_LOG_TAIL_KIB = defaults.LOG_TAIL_KIB
MAX_LOG_LINES_RETURNED = 50
MAX_LOG_LINE_CHARS = 500
# WALinuxAgent log lines: "2024-05-01T10:00:00.123456Z ERROR Daemon ..." (2.2.x and later) and
# "2016/11/02 10:00:00.123 ERROR ..." (older agents).
LOG_LINE_RE = re.compile(
    r'^(?P<timestamp>\d{4}[-/]\d\d[-/]\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?Z?)\s+'
    r'(?P<level>VERBOSE|INFO|WARNING|WARN|ERROR|CRITICAL)\s+(?P<text>.*)$')
REPORTED_LEVELS = ('WARNING', 'WARN', 'ERROR', 'CRITICAL')


# -- package ------------------------------------------------------------------------------------
def parse_dpkg_status(text, package):
    """(installed, version) of ``package`` in a dpkg status database; (False, None) when absent."""
    for stanza in re.split(r'\n\s*\n', text):
        fields = {}
        for line in stanza.splitlines():
            if line and not line[0].isspace() and ':' in line:
                key, value = line.split(':', 1)
                fields[key.strip()] = value.strip()
        if fields.get('Package') == package:
            installed = fields.get('Status', '').split()[-1:] == ['installed']
            return installed, fields.get('Version') if installed else None
    return False, None


def gather_package(host, names, os_family):
    package = names['package']
    if host.offline:
        path = '/var/lib/dpkg/status'
        text, _size, problem = host.read_text(path, max_bytes=64 * 1024 * 1024)
        if problem:
            return error(problem, manager='dpkg', name=package, source=path)
        if text is None:
            return skip('offline mode: no dpkg database (%s); rpm databases are not read offline' % path,
                        manager=None, name=package)
        installed, version = parse_dpkg_status(text, package)
        return ok(manager='dpkg', name=package, installed=installed, version=version, source=path)

    managers = ('rpm', 'dpkg') if os_family in ('redhat', 'suse') else ('dpkg', 'rpm')
    problems = []
    for manager in managers:
        if manager == 'dpkg':
            argv = ['dpkg-query', '-W', '-f=${Status}\t${Version}\n', package]
        else:
            argv = ['rpm', '-q', '--qf', '%{VERSION}-%{RELEASE}\n', package]
        result = host.run(argv)
        if result.not_found:
            continue
        source = ' '.join(argv)
        if result.ok:
            if manager == 'dpkg':
                status, _tab, version = result.stdout.strip().partition('\t')
                installed = status.split()[-1:] == ['installed']
                return ok(manager=manager, name=package, installed=installed,
                          version=(version or None) if installed else None, source=source)
            return ok(manager=manager, name=package, installed=True,
                      version=result.stdout.strip() or None, source=source)
        if result.rc == 1 and result.error is None:
            # Both tools answer 1 for "not installed" ("no packages found matching", "is not installed").
            return ok(manager=manager, name=package, installed=False, version=None, source=source)
        problems.append(result.describe())
    if problems:
        return error('; '.join(problems), manager=None, name=package)
    return error('no package manager found (dpkg-query, rpm)', manager=None, name=package)


# -- executable and versions -----------------------------------------------------------------
def gather_executable(host):
    for path in EXECUTABLE_PATHS:
        if host.isfile(path):
            return ok(path=path, exists=True)
    return ok(path=None, exists=False)


def gather_version(host, executable):
    if host.offline:
        return skip(OFFLINE_MESSAGE)
    if not executable.get('exists'):
        return skip('no waagent executable (%s)' % ', '.join(EXECUTABLE_PATHS))
    result = host.run([executable['path'], '-version'])
    if not result.ok:
        return error(result.describe())
    parsed = parse_waagent_version(result.stdout)
    if parsed['daemon_version'] is None:
        return error('waagent -version printed no "WALinuxAgent-<version>" line: %r'
                     % result.stdout.strip()[:200], output=result.stdout[:2000])
    return ok(daemon=parsed['daemon_version'], goal_state=parsed['goal_state_version'],
              python=parsed['python_version'], output=result.stdout.strip()[:2000])


def gather_goal_state_dirs(host):
    names, problem = host.listdir(defaults.WAAGENT_LIB_DIR)
    if problem:
        return error(problem)
    versions = []
    for name in names:
        match = GOAL_STATE_DIR_RE.match(name)
        if match and host.isdir(defaults.WAAGENT_LIB_DIR + '/' + name):
            versions.append(match.group('version'))
    versions.sort(key=lambda text: [int(part) for part in text.split('.') if part])
    return ok(versions=versions)


# -- service -----------------------------------------------------------------------------------
def parse_systemctl_show(text):
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition('=')
        if sep:
            values[key.strip()] = value.strip()
    return values


def gather_service(host, names):
    unit = names['service'] + '.service'
    if host.offline:
        return _service_from_files(host, unit)
    result = host.run(['systemctl', 'show', '-p', ','.join(SERVICE_PROPERTIES), unit])
    if result.not_found:
        return error('systemctl not found: not a systemd host', unit=unit, source='systemctl')
    if not result.ok:
        return error(result.describe(), unit=unit, source='systemctl')
    values = parse_systemctl_show(result.stdout)
    if 'LoadState' not in values:
        return error('systemctl show printed no LoadState: %r' % result.stdout.strip()[:200],
                     unit=unit, source='systemctl')
    return ok(unit=unit, source='systemctl',
              load_state=values.get('LoadState') or None,
              active_state=values.get('ActiveState') or None,
              sub_state=values.get('SubState') or None,
              unit_file_state=values.get('UnitFileState') or None,
              restart=values.get('Restart') or None,
              fragment_path=values.get('FragmentPath') or None,
              source_path=values.get('SourcePath') or None)


def _unit_restart(host, fragment, unit):
    """Restart= of the [Service] section as systemd merges it: fragment, then drop-ins by name."""
    files = [fragment]
    dropins = {}
    for directory in reversed(UNIT_DIRS):  # later directories in this loop take precedence
        names, _problem = host.listdir(directory + '/' + unit + '.d')
        for name in names:
            if name.endswith('.conf'):
                dropins[name] = directory + '/' + unit + '.d/' + name
    files.extend(dropins[name] for name in sorted(dropins))
    restart = 'no'  # systemd's default
    for path in files:
        text, _size, problem = host.read_text(path, max_bytes=256 * 1024)
        if problem or text is None:
            continue
        for section, key, value in ini_items(text):
            if section == 'Service' and key == 'Restart':
                # An empty assignment resets the setting to its default.
                restart = value or 'no'
    return restart


def _service_from_files(host, unit):
    """Offline: the unit file, its enablement symlinks and Restart= from the unit and drop-ins."""
    etc = '/etc/systemd/system'
    if host.readlink(etc + '/' + unit) == '/dev/null':
        return ok(unit=unit, source='files', load_state='masked', active_state=None, sub_state=None,
                  unit_file_state='masked', restart=None, fragment_path=None, source_path=None)
    fragment = None
    for directory in UNIT_DIRS:
        if host.isfile(directory + '/' + unit):
            fragment = directory + '/' + unit
            break
    wants, problem = host.listdir(etc)
    if problem:
        return error(problem, unit=unit, source='files')
    enabled_by = []
    for name in wants:
        if name.endswith(('.wants', '.requires')) and host.exists(etc + '/' + name + '/' + unit):
            enabled_by.append(name)
    if fragment is None:
        state = 'not-found'
    elif enabled_by:
        state = 'enabled'
    else:
        state = 'disabled'
    return ok(unit=unit, source='files', load_state='loaded' if fragment else 'not-found',
              active_state=None, sub_state=None, unit_file_state=state,
              restart=_unit_restart(host, fragment, unit) if fragment else None,
              fragment_path=fragment, source_path=None, enabled_by=enabled_by)


# -- processes ------------------------------------------------------------------------------------
def _is_agent_command(args):
    return any('waagent' in arg or 'WALinuxAgent' in arg for arg in args)


def gather_processes(host):
    return host.once('agent.processes', _scan_processes)


def _pid_namespace(host, pid):
    """(namespace link text, None) of /proc/<pid>/ns/pid, or (None, why it could not be read)."""
    path = os.path.join(host.proc_root, str(pid), 'ns', 'pid')
    try:
        return os.readlink(path), None
    except OSError as exc:
        return None, '%s: %s' % (path, os_error_text(exc))


def _scan_processes(host):
    """The agent's processes in this module's PID namespace.

    Containers on the host run their own agents (or lab guests) in other PID namespaces; their
    processes show in /proc too but are not this system's agent: only their number is reported
    (``in_other_namespaces``).
    """
    if host.offline:
        return skip(OFFLINE_MESSAGE)
    try:
        pids = sorted(int(name) for name in os.listdir(host.proc_root) if name.isdigit())
    except OSError as exc:
        return error('%s: %s' % (host.proc_root, exc))
    own_namespace, own_problem = _pid_namespace(host, 'self')
    daemon, exthandlers = [], []
    in_other_namespaces = 0
    for pid in pids:
        data, _size, _problem = host.read_bytes(os.path.join(host.proc_root, str(pid), 'cmdline'),
                                                max_bytes=8192, real=True)
        if not data:
            continue  # kernel threads and processes that exited meanwhile
        args = data.decode('utf-8', 'replace').rstrip('\x00').split('\x00')
        if not _is_agent_command(args):
            continue
        entry = {'pid': pid, 'cmdline': ' '.join(args)[:500]}
        if own_namespace is not None:
            namespace, problem = _pid_namespace(host, pid)
            if namespace is None:
                # Unreadable (ptrace rules): counting it is the safer mistake than hiding our agent.
                entry['note'] = 'PID namespace unknown (%s); counted as this system\'s' % problem
            elif namespace != own_namespace:
                in_other_namespaces += 1
                continue
        if '-daemon' in args or '--daemon' in args:
            daemon.append(entry)
        elif '-run-exthandlers' in args or '--run-exthandlers' in args:
            exthandlers.append(entry)
    result = ok(daemon=daemon, exthandlers=exthandlers, in_other_namespaces=in_other_namespaces)
    if own_namespace is None:
        result['note'] = ('own PID namespace unknown (%s): processes of every namespace counted'
                          % own_problem)
    return result


# -- configuration and log ------------------------------------------------------------------------------
def gather_config(host):
    return host.once('agent.config', _read_config)


def _read_config(host):
    path = defaults.WAAGENT_CONF
    text, _size, problem = host.read_text(path, max_bytes=MAX_FILE_BYTES)
    if problem:
        return error(problem, path=path)
    if text is None:
        return ok(path=path, exists=False, values={}, warnings=[])
    parsed = parse_waagent_conf(text)
    return ok(path=path, exists=True, values=parsed['values'], warnings=parsed['warnings'])


def gather_log(host, tail_kib=DEFAULT_LOG_TAIL_KIB):
    path = defaults.WAAGENT_LOG
    max_bytes = int(tail_kib) * 1024
    data, size, problem = host.read_bytes(path, max_bytes=max_bytes, tail=True)
    if problem:
        return error(problem, path=path)
    if data is None:
        return ok(path=path, exists=False, size=None, tail_bytes=0, lines_scanned=0, error_count=0,
                  error_lines=[], last_timestamp_utc=None)
    lines = data.decode('utf-8', 'replace').splitlines()
    if size > len(data) and lines:
        lines = lines[1:]  # the first line was cut by the tail
    reported = []
    last_timestamp = None
    for line in lines:
        match = LOG_LINE_RE.match(line)
        if match:
            last_timestamp = match.group('timestamp')
            if match.group('level') in REPORTED_LEVELS:
                reported.append({'level': match.group('level'), 'timestamp': last_timestamp,
                                 'text': match.group('text')})
        elif line.startswith('Traceback'):
            reported.append({'level': 'ERROR', 'timestamp': last_timestamp, 'text': line})
    returned = reported[-MAX_LOG_LINES_RETURNED:]
    for entry in returned:
        entry['text'] = redact(entry['text'][:MAX_LOG_LINE_CHARS])[0]
    return ok(path=path, exists=True, size=size, tail_bytes=len(data), lines_scanned=len(lines),
              error_count=len(reported), error_lines=returned, last_timestamp_utc=last_timestamp)


# -- the section ------------------------------------------------------------------------------------------
def gather_agent(host, platform, options=None):
    options = options or {}
    names = defaults.agent_names(platform.get('distribution'), platform.get('os_family'))
    executable = gather_executable(host)
    return ok(
        names=names,
        package=gather_package(host, names, platform.get('os_family')),
        executable=executable,
        version=gather_version(host, executable),
        goal_state_dirs=gather_goal_state_dirs(host),
        service=gather_service(host, names),
        processes=gather_processes(host),
        config=gather_config(host),
        log=gather_log(host, options.get('log_tail_kib') or DEFAULT_LOG_TAIL_KIB),
    )
