# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.control_plane_facts (docs: plugins/modules/control_plane_facts.py).

Runs once, on the controller: maps the run's inventory hosts to Azure VMs (plugin_utils/azure/plan.py),
reads what Azure says about them with ONE run of the arm_info module (list calls per subscription and per
vault, instance views only for these VMs), and returns each host's `azure` facts section
(plugin_utils/azure/facts.py) and the fleet stage's context. The per-host diagnose action evaluates the
sections beside the guest's facts.
"""
from __future__ import absolute_import, division, print_function

import datetime

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import facts as azure_facts
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import plan as azure_plan
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure_action import (
    COMMON_SPEC, AzureReadAction, default_subscription, map_hosts)

__metaclass__ = type

ARGUMENT_SPEC = dict(
    COMMON_SPEC,
    hosts=dict(type='list', elements='str', required=True),
    vaults=dict(type='list', elements='str', default=[]),
)


class ActionModule(AzureReadAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars):
        now = datetime.datetime.now(datetime.timezone.utc)
        refs, sections = map_hosts(args['hosts'], task_vars.get('hostvars') or {}, default_subscription(args['auth']))
        # Round 1 lists what the run's VMs need; round 2 what round 1 revealed (their restore point collections,
        # the vaults of their regions): one arm_info run each.
        responses, request_count = {}, 0
        for _round in range(azure_plan.ROUNDS):
            requests = azure_plan.plan_requests(list(refs.values()), vault_ids=args['vaults'] or None,
                                                days=args['days'], now=now, responses=responses)
            answers, count = self.read(requests, args, task_vars)
            responses.update(answers)
            request_count += count
        sections.update(azure_facts.control_plane_facts(refs, responses, now, args['days']))
        return dict(hosts=sections, fleet=azure_facts.fleet_context(responses, refs),
                    request_count=request_count, mapped=len(refs))
