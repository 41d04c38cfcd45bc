# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of the backup cause: what the Recovery Services vault and the VM's restore points say (from Azure)."""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import (
    ERROR_CODES, PLATFORMS, error_code_checks)
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import RULES, finding

__metaclass__ = type

JOB_KEYS = ('job_id', 'status', 'start_time', 'end_time', 'error_code', 'error_number', 'error_message')


def _job_evidence(backup):
    job = backup.get('last_job') or {}
    evidence = dict((key, job.get(key)) for key in JOB_KEYS)
    evidence.update(vault_id=backup.get('vault_id'), policy_id=backup.get('policy_id'), days=backup.get('jobs_days'),
                    protection_state=(backup.get('protected_item') or {}).get('protection_state'))
    return evidence


@RULES.rule(PLATFORMS, 'backup.last_job')
def _backup_last_job(ctx):
    backup = ctx.azure('backup')
    if not backup.get('protected'):
        return finding('backup.last_job', 'info', 'the VM is not protected by the vault(s) the run read (%s)'
                       % (', '.join(backup.get('vaults_read') or []) or 'none'), {'vaults_read': backup.get('vaults_read')})
    evidence = _job_evidence(backup)
    state = evidence['protection_state']
    if state == 'ProtectionStopped':
        return finding('backup.last_job', 'info', 'protection of the VM is stopped in vault %s' % backup['vault_id'],
                       evidence)
    job = backup.get('last_job')
    if job is None:
        return finding('backup.last_job', 'warn', 'protected by vault %s, but no backup job in the last %s days'
                       % (backup['vault_id'], backup.get('jobs_days')), evidence,
                       'Check the policy\'s schedule, or run an on-demand backup.')
    status = job.get('status')
    when = 'started %s' % job.get('start_time')
    if status == 'Completed':
        return finding('backup.last_job', 'pass', 'the last backup job completed (%s)' % when, evidence)
    if status in ('CompletedWithWarnings', 'Cancelled'):
        return finding('backup.last_job', 'warn', 'the last backup job ended %s (%s)' % (status, when), evidence,
                       'Open the job in the vault (Backup jobs) for its details.')
    if status != 'Failed':
        return finding('backup.last_job', 'info', 'the last backup job is %s (%s)' % (status, when), evidence)
    code = job.get('error_code')
    evidence['error_code_checks'] = list(error_code_checks(code))
    evidence['meaning'] = ERROR_CODES[code].message if code in ERROR_CODES else None
    summary = 'the last backup job failed (%s): %s' % (when, ' '.join(
        part for part in (code and code + ':', job.get('error_message') or 'no error details in the job list') if part))
    if evidence['error_code_checks']:
        remedy = 'The checks %s explain %s: fix those that fail, then run an on-demand backup.' % (
            ', '.join(evidence['error_code_checks']), code)
    else:
        remedy = 'Open the job in the vault (Backup jobs) and follow the article\'s section for its error code.'
    return finding('backup.last_job', 'fail', summary, evidence, remedy)


@RULES.rule(PLATFORMS, 'backup.restore_points')
def _backup_restore_points(ctx):
    points = ctx.azure('restore_points')
    count, limit = points.get('count'), points.get('limit')
    locks = points.get('locks') or []
    evidence = dict((key, points.get(key)) for key in ('collection_ids', 'count', 'count_error', 'limit', 'locks'))
    remedy = ('Remove the lock(s) (the Backup service must delete old restore points), then run an on-demand '
              'backup to start the cleanup: it may fail once (UserErrorRpCollectionLimitReached).')
    if locks:
        return finding('backup.restore_points', 'fail', '%s: the Backup service cannot delete old restore points' % (
            '; '.join('%s lock %s on %s' % (lock.get('level'), lock.get('name'), lock.get('scope')) for lock in locks)),
            evidence, remedy)
    if count is not None and count >= limit:
        return finding('backup.restore_points', 'fail', 'the VM has %d restore points, the limit is %d' % (count, limit),
                       evidence, 'Run one backup a day at most, and let the cleanup run (an on-demand backup starts '
                       'it); delete the restore point collection if it stays full.')
    if not points.get('collection_ids'):
        return finding('backup.restore_points', 'pass', 'no restore point collection of the VM, and no lock that '
                       'would block one', evidence)
    if count is None:
        return finding('backup.restore_points', 'pass', 'no lock blocks the cleanup (the restore points could not be '
                       'counted: %s)' % points.get('count_error'), evidence)
    return finding('backup.restore_points', 'pass', '%d of %d restore points, no lock blocks their cleanup'
                   % (count, limit), evidence)
