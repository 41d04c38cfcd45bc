# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host a gatherer looks at: a root directory, a command runner, a clock.

Pure Python (no Ansible import). Gatherers never touch the file system or run a command
directly: they go through a Host, so unit tests drive them with a fixture root tree and recorded
command outputs, and offline mode (a broken VM's disk mounted on a rescue VM) is just another root.
"""
from __future__ import absolute_import, division, print_function

import errno
import os
import shutil
import stat
import subprocess
import threading
import time

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.observations import (  # noqa: F401 pylint: disable=unused-import
    error, ok, skip, utc_iso)  # the Linux gatherers import them from here

__metaclass__ = type

# Command output beyond this is cut: nothing we parse is anywhere near it.
MAX_OUTPUT_BYTES = 256 * 1024
# A configuration or status file bigger than this is not one we understand.
MAX_FILE_BYTES = 1024 * 1024
DEFAULT_COMMAND_TIMEOUT = defaults.COMMAND_TIMEOUT_SECONDS
# Symbolic links followed while resolving one path offline: the kernel's own limit (MAXSYMLINKS).
MAX_SYMLINKS = 40
# What a path that is not a regular file is, in error messages.
_FILE_TYPES = ((stat.S_ISDIR, 'a directory'), (stat.S_ISFIFO, 'a FIFO'), (stat.S_ISSOCK, 'a socket'),
               (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'),
               (stat.S_ISLNK, 'a symbolic link'))
# Opening never waits (a FIFO without writer) nor makes the file our controlling terminal.
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
# Where root's commands live on every distribution; the module may run with a reduced PATH.
_SEARCH_PATH = ('/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin')


class CommandResult:
    """What one command did: rc (None when it did not run), stdout, stderr, error (why it did not run)."""

    def __init__(self, argv, rc=None, stdout='', stderr='', error=None):
        self.argv = list(argv)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.error = error

    @property
    def ok(self):
        return self.error is None and self.rc == 0

    @property
    def not_found(self):
        return self.error is not None and self.error.startswith('command not found')

    def describe(self):
        """One line saying why the command did not succeed (for error observations)."""
        command = ' '.join(self.argv)
        if self.error:
            return '%s: %s' % (command, self.error)
        detail = (self.stderr or self.stdout or '').strip().splitlines()
        return '%s exited with %s%s' % (command, self.rc, (': ' + detail[0][:300]) if detail else '')


def _decode(data):
    return data[:MAX_OUTPUT_BYTES].decode('utf-8', 'replace')


def subprocess_runner(argv, timeout=DEFAULT_COMMAND_TIMEOUT):
    """Run ``argv`` (a list, never a shell string) with a time limit; never raises.

    The locale is C so that outputs parse the same everywhere.
    """
    argv = [str(part) for part in argv]
    executable = shutil.which(argv[0], path=os.pathsep.join(
        [os.environ.get('PATH', '')] + list(_SEARCH_PATH)))
    if executable is None:
        return CommandResult(argv, error='command not found: %s' % argv[0])
    env = dict(os.environ, LC_ALL='C', LANG='C')
    try:
        process = subprocess.Popen([executable] + argv[1:], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                   close_fds=True)
    except OSError as exc:
        return CommandResult(argv, error=os_error_text(exc))
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        return CommandResult(argv, rc=None, stdout=_decode(stdout), stderr=_decode(stderr),
                             error='timed out after %g s' % timeout)
    return CommandResult(argv, rc=process.returncode, stdout=_decode(stdout), stderr=_decode(stderr))


def os_error_text(exc):
    """'Permission denied (EACCES)' style text for an OSError."""
    name = errno.errorcode.get(exc.errno, '') if exc.errno else ''
    text = exc.strerror or str(exc)
    return '%s (%s)' % (text, name) if name else text


def file_type(mode):
    """'a FIFO', 'a socket'... for the st_mode of something that is not a regular file."""
    for test, name in _FILE_TYPES:
        if test(mode):
            return name
    return 'not a regular file'


class Host:
    """A root to read files from and a runner to run commands with.

    ``root`` other than '/' is offline mode: commands, /proc, /sys and the network belong to the
    rescue machine, not to the analysed disk, so gatherers must skip them (``offline`` is True).
    ``runner(argv, timeout)`` returns a CommandResult; tests pass a fake.
    """

    def __init__(self, root='/', runner=None, command_timeout=DEFAULT_COMMAND_TIMEOUT,
                 clock=time.time, proc_root='/proc', sys_root='/sys', sleep=time.sleep):
        self.root = os.path.abspath(root or '/')
        self.offline = self.root != '/'
        self.runner = runner or subprocess_runner
        self.command_timeout = command_timeout
        self.clock = clock
        self.proc_root = proc_root
        self.sys_root = sys_root
        self.sleep = sleep
        self.started = clock()
        self._once_lock = threading.Lock()
        self._once = None

    def share_results(self):
        """From now on, ``once`` computes each key once (one gathering: gather_facts calls this)."""
        self._once = {}

    def once(self, key, compute):
        """``compute(self)``, once per gathering even when sections ask for it from two threads.

        The agent and connectivity sections both need the agent's processes and configuration:
        /proc is scanned and waagent.conf read once per run. Callers must not change the result.
        Outside a gathering (a gatherer called on its own) it simply computes.
        """
        if self._once is None:
            return compute(self)
        with self._once_lock:
            entry = self._once.setdefault(key, [threading.Lock(), False, None])
        with entry[0]:
            if not entry[1]:
                entry[2], entry[1] = compute(self), True
        return entry[2]

    def path(self, absolute, follow=True):
        """``absolute`` (a path on the analysed system) as a path on this machine.

        Live, it is simply joined to the root and the kernel follows links as usual. Offline, links
        are resolved here, component by component, inside the root, as the disk's own OS would
        resolve them once booted: an absolute target starts again at the root and ``..`` never
        climbs above it, so no link of the disk leads to the rescue machine's files. ``follow=False``
        leaves the last component as it is (to look at a link itself). Raises OSError (ELOOP)
        for a link loop.
        """
        if not self.offline:
            return os.path.join(self.root, absolute.lstrip('/'))
        pending = [part for part in reversed(absolute.split('/')) if part not in ('', '.')]
        resolved = []
        links = 0
        while pending:
            part = pending.pop()
            if part == '..':
                if resolved:
                    resolved.pop()
                continue
            candidate = os.path.join(self.root, *(resolved + [part]))
            if (pending or follow) and os.path.islink(candidate):
                links += 1
                if links > MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), absolute)
                target = os.readlink(candidate)
                if target.startswith('/'):
                    resolved = []
                pending.extend(part for part in reversed(target.split('/')) if part not in ('', '.'))
                continue
            resolved.append(part)
        return os.path.join(self.root, *resolved)

    def run(self, argv, timeout=None):
        try:
            return self.runner(list(argv), timeout or self.command_timeout)
        except Exception as exc:  # a runner must never take the gathering down
            return CommandResult(argv, error='could not run: %s' % exc)

    # -- files --------------------------------------------------------------------------------
    def read_bytes(self, absolute, max_bytes=MAX_FILE_BYTES, tail=False, real=False):
        """(data, size, error): at most ``max_bytes`` of the file, its end when ``tail``.

        ``absolute`` is a path of the analysed system (see ``path``) unless ``real``.
        A missing file gives (None, None, None); any other problem (None, size, 'text').
        Only regular files are read: a FIFO, socket or device could block forever or act on being
        opened, so its type is checked before it is opened (the error names it) and checked again
        on the open descriptor, in case the file was replaced meanwhile.
        """
        try:
            path = absolute if real else self.path(absolute)
            mode = os.stat(path).st_mode
            if not stat.S_ISREG(mode):
                return None, None, '%s: is %s, not a regular file' % (absolute, file_type(mode))
            # Offline the path holds no link any more: one found now appeared since, and is not followed.
            fd = os.open(path, _READ_FLAGS | (os.O_NOFOLLOW if self.offline and not real else 0))
            with os.fdopen(fd, 'rb') as handle:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode):
                    return None, None, '%s: is %s, not a regular file' % (absolute, file_type(info.st_mode))
                if tail and info.st_size > max_bytes:
                    handle.seek(info.st_size - max_bytes)
                return handle.read(max_bytes), info.st_size, None
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None, None, None
            return None, None, '%s: %s' % (absolute, os_error_text(exc))

    def read_text(self, absolute, max_bytes=MAX_FILE_BYTES, tail=False, real=False):
        """Like read_bytes, decoded as UTF-8 (bad bytes replaced)."""
        data, size, error = self.read_bytes(absolute, max_bytes=max_bytes, tail=tail, real=real)
        if data is None:
            return None, size, error
        return data.decode('utf-8', 'replace'), size, None

    def listdir(self, absolute, real=False):
        """(sorted names, error); a missing directory is ([], None)."""
        try:
            return sorted(os.listdir(absolute if real else self.path(absolute))), None
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return [], None
            return [], '%s: %s' % (absolute, os_error_text(exc))

    def stat(self, absolute):
        """os.stat of a path of the analysed system, or None when it cannot be had."""
        try:
            return os.stat(self.path(absolute))
        except OSError:
            return None

    def isdir(self, absolute):
        info = self.stat(absolute)
        return info is not None and stat.S_ISDIR(info.st_mode)

    def isfile(self, absolute):
        info = self.stat(absolute)
        return info is not None and stat.S_ISREG(info.st_mode)

    def exists(self, absolute):
        """Whether the path exists, a dangling link included (an enablement link is a fact in itself)."""
        try:
            return os.path.lexists(self.path(absolute, follow=False))
        except OSError:
            return False

    def readlink(self, absolute):
        try:
            return os.readlink(self.path(absolute, follow=False))
        except OSError:
            return None


OFFLINE_MESSAGE = 'offline mode (root is not /): the analysed system is not running'
