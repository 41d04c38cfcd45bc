# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recorded-shape ARM answers of tests/unit/fixtures/azure (see its README), as arm_info returns them.

One subscription in West Europe: web1..web6 in availability set AVSET-WEB, db1 (Windows, deallocated), solo1
(not protected); vault-weu protects all but solo1. ``responses()`` is what arm_info would return for the plan of
``REFS`` (web1, web2, db1), round 1 and round 2 merged.
"""
from __future__ import absolute_import, division, print_function

import copy
import datetime
import json
import os

__metaclass__ = type

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, 'fixtures', 'azure')
SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'
SUB = '/subscriptions/' + SUBSCRIPTION
VAULT = SUB + '/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/vault-weu'
VAULT_KEY = VAULT.lower()
NOW = datetime.datetime(2026, 11, 22, 3, 40, tzinfo=datetime.timezone.utc)


def vm_id(name, resource_group='rg-web'):
    return '%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s' % (SUB, resource_group, name)


def ref(name, resource_group='rg-web'):
    return {'id': vm_id(name, resource_group), 'subscription': SUBSCRIPTION, 'resource_group': resource_group,
            'name': name}


REFS = {'web1': ref('web1'), 'web2': ref('web2'), 'db1': ref('db1', 'rg-db')}


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def listed(name):
    return {'status': 200, 'value': load(name)['value']}


def single(name):
    return {'status': 200, 'body': load(name)}


def responses():
    """Every answer the plan of REFS gets, keyed as plan.plan_requests keys them."""
    sub = SUBSCRIPTION
    rpcs = SUB + '/resourceGroups/AzureBackupRG_westeurope_1/providers/Microsoft.Compute/restorePointCollections/'
    answers = {
        'vms:' + sub: listed('vms.json'), 'nics:' + sub: listed('nics.json'), 'nsgs:' + sub: listed('nsgs.json'),
        'locks:' + sub: listed('locks.json'), 'rpcs:' + sub: listed('rpcs.json'), 'vaults:' + sub: listed('vaults.json'),
        'items:' + VAULT_KEY: listed('items.json'), 'policies:' + VAULT_KEY: listed('policies.json'),
        'jobs:' + VAULT_KEY: listed('jobs.json'),
        'rpc:' + (rpcs + 'AzureBackupRG_web1_1').lower(): single('rpc-web1.json'),
        'rpc:' + (rpcs + 'AzureBackupRG_web2_1').lower(): single('rpc-web2.json'),
    }
    for name, group in (('web1', 'rg-web'), ('web2', 'rg-web'), ('db1', 'rg-db')):
        answers['iv:' + vm_id(name, group).lower()] = single('iv-%s.json' % name)
    return copy.deepcopy(answers)


def status_list():
    """The subscription's statusOnly=true VM list, built from the VM list with each VM's instance view in
    properties.instanceView (the run's VMs only have a recorded one)."""
    vms = load('vms.json')['value']
    for vm in vms:
        name = vm['name']
        if os.path.exists(os.path.join(FIXTURES, 'iv-%s.json' % name)):
            vm['properties'] = {'instanceView': load('iv-%s.json' % name)}
        else:
            vm['properties'] = {}
    return {'status': 200, 'value': vms}
