# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
import json
import os

import pytest

from ansible.module_utils import basic
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import dhcp as dhcp_facts
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import Host
from ansible_collections.azure_backup.snapshot_doctor.plugins.modules import guest_dhcp
from .remediation_helpers import ModuleExit, run_module

IFUPDOWN_STATIC = """# The loopback network interface
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet static
    address 10.213.0.11/24
    gateway 10.213.0.1
    dns-nameservers 10.213.0.1

iface eth1 inet static
    address 192.168.5.5
"""


def _methods(entries, interface='eth0'):
    return [entry['method'] for entry in entries if entry['interface'] == interface]


def test_ifupdown_static_becomes_dhcp_and_other_stanzas_stay():
    after = guest_dhcp.rewrite_ifupdown(IFUPDOWN_STATIC, 'eth0')
    assert 'iface eth0 inet dhcp' in after
    assert 'address 10.213.0.11/24' not in after and 'gateway 10.213.0.1' not in after
    assert 'dns-nameservers 10.213.0.1' in after  # not an addressing option: kept
    assert 'iface eth1 inet static\n    address 192.168.5.5' in after
    # The facts gatherer now sees DHCP on eth0 and still static on eth1.
    entries = dhcp_facts.parse_ifupdown(after, '/etc/network/interfaces')
    assert _methods(entries) == ['dhcp'] and _methods(entries, 'eth1') == ['static']
    assert guest_dhcp.rewrite_ifupdown(after, 'eth0') == after


NETPLAN_STATIC = """network:
  version: 2
  ethernets:
    eth0:
      addresses: [10.213.0.11/24, "fd00::11/64"]
      gateway4: 10.213.0.1
      routes:
        - to: default
          via: 10.213.0.1
        - to: 10.50.0.0/16
          via: 10.213.0.9
      nameservers:
        addresses: [10.213.0.1]
"""


def test_netplan_static_becomes_dhcp4_keeping_ipv6_and_other_routes():
    pytest.importorskip('yaml')
    import yaml
    after = guest_dhcp.rewrite_netplan(NETPLAN_STATIC, 'eth0')
    device = yaml.safe_load(after)['network']['ethernets']['eth0']
    assert device['dhcp4'] is True
    assert device['addresses'] == ['fd00::11/64']
    assert 'gateway4' not in device
    assert device['routes'] == [{'to': '10.50.0.0/16', 'via': '10.213.0.9'}]
    assert device['nameservers'] == {'addresses': ['10.213.0.1']}
    entries = dhcp_facts.netplan_entries(yaml.safe_load(after)['network'], 'netplan', 'x.yaml')
    assert _methods(entries) == ['dhcp']
    assert guest_dhcp.rewrite_netplan(after, 'eth0') == after


def test_netplan_is_read_with_the_facts_parser_so_mac_addresses_stay_text():
    """PyYAML reads 12:34:56:12:34:56 as a base-60 number and would write it back as 2821109907456."""
    pytest.importorskip('yaml')
    text = NETPLAN_STATIC.replace('      gateway4:', '      match: {macaddress: 12:34:56:12:34:56}\n      gateway4:')
    after = guest_dhcp.rewrite_netplan(text, 'eth0')
    assert "macaddress: '12:34:56:12:34:56'" in after
    with pytest.raises(ValueError, match='line 1'):
        guest_dhcp.rewrite_netplan('network: [unclosed\n', 'eth0')


NETWORKD_STATIC = """[Match]
Name=eth0

[Network]
Address=10.213.0.11/24
Gateway=10.213.0.1
Address=fd00::11/64
DNS=10.213.0.1
"""


def test_networkd_static_becomes_dhcp():
    after = guest_dhcp.rewrite_networkd(NETWORKD_STATIC, 'eth0')
    assert after == '[Match]\nName=eth0\n\n[Network]\nAddress=fd00::11/64\nDNS=10.213.0.1\nDHCP=ipv4\n'
    assert _methods(dhcp_facts.parse_networkd(after, 'x.network')) == ['dhcp']
    assert guest_dhcp.rewrite_networkd(after, 'eth0') == after


def test_networkd_address_section_and_ipv6_dhcp():
    text = '[Match]\nName=eth0\n[Network]\nDHCP=ipv6\n[Address]\nAddress=10.0.0.4/24\n[Link]\nMTUBytes=1400\n'
    after = guest_dhcp.rewrite_networkd(text, 'eth0')
    assert after == '[Match]\nName=eth0\n[Network]\nDHCP=yes\n[Link]\nMTUBytes=1400\n'


def test_networkmanager_manual_becomes_auto():
    text = ('[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n[ipv4]\nmethod=manual\n'
            'address1=10.213.0.11/24,10.213.0.1\ndns=10.213.0.1;\n\n[ipv6]\nmethod=auto\n')
    after = guest_dhcp.rewrite_networkmanager(text, 'eth0')
    assert '[ipv4]\nmethod=auto\ndns=10.213.0.1;\n' in after and 'address1' not in after
    assert '[ipv6]\nmethod=auto' in after
    assert _methods(dhcp_facts.parse_nmconnection(after, 'x.nmconnection')) == ['dhcp']


def test_ifcfg_static_becomes_dhcp():
    text = 'DEVICE=eth0\nBOOTPROTO=none\nIPADDR=10.213.0.11\nPREFIX=24\nGATEWAY=10.213.0.1\nONBOOT=yes\n'
    after = guest_dhcp.rewrite_ifcfg(text, 'eth0')
    assert after == 'DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n'
    assert _methods(dhcp_facts.parse_ifcfg(after, '/etc/sysconfig/network-scripts/ifcfg-eth0')) == ['dhcp']


@pytest.fixture
def interfaces_file(tmp_path, monkeypatch):
    """Point the ifupdown gatherer at a temporary file; nothing applies it (no ifstate)."""
    path = tmp_path / 'interfaces'
    path.write_text(IFUPDOWN_STATIC)
    monkeypatch.setattr(dhcp_facts, 'IFUPDOWN_FILES', (str(path),))
    monkeypatch.setattr(dhcp_facts, 'IFUPDOWN_DIRS', ())
    for name in ('NETPLAN_DIRS', 'NETWORKD_DIRS', 'NM_DIRS', 'IFCFG_DIRS', 'CLOUD_INIT_DIRS', 'CLOUD_INIT_FILES'):
        monkeypatch.setattr(dhcp_facts, name, ())
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: None)
    return path


def test_main_backs_up_rewrites_and_is_idempotent(interfaces_file, tmp_path):
    backups = tmp_path / 'backups'
    args = {'interface': 'eth0', 'backup_dir': str(backups)}
    result = run_module(guest_dhcp.main, args)
    assert result['changed'] is True and result['rollback_id'] == ''  # nothing running to apply to
    assert 'iface eth0 inet dhcp' in interfaces_file.read_text()
    backup = result['files'][0]['backup']
    with open(backup) as handle:
        assert handle.read() == IFUPDOWN_STATIC
    assert oct(os.stat(str(backups)).st_mode & 0o777) == '0o700'
    assert run_module(guest_dhcp.main, args)['changed'] is False


def test_check_mode_shows_the_diff_and_changes_nothing(interfaces_file, tmp_path):
    result = run_module(guest_dhcp.main, {'interface': 'eth0', 'backup_dir': str(tmp_path / 'b')},
                        check_mode=True, diff=True)
    assert result['changed'] is True
    assert 'inet dhcp' in result['diff'][0]['after']
    assert interfaces_file.read_text() == IFUPDOWN_STATIC
    assert not (tmp_path / 'b').exists()


def test_confirm_of_a_rolled_back_change_fails(tmp_path):
    directory = tmp_path / '20261122T040000Z-1'
    directory.mkdir()
    (directory / 'state').write_text('rolled_back')
    with pytest.raises(ModuleExit) as info:
        run_module(guest_dhcp.main, {'confirm': '20261122T040000Z-1', 'backup_dir': str(tmp_path)})
    assert 'already rolled back' in info.value.result['msg']


def test_confirm_rejects_a_path(tmp_path):
    with pytest.raises(ModuleExit) as info:
        run_module(guest_dhcp.main, {'confirm': '../../etc', 'backup_dir': str(tmp_path)})
    assert 'rollback id' in info.value.result['msg']


def test_helper_rolls_back_without_confirmation_and_keeps_with_it(tmp_path):
    """Run the real helper program with a short timeout, both ways."""
    import subprocess
    import sys
    for confirm in (False, True):
        work = tmp_path / ('confirm' if confirm else 'rollback')
        work.mkdir()
        (work / 'config').write_text('new\n')
        (work / 'backup').write_text('old\n')
        manifest = {'files': [{'file': str(work / 'config'), 'backup': str(work / 'backup')}],
                    'apply': [['touch', str(work / 'applied')]], 'delay': 0, 'timeout': 2,
                    'confirm_file': str(work / 'confirmed'), 'state_file': str(work / 'state')}
        (work / 'manifest.json').write_text(json.dumps(manifest))
        if confirm:
            (work / 'confirmed').write_text('yes')
        subprocess.check_call([sys.executable, '-c', guest_dhcp.HELPER, str(work / 'manifest.json')], timeout=20)
        assert (work / 'applied').exists()
        if confirm:
            assert (work / 'state').read_text() == 'confirmed' and (work / 'config').read_text() == 'new\n'
        else:
            assert (work / 'state').read_text() == 'rolled_back' and (work / 'config').read_text() == 'old\n'


def test_a_failed_write_restores_the_files_already_written(interfaces_file, tmp_path, monkeypatch):
    networkd = tmp_path / 'network'
    networkd.mkdir()
    (networkd / '10-eth0.network').write_text(NETWORKD_STATIC)
    monkeypatch.setattr(dhcp_facts, 'NETWORKD_DIRS', (str(networkd),))
    real_replace = guest_dhcp.replace_file
    calls = []

    def failing_second(path, text):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, 'No space left on device')
        real_replace(path, text)

    monkeypatch.setattr(guest_dhcp, 'replace_file', failing_second)
    with pytest.raises(ModuleExit) as info:
        run_module(guest_dhcp.main, {'interface': 'eth0', 'backup_dir': str(tmp_path / 'b')})
    assert 'restored' in info.value.result['msg']
    # The message names the file that could not be written, not the last one restored.
    assert info.value.result['msg'].startswith('Writing %s failed' % (networkd / '10-eth0.network'))
    assert interfaces_file.read_text() == IFUPDOWN_STATIC
    assert (networkd / '10-eth0.network').read_text() == NETWORKD_STATIC


def test_only_regular_files_are_read_for_rewriting(tmp_path):
    """A FIFO where a configuration file was is refused at once, never waited on."""
    import threading
    fifo = tmp_path / 'interfaces'
    os.mkfifo(str(fifo))
    errors = []

    def read():
        try:
            guest_dhcp.read_config(Host('/'), str(fifo))
        except ValueError as exc:
            errors.append(str(exc))
    thread = threading.Thread(target=read)
    thread.daemon = True
    thread.start()
    thread.join(5)
    if thread.is_alive():
        os.close(os.open(str(fifo), os.O_WRONLY | os.O_NONBLOCK))  # release the blocked reader
    assert errors == ['%s: is a FIFO, not a regular file' % fifo]
    (tmp_path / 'big').write_text('x' * (dhcp_facts.MAX_CONFIG_BYTES + 1))
    with pytest.raises(ValueError, match='larger than'):
        guest_dhcp.read_config(Host('/'), str(tmp_path / 'big'))


def test_replace_file_keeps_mode(tmp_path):
    path = tmp_path / 'eth0.nmconnection'
    path.write_text('[ipv4]\nmethod=manual\n')
    os.chmod(str(path), 0o600)
    guest_dhcp.replace_file(str(path), '[ipv4]\nmethod=auto\n')
    assert path.read_text() == '[ipv4]\nmethod=auto\n'
    assert os.stat(str(path)).st_mode & 0o777 == 0o600
    assert os.listdir(str(tmp_path)) == ['eth0.nmconnection']


def test_detached_helper_returns_at_once_and_rolls_back_later(tmp_path):
    import subprocess
    import sys
    import time
    (tmp_path / 'config').write_text('new\n')
    (tmp_path / 'backup').write_text('old\n')
    manifest = {'files': [{'file': str(tmp_path / 'config'), 'backup': str(tmp_path / 'backup')}],
                'apply': [], 'delay': 0, 'timeout': 1,
                'confirm_file': str(tmp_path / 'confirmed'), 'state_file': str(tmp_path / 'state')}
    (tmp_path / 'manifest.json').write_text(json.dumps(manifest))
    started = time.time()
    # Pipes like module.run_command's: the call must return although the helper runs on.
    subprocess.run([sys.executable, '-c', guest_dhcp.HELPER, str(tmp_path / 'manifest.json'), '--detach'],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10, check=True)
    assert time.time() - started < 1
    assert not (tmp_path / 'state').exists()
    for dummy in range(50):
        if (tmp_path / 'state').exists():
            break
        time.sleep(0.1)
    assert (tmp_path / 'state').read_text() == 'rolled_back'
    assert (tmp_path / 'config').read_text() == 'old\n'


def test_confirm_of_a_pending_change_waits_for_the_helper(tmp_path):
    import threading
    directory = tmp_path / '20261122T040000Z-7'
    directory.mkdir()
    (directory / 'state').write_text('pending')

    def helper():  # what the real helper does when it sees the confirmation file
        for dummy in range(50):
            if (directory / 'confirmed').exists():
                (directory / 'state').write_text('confirmed')
                return
            threading.Event().wait(0.1)

    thread = threading.Thread(target=helper)
    thread.start()
    result = run_module(guest_dhcp.main, {'confirm': '20261122T040000Z-7', 'backup_dir': str(tmp_path)})
    thread.join()
    assert result['changed'] is True and result['state'] == 'confirmed'
    # Confirming again changes nothing.
    assert run_module(guest_dhcp.main, {'confirm': '20261122T040000Z-7', 'backup_dir': str(tmp_path)})['changed'] is False
