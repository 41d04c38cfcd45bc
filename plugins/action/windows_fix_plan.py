# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.windows_fix_plan (docs: plugins/modules/windows_fix_plan.py).

Runs on the controller only: what a Windows fix changes, computed from the diagnosis facts
(plugins/plugin_utils/windows/fixes.py).
"""
from __future__ import absolute_import, division, print_function

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.controller_action import ControllerAction
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.windows import fixes

__metaclass__ = type

FIXES = ('vss_writer_restart', 'vss_services', 'proxy', 'firewall', 'route', 'dhcp_rollback')
ARGUMENT_SPEC = dict(
    fix=dict(type='str', required=True, choices=list(FIXES)),
    facts=dict(type='dict', default={}),
    proxy_url=dict(type='str', default=''),
    wireserver=dict(type='str', default=defaults.WIRESERVER_ADDRESS),
    imds=dict(type='str', default=defaults.IMDS_ADDRESS),
    gateway=dict(type='str', default=''),
    current=dict(type='dict', default={}),
    timeout=dict(type='int', default=180),
)


def compute(args):
    """The plan of one fix; FixError when the facts or options do not allow it."""
    fix, facts = args['fix'], args['facts']
    if fix == 'vss_writer_restart':
        return fixes.vss_writer_restarts(facts)
    if fix == 'vss_services':
        return fixes.vss_service_settings(facts)
    if fix == 'proxy':
        return fixes.proxy_settings(args['proxy_url'], args['wireserver'] or defaults.WIRESERVER_ADDRESS,
                                    args['imds'] or defaults.IMDS_ADDRESS)
    if fix == 'firewall':
        return fixes.firewall_rules_to_disable(facts)
    if fix == 'route':
        return fixes.route_plan(facts, args['gateway'])
    return fixes.dhcp_rollback_plan(facts, args['current'], args['timeout'])


class ActionModule(ControllerAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars=None):
        try:
            plan = compute(args)
        except fixes.FixError as exc:
            raise AnsibleActionFail('%s: %s' % (args['fix'], exc))
        return {'plan': plan, 'changed': False}
