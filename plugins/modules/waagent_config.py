#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set or remove keys of /etc/waagent.conf, keeping everything else of the file as it is."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: waagent_config
short_description: Set or remove keys in the Azure Linux agent configuration file
version_added: 0.1.0
description:
  - Sets keys of C(/etc/waagent.conf) (for example C(Extensions.Enabled), C(AutoUpdate.Enabled),
    C(Logs.Verbose), C(HttpProxy.Host)) to the given values, or removes them, and leaves every other line
    of the file untouched (comments, order, unknown keys).
  - A key is read the way the agent reads it - a line that does not start with C(#) and holds C(=); the
    text before the first C(=) is the key; a C(#) after the value starts a comment. Where a key appears
    several times (the agent keeps the last), every occurrence with another value is rewritten so that the
    file is unambiguous; lines that already hold the value keep their spelling.
  - A missing key is added after its commented-out example line when there is one, else at the end.
  - The file is replaced atomically and keeps its owner and mode. The module does not restart the agent;
    notify a handler when it reports a change.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  path:
    description: The agent configuration file.
    type: path
    default: /etc/waagent.conf
  settings:
    description:
      - Keys and the values they must have. A value of V(null) removes the key (the agent then uses its
        built-in default, which for C(HttpProxy.Host) and C(HttpProxy.Port) means no proxy).
      - Booleans are written as C(y) or C(n), the agent's own spelling.
      - Keys are letters, digits, C(.) and C(_); values may not hold a newline or C(#).
    type: dict
    required: true
  backup:
    description: Keep a time-stamped copy of the file before changing it.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reports the change and its diff without writing the file.
  diff_mode:
    support: full
    description: Returns the file before and after.
  platform:
    support: full
    platforms: posix
    description: POSIX hosts.
notes:
  - The file must exist; a missing file means the agent is not installed, and the module fails with a
    message saying so rather than creating a configuration the package does not own.
'''

EXAMPLES = r'''
- name: Let the agent process extensions and log verbosely
  azure_backup.snapshot_doctor.waagent_config:
    settings:
      Extensions.Enabled: true
      Logs.Verbose: true
  notify: Restart the Azure Linux agent

- name: Remove the agent's proxy
  azure_backup.snapshot_doctor.waagent_config:
    settings:
      HttpProxy.Host: null
      HttpProxy.Port: null
'''

RETURN = r'''
changes:
  description: One entry per key whose lines changed.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "Extensions.Enabled", "before": "n", "after": "y"}]
values:
  description: The value each requested key has after the run, as the agent reads it (V(null) when absent).
  returned: always
  type: dict
  sample: {"Extensions.Enabled": "y", "HttpProxy.Host": null}
backup_file:
  description: The copy made before the change.
  returned: when O(backup=true) and the file changed
  type: str
  sample: /etc/waagent.conf.12345.2026-11-22@04:00:00~
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import files
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import parsers

KEY_RE = re.compile(r'^[A-Za-z0-9_.]+$')


def line_key(line):
    """The key an agent-read line sets, or None (comments, blank and garbage lines).

    Mirrors the agent's loader (and parsers.parse_waagent_conf): lines starting with '#' are
    comments, the key is the text before the first '=' (stripped).
    """
    stripped = line.strip()
    if not stripped or stripped.startswith('#') or '=' not in line:
        return None
    return line.split('=', 1)[0].strip() or None


def line_value(line):
    """The value of a key line as the agent reads it: inline comment cut, quotes and blanks stripped."""
    value = line.split('=', 1)[1].split('#')[0].strip('" ').strip()
    return None if value == 'None' else value


def commented_key(line):
    """The key of a commented-out example line such as '#HttpProxy.Host=None' or '# Logs.Verbose=n'."""
    stripped = line.lstrip('#').strip()
    if not line.startswith('#') or '=' not in stripped:
        return None
    key = stripped.split('=', 1)[0].strip()
    return key if KEY_RE.match(key) else None


def normalize_value(key, value):
    """The text written for a value, or raise ValueError with a message naming the key."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 'y' if value else 'n'
    if isinstance(value, (dict, list)):
        raise ValueError('%s: the value must be a string, a number or a boolean, not %s'
                         % (key, type(value).__name__))
    text = to_text(value).strip()
    if not text or '\n' in text or '\r' in text or '#' in text:
        raise ValueError('%s: the value %r is empty or holds a newline or "#"' % (key, value))
    return text


def apply_settings(lines, settings):
    """Return (new_lines, changes) for ``lines`` (without line ends) and the desired settings.

    ``settings`` maps key -> text or None (remove). Pure function so that it is tested directly.
    """
    new_lines = list(lines)
    changes = []
    for key, wanted in settings.items():
        positions = [i for i, line in enumerate(new_lines) if line_key(line) == key]
        before = line_value(new_lines[positions[-1]]) if positions else None
        if wanted is None:
            if not positions:
                continue
            for index in reversed(positions):
                del new_lines[index]
            changes.append({'key': key, 'before': before, 'after': None})
            continue
        desired_line = '%s=%s' % (key, wanted)
        if positions:
            # Lines that already read as the wanted value keep their spelling (spaces, comments).
            stale = [i for i in positions if line_value(new_lines[i]) != wanted]
            if not stale:
                continue
            for index in stale:
                new_lines[index] = desired_line
        else:
            examples = [i for i, line in enumerate(new_lines) if commented_key(line) == key]
            if examples:
                new_lines.insert(examples[-1] + 1, desired_line)
            else:
                new_lines.append(desired_line)
        changes.append({'key': key, 'before': before, 'after': wanted})
    return new_lines, changes


def effective_values(text, keys):
    """The values of ``keys`` as the agent reads them (the core parser), None when absent."""
    values = parsers.parse_waagent_conf(text)['values']
    return dict((key, values.get(key)) for key in keys)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/waagent.conf'),
            settings=dict(type='dict', required=True),
            backup=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    settings = {}
    for key, value in (module.params['settings'] or {}).items():
        if not KEY_RE.match(key):
            module.fail_json(msg='Invalid waagent.conf key %r: keys are letters, digits, "." and "_"' % key)
        try:
            settings[key] = normalize_value(key, value)
        except ValueError as exc:
            module.fail_json(msg='Invalid waagent.conf setting %s' % to_native(exc))
    if not settings:
        module.fail_json(msg='settings is empty: name at least one key to set or remove')

    if not os.path.isfile(path):
        module.fail_json(msg='%s does not exist: is the Azure Linux agent installed?' % path)
    try:
        with open(path, 'rb') as handle:
            raw = handle.read()
    except (IOError, OSError) as exc:
        module.fail_json(msg='Cannot read %s: %s' % (path, to_native(exc)))
    text = to_text(raw, errors='surrogate_or_strict')
    newline = '\r\n' if '\r\n' in text else '\n'
    lines = text.splitlines()

    new_lines, changes = apply_settings(lines, settings)
    new_text = newline.join(new_lines) + (newline if new_lines else '')
    changed = new_text != text
    result = dict(changed=changed, changes=changes if changed else [],
                  values=effective_values(new_text, settings))
    if module._diff:
        result['diff'] = dict(before=text, after=new_text, before_header=path, after_header=path)
    if changed and not module.check_mode:
        if module.params['backup']:
            result['backup_file'] = module.backup_local(path)
        # Keeps the destination's owner, mode and SELinux context.
        files.atomic_write(module, path, new_text, mode=0o600)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
