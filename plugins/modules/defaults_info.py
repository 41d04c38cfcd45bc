#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hand the collection's platform knowledge (names, paths, endpoints) to the roles."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: defaults_info
short_description: The agent's package, unit, paths and platform endpoints for a Linux distribution
version_added: 0.1.0
description:
  - Returns the names and paths the remediation roles act on, from the collection's one table of platform
    knowledge, so that no role repeats them in YAML - the agent's package and systemd unit for the
    distribution, whether the collection supports that distribution, the agent's files, and the
    wireserver and instance metadata service addresses.
  - Reads nothing on the host and changes nothing.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  distribution:
    description: The distribution, as in C(ansible_facts['distribution']) (for example C(Debian), C(Ubuntu)).
    type: str
    required: true
  os_family:
    description: The OS family, as in C(ansible_facts['os_family']) (for example C(Debian), C(RedHat), C(Suse)).
    type: str
    required: true
attributes:
  check_mode:
    support: full
    description: Reads nothing and changes nothing.
  diff_mode:
    support: none
    description: Returns no diff.
  platform:
    support: full
    platforms: posix
    description: POSIX hosts.
'''

EXAMPLES = r'''
- name: Look up the agent's names for this host
  azure_backup.snapshot_doctor.defaults_info:
    distribution: "{{ ansible_facts['distribution'] }}"
    os_family: "{{ ansible_facts['os_family'] }}"
  register: __agent_defaults
'''

RETURN = r'''
defaults:
  description: The names, paths and endpoints.
  returned: always
  type: dict
  contains:
    supported:
      description: Whether the remediation roles know this distribution's agent package and unit.
      type: bool
    agent_package:
      description: The distribution's package of the Azure Linux agent.
      type: str
      sample: waagent
    agent_service:
      description: The agent's systemd unit name, without C(.service).
      type: str
      sample: walinuxagent
    waagent_conf:
      description: The agent's configuration file.
      type: str
      sample: /etc/waagent.conf
    waagent_lib_dir:
      description: The agent's state directory.
      type: str
    waagent_log:
      description: The agent's log file.
      type: str
    extension_log_root:
      description: Where extensions log.
      type: str
    environment_file:
      description: The system-wide environment file that carries C(http_proxy).
      type: str
    wireserver_address:
      description: The Azure wireserver's address.
      type: str
      sample: 168.63.129.16
    wireserver_ports:
      description: The wireserver's ports.
      type: list
      elements: int
    imds_address:
      description: The instance metadata service's address.
      type: str
      sample: 169.254.169.254
    imds_port:
      description: The instance metadata service's port.
      type: int
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults


def role_defaults(distribution, os_family):
    names = defaults.agent_names(distribution, os_family)
    return {
        'supported': (os_family or '').strip().lower() in defaults.SUPPORTED_AGENT_FAMILIES,
        'agent_package': names['package'],
        'agent_service': names['service'],
        'waagent_conf': defaults.WAAGENT_CONF,
        'waagent_lib_dir': defaults.WAAGENT_LIB_DIR,
        'waagent_log': defaults.WAAGENT_LOG,
        'extension_log_root': defaults.EXTENSION_LOG_ROOT,
        'environment_file': defaults.ENVIRONMENT_FILE,
        'wireserver_address': defaults.WIRESERVER_ADDRESS,
        'wireserver_ports': list(defaults.WIRESERVER_PORTS),
        'imds_address': defaults.IMDS_ADDRESS,
        'imds_port': defaults.IMDS_PORT,
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            distribution=dict(type='str', required=True),
            os_family=dict(type='str', required=True),
        ),
        supports_check_mode=True,
    )
    module.exit_json(changed=False, defaults=role_defaults(module.params['distribution'],
                                                           module.params['os_family']))


if __name__ == '__main__':
    main()
