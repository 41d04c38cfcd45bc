# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline Windows disk: real registry hives, built here, read by guest_info's gatherer, judged by the rules.

hivex cannot create a hive from nothing and no sample hive ships with Debian, so ``empty_hive`` writes the
smallest valid one (a 4 KiB regf base block with its XOR checksum at 0x1FC, one 4 KiB hbin with the root
nk cell and its sk cell, the rest a free cell); ``hivexregedit --merge`` (Debian libwin-hivex-perl, installed
by tests/unit/deps.sh) then adds keys and values from .reg text, as Windows' own regedit format writes them.
The tree around the hives is laid out like a mounted Windows OS disk.
"""
from __future__ import absolute_import, division, print_function

import os
import shutil
import struct
import subprocess
import sys

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.gather import gather_facts
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.windows import offline
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import engine
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.backends import BACKENDS

__metaclass__ = type

pytest.importorskip('regipy')
pytestmark = pytest.mark.skipif(shutil.which('hivexregedit') is None,
                                reason='hivexregedit missing (apt-get install libwin-hivex-perl; tests/unit/deps.sh)')
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, 'fixtures', 'windows')
# SERVICE_FAILURE_ACTIONS (winsvc.h) as the FailureActions value stores it: reset 86400 s, 3 actions at
# offset 0x14, each "restart after 60000 ms".
# A real WaAppAgent.log line, quoted by Microsoft's guest agent troubleshooting article.
LOG_LINE = (b'[WARN] (Ignoring) Exception while fetching supported versions from HostGAPlugin: An attempt was made '
            b'to access a socket in a way forbidden by its access permissions 168.63.129.16:32526\r\n')
RESTART_ACTIONS = ('80,51,01,00,00,00,00,00,00,00,00,00,03,00,00,00,14,00,00,00'
                   + ',01,00,00,00,60,ea,00,00' * 3)


def _cell(data):
    size = (4 + len(data) + 7) // 8 * 8
    return struct.pack('<i', -size) + data + b'\0' * (size - 4 - len(data))


def empty_hive(root_name='ROOT'):
    name = root_name.encode('ascii')
    nk_offset = 0x20
    sk_offset = nk_offset + (4 + 0x4C + len(name) + 7) // 8 * 8
    nk = bytearray(0x4C)
    nk[0:2] = b'nk'
    struct.pack_into('<H', nk, 0x02, 0x2C)  # KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME
    struct.pack_into('<IIIII', nk, 0x10, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF)  # parent, subkeys, lists
    struct.pack_into('<III', nk, 0x24, 0, 0xFFFFFFFF, sk_offset)  # values, value list, security
    struct.pack_into('<I', nk, 0x30, 0xFFFFFFFF)  # no class name
    struct.pack_into('<HH', nk, 0x48, len(name), 0)
    descriptor = struct.pack('<BBHIIII', 1, 0, 0x8000, 0, 0, 0, 0)  # self-relative, nothing present
    sk = b'sk\0\0' + struct.pack('<IIII', sk_offset, sk_offset, 1, len(descriptor)) + descriptor
    cells = _cell(bytes(nk) + name) + _cell(sk)
    free = 0x1000 - 0x20 - len(cells)
    hbin = b'hbin' + struct.pack('<III', 0, 0x1000, 0) + b'\0' * 16 + cells + struct.pack('<i', free) + b'\0' * (free - 4)
    base = bytearray(0x1000)
    base[0:4] = b'regf'
    struct.pack_into('<II', base, 0x04, 1, 1)  # sequence numbers (equal: the hive is consistent)
    struct.pack_into('<IIIIIII', base, 0x14, 1, 5, 0, 1, nk_offset, len(hbin), 1)
    checksum = 0
    for index in range(0, 0x1FC, 4):
        checksum ^= struct.unpack_from('<I', base, index)[0]
    struct.pack_into('<I', base, 0x1FC, checksum)
    return bytes(base) + hbin


def build_hive(path, keys):
    """A hive at ``path`` holding ``keys``: {key path: {name: .reg data text}}; every parent gets its section."""
    with open(path, 'wb') as handle:
        handle.write(empty_hive())
    sections = {}
    for key, values in keys.items():
        parts = key.split('\\')
        for depth in range(1, len(parts)):
            sections.setdefault('\\'.join(parts[:depth]), {})
        sections.setdefault(key, {}).update(values)
    lines = ['Windows Registry Editor Version 5.00', '']
    for key in sorted(sections, key=lambda item: (item.count('\\'), item)):
        lines.append('[\\%s]' % key)
        lines.extend('"%s"=%s' % item for item in sorted(sections[key].items()))
        lines.append('')
    reg = path + '.reg'
    with open(reg, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')
    subprocess.run(['hivexregedit', '--merge', path, reg], check=True, capture_output=True, timeout=60)
    os.remove(reg)


def system_keys(**changes):
    services = 'ControlSet001\\Services\\'
    keys = {
        'Select': {'Current': 'dword:00000001'},
        services + 'WindowsAzureGuestAgent': {'Start': 'dword:00000002', 'DisplayName': '"Windows Azure Guest Agent"',
                                              'FailureActions': 'hex:' + RESTART_ACTIONS},
        services + 'RdAgent': {'Start': 'dword:00000002', 'FailureActions': 'hex:' + RESTART_ACTIONS},
        services + 'IaaSVmProvider': {'Start': 'dword:00000002'},
        services + 'VSS': {'Start': 'dword:00000003'},
        services + 'COMSysApp': {'Start': 'dword:00000003'},
        services + 'MSDTC': {'Start': 'dword:00000002'},
        services + 'Tcpip\\Parameters\\Interfaces\\{6a1f9c6e-1d0b-4c4e-9d5e-3b2f0c9a7e11}': {
            'EnableDHCP': 'dword:00000001', 'DhcpIPAddress': '"10.1.0.5"'},
    }
    for key, values in changes.items():
        keys.setdefault(key.replace('/', '\\'), {}).update(values)
    return keys


def software_keys(**changes):
    net = 'Microsoft\\.NETFramework\\v4.0.30319'
    keys = {
        'Microsoft\\Virtual Machine\\Guest': {'GuestAgentVersion': '"2.7.41491.1010"'},
        'Microsoft\\BcdrAgent': {'UseVssFullBackup': '"True"', 'IsProviderInstalled': '"True"'},
        'Microsoft\\BcdrAgentPersistentKeys': {'IsCommonProviderInstalled': '"True"'},
        'Microsoft\\Windows NT\\CurrentVersion': {'ProductName': '"Windows Server 2022 Datacenter"',
                                                  'CurrentBuild': '"20348"', 'CurrentMajorVersionNumber': 'dword:0000000a',
                                                  'CurrentMinorVersionNumber': 'dword:00000000'},
        net: {'SchUseStrongCrypto': 'dword:00000001'},
        'WOW6432Node\\' + net: {'SchUseStrongCrypto': 'dword:00000001'},
    }
    for key, values in changes.items():
        keys.setdefault(key.replace('/', '\\'), {}).update(values)
    return keys


def disk(tmp_path, system=None, software=None):
    """A Windows OS disk as ntfs-3g mounts it on the rescue VM."""
    root = str(tmp_path / 'osdisk')
    config = os.path.join(root, 'Windows', 'System32', 'config')
    os.makedirs(config)
    build_hive(os.path.join(config, 'SYSTEM'), system or system_keys())
    build_hive(os.path.join(config, 'SOFTWARE'), software or software_keys())
    for path, content in (('WindowsAzure/Packages/WaAppAgent.exe', b''),
                          ('WindowsAzure/GuestAgent_2.7.41491.1010/WindowsAzureGuestAgent.exe', b''),
                          ('WindowsAzure/Logs/WaAppAgent.log', LOG_LINE)):
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        with open(os.path.join(root, path), 'wb') as handle:
            handle.write(content)
    status = os.path.join(root, 'Packages', 'Plugins', 'Microsoft.Azure.RecoveryServices.VMSnapshot', '1.0.92.0',
                          'Status')
    os.makedirs(status)
    shutil.copy(os.path.join(FIXTURES, '792.status'), os.path.join(status, '792.status'))
    return root


def diagnose(root, options=None):
    """guest_info's gathering on the rescue host, then the Linux backend's facts and the rules, as the action does."""
    raw = gather_facts({'root': root, 'gather': ['all'], 'command_timeout': 5})
    facts, problem = BACKENDS['linux'].to_facts({'facts': raw}, options or {})
    assert problem is None
    return facts, dict((finding['check'], finding) for finding in engine.evaluate(facts, options))


def test_the_empty_hive_is_valid_and_hivex_reads_it(tmp_path):
    path = str(tmp_path / 'EMPTY')
    with open(path, 'wb') as handle:
        handle.write(empty_hive())
    exported = subprocess.run(['hivexregedit', '--export', path, '\\'], check=True, capture_output=True,
                              timeout=60).stdout.decode()
    assert exported.splitlines()[:3] == ['Windows Registry Editor Version 5.00', '', '[\\]']


def test_healthy_disk(tmp_path):
    root = disk(tmp_path)
    assert offline.is_windows_root(root) and not offline.is_windows_root(str(tmp_path))
    facts, findings = diagnose(root)
    assert facts['os'] == 'windows' and facts['offline'] is True and facts['root'] == root
    assert facts['platform']['os']['caption'] == 'Windows Server 2022 Datacenter'
    assert facts['platform']['distribution_version'] == '10.0.20348'
    statuses = dict((check, finding['status']) for check, finding in findings.items())
    assert statuses == {
        'platform.azure': 'skip', 'platform.tls': 'pass',
        'connectivity.wireserver': 'skip', 'connectivity.imds': 'skip', 'connectivity.https': 'skip',
        'connectivity.dns': 'skip', 'connectivity.proxy': 'skip', 'connectivity.route': 'skip',
        'connectivity.firewall': 'skip', 'connectivity.nsg': 'skip',
        'agent.installed': 'pass', 'agent.version': 'pass', 'agent.service': 'pass', 'agent.autorestart': 'pass',
        'agent.crashes': 'skip', 'agent.certificate': 'skip', 'agent.azure_status': 'skip',
        'extension.installed': 'pass', 'extension.version': 'skip', 'extension.status': 'pass',
        'extension.stale': 'pass', 'extension.provider_service': 'pass', 'extension.blocked': 'skip',
        'extension.provisioning': 'skip',
        'snapshot.load': 'skip', 'snapshot.dhcp': 'pass', 'snapshot.sql_vss': 'pass', 'snapshot.vss': 'skip',
        'snapshot.power_state': 'skip', 'snapshot.schedule': 'skip',
        'backup.last_job': 'skip', 'backup.restore_points': 'skip'}
    assert 'offline' in findings['agent.service']['summary']
    assert facts['agent']['log']['text'] == LOG_LINE.decode()
    assert findings['agent.autorestart']['evidence']['RdAgent']['actions'] == [
        {'action': 'restart', 'delay_ms': 60000}] * 3


def test_faults_on_the_disk(tmp_path):
    services = 'ControlSet001/Services/'
    root = disk(tmp_path, system=system_keys(**{
        services + 'RdAgent': {'Start': 'dword:00000003', 'FailureActions': 'hex:' + RESTART_ACTIONS[:59]},
        services + 'IaaSVmProvider': {'Start': 'dword:00000004'},
        services + 'MSSQLSERVER': {'Start': 'dword:00000002'},
        services + 'Tcpip/Parameters/Interfaces/{6a1f9c6e-1d0b-4c4e-9d5e-3b2f0c9a7e11}': {
            'EnableDHCP': 'dword:00000000', 'IPAddress': 'hex(7):31,00,30,00,2e,00,31,00,2e,00,30,00,2e,00,35,00,00,00,00,00'},
    }), software=software_keys(**{'Microsoft/Virtual Machine/Guest': {'GuestAgentVersion': '"2.6.1198.718"'},
                                  'WOW6432Node/Microsoft/.NETFramework/v4.0.30319': {'SchUseStrongCrypto': 'dword:00000000'}}))
    _facts, findings = diagnose(root)
    assert findings['agent.service']['status'] == 'fail' and 'RdAgent starts Manual' in findings['agent.service']['summary']
    assert findings['agent.autorestart']['status'] == 'error'  # a cut FailureActions value
    assert findings['agent.version']['status'] == 'fail'
    assert findings['extension.provider_service']['status'] == 'fail'
    assert findings['snapshot.sql_vss']['status'] == 'fail'
    assert 'UseVssFullBackup=True' in findings['snapshot.sql_vss']['summary']
    assert findings['snapshot.dhcp']['status'] == 'fail' and '10.1.0.5' in findings['snapshot.dhcp']['summary']
    assert findings['platform.tls']['status'] == 'warn'


def test_the_current_control_set_is_the_one_read(tmp_path):
    keys = system_keys(**{'Select': {'Current': 'dword:00000002'}})
    for key in list(keys):
        if key.startswith('ControlSet001\\Services\\RdAgent'):
            keys[key.replace('ControlSet001', 'ControlSet002')] = dict(keys[key], Start='dword:00000004')
    root = disk(tmp_path, system=keys)
    facts, findings = diagnose(root)
    assert facts['agent']['services']['RdAgent']['start_mode'] == 'Disabled'
    assert facts['agent']['services']['WindowsAzureGuestAgent']['present'] is False  # not in ControlSet002
    assert findings['agent.service']['status'] == 'fail'


def test_without_regipy_the_registry_observations_name_it(tmp_path, monkeypatch):
    root = disk(tmp_path)
    monkeypatch.setitem(sys.modules, 'regipy.registry', None)  # the import fails as on a host without it
    _facts, findings = diagnose(root)
    assert findings['agent.service']['status'] == 'error'
    assert 'regipy is not installed' in findings['agent.service']['summary']
    assert findings['extension.status']['status'] == 'pass'  # files still read


def test_a_damaged_hive_is_an_error_not_a_crash(tmp_path):
    root = disk(tmp_path)
    with open(os.path.join(root, 'Windows', 'System32', 'config', 'SYSTEM'), 'r+b') as handle:
        handle.write(b'junk')
    _facts, findings = diagnose(root)
    assert findings['agent.service']['status'] == 'error'
    assert findings['agent.version']['status'] == 'pass'  # SOFTWARE is intact
