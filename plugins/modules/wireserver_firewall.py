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
  - A rule with a match this module does not understand is never deleted; it is reported in RV(undecided).
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
import shlex

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

BLOCKING_TARGETS = ('DROP', 'REJECT')
ACCEPTING_TARGETS = ('ACCEPT',)
# Matches that never exclude a new TCP connection from root to one address, or that we can evaluate.
_NEUTRAL_MODULES = ('tcp', 'multiport', 'owner', 'conntrack', 'state', 'comment')
MAX_PASSES = 50


class Rule(object):
    """One `-A CHAIN ...` line of `iptables -S`."""

    def __init__(self, line):
        self.line = line
        self.tokens = shlex.split(line)
        self.chain = self.tokens[1]
        self.spec = self.tokens[2:]


def parse_rules(output):
    """{chain: [Rule, ...]} from `iptables -S` output."""
    chains = {}
    for line in output.splitlines():
        if line.startswith('-N '):
            chains.setdefault(line.split()[1], [])
        elif line.startswith('-A '):
            rule = Rule(line)
            chains.setdefault(rule.chain, []).append(rule)
    return chains


def _network_contains(cidr, address):
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def _port_in(spec, port):
    """Whether ``port`` is in an iptables port list such as '80', '80,443' or '1000:2000'."""
    for part in spec.split(','):
        if ':' in part:
            low, high = part.split(':', 1)
            if int(low or 0) <= port <= int(high or 65535):
                return True
        elif int(part) == port:
            return True
    return False


def evaluate(rule, address, port):
    """(matches, target) for a root TCP SYN to address:port: matches is True, False or None (unknown)."""
    tokens = rule.spec
    target = None
    result = True
    negate = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        value = tokens[index + 1] if index + 1 < len(tokens) else ''
        if token == '!':
            negate = True
            index += 1
            continue
        step = 2
        outcome = True
        if token in ('-j', '-g'):
            target = value
        elif token == '-d':
            outcome = all(_network_contains(cidr, address) for cidr in value.split(','))
        elif token == '-p':
            outcome = value.lower() in ('tcp', '6', 'all')
        elif token == '-m':
            if value not in _NEUTRAL_MODULES:
                outcome = None
        elif token in ('--dport', '--dports', '--destination-port', '--destination-ports'):
            outcome = _port_in(value, port)
        elif token == '--uid-owner':
            outcome = value in ('0', 'root') or (
                ':' in value and int(value.split(':')[0]) <= 0 <= int(value.split(':')[1]))
        elif token in ('--ctstate', '--state'):
            outcome = 'NEW' in value.split(',')
        elif token in ('--comment', '--reject-with'):
            pass
        elif token in ('-s', '-o', '--sport', '--sports', '--gid-owner') or token.startswith('-'):
            # Source address, interface, group and anything else: not decidable here.
            outcome = None
        else:
            step = 1
        if outcome is not None and negate:
            outcome = not outcome
        negate = False
        if outcome is False:
            return False, target
        if outcome is None:
            result = None
        index += step
    return result, target


def find_blocking(chains, address, port, chain='OUTPUT', seen=None):
    """('accepted'|'blocked'|'end', rule or None, undecided) for root's connection through ``chain``."""
    seen = set() if seen is None else seen
    undecided = []
    if chain in seen:
        return 'end', None, undecided
    seen.add(chain)
    for rule in chains.get(chain, []):
        matches, target = evaluate(rule, address, port)
        if matches is False or target is None:
            continue
        if matches is None:
            if target in BLOCKING_TARGETS or target in ACCEPTING_TARGETS or target in chains:
                undecided.append(rule.line)
            continue
        if target in ACCEPTING_TARGETS:
            return 'accepted', None, undecided
        if target in BLOCKING_TARGETS:
            return 'blocked', rule, undecided
        if target == 'RETURN':
            return 'end', None, undecided
        if target in chains:
            verdict, blocking, more = find_blocking(chains, address, port, target, seen)
            undecided.extend(more)
            if verdict != 'end':
                return verdict, blocking, undecided
    return 'end', None, undecided


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type='str', default='168.63.129.16'),
            ports=dict(type='list', elements='int', default=[80, 32526]),
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
    # Each pass removes at most one rule per port; in check mode the removal is simulated.
    chains = None
    for dummy in range(MAX_PASSES):
        if chains is None:
            rc, out, err = module.run_command([iptables, '-w', '-t', 'filter', '-S'])
            if rc != 0:
                module.fail_json(msg='iptables -S failed: %s' % (err or out).strip(), rc=rc)
            chains = parse_rules(out)
        blocking = None
        for port in module.params['ports']:
            verdict, rule, more = find_blocking(chains, address, port)
            undecided.update(more)
            if verdict == 'blocked':
                blocking = rule
                break
        if blocking is None:
            break
        removed.append(blocking.line)
        if module.check_mode:
            chains[blocking.chain].remove(blocking)
        else:
            rc, out, err = module.run_command([iptables, '-w', '-t', 'filter', '-D', blocking.chain] + blocking.spec)
            if rc != 0:
                module.fail_json(msg='Could not delete the rule %r: %s' % (blocking.line, (err or out).strip()),
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
