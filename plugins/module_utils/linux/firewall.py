# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does the local firewall let root's new TCP connections out? Pure Python, runs on the controller.

The rules are walked the way the kernel walks them: a packet (root's new TCP connection to an
address and port) goes through the output chain in order; the first rule whose matches it meets
and whose target is terminal decides; jumps into user chains are followed; the chain policy
decides last. The agent's own OS.EnableFirewall rules (accept root, then drop new connections
of everybody else) therefore come out as "accepted", which is what they do.

Matches this module cannot evaluate are assumed to match and reported in ``uncertain``, so a
rule it does not understand errs on the side of showing up in the evidence. A remediation asks the
opposite question (which rule certainly decides, so that it may be deleted): ``iptables_deciding_rule``
walks the same rules but skips and reports the rules it cannot decide.
"""
from __future__ import absolute_import, division, print_function

import ipaddress
import re
import shlex

__metaclass__ = type

MAX_DEPTH = 16  # chain jumps followed before giving up (a loop in user chains)


class Packet:
    """Root's (uid 0) new TCP connection to ``address``:``port`` leaving through ``device``."""

    def __init__(self, address, port, device=None, label=None):
        self.address = ipaddress.ip_address(address) if address else None
        self.port = int(port)
        self.device = device
        self.label = label or '%s:%s' % (address or 'any', port)


def _in_ports(spec, port):
    for part in spec.split(','):
        low, _sep, high = part.partition(':')
        low = int(low) if low else 0
        high = int(high) if high else (65535 if _sep else low)
        if low <= port <= high:
            return True
    return False


def _in_network(spec, address):
    if address is None:
        # "any address" (port-only packets): only rules for every destination apply.
        return any(part.strip() in ('0.0.0.0/0', '::/0') for part in spec.split(','))
    for part in spec.split(','):
        try:
            if address in ipaddress.ip_network(part, strict=False):
                return True
        except ValueError:
            continue
    return False


def _uid_matches(spec, uid=0):
    low, _sep, high = spec.partition('-')
    try:
        return int(low) <= uid <= int(high or low)
    except ValueError:
        return spec == 'root'


# -- iptables-save / iptables -S -------------------------------------------------------------------
TERMINAL_TARGETS = ('ACCEPT', 'DROP', 'REJECT')


def parse_iptables_save(text):
    """{chain: {'policy': str or None, 'rules': [argv...]}} of the filter table.

    Reads ``iptables-save`` output, and also ``iptables -t filter -S`` output (no table header, chains
    declared by ``-P CHAIN POLICY`` and ``-N CHAIN``). Each rule is its argv words: ['-A', chain, ...].
    """
    chains = {}
    table = 'filter'  # until a `*table` header says otherwise (`iptables -S` has none)
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('*'):
            table = line[1:]
        elif table != 'filter' or not line or line.startswith('#'):
            continue
        elif line.startswith(':'):
            name, policy = (line[1:].split() + ['-'])[:2]
            chains[name] = {'policy': None if policy == '-' else policy, 'rules': []}
        elif line.startswith(('-P ', '-N ')):
            words = line.split()
            chain = chains.setdefault(words[1], {'policy': None, 'rules': []})
            if words[0] == '-P' and len(words) > 2:
                chain['policy'] = words[2]
        elif line.startswith('-A '):
            try:
                words = shlex.split(line)
            except ValueError:
                words = line.split()
            chains.setdefault(words[1], {'policy': None, 'rules': []})['rules'].append(words)
    return chains


def iptables_rule_text(words):
    """A rule's argv words as iptables prints them: words with blanks or quotes in double quotes."""
    return ' '.join('"%s"' % word.replace('\\', '\\\\').replace('"', '\\"')
                    if not word or re.search(r'[\s"\']', word) else word for word in words)


def _tcp_flags_match(mask, compare):
    """Whether a SYN (the packet of a new connection) meets ``--tcp-flags mask compare``."""
    every = {'FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'}

    def flags(spec):
        spec = spec.upper()
        return every if spec == 'ALL' else set() if spec == 'NONE' else set(spec.split(','))
    return {'SYN'} & flags(mask) == flags(compare) & flags(mask)


def _iptables_rule_matches(words, packet, uncertain, strict=False):
    """True/False as the rule's matches accept ``packet``.

    Not ``strict`` (the diagnosis): unknown matches are assumed true and the rule is added to
    ``uncertain``; the source address is assumed ours and, with no device known, any interface but lo.
    ``strict`` (a remediation): those matches cannot be decided, and the rule's result is None unless
    another match rules it out.
    """
    index = 2
    negate = False
    undecidable = False
    while index < len(words):
        word = words[index]
        value = words[index + 1] if index + 1 < len(words) else ''
        if word == '!':
            negate = True
            index += 1
            continue
        result = None
        consumed = 2
        if word in ('-p', '--protocol'):
            result = value.lower() in ('tcp', '6', 'all')
        elif word in ('-d', '--destination', '--dst'):
            result = _in_network(value, packet.address)
        elif word in ('--dport', '--destination-port', '--dports', '--destination-ports'):
            result = _in_ports(value, packet.port)
        elif word == '--uid-owner':
            result = _uid_matches(value)
        elif word in ('--ctstate', '--state'):
            result = 'NEW' in value.upper().split(',')
        elif word in ('-o', '--out-interface'):
            if packet.device:
                result = value == packet.device or (value.endswith('+') and packet.device.startswith(value[:-1]))
            elif value == 'lo' or not strict:
                result = value != 'lo'
            # else: which interface the packet leaves through is not known here
        elif word == '--tcp-flags':
            result = _tcp_flags_match(value, words[index + 2] if index + 2 < len(words) else '')
            consumed = 3
        elif word in ('-m', '--match', '-j', '--jump', '-g', '--goto', '-c', '--comment',
                      '--set-counters', '--reject-with', '--log-prefix', '--log-level', '--syn',
                      '--log-uid'):
            result = True
            if word in ('-c', '--set-counters'):
                consumed = 3
            if word in ('--syn', '--log-uid'):
                consumed = 1
        elif word in ('-i', '--in-interface'):
            result = False  # an input interface never matches output
        elif word in ('-s', '--source', '--src'):
            if not strict:
                result = True  # the source address is ours
        elif word.startswith('-'):
            if not strict:
                uncertain.append(iptables_rule_text(words))
                result = True
            consumed = 2 if value and not value.startswith('-') else 1
        else:
            result = True
            consumed = 1
        index += consumed
        if result is None:
            undecidable = True  # strict only: neither met nor failed, negated or not
        elif result == negate:
            return False
        negate = False
    return None if undecidable else True


def _target(words):
    for flag in ('-j', '--jump', '-g', '--goto'):
        if flag in words and words.index(flag) + 1 < len(words):
            return words[words.index(flag) + 1], flag in ('-g', '--goto')
    return None, False


def _walk_iptables(chains, name, packet, uncertain, depth=0, undecided=None):
    """('ACCEPT'|'DROP'|'REJECT'|None, rule words) for the packet in chain ``name``; None falls through.

    With ``undecided`` (a list) the walk is strict: a rule it cannot decide is skipped and, if its
    target could change the outcome, added to ``undecided``.
    """
    if depth > MAX_DEPTH or name not in chains:
        return None, None
    strict = undecided is not None
    for words in chains[name]['rules']:
        matches = _iptables_rule_matches(words, packet, uncertain, strict)
        if not matches:
            if matches is None:
                target = _target(words)[0]
                if target in TERMINAL_TARGETS or target == 'RETURN' or target in chains:
                    undecided.append(iptables_rule_text(words))
            continue
        target, goto = _target(words)
        if target in TERMINAL_TARGETS:
            return target, words
        if target == 'RETURN':
            return None, None
        if target in chains:
            verdict, rule = _walk_iptables(chains, target, packet, uncertain, depth + 1, undecided)
            if verdict or goto:
                return verdict, rule
    return None, None


def iptables_verdict(text, packet):
    """{'verdict': 'accept'|'drop'|'reject', 'rule': str or None, 'uncertain': [...]}."""
    chains = parse_iptables_save(text)
    uncertain = []
    verdict, words = _walk_iptables(chains, 'OUTPUT', packet, uncertain)
    rule = iptables_rule_text(words) if words else None
    if verdict is None:
        policy = (chains.get('OUTPUT') or {}).get('policy') or 'ACCEPT'
        verdict, rule = policy, ('policy of OUTPUT: %s' % policy) if policy != 'ACCEPT' else None
    return {'verdict': verdict.lower(), 'rule': rule, 'uncertain': sorted(set(uncertain))}


def iptables_deciding_rule(chains, packet):
    """The rule of OUTPUT that certainly decides ``packet``, for a remediation that must not guess.

    ``chains`` is what parse_iptables_save returns. Returns (verdict, words, undecided): verdict
    'accept', 'drop' or 'reject' with the deciding rule's argv words (['-A', chain, ...], so
    ``iptables -D chain words[2:]`` deletes it), or (None, None, undecided) when the rules fall through
    to the chain policy. Rules with a match that cannot be decided (unknown matches, the source address,
    the out interface) never decide: they are skipped and listed in ``undecided``.
    """
    undecided = []
    verdict, words = _walk_iptables(chains, 'OUTPUT', packet, [], undecided=undecided)
    return (verdict.lower() if verdict else None), words, sorted(set(undecided))


# -- nft list ruleset ----------------------------------------------------------------------------------
_NFT_CHAIN_RE = re.compile(r'^\s*chain\s+(\S+)\s*\{')
_NFT_HOOK_RE = re.compile(r'type\s+filter\s+hook\s+output\b.*?(?:policy\s+(accept|drop)\s*;)?')
_NFT_SET_RE = re.compile(r'\{\s*([^}]*)\}')


def parse_nft(text):
    """[(table, chain, is_output_hook, policy, [rule lines])] in file order."""
    chains = []
    table = None
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        match = re.match(r'^table\s+(\S+)\s+(\S+)', line)
        if match:
            table = '%s %s' % match.groups()
            continue
        match = _NFT_CHAIN_RE.match(line)
        if match:
            current = {'table': table, 'name': match.group(1), 'hook': False, 'policy': 'accept',
                       'rules': []}
            chains.append(current)
            continue
        if current is None or not line or line.startswith('#'):
            continue
        if line == '}':
            current = None
            continue
        if 'hook output' in line and line.startswith('type'):
            current['hook'] = 'type filter' in line
            policy = re.search(r'policy\s+(accept|drop)', line)
            if policy:
                current['policy'] = policy.group(1)
            continue
        current['rules'].append(line)
    return chains


def _nft_values(text):
    """The values of an nft expression operand: a set `{ a, b }` or a single word."""
    match = _NFT_SET_RE.match(text)
    if match:
        return [value.strip() for value in match.group(1).split(',') if value.strip()]
    return [text.split()[0]] if text.split() else []


def _nft_rule_matches(line, packet, uncertain):
    checks = (
        (r'\bip6?\s+daddr\s+(!=\s+)?(\{[^}]*\}|\S+)',
         lambda values: any(_in_network(value, packet.address) for value in values)),
        (r'\btcp\s+dport\s+(!=\s+)?(\{[^}]*\}|\S+)',
         lambda values: any(_in_ports(value.replace('-', ':'), packet.port) for value in values)),
        (r'\bmeta\s+skuid\s+(!=\s+)?(\{[^}]*\}|\S+)|\bskuid\s+(!=\s+)?(\{[^}]*\}|\S+)',
         lambda values: any(_uid_matches(value) or value == 'root' for value in values)),
        (r'\bct\s+state\s+(!=\s+)?(\{[^}]*\}|\S+)',
         lambda values: 'new' in [value.lower() for value in values]),
        (r'\bmeta\s+l4proto\s+(!=\s+)?(\{[^}]*\}|\S+)',
         lambda values: 'tcp' in values or '6' in values),
        (r'\b(?:udp|icmp|icmpv6)\s', None),
        (r'\boifname\s+(!=\s+)?(\{[^}]*\}|\S+)',
         lambda values: any(value.strip('"') == (packet.device or '') or
                            (packet.device is None and value.strip('"') != 'lo') for value in values)),
    )
    for pattern, test in checks:
        for match in re.finditer(pattern, line):
            if test is None:
                return False  # a udp/icmp rule never matches a TCP packet
            groups = list(match.groups())
            negate = bool(groups[0] or (len(groups) > 2 and groups[2]))
            operand = groups[1] if groups[1] is not None else groups[3]
            result = test(_nft_values(operand))
            if negate:
                result = not result
            if not result:
                return False
    if re.search(r'\b(iifname|ip\s+saddr|mark|xt\s+match)\b', line):
        uncertain.append(line)
    return True


def _nft_verdict_of(line):
    match = re.search(r'\b(accept|drop|reject|return|jump\s+\S+|goto\s+\S+)\s*(?:with\s.*)?(?:#.*)?$', line)
    return match.group(1) if match else None


def _walk_nft(chains_by_name, chain, packet, uncertain, depth=0):
    if depth > MAX_DEPTH:
        return None, None
    for line in chain['rules']:
        verdict = _nft_verdict_of(line)
        if verdict is None or not _nft_rule_matches(line, packet, uncertain):
            continue
        if verdict in ('accept', 'drop', 'reject'):
            return verdict, line
        if verdict == 'return':
            return None, None
        target = chains_by_name.get((chain['table'], verdict.split()[1]))
        if target is not None:
            result, rule = _walk_nft(chains_by_name, target, packet, uncertain, depth + 1)
            if result or verdict.startswith('goto'):
                return result, rule
    return None, None


def nft_verdict(text, packet):
    """Every output-hook chain must accept: the first drop/reject (or drop policy) is the verdict."""
    chains = parse_nft(text)
    by_name = dict(((chain['table'], chain['name']), chain) for chain in chains)
    uncertain = []
    for chain in chains:
        if not chain['hook']:
            continue
        verdict, rule = _walk_nft(by_name, chain, packet, uncertain)
        if verdict is None and chain['policy'] == 'drop':
            verdict, rule = 'drop', 'policy drop of chain %s %s' % (chain['table'], chain['name'])
        if verdict in ('drop', 'reject'):
            return {'verdict': verdict, 'rule': rule, 'uncertain': sorted(set(uncertain))}
    return {'verdict': 'accept', 'rule': None, 'uncertain': sorted(set(uncertain))}
