# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
import shlex

import pytest

from ansible.module_utils import basic
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import firewall
from ansible_collections.azure_backup.snapshot_doctor.plugins.modules import wireserver_firewall as fw
from .remediation_helpers import run_module

WS = '168.63.129.16'
# What WALinuxAgent installs with OS.EnableFirewall=y (iptables -S): root first, then everyone else dropped.
AGENT_RULES = """-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-A OUTPUT -d 168.63.129.16/32 -p tcp -m tcp --dport 53 -j ACCEPT
-A OUTPUT -d 168.63.129.16/32 -p tcp -m owner --uid-owner 0 -j ACCEPT
-A OUTPUT -d 168.63.129.16/32 -p tcp -m conntrack --ctstate INVALID,NEW -j DROP
"""
ROOT_DROP = '-A OUTPUT -d 168.63.129.16/32 -p tcp -m tcp --dport 80 -j DROP'


# The module's words for the walker's verdicts: None is "fell through to the policy".
OUTCOMES = {'accept': 'accepted', 'drop': 'blocked', 'reject': 'blocked', None: 'end'}


def verdict(rules, port=80):
    result, words, undecided = firewall.iptables_deciding_rule(firewall.parse_iptables_save(rules),
                                                               firewall.Packet(WS, port))
    blocking = firewall.iptables_rule_text(words) if OUTCOMES[result] == 'blocked' else None
    return OUTCOMES[result], blocking, undecided


def test_the_agents_own_rules_are_healthy():
    assert verdict(AGENT_RULES) == ('accepted', None, [])


def test_a_drop_before_the_agents_accept_blocks_root():
    rules = AGENT_RULES.replace('-P OUTPUT ACCEPT\n', '-P OUTPUT ACCEPT\n' + ROOT_DROP + '\n')
    assert verdict(rules)[:2] == ('blocked', ROOT_DROP)
    assert verdict(rules, port=32526)[0] == 'accepted'  # the drop names port 80 only


@pytest.mark.parametrize('rule, expected', [
    ('-A OUTPUT -d 168.63.129.16/32 -j REJECT --reject-with icmp-port-unreachable', 'blocked'),
    ('-A OUTPUT -d 168.63.0.0/16 -p tcp -m multiport --dports 80,32526 -j DROP', 'blocked'),
    ('-A OUTPUT -d 10.0.0.0/8 -j DROP', 'end'),
    ('-A OUTPUT -d 168.63.129.16/32 -p udp -j DROP', 'end'),
    ('-A OUTPUT -d 168.63.129.16/32 -p tcp -m owner ! --uid-owner 0 -j DROP', 'end'),
    ('-A OUTPUT -d 168.63.129.16/32 -p tcp -m owner --uid-owner 0 -j DROP', 'blocked'),
    ('-A OUTPUT -d 168.63.129.16/32 -p tcp -m tcp --dport 443 -j DROP', 'end'),
    ('-A OUTPUT ! -d 168.63.129.16/32 -j DROP', 'end'),
    ('-A OUTPUT -d 168.63.129.16/32 -m conntrack --ctstate ESTABLISHED -j DROP', 'end'),
])
def test_rule_matching(rule, expected):
    assert verdict('-P OUTPUT ACCEPT\n' + rule + '\n')[0] == expected


def test_user_chains_are_followed():
    rules = '-N BLOCKWS\n-A OUTPUT -p tcp -j BLOCKWS\n-A BLOCKWS -d 168.63.129.16/32 -j DROP\n'
    assert verdict(rules)[:2] == ('blocked', '-A BLOCKWS -d 168.63.129.16/32 -j DROP')
    rules = '-N R\n-A OUTPUT -j R\n-A R -j RETURN\n-A OUTPUT -d 168.63.129.16/32 -j DROP\n'
    assert verdict(rules)[0] == 'blocked'


def test_an_undecidable_rule_is_never_removed():
    rules = '-A OUTPUT -o eth1 -d 168.63.129.16/32 -j DROP\n'
    result, rule, undecided = verdict(rules)
    assert result == 'end' and rule is None
    assert undecided == ['-A OUTPUT -o eth1 -d 168.63.129.16/32 -j DROP']


class FakeIptables(object):
    """iptables -S / -D over a list of rule lines."""

    def __init__(self, rules):
        self.lines = rules.splitlines()
        self.calls = []

    def __call__(self, module, argv, **kwargs):
        self.calls.append(argv)
        if '-S' in argv:
            return 0, '\n'.join(self.lines) + '\n', ''
        if '-D' in argv:
            spec = argv[argv.index('-D') + 2:]
            chain = argv[argv.index('-D') + 1]
            for line in self.lines:
                if line.startswith('-A ') and shlex.split(line)[1:] == [chain] + spec:
                    self.lines.remove(line)
                    return 0, '', ''
            return 1, '', 'iptables: Bad rule (does a matching rule exist in that chain?).'
        raise AssertionError(argv)


@pytest.fixture
def fake(monkeypatch):
    def install(rules):
        fake_iptables = FakeIptables(rules)

        def run_command(self, argv, **kwargs):
            return fake_iptables(self, argv, **kwargs)

        monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
        monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/usr/sbin/' + name)
        return fake_iptables
    return install


def test_main_removes_each_blocking_rule_and_keeps_the_agents(fake):
    rules = AGENT_RULES.replace('-P OUTPUT ACCEPT\n', '-P OUTPUT ACCEPT\n' + ROOT_DROP + '\n' + ROOT_DROP + '\n'
                                '-A OUTPUT -d 168.63.129.16/32 -p tcp -m tcp --dport 32526 -j REJECT\n')
    iptables = fake(rules)
    result = run_module(fw.main, {'address': WS})
    assert result['changed'] is True
    assert result['removed'] == [ROOT_DROP, ROOT_DROP, '-A OUTPUT -d 168.63.129.16/32 -p tcp -m tcp --dport 32526 -j REJECT']
    assert '\n'.join(iptables.lines) + '\n' == AGENT_RULES
    # Second run: nothing left to remove.
    assert run_module(fw.main, {'address': WS})['changed'] is False


def test_check_mode_deletes_nothing(fake):
    iptables = fake('-P OUTPUT ACCEPT\n' + ROOT_DROP + '\n')
    result = run_module(fw.main, {'address': WS}, check_mode=True)
    assert result['changed'] is True and result['removed'] == [ROOT_DROP]
    assert not any('-D' in call for call in iptables.calls)


def test_invalid_address_fails_first(fake):
    iptables = fake('')
    with pytest.raises(Exception) as info:
        run_module(fw.main, {'address': 'wireserver; rm -rf /'})
    assert 'IPv4 address' in str(info.value)
    assert iptables.calls == []


def test_diff_lists_the_rules_to_remove(fake):
    fake('-P OUTPUT ACCEPT\n' + ROOT_DROP + '\n')
    result = run_module(fw.main, {'address': WS}, check_mode=True, diff=True)
    assert result['diff']['before'] == ROOT_DROP + '\n' and result['diff']['after'] == ''


def test_defaults_and_quoted_rules(fake):
    commented = '-A OUTPUT -d 168.63.129.16/32 -m comment --comment "no wireserver" -j DROP'
    iptables = fake('-P OUTPUT ACCEPT\n' + commented + '\n')
    result = run_module(fw.main, {})  # the default address and ports
    assert result['removed'] == [commented]
    delete = [call for call in iptables.calls if '-D' in call]
    assert delete == [['/usr/sbin/iptables', '-w', '-t', 'filter', '-D', 'OUTPUT', '-d', '168.63.129.16/32',
                       '-m', 'comment', '--comment', 'no wireserver', '-j', 'DROP']]
    assert iptables.lines == ['-P OUTPUT ACCEPT']


def test_main_leaves_undecidable_rules_and_reports_them(fake):
    undecidable = '-A OUTPUT -o eth1 -d 168.63.129.16/32 -j DROP'
    iptables = fake('-P OUTPUT ACCEPT\n' + undecidable + '\n' + ROOT_DROP + '\n')
    result = run_module(fw.main, {'address': WS})
    assert result['removed'] == [ROOT_DROP] and result['undecided'] == [undecidable]
    assert iptables.lines == ['-P OUTPUT ACCEPT', undecidable]
