# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.failed_backups (docs: plugins/modules/failed_backups.py).

The first step of the triage: one run of arm_info lists the failed backup jobs of the vaults (one jobs
request and one protected-items request per vault, whatever the fleet's size), then each VM concerned
is matched to its inventory host, if it has one.
"""
from __future__ import absolute_import, division, print_function

import datetime

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import api as azure_api
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import facts as azure_facts
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import plan as azure_plan
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure_action import (
    COMMON_SPEC, AzureReadAction, default_subscription, map_hosts)

__metaclass__ = type

ARGUMENT_SPEC = dict(
    COMMON_SPEC,
    vaults=dict(type='list', elements='str', required=True),
    hosts=dict(type='list', elements='str', default=[]),
)


def affected_vms(jobs, refs, names=()):
    """One entry per VM with failed jobs, newest job first, with its inventory host or None: the host that
    maps to the VM's id, else the one host named like the VM (inventories of names without resource groups)."""
    host_of = dict((ref['id'].lower(), name) for name, ref in refs.items())
    by_name = {}
    for name in names:
        if name not in refs:  # a host mapped to another VM of the same name is not this one
            by_name.setdefault(name.lower(), []).append(name)
    vms = {}
    for job in sorted(jobs, key=lambda job: job.get('start_time') or '', reverse=True):
        key = (job.get('vm_id') or job.get('vm_name') or '').lower()
        entry = vms.setdefault(key, {
            'vm_id': job.get('vm_id'), 'vm_name': job.get('vm_name'),
            'host': host_of.get((job.get('vm_id') or '').lower()), 'jobs': []})
        if entry['host'] is None and len(by_name.get((job.get('vm_name') or '').lower(), ())) == 1:
            entry['host'] = by_name[job['vm_name'].lower()][0]
        entry['jobs'].append(job)
    for entry in vms.values():
        entry['in_inventory'] = entry['host'] is not None
        entry['error_code'] = entry['jobs'][0].get('error_code')
    return sorted(vms.values(), key=lambda entry: (entry['vm_name'] or '').lower())


class ActionModule(AzureReadAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def problems(self, args):
        bad = [vault for vault in args['vaults'] if not azure_api.is_vault_id(vault)]
        problems = ['not a Recovery Services vault resource id: %s' % vault for vault in bad]
        if not args['vaults']:
            problems.append('vaults: give at least one Recovery Services vault resource id')
        return problems

    def act(self, args, task_vars):
        now = datetime.datetime.now(datetime.timezone.utc)
        responses, request_count = self.read(azure_plan.plan_job_requests(args['vaults'], args['days'], now),
                                             args, task_vars)
        jobs = azure_facts.failed_jobs(responses, args['days'], now)
        refs, _unmapped = map_hosts(args['hosts'], task_vars.get('hostvars') or {}, default_subscription(args['auth']))
        vms = affected_vms(jobs, refs, args['hosts'])
        return dict(vms=vms, failed_jobs=len(jobs), request_count=request_count,
                    msg='%d failed backup job(s) of %d VM(s) in the last %d day(s)' % (len(jobs), len(vms), args['days']))
