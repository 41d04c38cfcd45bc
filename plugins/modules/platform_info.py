#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform section of guest_info as its own module."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: platform_info
short_description: Gather the platform facts of a Linux VM (distribution, Azure DMI identity)
version_added: 0.1.0
description:
  - Reads C(/etc/os-release) and the DMI identity (C(sys_vendor), C(product_name),
    C(chassis_asset_tag)) that tells an Azure VM.
  - Returns raw observations only (see C(docs/facts.md)); M(azure_backup.snapshot_doctor.guest_info)
    gathers every section at once.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options: {}
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.facts
'''

EXAMPLES = r'''
- name: Is this an Azure VM?
  azure_backup.snapshot_doctor.platform_info:
  register: result

- name: Show it
  ansible.builtin.debug:
    var: result.platform.azure_dmi
'''

RETURN = r'''
platform:
  description:
    - 'Distribution, DMI identity and whether it is Azure''s, kernel and Python versions.'
    - Every observation carries C(result) (V(ok), V(skip) or V(error)) and, unless V(ok), a C(message).
  returned: always
  type: dict
'''

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.facts_module import run_module


def main():
    run_module('platform')


if __name__ == '__main__':
    main()
