#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather the agent's and the backup extension's files into one redacted archive on the host."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: collect_logs
short_description: Collect the Azure agent and backup extension logs into one redacted archive
version_added: 0.1.0
description:
  - Gathers what Microsoft support asks for when an Azure Backup snapshot times out - the agent's goal-state
    XML files under C(/var/lib/waagent), C(/var/log/waagent.log*), C(/var/log/azure/**), the extensions'
    status, settings and handler files, C(/etc/waagent.conf) and C(/etc/azure/vmbackup.conf) - into one
    C(.tar.gz) archive with a C(MANIFEST.json).
  - Every file is redacted on the host before it is archived (SAS signatures such as C(sig=), also written
    C(&amp;sig=) in the XML files; proxy and URL passwords; authorization headers; protected settings).
    Files that cannot be redacted safely (binary files, such as the agent's C(history/*.zip)) are left out
    and listed in the manifest.
  - Size caps like the agent's own log collector - each file at most O(max_file_size) (the newest part, the
    end of the file, is kept) and the archive's content at most O(max_total_size).
  - The archive is written mode 0600 into a new private directory (mode 0700) and is the same bytes for the
    same files, so that a repeated collection of unchanged files is recognisable.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  paths:
    description:
      - Glob patterns of the files to collect (C(**) matches directories recursively). The default is the
        list above; see RV(paths).
    type: list
    elements: str
  extra_paths:
    description: More glob patterns, added to O(paths).
    type: list
    elements: str
    default: []
  max_file_size:
    description: Bytes kept of one file (its end); the agent's collector uses 30 MiB.
    type: int
    default: 31457280
  max_total_size:
    description: Bytes of file content in the archive at most; the agent's collector uses 150 MiB.
    type: int
    default: 157286400
  archive_name:
    description: The name of the archive inside its private directory.
    type: str
    default: snapshot-doctor-logs.tar.gz
attributes:
  check_mode:
    support: full
    description: Lists the files that would be collected and writes nothing.
  diff_mode:
    support: none
    description: Returns no diff.
  platform:
    support: full
    platforms: posix
    description: POSIX hosts.
notes:
  - The caller fetches RV(archive) and removes RV(directory) (the role C(collect_logs) does both).
'''

EXAMPLES = r'''
- name: Collect and redact the agent's logs
  azure_backup.snapshot_doctor.collect_logs:
  register: collected

- name: Bring the archive to the controller
  ansible.builtin.fetch:
    src: "{{ collected.archive }}"
    dest: "logs/{{ inventory_hostname }}.tar.gz"
    flat: true
'''

RETURN = r'''
archive:
  description: The archive on the host (not returned in check mode).
  returned: success and not check mode
  type: str
  sample: /tmp/snapshot-doctor-abcd1234/snapshot-doctor-logs.tar.gz
directory:
  description: The private directory holding the archive; remove it after fetching.
  returned: success and not check mode
  type: str
files:
  description: The manifest - one entry per file found, with what happened to it.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/var/lib/waagent/GoalState.1.xml", "size": 2048, "stored": 2048, "truncated": false, "redactions": 3}]
redactions:
  description: Secrets replaced in all files together.
  returned: always
  type: int
paths:
  description: The glob patterns used.
  returned: always
  type: list
  elements: str
'''

import glob
import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults, redact

BINARY_SNIFF_BYTES = 8192
MANIFEST_NAME = 'MANIFEST.json'


def default_paths():
    """What `waagent -collect-logs` gathers that matters for the snapshot timeout."""
    lib = defaults.WAAGENT_LIB_DIR
    return [
        defaults.WAAGENT_CONF,
        defaults.WAAGENT_LOG + '*',
        defaults.EXTENSION_LOG_ROOT + '/**',
        lib + '/*.xml',
        lib + '/waagent_status.json',
        lib + '/*/status/*.status',
        lib + '/*/config/*.settings',
        lib + '/*/config/HandlerState',
        lib + '/*/config/HandlerStatus',
        lib + '/*/HandlerEnvironment.json',
        lib + '/*/HandlerManifest.json',
        defaults.VMBACKUP_CONF,
    ]


def expand(patterns):
    """Regular files matched by ``patterns``, in pattern order, each once; symlinks are not followed."""
    seen = set()
    found = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if path in seen or os.path.islink(path) or not os.path.isfile(path):
                continue
            seen.add(path)
            found.append(path)
    return found


def read_capped(path, limit):
    """(bytes, size, truncated): the whole file, or its last ``limit`` bytes."""
    size = os.path.getsize(path)
    with open(path, 'rb') as handle:
        if size > limit:
            handle.seek(size - limit)
            data = handle.read(limit)
            # Drop the cut first line: half a secret has no name left for the redactor to find.
            return data[data.find(b'\n') + 1:], size, True
        return handle.read(), size, False


def looks_binary(data):
    return b'\x00' in data[:BINARY_SNIFF_BYTES]


def collect(paths, max_file_size, max_total_size):
    """[(entry, redacted bytes or None)] for each file: the manifest entry and what to archive."""
    results = []
    total = 0
    for path in expand(paths):
        entry = {'path': path, 'size': None, 'stored': 0, 'truncated': False, 'redactions': 0, 'skipped': None}
        try:
            data, entry['size'], entry['truncated'] = read_capped(path, max_file_size)
        except (IOError, OSError) as exc:
            entry['skipped'] = 'unreadable: %s' % exc.strerror
            results.append((entry, None))
            continue
        if looks_binary(data):
            entry['skipped'] = 'binary file: cannot be redacted, not collected'
            results.append((entry, None))
            continue
        data, entry['redactions'] = redact.redact(data)
        if total + len(data) > max_total_size:
            entry['skipped'] = 'total size cap of %d bytes reached' % max_total_size
            results.append((entry, None))
            continue
        total += len(data)
        entry['stored'] = len(data)
        results.append((entry, data))
    return results


def _tar_member(name, data, mtime):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = 'root'
    return info


def write_archive(archive_path, results):
    """A gzip'd tar of the redacted files and the manifest; deterministic for the same input."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w', format=tarfile.PAX_FORMAT) as tar:
        newest = 0
        for entry, data in results:
            if data is None:
                continue
            mtime = os.path.getmtime(entry['path']) if os.path.exists(entry['path']) else 0
            newest = max(newest, mtime)
            tar.addfile(_tar_member(entry['path'].lstrip('/'), data, mtime), io.BytesIO(data))
        manifest = json.dumps([entry for entry, dummy in results], indent=2, sort_keys=True).encode('utf-8')
        tar.addfile(_tar_member(MANIFEST_NAME, manifest, newest), io.BytesIO(manifest))
    fd = os.open(archive_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'wb') as raw:
        # mtime=0 and no file name in the gzip header: same files, same archive bytes.
        with gzip.GzipFile(filename='', mode='wb', fileobj=raw, mtime=0) as compressed:
            compressed.write(buffer.getvalue())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='list', elements='str'),
            extra_paths=dict(type='list', elements='str', default=[]),
            max_file_size=dict(type='int', default=30 * 1024 * 1024),
            max_total_size=dict(type='int', default=150 * 1024 * 1024),
            archive_name=dict(type='str', default='snapshot-doctor-logs.tar.gz'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params['max_file_size'] < 1 or params['max_total_size'] < 1:
        module.fail_json(msg='max_file_size and max_total_size must be positive')
    name = params['archive_name']
    if not name or '/' in name or name in ('.', '..') or name == MANIFEST_NAME:
        module.fail_json(msg='archive_name must be a plain file name, got %r' % name)
    paths = (params['paths'] if params['paths'] is not None else default_paths()) + params['extra_paths']
    for pattern in paths:
        if not pattern.startswith('/'):
            module.fail_json(msg='paths must be absolute glob patterns, got %r' % pattern)

    results = collect(paths, params['max_file_size'], params['max_total_size'])
    files = [entry for entry, dummy in results]
    summary = dict(files=files, paths=paths, redactions=sum(entry['redactions'] for entry in files))
    if module.check_mode:
        module.exit_json(changed=False, **summary)

    directory = tempfile.mkdtemp(prefix='snapshot-doctor-')  # mode 0700
    archive = os.path.join(directory, name)
    try:
        write_archive(archive, results)
    except (IOError, OSError) as exc:
        shutil.rmtree(directory, ignore_errors=True)
        module.fail_json(msg='Cannot write the archive %s: %s' % (archive, to_native(exc)))
    # A temporary file for the caller to fetch and remove: the host's state does not change.
    module.exit_json(changed=False, archive=archive, directory=directory, **summary)


if __name__ == '__main__':
    main()
