# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes shared by the controller-only actions (diagnose_report, remediation_plan, remediation_report)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # An action plugin that runs on the controller alone: no module is sent to the host.
    DOCUMENTATION = r'''
attributes:
  action:
    support: full
    description: Runs as an action plugin on the controller; no module is sent to a host.
  async:
    support: none
    description: Not supported; it returns at once.
  bypass_host_loop:
    support: none
    description: Runs once per host; use C(run_once) where one result is wanted.
  diff_mode:
    support: none
    description: Writes no file on a host, so there is no diff.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
'''
