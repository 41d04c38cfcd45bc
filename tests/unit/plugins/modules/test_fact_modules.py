# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""guest_info and the per-cause *_info modules, run in-process the way Ansible runs them."""
from __future__ import absolute_import, division, print_function

import json

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import platform
from ansible_collections.azure_backup.snapshot_doctor.plugins.modules import (
    agent_info, connectivity_info, dhcp_info, extension_info, guest_info, load_info, platform_info)

from .remediation_helpers import ModuleExit, run_module

__metaclass__ = type

HANDLER = 'var/lib/waagent/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9225.0'


@pytest.fixture
def rescue_disk(tmp_path):
    """The OS disk of a broken Debian VM, as mounted on a rescue VM."""
    files = {
        'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
        'etc/waagent.conf': 'Extensions.Enabled=n\nAutoUpdate.Enabled=n\n',
        'usr/sbin/waagent': '#!/usr/bin/python3\n',
        'lib/systemd/system/walinuxagent.service': '[Service]\nExecStart=/usr/sbin/waagent -daemon\n',
        'var/lib/dpkg/status': 'Package: waagent\nStatus: install ok installed\nVersion: 2.7.3.0-4.1\n',
        'etc/network/interfaces': 'auto eth0\niface eth0 inet static\n  address 10.0.0.4/24\n',
        HANDLER + '/status/3.status': json.dumps([{'timestampUTC': '2025-11-21T00:00:00Z', 'status': {
            'operation': 'Enable', 'status': 'error', 'code': 76,
            'formattedMessage': {'message': 'no network'}}}]),
    }
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


def test_guest_info_offline_reads_the_disk_and_skips_the_live_facts(rescue_disk):
    result = run_module(guest_info.main, {'root': rescue_disk}, check_mode=True)
    facts = result['facts']
    assert result['changed'] is False and facts['offline'] is True and facts['root'] == rescue_disk
    assert facts['gathered'] == ['platform', 'agent', 'extension', 'connectivity', 'dhcp', 'load']
    assert facts['agent']['config']['values']['Extensions.Enabled'] == 'n'
    assert facts['agent']['package'] == dict(facts['agent']['package'], installed=True, source='/var/lib/dpkg/status')
    assert facts['agent']['service']['unit_file_state'] == 'disabled'
    assert facts['extension']['handlers']['items'][0]['status']['code'] == 76
    assert [source['method'] for source in facts['dhcp']['sources']] == ['static']
    for skipped in (facts['connectivity'], facts['load'], facts['agent']['processes'], facts['platform']['dmi']):
        assert skipped['result'] == 'skip' and 'offline' in skipped['message']


def test_gather_chooses_sections(rescue_disk):
    facts = run_module(guest_info.main, {'root': rescue_disk, 'gather': ['dhcp']})['facts']
    assert facts['gathered'] == ['platform', 'dhcp'] and 'agent' not in facts


@pytest.mark.parametrize('main, key', [
    (platform_info.main, 'platform'), (agent_info.main, 'agent'), (extension_info.main, 'extension'),
    (connectivity_info.main, 'connectivity'), (dhcp_info.main, 'dhcp'), (load_info.main, 'load'),
])
def test_info_modules_return_their_section(rescue_disk, main, key):
    result = run_module(main, {'root': rescue_disk}, check_mode=True)
    assert set(result) >= {key, 'changed'} and 'facts' not in result
    assert result[key]['result'] == 'ok' or key in ('connectivity', 'load')


def test_load_info_samples_this_machine():
    result = run_module(load_info.main, {'load_samples': 2, 'load_interval': 0.05})
    load = result['load']
    assert load['result'] == 'ok' and len(load['cpu_percent']) == 2 and len(load['memory_percent']) == 2


def test_connectivity_info_on_a_non_azure_machine_probes_nothing(monkeypatch):
    # Without an Azure DMI identity and without an override nothing may be probed (forced here so
    # that the test never probes the platform even when it runs on an Azure VM).
    monkeypatch.setattr(platform, 'azure_by_dmi', lambda dmi: False)
    result = run_module(connectivity_info.main, {})
    assert result['connectivity']['result'] == 'skip'


@pytest.mark.parametrize('args, message', [
    ({'root': 'relative/path'}, 'root must be an absolute path'),
    ({'gather': ['agent', 'nonsense']}, 'value of gather must be one or more of'),
    ({'load_samples': 0}, 'load_samples must be at least 1'),
    ({'https_endpoints': ['ok.test', 'bad:port']}, "https_endpoints: 'bad:port'"),
    ({'wireserver': 'not-an-ip'}, 'wireserver must be an IP address'),
    ({'unknown_option': 1}, 'Unsupported parameters'),
])
def test_bad_options_fail_with_a_clear_message(args, message):
    with pytest.raises(ModuleExit) as caught:
        run_module(guest_info.main, args)
    assert caught.value.failed and message in caught.value.result['msg']
    assert 'Traceback' not in caught.value.result['msg']


def test_section_modules_reject_options_of_other_sections():
    with pytest.raises(ModuleExit) as caught:
        run_module(dhcp_info.main, {'probe_timeout': 1})
    assert 'Unsupported parameters' in caught.value.result['msg']
