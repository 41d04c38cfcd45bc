# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation plan and the before/after comparison, from the catalog's fixes. Controller only, pure Python.

``plan`` decides, for one host, which fixes to apply: a fix applies when its switch is on and one of
its checks is `fail` or `warn` in the host's diagnosis (the public ``snapshot_doctor`` fact). The fixes that
act in Azure also need the run's Azure side (remediate_azure) and the host's control-plane section, from
which they take what they write (plugin_utils/azure/fixes.py).
``compare`` pairs the statuses before and after by check id; a check missing after is shown as such.
``verdict`` calls a VM fixed only when a backup job succeeded after the fixes.
"""
from __future__ import absolute_import, division, print_function

import json

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import FIXES
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import ACTIONABLE_STATUSES
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import fixes as azure_fixes

__metaclass__ = type

SCHEMA_VERSION = 2
PROXY_STATES = ('unchanged', 'present', 'absent')
# What the comparison calls a check after the fixes.
FIXED, WORSE, STILL_OPEN, MISSING = 'fixed', 'WORSE', 'still open', 'not diagnosed after'
_HEALTHY = ('pass', 'info', 'skip')
# The fixes that write in Azure, from the controller (azure.azcollection); off unless the run's Azure side is on.
AZURE_FIXES = ('connectivity_nsg', 'extension_remove', 'snapshot_schedule', 'backup_on_demand')
# Fixes that change nothing (they report or collect): they call for no backup to prove them.
REPORT_ONLY_FIXES = ('snapshot_load_report', 'collect_logs')
# What the report calls a VM (verdict).
VM_FIXED, VM_NOT_FIXED, VM_NOT_PROVEN, VM_NOTHING = 'fixed', 'not fixed', 'not proven', 'nothing to fix'


def _findings(diagnosis):
    if not isinstance(diagnosis, dict):
        return None
    findings = diagnosis.get('findings')
    return findings if isinstance(findings, list) else None


def _finding(findings, check_id):
    for finding in findings:
        if finding.get('check') == check_id:
            return finding
    return {}


def _azure_target(fix_name, section, findings, fleet):
    """(target, None) for an Azure fix of this host, or (None, why it cannot apply)."""
    if fix_name == 'extension_remove':
        needs = [finding.get('check') for finding in findings if finding.get('status') in ACTIONABLE_STATUSES]
        return azure_fixes.extension_target(section, needs)
    if fix_name == 'backup_on_demand':
        return azure_fixes.backup_target(section)
    if fix_name == 'connectivity_nsg':
        return azure_fixes.nsg_target(section, _finding(findings, 'connectivity.nsg'))
    return azure_fixes.schedule_target(section, fleet)


def plan(diagnosis, switches, proxy_state='unchanged', azure=None, fleet=None):
    """{'needs', 'fixes' (name -> bool), 'applied', 'reason', 'azure', 'held'} for one host.

    ``switches`` maps a fix name to its switch (missing means the catalog's default). ``reason`` says
    why nothing is applied when the host cannot be remediated (no diagnosis, not an Azure VM).
    ``azure`` is the host's control-plane section, None when the run's Azure side is off; ``result['azure']``
    holds what each applied Azure fix writes, ``held`` why an Azure fix that a check calls for is not applied.
    ``fleet`` (control_plane_facts' fleet context) is what the staggered schedules need: snapshot.schedule is a
    fleet check, which the host's own diagnosis reports as skip.
    The on-demand backup applies when another fix changes something or the last backup failed: it proves them.
    """
    switches = switches or {}
    findings = _findings(diagnosis)
    result = {'needs': [], 'fixes': dict((fix.name, False) for fix in FIXES), 'applied': [], 'reason': None,
              'azure': {}, 'held': {}}
    if findings is None:
        result['reason'] = 'no diagnosis of this host (unreachable, or its diagnosis failed): nothing is changed'
        return result
    if not (diagnosis.get('platform') or {}).get('azure_vm'):
        result['reason'] = ('not an Azure VM (no Azure DMI identity; set diagnose_assume_azure for a lab or '
                            'rescue VM): nothing is changed')
        return result
    needs = [finding.get('check') for finding in findings if finding.get('status') in ACTIONABLE_STATUSES]
    result['needs'] = needs
    for fix in FIXES:
        wanted = bool(switches.get(fix.name, fix.default))
        called = any(check in needs for check in fix.checks)
        if fix.name == 'snapshot_schedule':
            called = called or azure_fixes.schedule_crowded(azure, fleet)
        if fix.name == 'backup_on_demand':
            # Last in the catalog's order of changes: it sees every other fix's decision.
            called = called or any(name not in REPORT_ONLY_FIXES for name in result['applied'])
        on = wanted and called
        if fix.name == 'connectivity_proxy':
            on = on and proxy_state != 'unchanged'  # the fix needs to know which proxy is wanted
        if on and fix.name in AZURE_FIXES:
            on = _plan_azure(result, fix.name, azure, findings, fleet)
        result['fixes'][fix.name] = on
        if on:
            result['applied'].append(fix.name)
    return result


def _plan_azure(result, fix_name, section, findings, fleet):
    if section is None:
        result['held'][fix_name] = 'the run\'s Azure side is off (remediate_azure)'
        return False
    if section.get('result') != 'ok':
        result['held'][fix_name] = 'Azure\'s view of the VM is missing: %s' % (section.get('message') or 'no section')
        return False
    target, why = _azure_target(fix_name, section, findings, fleet)
    if target is None:
        result['held'][fix_name] = why
        return False
    result['azure'][fix_name] = target
    return True


def compare(before, after):
    """Rows {check, before, after, verdict} in the order of the diagnosis before, paired by check id."""
    after_by_check = dict((finding.get('check'), finding.get('status')) for finding in _findings(after) or [])
    rows = []
    for finding in _findings(before) or []:
        check, old = finding.get('check'), finding.get('status')
        new = after_by_check.get(check)
        if new is None:
            verdict = MISSING
        elif old in ACTIONABLE_STATUSES and new == 'pass':
            verdict = FIXED
        elif old in _HEALTHY and new in ('fail', 'error', 'warn'):
            verdict = WORSE
        elif new in ACTIONABLE_STATUSES:
            verdict = STILL_OPEN
        else:
            verdict = None
        rows.append({'check': check, 'before': old, 'after': new, 'verdict': verdict})
    return rows


def vm_verdict(host_plan, backup, check_mode):
    """(verdict, why) of a VM: fixed only when a backup job succeeded after the fixes.

    ``backup`` is the backup role's result for the host ({started, error, job, follow_error}) or None.
    """
    if host_plan.get('reason'):
        return None, None
    backup = backup or {}
    job = backup.get('job') or {}
    if backup.get('started'):
        if job.get('succeeded'):
            return VM_FIXED, 'backup job %s %s at %s' % (job.get('id'), job.get('status'), job.get('end_time'))
        if not job.get('id') and backup.get('follow_error'):
            return VM_NOT_FIXED, 'the vault\'s backup jobs could not be read: %s' % backup['follow_error']
        if not job.get('id'):
            return VM_NOT_FIXED, 'no backup job of the VM appeared in the vault after the on-demand backup started'
        if not job.get('done'):
            return VM_NOT_FIXED, 'backup job %s still %s when the run stopped following it' % (
                job['id'], job.get('status'))
        detail = ': %s' % ' '.join(str(part) for part in (job.get('error_code'), job.get('error_message')) if part)
        return VM_NOT_FIXED, 'backup job %s %s%s' % (job['id'], job.get('status'), detail if len(detail) > 2 else '')
    if backup.get('error'):
        return VM_NOT_FIXED, 'the on-demand backup could not start: %s' % backup['error']
    if not host_plan.get('needs'):
        return VM_NOTHING, 'no check fails or warns'
    if check_mode:
        return VM_NOT_PROVEN, 'check mode: no backup was started'
    held = (host_plan.get('held') or {}).get('backup_on_demand')
    if held:
        return VM_NOT_PROVEN, 'no backup was started: %s' % held
    return VM_NOT_PROVEN, 'no backup was started (remediate_backup_on_demand is off, or no fix changed anything)'


def _notes(host_plan, backup):
    notes = []
    extension = (host_plan.get('azure') or {}).get('extension_remove')
    if extension:
        notes.append('The backup extension %s was removed in Azure: Azure Backup installs it again at the next '
                     'backup%s.' % (extension.get('name'), ' (this run\'s on-demand backup)'
                                    if (backup or {}).get('started') else ''))
        if extension.get('name') == 'VMSnapshot' and 'extension_reset' not in (host_plan.get('applied') or []):
            notes.append('Microsoft pairs the removal with a reset of the extension in the Windows guest: '
                         'remediate_extension_reset (risky, off by default) does it after the removal.')
    return notes


def _targets(host_plan):
    """The resource paths an applied Azure fix of the plan writes to, lower case."""
    paths = []
    for target in (host_plan.get('azure') or {}).values():
        for key in ('path', 'item_path', 'to_policy_id'):
            if target.get(key):
                paths.append(target[key].lower())
        paths += [rule['path'].lower() for rule in target.get('rules') or []]
    return paths


def _write_hosts(write, hosts):
    """The hosts whose plan led to ``write`` (a shared NSG or policy serves several)."""
    path = (write.get('path') or '').lower()
    found = []
    for name in sorted(hosts):
        host_plan = (hosts[name] or {}).get('plan') or {}
        if write.get('fix') in (host_plan.get('applied') or []) and any(
                path == target or path.startswith(target + '/') for target in _targets(host_plan)):
            found.append(name)
    return found


def build(hosts, check_mode, writes=None):
    """The remediation.json document: ``hosts`` maps a host to {before, after, plan, backup}; ``writes`` are the
    run's writes in Azure with their request ids (fixes.with_request_ids)."""
    document = {'schema': SCHEMA_VERSION, 'check_mode': bool(check_mode), 'hosts': {},
                'azure_writes': [dict(write, hosts=_write_hosts(write, hosts)) for write in writes or []]}
    for name in sorted(hosts):
        entry = hosts[name] or {}
        host_plan = entry.get('plan') or {}
        verdict, why = vm_verdict(host_plan, entry.get('backup'), check_mode)
        document['hosts'][name] = {
            'fixes': list(host_plan.get('applied') or []),
            'reason': host_plan.get('reason'),
            'held': dict(host_plan.get('held') or {}),
            'vm': verdict,
            'vm_why': why,
            'backup_job': ((entry.get('backup') or {}).get('job') or None),
            'notes': _notes(host_plan, entry.get('backup')),
            'checks': compare(entry.get('before'), entry.get('after')),
        }
    return document


def render_json(document):
    return json.dumps(document, indent=2, sort_keys=True) + '\n'


def _cell(text):
    return str(text).replace('|', '\\|').replace('\n', ' ')


def render_markdown(document):
    check_mode = document.get('check_mode')
    lines = ['# snapshot_doctor remediation%s' % (' (check mode: nothing was changed)' if check_mode else ''), '',
             'Details: `before/report.html` and `after/report.html`. A VM is fixed only when a backup job succeeded '
             'after the fixes.']
    for name, entry in document['hosts'].items():
        lines += ['', '## %s' % _cell(name), '']
        if entry.get('vm'):
            lines += ['VM: **%s** (%s)' % (entry['vm'], _cell(entry['vm_why'])), '']
        lines.append('Fixes %s: %s' % ('planned' if check_mode else 'applied', ', '.join(entry['fixes']) or 'none'))
        for fix, why in sorted((entry.get('held') or {}).items()):
            lines.append('- %s not applied: %s' % (fix, _cell(why)))
        if entry.get('reason'):
            lines += ['', 'Nothing changed: %s.' % _cell(entry['reason'])]
        for note in entry.get('notes') or ():
            lines += ['', _cell(note)]
        lines += ['', '| check | before | after |', '| --- | --- | --- |']
        for row in entry['checks']:
            after = row['after'] if row['after'] is not None else '-'
            verdict = ' (%s)' % row['verdict'] if row['verdict'] else ''
            lines.append('| %s | %s | %s%s |' % (_cell(row['check']), row['before'], after, verdict))
    writes = document.get('azure_writes') or []
    if writes:
        lines += ['', '## Writes in Azure', '',
                  'Request ids from the activity log (the azure.azcollection modules do not return them); "-" when '
                  'the log had no entry yet.', '',
                  '| fix | hosts | method | resource | api-version | request id |', '| --- | --- | --- | --- | --- | --- |']
        for write in writes:
            lines.append('| %s | %s | %s | %s | %s | %s |' % (
                _cell(write.get('fix')), _cell(', '.join(write.get('hosts') or [])), write.get('method'),
                _cell(write.get('path')), write.get('api_version'), write.get('request_id') or '-'))
    return '\n'.join(lines) + '\n'
