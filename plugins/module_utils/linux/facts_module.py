# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one main() of guest_info and the per-cause *_info modules (the only file here importing Ansible).

The argument specs mirror plugins/doc_fragments/facts.py.
"""
from __future__ import absolute_import, division, print_function

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.gather import (
    SECTIONS, gather_facts, validate_options)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import Host

__metaclass__ = type

COMMON_SPEC = dict(
    root=dict(type='path', default='/'),
    command_timeout=dict(type='float', default=10.0),
)
AGENT_SPEC = dict(
    log_tail_kib=dict(type='int', default=256),
)
CONNECTIVITY_SPEC = dict(
    assume_azure=dict(type='bool', default=False),
    wireserver=dict(type='str'),
    wireserver_ports=dict(type='list', elements='int'),
    imds=dict(type='str'),
    imds_port=dict(type='int'),
    https_endpoints=dict(type='list', elements='str'),
    proxy=dict(type='str'),
    ca_file=dict(type='path'),
    probe_timeout=dict(type='float'),
)
LOAD_SPEC = dict(
    load_samples=dict(type='int'),
    load_interval=dict(type='float'),
)
# Which option groups each section needs.
SECTION_SPECS = {
    'platform': (),
    'agent': (AGENT_SPEC,),
    'extension': (),
    'connectivity': (CONNECTIVITY_SPEC,),
    'dhcp': (),
    'load': (LOAD_SPEC,),
}


def argument_spec(section=None):
    """The module's argument spec: guest_info (section None) has every option plus ``gather``."""
    spec = dict(COMMON_SPEC)
    if section is None:
        for groups in SECTION_SPECS.values():
            for group in groups:
                spec.update(group)
        spec['gather'] = dict(type='list', elements='str', default=['all'],
                              choices=['all'] + list(SECTIONS))
    else:
        for group in SECTION_SPECS[section]:
            spec.update(group)
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
