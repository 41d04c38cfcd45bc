# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Resource Manager in one place: the API versions this collection speaks, and resource ids and paths.

Controller only, pure Python (no Ansible, no Azure SDK): plan.py builds requests with it, facts.py reads the
answers with it. Resource ids are compared case-insensitively, as ARM does (ids come back in other cases than
they were created with, e.g. /Subscriptions/ in backup job ids).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# api-version per resource family. compute and locks are azure.azcollection 3.12.0's SDK pins
# (azure-mgmt-compute 33.0.0, the management lock client 2016-09-01); backup items, jobs and policies use
# 2019-05-13 and the on-demand backup trigger 2016-12-01, as azcollection's azure_rm_vmbackuppolicy and
# azure_rm_backupazurevm do. network (2024-05-01) and vaults (2023-04-01) are stable versions of those
# providers that carry every property read here (azure-mgmt-network 28.0.0 pins 2024-03-01).
API_VERSIONS = {
    'compute': '2024-07-01',
    'network': '2024-05-01',
    'vaults': '2023-04-01',
    'backup': '2019-05-13',
    'backup_trigger': '2016-12-01',
    'locks': '2016-09-01',
    # Activity Log - List (Microsoft.Insights eventtypes/management/values): the request ids of the fixes' writes.
    'activity': '2015-04-01',
}

VM_TYPE = 'microsoft.compute/virtualmachines'
VAULT_TYPE = 'microsoft.recoveryservices/vaults'
LOCK_SUFFIX = '/providers/microsoft.authorization/locks/'


def key(resource_id):
    """The form in which ids are compared and used as dictionary keys: lower case, no trailing slash."""
    return (resource_id or '').rstrip('/').lower()


def parse_id(resource_id):
    """{subscription, resource_group, provider, type, name} of an ARM resource id, or None.

    ``type`` is the full type (``Microsoft.Compute/virtualMachines``, nested types joined by '/'), ``name`` the
    last name; keys are found case-insensitively, values keep their case. A subscription or resource group id
    gives provider, type and name None.
    """
    if not isinstance(resource_id, str):
        return None
    parts = resource_id.strip('/').split('/')
    if len(parts) < 2 or parts[0].lower() != 'subscriptions' or not parts[1]:
        return None
    parsed = {'subscription': parts[1], 'resource_group': None, 'provider': None, 'type': None, 'name': None}
    rest = parts[2:]
    if rest[:1] and rest[0].lower() == 'resourcegroups':
        if len(rest) < 2 or not rest[1]:
            return None
        parsed['resource_group'] = rest[1]
        rest = rest[2:]
    if not rest:
        return parsed
    if rest[0].lower() != 'providers' or len(rest) < 4 or len(rest) % 2:
        return None
    names = rest[2:]
    if not all(names):
        return None
    parsed['provider'] = rest[1]
    parsed['type'] = '/'.join([rest[1]] + names[0::2])
    parsed['name'] = names[-1]
    return parsed


def is_type(resource_id, resource_type):
    """True when ``resource_id`` is a resource of ``resource_type`` (case-insensitive)."""
    parsed = parse_id(resource_id)
    return bool(parsed and parsed['type'] and parsed['type'].lower() == resource_type.lower())


def is_vm_id(resource_id):
    return is_type(resource_id, VM_TYPE)


def is_vault_id(resource_id):
    return is_type(resource_id, VAULT_TYPE)


def subscription_path(subscription):
    return '/subscriptions/%s' % subscription


def resource_group_id(subscription, resource_group):
    return '/subscriptions/%s/resourceGroups/%s' % (subscription, resource_group)


def vm_id(subscription, resource_group, name):
    return resource_group_id(subscription, resource_group) + '/providers/Microsoft.Compute/virtualMachines/' + name


def collection_path(subscription, provider_type):
    """The subscription-wide list of ``provider_type`` (e.g. ``Microsoft.Network/networkInterfaces``)."""
    return '%s/providers/%s' % (subscription_path(subscription), provider_type)


def lock_scope(lock_id):
    """The id of what a management lock applies to (subscription, resource group or resource), or None."""
    position = key(lock_id).find(LOCK_SUFFIX)
    if position < 0:
        return None
    return lock_id[:position]


def request(request_key, path, family, query=None):
    """One GET of the plan, as the arm_info module takes it."""
    entry = {'key': request_key, 'path': path, 'api_version': API_VERSIONS[family]}
    if query:
        entry['query'] = dict(query)
    return entry
