# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DHCP facts: the primary interface and how each network configuration source sets it up.

Raw observations: one entry per interface stanza found in ifupdown, netplan, systemd-networkd,
NetworkManager, sysconfig ifcfg and cloud-init files, each with method dhcp/static/manual/other.
"""
from __future__ import absolute_import, division, print_function

import os
import re

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import (
    OFFLINE_MESSAGE, error, ok, skip)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import (
    ini_items, parse_netplan_yaml)

__metaclass__ = type

MAX_CONFIG_BYTES = 256 * 1024
IFF_UP = 0x1
RTF_UP = 0x1
IFUPDOWN_FILES = ('/etc/network/interfaces',)
IFUPDOWN_DIRS = ('/etc/network/interfaces.d',)
NETPLAN_DIRS = ('/lib/netplan', '/usr/lib/netplan', '/run/netplan', '/etc/netplan')
NETWORKD_DIRS = ('/lib/systemd/network', '/usr/lib/systemd/network', '/run/systemd/network',
                 '/etc/systemd/network')
NM_DIRS = ('/etc/NetworkManager/system-connections',)
IFCFG_DIRS = ('/etc/sysconfig/network-scripts', '/etc/sysconfig/network')
CLOUD_INIT_DIRS = ('/etc/cloud/cloud.cfg.d',)
CLOUD_INIT_FILES = ('/etc/cloud/cloud.cfg',)


def _entry(kind, path, interface, method, addresses=None, **extra):
    entry = {'kind': kind, 'file': path, 'interface': interface, 'method': method,
             'addresses': list(addresses or [])}
    entry.update(extra)
    return entry


class _Reader:
    """Reads configuration files under the host root; problems become error entries."""

    def __init__(self, host):
        self.host = host
        self.errors = []

    def text(self, path):
        text, _size, problem = self.host.read_text(path, max_bytes=MAX_CONFIG_BYTES)
        if problem:
            self.errors.append({'file': path, 'message': problem})
        return text

    def files(self, directories, pattern):
        found = []
        for directory in directories:
            names, problem = self.host.listdir(directory)
            if problem:
                self.errors.append({'file': directory, 'message': problem})
            found.extend(directory + '/' + name for name in names if re.match(pattern, name)
                         and not self.host.isdir(directory + '/' + name))
        return found

    def yaml(self, path, text=None):
        """The YAML document of ``path`` (or of ``text`` read from it), read with the collection's
        own parser so that every host reads it the same, PyYAML or not; None when unreadable."""
        text = self.text(path) if text is None else text
        if text is None:
            return None
        parsed = parse_netplan_yaml(text)
        if parsed['document'] is None and parsed['warnings']:
            self.errors.append({'file': path, 'message': '; '.join(parsed['warnings'])})
        return parsed['document']


# -- ifupdown ----------------------------------------------------------------------------------------
def parse_ifupdown(text, path):
    entries = []
    current = None
    for raw in text.splitlines():
        line = raw.split('#', 1)[0].strip()
        words = line.split()
        if not words:
            continue
        if words[0] == 'iface' and len(words) >= 4:
            if words[3] == 'loopback':
                current = None
                continue
            method = words[3] if words[3] in ('dhcp', 'static', 'manual') else 'other'
            current = _entry('ifupdown', path, words[1], method, family=words[2])
            entries.append(current)
        elif words[0] in ('auto', 'allow-hotplug', 'source', 'source-directory', 'mapping'):
            current = None
        elif current is not None and words[0] == 'address' and len(words) > 1:
            current['addresses'].append(words[1])
    return entries


def gather_ifupdown(reader):
    entries = []
    for path in list(IFUPDOWN_FILES) + reader.files(IFUPDOWN_DIRS, r'^[A-Za-z0-9_-]+$'):
        text = reader.text(path)
        if text is not None:
            entries.extend(parse_ifupdown(text, path))
    return entries


# -- netplan (and cloud-init network version 2, which is the same schema) ---------------------------
def netplan_entries(network, kind, path):
    entries = []
    if not isinstance(network, dict):
        return entries
    for group in ('ethernets', 'bonds', 'bridges', 'vlans'):
        devices = network.get(group) or {}
        if not isinstance(devices, dict):
            continue
        for device_id, device in sorted(devices.items()):
            device = device if isinstance(device, dict) else {}
            match = device.get('match') if isinstance(device.get('match'), dict) else {}
            interface = device.get('set-name') or match.get('name') or device_id
            addresses = [str(address) for address in device.get('addresses') or []
                         if ':' not in str(address)]  # IPv4 only: the backup needs IPv4
            if device.get('dhcp4') in (True, 'true', 'yes', 'on'):
                method = 'dhcp'
            elif addresses:
                method = 'static'
            else:
                method = 'other'
            entries.append(_entry(kind, path, str(interface), method, addresses, family='inet'))
    return entries


def gather_netplan(reader):
    entries = []
    by_name = {}
    # Files of the same name shadow each other (/etc over /run over /lib); netplan reads the rest in name order.
    for path in reader.files(NETPLAN_DIRS, r'^.*\.yaml$'):
        by_name[os.path.basename(path)] = path
    for name in sorted(by_name):
        document = reader.yaml(by_name[name])
        if isinstance(document, dict):
            entries.extend(netplan_entries(document.get('network'), 'netplan', by_name[name]))
    return entries


# -- systemd-networkd ----------------------------------------------------------------------------------
def parse_networkd(text, path):
    names, addresses, dhcp = [], [], None
    for section, key, value in ini_items(text):
        if section == 'Match' and key == 'Name':
            names.extend(value.split())
        elif section == 'Network' and key == 'DHCP':
            dhcp = value.lower()
        elif section in ('Network', 'Address') and key == 'Address' and ':' not in value:
            addresses.append(value)
    if dhcp in ('yes', 'true', 'ipv4', 'both', '1', 'on'):
        method = 'dhcp'
    elif addresses:
        method = 'static'
    else:
        method = 'other'
    return [_entry('networkd', path, name, method, addresses, family='inet') for name in (names or [None])]


def gather_networkd(reader):
    by_name = {}
    for path in reader.files(NETWORKD_DIRS, r'^.*\.network$'):
        by_name[os.path.basename(path)] = path
    entries = []
    for name in sorted(by_name):
        text = reader.text(by_name[name])
        if text is not None:
            entries.extend(parse_networkd(text, by_name[name]))
    return entries


# -- NetworkManager keyfiles ----------------------------------------------------------------------------
def parse_nmconnection(text, path):
    values = dict(((section, key), value) for section, key, value in ini_items(text))
    method_value = values.get(('ipv4', 'method'), 'auto')  # NetworkManager's default is auto (DHCP)
    method = {'auto': 'dhcp', 'manual': 'static'}.get(method_value, 'other')
    addresses = [value.split(',')[0] for (section, key), value in sorted(values.items())
                 if section == 'ipv4' and re.match(r'^address\d*$', key)]
    return [_entry('networkmanager', path, values.get(('connection', 'interface-name')), method,
                   addresses, family='inet', nm_method=method_value)]


def gather_networkmanager(reader):
    entries = []
    for path in reader.files(NM_DIRS, r'^.*\.nmconnection$'):
        text = reader.text(path)
        if text is not None:
            entries.extend(parse_nmconnection(text, path))
    return entries


# -- sysconfig ifcfg (RHEL, SUSE) ----------------------------------------------------------------------
def parse_ifcfg(text, path):
    values = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        values[key.strip()] = value.strip().strip('"\'')
    interface = values.get('DEVICE') or os.path.basename(path)[len('ifcfg-'):]
    if interface == 'lo':
        return []
    bootproto = values.get('BOOTPROTO', 'none').lower()
    addresses = [value for key, value in sorted(values.items()) if re.match(r'^IPADDR\d*$', key) and value]
    if bootproto.startswith('dhcp'):
        method = 'dhcp'
    elif bootproto in ('static', 'none', '') and addresses:
        method = 'static'
    else:
        method = 'other'
    return [_entry('ifcfg', path, interface, method, addresses, family='inet', bootproto=bootproto)]


def gather_ifcfg(reader):
    entries = []
    for path in reader.files(IFCFG_DIRS, r'^ifcfg-[^~]+$'):
        if path.endswith(('.bak', '.orig', '.rpmnew', '.rpmsave')):
            continue
        text = reader.text(path)
        if text is not None:
            entries.extend(parse_ifcfg(text, path))
    return entries


# -- cloud-init --------------------------------------------------------------------------------------------
def cloud_init_entries(network, path):
    if not isinstance(network, dict):
        return []
    if network.get('config') == 'disabled':
        return [_entry('cloud-init', path, None, 'other', note='network configuration disabled')]
    if network.get('version') == 2:
        return netplan_entries(network, 'cloud-init', path)
    entries = []
    for item in network.get('config') or []:
        if not isinstance(item, dict) or item.get('type') != 'physical':
            continue
        for subnet in item.get('subnets') or [{}]:
            subnet = subnet if isinstance(subnet, dict) else {}
            kind = str(subnet.get('type', ''))
            method = 'dhcp' if kind in ('dhcp', 'dhcp4') else 'static' if kind == 'static' else 'other'
            entries.append(_entry('cloud-init', path, item.get('name'), method,
                                  [subnet['address']] if subnet.get('address') else [], family='inet'))
    return entries


def only_top_level_key(text, key):
    """``text`` with every line blanked but those of the top-level ``key:`` (line numbers kept).

    cloud-init files hold much YAML besides the network (write_files with block scalars...) that
    the network check neither needs nor should fail on.
    """
    kept = []
    inside = False
    for line in text.split('\n'):
        if line[:1] not in ('', ' ', '\t', '#'):
            inside = re.match(r'%s\s*:' % re.escape(key), line) is not None
        kept.append(line if inside else '')
    return '\n'.join(kept)


def gather_cloud_init(reader):
    entries = []
    for path in list(CLOUD_INIT_FILES) + reader.files(CLOUD_INIT_DIRS, r'^.*\.cfg$'):
        text = reader.text(path)
        if text is None or not re.search(r'^network\s*:', text, re.MULTILINE):
            continue  # most cloud-init files say nothing about the network: no need for YAML
        document = reader.yaml(path, only_top_level_key(text, 'network'))
        if isinstance(document, dict):
            entries.extend(cloud_init_entries(document.get('network'), path))
    return entries


# -- primary interface ----------------------------------------------------------------------------------
def gather_primary_interface(host):
    if host.offline:
        return skip(OFFLINE_MESSAGE)
    text, _size, problem = host.read_text(os.path.join(host.proc_root, 'net', 'route'), real=True)
    if problem:
        return error(problem)
    for line in (text or '').splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 4 and fields[1] == '00000000':
            try:
                flags = int(fields[3], 16)
            except ValueError:
                continue
            if flags & RTF_UP:
                return ok(name=fields[0], source='default route')
    net = os.path.join(host.sys_root, 'class', 'net')
    names, problem = host.listdir(net, real=True)
    if problem:
        return error(problem)
    for name in names:
        if name == 'lo':
            continue
        flags_text, _size, _problem = host.read_text(os.path.join(net, name, 'flags'), real=True)
        try:
            flags = int((flags_text or '0').strip(), 16)
        except ValueError:
            continue
        if flags & IFF_UP:
            return ok(name=name, source='first up interface')
    return ok(name=None, source=None)


def gather_dhcp(host, platform=None, options=None):
    reader = _Reader(host)
    sources = []
    for gather in (gather_ifupdown, gather_netplan, gather_networkd, gather_networkmanager,
                   gather_ifcfg, gather_cloud_init):
        sources.extend(gather(reader))
    return ok(primary_interface=gather_primary_interface(host), sources=sources, errors=reader.errors)
