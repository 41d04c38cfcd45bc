# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Linux gatherers against fixture root trees and command outputs recorded on a lab guest."""
from __future__ import absolute_import, division, print_function

import importlib
import json
import os
import socket
import sys
import time

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import (
    agent, connectivity, dhcp, extension, gather, load, platform)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import (
    Host, subprocess_runner)
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import engine as evaluator

from core_fixtures import fixture_text
from linux_fakes import HOSTS, cmdline, failed, make_host, recorded

__metaclass__ = type

DEBIAN = {'distribution': 'debian', 'os_family': 'debian'}
NAMES = {'package': 'waagent', 'service': 'walinuxagent'}
SHOW_ARGV = ('systemctl', 'show', '-p', ','.join(agent.SERVICE_PROPERTIES), 'walinuxagent.service')
HANDLER = '/var/lib/waagent/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-'


# -- host --------------------------------------------------------------------------------------------------
def test_subprocess_runner_runs_argv_and_reports_failures():
    ok = subprocess_runner(['echo', 'a b; c'], 5)
    assert ok.ok and ok.stdout == 'a b; c\n'  # an argv, not a shell: ';' stays text
    missing = subprocess_runner(['no-such-command-here'], 5)
    assert missing.not_found and missing.rc is None
    slow = subprocess_runner(['sleep', '5'], 0.2)
    assert slow.error == 'timed out after 0.2 s' and not slow.ok
    failing = subprocess_runner(['sh', '-c', 'echo oops >&2; exit 3'], 5)
    assert failing.rc == 3 and failing.describe() == 'sh -c echo oops >&2; exit 3 exited with 3: oops'


def test_host_reads_files_with_caps_and_reports_errors(tmp_path):
    host = make_host(tmp_path, {'etc/big': 'x' * 100 + 'END', 'etc/dir/f': 'y'})
    assert host.read_text('/etc/big', max_bytes=3, tail=True)[0] == 'END'
    assert host.read_text('/etc/big', max_bytes=3)[0] == 'xxx'
    assert host.read_text('/etc/missing') == (None, None, None)
    data, _size, problem = host.read_text('/etc/dir')
    assert data is None and problem == '/etc/dir: is a directory, not a regular file'
    assert Host('/').offline is False and Host(str(tmp_path)).offline is True


def test_runner_exceptions_become_command_errors(tmp_path):
    def explode(argv, timeout):
        raise RuntimeError('runner broke')
    host = Host('/', runner=explode)
    result = host.run(['true'])
    assert not result.ok and 'runner broke' in result.error


# -- platform ------------------------------------------------------------------------------------------------
AZURE_DMI = {'class/dmi/id/sys_vendor': 'Microsoft Corporation\n',
             'class/dmi/id/product_name': 'Virtual Machine\n',
             'class/dmi/id/chassis_asset_tag': '7783-7084-3265-9085\n'}


@pytest.mark.parametrize('os_release, distribution, family', [
    ('ID=debian\nVERSION_ID="12"\n', 'debian', 'debian'),
    ('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\n', 'ubuntu', 'debian'),
    ('ID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\n', 'rhel', 'redhat'),
    ('ID="almalinux"\nID_LIKE="rhel centos fedora"\n', 'almalinux', 'redhat'),
    ('ID="sles"\nID_LIKE="suse"\n', 'sles', 'suse'),
    ('ID=opensuse-tumbleweed\nID_LIKE="opensuse suse"\n', 'opensuse-tumbleweed', 'suse'),
    ('ID=arch\n', 'arch', None),
])
def test_platform_distribution_and_family(tmp_path, os_release, distribution, family):
    facts = platform.gather_platform(make_host(tmp_path, {'etc/os-release': os_release}, sys=AZURE_DMI))
    assert facts['distribution'] == distribution and facts['os_family'] == family
    assert facts['azure_dmi'] is True


def test_platform_reads_usr_lib_os_release_and_reports_its_absence(tmp_path):
    facts = platform.gather_platform(make_host(tmp_path, {'usr/lib/os-release': 'ID=debian\n'}))
    assert facts['distribution'] == 'debian'
    facts = platform.gather_platform(make_host(tmp_path / 'empty'))
    assert facts['os_release']['result'] == 'error' and facts['distribution'] is None


def test_dmi_identity(tmp_path):
    other = dict(AZURE_DMI, **{'class/dmi/id/sys_vendor': 'QEMU\n',
                               'class/dmi/id/chassis_asset_tag': '\n'})
    assert platform.gather_platform(make_host(tmp_path / 'a', sys=other))['azure_dmi'] is False
    none = platform.gather_platform(make_host(tmp_path / 'b'))
    assert none['dmi']['result'] == 'error' and 'no DMI tables' in none['dmi']['message']
    assert none['azure_dmi'] is None
    tag_only = {'class/dmi/id/chassis_asset_tag': '7783-7084-3265-9085\n'}
    assert platform.gather_platform(make_host(tmp_path / 'c', sys=tag_only))['azure_dmi'] is True
    offline = platform.gather_platform(make_host(tmp_path / 'd', sys=AZURE_DMI, offline=True))
    assert offline['dmi']['result'] == 'skip' and offline['azure_dmi'] is None and offline['kernel'] is None


# -- agent: package ----------------------------------------------------------------------------------------------
def test_package_from_recorded_dpkg_query(tmp_path):
    host = make_host(tmp_path, commands={'dpkg-query': recorded('dpkg-query.waagent.txt')})
    package = agent.gather_package(host, NAMES, 'debian')
    assert package == dict(package, result='ok', manager='dpkg', installed=True, version='2.7.3.0-4.1')


def test_package_not_installed_and_rpm_hosts(tmp_path):
    not_found = failed(1, stderr='dpkg-query: no packages found matching waagent\n')
    host = make_host(tmp_path, commands={'dpkg-query': not_found})
    assert agent.gather_package(host, NAMES, 'debian')['installed'] is False
    rpm_names = {'package': 'WALinuxAgent', 'service': 'waagent'}
    host = make_host(tmp_path, commands={'rpm': '2.9.1.1-1.el9\n'})
    package = agent.gather_package(host, rpm_names, 'redhat')
    assert package['manager'] == 'rpm' and package['version'] == '2.9.1.1-1.el9'
    host = make_host(tmp_path, commands={'rpm': failed(1, stdout='package WALinuxAgent is not installed\n')})
    assert agent.gather_package(host, rpm_names, 'redhat')['installed'] is False
    nothing = agent.gather_package(make_host(tmp_path), NAMES, 'debian')
    assert nothing['result'] == 'error' and 'no package manager' in nothing['message']
    broken = agent.gather_package(make_host(tmp_path, commands={'dpkg-query': failed(2, 'database locked')}),
                                  NAMES, 'debian')
    assert broken['result'] == 'error' and 'database locked' in broken['message']


def test_package_offline_from_the_dpkg_database(tmp_path):
    status = recorded('dpkg-status.waagent')
    host = make_host(tmp_path, {'var/lib/dpkg/status': 'Package: other\nStatus: install ok installed\n\n'
                                + status}, offline=True)
    package = agent.gather_package(host, NAMES, 'debian')
    assert package == dict(package, installed=True, version='2.7.3.0-4.1', source='/var/lib/dpkg/status')
    assert host.runner.calls == []  # offline: no command of the rescue machine may answer for the disk
    removed = status.replace('Status: install ok installed', 'Status: deinstall ok config-files')
    host = make_host(tmp_path / 'removed', {'var/lib/dpkg/status': removed}, offline=True)
    assert agent.gather_package(host, NAMES, 'debian')['installed'] is False
    rpm_disk = agent.gather_package(make_host(tmp_path / 'rpm', offline=True), NAMES, 'redhat')
    assert rpm_disk['result'] == 'skip'


# -- agent: executable, versions ------------------------------------------------------------------------------------
def test_version_from_recorded_waagent_output(tmp_path):
    output = fixture_text('waagent', 'waagent-version.debian12.txt')
    host = make_host(tmp_path, {'usr/sbin/waagent': '#!/usr/bin/python3\n'},
                     commands={('/usr/sbin/waagent', '-version'): output})
    executable = agent.gather_executable(host)
    assert executable == {'result': 'ok', 'path': '/usr/sbin/waagent', 'exists': True}
    version = agent.gather_version(host, executable)
    assert version == dict(version, result='ok', daemon='2.7.3.0', goal_state='2.7.3.0', python='3.11.2')


def test_version_errors_and_skips(tmp_path):
    host = make_host(tmp_path, {'usr/bin/waagent': ''},
                     commands={('/usr/bin/waagent', '-version'): failed(1, 'Traceback: ImportError')})
    executable = agent.gather_executable(host)
    assert executable['path'] == '/usr/bin/waagent'
    broken = agent.gather_version(host, executable)
    assert broken['result'] == 'error' and 'ImportError' in broken['message']
    host.runner.table[('/usr/bin/waagent', '-version')] = 'something else\n'
    assert 'no "WALinuxAgent-<version>" line' in agent.gather_version(host, executable)['message']
    missing = agent.gather_executable(make_host(tmp_path / 'none'))
    assert missing == {'result': 'ok', 'path': None, 'exists': False}
    assert agent.gather_version(host, missing)['result'] == 'skip'
    host.offline = True
    assert agent.gather_version(host, executable)['result'] == 'skip'


def test_goal_state_dirs_sorted_numerically(tmp_path):
    host = make_host(tmp_path, {'var/lib/waagent/WALinuxAgent-2.9.1.1/HandlerManifest.json': '{}',
                                'var/lib/waagent/WALinuxAgent-2.10.0.8/HandlerManifest.json': '{}',
                                'var/lib/waagent/WALinuxAgent-2.2.53/x': '',
                                'var/lib/waagent/WALinuxAgent-2.11.1.4.zip': 'not a directory'})
    assert agent.gather_goal_state_dirs(host)['versions'] == ['2.2.53', '2.9.1.1', '2.10.0.8']


# -- agent: service ----------------------------------------------------------------------------------------------
def test_service_from_recorded_systemctl_show(tmp_path):
    host = make_host(tmp_path, commands={SHOW_ARGV: recorded('systemctl-show.walinuxagent.txt')})
    service = agent.gather_service(host, NAMES)
    assert service == dict(service, result='ok', unit='walinuxagent.service', source='systemctl',
                           load_state='loaded', active_state='active', sub_state='running',
                           unit_file_state='enabled', restart='always',
                           fragment_path='/lib/systemd/system/walinuxagent.service', source_path=None)


def test_service_errors(tmp_path):
    no_systemd = agent.gather_service(make_host(tmp_path), NAMES)
    assert no_systemd['result'] == 'error' and 'not a systemd host' in no_systemd['message']
    host = make_host(tmp_path, commands={SHOW_ARGV: failed(1, 'System has not been booted with systemd')})
    assert 'not been booted' in agent.gather_service(host, NAMES)['message']
    host = make_host(tmp_path, commands={SHOW_ARGV: 'garbage\n'})
    assert 'no LoadState' in agent.gather_service(host, NAMES)['message']


def test_service_offline_from_unit_files(tmp_path):
    unit = recorded('walinuxagent.service')
    files = {
        'lib/systemd/system/walinuxagent.service': unit,
        'etc/systemd/system/multi-user.target.wants/walinuxagent.service':
            ('symlink', '/lib/systemd/system/walinuxagent.service'),
    }
    host = make_host(tmp_path / 'enabled', files, offline=True)
    service = agent.gather_service(host, NAMES)
    assert service == dict(service, source='files', load_state='loaded', unit_file_state='enabled',
                           active_state=None, restart='no', enabled_by=['multi-user.target.wants'])
    files['etc/systemd/system/walinuxagent.service.d/10-restart.conf'] = '[Service]\nRestart=always\n'
    files['lib/systemd/system/walinuxagent.service.d/20-later.conf'] = '[Service]\nRestart = on-failure\n'
    host = make_host(tmp_path / 'dropins', files, offline=True)
    assert agent.gather_service(host, NAMES)['restart'] == 'on-failure'  # drop-ins apply by file name
    host = make_host(tmp_path / 'disabled', {'lib/systemd/system/walinuxagent.service': unit}, offline=True)
    assert agent.gather_service(host, NAMES)['unit_file_state'] == 'disabled'
    masked = make_host(tmp_path / 'masked', {'lib/systemd/system/walinuxagent.service': unit,
                                             'etc/systemd/system/walinuxagent.service': ('symlink', '/dev/null')},
                       offline=True)
    assert agent.gather_service(masked, NAMES)['unit_file_state'] == 'masked'
    gone = agent.gather_service(make_host(tmp_path / 'gone', offline=True), NAMES)
    assert gone['load_state'] == 'not-found' and gone['restart'] is None


# -- agent: processes, config, log ------------------------------------------------------------------------------------
def test_processes_from_proc(tmp_path):
    proc = {
        '1/cmdline': cmdline('/sbin/init'),
        '80/cmdline': cmdline('/usr/bin/python3', '/usr/sbin/waagent', '-daemon'),
        '95/cmdline': cmdline('python3', '-u', 'bin/WALinuxAgent-2.9.1.1-py3.8.egg', '-run-exthandlers'),
        '96/cmdline': '',  # a kernel thread
        '97/cmdline': cmdline('vim', '/etc/waagent.conf'),
        'self/cmdline': cmdline('x'),
    }
    processes = agent.gather_processes(make_host(tmp_path, proc=proc))
    assert [entry['pid'] for entry in processes['daemon']] == [80]
    assert [entry['pid'] for entry in processes['exthandlers']] == [95]
    assert processes['exthandlers'][0]['cmdline'].endswith('-run-exthandlers')
    assert agent.gather_processes(make_host(tmp_path, offline=True))['result'] == 'skip'


def test_processes_of_other_pid_namespaces_are_not_counted(tmp_path):
    """A container's agent (another PID namespace) is not this host's agent."""
    daemon = cmdline('/usr/bin/python3', '/usr/sbin/waagent', '-daemon')
    proc = {
        'self/ns/pid': ('symlink', 'pid:[4026531836]'),
        '80/cmdline': daemon,
        '80/ns/pid': ('symlink', 'pid:[4026531836]'),
        '81/cmdline': daemon,  # the same agent in a container
        '81/ns/pid': ('symlink', 'pid:[4026532901]'),
        '82/cmdline': daemon,  # its ns link could not be read (no ns/pid here): kept, with a note
    }
    processes = agent.gather_processes(make_host(tmp_path, proc=proc))
    assert [entry['pid'] for entry in processes['daemon']] == [80, 82]
    assert 'note' not in processes['daemon'][0]
    assert processes['daemon'][1]['note'].startswith('PID namespace unknown')
    assert processes['in_other_namespaces'] == 1


def test_processes_without_our_own_namespace_are_all_counted(tmp_path):
    proc = {'80/cmdline': cmdline('waagent', '-daemon'), '80/ns/pid': ('symlink', 'pid:[1]')}
    processes = agent.gather_processes(make_host(tmp_path, proc=proc))
    assert [entry['pid'] for entry in processes['daemon']] == [80]
    assert processes['in_other_namespaces'] == 0
    assert processes['note'].startswith('own PID namespace unknown')


def test_config_from_the_debian_conffile(tmp_path):
    host = make_host(tmp_path, {'etc/waagent.conf': fixture_text('waagent', 'waagent.conf.debian12')})
    config = agent.gather_config(host)
    assert config['exists'] is True and config['values']['AutoUpdate.Enabled'] == 'n'
    assert config['values']['Provisioning.Agent'] == 'cloud-init'
    assert agent.gather_config(make_host(tmp_path / 'none'))['exists'] is False
    unreadable = agent.gather_config(make_host(tmp_path / 'dir', {'etc/waagent.conf/x': ''}))
    assert unreadable['result'] == 'error' and 'is a directory' in unreadable['message']


def test_log_from_the_recorded_lab_log(tmp_path):
    host = make_host(tmp_path, {'var/log/waagent.log': recorded('waagent.log')})
    log = agent.gather_log(host)
    texts = [line['text'] for line in log['error_lines']]
    assert log['exists'] and log['lines_scanned'] == 30 and log['error_count'] == len(texts) >= 1
    assert any('dmidecode' in text for text in texts)
    assert all(line['level'] in ('ERROR', 'WARNING') for line in log['error_lines'])
    assert log['last_timestamp_utc'].startswith('2026-')


def test_log_tail_cut_levels_redaction_and_caps(tmp_path):
    old = '2026-01-01T00:00:00.000000Z ERROR Daemon ancient error that the tail must drop\n' * 200
    recent = ('2026-01-02T00:00:00.000000Z INFO Daemon fine\n'
              '2026/01/02 00:00:01.5 WARNING ExtHandler old-style timestamp\n'
              '2026-01-02T00:00:02.000000Z ERROR ExtHandler download failed '
              'https://a.blob.core.windows.net/c/x?sv=2018&sig=fake&se=1\n'  # this file ships: no secret-looking value
              'Traceback (most recent call last):\n')
    host = make_host(tmp_path, {'var/log/waagent.log': old + recent})
    log = agent.gather_log(host, tail_kib=1)
    assert log['tail_bytes'] == 1024 and log['size'] > 1024
    # The line the tail cut in half is dropped: every older line left is complete.
    assert all(line['text'] == 'Daemon ancient error that the tail must drop'
               for line in log['error_lines'][:-3])
    assert log['error_lines'][-3]['text'] == 'ExtHandler old-style timestamp'
    assert 'sig=fake' not in json.dumps(log) and 'sig=REDACTED' in log['error_lines'][-2]['text']
    assert log['error_lines'][-1] == {'level': 'ERROR', 'timestamp': '2026-01-02T00:00:02.000000Z',
                                      'text': 'Traceback (most recent call last):'}
    assert len(log['error_lines']) <= agent.MAX_LOG_LINES_RETURNED


def test_agent_section_from_a_debian_guest(tmp_path):
    host = make_host(tmp_path, {'usr/sbin/waagent': '', 'etc/waagent.conf': 'Extensions.Enabled=y\n'},
                     commands={'dpkg-query': recorded('dpkg-query.waagent.txt'),
                               SHOW_ARGV: recorded('systemctl-show.walinuxagent.txt'),
                               ('/usr/sbin/waagent', '-version'):
                                   fixture_text('waagent', 'waagent-version.debian12.txt')})
    section = agent.gather_agent(host, DEBIAN)
    assert section['names'] == NAMES
    assert all(section[key]['result'] == 'ok' for key in
               ('package', 'executable', 'version', 'goal_state_dirs', 'service', 'processes', 'config', 'log'))


# -- extension -------------------------------------------------------------------------------------------------------
def _status(state, when='2025-11-21T00:00:00Z', code=0, message='done'):
    return json.dumps([{'version': '1.0', 'timestampUTC': when, 'status': {
        'name': 'Microsoft.Azure.RecoveryServices.VMSnapshotLinux', 'operation': 'Enable', 'status': state,
        'code': code, 'formattedMessage': {'lang': 'en-US', 'message': message}}}])


def test_extension_handlers_and_newest_status(tmp_path):
    files = {
        HANDLER + '1.0.70.0/status/0.status': _status('success'),
        HANDLER + '1.0.9225.0/status/9.status': _status('success'),
        HANDLER + '1.0.9225.0/status/10.status': _status('error', code=76, message='no network sig=abc'),
        HANDLER + '1.0.9225.0/status/notes.txt': 'ignored',
        'var/lib/waagent/Microsoft.Azure.Other-1.0/status/0.status': _status('success'),
    }
    host = make_host(tmp_path, files, clock=lambda: 1763683200.0 + 600)  # 10 minutes after 2025-11-21
    section = extension.gather_extension(host)
    items = section['handlers']['items']
    assert [item['version'] for item in items] == ['1.0.70.0', '1.0.9225.0']
    assert section['newest_version'] == '1.0.9225.0'
    status = items[-1]['status']
    assert status == dict(status, result='ok', sequence=10, status='error', code=76, operation='Enable',
                          timestamp_utc='2025-11-21T00:00:00Z', age_seconds=600.0)
    assert status['message'] == 'no network sig=REDACTED'


def test_extension_status_edge_cases(tmp_path):
    files = {
        HANDLER + '1.0.1/config/0.settings': '{}',
        HANDLER + '1.0.2/status/0.status': '{not json',
        HANDLER + '1.0.3/status/0.status': _status('transitioning', when='not a time'),
        HANDLER + '1.0.4/status/0.status': 'x' * (extension.MAX_STATUS_BYTES + 1),
    }
    items = extension.gather_extension(make_host(tmp_path, files))['handlers']['items']
    by_version = dict((item['version'], item['status']) for item in items)
    assert by_version['1.0.1'] == {'result': 'ok', 'file': None}
    assert by_version['1.0.2']['result'] == 'error' and 'not valid JSON' in by_version['1.0.2']['message']
    stale = by_version['1.0.3']
    assert stale['status'] == 'transitioning' and stale['age_seconds'] is not None  # mtime fallback
    assert 'larger than' in by_version['1.0.4']['message']
    assert extension.gather_extension(make_host(tmp_path / 'none'))['handlers'] == {'result': 'ok', 'items': []}


# -- connectivity ----------------------------------------------------------------------------------------------------
def _listener():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)
    return sock


def test_connectivity_skips_offline_and_off_azure(tmp_path):
    assert connectivity.gather_connectivity(make_host(tmp_path, offline=True), {})['result'] == 'skip'
    skipped = connectivity.gather_connectivity(make_host(tmp_path), {'azure_dmi': None})
    assert skipped['result'] == 'skip' and 'assume_azure' in skipped['message']


def test_off_azure_only_overridden_endpoints_are_probed(tmp_path):
    server = _listener()
    try:
        port = server.getsockname()[1]
        route = 'local 127.0.0.1 dev lo src 127.0.0.1 uid 0 \n    cache <local> \n'  # real output
        host = make_host(tmp_path, commands={('ip', 'route', 'get', '127.0.0.1'): route})
        facts = connectivity.gather_connectivity(host, {'azure_dmi': False, 'distribution': 'debian'},
                                                 {'wireserver': '127.0.0.1', 'wireserver_ports': [port],
                                                  'probe_timeout': 2})
    finally:
        server.close()
    assert facts['result'] == 'ok' and facts['endpoints']['overridden'] is True
    assert [probe['ok'] for probe in facts['wireserver']['probes']] == [True]
    for key in ('imds', 'dns', 'https'):  # real Azure addresses: never probed from a non-Azure host
        assert facts[key]['result'] == 'skip'
    assert facts['route'] == dict(facts['route'], type='local', dev='lo', destination='127.0.0.1')
    assert facts['firewall']['iptables'] == dict(facts['firewall']['iptables'], exists=False)


def test_proxy_sources_and_what_the_agent_would_use(tmp_path):
    files = {'etc/waagent.conf': 'HttpProxy.Host=10.0.0.5\nHttpProxy.Port=3128\n',
             'etc/environment': 'https_proxy="http://user:pw@10.0.0.6:8080"\nno_proxy=.lab.test,10.0.0.0/8\n'}
    proc = {'80/cmdline': cmdline('/usr/bin/python3', '/usr/sbin/waagent', '-daemon'),
            '80/environ': 'PATH=/usr/bin\x00HTTPS_PROXY=http://10.0.0.7:3128\x00NO_PROXY=.svc\x00'}
    unit_env = 'Environment=http_proxy=http://10.0.0.8:3128 "no_proxy=a b"\n'
    host = make_host(tmp_path, files, proc=proc,
                     commands={('systemctl', 'show', '-p', 'Environment', 'walinuxagent.service'): unit_env})
    proxy = connectivity.gather_proxy(host, NAMES, {})
    by_source = dict(((item['source'], item['key']), item) for item in proxy['sources'])
    assert by_source[('waagent.conf', 'HttpProxy.Host/HttpProxy.Port')]['port'] == 3128
    assert by_source[('agent process', 'https_proxy')]['host'] == '10.0.0.7'
    assert by_source[('unit environment', 'http_proxy')]['host'] == '10.0.0.8'
    env_file = by_source[('/etc/environment', 'https_proxy')]
    assert env_file['has_credentials'] is True and 'pw' not in env_file['value']
    assert proxy['effective'] == {'host': '10.0.0.5', 'port': 3128, 'source': 'waagent.conf'}
    assert proxy['no_proxy'] == ['.svc']  # the agent's own environment, not /etc/environment
    del host.runner.table[('systemctl', 'show', '-p', 'Environment', 'walinuxagent.service')]
    os.remove(os.path.join(host.root, 'etc', 'waagent.conf'))
    proxy = connectivity.gather_proxy(host, NAMES, {})
    assert proxy['effective'] == {'host': '10.0.0.7', 'port': 3128, 'source': 'agent process'}
    assert proxy['errors']  # the unit environment could not be read: said, not hidden
    assert connectivity.gather_proxy(host, NAMES, {'proxy': ''})['effective'] is None
    option = connectivity.gather_proxy(host, NAMES, {'proxy': 'http://127.0.0.1:9'})
    assert option['effective'] == {'host': '127.0.0.1', 'port': 9, 'source': 'option'}


@pytest.mark.parametrize('stderr, kind', [
    ('RTNETLINK answers: Permission denied', 'prohibit'),
    ('RTNETLINK answers: Invalid argument', 'blackhole'),
    ('RTNETLINK answers: No route to host', 'unreachable'),
    ('RTNETLINK answers: Network is unreachable', 'unreachable'),
])
def test_route_errors_are_route_types(tmp_path, stderr, kind):
    # The kernel's answers recorded with `ip route get` for each route type in a network namespace.
    host = make_host(tmp_path, commands={'ip': failed(2, stderr + '\n')})
    route = connectivity.gather_route(host, '10.98.0.9')
    assert route == dict(route, result='ok', type=kind, output=stderr)


def test_route_success_and_failures(tmp_path):
    host = make_host(tmp_path, commands={'ip': '10.98.0.9 via 10.99.0.1 dev d0 src 10.99.0.2 uid 0 \n    cache \n'})
    route = connectivity.gather_route(host, '10.98.0.9')
    assert route == dict(route, type='unicast', via='10.99.0.1', dev='d0', src='10.99.0.2')
    assert connectivity.gather_route(make_host(tmp_path), '10.98.0.9')['result'] == 'error'
    assert connectivity.gather_route(host, 'wireserver.example')['result'] == 'error'


def test_resolvers(tmp_path):
    host = make_host(tmp_path, {'etc/resolv.conf': '# generated\nsearch lab.test\nnameserver 10.213.0.1\n'
                                                   'nameserver  fd00::1 \n'})
    assert connectivity.gather_resolvers(host) == {'result': 'ok', 'path': '/etc/resolv.conf', 'exists': True,
                                                   'nameservers': ['10.213.0.1', 'fd00::1']}
    assert connectivity.gather_resolvers(make_host(tmp_path / 'none'))['nameservers'] == []


def test_firewall_rulesets(tmp_path):
    host = make_host(tmp_path, commands={'iptables-save': '*filter\nCOMMIT\n',
                                         'nft': failed(1, 'Operation not permitted')})
    rules = connectivity.gather_firewall(host)
    assert rules['iptables'] == dict(rules['iptables'], result='ok', exists=True, output='*filter\nCOMMIT\n')
    assert rules['nft']['result'] == 'error' and 'Operation not permitted' in rules['nft']['message']


@pytest.mark.parametrize('text, expected', [
    ('h', ('h', 443)), ('h:8443', ('h', 8443)), ('[::1]:444', ('::1', 444)), ('::1', ('::1', 443)),
])
def test_split_endpoint(text, expected):
    assert connectivity.split_endpoint(text, 443) == expected


@pytest.mark.parametrize('text', ['h:0', 'h:x', ':443', 'h:70000'])
def test_split_endpoint_rejects_nonsense(text):
    with pytest.raises(ValueError):
        connectivity.split_endpoint(text, 443)


# -- dhcp ---------------------------------------------------------------------------------------------------------
NETPLAN = '''network:
  version: 2
  ethernets:
    eth0:
      dhcp4: true
      match: {driver: hv_netvsc, macaddress: "00:0d:3a:00:00:01"}
      set-name: eth0
    eth1:
      addresses: [10.0.0.5/24, "fd00::5/64"]
'''
CLOUD_INIT_V1 = '''network:
  version: 1
  config:
    - type: physical
      name: eth0
      subnets:
        - type: static
          address: 10.0.0.4/24
'''


def test_dhcp_sources_of_every_kind(tmp_path):
    files = {
        'etc/network/interfaces': 'source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n'
                                  'auto eth0\niface eth0 inet dhcp\n',
        'etc/network/interfaces.d/50-static': 'iface eth1 inet static\n    address 10.0.0.9/24\n'
                                              'iface eth1 inet6 auto\n',
        'etc/netplan/50-cloud-init.yaml': NETPLAN,
        'etc/systemd/network/10-eth0.network': '[Match]\nName=eth*\n[Network]\nDHCP=ipv4\n',
        'etc/systemd/network/20-static.network': '[Match]\nName=eth2\n[Network]\nAddress=10.0.0.7/24\n',
        'etc/NetworkManager/system-connections/eth0.nmconnection':
            '[connection]\ninterface-name=eth0\n[ipv4]\nmethod=manual\naddress1=10.0.0.4/24,10.0.0.1\n',
        'etc/sysconfig/network-scripts/ifcfg-eth0': 'DEVICE=eth0\nBOOTPROTO=dhcp\n',
        'etc/sysconfig/network-scripts/ifcfg-eth1': 'DEVICE="eth1"\nBOOTPROTO=none\nIPADDR=10.0.0.8\n',
        'etc/sysconfig/network-scripts/ifcfg-lo': 'DEVICE=lo\n',
        'etc/cloud/cloud.cfg.d/90-net.cfg': CLOUD_INIT_V1,
        'etc/cloud/cloud.cfg.d/99-disable.cfg': 'network: {config: disabled}\n',
        'etc/cloud/cloud.cfg.d/10-other.cfg': 'datasource_list: [Azure]\n',
    }
    facts = dhcp.gather_dhcp(make_host(tmp_path, files, proc={'net/route': ''}))
    found = set((item['kind'], item['interface'], item['method']) for item in facts['sources']
                if item.get('family', 'inet') == 'inet')
    assert found == {
        ('ifupdown', 'eth0', 'dhcp'), ('ifupdown', 'eth1', 'static'),
        ('netplan', 'eth0', 'dhcp'), ('netplan', 'eth1', 'static'),
        ('networkd', 'eth*', 'dhcp'), ('networkd', 'eth2', 'static'),
        ('networkmanager', 'eth0', 'static'),
        ('ifcfg', 'eth0', 'dhcp'), ('ifcfg', 'eth1', 'static'),
        ('cloud-init', 'eth0', 'static'), ('cloud-init', None, 'other'),
    }
    netplan_eth1 = [item for item in facts['sources'] if item['kind'] == 'netplan' and item['interface'] == 'eth1']
    assert netplan_eth1[0]['addresses'] == ['10.0.0.5/24']
    assert facts['errors'] == []


def test_dhcp_malformed_yaml_is_an_error_entry_naming_the_line(tmp_path):
    files = {'etc/netplan/01.yaml': 'network: [unclosed\n', 'etc/network/interfaces': 'iface eth0 inet dhcp\n'}
    facts = dhcp.gather_dhcp(make_host(tmp_path, files, proc={'net/route': ''}))
    assert facts['errors'] == [{'file': '/etc/netplan/01.yaml', 'message': 'YAML line 1: "[" is not closed'}]
    assert [item['kind'] for item in facts['sources']] == ['ifupdown']


def test_dhcp_reads_yaml_the_same_without_pyyaml(tmp_path, monkeypatch):
    """Field trial: guests without PyYAML reported netplan files as unreadable."""
    files = {'etc/netplan/50-cloud-init.yaml': NETPLAN,
             'etc/cloud/cloud.cfg.d/90-net.cfg': CLOUD_INIT_V1,
             # Other cloud-init YAML (a block scalar) is not the network check's business.
             'etc/cloud/cloud.cfg': 'write_files:\n  - content: |\n      text\n    path: /x\nnetwork: {config: disabled}\n'}
    monkeypatch.setitem(sys.modules, 'yaml', None)  # "import yaml" raises ImportError
    try:
        facts = importlib.reload(dhcp).gather_dhcp(make_host(tmp_path, files, proc={'net/route': ''}))
    finally:
        monkeypatch.undo()
        importlib.reload(dhcp)
    assert facts['errors'] == []
    assert [(item['kind'], item['interface'], item['method']) for item in facts['sources']] == [
        ('netplan', 'eth0', 'dhcp'), ('netplan', 'eth1', 'static'), ('cloud-init', None, 'other'),
        ('cloud-init', 'eth0', 'static')]


def test_the_lab_static_netplan_file_is_static_and_fails_the_check(tmp_path):
    """The file of the lab's static_ip_netplan fault (faults.py _static_text, guest1's address), alone."""
    netplan = 'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: false\n      addresses: [10.213.0.11/24]\n'
    section = dhcp.gather_dhcp(make_host(tmp_path, {'etc/netplan/50-cloud-init.yaml': netplan},
                                         proc={'net/route': ''}, sys={'class/net/eth0/flags': '0x1003\n'}))
    assert section['errors'] == []
    assert [item for item in section['sources'] if item['kind'] == 'netplan'] == [
        {'kind': 'netplan', 'file': '/etc/netplan/50-cloud-init.yaml', 'interface': 'eth0', 'method': 'static',
         'addresses': ['10.213.0.11/24'], 'family': 'inet'}]
    with open(os.path.join(HOSTS, 'lab-static_ip_netplan.json')) as handle:
        facts = json.load(handle)
    facts['dhcp'] = section
    findings = dict((finding['check'], finding) for finding in evaluator.evaluate(facts, {'assume_azure': True}))
    assert findings['snapshot.dhcp']['status'] == 'fail'


def test_primary_interface(tmp_path):
    route = ('Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n'
             'eth0\t0000D50A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n'
             'eth1\t00000000\t0100D50A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n')
    assert dhcp.gather_primary_interface(make_host(tmp_path / 'a', proc={'net/route': route})) == \
        {'result': 'ok', 'name': 'eth1', 'source': 'default route'}
    no_default = route.splitlines()[0] + '\n'
    interfaces = {'class/net/lo/flags': '0x9\n', 'class/net/eth0/flags': '0x1002\n',
                  'class/net/eth1/flags': '0x1003\n'}
    assert dhcp.gather_primary_interface(make_host(tmp_path / 'b', proc={'net/route': no_default},
                                                   sys=interfaces))['name'] == 'eth1'
    assert dhcp.gather_primary_interface(make_host(tmp_path / 'c', offline=True))['result'] == 'skip'


# -- load -----------------------------------------------------------------------------------------------------------
def test_load_from_proc_when_psutil_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(load, 'HAS_PSUTIL', False)
    monkeypatch.setattr(load, 'own_cpu_seconds', lambda proc_root: 7.0)  # the diagnosis itself spends nothing here
    meminfo = 'MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\n'
    host = make_host(tmp_path, proc={'stat': 'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n',
                                     'meminfo': meminfo})
    ticks = iter([(190, 10), (100, 100)])  # busy, idle jiffies added per interval

    def sleep(seconds):
        busy, idle = next(ticks)
        path = os.path.join(host.proc_root, 'stat')
        fields = open(path).read().split('\n')[0].split()
        user, system, idle_total = int(fields[1]) + busy // 2, int(fields[3]) + busy - busy // 2, int(fields[4]) + idle
        with open(path, 'w') as handle:
            handle.write('cpu  %d 0 %d %d 0 0 0 0 0 0\n' % (user, system, idle_total))
    host.sleep = sleep
    facts = load.gather_load(host, options={'load_samples': 2, 'load_interval': 0.1})
    assert facts == dict(facts, result='ok', method='proc', samples=2, cpu_percent=[95.0, 50.0],
                         memory_percent=[75.0, 75.0], own_cpu_seconds=0.0)


def test_load_with_psutil_samples_over_the_window(tmp_path, monkeypatch):
    class CpuTimes:  # psutil's namedtuple on Linux, in seconds summed over CPUs
        def __init__(self, busy, idle):
            self.user, self.nice, self.system, self.idle, self.iowait = busy - 1.0, 0.0, 1.0, idle, 0.5
            self.irq = self.softirq = self.steal = 0.0
            self.guest = self.guest_nice = 99.0  # already in user and nice: never counted twice
    readings = iter([CpuTimes(10.0, 50.0), CpuTimes(10.97, 50.03), CpuTimes(11.0, 51.0)])

    class FakePsutil:
        @staticmethod
        def cpu_times():
            return next(readings)

        @staticmethod
        def virtual_memory():
            class Memory:
                percent = 40.04
            return Memory
    slept = []
    host = make_host(tmp_path)
    host.sleep = slept.append
    monkeypatch.setattr(load, 'psutil', FakePsutil)
    monkeypatch.setattr(load, 'HAS_PSUTIL', True)
    monkeypatch.setattr(load, 'own_cpu_seconds', lambda proc_root: 3.0)
    facts = load.gather_load(host, options={'load_samples': 2, 'load_interval': 0.25})
    assert facts['method'] == 'psutil' and facts['cpu_percent'] == [97.0, 3.0]
    assert facts['memory_percent'] == [40.0, 40.0] and slept == [0.25, 0.25]


def _instants(deltas):
    """Cumulative readings from per-interval deltas (tuples or floats), starting at zero."""
    readings = [(0.0, 0.0) if isinstance(deltas[0], tuple) else 0.0]
    for delta in deltas:
        last = readings[-1]
        readings.append(tuple(a + b for a, b in zip(last, delta)) if isinstance(delta, tuple) else last + delta)
    return readings


def test_load_leaves_out_the_cpu_the_diagnosis_spends():
    # 2 CPUs, 0.1 s intervals: 0.2 CPU seconds each. (busy, total) per interval, and our own CPU.
    # Only the diagnosis is busy: the VM is idle.
    assert load.cpu_percentages(_instants([(0.1, 0.2), (0.02, 0.2), (0.1, 0.2)]),
                                _instants([0.1, 0.02, 0.1])) == [0.0, 0.0, 0.0]
    # A saturated VM (a CPU burner) stays at 100 % although the diagnosis took some of the CPU.
    assert load.cpu_percentages(_instants([(0.2, 0.2), (0.2, 0.2), (0.2, 0.2)]),
                                _instants([0.1, 0.0, 0.15])) == [100.0, 100.0, 100.0]
    # The rest of the machine used 0.05 of 0.2 and of the 0.1 we left over.
    assert load.cpu_percentages(_instants([(0.05, 0.2), (0.15, 0.2)]), _instants([0.0, 0.1])) == [25.0, 50.0]
    # Never above the raw reading: without our CPU the numbers are /proc/stat's.
    assert load.cpu_percentages(_instants([(0.05, 0.2), (0.15, 0.2)]), _instants([0.0, 0.0])) == [25.0, 75.0]
    # A command counted for us an interval late (0.1 s seen in interval 3, where the machine was busy for
    # 0.05 s only): the excess goes back to interval 2; nothing is ever below zero.
    assert load.cpu_percentages(_instants([(0.05, 0.2), (0.15, 0.2), (0.05, 0.2)]),
                                _instants([0.0, 0.0, 0.1])) == [25.0, 66.7, 0.0]
    assert load.cpu_percentages([(0, 0), (0.1, 0)], [0, 0]) == [0.0]  # a clock that did not move


def test_own_cpu_counts_running_commands(tmp_path, monkeypatch):
    proc = tmp_path / 'proc'
    for thread, children in (('100', '200 201 '), ('101', ''), ('102', None)):
        (proc / 'self' / 'task' / thread).mkdir(parents=True)
        if children is not None:
            (proc / 'self' / 'task' / thread / 'children').write_text(children)
    # utime stime cutime cstime = fields 14-17; comm may hold spaces and parentheses.
    (proc / '200').mkdir()
    (proc / '200' / 'stat').write_text('200 (waagent (x)) R 100 ' + '0 ' * 9 + '30 10 5 5 20 0\n')
    monkeypatch.setattr(load.os, 'times', lambda: (1.0, 0.5, 0.25, 0.25, 9.0))
    assert load.own_cpu_seconds(str(proc)) == pytest.approx(2.0 + 50 / load._TICKS_PER_SECOND)  # 201 is gone
    assert load.own_cpu_seconds(str(tmp_path / 'nowhere')) == 2.0


def test_own_cpu_sees_a_busy_command_while_it_runs():
    import subprocess
    import sys
    import time

    def cpu_seconds_of(pid):
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf('SC_CLK_TCK'))

    before = load.own_cpu_seconds()
    # Busy until killed: on a loaded machine the child gets its CPU late, so wait for it to have
    # used 0.3 s (bounded) instead of a fixed wall-clock time, then look while it still runs.
    busy = subprocess.Popen([sys.executable, '-c', 'while True: pass'])
    try:
        deadline = time.time() + 20
        while cpu_seconds_of(busy.pid) < 0.3 and time.time() < deadline:
            time.sleep(0.05)
        running = load.own_cpu_seconds()
    finally:
        busy.kill()
        busy.wait()
    if not os.path.exists('/proc/self/task/%d/children' % os.getpid()):
        pytest.skip('this kernel has no /proc/PID/task/TID/children')
    assert running - before >= 0.2


def test_load_on_this_machine_with_both_methods():
    for use_psutil in (True, False):
        facts = load.gather_load(Host(root='/'), options={'load_samples': 2, 'load_interval': 0.05,
                                                          'use_psutil': use_psutil})
        assert facts['result'] == 'ok' and facts['method'] == ('psutil' if use_psutil else 'proc')
        assert all(0.0 <= value <= 100.0 for value in facts['cpu_percent'] + facts['memory_percent'])


def test_load_errors_and_offline(tmp_path, monkeypatch):
    monkeypatch.setattr(load, 'HAS_PSUTIL', False)
    broken = load.gather_load(make_host(tmp_path, proc={'stat': 'nonsense\n'}), options={'load_samples': 1})
    assert broken['result'] == 'error' and 'no aggregate cpu line' in broken['message']
    assert load.gather_load(make_host(tmp_path, offline=True))['result'] == 'skip'


# -- the whole document ------------------------------------------------------------------------------------------------
def test_gather_facts_selects_sections_and_contains_failures(tmp_path, monkeypatch):
    host = make_host(tmp_path, {'etc/os-release': 'ID=debian\nVERSION_ID=12\n'}, offline=True)

    def explode(*args, **kwargs):
        raise KeyError('surprise')
    monkeypatch.setitem(gather._GATHERERS, 'extension', explode)
    facts = gather.gather_facts({'gather': ['extension', 'dhcp']}, host=host)
    assert facts['gathered'] == ['platform', 'extension', 'dhcp']
    assert facts['offline'] is True and facts['schema'] == 1 and facts['os'] == 'linux'
    assert facts['extension'] == {'result': 'error', 'message': "internal error: KeyError: 'surprise'"}
    assert facts['dhcp']['result'] == 'ok' and 'agent' not in facts
    json.dumps(facts)  # JSON-ready: it travels back from the host as module output


def test_gather_facts_runs_the_sections_side_by_side(tmp_path, monkeypatch):
    host = make_host(tmp_path, {'etc/os-release': 'ID=debian\n'}, offline=True)
    started = []

    def slow(name):
        def gatherer(host, platform, options):
            started.append(name)
            time.sleep(0.3)
            return {'result': 'ok', 'name': name, 'platform_seen': platform is not None}
        return gatherer
    for name in ('agent', 'extension', 'connectivity', 'dhcp', 'load'):
        monkeypatch.setitem(gather._GATHERERS, name, slow(name))
    began = time.monotonic()
    facts = gather.gather_facts({}, host=host)
    assert time.monotonic() - began < 1.0  # five sections of 0.3 s each, not 1.5 s in a row
    assert sorted(started) == sorted(gather.SECTIONS[1:])
    assert [facts[name]['name'] for name in gather.SECTIONS[1:]] == list(gather.SECTIONS[1:])
    # Load starts before platform is gathered: it is the one section that does not need it.
    assert facts['load']['platform_seen'] is False and facts['agent']['platform_seen'] is True


def test_gather_facts_offline_never_runs_commands(tmp_path):
    host = make_host(tmp_path, {'etc/os-release': 'ID=debian\n', 'usr/sbin/waagent': ''}, offline=True)
    facts = gather.gather_facts({}, host=host)
    assert host.runner.calls == []
    assert facts['connectivity']['result'] == 'skip' and facts['load']['result'] == 'skip'
    assert facts['agent']['processes']['result'] == 'skip'


@pytest.mark.parametrize('options, message', [
    ({'root': 'relative'}, 'root must be an absolute path'),
    ({'gather': ['bogus']}, "unknown gather section 'bogus'"),
    ({'probe_timeout': 0}, 'probe_timeout must be greater than 0'),
    ({'load_samples': 0}, 'load_samples must be at least 1'),
    ({'https_endpoints': ['h:99999']}, "https_endpoints: 'h:99999'"),
    ({'wireserver_ports': [0]}, 'wireserver_ports holds 0, not a TCP port'),
    ({'wireserver': 'wireserver.example'}, 'wireserver must be an IP address'),
    ({'imds': '10.0.0.3:abc'}, 'imds: expected an IP address, optionally with :port'),
    ({'proxy': 'http://'}, 'proxy must be http://host:port'),
    ({'ca_file': '/nonexistent/ca.pem'}, "ca_file '/nonexistent/ca.pem' is not a file"),
])
def test_validate_options(options, message):
    problems = gather.validate_options(options)
    assert len(problems) == 1 and message in problems[0]


def test_validate_options_accepts_good_values():
    assert gather.validate_options({'root': '/', 'gather': ['all'], 'imds': '10.0.0.3:80', 'wireserver': '10.0.0.2',
                                    'https_endpoints': ['a.test', 'b.test:8443'], 'proxy': 'http://p:3128',
                                    'load_samples': 3, 'load_interval': 0, 'probe_timeout': 2.5}) == []


def test_hostile_files_everywhere_never_break_the_gathering(tmp_path):
    """Binary, non-UTF-8, empty and directory-shaped files where every gatherer reads."""
    garbage = b'\x00\xff\xfe[{"\x80' * 300
    files = dict((path, garbage) for path in (
        'etc/os-release', 'etc/waagent.conf', 'var/log/waagent.log', 'etc/environment',
        'var/lib/dpkg/status', 'etc/network/interfaces', 'etc/netplan/50.yaml',
        'etc/systemd/network/10.network', 'etc/NetworkManager/system-connections/a.nmconnection',
        'etc/sysconfig/network-scripts/ifcfg-eth0', 'etc/cloud/cloud.cfg.d/90.cfg',
        HANDLER + '1.0.9225.0/status/1.status', 'lib/systemd/system/walinuxagent.service'))
    files['etc/network/interfaces.d/dir/x'] = ''
    files['var/lib/waagent/WALinuxAgent-9.9/x'] = garbage
    proc = {'stat': garbage, 'meminfo': garbage, 'net/route': garbage, '42/cmdline': garbage,
            '43/cmdline': cmdline('python3', '/usr/sbin/waagent', '-daemon'), '43/environ': garbage}
    host = make_host(tmp_path, files, proc=proc, sys={'class/dmi/id/sys_vendor': garbage},
                     commands={'dpkg-query': garbage.decode('latin-1'), 'systemctl': garbage.decode('latin-1'),
                               'ip': garbage.decode('latin-1'), 'iptables-save': garbage.decode('latin-1')})
    load.HAS_PSUTIL, saved = False, load.HAS_PSUTIL
    try:
        facts = gather.gather_facts({'assume_azure': True, 'wireserver': '127.0.0.1', 'wireserver_ports': [9],
                                     'imds': '127.0.0.1:9', 'https_endpoints': ['localhost:9'],
                                     'probe_timeout': 0.5, 'load_samples': 1, 'load_interval': 0}, host=host)
    finally:
        load.HAS_PSUTIL = saved
    json.dumps(facts)
    for name in facts['gathered']:
        assert facts[name]['result'] in ('ok', 'error', 'skip'), name
        assert 'internal error' not in str(facts[name].get('message')), (name, facts[name])
    assert facts['extension']['handlers']['items'][0]['status']['result'] == 'error'
    assert facts['load']['result'] == 'error'
