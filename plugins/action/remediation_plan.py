# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.remediation_plan (docs: plugins/modules/remediation_plan.py).

Runs on the controller only: which fixes a host needs, from its diagnosis and the switches, and for the fixes
in Azure what they write, from the host's control-plane section.
"""
from __future__ import absolute_import, division, print_function

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import CAUSES, FIXES
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.controller_action import ControllerAction
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.remediation import PROXY_STATES, plan

__metaclass__ = type

ARGUMENT_SPEC = dict(
    diagnosis=dict(type='dict', default={}),
    variables=dict(type='dict', default={}),
    proxy_state=dict(type='str', choices=list(PROXY_STATES), default='unchanged'),
    run_tags=dict(type='list', elements='str', default=[]),
    azure=dict(type='dict'),
    fleet=dict(type='dict'),
)
SWITCH_PREFIX = 'remediate_'
# Tags a run may select: the causes, the fixes, and Ansible's own.
KNOWN_TAGS = ('all', 'always', 'tagged', 'untagged') + CAUSES + tuple(fix.name for fix in FIXES) + tuple(
    sorted(set(fix.role for fix in FIXES)))


def switches_from(variables):
    """{fix: bool} from the host's ``remediate_<fix>`` variables; a fix without one keeps the catalog's default."""
    switches = {}
    for fix in FIXES:
        value = variables.get(SWITCH_PREFIX + fix.name)
        if value is not None:
            try:
                switches[fix.name] = boolean(value, strict=True)
            except TypeError:
                raise AnsibleActionFail('%s%s must be a boolean, got %r' % (SWITCH_PREFIX, fix.name, value))
    return switches


def unknown_tags(run_tags):
    """The tags of ``run_tags`` that select nothing in the remediation (typos such as 'agnet')."""
    return [tag for tag in run_tags if tag not in KNOWN_TAGS]


class ActionModule(ControllerAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars=None):
        unknown = unknown_tags(args['run_tags'])
        if unknown:
            raise AnsibleActionFail('Unknown tag(s) %s: the remediation knows the causes (%s) and the fixes (%s)'
                                    % (', '.join(unknown), ', '.join(CAUSES), ', '.join(fix.name for fix in FIXES)))
        result = plan(args['diagnosis'], switches_from(args['variables']), args['proxy_state'], azure=args['azure'],
                      fleet=args['fleet'])
        result.update(known_tags=list(KNOWN_TAGS), changed=False)
        return result
