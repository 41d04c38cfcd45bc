# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netplan YAML parser: the subset netplan and cloud-init network files use, without PyYAML."""
from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import parse_netplan_yaml

__metaclass__ = type

# Written as netplan's documentation, cloud-init and PyYAML's safe_dump write them.
DOCUMENTS = [
    # cloud-init on an Azure image (safe_dump style: sequences at the parent key's indentation)
    '''# This file is generated from information provided by the datasource.  Changes
# to it will not persist across an instance reboot.
network:
    ethernets:
        eth0:
            dhcp4: true
            dhcp4-overrides:
                route-metric: 100
            dhcp6: false
            match:
                driver: hv_netvsc
                macaddress: 00:0d:3a:9b:2c:41
            set-name: eth0
    version: 2
''',
    # the lab's static_ip_netplan fault (tests/lab/snapshot_lab/faults.py)
    'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: false\n      addresses: [10.213.0.11/24]\n',
    # netplan's documentation style: block sequences of mappings, flow mappings, quotes, comments
    '''---
network:
  version: 2
  renderer: networkd   # or NetworkManager
  ethernets:
    enp3s0:
      addresses:
        - 10.10.10.2/24
        - "fd00::2/64"
      routes:
        - to: default
          via: 10.10.10.1
          on-link: yes
        - {to: 10.50.0.0/16, via: 10.10.10.9, metric: 200}
      nameservers:
        search: [mydomain, otherdomain]
        addresses: [10.10.10.1, '1.1.1.1', "it's # not a comment"]
      mtu: 1500
      optional: on
      dhcp4: no
    "eth 1":
      match: {name: "en*", macaddress: 'aa:bb:cc:dd:ee:ff'}
      wakeonlan: off
      dhcp6: True
      critical: ~
      description: it's plain, with a # comment
  bonds:
    bond0:
      interfaces: [enp3s0, 'eth 1']
      parameters: {mode: active-backup, primary: enp3s0}
      addresses:
      -   192.168.0.2/24
      - [nested, flow]
      -
        - deeper
''',
    # a flow collection over several lines, CRLF endings, an empty value, a float
    'network:\r\n  ethernets:\r\n    eth0:\r\n      addresses: [\r\n        10.0.0.4/24,\r\n'
    '        10.0.0.5/24\r\n      ]\r\n      gateway4:\r\n      ratio: 1.5\r\n',
]


@pytest.mark.parametrize('text', DOCUMENTS)
def test_the_subset_reads_like_pyyaml(text):
    yaml = pytest.importorskip('yaml')  # the reference only: the host code never imports it
    parsed = parse_netplan_yaml(text)
    assert parsed['warnings'] == []
    assert parsed['document'] == yaml.safe_load(text)


def test_values_that_matter_for_dhcp():
    document = parse_netplan_yaml(DOCUMENTS[2])['document']
    enp3s0 = document['network']['ethernets']['enp3s0']
    assert enp3s0['dhcp4'] is False and enp3s0['optional'] is True and enp3s0['mtu'] == 1500
    assert enp3s0['addresses'] == ['10.10.10.2/24', 'fd00::2/64']
    assert enp3s0['nameservers']['addresses'][2] == "it's # not a comment"
    other = document['network']['ethernets']['eth 1']
    assert other['match'] == {'name': 'en*', 'macaddress': 'aa:bb:cc:dd:ee:ff'}
    assert other['description'] == "it's plain, with a"
    # A MAC address stays text (PyYAML 1.1 would read 12:34:56:12:34:56 as a base-60 number).
    mac = parse_netplan_yaml('match:\n  macaddress: 12:34:56:12:34:56\n')['document']['match']['macaddress']
    assert mac == '12:34:56:12:34:56'
    assert parse_netplan_yaml('dhcp4: "yes"\n')['document'] == {'dhcp4': 'yes'}  # quoted: a string
    assert parse_netplan_yaml('a: YES\nb: Off\n')['document'] == {'a': True, 'b': False}
    assert parse_netplan_yaml('')['document'] is None and parse_netplan_yaml('# nothing\n')['warnings'] == []


@pytest.mark.parametrize('text, message', [
    ('network: [unclosed\n', 'line 1: "[" is not closed'),
    ('network:\n  ethernets:\n   eth0: {}\n  bad\n', 'line 4: expected "key: value"'),
    ('a: 1\n    b: 2\n', 'line 2: unexpected indentation (multi-line plain scalars are not supported)'),
    ('a: b: c\n', 'line 1: a plain value cannot hold ": "'),
    ('a: "open\n', 'line 1: unterminated quoted text (multi-line scalars are not supported)'),
    ('&a key: 1\n', 'line 1: anchors, aliases, tags and block scalars are not supported'),
    ('a: &anchor 1\n', 'line 1: anchors, aliases, tags and block scalars are not supported'),
    ('a: |\n  text\n', 'line 1: anchors, aliases, tags and block scalars are not supported'),
    ('a: 1\n---\nb: 2\n', 'line 2: only one YAML document is supported'),
    ('a:\n\t- 1\n', 'line 2: a tab in the indentation'),
    ('- a\nb: 1\n', 'line 2: expected "- item"'),
    ('a: [1, 2] x\n', 'line 1: text after "]"'),
    ('a: "\\q"\n', 'line 1: unknown escape \\q'),
    ('a: {b}\n', 'line 1: expected "key: value" in "{...}"'),
])
def test_what_it_cannot_read_is_a_warning_naming_the_line(text, message):
    parsed = parse_netplan_yaml(text)
    assert parsed['document'] is None
    assert parsed['warnings'] == ['YAML %s' % message]


@pytest.mark.parametrize('data', [None, 42, b'\xff\xfe\x00garbage: [', '[' * 100000, 'a:\n' + ''.join(
    ' ' * depth + 'a:\n' for depth in range(1, 5000)), '- ' * 50000 + 'x\n', ': : :\n', '-\n-\n', '"\\'])
def test_never_raises(data):
    parsed = parse_netplan_yaml(data)
    assert set(parsed) == {'document', 'warnings'}
