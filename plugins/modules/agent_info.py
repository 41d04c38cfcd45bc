#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent section of guest_info as its own module."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: agent_info
short_description: Gather the facts of the Azure Linux agent (WALinuxAgent)
version_added: 0.1.0
description:
  - Reads the agent package, executable, C(waagent -version), goal-state agent directories, the
    systemd unit (C(systemctl show)), the C(-daemon) and C(-run-exthandlers) processes,
    C(/etc/waagent.conf) and the error lines at the end of C(/var/log/waagent.log).
  - Returns raw observations only (see C(docs/facts.md)); M(azure_backup.snapshot_doctor.guest_info)
    gathers every section at once.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options: {}
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.facts
  - azure_backup.snapshot_doctor.facts.agent
'''

EXAMPLES = r'''
- name: Read the agent facts
  azure_backup.snapshot_doctor.agent_info:
  become: true
  register: result

- name: Read them from a mounted OS disk
  azure_backup.snapshot_doctor.agent_info:
    root: /rescue
  become: true
'''

RETURN = r'''
agent:
  description:
    - 'Agent observations: names, package, executable, version, goal_state_dirs, service, processes, config, log.'
    - Every observation carries C(result) (V(ok), V(skip) or V(error)) and, unless V(ok), a C(message).
  returned: always
  type: dict
'''

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.facts_module import run_module


def main():
    run_module('agent')


if __name__ == '__main__':
    main()
