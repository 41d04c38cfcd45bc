#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remove the iptables rules that drop or reject root's traffic to the Azure wireserver."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: wireserver_firewall
short_description: Remove local firewall rules that block root's traffic to the Azure wireserver
version_added: 0.1.0
description:
  - Walks the IPv4 C(filter) table's C(OUTPUT) chain (and the chains it jumps to) in order, the way the kernel
    does for a new TCP connection from root (uid 0) to the wireserver on each port, and deletes the C(DROP) or
    C(REJECT) rule that decides it. Repeats until root's traffic to every port passes.
  - Rules that accept root first and then drop everyone else - what the agent itself installs with
    C(OS.EnableFirewall=y) - are healthy and stay.
  - A rule whose matches cannot be decided here (a match the module does not understand, the source address, the
    output interface) is never deleted; it is reported in RV(undecided).
  - Changes the running rule set only. Where rules are loaded at boot (iptables-persistent, firewalld, ufw),
    save or change that configuration too; the module warns about it.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  address:
    description: The wireserver address (tests point it at a lab address).
    type: str
    default: 168.63.129.16
  ports:
    description: The wireserver ports root must reach.
    type: list
    elements: int
    default: [80, 32526]
attributes:
  check_mode:
    support: full
    description: Reports the rules it would delete.
  diff_mode:
    support: full
    description: Returns the rules removed as the "before" side.
  platform:
    support: full
    platforms: posix
    description: POSIX hosts.
requirements:
  - iptables (iptables-legacy or iptables-nft) on the host; without it there is nothing to remove.
'''

EXAMPLES = r'''
- name: Remove firewall rules that cut the agent off from the wireserver
  azure_backup.snapshot_doctor.wireserver_firewall:
  register: removed
'''

RETURN = r'''
removed:
  description: The rules deleted (or that would be, in check mode), in C(iptables -S) syntax.
  returned: always
  type: list
  elements: str
  sample: ["-A OUTPUT -d 168.63.129.16/32 -p tcp -m tcp --dport 80 -j DROP"]
undecided:
  description: Rules on root's path to the wireserver whose matches the module cannot evaluate; left in place.
  returned: always
  type: list
  elements: str
'''

import ipaddress

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import firewall

MAX_PASSES = 50  # rules removed before giving up (a rule set that keeps blocking)


def find_blocking(chains, address, ports):
    """(rule words or None, undecided): the first rule that certainly drops or rejects root's new
    connection to ``address`` on one of ``ports``, and the rules on the way that cannot be decided."""
    undecided = []
    for port in ports:
        verdict, words, more = firewall.iptables_deciding_rule(chains, firewall.Packet(address, port))
        undecided.extend(more)
        if verdict in ('drop', 'reject'):
            return words, undecided
    return None, undecided


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type='str', default=defaults.WIRESERVER_ADDRESS),
            ports=dict(type='list', elements='int', default=list(defaults.WIRESERVER_PORTS)),
        ),
        supports_check_mode=True,
    )
    address = module.params['address']
    try:
        ipaddress.IPv4Address(to_text(address))
    except ValueError:
        module.fail_json(msg='address must be an IPv4 address, got %r' % address)
    for port in module.params['ports']:
        if not 0 < port < 65536:
            module.fail_json(msg='ports must be between 1 and 65535, got %r' % port)

    iptables = module.get_bin_path('iptables')
    if not iptables:
        module.exit_json(changed=False, removed=[], undecided=[],
                         msg='iptables is not installed: no iptables rule can block the wireserver')

    removed = []
    undecided = set()
    # Each pass removes one rule; in check mode the removal is simulated on the parsed rules.
    chains = None
    for dummy in range(MAX_PASSES):
        if chains is None:
            rc, out, err = module.run_command([iptables, '-w', '-t', 'filter', '-S'])
            if rc != 0:
                module.fail_json(msg='iptables -S failed: %s' % (err or out).strip(), rc=rc)
            chains = firewall.parse_iptables_save(out)
        blocking, more = find_blocking(chains, address, module.params['ports'])
        undecided.update(more)
        if blocking is None:
            break
        line = firewall.iptables_rule_text(blocking)
        removed.append(line)
        chain, spec = blocking[1], blocking[2:]
        if module.check_mode:
            chains[chain]['rules'].remove(blocking)
        else:
            rc, out, err = module.run_command([iptables, '-w', '-t', 'filter', '-D', chain] + spec)
            if rc != 0:
                module.fail_json(msg='Could not delete the rule %r: %s' % (line, (err or out).strip()),
                                 removed=removed[:-1])
            chains = None
    else:
        module.fail_json(msg='Gave up after removing %d rules; root still cannot reach %s' % (len(removed), address),
                         removed=removed)
    if removed:
        module.warn('Removed %d rule(s) from the running firewall only; if rules are restored at boot '
                    '(iptables-persistent, firewalld, ufw), change that configuration too.' % len(removed))
    result = dict(changed=bool(removed), removed=removed, undecided=sorted(undecided))
    if module._diff and removed:
        result['diff'] = dict(before=''.join(rule + '\n' for rule in removed), after='',
                              before_header='iptables rules that block root to %s' % address,
                              after_header='(removed)')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
