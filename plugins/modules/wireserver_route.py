#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Give the kernel a usable IPv4 route to the Azure wireserver."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: wireserver_route
short_description: Make sure the kernel has a usable route to the Azure wireserver
version_added: 0.1.0
description:
  - Asks the kernel (C(ip route get)) how it would reach the wireserver. When the answer is an
    C(unreachable), C(prohibit) or C(blackhole) route, deletes the routes of those types that cover the
    address (in any routing table).
  - When the wireserver still has no route, adds a host route to it through O(gateway) (on O(interface) if
    given), or through the gateway of the default route.
  - Changes the running routing table only; the module warns that persistent network configuration that
    recreates such a route must be fixed too.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  address:
    description: The wireserver address (tests point it at a lab address).
    type: str
    default: 168.63.129.16
  gateway:
    description: The next hop for the host route when one must be added; default the default route's gateway.
    type: str
  interface:
    description: The interface for the added host route.
    type: str
attributes:
  check_mode:
    support: full
    description: Reports the commands it would run.
  diff_mode:
    support: full
    description: Returns the kernel's answer for the wireserver and the commands that change it.
  platform:
    support: full
    platforms: linux
    description: Linux hosts.
requirements:
  - iproute2 (C(ip)) on the host.
'''

EXAMPLES = r'''
- name: Restore the route to the wireserver
  azure_backup.snapshot_doctor.wireserver_route:
'''

RETURN = r'''
commands:
  description: The C(ip) commands run (or that would run, in check mode).
  returned: always
  type: list
  elements: list
  sample: [["ip", "-4", "route", "del", "blackhole", "168.63.129.16/32", "table", "main"]]
route:
  description: C(ip route get) for the wireserver after the change (before, in check mode).
  returned: always
  type: str
  sample: 168.63.129.16 via 10.0.0.1 dev eth0 src 10.0.0.4 uid 0
'''

import ipaddress

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults

BLOCKING_TYPES = ('unreachable', 'prohibit', 'blackhole', 'throw')


def route_is_usable(rc, output):
    """Whether `ip route get` found a route that forwards packets."""
    first = output.strip().split(None, 1)[0] if output.strip() else ''
    return rc == 0 and first not in BLOCKING_TYPES


def blocking_routes(output, address):
    """(type, prefix, table) of `ip -4 route show table all` lines of a blocking type covering ``address``."""
    found = []
    target = ipaddress.ip_address(address)
    for line in output.splitlines():
        words = line.split()
        if len(words) < 2 or words[0] not in BLOCKING_TYPES:
            continue
        prefix = words[1]
        network = ipaddress.ip_network('0.0.0.0/0' if prefix == 'default' else prefix, strict=False)
        if target not in network:
            continue
        table = words[words.index('table') + 1] if 'table' in words else 'main'
        found.append((words[0], prefix, table))
    return found


def default_gateway(output):
    """(gateway, device) of the first `default via X dev Y` line, or (None, None)."""
    for line in output.splitlines():
        words = line.split()
        if words[:2] == ['default', 'via'] and len(words) > 2:
            device = words[words.index('dev') + 1] if 'dev' in words else None
            return words[2], device
    return None, None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type='str', default=defaults.WIRESERVER_ADDRESS),
            gateway=dict(type='str'),
            interface=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    address = module.params['address']
    for name in ('address', 'gateway'):
        value = module.params[name]
        if value is not None:
            try:
                ipaddress.IPv4Address(to_text(value))
            except ValueError:
                module.fail_json(msg='%s must be an IPv4 address, got %r' % (name, value))
    ip = module.get_bin_path('ip', required=True)

    def run(argv, fail=True):
        rc, out, err = module.run_command(argv)
        if rc != 0 and fail:
            module.fail_json(msg='%s failed: %s' % (' '.join(argv), (err or out).strip()), rc=rc)
        return rc, out, err

    def route_get():
        rc, out, err = run([ip, '-4', 'route', 'get', address], fail=False)
        return rc, (out or err).strip()

    rc, route = route_get()
    if route_is_usable(rc, route):
        module.exit_json(changed=False, commands=[], route=route)

    commands = []
    out = run([ip, '-4', 'route', 'show', 'table', 'all'])[1]
    for kind, prefix, table in blocking_routes(out, address):
        commands.append(['ip', '-4', 'route', 'del', kind, prefix, 'table', table])
    gateway, device = module.params['gateway'], module.params['interface']
    if gateway is None:
        gateway, default_device = default_gateway(run([ip, '-4', 'route', 'show', 'default'])[1])
        device = device or default_device
    add = ['ip', '-4', 'route', 'add', address + '/32']
    if gateway:
        add += ['via', gateway]
    if device:
        add += ['dev', device]

    def exit_changed(commands, route):
        result = dict(changed=True, commands=commands, route=route)
        if module._diff:  # the kernel's answer before, and what changes it (planned in check mode)
            result['diff'] = dict(before='ip route get %s: %s\n' % (address, route_before),
                                  after=''.join(' '.join(command) + '\n' for command in commands),
                                  before_header='route to %s' % address, after_header='commands')
        module.exit_json(**result)

    route_before = route
    if module.check_mode:
        if not commands and not gateway and not device:
            module.fail_json(msg='No route to %s and no gateway known: set the gateway' % address, route=route)
        exit_changed(commands or [add], route)

    for command in commands:
        run([ip] + command[1:])
    rc, route = route_get()
    if not route_is_usable(rc, route):
        if not gateway and not device:
            module.fail_json(msg='No route to %s after removing %d blocking route(s) and no gateway known: '
                                 'set the gateway' % (address, len(commands)), commands=commands, route=route)
        run([ip] + add[1:])
        commands.append(add)
        rc, route = route_get()
        if not route_is_usable(rc, route):
            module.fail_json(msg='Still no usable route to %s: %s' % (address, route), commands=commands)
    module.warn('Changed the running routing table only; fix any network configuration that recreates '
                'the blocking route at boot.')
    exit_changed(commands, route)


if __name__ == '__main__':
    main()
