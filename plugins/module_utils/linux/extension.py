# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMSnapshotLinux extension facts: handler directories on disk and their newest status file."""
from __future__ import absolute_import, division, print_function

import calendar
import re
import time

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import (
    error, ok)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import (
    parse_extension_status)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.redact import redact
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.version import parse_version

__metaclass__ = type

STATUS_FILE_RE = re.compile(r'^(?P<sequence>[0-9]+)\.status$')
MAX_STATUS_BYTES = 256 * 1024
MAX_MESSAGE_CHARS = 2000


def parse_utc(text):
    """Epoch seconds of an ISO 8601 UTC timestamp as the extension writes it, or None."""
    if not isinstance(text, str):
        return None
    match = re.match(r'^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(\.\d+)?Z?$', text.strip())
    if not match:
        return None
    fields = [int(part) for part in match.groups()[:6]]
    try:
        return calendar.timegm(time.struct_time(fields + [0, 1, 0])) + float(match.group(7) or 0)
    except (OverflowError, ValueError):
        return None


def gather_status(host, handler_path):
    """The newest (highest sequence number) status file of one handler directory."""
    directory = handler_path + '/status'
    names, problem = host.listdir(directory)
    if problem:
        return error(problem)
    numbered = [(int(match.group('sequence')), name) for name, match in
                ((name, STATUS_FILE_RE.match(name)) for name in names) if match]
    if not numbered:
        return ok(file=None)
    sequence, name = max(numbered)
    path = directory + '/' + name
    data, size, problem = host.read_bytes(path, max_bytes=MAX_STATUS_BYTES + 1)
    if problem:
        return error(problem, file=path, sequence=sequence)
    if data is None:
        return error('%s: vanished while reading' % path, file=path, sequence=sequence)
    if size > MAX_STATUS_BYTES:
        return error('%s: larger than %d bytes, not a status file' % (path, MAX_STATUS_BYTES),
                     file=path, sequence=sequence)
    info = host.stat(path)
    mtime = info.st_mtime if info is not None else None
    parsed = parse_extension_status(data)
    if parsed['status'] is None:
        return error('%s: %s' % (path, '; '.join(parsed['warnings']) or 'no status'),
                     file=path, sequence=sequence, mtime=mtime)
    stamp = parse_utc(parsed['timestamp'])
    reference = stamp if stamp is not None else mtime
    message = parsed['message']
    if isinstance(message, str):
        message = redact(message[:MAX_MESSAGE_CHARS])[0]
    return ok(file=path, sequence=sequence, mtime=mtime, timestamp_utc=parsed['timestamp'],
              age_seconds=round(host.started - reference, 1) if reference is not None else None,
              status=parsed['status'], operation=parsed['operation'], code=parsed['code'],
              message=message, name=parsed['name'], warnings=parsed['warnings'])


def gather_extension(host, platform=None, options=None):
    lib = defaults.WAAGENT_LIB_DIR
    prefix = defaults.LINUX_EXTENSION_HANDLER_PREFIX
    names, problem = host.listdir(lib)
    if problem:
        return ok(lib_dir=lib, handlers=error(problem), newest_version=None)
    items = []
    for name in names:
        if not name.startswith(prefix) or not host.isdir(lib + '/' + name):
            continue
        version = name[len(prefix):]
        path = lib + '/' + name
        items.append({'version': version, 'path': path, 'status': gather_status(host, path)})
    # Unparsable versions sort first so that the newest real version is last.
    items.sort(key=lambda item: (parse_version(item['version']) is not None,
                                 parse_version(item['version']) or ()))
    return ok(lib_dir=lib, handlers=ok(items=items),
              newest_version=items[-1]['version'] if items else None)
