# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iptables walk shared by the diagnosis (iptables_verdict) and the remediation (iptables_deciding_rule)."""
from __future__ import absolute_import, division, print_function

import shlex

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import firewall

__metaclass__ = type

WS = '168.63.129.16'
COMMENTED = '-A OUTPUT -d 168.63.129.16/32 -m comment --comment "no \\"ws\\" here" -j DROP'


def test_iptables_s_output_is_read_like_iptables_save():
    text = '-P INPUT ACCEPT\n-P OUTPUT DROP\n-N HARDEN\n-A OUTPUT -j HARDEN\n' + COMMENTED + '\n'
    chains = firewall.parse_iptables_save(text)
    assert chains['OUTPUT']['policy'] == 'DROP' and chains['HARDEN'] == {'policy': None, 'rules': []}
    assert chains['OUTPUT']['rules'][1][-4:] == ['--comment', 'no "ws" here', '-j', 'DROP']
    # The text of a rule is iptables' own, and splits back into the same argv words.
    assert firewall.iptables_rule_text(chains['OUTPUT']['rules'][1]) == COMMENTED
    assert shlex.split(COMMENTED) == chains['OUTPUT']['rules'][1]


def deciding(rules, port=80):
    verdict, words, undecided = firewall.iptables_deciding_rule(
        firewall.parse_iptables_save('\n'.join(rules) + '\n'), firewall.Packet(WS, port))
    return verdict, firewall.iptables_rule_text(words) if words else None, undecided


def diagnosis(rules, port=80):
    text = '*filter\n:OUTPUT ACCEPT [0:0]\n%s\nCOMMIT\n' % '\n'.join(rules)
    return firewall.iptables_verdict(text, firewall.Packet(WS, port))


@pytest.mark.parametrize('rule, diagnosed', [
    ('-A OUTPUT -s 10.0.0.9/32 -d 168.63.129.16/32 -j DROP', 'drop'),   # is 10.0.0.9 ours?
    ('-A OUTPUT -o eth1 -d 168.63.129.16/32 -j DROP', 'drop'),          # does the route leave through eth1?
    ('-A OUTPUT -m mark --mark 0x1 -j REJECT', 'reject'),               # a match the walk does not know
    ('-A OUTPUT -m mark ! --mark 0x1 -j ACCEPT', 'accept'),
])
def test_the_remediation_skips_what_the_diagnosis_assumes(rule, diagnosed):
    later_drop = '-A OUTPUT -d 168.63.129.16/32 -j DROP'
    assert deciding([rule, later_drop]) == ('drop', later_drop, [rule])
    assert deciding([rule]) == (None, None, [rule])
    # The diagnosis errs the other way: a rule that may block counts as blocking.
    assert diagnosis([rule])['verdict'] == diagnosed


def test_the_remediation_decides_what_is_certain():
    assert deciding(['-A OUTPUT -o lo -j DROP']) == (None, None, [])  # never the way to the wireserver
    assert deciding(['-A OUTPUT -s 10.0.0.9/32 -d 10.0.0.0/8 -j DROP']) == (None, None, [])
    assert deciding(['-A OUTPUT -m owner --uid-owner 0 -j ACCEPT', '-A OUTPUT -j DROP']) == (
        'accept', '-A OUTPUT -m owner --uid-owner 0 -j ACCEPT', [])
    assert deciding(['-A OUTPUT -m limit --limit 5/min -j LOG --log-prefix blocked']) == (None, None, [])
    assert deciding([':X - [0:0]', '-A OUTPUT -m mark --mark 1 -j X', '-A X -j DROP']) == (
        None, None, ['-A OUTPUT -m mark --mark 1 -j X'])


@pytest.mark.parametrize('flags, expected', [
    ('--syn', 'drop'),
    ('! --syn', None),
    ('--tcp-flags FIN,SYN,RST,ACK SYN', 'drop'),
    ('--tcp-flags ALL NONE', None),
    ('--tcp-flags SYN,ACK SYN,ACK', None),
])
def test_tcp_flags_of_a_new_connection(flags, expected):
    rule = '-A OUTPUT -d 168.63.129.16/32 -p tcp -m tcp %s -j DROP' % flags
    assert deciding([rule])[0] == expected
    assert diagnosis([rule])['verdict'] == (expected or 'accept')
