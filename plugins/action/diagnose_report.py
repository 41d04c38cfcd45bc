# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.diagnose_report (docs: plugins/modules/diagnose_report.py).

Runs entirely on the controller: turns the registered ``diagnose`` results of a play's hosts into
the report directory (findings.json, report.md, report.html, junit.xml; files 0600, directory 0700).
"""
from __future__ import absolute_import, division, print_function

import os
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import summarize
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.controller_action import ControllerAction
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import evaluate_control_plane
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.fleet import run_fleet_stage
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.report import (
    RENDERERS, build_report, collection_version, entry_from_result, fleet_summary, host_summary, redact_findings,
    summary_lines, write_report)

__metaclass__ = type

ARGUMENT_SPEC = dict(
    results=dict(type='dict'),
    hosts=dict(type='list', elements='str'),
    result_var=dict(type='str'),
    dest=dict(type='path', default='snapshot-doctor-report'),
    formats=dict(type='list', elements='str', choices=sorted(RENDERERS), default=sorted(RENDERERS)),
    set_stats=dict(type='bool', default=True),
    control_plane=dict(type='dict'),
)
STATS_KEY = 'snapshot_doctor'


class ActionModule(ControllerAction):
    # The report is the output of a read-only diagnosis: it is written in check mode too.

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, args, task_vars=None):
        result = {}
        control_plane = args['control_plane'] or {}
        sections = control_plane.get('hosts') or {}
        hosts = {}
        for name, value in self._results(args, task_vars).items():
            hosts[str(name)] = with_control_plane(entry_from_result(value), value, sections.get(name))
        report = build_report(hosts, collection_version())
        fleet = run_fleet_stage(report, {'azure': control_plane.get('fleet')} if control_plane.get('fleet') else None)
        dest = os.path.abspath(args['dest'])
        try:
            written = write_report(dest, report, args['formats'])
        except OSError as exc:
            raise AnsibleActionFail('Cannot write the report into %s: %s' % (dest, exc))

        result.update(
            changed=True,
            dest=dest,
            files=written,
            summary=fleet_summary(report),
            # Per-host worst status and counts, small enough for set_stats (AWX artifacts).
            hosts=dict((name, _short_summary(entry)) for name, entry in report['hosts'].items()),
            lines=summary_lines(report),
            fleet=fleet,
        )
        if fleet['errors']:
            result['warnings'] = ['A fleet rule failed: %s' % error for error in fleet['errors']]
        if args['set_stats']:
            # What ansible.builtin.set_stats returns: the strategy records it as custom stats
            # (AWX/Controller artifacts), without a task of its own.
            result['ansible_stats'] = {'data': {STATS_KEY: {
                'report_dir': dest, 'summary': result['summary'], 'hosts': result['hosts']}},
                'per_host': False, 'aggregate': False}
        return result

    def _results(self, args, task_vars):
        """``results``, or each host's ``result_var`` read from hostvars here: a fleet's registered results
        passed as one argument are templated and deep-copied whole by ansible-core before the action sees them."""
        if (args['results'] is None) == (args['hosts'] is None) or (args['hosts'] is None) != (args['result_var'] is None):
            raise AnsibleActionFail('Give either results, or hosts and result_var')
        if args['results'] is not None:
            return args['results']
        hostvars = (task_vars or {}).get('hostvars') or {}
        registered = _registered_vars(hostvars)
        results = {}
        for name in args['hosts']:
            if args['result_var'] in registered.get(name, {}):
                results[name] = registered[name][args['result_var']]
            else:
                results[name] = hostvars[name].get(args['result_var']) if name in hostvars else None
        return results


def with_control_plane(entry, result, section):
    """A host the guest diagnosis could not cover (unreachable, failed, or a VM only Azure knows) still gets what
    Azure says about it: the control-plane findings, evaluated here from its section."""
    if entry['findings'] or not isinstance(section, dict) or not section.get('result'):
        return entry
    os_name = ((section.get('vm') or {}).get('os_type') or 'linux').lower()
    if isinstance(result, dict) and result.get('skipped'):
        entry['error'] = 'the guest was not diagnosed: a VM only Azure knows (not in the inventory)'
    findings = evaluate_control_plane(section, os_name if os_name in ('linux', 'windows') else 'linux')
    entry['findings'] = redact_findings(findings)[0]
    return entry


def _registered_vars(hostvars):
    """{host: its registered and set_fact variables} as ansible-core keeps them, or {} if it cannot say.

    ``hostvars[host]`` merges every variable of the host and templates the one read (22 s for 1000 hosts of
    diagnose results); a registered result is module output, which templating returns unchanged, so it is
    read where ansible-core's strategy stored it. Private to ansible-core: hostvars is the fallback.
    """
    cache = getattr(getattr(hostvars, '_variable_manager', None), '_nonpersistent_fact_cache', None)
    return cache if isinstance(cache, Mapping) else {}


def _short_summary(entry):
    """Worst status, counts and the checks in trouble; a host the guest diagnosis missed also keeps its error,
    and is summed up from its control-plane findings if it has any."""
    summary = host_summary(entry) or (summarize(entry['findings']) if entry.get('findings') else None)
    if summary is None:
        return {'reachable': entry['reachable'], 'worst': None, 'error': entry.get('error')}
    counts = dict((status, n) for status, n in summary['counts'].items() if n)
    short = {'reachable': entry['reachable'], 'worst': summary['worst'], 'counts': counts}
    if entry.get('error'):
        short['error'] = entry['error']
    for status in ('fail', 'error', 'warn'):
        short[status] = [finding['check'] for finding in entry['findings'] if finding['status'] == status]
    return short
