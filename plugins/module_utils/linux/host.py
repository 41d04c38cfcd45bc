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
import subprocess
import threading
import time

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults

__metaclass__ = type

# Command output beyond this is cut: nothing we parse is anywhere near it.
MAX_OUTPUT_BYTES = 256 * 1024
# A configuration or status file bigger than this is not one we understand.
MAX_FILE_BYTES = 1024 * 1024
DEFAULT_COMMAND_TIMEOUT = defaults.COMMAND_TIMEOUT_SECONDS
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


def utc_iso(epoch):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


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

    def path(self, absolute):
        """``absolute`` (a path on the analysed system) as a path on this machine."""
        return os.path.join(self.root, absolute.lstrip('/'))

    def run(self, argv, timeout=None):
        try:
            return self.runner(list(argv), timeout or self.command_timeout)
        except Exception as exc:  # a runner must never take the gathering down
            return CommandResult(argv, error='could not run: %s' % exc)

    # -- files --------------------------------------------------------------------------------
    def read_bytes(self, absolute, max_bytes=MAX_FILE_BYTES, tail=False, real=False):
        """(data, size, error): at most ``max_bytes`` of the file, its end when ``tail``.

        ``absolute`` is a path of the analysed system (joined to root) unless ``real``.
        A missing file gives (None, None, None); any other problem (None, size, 'text').
        """
        path = absolute if real else self.path(absolute)
        try:
            with open(path, 'rb') as handle:
                size = os.fstat(handle.fileno()).st_size
                if tail and size > max_bytes:
                    handle.seek(size - max_bytes)
                return handle.read(max_bytes), size, None
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
        path = absolute if real else self.path(absolute)
        try:
            return sorted(os.listdir(path)), None
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return [], None
            return [], '%s: %s' % (absolute, os_error_text(exc))

    def isdir(self, absolute):
        return os.path.isdir(self.path(absolute))

    def exists(self, absolute):
        return os.path.lexists(self.path(absolute))

    def readlink(self, absolute):
        try:
            return os.readlink(self.path(absolute))
        except OSError:
            return None


def ok(**data):
    """An observation that worked."""
    data['result'] = 'ok'
    return data


def skip(message, **data):
    data.update(result='skip', message=message)
    return data


def error(message, **data):
    data.update(result='error', message=message)
    return data


OFFLINE_MESSAGE = 'offline mode (root is not /): the analysed system is not running'
