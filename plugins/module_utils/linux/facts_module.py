# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one main() of guest_info and the per-cause *_info modules (the only file here importing Ansible).

The argument specs come from the option table (``options.py``); a unit test checks them against
plugins/doc_fragments/facts.py.
"""
from __future__ import absolute_import, division, print_function

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import options as option_table
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.gather import (
    SECTIONS, gather_facts, validate_options)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import Host

__metaclass__ = type

# The option groups (doc fragments) each section needs besides the common ones.
SECTION_GROUPS = {
    'platform': (),
    'agent': ('agent',),
    'extension': (),
    'connectivity': ('connectivity',),
    'dhcp': (),
    'load': ('load',),
}
# The module-only spelling of the IMDS port (the action splits `imds` into address and port).
IMDS_PORT_SPEC = dict(imds_port=dict(type='int'))


def argument_spec(section=None):
    """The module's argument spec: guest_info (section None) has every option plus ``gather``."""
    groups = ['common']
    for name, needed in SECTION_GROUPS.items():
        if section is None or name == section:
            groups.extend(needed)
    spec = option_table.argument_spec(option_table.select(where='host', groups=groups))
    if 'connectivity' in groups:
        spec.update(IMDS_PORT_SPEC)
    if section is None:
        spec['gather'] = dict(type='list', elements='str', default=['all'],
                              choices=['all'] + list(SECTIONS))
    return spec


def run_module(section=None):
    """guest_info when ``section`` is None (returns ``facts``), else the section's *_info module."""
    module = AnsibleModule(argument_spec=argument_spec(section), supports_check_mode=True)
    options = dict(module.params)
    if section is not None:
        options['gather'] = [section]
    problems = validate_options(options)
    if problems:
        module.fail_json(msg='invalid options: %s' % '; '.join(problems))
    if os.geteuid() != 0:
        module.warn('not running as root: some facts will be permission errors (use become)')
    host = Host(root=options['root'], command_timeout=options['command_timeout'])
    facts = gather_facts(options, host=host)
    for name in facts['gathered']:
        if facts[name].get('result') == 'error':
            module.warn('section %s could not be gathered: %s' % (name, facts[name].get('message')))
    if section is None:
        module.exit_json(changed=False, facts=facts)
    module.exit_json(changed=False, **{section: facts[section]})
