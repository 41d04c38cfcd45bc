# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Platform facts: distribution (os-release), DMI identity, kernel. Raw observations only."""
from __future__ import absolute_import, division, print_function

import os
import platform as _platform
import shlex

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.identity import azure_by_dmi
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import (
    OFFLINE_MESSAGE, error, ok, skip)

__metaclass__ = type

OS_RELEASE_PATHS = ('/etc/os-release', '/usr/lib/os-release')
_FAMILIES = (
    ('debian', ('debian', 'ubuntu')),
    ('redhat', ('rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'ol', 'mariner', 'azurelinux')),
    ('suse', ('suse', 'sles', 'opensuse', 'opensuse-leap')),
)


def parse_os_release(text):
    """KEY=value lines (shell quoting) -> dict; unparsable lines are ignored like systemd does."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        try:
            parts = shlex.split(value)
        except ValueError:
            continue
        values[key.strip()] = parts[0] if parts else ''
    return values


def os_family(distribution, id_like):
    """'debian', 'redhat', 'suse' or None: the distribution first, then ID_LIKE in order."""
    for name in [distribution] + list(id_like):
        for family, members in _FAMILIES:
            if name and (name in members or (family == 'suse' and name.startswith('opensuse'))):
                return family
    return None


def gather_os_release(host):
    for path in OS_RELEASE_PATHS:
        text, _size, problem = host.read_text(path, max_bytes=64 * 1024)
        if problem:
            return error(problem, path=path)
        if text is None:
            continue
        values = parse_os_release(text)
        return ok(path=path, id=(values.get('ID') or '').lower() or None,
                  id_like=(values.get('ID_LIKE') or '').lower().split(),
                  version_id=values.get('VERSION_ID'), pretty_name=values.get('PRETTY_NAME'))
    return error('no os-release file (%s)' % ', '.join(OS_RELEASE_PATHS))


def gather_dmi(host):
    if host.offline:
        return skip(OFFLINE_MESSAGE)
    values = {}
    problems = {}
    for key, path in sorted(defaults.DMI_PATHS.items()):
        real = os.path.join(host.sys_root, os.path.relpath(path, '/sys'))
        text, _size, problem = host.read_text(real, max_bytes=4096, real=True)
        if problem:
            problems[key] = problem
        elif text is None:
            problems[key] = '%s: not present (no DMI tables)' % path
        values[key] = text.strip() if text is not None else None
    if len(problems) == len(defaults.DMI_PATHS):
        return error('DMI identity unreadable: %s' % '; '.join(problems[key] for key in sorted(problems)),
                     errors=problems, **values)
    return ok(errors=problems, **values)


def gather_platform(host, options=None):
    os_release = gather_os_release(host)
    distribution = os_release.get('id') if os_release['result'] == 'ok' else None
    id_like = (os_release.get('id_like') or []) if os_release['result'] == 'ok' else []
    dmi = gather_dmi(host)
    return ok(
        os_release=os_release,
        distribution=distribution,
        distribution_version=os_release.get('version_id'),
        os_family=os_family(distribution, id_like),
        dmi=dmi,
        azure_dmi=azure_by_dmi(dmi),
        kernel=None if host.offline else _platform.release(),
        python=_platform.python_version(),
    )
