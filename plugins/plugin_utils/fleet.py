# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet stage: between the per-host diagnoses and the renderers, it sees every host at once.

Controller only, pure Python. A fleet rule receives the report's host entries (and, once the control
plane is read, its facts) and returns findings for some hosts; each replaces that host's finding of
the same check (a check the host diagnosis could only `skip`, such as snapshot.schedule, which needs
every VM of an availability set). The renderers draw what this stage returns.

The context's ``azure`` is plugin_utils/azure/facts.py's fleet_context (what Azure says about every VM of the
run's subscriptions, and which inventory host each VM of the run is); without it snapshot.schedule stays `skip`.
"""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import get_check
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import make_finding
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import schedule

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
            # A host without findings was not diagnosed at all; one the guest diagnosis missed (unreachable, or a
            # VM only Azure knows) still has its control-plane findings, and this is one of them.
            undiagnosed = entry and (not entry.get('reachable') or entry.get('error')) and not entry.get('findings')
            if not entry or undiagnosed or finding.get('check') != check_id:
                continue
            findings = entry['findings']
            positions = [index for index, item in enumerate(findings) if item.get('check') == check_id]
            if positions:
                findings[positions[0]] = finding
            else:
                findings.append(finding)
        ran.append(check_id)
    return {'rules': ran, 'errors': errors}


@FLEET_RULES.rule('snapshot.schedule')
def _snapshot_schedule(hosts, context):
    """snapshot.schedule for every host mapped to a VM: more than 4 VMs of its availability set (or cloud service)
    starting their backup at its time is a fail for each of them, with the proposal of a staggered schedule."""
    azure = context.get('azure')
    if not azure:
        return {}
    limit, spacing = defaults.MAX_CONCURRENT_BACKUPS_PER_CLOUD_SERVICE, defaults.BACKUP_STAGGER_MINUTES
    vms = azure.get('vms') or {}
    verdicts = schedule.crowded(vms, limit, spacing)
    findings = {}
    for vm_key, host in (azure.get('hosts') or {}).items():
        vm = vms.get(vm_key)
        findings[host] = _schedule_finding(vm, verdicts.get(vm_key), azure.get('errors'), limit)
    return findings


def _schedule_finding(vm, verdict, errors, limit):
    if vm is None:
        if errors:
            return make_finding('snapshot.schedule', 'error', 'the VM lists could not be read: %s' % '; '.join(errors))
        return make_finding('snapshot.schedule', 'skip', 'the VM is not in the VM lists read from Azure')
    if not vm.get('protected'):
        return make_finding('snapshot.schedule', 'skip', 'the VM is not protected by a vault the run read: '
                            'no backup schedule')
    if not vm.get('group'):
        return make_finding('snapshot.schedule', 'pass', 'the VM is in no availability set or cloud service')
    if verdict is None:
        return make_finding('snapshot.schedule', 'error', 'the schedule of policy %s could not be read'
                            % vm.get('policy_id'))
    evidence = dict(verdict, limit=limit)
    where = '%s %s' % (verdict['group_kind'].replace('_', ' '), verdict['group'].rsplit('/', 1)[-1])
    if not verdict['crowded']:
        return make_finding('snapshot.schedule', 'pass', '%d VM(s) of %s start their backup at %s %s (at most %d)' % (
            len(verdict['together']), where, verdict['time'], verdict['time_zone'], limit), evidence)
    moves = ', '.join('%s to %s' % (move['vm'], move['proposed_time'] or 'no free time') for move in verdict['proposal'])
    return make_finding('snapshot.schedule', 'fail', '%d VMs of %s start their backup at %s %s (at most %d at once)'
                        % (len(verdict['together']), where, verdict['time'], verdict['time_zone'], limit), evidence,
                        'Stagger the backups: assign the moved VMs to policies starting at least an hour apart '
                        '(proposal: %s).' % moves)
