# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation plan and the before/after comparison, from the catalog's fixes. Controller only, pure Python.

``plan`` decides, for one host, which fixes to apply: a fix applies when its switch is on and one of
its checks is `fail` or `warn` in the host's diagnosis (the public ``snapshot_doctor`` fact).
``compare`` pairs the statuses before and after by check id; a check missing after is shown as such.
"""
from __future__ import absolute_import, division, print_function

import json

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import FIXES
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import ACTIONABLE_STATUSES

__metaclass__ = type

SCHEMA_VERSION = 1
PROXY_STATES = ('unchanged', 'present', 'absent')
# What the comparison calls a check after the fixes.
FIXED, WORSE, STILL_OPEN, MISSING = 'fixed', 'WORSE', 'still open', 'not diagnosed after'
_HEALTHY = ('pass', 'info', 'skip')


def _findings(diagnosis):
    if not isinstance(diagnosis, dict):
        return None
    findings = diagnosis.get('findings')
    return findings if isinstance(findings, list) else None


def plan(diagnosis, switches, proxy_state='unchanged'):
    """{'needs', 'fixes' (name -> bool), 'applied', 'reason'} for one host.

    ``switches`` maps a fix name to its switch (missing means the catalog's default). ``reason`` says
    why nothing is applied when the host cannot be remediated (no diagnosis, not an Azure VM).
    """
    switches = switches or {}
    findings = _findings(diagnosis)
    result = {'needs': [], 'fixes': dict((fix.name, False) for fix in FIXES), 'applied': [], 'reason': None}
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
        wanted = switches.get(fix.name, fix.default)
        on = bool(wanted) and any(check in needs for check in fix.checks)
        if fix.name == 'connectivity_proxy':
            on = on and proxy_state != 'unchanged'  # the fix needs to know which proxy is wanted
        result['fixes'][fix.name] = on
        if on:
            result['applied'].append(fix.name)
    return result


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


def build(hosts, check_mode):
    """The remediation.json document: ``hosts`` maps a host to {before, after, plan}."""
    document = {'schema': SCHEMA_VERSION, 'check_mode': bool(check_mode), 'hosts': {}}
    for name in sorted(hosts):
        entry = hosts[name] or {}
        host_plan = entry.get('plan') or {}
        document['hosts'][name] = {
            'fixes': list(host_plan.get('applied') or []),
            'reason': host_plan.get('reason'),
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
             'Details: `before/report.html` and `after/report.html`.']
    for name, entry in document['hosts'].items():
        lines += ['', '## %s' % _cell(name), '',
                  'Fixes %s: %s' % ('planned' if check_mode else 'applied', ', '.join(entry['fixes']) or 'none')]
        if entry.get('reason'):
            lines += ['', 'Nothing changed: %s.' % _cell(entry['reason'])]
        lines += ['', '| check | before | after |', '| --- | --- | --- |']
        for row in entry['checks']:
            after = row['after'] if row['after'] is not None else '-'
            verdict = ' (%s)' % row['verdict'] if row['verdict'] else ''
            lines.append('| %s | %s | %s%s |' % (_cell(row['check']), row['before'], after, verdict))
    return '\n'.join(lines) + '\n'
