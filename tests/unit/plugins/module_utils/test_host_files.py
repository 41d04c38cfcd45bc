# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host file reads: only regular files, bounded, and never out of the root of an offline disk."""
from __future__ import absolute_import, division, print_function

import os
import socket
import stat
import threading
import time

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import gather
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import Host
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import engine as evaluator

from linux_fakes import make_host, write_tree

__metaclass__ = type

HANDLER = 'var/lib/waagent/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9225.0'
TEN_GIB = 10 * 1024 ** 3


def unix_socket(path):
    """A listening unix socket at ``path`` (closed by the caller)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    return server


def character_device(path):
    """A /dev/null device node at ``path``; False where mknod is not allowed (not root, nodev)."""
    try:
        os.mknod(str(path), 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        return False
    return True


def sparse(path, size):
    with open(str(path), 'wb') as handle:
        handle.truncate(size)


def in_a_thread(function, timeout):
    """function()'s result, or None when it is still running after ``timeout`` seconds."""
    box = []
    thread = threading.Thread(target=lambda: box.append(function()))
    thread.daemon = True
    thread.start()
    thread.join(timeout)
    return box[0] if box else None


def test_special_files_are_errors_naming_their_type(tmp_path):
    root = tmp_path / 'root'
    write_tree(root, {'etc/dir/x': '', 'etc/null': ('symlink', '/dev/null')})
    os.mkfifo(str(root / 'etc' / 'fifo'))
    server = unix_socket(root / 'etc' / 'socket')
    has_device = character_device(root / 'etc' / 'device')
    names = ['/etc/fifo', '/etc/socket', '/etc/dir'] + (['/etc/device'] if has_device else [])
    try:
        for offline in (True, False):
            host = Host(str(root))
            host.offline = offline  # live mode on a test tree, as make_host does it
            problems = in_a_thread(lambda: [host.read_text(name)[2] for name in names], 5)
            assert problems is not None, 'a read blocked'
            assert problems == ['/etc/fifo: is a FIFO, not a regular file',
                                '/etc/socket: is a socket, not a regular file',
                                '/etc/dir: is a directory, not a regular file',
                                '/etc/device: is a character device, not a regular file'][:len(names)]
        # Live, links are followed as the system follows them: /dev/null is a device, not a file.
        assert host.read_text('/etc/null')[2] == '/etc/null: is a character device, not a regular file'
    finally:
        server.close()
        release(root / 'etc' / 'fifo')


def release(fifo):
    """Open ``fifo`` for writing: a reader a regression left blocked in open() returns, and the run can end."""
    try:
        os.close(os.open(str(fifo), os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass  # nobody is blocked reading it


def test_a_huge_sparse_file_is_read_only_as_far_as_asked(tmp_path):
    root = tmp_path / 'root'
    write_tree(root, {'var/log/': ('dir', None)})
    sparse(root / 'var' / 'log' / 'huge', TEN_GIB)
    with open(str(root / 'var' / 'log' / 'huge'), 'r+b') as handle:
        handle.seek(TEN_GIB - 4)
        handle.write(b'END\n')
    host = Host(str(root))
    started = time.monotonic()
    data, size, problem = host.read_bytes('/var/log/huge', max_bytes=1024, tail=True)
    assert (data[-4:], len(data), size, problem) == (b'END\n', 1024, TEN_GIB, None)
    data, size, problem = host.read_bytes('/var/log/huge', max_bytes=1024)
    assert (data, size) == (b'\x00' * 1024, TEN_GIB)
    assert time.monotonic() - started < 2


def test_offline_links_resolve_inside_the_root(tmp_path):
    outside = write_tree(tmp_path / 'outside', {'secret': 'outside the disk', 'dir/file': 'outside'})
    root = tmp_path / 'root'
    write_tree(root, {
        'usr/lib/os-release': 'ID=debian\n',
        'etc/os-release': ('symlink', '../usr/lib/os-release'),
        'etc/absolute': ('symlink', '/usr/lib/os-release'),  # the disk's own /usr, not this machine's
        'etc/climb': ('symlink', '../../../../../../../usr/lib/os-release'),  # .. stops at the root
        'etc/escape': ('symlink', os.path.join(outside, 'secret')),
        'etc/escape-dir': ('symlink', os.path.join(outside, 'dir')),
        'etc/relative-escape': ('symlink', '../../outside/secret'),
        'etc/loop': ('symlink', 'loop'),
        'lib': ('symlink', 'usr/lib'),
    })
    host = Host(str(root))
    assert host.offline
    for path in ('/etc/os-release', '/etc/absolute', '/etc/climb', '/lib/os-release', '/lib/../lib/os-release'):
        assert host.read_text(path)[0] == 'ID=debian\n', path
    assert host.read_text('/etc/escape') == (None, None, None)  # <root>/<outside>/secret does not exist
    assert host.read_text('/etc/relative-escape') == (None, None, None)
    assert host.listdir('/etc/escape-dir') == ([], None)
    assert not host.isdir('/etc/escape-dir') and not host.isfile('/etc/escape')
    assert host.exists('/etc/escape') and host.readlink('/etc/escape') == os.path.join(outside, 'secret')
    assert 'Too many levels of symbolic links' in host.read_text('/etc/loop')[2]
    # Live, the system's own links are followed wherever they go.
    live = make_host(tmp_path / 'live', {'etc/escape': ('symlink', os.path.join(outside, 'secret'))})
    assert live.read_text('/etc/escape')[0] == 'outside the disk'


def test_offline_gathering_of_a_hostile_disk_finishes_and_names_file_types(tmp_path):
    """FIFOs, sockets, devices, a 10 GiB log and links out of the root on a mounted disk."""
    outside = write_tree(tmp_path / 'outside', {
        'netplan.yaml': 'network:\n  ethernets:\n    eth0:\n      addresses: [10.9.9.9/24]\n',
        'status/1.status': '[{"status": {"status": "error", "operation": "Enable"}}]',
        'interfaces': 'iface eth9 inet static\n    address 10.9.9.9/24\n'})
    root = tmp_path / 'root'
    write_tree(root, {
        'etc/os-release': 'ID=debian\nVERSION_ID=12\n',
        'usr/share/interfaces': 'auto eth0\niface eth0 inet dhcp\n',
        'etc/network/interfaces': ('symlink', '/usr/share/interfaces'),  # absolute: inside the disk
        'etc/network/interfaces.d/outside': ('symlink', os.path.join(outside, 'interfaces')),
        'etc/netplan/50-cloud-init.yaml': ('symlink', '../../../outside/netplan.yaml'),
        HANDLER: ('symlink', outside),
        'var/log/': ('dir', None),
        'var/lib/dpkg/': ('dir', None),
        'lib/systemd/system/walinuxagent.service': '[Service]\nRestart=always\n',
        'etc/systemd/system/walinuxagent.service.d/': ('dir', None),
    })
    os.mkfifo(str(root / 'etc' / 'waagent.conf'))
    os.mkfifo(str(root / 'etc' / 'systemd' / 'system' / 'walinuxagent.service.d' / 'override.conf'))
    server = unix_socket(root / 'etc' / 'netplan' / '60-socket.yaml')
    device = character_device(root / 'var' / 'lib' / 'dpkg' / 'status')
    sparse(root / 'var' / 'log' / 'waagent.log', TEN_GIB)
    try:
        facts = in_a_thread(lambda: gather.gather_facts(options={'root': str(root), 'gather': ['all']}), 20)
    finally:
        server.close()
        release(root / 'etc' / 'waagent.conf')
        release(root / 'etc' / 'systemd' / 'system' / 'walinuxagent.service.d' / 'override.conf')
    assert facts is not None, 'the offline gathering hung'
    agent = facts['agent']
    assert agent['config']['result'] == 'error'
    assert agent['config']['message'] == '/etc/waagent.conf: is a FIFO, not a regular file'
    assert agent['service']['restart'] == 'always'  # the FIFO drop-in was refused, the unit file read
    if device:
        assert agent['package']['message'] == '/var/lib/dpkg/status: is a character device, not a regular file'
    assert agent['log']['size'] == TEN_GIB and agent['log']['tail_bytes'] == 256 * 1024
    assert facts['extension']['handlers']['items'] == []  # the handler link leads out of the disk
    sources = [(item['file'], item['interface'], item['method']) for item in facts['dhcp']['sources']]
    assert sources == [('/etc/network/interfaces', 'eth0', 'dhcp')]
    assert facts['dhcp']['errors'] == [{'file': '/etc/netplan/60-socket.yaml',
                                        'message': '/etc/netplan/60-socket.yaml: is a socket, not a regular file'}]
    assert '10.9.9.9' not in str(facts)
    findings = evaluator.evaluate(facts, {'assume_azure': True})
    assert any(finding['status'] == 'error' and 'is a FIFO' in finding['summary'] for finding in findings)
