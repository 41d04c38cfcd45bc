# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings: the JSON shape of checks.md, status order, per-host summary."""
from __future__ import absolute_import, division, print_function

import json

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import get_check
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import (
    FINDING_KEYS, STATUSES, error_finding, make_finding, skip_finding, status_rank, summarize, worst)

__metaclass__ = type


def test_status_order_worst_first():
    assert STATUSES == ('fail', 'error', 'warn', 'info', 'pass', 'skip')
    assert [status_rank(s) for s in STATUSES] == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize('bad', ['FAIL', 'ok', '', None, 3])
def test_status_rank_rejects_unknown(bad):
    with pytest.raises(ValueError, match='unknown status'):
        status_rank(bad)


@pytest.mark.parametrize('statuses, expected', [
    ([], 'skip'),
    (['pass'], 'pass'),
    (['pass', 'skip', 'info'], 'info'),
    (['warn', 'error', 'pass'], 'error'),
    (['skip', 'fail', 'error'], 'fail'),
    (iter(['pass', 'warn']), 'warn'),
])
def test_worst(statuses, expected):
    assert worst(statuses) == expected


def test_make_finding_has_the_exact_shape_of_the_spec():
    finding = make_finding(
        'agent.service', 'fail', 'walinuxagent.service is inactive (dead) and disabled',
        evidence={'unit': 'walinuxagent.service', 'active': 'inactive', 'enabled': 'disabled'},
        remedy='Enable and start the agent service; the agent role does this.')
    assert list(finding) == list(FINDING_KEYS)
    assert finding == {
        'check': 'agent.service', 'cause': 'agent', 'status': 'fail',
        'summary': 'walinuxagent.service is inactive (dead) and disabled',
        'evidence': {'unit': 'walinuxagent.service', 'active': 'inactive', 'enabled': 'disabled'},
        'remedy': 'Enable and start the agent service; the agent role does this.',
        'fix': 'agent', 'doc': get_check('agent.service').doc,
    }
    assert json.loads(json.dumps(finding)) == finding


@pytest.mark.parametrize('status, fix', [('fail', 'agent'), ('warn', 'agent'), ('pass', None),
                                         ('error', None), ('skip', None)])
def test_fix_only_for_fail_and_warn(status, fix):
    assert make_finding('agent.service', status, 'x')['fix'] == fix


def test_fix_is_none_for_checks_only_a_person_can_act_on():
    assert make_finding('snapshot.power_state', 'fail', 'deallocated in Azure')['fix'] is None


def test_defaults_for_evidence_and_remedy():
    finding = make_finding('agent.verbose_logging', 'info', 'Logs.Verbose is n')
    assert finding['evidence'] == {} and finding['remedy'] is None


def test_make_finding_rejects_programming_errors():
    with pytest.raises(KeyError, match='agent.nope'):
        make_finding('agent.nope', 'pass', 'x')
    with pytest.raises(ValueError, match='unknown status'):
        make_finding('agent.service', 'ok', 'x')
    with pytest.raises(ValueError, match='never reports'):
        make_finding('connectivity.imds', 'fail', 'IMDS can only warn')
    with pytest.raises(ValueError, match='evidence'):
        make_finding('agent.service', 'pass', 'x', evidence=['not', 'a', 'dict'])


def test_error_and_skip_conveniences():
    error = error_finding('extension.status', 'cannot read 0.status: permission denied')
    assert (error['status'], error['summary'], error['fix']) == (
        'error', 'cannot read 0.status: permission denied', None)
    assert error['cause'] == 'extension'
    skip = skip_finding('snapshot.sql_vss', 'Windows only')
    assert (skip['status'], skip['summary'], skip['check']) == ('skip', 'Windows only', 'snapshot.sql_vss')


def test_summarize_counts_every_status_and_the_worst_per_cause():
    findings = [
        make_finding('platform.azure', 'pass', 'Azure'),
        make_finding('connectivity.wireserver', 'fail', 'port 32526 blocked'),
        make_finding('connectivity.imds', 'warn', 'IMDS unreachable'),
        make_finding('agent.service', 'pass', 'running'),
        error_finding('agent.version', 'waagent timed out'),
        skip_finding('snapshot.sql_vss', 'Windows only'),
    ]
    summary = summarize(findings)
    assert summary['worst'] == 'fail'
    assert summary['counts'] == {'fail': 1, 'error': 1, 'warn': 1, 'info': 0, 'pass': 2, 'skip': 1}
    assert summary['causes'] == {'platform': 'pass', 'connectivity': 'fail', 'agent': 'error',
                                 'extension': 'skip', 'snapshot': 'skip', 'backup': 'skip'}


def test_summarize_nothing():
    summary = summarize([])
    assert summary['worst'] == 'skip'
    assert set(summary['counts']) == set(STATUSES) and not any(summary['counts'].values())
    assert set(summary['causes'].values()) == {'skip'}


def test_summarize_rejects_a_corrupt_finding():
    with pytest.raises(ValueError):
        summarize([{'check': 'agent.service', 'cause': 'agent', 'status': 'broken'}])
