# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which GETs to send to Azure Resource Manager for a run: list calls, not one call per VM.

Controller only, pure Python. ``vm_ref`` maps an inventory host to a VM; ``plan_requests`` returns the
requests the run still needs, given the answers it already has (arm_info's ``responses``):

    responses = {}
    for _round in range(plan.ROUNDS):
        requests = plan.plan_requests(refs, vault_ids, days, now, responses=responses)
        if not requests:
            break
        responses.update(<arm_info's responses for requests>)

Round 1 lists, per subscription of the run's VMs, the VMs (availability sets, NICs, the other VMs of a set),
NICs, NSGs, management locks, restore point collections and the Recovery Services vaults (unless the vaults
are given), and reads the instance views of the run's VMs. Round 2 reads, per vault, the protected items, the
backup policies and the backup jobs of the last ``days`` days, and the restore points of the collections that
belong to the run's VMs (a collection's list entry does not count them). With the vaults given, round 2 has
only the restore points. So a run sends

    5 or 6 lists per subscription (+ their nextLink pages)
    + 3 per vault
    + per subscription: one instance view GET per VM of the run, or one statusOnly list above
      defaults.INSTANCE_VIEW_LIST_ABOVE of its VMs in the run
    + one GET per restore point collection of the run's VMs (one per backed-up VM)

requests: the fleet's size only shows in the instance views and restore points of the VMs of interest.
"""
from __future__ import absolute_import, division, print_function

import datetime

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import api

__metaclass__ = type

# Rounds of plan_requests a run needs at most (see above).
ROUNDS = 2
# The host variables vm_ref reads (documented for users in the diagnose role), first match wins.
HOST_VARIABLES = ('diagnose_azure_vm_id', 'id', 'diagnose_azure_vm_name', 'diagnose_azure_resource_group',
                  'diagnose_azure_subscription_id')
INSTANCE_VIEWS = ('auto', 'per_vm', 'status_list')
# Backup jobs' documented $filter time format (Backup Jobs - List examples: '2016-01-01 00:00:00 AM'), in UTC.
JOB_TIME_FORMAT = '%Y-%m-%d %I:%M:%S %p'
IAAS_VM_FILTER = "backupManagementType eq 'AzureIaasVM'"

# Subscription-wide lists: request key prefix -> (provider type, API family).
SUBSCRIPTION_LISTS = (
    ('vms', 'Microsoft.Compute/virtualMachines', 'compute'),
    ('nics', 'Microsoft.Network/networkInterfaces', 'network'),
    ('nsgs', 'Microsoft.Network/networkSecurityGroups', 'network'),
    ('locks', 'Microsoft.Authorization/locks', 'locks'),
    ('rpcs', 'Microsoft.Compute/restorePointCollections', 'compute'),
)
VAULT_LIST = ('vaults', 'Microsoft.RecoveryServices/vaults', 'vaults')


def vm_ref(hostvars, inventory_hostname=None, default_subscription=None):
    """(ref, None) for a host that maps to a VM, (None, reason) otherwise.

    ref = {'id', 'subscription', 'resource_group', 'name'}. The mapping, first match wins:
    ``diagnose_azure_vm_id`` (a VM resource id); ``id`` when it is a VM resource id (the azure_rm inventory
    plugin sets it); ``diagnose_azure_vm_name`` (default: the inventory name) in ``diagnose_azure_resource_group``
    of ``diagnose_azure_subscription_id`` (default: ``default_subscription``, the credentials').
    """
    hostvars = hostvars or {}
    given = hostvars.get('diagnose_azure_vm_id')
    if given:
        if not api.is_vm_id(given):
            return None, 'diagnose_azure_vm_id is not a virtual machine resource id: %r' % (given,)
        return _ref(given), None
    if api.is_vm_id(hostvars.get('id')):
        return _ref(hostvars['id']), None
    name = hostvars.get('diagnose_azure_vm_name') or inventory_hostname or hostvars.get('inventory_hostname')
    resource_group = hostvars.get('diagnose_azure_resource_group')
    subscription = hostvars.get('diagnose_azure_subscription_id') or default_subscription
    missing = [label for label, value in (('diagnose_azure_resource_group', resource_group),
                                          ('diagnose_azure_subscription_id (or the credentials\' subscription)',
                                           subscription), ('a VM name', name)) if not value]
    if missing:
        return None, 'no diagnose_azure_vm_id, no azure_rm inventory id, and no %s' % ' nor '.join(missing)
    return _ref(api.vm_id(subscription, resource_group, name)), None


def _ref(vm_id):
    parsed = api.parse_id(vm_id)
    return {'id': vm_id, 'subscription': parsed['subscription'], 'resource_group': parsed['resource_group'],
            'name': parsed['name']}


def job_filter(days, now, status=None):
    """The backup jobs $filter of the last ``days`` days before ``now`` (an aware or UTC datetime)."""
    now = _utc(now)
    return job_window_filter(now - datetime.timedelta(days=days), now, status)


def job_window_filter(start, end, status=None):
    """The backup jobs $filter of Azure VM backups (of ``status``, if given) from ``start`` to ``end`` (aware or UTC
    datetimes), in the documented time format."""
    parts = [IAAS_VM_FILTER, "operation eq 'Backup'"]
    if status:
        parts.append("status eq '%s'" % status)
    parts += ["startTime eq '%s'" % _utc(start).strftime(JOB_TIME_FORMAT),
              "endTime eq '%s'" % _utc(end).strftime(JOB_TIME_FORMAT)]
    return ' and '.join(parts)


def _utc(now):
    if now is None:
        return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    if now.tzinfo is not None:
        return now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return now


def vault_requests(vault_id, days, now):
    """Protected items (Azure VMs), backup policies and the backup jobs of the last ``days`` days of a vault."""
    vault = api.key(vault_id)
    return [
        api.request('items:' + vault, vault_id + '/backupProtectedItems', 'backup',
                    {'$filter': IAAS_VM_FILTER + " and itemType eq 'VM'"}),
        api.request('policies:' + vault, vault_id + '/backupPolicies', 'backup', {'$filter': IAAS_VM_FILTER}),
        api.request('jobs:' + vault, vault_id + '/backupJobs', 'backup', {'$filter': job_filter(days, now)}),
    ]


def ok_list(responses, request_key):
    """The items of a list answer that worked, or None (not asked yet, failed, or cut short)."""
    answer = (responses or {}).get(request_key)
    if not isinstance(answer, dict) or answer.get('status') != 200 or answer.get('error'):
        return None
    return answer.get('value') or []


def use_status_list(count, instance_views):
    """True when the instance views of ``count`` VMs of one subscription come from its statusOnly list."""
    if instance_views not in INSTANCE_VIEWS:
        raise ValueError('instance_views must be one of %s, got %r' % (', '.join(INSTANCE_VIEWS), instance_views))
    if instance_views == 'auto':
        return count > defaults.INSTANCE_VIEW_LIST_ABOVE
    return instance_views == 'status_list'


def discovered_vaults(refs_by_subscription, responses):
    """The vaults the vault lists returned so far that can protect the run's VMs: a VM is backed up by a vault
    of its own subscription and region, so a vault of another region is not read (all of them while the VMs'
    regions are unknown)."""
    vaults = []
    for subscription, refs in sorted(refs_by_subscription.items()):
        wanted = set(api.key(ref['id']) for ref in refs)
        vms = ok_list(responses, 'vms:' + subscription)
        regions = None
        if vms is not None:
            regions = set(_region(vm.get('location')) for vm in vms if api.key(vm.get('id')) in wanted)
        for vault in ok_list(responses, 'vaults:' + subscription) or []:
            if api.is_vault_id(vault.get('id')) and (regions is None or _region(vault.get('location')) in regions):
                vaults.append(vault['id'])
    return vaults


def _region(location):
    """'West Europe' and 'westeurope' are the same region."""
    return (location or '').replace(' ', '').lower()


def plan_requests(refs, vault_ids=None, days=defaults.AZURE_JOB_DAYS, now=None, instance_views='auto',
                  responses=None):
    """The request dicts the run still needs, given ``responses`` (arm_info's answers so far); [] when done.

    ``refs``: the VM references of the run (vm_ref's); ``vault_ids``: the vaults to read (None: every vault of
    the VMs' subscriptions); ``instance_views``: 'auto', 'per_vm' or 'status_list' (see the module doc).
    """
    responses = responses or {}
    refs = _unique(refs)
    by_subscription = {}
    for ref in refs:
        by_subscription.setdefault(ref['subscription'].lower(), []).append(ref)
    requests = []
    for subscription in sorted(by_subscription):
        vms = by_subscription[subscription]
        lists = SUBSCRIPTION_LISTS + (() if vault_ids is not None else (VAULT_LIST,))
        for prefix, provider_type, family in lists:
            requests.append(api.request('%s:%s' % (prefix, subscription),
                                        api.collection_path(vms[0]['subscription'], provider_type), family))
        if use_status_list(len(vms), instance_views):
            requests.append(api.request('vmstatus:' + subscription, api.collection_path(
                vms[0]['subscription'], 'Microsoft.Compute/virtualMachines'), 'compute', {'statusOnly': 'true'}))
        else:
            requests += [api.request('iv:' + api.key(ref['id']), ref['id'] + '/instanceView', 'compute')
                         for ref in vms]
        vm_keys = set(api.key(ref['id']) for ref in vms)
        for collection in ok_list(responses, 'rpcs:' + subscription) or []:
            source = ((collection.get('properties') or {}).get('source') or {}).get('id')
            if api.key(source) in vm_keys and collection.get('id'):
                requests.append(api.request('rpc:' + api.key(collection['id']), collection['id'], 'compute',
                                            {'$expand': 'restorePoints'}))
    vaults = list(vault_ids) if vault_ids is not None else discovered_vaults(by_subscription, responses)
    for vault_id in _unique_ids(vaults):
        requests += vault_requests(vault_id, days, now)
    return [request for request in requests if request['key'] not in responses]


def _unique_ids(ids):
    """``ids`` once each whatever their case, sorted."""
    return sorted(dict((api.key(value), value) for value in reversed(list(ids or ()))).values(), key=api.key)


def _unique(refs):
    seen, unique = set(), []
    for ref in refs or ():
        if ref and api.key(ref['id']) not in seen:
            seen.add(api.key(ref['id']))
            unique.append(ref)
    return unique


def plan_job_requests(vault_ids, days=defaults.AZURE_JOB_DAYS, now=None):
    """The triage's requests: per vault, its failed backup jobs of the last ``days`` days and its protected items
    (which name the VM of each job). Two requests per vault, whatever the fleet's size."""
    requests = []
    for vault_id in _unique_ids(vault_ids):
        vault = api.key(vault_id)
        requests.append(api.request('failedjobs:' + vault, vault_id + '/backupJobs', 'backup',
                                    {'$filter': job_filter(days, now, status='Failed')}))
        requests.append(vault_requests(vault_id, days, now)[0])
    return requests
