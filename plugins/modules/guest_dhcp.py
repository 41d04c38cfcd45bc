#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Switch the primary interface's guest network configuration from a static address to DHCP."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: guest_dhcp
short_description: Switch the primary interface of an Azure Linux VM from a static IPv4 address to DHCP
version_added: 0.1.0
description:
  - On Azure the VM's private address belongs on the platform's NIC; a static address in the guest breaks
    the agent's DHCP-based discovery of the wireserver and, with it, backup snapshots.
  - Finds every network configuration source that gives the interface a static IPv4 address (ifupdown,
    netplan, systemd-networkd, NetworkManager keyfiles, sysconfig ifcfg) with the collection's DHCP facts,
    and rewrites each to DHCP, keeping everything else. cloud-init's own network configuration is reported,
    not changed.
  - Every changed file is first copied to O(backup_dir)C(/<id>/).
  - Netplan files are read with the collection's own parser (as the facts read them) but written back with
    PyYAML, which the host needs for that; the rewritten file keeps its settings, not its comments.
  - When the manager of a changed file is running, the new configuration is applied by a detached helper a
    few seconds after the module returns, guarded by a timed rollback - unless the same module is called
    with O(confirm) set to the returned RV(rollback_id) within O(rollback_timeout) seconds (which proves the
    host is still reachable), the helper restores the backups and applies them again.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  interface:
    description: The interface to switch; default the primary one (of the default route, else the first up).
    type: str
  apply:
    description: Apply the new configuration to the running system (with the timed rollback); V(false) only edits files.
    type: bool
    default: true
  rollback_timeout:
    description: Seconds the helper waits for the confirmation before it rolls back (30 to 3600).
    type: int
    default: 180
  backup_dir:
    description: Where the backups and the rollback state are kept (mode 0700).
    type: path
    default: /var/backups/snapshot-doctor
  confirm:
    description:
      - The RV(rollback_id) of an earlier run; confirms that the host is still reachable, which cancels the
        rollback. With this option nothing else is done.
    type: str
attributes:
  check_mode:
    support: full
    description: Reports the files that would change, with their diff.
  diff_mode:
    support: full
    description: Returns each file before and after.
  platform:
    support: full
    platforms: linux
    description: Linux hosts.
'''

EXAMPLES = r'''
- name: Switch the primary interface to DHCP
  azure_backup.snapshot_doctor.guest_dhcp:
  register: dhcp

- name: Wait until the host answers again
  ansible.builtin.wait_for_connection:
    delay: 5
    timeout: 120
  when: dhcp.rollback_id

- name: Keep the new configuration
  azure_backup.snapshot_doctor.guest_dhcp:
    confirm: "{{ dhcp.rollback_id }}"
  when: dhcp.rollback_id
'''

RETURN = r'''
interface:
  description: The interface switched.
  returned: always
  type: str
  sample: eth0
files:
  description: The files changed (or that would be), each with its kind and backup.
  returned: always
  type: list
  elements: dict
  sample: [{"file": "/etc/network/interfaces", "kind": "ifupdown", "backup": "/var/backups/snapshot-doctor/20261122T040000Z/etc/network/interfaces"}]
unchanged:
  description: Static sources the module does not rewrite (cloud-init), with the reason.
  returned: always
  type: list
  elements: dict
rollback_id:
  description: The id to confirm; empty when nothing was applied to the running system.
  returned: always
  type: str
apply_commands:
  description: The commands the helper runs to apply the new configuration (and, on rollback, the old one).
  returned: always
  type: list
  elements: list
'''

import json
import os
import re
import shutil
import sys
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import files
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import dhcp as dhcp_facts
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import Host
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import parse_netplan_yaml

try:
    import yaml
    HAS_YAML = True
except ImportError:
    HAS_YAML = False

APPLY_DELAY_SECONDS = 3
# Fixed program, run detached: data comes from the manifest file, never from a command string.
HELPER = r'''
import json, os, shutil, subprocess, sys, time


def detach():
    # Leave the caller's process group and pipes, so that the caller returns at once.
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def main(manifest_path):
    with open(manifest_path) as handle:
        manifest = json.load(handle)

    def state(value):
        with open(manifest['state_file'] + '.tmp', 'w') as handle:
            handle.write(value)
        os.rename(manifest['state_file'] + '.tmp', manifest['state_file'])

    def run_all():
        for argv in manifest['apply']:
            try:
                subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, timeout=90)
            except Exception:
                pass

    time.sleep(manifest['delay'])
    run_all()
    deadline = time.time() + manifest['timeout']
    while time.time() < deadline:
        if os.path.exists(manifest['confirm_file']):
            state('confirmed')
            return
        time.sleep(1)
    for item in manifest['files']:
        shutil.copy2(item['backup'], item['file'])
    run_all()
    state('rolled_back')


if '--detach' in sys.argv:
    detach()
main(sys.argv[1])
'''

IFUPDOWN_STATIC_OPTIONS = ('address', 'netmask', 'gateway', 'broadcast', 'network', 'pointopoint')


# -- rewriting, one pure function per kind: (text, interface) -> new text ------------------------------
def rewrite_ifupdown(text, interface):
    out = []
    inside = False
    for line in text.splitlines():
        words = line.split('#', 1)[0].split()
        if words[:1] == ['iface']:
            inside = len(words) >= 4 and words[1] == interface and words[2] == 'inet' and words[3] == 'static'
            if inside:
                line = re.sub(r'\binet(\s+)static\b', r'inet\1dhcp', line, count=1)
        elif words[:1] and words[0] in ('auto', 'allow-hotplug', 'source', 'source-directory', 'mapping'):
            inside = False
        elif inside and words[:1] and words[0] in IFUPDOWN_STATIC_OPTIONS:
            continue
        out.append(line)
    return '\n'.join(out) + '\n'


def rewrite_netplan(text, interface):
    """Read with the collection's netplan parser, as the facts read it (PyYAML would turn a MAC address
    like 12:34:56:12:34:56 into a number); written back with PyYAML's safe_dump, which drops comments."""
    if not HAS_YAML:
        raise ValueError('PyYAML is not installed: cannot write netplan YAML')
    parsed = parse_netplan_yaml(text)
    if parsed['document'] is None and parsed['warnings']:
        raise ValueError('; '.join(parsed['warnings']))
    document = parsed['document'] or {}
    if not isinstance(document, dict) or not isinstance(document.get('network') or {}, dict):
        raise ValueError('not a netplan document: "network" is not a mapping')
    network = document.get('network') or {}
    for group in ('ethernets', 'bonds', 'bridges', 'vlans'):
        for device_id, device in (network.get(group) or {}).items():
            if not isinstance(device, dict):
                continue
            match = device.get('match') if isinstance(device.get('match'), dict) else {}
            if (device.get('set-name') or match.get('name') or device_id) != interface:
                continue
            device['dhcp4'] = True
            addresses = [a for a in device.get('addresses') or [] if ':' in str(a)]  # keep IPv6
            if addresses:
                device['addresses'] = addresses
            else:
                device.pop('addresses', None)
            device.pop('gateway4', None)
            routes = [r for r in device.get('routes') or []
                      if not (isinstance(r, dict) and r.get('to') in ('default', '0.0.0.0/0'))]
            if routes:
                device['routes'] = routes
            else:
                device.pop('routes', None)
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=False)


def _is_ipv4(value):
    return ':' not in value.split('/')[0] and bool(re.match(r'^[0-9.]+(/[0-9]+)?$', value.strip()))


def rewrite_networkd(text, interface):
    out = []
    section = None
    has_dhcp = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith('[') and stripped.endswith(']'):
            if section == 'Network' and not has_dhcp:
                out.append('DHCP=ipv4')
                has_dhcp = True
            section = stripped[1:-1]
        elif '=' in stripped and not stripped.startswith(('#', ';')):
            key, value = [part.strip() for part in stripped.split('=', 1)]
            if section in ('Network', 'Address') and key in ('Address', 'Gateway') and _is_ipv4(value):
                continue
            if section == 'Network' and key == 'DHCP':
                line = 'DHCP=yes' if value.lower() in ('ipv6', 'yes', 'true', 'both') else 'DHCP=ipv4'
                has_dhcp = True
        out.append(line)
    if section == 'Network' and not has_dhcp:
        out.append('DHCP=ipv4')
    # An [Address] section left empty is harmless but noisy: drop it.
    text = '\n'.join(out) + '\n'
    return re.sub(r'(?m)^\[Address\]\n(?=\[|\Z)', '', text)


def rewrite_networkmanager(text, interface):
    out = []
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith('[') and stripped.endswith(']'):
            section = stripped[1:-1]
        elif section == 'ipv4' and '=' in stripped:
            key = stripped.split('=', 1)[0].strip()
            if key == 'method':
                line = 'method=auto'
            elif re.match(r'^(address|addresses)\d*$', key) or key == 'gateway':
                continue
        out.append(line)
    return '\n'.join(out) + '\n'


def rewrite_ifcfg(text, interface):
    out = []
    for line in text.splitlines():
        key = line.split('=', 1)[0].strip() if '=' in line and not line.strip().startswith('#') else None
        if key == 'BOOTPROTO':
            line = 'BOOTPROTO=dhcp'
        elif key and re.match(r'^(IPADDR|PREFIX|NETMASK|GATEWAY)\d*$', key):
            continue
        out.append(line)
    if not any(line.startswith('BOOTPROTO=') for line in out):
        out.append('BOOTPROTO=dhcp')
    return '\n'.join(out) + '\n'


REWRITERS = {
    'ifupdown': rewrite_ifupdown,
    'netplan': rewrite_netplan,
    'networkd': rewrite_networkd,
    'networkmanager': rewrite_networkmanager,
    'ifcfg': rewrite_ifcfg,
}


# -- applying -----------------------------------------------------------------------------------------
def _active(module, unit):
    systemctl = module.get_bin_path('systemctl')
    if not systemctl:
        return False
    return module.run_command([systemctl, 'is-active', '--quiet', unit])[0] == 0


def apply_commands(module, kinds, interface):
    """argv lists that make the running system use the (new or restored) files; [] when nothing runs them."""
    commands = []
    if 'ifupdown' in kinds and os.path.exists('/run/network/ifstate.%s' % interface):
        ifdown, ifup, ip = (module.get_bin_path(name) for name in ('ifdown', 'ifup', 'ip'))
        if ifdown and ifup and ip:
            commands += [[ifdown, '--force', interface], [ip, '-4', 'addr', 'flush', 'dev', interface],
                         [ifup, interface]]
    if 'netplan' in kinds and module.get_bin_path('netplan'):
        commands.append([module.get_bin_path('netplan'), 'apply'])
    if 'networkd' in kinds and _active(module, 'systemd-networkd'):
        networkctl = module.get_bin_path('networkctl')
        if networkctl:
            commands += [[networkctl, 'reload'], [networkctl, 'reconfigure', interface]]
    if ('networkmanager' in kinds or 'ifcfg' in kinds) and _active(module, 'NetworkManager'):
        nmcli = module.get_bin_path('nmcli')
        if nmcli:
            commands += [[nmcli, 'connection', 'reload'], [nmcli, 'device', 'reapply', interface]]
    return commands


def start_helper(module, manifest_path, rollback_id):
    """Run the helper outside this module's process and ssh session; returns at once."""
    systemd_run = module.get_bin_path('systemd-run')
    argv = [sys.executable, '-c', HELPER, manifest_path]
    if systemd_run and os.path.isdir('/run/systemd/system'):
        # A transient service: survives the end of the ssh session and is visible in systemctl.
        argv = [systemd_run, '--quiet', '--collect', '--unit', 'snapshot-doctor-dhcp-%s' % rollback_id, '--'] + argv
    else:
        argv.append('--detach')
    rc, out, err = module.run_command(argv)
    if rc != 0:
        raise OSError('could not start the rollback helper: %s' % (err or out).strip())


def replace_file(path, text):
    """Atomically replace ``path`` with ``text``, keeping its mode and owner (raises OSError).

    Not module.atomic_move: that ends the module on failure, before the files already written
    could be restored.
    """
    info = os.stat(path)
    tmp_path = files.temp_path_beside(path)
    try:
        files.write_file(tmp_path, text)
        os.chown(tmp_path, info.st_uid, info.st_gid)
        os.chmod(tmp_path, info.st_mode & 0o7777)
        os.rename(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


def read_config(host, path):
    """The text of the configuration file ``path`` (raises ValueError).

    Through the Host, like the facts: only a regular file is read (a FIFO would block the module).
    Bytes that are not UTF-8 are kept as surrogates, so that writing the text back restores them.
    """
    data, size, problem = host.read_bytes(path, max_bytes=dhcp_facts.MAX_CONFIG_BYTES)
    if problem:
        raise ValueError(problem)
    if data is None:
        raise ValueError('%s: no longer exists' % path)
    if size > len(data):
        raise ValueError('%s: larger than %d bytes, not a network configuration file' % (path, len(data)))
    return to_text(data, errors='surrogate_or_strict')


def confirm(module, backup_dir, rollback_id):
    if not re.match(r'^[0-9TZ-]+$', rollback_id):
        module.fail_json(msg='confirm must be a rollback id returned by this module, got %r' % rollback_id)
    directory = os.path.join(backup_dir, rollback_id)
    state_file = os.path.join(directory, 'state')
    if not os.path.exists(state_file):
        module.fail_json(msg='No pending DHCP change %s under %s' % (rollback_id, backup_dir))
    with open(state_file) as handle:
        state = handle.read().strip()
    if state == 'rolled_back':
        module.fail_json(msg='The DHCP change %s was already rolled back: the host was not confirmed '
                             'reachable in time. The backups are in %s.' % (rollback_id, directory))
    if state == 'confirmed':
        module.exit_json(changed=False, state=state, rollback_id=rollback_id)
    if module.check_mode:
        module.exit_json(changed=True, state=state, rollback_id=rollback_id)
    files.write_file(os.path.join(directory, 'confirmed'), 'confirmed\n')
    for dummy in range(10):  # the helper polls every second
        with open(state_file) as handle:
            state = handle.read().strip()
        if state != 'pending':
            break
        time.sleep(1)
    if state != 'confirmed':
        module.fail_json(msg='The rollback helper did not confirm (state %s); check %s' % (state, directory))
    module.exit_json(changed=True, state=state, rollback_id=rollback_id)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type='str'),
            apply=dict(type='bool', default=True),
            rollback_timeout=dict(type='int', default=180),
            backup_dir=dict(type='path', default='/var/backups/snapshot-doctor'),
            confirm=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params['confirm']:
        confirm(module, params['backup_dir'], params['confirm'])
    if not 30 <= params['rollback_timeout'] <= 3600:
        module.fail_json(msg='rollback_timeout must be between 30 and 3600 seconds, got %d' % params['rollback_timeout'])

    host = Host()
    interface = params['interface']
    if not interface:
        primary = dhcp_facts.gather_primary_interface(host)
        interface = primary.get('name')
        if not interface:
            module.fail_json(msg='Cannot tell the primary interface (%s); set interface'
                                 % primary.get('message', 'no interface is up'))
    if not re.match(r'^[A-Za-z0-9_.:@-]{1,15}$', interface):
        module.fail_json(msg='Invalid interface name %r' % interface)

    facts = dhcp_facts.gather_dhcp(host)
    static = [entry for entry in facts.get('sources', [])
              if entry.get('interface') == interface and entry.get('method') == 'static']
    plans = []
    unchanged = []
    for entry in static:
        rewrite = REWRITERS.get(entry['kind'])
        if rewrite is None:
            unchanged.append({'file': entry['file'], 'kind': entry['kind'],
                              'reason': 'change the static address in %s yourself' % entry['kind']})
            continue
        path = entry['file']
        if any(plan['file'] == path for plan in plans):
            continue
        try:
            before = read_config(host, path)
            after = rewrite(before, interface)
        except Exception as exc:  # unreadable, malformed YAML...: refuse before touching anything
            module.fail_json(msg='Cannot rewrite %s (%s) before any change: %s' % (path, entry['kind'], to_native(exc)))
        if after != before:
            plans.append({'file': path, 'kind': entry['kind'], 'before': before, 'after': after})

    result = dict(changed=bool(plans), interface=interface, unchanged=unchanged, rollback_id='',
                  files=[{'file': plan['file'], 'kind': plan['kind']} for plan in plans], apply_commands=[])
    for message in facts.get('errors', []):
        module.warn('%s: %s' % (message.get('file'), message.get('message')))
    if module._diff:
        result['diff'] = [dict(before=plan['before'], after=plan['after'], before_header=plan['file'],
                               after_header=plan['file']) for plan in plans]
    if not plans:
        module.exit_json(**result)
    commands = apply_commands(module, set(plan['kind'] for plan in plans), interface) if params['apply'] else []
    result['apply_commands'] = commands
    if module.check_mode:
        module.exit_json(**result)

    rollback_id = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime()) + '-%d' % os.getpid()
    directory = os.path.join(params['backup_dir'], rollback_id)
    try:
        os.makedirs(directory, 0o700)
        os.chmod(params['backup_dir'], 0o700)
        for plan, item in zip(plans, result['files']):
            backup = os.path.join(directory, 'files', plan['file'].lstrip('/'))
            os.makedirs(os.path.dirname(backup), 0o700, exist_ok=True)
            shutil.copy2(plan['file'], backup)
            item['backup'] = backup
    except (IOError, OSError) as exc:
        module.fail_json(msg='Cannot back up before the change (nothing was changed): %s' % to_native(exc))

    written = []
    try:
        for plan in plans:
            replace_file(plan['file'], plan['after'])
            written.append(plan)
    except (IOError, OSError) as exc:
        failed_file = plan['file']
        for done, item in zip(written, result['files']):
            shutil.copy2(item['backup'], done['file'])
        module.fail_json(msg='Writing %s failed, the files written were restored: %s'
                             % (failed_file, to_native(exc)))

    if commands:
        manifest = {'files': [{'file': item['file'], 'backup': item['backup']} for item in result['files']],
                    'apply': commands, 'delay': APPLY_DELAY_SECONDS, 'timeout': params['rollback_timeout'],
                    'confirm_file': os.path.join(directory, 'confirmed'),
                    'state_file': os.path.join(directory, 'state')}
        manifest_path = os.path.join(directory, 'manifest.json')
        files.write_file(manifest_path, json.dumps(manifest, indent=2))
        files.write_file(manifest['state_file'], 'pending')
        try:
            start_helper(module, manifest_path, rollback_id)
        except (IOError, OSError) as exc:
            for item in result['files']:
                shutil.copy2(item['backup'], item['file'])
            module.fail_json(msg='Could not start the rollback helper, the files were restored: %s' % to_native(exc))
        result['rollback_id'] = rollback_id
    else:
        files.write_file(os.path.join(directory, 'state'), 'confirmed')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
