# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet stage: between the per-host diagnoses and the renderers, it sees every host at once.

Controller only, pure Python. A fleet rule receives the report's host entries (and, once the control
plane is read, its facts) and returns findings for some hosts; each replaces that host's finding of
the same check (a check the host diagnosis could only `skip`, such as snapshot.schedule, which needs
every VM of an availability set). The renderers draw what this stage returns.
"""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import get_check

__metaclass__ = type


class FleetRules:
    """Fleet rules by check id, in registration order."""

    def __init__(self):
        self._rules = []

    def rule(self, check_id):
        """Decorator: ``function(hosts, context)`` -> {host name: finding of ``check_id``}."""
        get_check(check_id)

        def register(function):
            self._rules.append((check_id, function))
            return function
        return register

    def __iter__(self):
        return iter(self._rules)


FLEET_RULES = FleetRules()


def run_fleet_stage(report, context=None, rules=None):
    """Puts the fleet rules' findings in place of the hosts' own in ``report``; returns {rules, errors}.

    ``rules`` lists the checks that ran; a rule that raises is named in ``errors`` and the host findings
    stay as they were.
    """
    rules = FLEET_RULES if rules is None else rules
    hosts = report['hosts']
    ran, errors = [], []
    for check_id, function in rules:
        try:
            replacements = function(hosts, context or {})
        except Exception as exc:  # one fleet rule must not take the report down
            errors.append('%s: %s: %s' % (check_id, exc.__class__.__name__, exc))
            continue
        for name, finding in (replacements or {}).items():
            entry = hosts.get(name)
            if not entry or not entry.get('reachable') or entry.get('error') or finding.get('check') != check_id:
                continue
            findings = entry['findings']
            positions = [index for index, item in enumerate(findings) if item.get('check') == check_id]
            if positions:
                findings[positions[0]] = finding
            else:
                findings.append(finding)
        ran.append(check_id)
    return {'rules': ran, 'errors': errors}
