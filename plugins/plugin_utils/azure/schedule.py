# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Staggered backup schedules: which VMs of one availability set (or cloud service) start their backup at the
same time, and where to move the surplus.

Controller only, pure Python. Source of the rule (defaults.MAX_CONCURRENT_BACKUPS_PER_CLOUD_SERVICE,
defaults.BACKUP_STAGGER_MINUTES): backup-azure-vms-troubleshoot, "Troubleshoot VM snapshot issues": no more
than four VM backups of one cloud service at the same time, start times at least an hour apart.

Two VMs start together when their policies' schedules are equal but for the start time's value: same
frequency, days, time zone and hourly window, same 'HH:MM'. Time zones are compared by name (no offset table
here), so policies of one group in different zones are never compared; a daily and a weekly policy at the same
time are not either (they meet on some days only): the check may miss such a crowd, it never invents one.
"""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults

__metaclass__ = type

DAY_MINUTES = 24 * 60


def minutes(clock):
    """Minutes after midnight of 'HH:MM'."""
    hours, mins = clock.split(':')
    return int(hours) * 60 + int(mins)


def clock(value):
    """'HH:MM' of minutes after midnight (modulo a day)."""
    value %= DAY_MINUTES
    return '%02d:%02d' % (value // 60, value % 60)


def family(schedule):
    """What, besides the start time, two schedules must share to start together."""
    hourly = schedule.get('hourly') or {}
    return (schedule.get('frequency'), tuple(schedule.get('days') or ()), schedule.get('time_zone'),
            hourly.get('interval'), hourly.get('window_hours'))


def _distance(first, second):
    gap = abs(first - second) % DAY_MINUTES
    return min(gap, DAY_MINUTES - gap)


def propose(vms_by_time, limit=defaults.MAX_CONCURRENT_BACKUPS_PER_CLOUD_SERVICE,
            spacing=defaults.BACKUP_STAGGER_MINUTES):
    """Moves that leave at most ``limit`` VMs at each start time, new times at least ``spacing`` minutes from the
    others. ``vms_by_time``: {'HH:MM': [vm, ...]} of one group and family, vm = {name, id, policy_id}.

    Deterministic and minimal: at a crowded time the first ``limit`` VMs by name stay; each other VM, by name,
    goes to the nearest later time (whole ``spacing`` steps from its own) that has room and keeps ``spacing``
    from every other time in use. Returns [{vm, vm_id, policy_id, current_time, proposed_time}]; proposed_time is
    None when the day has no such time left.
    """
    occupied = {}
    for when, vms in vms_by_time.items():
        occupied[minutes(when)] = min(len(vms), limit)
    moves = []
    for when in sorted(vms_by_time, key=minutes):
        start = minutes(when)
        for vm in sorted(vms_by_time[when], key=_order)[limit:]:
            target = _free_time(start, occupied, limit, spacing)
            if target is not None:
                occupied[target] = occupied.get(target, 0) + 1
            moves.append({'vm': vm.get('name'), 'vm_id': vm.get('id'), 'policy_id': vm.get('policy_id'),
                          'current_time': when, 'proposed_time': None if target is None else clock(target)})
    return moves


def _order(vm):
    return ((vm.get('name') or '').lower(), (vm.get('id') or '').lower())


def _free_time(start, occupied, limit, spacing):
    for step in range(1, DAY_MINUTES // spacing):
        candidate = (start + step * spacing) % DAY_MINUTES
        if occupied.get(candidate, 0) >= limit:
            continue
        if all(_distance(candidate, other) >= spacing for other, count in occupied.items()
               if count and other != candidate):
            return candidate
    return None


def crowded(vms, limit=defaults.MAX_CONCURRENT_BACKUPS_PER_CLOUD_SERVICE, spacing=defaults.BACKUP_STAGGER_MINUTES):
    """{vm key: verdict} for every protected VM of a group with a known schedule (fleet_context's ``vms``).

    verdict = {group, group_kind, time, time_zone, together: [names at that time], crowded (bool), proposal}
    where proposal is propose()'s list for the VM's group and family (empty when nothing is crowded).
    """
    groups = {}
    for vm_key, vm in vms.items():
        schedule = vm.get('schedule') or {}
        if not (vm.get('group') and vm.get('protected') and schedule.get('times')):
            continue
        entry = {'key': vm_key, 'name': vm.get('name'), 'id': vm.get('id'), 'policy_id': vm.get('policy_id')}
        by_time = groups.setdefault((vm['group'].lower(), family(schedule)), {})
        by_time.setdefault(schedule['times'][0], []).append(entry)
    verdicts = {}
    for (group, _family), by_time in sorted(groups.items(), key=lambda item: repr(item[0])):
        proposal = propose(by_time, limit, spacing) if any(len(v) > limit for v in by_time.values()) else []
        for when, entries in by_time.items():
            for entry in entries:
                vm = vms[entry['key']]
                verdicts[entry['key']] = {
                    'group': vm['group'], 'group_kind': vm.get('group_kind'), 'time': when,
                    'time_zone': vm['schedule'].get('time_zone'), 'frequency': vm['schedule'].get('frequency'),
                    'together': sorted((other['name'] or '' for other in entries), key=str.lower),
                    'crowded': len(entries) > limit, 'proposal': proposal}
    return verdicts
