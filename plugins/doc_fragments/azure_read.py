# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options and attributes shared by the actions that read Azure Resource Manager from the controller
(plugin_utils/azure_action.py: control_plane_facts, failed_backups, backup_jobs_info, staggered_policies,
activity_log_info)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  days:
    description: How many days of backup jobs to read (1 to 90), where the action reads jobs.
    type: int
    default: 7
  auth:
    description:
      - Options of azure.azcollection's authentication handed to its client as they are (C(auth_source),
        C(profile), C(subscription_id), C(client_id), C(secret), C(tenant), C(cloud_environment), ...). Empty means
        azure.azcollection's own defaults (C(auth_source=auto)).
    type: dict
    default: {}
  concurrency:
    description: How many Azure requests are in flight at once (1 to 32).
    type: int
    default: 8
attributes:
  check_mode:
    support: full
    description: It only reads (GET requests).
  diff_mode:
    support: none
    description: It changes nothing.
  action:
    support: full
    description: Runs as an action plugin on the controller (it refuses another host).
  async:
    support: none
    description: Not supported.
  platform:
    support: full
    platforms: all
    description: Runs on the controller, which needs azure.azcollection and the Azure SDK.
notes:
  - Authentication is azure.azcollection's (environment variables C(AZURE_*), credential file, Azure CLI, managed
    identity; AWX's Microsoft Azure Resource Manager credential sets the environment), or the O(auth) options.
'''
