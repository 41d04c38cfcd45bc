# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing files on the managed host: a new file with a tight mode, or an atomic replacement.

Unlike the pure-Python knowledge modules beside it, this one runs inside a module and uses
ansible.module_utils (text conversion, AnsibleModule.atomic_move).
"""
from __future__ import absolute_import, division, print_function

import os

from ansible.module_utils.common.text.converters import to_bytes, to_native

__metaclass__ = type


def temp_path_beside(path):
    """The temporary file a replacement of ``path`` is written to: same directory, so the final
    rename stays on one file system."""
    path = os.path.abspath(path)
    return os.path.join(os.path.dirname(path), '.%s.snapshot-doctor.tmp' % os.path.basename(path))


def write_file(path, data, mode=0o600):
    """Create or truncate ``path`` and write ``data`` (text or bytes) to it (raises OSError).

    ``mode`` applies when the file is created.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'wb') as handle:
        handle.write(to_bytes(data, errors='surrogate_or_strict'))


def atomic_write(module, path, data, mode=0o600):
    """Replace ``path`` with ``data`` atomically, or end the module with fail_json.

    The data goes to a temporary file beside ``path`` (created with ``mode``, so nobody else reads
    it half-written), which module.atomic_move renames over ``path``. atomic_move keeps an existing
    file's owner, mode and SELinux context, and gives a new file the umask's default mode.
    """
    tmp_path = temp_path_beside(path)
    try:
        write_file(tmp_path, data, mode)
    except (IOError, OSError) as exc:
        module.fail_json(msg='Cannot write %s: %s' % (tmp_path, to_native(exc)))
    module.atomic_move(tmp_path, path)
