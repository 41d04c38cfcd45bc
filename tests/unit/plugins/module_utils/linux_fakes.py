# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test doubles for the Linux gatherers: a fixture root tree, a fake /proc and /sys, recorded commands."""
from __future__ import absolute_import, division, print_function

import os

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import (
    CommandResult, Host)

__metaclass__ = type

HOSTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, 'fixtures', 'hosts')
DEBIAN12 = os.path.join(HOSTS, 'debian12')


def recorded(name):
    """A file recorded from a lab guest (Debian 12, waagent 2.7.3.0), see fixtures/hosts/README.md."""
    with open(os.path.join(DEBIAN12, name)) as handle:
        return handle.read()


def write_tree(base, files):
    """Create ``files`` ({'etc/waagent.conf': text or bytes, 'a/link': ('symlink', target)}) under base."""
    os.makedirs(str(base), exist_ok=True)
    for relative, content in files.items():
        path = os.path.join(str(base), relative.lstrip('/'))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, tuple) and content[0] == 'symlink':
            os.symlink(content[1], path)
        elif isinstance(content, tuple) and content[0] == 'dir':
            os.makedirs(path, exist_ok=True)
        else:
            with open(path, 'wb') as handle:
                handle.write(content.encode('utf-8') if isinstance(content, str) else content)
    return str(base)


class FakeRunner:
    """Answers commands from a table {argv tuple (or its first word): CommandResult or text}.

    A command not in the table is 'command not found', which is what a host without the tool says.
    """

    def __init__(self, table=None):
        self.table = dict(table or {})
        self.calls = []

    def __call__(self, argv, timeout):
        self.calls.append((tuple(argv), timeout))
        answer = self.table.get(tuple(argv), self.table.get(argv[0]))
        if answer is None:
            return CommandResult(argv, error='command not found: %s' % argv[0])
        if isinstance(answer, str):
            return CommandResult(argv, rc=0, stdout=answer)
        if callable(answer):
            return answer(argv)
        return CommandResult(argv, rc=answer.rc, stdout=answer.stdout, stderr=answer.stderr,
                             error=answer.error)


def failed(rc, stderr='', stdout=''):
    return CommandResult([], rc=rc, stdout=stdout, stderr=stderr)


def make_host(tmp_path, files=None, commands=None, proc=None, sys=None, offline=False, **kwargs):
    """A Host on a fixture tree. Online hosts read files under tmp_path/root too (root='/'
    is emulated by pointing path() there), so nothing of the real machine leaks into a test."""
    root = write_tree(tmp_path / 'root', files or {})
    proc_root = write_tree(tmp_path / 'proc', proc or {})
    sys_root = write_tree(tmp_path / 'sys', sys or {})
    host = Host(root=root, runner=FakeRunner(commands), proc_root=proc_root, sys_root=sys_root,
                clock=kwargs.pop('clock', lambda: 1763780000.0), **kwargs)
    host.offline = offline
    return host


def cmdline(*args):
    return '\x00'.join(args) + '\x00'
