# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource ids, host -> VM mapping and the request plan: list calls, counts independent of the fleet's size."""
from __future__ import absolute_import, division, print_function

import datetime

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import api, plan

from azure_fixtures import NOW, REFS, SUB, SUBSCRIPTION, VAULT, VAULT_KEY, ref, responses, vm_id

__metaclass__ = type


# -- api ------------------------------------------------------------------------------------------------------------
def test_parse_id_reads_any_case_and_nested_types():
    parsed = api.parse_id('/Subscriptions/S1/resourcegroups/RG/providers/Microsoft.RecoveryServices/vaults/v/'
                          'backupJobs/j1')
    assert parsed == {'subscription': 'S1', 'resource_group': 'RG', 'provider': 'Microsoft.RecoveryServices',
                      'type': 'Microsoft.RecoveryServices/vaults/backupJobs', 'name': 'j1'}
    assert api.parse_id('/subscriptions/S1') == {'subscription': 'S1', 'resource_group': None, 'provider': None,
                                                 'type': None, 'name': None}
    assert api.parse_id(SUB + '/resourceGroups/rg')['resource_group'] == 'rg'


@pytest.mark.parametrize('value', [None, 42, '', '/', 'vm1', '/subscriptions/', '/subscriptions/s/resourceGroups',
                                   '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute',
                                   '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines',
                                   '/subscriptions/s/resourceGroups/rg/things/x/y',
                                   '/subscriptions/s/resourceGroups/rg/providers/P/t//x'])
def test_parse_id_refuses_what_is_not_a_resource_id(value):
    assert api.parse_id(value) is None
    assert not api.is_vm_id(value)


def test_type_checks_and_keys():
    assert api.is_vm_id(vm_id('web1').upper().replace('/SUBSCRIPTIONS/', '/subscriptions/'))
    assert not api.is_vm_id(vm_id('web1') + '/extensions/VMSnapshotLinux')
    assert api.is_vault_id(VAULT) and not api.is_vault_id(vm_id('web1'))
    assert api.key('/Subscriptions/A/') == '/subscriptions/a' and api.key(None) == ''
    lock = SUB + '/resourceGroups/rg/providers/Microsoft.Authorization/locks/l1'
    assert api.lock_scope(lock) == SUB + '/resourceGroups/rg'
    assert api.lock_scope(SUB + '/providers/microsoft.authorization/LOCKS/l2') == SUB
    assert api.lock_scope(vm_id('web1')) is None


def test_requests_carry_the_family_api_version():
    assert api.request('k', '/subscriptions/s/providers/X/y', 'compute') == {
        'key': 'k', 'path': '/subscriptions/s/providers/X/y', 'api_version': '2024-07-01'}
    assert api.request('k', '/p', 'backup', {'$filter': 'x'})['query'] == {'$filter': 'x'}
    assert set(api.API_VERSIONS) == {'compute', 'network', 'vaults', 'backup', 'backup_trigger', 'locks', 'activity'}


# -- vm_ref ---------------------------------------------------------------------------------------------------------
def test_vm_ref_prefers_the_explicit_id():
    given = vm_id('other', 'rg-x')
    ref_, reason = plan.vm_ref({'diagnose_azure_vm_id': given, 'id': vm_id('web1')}, 'web1', 'sub-default')
    assert reason is None and ref_ == {'id': given, 'subscription': SUBSCRIPTION, 'resource_group': 'rg-x',
                                       'name': 'other'}


def test_vm_ref_takes_the_azure_rm_inventory_id():
    ref_, reason = plan.vm_ref({'id': vm_id('web1'), 'diagnose_azure_resource_group': 'ignored'}, 'web1.example')
    assert reason is None and ref_['name'] == 'web1' and ref_['resource_group'] == 'rg-web'


def test_vm_ref_builds_the_id_from_name_group_and_subscription():
    ref_, reason = plan.vm_ref({'id': 'not-an-arm-id', 'diagnose_azure_resource_group': 'rg-web'}, 'web3', SUBSCRIPTION)
    assert reason is None and ref_ == ref('web3')
    ref_, _reason = plan.vm_ref({'diagnose_azure_resource_group': 'rg', 'diagnose_azure_vm_name': 'vm9',
                                 'diagnose_azure_subscription_id': 's2', 'inventory_hostname': 'h'}, None, 's1')
    assert ref_['id'] == '/subscriptions/s2/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm9'


@pytest.mark.parametrize('hostvars, name, subscription, reason', [
    ({'diagnose_azure_vm_id': '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n'},
     'h', 's', 'diagnose_azure_vm_id is not a virtual machine resource id'),
    ({}, 'h', 's', 'no diagnose_azure_resource_group'),
    ({'diagnose_azure_resource_group': 'rg'}, 'h', None, "diagnose_azure_subscription_id (or the credentials'"),
    ({'diagnose_azure_resource_group': 'rg'}, None, 's', 'a VM name'),
    (None, 'h', None, 'no diagnose_azure_vm_id, no azure_rm inventory id, and no diagnose_azure_resource_group nor'),
])
def test_vm_ref_says_why_a_host_maps_to_nothing(hostvars, name, subscription, reason):
    ref_, message = plan.vm_ref(hostvars, name, subscription)
    assert ref_ is None and reason in message


def test_host_variables_are_the_ones_vm_ref_reads():
    assert set(plan.HOST_VARIABLES) == {'diagnose_azure_vm_id', 'id', 'diagnose_azure_vm_name',
                                        'diagnose_azure_resource_group', 'diagnose_azure_subscription_id'}


# -- plan_requests ----------------------------------------------------------------------------------------------------
def keys(requests):
    return [request['key'] for request in requests]


def test_round_one_lists_per_subscription_and_reads_the_instance_views_of_the_run():
    requests = plan.plan_requests(list(REFS.values()), days=7, now=NOW)
    sub = SUBSCRIPTION
    assert keys(requests) == ['vms:' + sub, 'nics:' + sub, 'nsgs:' + sub, 'locks:' + sub, 'rpcs:' + sub,
                              'vaults:' + sub] + ['iv:' + vm_id(name, group).lower() for name, group in (
                                  ('web1', 'rg-web'), ('web2', 'rg-web'), ('db1', 'rg-db'))]
    by_key = dict((request['key'], request) for request in requests)
    assert by_key['vms:' + sub] == {'key': 'vms:' + sub, 'path': SUB + '/providers/Microsoft.Compute/virtualMachines',
                                    'api_version': '2024-07-01'}
    assert by_key['nsgs:' + sub]['api_version'] == api.API_VERSIONS['network']
    assert by_key['locks:' + sub]['path'] == SUB + '/providers/Microsoft.Authorization/locks'
    assert by_key['locks:' + sub]['api_version'] == '2016-09-01'
    assert by_key['vaults:' + sub]['api_version'] == '2023-04-01'
    assert by_key['iv:' + vm_id('web1').lower()]['path'] == vm_id('web1') + '/instanceView'


def test_round_two_reads_the_vaults_of_the_vms_region_and_their_restore_points():
    answers = responses()
    first = dict((key, value) for key, value in answers.items() if not key.startswith(('items:', 'policies:', 'jobs:',
                                                                                       'rpc:')))
    requests = plan.plan_requests(list(REFS.values()), days=7, now=NOW, responses=first)
    assert sorted(keys(requests)) == sorted(
        [key for key in answers if key.startswith(('items:', 'policies:', 'jobs:', 'rpc:'))])
    by_key = dict((request['key'], request) for request in requests)
    assert by_key['items:' + VAULT_KEY]['query'] == {
        '$filter': "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"}
    assert by_key['jobs:' + VAULT_KEY]['query'] == {'$filter': (
        "backupManagementType eq 'AzureIaasVM' and operation eq 'Backup' and "
        "startTime eq '2026-11-15 03:40:00 AM' and endTime eq '2026-11-22 03:40:00 AM'")}
    assert by_key['jobs:' + VAULT_KEY]['api_version'] == '2019-05-13'
    rpc = [request for request in requests if request['key'].startswith('rpc:')][0]
    assert rpc['query'] == {'$expand': 'restorePoints'} and rpc['api_version'] == '2024-07-01'
    # the vault of another region (vault-eus) cannot protect these VMs: not read
    assert not [key for key in keys(requests) if 'vault-eus' in key]
    # with everything answered, the plan is done
    assert plan.plan_requests(list(REFS.values()), days=7, now=NOW, responses=answers) == []


def test_unknown_regions_read_every_vault_and_given_vaults_skip_the_vault_list():
    answers = responses()
    answers['vms:' + SUBSCRIPTION] = {'status': 403, 'error': 'AuthorizationFailed: no'}
    requests = plan.plan_requests(list(REFS.values()), now=NOW, responses=answers)
    assert [key for key in keys(requests) if 'vault-eus' in key]
    given = plan.plan_requests(list(REFS.values()), vault_ids=[VAULT], now=NOW)
    assert 'vaults:' + SUBSCRIPTION not in keys(given) and 'jobs:' + VAULT_KEY in keys(given)


def test_request_count_does_not_grow_with_the_fleet_beyond_the_instance_views():
    def count(vms, **options):
        refs = [ref('vm%d' % index) for index in range(vms)]
        return len(plan.plan_requests(refs, vault_ids=[VAULT], now=NOW, **options))
    lists = len(plan.SUBSCRIPTION_LISTS) + 3  # + items, policies, jobs of the one vault
    assert count(1) == lists + 1
    assert count(defaults.INSTANCE_VIEW_LIST_ABOVE) == lists + defaults.INSTANCE_VIEW_LIST_ABOVE
    assert count(defaults.INSTANCE_VIEW_LIST_ABOVE + 1) == lists + 1 == count(1000)
    assert count(3, instance_views='status_list') == lists + 1
    assert count(1000, instance_views='per_vm') == lists + 1000
    with pytest.raises(ValueError, match='instance_views'):
        count(1, instance_views='sometimes')


def test_the_status_list_is_a_statusonly_vm_list():
    refs = [ref('vm%d' % index) for index in range(60)]
    requests = plan.plan_requests(refs, vault_ids=[], now=NOW)
    status = [request for request in requests if request['key'].startswith('vmstatus:')]
    assert status == [{'key': 'vmstatus:' + SUBSCRIPTION, 'path': SUB + '/providers/Microsoft.Compute/virtualMachines',
                       'api_version': '2024-07-01', 'query': {'statusOnly': 'true'}}]


def test_duplicate_refs_and_subscriptions_in_any_case_are_planned_once():
    upper = dict(ref('web1'), subscription=SUBSCRIPTION.upper())
    requests = plan.plan_requests([ref('web1'), ref('web1'), upper, None], vault_ids=[], now=NOW)
    assert len(keys(requests)) == len(set(keys(requests))) == len(plan.SUBSCRIPTION_LISTS) + 1


def test_job_filter_and_triage_plan():
    naive = datetime.datetime(2026, 11, 22, 15, 5, 9)
    assert plan.job_filter(1, naive, status='Failed') == (
        "backupManagementType eq 'AzureIaasVM' and operation eq 'Backup' and status eq 'Failed' and "
        "startTime eq '2026-11-21 03:05:09 PM' and endTime eq '2026-11-22 03:05:09 PM'")
    assert "endTime eq '" in plan.job_filter(7, None)
    requests = plan.plan_job_requests([VAULT, VAULT.upper().replace('/SUBSCRIPTIONS/', '/subscriptions/')], 3, NOW)
    assert keys(requests) == ['failedjobs:' + VAULT_KEY, 'items:' + VAULT_KEY]
    assert "status eq 'Failed'" in requests[0]['query']['$filter']
    assert requests[0]['path'] == VAULT + '/backupJobs'


def test_ok_list_needs_a_complete_answer():
    assert plan.ok_list({'k': {'status': 200, 'value': [1]}}, 'k') == [1]
    assert plan.ok_list({'k': {'status': 200, 'value': [1], 'error': 'more than 200 pages: stopped'}}, 'k') is None
    assert plan.ok_list({'k': {'status': 404, 'error': 'gone'}}, 'k') is None
    assert plan.ok_list({}, 'k') is None and plan.ok_list(None, 'k') is None
