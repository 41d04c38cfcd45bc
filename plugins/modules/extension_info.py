#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The extension section of guest_info as its own module."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: extension_info
short_description: Gather the facts of the VM snapshot (backup) extension on a Linux VM
version_added: 0.1.0
description:
  - Lists the C(Microsoft.Azure.RecoveryServices.VMSnapshotLinux-<version>) handler directories
    under C(/var/lib/waagent) and reads the newest C(status/<n>.status) file of each.
  - Returns raw observations only (see C(docs/facts.md)); M(azure_backup.snapshot_doctor.guest_info)
    gathers every section at once.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options: {}
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.facts
'''

EXAMPLES = r'''
- name: Read the extension facts
  azure_backup.snapshot_doctor.extension_info:
  become: true
  register: result
'''

RETURN = r'''
extension:
  description:
    - 'Handlers on disk (oldest first) with their newest status, and the newest version.'
    - Every observation carries C(result) (V(ok), V(skip) or V(error)) and, unless V(ok), a C(message).
  returned: always
  type: dict
'''

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.facts_module import run_module


def main():
    run_module('extension')


if __name__ == '__main__':
    main()
