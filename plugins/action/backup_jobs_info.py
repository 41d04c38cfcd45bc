# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.backup_jobs_info (docs: plugins/modules/backup_jobs_info.py).

Runs once, on the controller, after the on-demand backups started: azure_rm_backupazurevm discards the job's
id, so each VM's job is the newest Backup job of that VM in its vault that started after the POST. One run of
the arm_info module reads each vault's Azure VM backup jobs since the earliest POST (one request per vault,
whatever the number of VMs); the backup role calls it in an until loop.
"""
from __future__ import absolute_import, division, print_function

import datetime

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import api as azure_api
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import fixes as azure_fixes
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure_action import (
    COMMON_SPEC, AzureReadAction)

__metaclass__ = type

BACKUP_SPEC = dict(
    host=dict(type='str', required=True),
    vm_id=dict(type='str', required=True),
    vault_id=dict(type='str', required=True),
    since=dict(type='str', required=True),
)
ARGUMENT_SPEC = dict(
    COMMON_SPEC,
    backups=dict(type='list', elements='dict', required=True, options=BACKUP_SPEC),
)


def job_requests(backups, now):
    """One jobs request per vault, from its earliest POST less the clock skew to ``now``."""
    earliest = {}
    for backup in backups:
        vault = azure_api.key(backup['vault_id'])
        since = azure_fixes.parse_time(backup['since'])
        if vault not in earliest or since < earliest[vault][1]:
            earliest[vault] = (backup['vault_id'], since)
    return [{'key': 'jobs:' + vault, 'path': vault_id + '/backupJobs', 'api_version': azure_api.API_VERSIONS['backup'],
             'query': {'$filter': azure_fixes.job_filter(since, now)}}
            for vault, (vault_id, since) in sorted(earliest.items())]


def outcomes(backups, responses):
    """({host: job outcome}, [read errors]): each host's job (fixes.job_outcome) from its vault's answer."""
    hosts, errors = {}, {}
    for backup in backups:
        vault = azure_api.key(backup['vault_id'])
        answer = responses.get('jobs:' + vault) or {}
        if answer.get('error') or answer.get('status') != 200:
            errors.setdefault(vault, '%s: %s' % (backup['vault_id'], answer.get('error') or 'HTTP %s' % answer.get('status')))
        job = azure_fixes.find_job(answer.get('value') or [], backup['vm_id'],
                                   azure_fixes.parse_time(backup['since']))
        hosts[backup['host']] = azure_fixes.job_outcome(job)
    return hosts, [errors[vault] for vault in sorted(errors)]


class ActionModule(AzureReadAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def problems(self, args):
        problems = []
        for backup in args['backups']:
            if not azure_api.is_vm_id(backup['vm_id']):
                problems.append('%s: not a VM resource id: %s' % (backup['host'], backup['vm_id']))
            if not azure_api.is_vault_id(backup['vault_id']):
                problems.append('%s: not a Recovery Services vault resource id: %s' % (backup['host'], backup['vault_id']))
            if azure_fixes.parse_time(backup['since']) is None:
                problems.append('%s: since is not an ISO 8601 time: %s' % (backup['host'], backup['since']))
        return problems

    def act(self, args, task_vars):
        now = datetime.datetime.now(datetime.timezone.utc)
        responses, request_count = self.read(job_requests(args['backups'], now), args, task_vars)
        hosts, errors = outcomes(args['backups'], responses)
        done = bool(hosts) and all(outcome['done'] for outcome in hosts.values())
        return dict(hosts=hosts, done=done, errors=errors, request_count=request_count)
