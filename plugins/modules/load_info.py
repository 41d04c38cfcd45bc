#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The load section of guest_info as its own module."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: load_info
short_description: Sample CPU and memory use of a Linux VM over a short window
version_added: 0.1.0
description:
  - Samples CPU and memory use several times (psutil when installed, else C(/proc/stat) and
    C(/proc/meminfo)).
  - Returns raw observations only (see C(docs/facts.md)); M(azure_backup.snapshot_doctor.guest_info)
    gathers every section at once.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options: {}
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.facts
  - azure_backup.snapshot_doctor.facts.load
'''

EXAMPLES = r'''
- name: Sample the load ten times, half a second apart
  azure_backup.snapshot_doctor.load_info:
    load_samples: 10
    load_interval: 0.5
  register: result
'''

RETURN = r'''
load:
  description:
    - 'Method, samples, interval, CPU and memory percentages, CPU count and load average.'
    - Every observation carries C(result) (V(ok), V(skip) or V(error)) and, unless V(ok), a C(message).
  returned: always
  type: dict
'''

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.facts_module import run_module


def main():
    run_module('load')


if __name__ == '__main__':
    main()
