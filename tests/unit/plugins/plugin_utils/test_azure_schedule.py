# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""snapshot.schedule: at most 4 VMs of one availability set start together; the staggered proposal; the fleet rule."""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import fleet
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import facts, schedule

from azure_fixtures import REFS, responses, vm_id

__metaclass__ = type


def vm(name, clock='19:00', group='avset', protected=True, zone='UTC', frequency='Daily', days=None):
    return {'id': '/vms/' + name, 'name': name, 'group': group, 'group_kind': 'availability_set',
            'protected': protected, 'policy_id': 'policy-' + clock,
            'schedule': {'frequency': frequency, 'times': [clock], 'days': days, 'time_zone': zone, 'hourly': None}}


def vms(*entries):
    return dict(('/vms/' + entry['name'], entry) for entry in entries)


def test_the_documented_limits():
    assert defaults.MAX_CONCURRENT_BACKUPS_PER_CLOUD_SERVICE == 4 and defaults.BACKUP_STAGGER_MINUTES == 60


def test_clock_arithmetic():
    assert schedule.minutes('19:30') == 1170 and schedule.clock(1170) == '19:30'
    assert schedule.clock(24 * 60 + 5) == '00:05' and schedule.clock(-60) == '23:00'


def test_four_at_once_pass_five_fail_each_with_a_minimal_proposal():
    four = schedule.crowded(vms(*[vm('vm%d' % index) for index in range(4)]))
    assert not any(verdict['crowded'] for verdict in four.values())
    assert four['/vms/vm0']['proposal'] == [] and four['/vms/vm0']['together'] == ['vm0', 'vm1', 'vm2', 'vm3']
    six = schedule.crowded(vms(*[vm(name) for name in ('f', 'b', 'e', 'a', 'd', 'c')]))
    assert all(verdict['crowded'] for verdict in six.values())
    assert six['/vms/a']['proposal'] == [
        {'vm': 'e', 'vm_id': '/vms/e', 'policy_id': 'policy-19:00', 'current_time': '19:00', 'proposed_time': '20:00'},
        {'vm': 'f', 'vm_id': '/vms/f', 'policy_id': 'policy-19:00', 'current_time': '19:00', 'proposed_time': '20:00'}]


def test_the_proposal_fills_slots_of_four_an_hour_apart_and_avoids_times_in_use():
    crowd = [vm('vm%02d' % index) for index in range(13)] + [vm('late', '20:30')]
    verdicts = schedule.crowded(vms(*crowd))
    proposal = verdicts['/vms/vm00']['proposal']
    assert [move['vm'] for move in proposal] == ['vm%02d' % index for index in range(4, 13)]
    # whole hours from 19:00; 20:00 and 21:00 are 30 minutes from 20:30, which is in use
    assert [move['proposed_time'] for move in proposal] == ['22:00'] * 4 + ['23:00'] * 4 + ['00:00']
    assert verdicts['/vms/late']['crowded'] is False and verdicts['/vms/late']['proposal'] == proposal


def test_a_full_day_leaves_no_time():
    crowd = [vm('vm%03d' % index) for index in range(4 * 24 + 1)]
    proposal = schedule.crowded(vms(*crowd))['/vms/vm000']['proposal']
    assert proposal[-1]['proposed_time'] is None and proposal[-2]['proposed_time'] == '18:00'


def test_only_vms_that_really_start_together_are_counted():
    entries = [vm('a%d' % index) for index in range(3)] + [
        vm('zone', zone='W. Europe Standard Time'), vm('weekly', frequency='Weekly', days=['Sunday']),
        vm('other-set', group='other'), vm('unprotected', protected=False), vm('nogroup', group=None),
        dict(vm('noschedule'), schedule=None), vm('a-other-time', clock='19:01')]
    verdicts = schedule.crowded(vms(*entries))
    assert '/vms/unprotected' not in verdicts and '/vms/nogroup' not in verdicts and '/vms/noschedule' not in verdicts
    assert verdicts['/vms/a0']['together'] == ['a0', 'a1', 'a2'] and not verdicts['/vms/a0']['crowded']
    # the same group in another letter case is the same group
    upper = schedule.crowded(vms(*[vm('u%d' % index, group='AVSET' if index % 2 else 'avset') for index in range(5)]))
    assert all(verdict['crowded'] for verdict in upper.values())


def entry(host, findings=None):
    return {'reachable': True, 'error': None, 'findings': findings or []}


def test_the_fleet_rule_on_the_recorded_subscription():
    context = {'azure': facts.fleet_context(responses(), dict(REFS, web5={'id': vm_id('web5')}))}
    report = {'hosts': dict((name, entry(name)) for name in ('web1', 'web2', 'db1', 'web5'))}
    assert fleet.run_fleet_stage(report, context) == {'rules': ['snapshot.schedule'], 'errors': []}
    web1 = report['hosts']['web1']['findings'][0]
    assert web1['check'] == 'snapshot.schedule' and web1['status'] == 'fail'
    assert web1['summary'] == '6 VMs of availability set AVSET-WEB start their backup at 19:00 UTC (at most 4 at once)'
    assert [(move['vm'], move['proposed_time']) for move in web1['evidence']['proposal']] == [
        ('web5', '20:00'), ('web6', '20:00')]
    assert 'web5 to 20:00, web6 to 20:00' in web1['remedy']
    assert report['hosts']['web5']['findings'][0]['status'] == 'fail'
    db1 = report['hosts']['db1']['findings'][0]
    assert (db1['status'], db1['summary']) == ('pass', 'the VM is in no availability set or cloud service')


def test_the_fleet_rule_for_every_other_case():
    azure = {'vms': vms(vm('a'), vm('b', protected=False), dict(vm('c'), schedule=None),
                        vm('d', '10:00'), vm('e', '10:00')),
             'hosts': {'/vms/a': 'ha', '/vms/b': 'hb', '/vms/c': 'hc', '/vms/d': 'hd', '/vms/gone': 'hg'}, 'errors': []}
    result = fleet._snapshot_schedule({}, {'azure': azure})
    assert result['ha']['status'] == 'pass' and result['ha']['summary'] == (
        '1 VM(s) of availability set avset start their backup at 19:00 UTC (at most 4)')
    assert result['hb']['status'] == 'skip' and 'not protected' in result['hb']['summary']
    assert result['hc']['status'] == 'error' and 'policy policy-19:00' in result['hc']['summary']
    assert result['hd']['evidence']['together'] == ['d', 'e']
    assert result['hg']['status'] == 'skip' and 'not in the VM lists' in result['hg']['summary']
    azure['errors'] = ['vms:s: InternalError']
    assert fleet._snapshot_schedule({}, {'azure': azure})['hg']['status'] == 'error'
    assert fleet._snapshot_schedule({}, {}) == {}
