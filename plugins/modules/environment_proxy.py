#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set or remove the system-wide HTTP proxy variables of /etc/environment."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: environment_proxy
short_description: Set or remove http_proxy, https_proxy and no_proxy in /etc/environment
version_added: 0.1.0
description:
  - Writes C(http_proxy) and C(https_proxy) (lower case, the spelling the agent and most tools read) into
    the system-wide environment file, and makes sure C(no_proxy) lists the addresses that must never go
    through a proxy (the Azure wireserver and instance metadata service).
  - Refuses a proxy URL with a user name or password - Azure Backup does not support authenticated proxies.
  - With O(state=absent) removes every spelling of C(http_proxy) and C(https_proxy) (any case, with or
    without C(export)); C(no_proxy) stays, it is harmless without a proxy.
  - Other lines of the file are left as they are.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  path:
    description: The environment file (pam_env syntax).
    type: path
    default: /etc/environment
  state:
    description: Whether the proxy variables should be set or absent.
    type: str
    choices: [present, absent]
    default: present
  proxy:
    description:
      - The proxy URL, C(http://host:port) (C(host:port) means C(http://)). Required with O(state=present).
      - Must not hold credentials. Not logged, since a refused URL may hold a password.
    type: str
  no_proxy:
    description:
      - Hosts or addresses that must be in C(no_proxy) when a proxy is set. Entries already there are kept.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Validates the proxy and reports the change without writing; use it to check variables first.
  diff_mode:
    support: full
    description: Returns the file before and after.
  platform:
    support: full
    platforms: posix
    description: POSIX hosts.
'''

EXAMPLES = r'''
- name: Route the agent's HTTP traffic through a proxy, never the wireserver's
  azure_backup.snapshot_doctor.environment_proxy:
    proxy: http://proxy.example.com:3128
    no_proxy: [168.63.129.16, 169.254.169.254]

- name: Remove the proxy
  azure_backup.snapshot_doctor.environment_proxy:
    state: absent
'''

RETURN = r'''
proxy:
  description: The parsed proxy (scheme, host, port); V(null) with O(state=absent).
  returned: always
  type: dict
  sample: {"scheme": "http", "host": "10.0.0.5", "port": 3128}
variables:
  description: The proxy variables the file sets after the run, as C(parse_environment) reads them.
  returned: always
  type: dict
  sample: {"http_proxy": "http://10.0.0.5:3128", "https_proxy": "http://10.0.0.5:3128", "no_proxy": "168.63.129.16"}
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import files
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import parsers

_LINE_RE = re.compile(r'^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=(?P<value>.*)$')
PROXY_NAMES = ('http_proxy', 'https_proxy')


def line_name(line):
    """The lower-case variable name a line sets, or None."""
    if line.strip().startswith('#'):
        return None
    match = _LINE_RE.match(line)
    return match.group('name').lower() if match else None


def line_value(line):
    value = _LINE_RE.match(line).group('value').strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
        value = value[1:-1]
    return value


def check_proxy(url):
    """The parsed proxy, or raise ValueError with a message for the user."""
    parsed = parsers.parse_proxy_url(url)
    if parsed is None:
        raise ValueError('%r is not a usable proxy URL; write it as http://host:port' % url)
    if parsed['has_credentials']:
        raise ValueError('the proxy URL holds a user name or password: Azure Backup does not support '
                         'authenticated proxies; use a proxy that allows the VM without authentication')
    if parsed['scheme'] != 'http':
        raise ValueError('the proxy scheme %r is not supported: the agent speaks plain HTTP to its proxy '
                         '(http://host:port)' % parsed['scheme'])
    return {'scheme': parsed['scheme'], 'host': parsed['host'], 'port': parsed['port']}


def proxy_url(proxy):
    host = proxy['host']
    if ':' in host:  # IPv6 literal
        host = '[%s]' % host
    return 'http://%s:%d' % (host, proxy['port'])


def edit(lines, proxy, no_proxy):
    """New lines for ``proxy`` (dict or None to remove) and the ``no_proxy`` entries to ensure."""
    new_lines = []
    first = {}
    for line in lines:
        name = line_name(line)
        if name in PROXY_NAMES or (proxy is not None and name == 'no_proxy'):
            first.setdefault(name, len(new_lines))
            if name == 'no_proxy':
                first.setdefault('no_proxy_value', line_value(line))
            continue  # every spelling goes; one lower-case line comes back below
        new_lines.append(line)
    if proxy is None:
        return new_lines
    url = proxy_url(proxy)
    entries = [entry.strip() for entry in first.get('no_proxy_value', '').split(',') if entry.strip()]
    for entry in no_proxy:
        if entry not in entries:
            entries.append(entry)
    wanted = [('http_proxy', url), ('https_proxy', url)]
    if entries:
        wanted.append(('no_proxy', ','.join(entries)))
    # Put the variables back where the first of them was, else at the end.
    where = min([first[name] for name in ('http_proxy', 'https_proxy', 'no_proxy') if name in first]
                or [len(new_lines)])
    return new_lines[:where] + ['%s=%s' % pair for pair in wanted] + new_lines[where:]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/environment'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            proxy=dict(type='str', no_log=True),  # a refused URL may hold a password
            no_proxy=dict(type='list', elements='str', default=[]),
        ),
        required_if=[('state', 'present', ['proxy'])],
        supports_check_mode=True,
    )
    path = module.params['path']
    proxy = None
    if module.params['state'] == 'present':
        try:
            proxy = check_proxy(module.params['proxy'])
        except ValueError as exc:
            module.fail_json(msg='Invalid proxy: %s' % to_native(exc))
    for entry in module.params['no_proxy']:
        if not entry or any(char.isspace() or char == ',' for char in entry):
            module.fail_json(msg='Invalid no_proxy entry %r: one host or address, without spaces or commas' % entry)

    text = ''
    if os.path.exists(path):
        try:
            with open(path, 'rb') as handle:
                text = to_text(handle.read(), errors='surrogate_or_strict')
        except (IOError, OSError) as exc:
            module.fail_json(msg='Cannot read %s: %s' % (path, to_native(exc)))
    lines = text.splitlines()
    new_lines = edit(lines, proxy, module.params['no_proxy'])
    new_text = '\n'.join(new_lines) + ('\n' if new_lines else '')
    changed = new_text != text and new_lines != lines
    result = dict(changed=changed, proxy=proxy,
                  variables=parsers.parse_environment(new_text if changed else text)['values'])
    if module._diff:
        result['diff'] = dict(before=text, after=new_text if changed else text,
                              before_header=path, after_header=path)
    if changed and not module.check_mode:
        files.atomic_write(module, path, new_text, mode=0o644)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
