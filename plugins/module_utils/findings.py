# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Finding model (one JSON-ready dict per check per host), status order and host summary.

Pure Python; the shape is the contract of docs/checks.md:
``{check, cause, status, summary, evidence, remedy, fix, doc}``.
"""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import (
    CAUSES, get_check)

__metaclass__ = type

# Worst first: the order in which a summary picks the status of a host or cause.
STATUSES = ('fail', 'error', 'warn', 'info', 'pass', 'skip')
_RANK = dict((status, rank) for rank, status in enumerate(STATUSES))

# Only these statuses ask for a change, so only they carry the catalog's fix role.
ACTIONABLE_STATUSES = ('fail', 'warn')

FINDING_KEYS = ('check', 'cause', 'status', 'summary', 'evidence', 'remedy', 'fix', 'doc')


def status_rank(status):
    """0 for the worst status ('fail') up to 5 for 'skip'; ValueError for anything else."""
    try:
        return _RANK[status]
    except (KeyError, TypeError):
        raise ValueError('unknown status %r (expected one of %s)' % (status, ', '.join(STATUSES))) from None


def worst(statuses):
    """The worst of ``statuses``; 'skip' when there are none."""
    result = 'skip'
    for status in statuses:
        if status_rank(status) < status_rank(result):
            result = status
    return result


def make_finding(check_id, status, summary, evidence=None, remedy=None):
    """Build the finding dict for ``check_id``; cause, doc and fix come from the catalog.

    An unknown check (KeyError) or status (ValueError) is a programming error and raises.
    ``evidence`` defaults to an empty dict so consumers never test for None.
    """
    check = get_check(check_id)
    status_rank(status)
    if not check.can_be(status):
        raise ValueError('check %s never reports %r (its rules: %s)'
                         % (check_id, status, ', '.join(sorted(check.rules))))
    if evidence is None:
        evidence = {}
    elif not isinstance(evidence, dict):
        raise ValueError('evidence of %s must be a dict, got %s' % (check_id, type(evidence).__name__))
    return {
        'check': check.id,
        'cause': check.cause,
        'status': status,
        'summary': str(summary),
        'evidence': evidence,
        'remedy': remedy,
        'fix': check.fix if status in ACTIONABLE_STATUSES else None,
        'doc': check.doc,
    }


def error_finding(check_id, message, evidence=None):
    """The check could not be determined; ``message`` says why."""
    return make_finding(check_id, 'error', message, evidence=evidence)


def skip_finding(check_id, reason):
    """The check does not apply here; ``reason`` says why."""
    return make_finding(check_id, 'skip', reason)


def summarize(findings):
    """Per-host summary: the worst status, a count for every status, the worst status per cause."""
    findings = list(findings)
    counts = dict((status, 0) for status in STATUSES)
    by_cause = dict((cause, []) for cause in CAUSES)
    for finding in findings:
        status = finding['status']
        status_rank(status)
        counts[status] += 1
        by_cause.setdefault(finding['cause'], []).append(status)
    return {
        'worst': worst(finding['status'] for finding in findings),
        'counts': counts,
        'causes': dict((cause, worst(statuses)) for cause, statuses in by_cause.items()),
    }
