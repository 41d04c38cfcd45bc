# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.remediation_report (docs: plugins/modules/remediation_report.py).

Runs on the controller only: writes remediation.json and remediation.md (files 0600, directory 0700),
the before and after of every check paired by check id, each VM's verdict (fixed only when a backup job
succeeded after the fixes) and the run's writes in Azure with their request ids.
"""
from __future__ import absolute_import, division, print_function

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.controller_action import ControllerAction
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.remediation import (
    build, render_json, render_markdown)
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.report import write_private_files

__metaclass__ = type

ARGUMENT_SPEC = dict(
    hosts=dict(type='dict', required=True),
    writes=dict(type='list', elements='dict', default=[]),
    dest=dict(type='path', default='snapshot-doctor-report'),
)


class ActionModule(ControllerAction):
    # The comparison is the output of the run: written in check mode too (it says so).

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars=None):
        document = build(args['hosts'], self._task.check_mode, args['writes'])
        dest = os.path.abspath(args['dest'])
        try:
            files = write_private_files(dest, [('remediation.json', render_json(document)),
                                               ('remediation.md', render_markdown(document))])
        except OSError as exc:
            raise AnsibleActionFail('Cannot write the remediation report into %s: %s' % (dest, exc))
        return dict(changed=True, dest=dest, files=files, hosts=document['hosts'])
