# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Azure-side fixes write, and how their outcome is read back. Controller only, pure Python.

From a host's control-plane section (facts.py) it derives the exact requests of each fix: the backup
extension to remove, the on-demand backup to start, the NSG rules to add, the policies to stagger. After the
writes it finds the backup job the on-demand backup started (the module does not return it) and each write's
request id in the activity log (the azure.azcollection modules do not return response headers).
"""
from __future__ import absolute_import, division, print_function

import copy
import datetime
import re

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import api
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import facts
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import plan
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import schedule
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.rules.connectivity import (
    NSG_DESTINATIONS, nsg_verdict)

__metaclass__ = type

# The backup extension's name in Azure, as Azure Backup installs it, per OS.
EXTENSION_NAMES = {'linux': defaults.LINUX_EXTENSION_TYPE, 'windows': defaults.WINDOWS_EXTENSION_TYPE}
# A backup job's end states, and those that count as a success of the backup.
JOB_DONE = ('Completed', 'CompletedWithWarnings', 'Failed', 'Cancelled')
JOB_SUCCEEDED = ('Completed', 'CompletedWithWarnings')
# The controller's clock and Azure's may differ: a job that starts this much before the POST is still its job.
CLOCK_SKEW = datetime.timedelta(minutes=2)
# The activity log's documented $filter time format (its api-version is in api.API_VERSIONS).
ACTIVITY_TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def _section(section, name):
    value = (section or {}).get(name)
    return value if isinstance(value, dict) else {}


# The guest's extension checks: when one fails, the handler in the guest is the problem.
GUEST_EXTENSION_CHECKS = ('extension.version', 'extension.status', 'extension.stale')


def _failed_in_azure(extension):
    """True when Azure reports the extension failed (provisioning failed, or an error status or substatus)."""
    statuses = [extension] + list(extension.get('substatuses') or [])
    return extension.get('provisioning_state') == 'failed' or any(
        (status.get('level') or '').lower() == 'error' for status in statuses)


def extension_target(section, needs=()):
    """(target, None) for the backup extension to remove in Azure, or (None, why not).

    ``needs`` are the host's failing or warning checks: extension.provisioning alone (another extension may be the
    one that failed) calls for the removal only when Azure reports the backup extension itself failed.
    target = {vm_id, subscription, resource_group, vm_name, name, path}: the DELETE goes to ``path``.
    """
    vm = _section(section, 'vm')
    extension = _section(section, 'extensions').get('snapshot')
    if not vm.get('id'):
        return None, 'Azure did not describe the VM'
    if not isinstance(extension, dict) or not extension.get('name'):
        return None, 'the backup extension is not installed in Azure'
    if not any(check in needs for check in GUEST_EXTENSION_CHECKS) and not _failed_in_azure(extension):
        return None, 'the backup extension %s is healthy in Azure (another extension failed)' % extension['name']
    parsed = api.parse_id(vm['id'])
    return {'vm_id': vm['id'], 'subscription': parsed['subscription'], 'resource_group': parsed['resource_group'],
            'vm_name': parsed['name'], 'name': extension['name'],
            'path': '%s/extensions/%s' % (vm['id'], extension['name'])}, None


def backup_target(section):
    """(target, None) for the on-demand backup of the VM, or (None, why not).

    target = {vm_id, vault_id, subscription, vault_resource_group, vault_name, policy_id, path}: the POST that
    azure_rm_backupazurevm sends goes to ``path``.
    """
    vm = _section(section, 'vm')
    backup = _section(section, 'backup')
    if not vm.get('id'):
        return None, 'Azure did not describe the VM'
    if not backup.get('protected') or not backup.get('vault_id'):
        return None, 'the VM is not protected by a Recovery Services vault the run read'
    if not backup.get('policy_id'):
        return None, 'the VM\'s protected item names no backup policy'
    vault = api.parse_id(backup['vault_id'])
    return {'vm_id': vm['id'], 'vault_id': backup['vault_id'], 'subscription': vault['subscription'],
            'vault_resource_group': vault['resource_group'], 'vault_name': vault['name'],
            'policy_id': backup['policy_id'], 'path': item_path(backup['vault_id'], vm['id']) + '/backup'}, None


def item_path(vault_id, vm_id):
    """The VM's protected item in the vault, named as azure_rm_backupazurevm builds it from the VM's id."""
    machine = api.parse_id(vm_id)
    item = '%s;%s' % (machine['resource_group'], machine['name'])
    return ('%s/backupFabrics/Azure/protectionContainers/iaasvmcontainer;iaasvmcontainerv2;%s/protectedItems/'
            'vm;iaasvmcontainerv2;%s' % (vault_id, item, item))


# -- the NSG rules for Azure Backup --------------------------------------------------------------------------------
# Custom NSG rules take priorities 100 to 4096 (lower decides first); ours take the highest free one below the rule
# that denies the traffic, so they decide just before it and after every rule the NSG's owner placed earlier.
NSG_PRIORITIES = (100, 4096)
NSG_RULE_PREFIX = 'snapshot-doctor-allow-'


def nsg_rule(nsg, tag, region, priority):
    """The one securityRules child that lets the VMs reach ``tag`` on TCP 443, and nothing else: from the virtual
    network, to the region's service tag where the region is known."""
    destination = '%s.%s' % (tag, region) if region else tag
    path = '%s/securityRules/%s%s-%d' % (nsg['id'], NSG_RULE_PREFIX, tag.lower(), defaults.HTTPS_PORT)
    return {'path': path, 'api_version': api.API_VERSIONS['network'],
            'write': {'fix': 'connectivity_nsg', 'method': 'PUT', 'path': path,
                      'api_version': api.API_VERSIONS['network']},
            'body': {'properties': {
                'description': 'snapshot_doctor: Azure Backup needs outbound HTTPS to %s '
                               '(ExtensionSnapshotFailedNoNetwork)' % destination,
                'protocol': 'Tcp', 'sourceAddressPrefix': 'VirtualNetwork', 'sourcePortRange': '*',
                'destinationAddressPrefix': destination, 'destinationPortRange': str(defaults.HTTPS_PORT),
                'access': 'Allow', 'priority': priority, 'direction': 'Outbound'}}}


def _free_priority(used, below):
    for priority in range(min(below - 1, NSG_PRIORITIES[1]), NSG_PRIORITIES[0] - 1, -1):
        if priority not in used:
            return priority
    return None


def nsg_target(section, finding):
    """(target, None) with the rules to add for connectivity.nsg, or (None, why not).

    target = {rules: [nsg_rule(...)]}: for each NSG of the VM (NIC and subnet) and each of Storage and AzureBackup
    that it denies on outbound TCP 443, one Allow rule for exactly that.
    """
    if (finding or {}).get('status') != 'fail':
        return None, 'connectivity.nsg does not fail'
    network = _section(section, 'network')
    region = (_section(section, 'vm').get('location') or '').replace(' ', '').lower() or None
    rules = []
    for nsg in network.get('nsgs') or []:
        used = set(rule.get('priority') for rule in nsg.get('rules') or [])
        for tag in NSG_DESTINATIONS:
            verdict = nsg_verdict(nsg, tag, region)
            if (verdict.get('access') or '').lower() == 'allow':
                continue
            priority = _free_priority(used, verdict.get('priority') or NSG_PRIORITIES[1] + 1)
            if priority is None:
                return None, 'NSG %s has no free priority below its rule %s' % (nsg.get('name'), verdict.get('rule'))
            used.add(priority)
            rules.append(nsg_rule(nsg, tag, region, priority))
    if not rules:
        return None, 'no NSG of the VM denies outbound TCP 443 to Storage or AzureBackup'
    return {'rules': rules}, None


# -- staggered schedules ---------------------------------------------------------------------------------------------
def _schedule_verdict(section, fleet):
    vm_id = _section(section, 'vm').get('id') or (section or {}).get('vm_id')
    return vm_id, schedule.crowded((fleet or {}).get('vms') or {}).get(api.key(vm_id))


def schedule_crowded(section, fleet):
    """True when more than 4 VMs of this VM's group start their backup at its time (snapshot.schedule fails: a
    fleet check, which the host's own diagnosis reports as skip)."""
    _vm_id, verdict = _schedule_verdict(section, fleet)
    return bool(verdict and verdict.get('crowded'))


def schedule_target(section, fleet):
    """(target, None) for moving this VM's backup to the staggered time snapshot.schedule proposes, or (None, why).

    ``fleet`` is control_plane_facts' fleet context. target = {vm_id, vault_id, from_policy_id, from_time,
    to_time, to_policy_id, to_policy_name, time_zone, item_path}: the VM's protected item (item_path) moves to a
    copy of its policy that starts at to_time (plugin_utils/azure/schedule.py).
    """
    vm_id, verdict = _schedule_verdict(section, fleet)
    if not verdict or not verdict.get('crowded'):
        return None, 'no more than %d VMs of the VM\'s group start their backup at its time' % (
            defaults.MAX_CONCURRENT_BACKUPS_PER_CLOUD_SERVICE)
    moves = [move for move in verdict['proposal'] if api.key(move.get('vm_id')) == api.key(vm_id)]
    if not moves:
        return None, 'the VM keeps its time (others of its group move)'
    move = moves[0]
    if not move.get('proposed_time'):
        return None, 'the day has no start time left at least %d minutes from the others' % (
            defaults.BACKUP_STAGGER_MINUTES)
    source = api.parse_id(move['policy_id'])
    name = '%s-%s' % (source['name'], move['proposed_time'].replace(':', ''))
    vault_id = move['policy_id'][:move['policy_id'].lower().index('/backuppolicies/')]
    return {'vm_id': vm_id, 'vault_id': vault_id, 'from_policy_id': move['policy_id'],
            'from_time': move['current_time'], 'to_time': move['proposed_time'],
            'to_policy_id': '%s/backupPolicies/%s' % (vault_id, name), 'to_policy_name': name,
            'time_zone': verdict.get('time_zone'), 'item_path': item_path(vault_id, vm_id)}, None


_TIME = re.compile(r'T\d{2}:\d{2}')


def _retime(values, clock):
    """The policy's date-time values with the time of day ``clock`` ('HH:MM') instead of theirs."""
    return [_TIME.sub('T' + clock, value) if isinstance(value, str) else value for value in values or []]


def staggered_policy(source, clock):
    """The body of a copy of the backup policy ``source`` (as GET returns it) that starts at ``clock``: every
    schedule and retention time of day moved (Azure wants the retention times equal to the schedule's)."""
    properties = copy.deepcopy((source or {}).get('properties') or {})
    properties.pop('protectedItemsCount', None)

    def visit(node):
        if isinstance(node, dict):
            for name, value in node.items():
                if name in ('scheduleRunTimes', 'retentionTimes'):
                    node[name] = _retime(value, clock)
                elif name == 'scheduleWindowStartTime' and isinstance(value, str):
                    node[name] = _TIME.sub('T' + clock, value)
                else:
                    visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)
    visit(properties.get('schedulePolicy'))
    visit(properties.get('retentionPolicy'))
    return {'properties': properties}


# -- following the on-demand backup's job ------------------------------------------------------------------------
def parse_time(text):
    """An aware UTC datetime from ARM's ISO 8601 text (7 decimals, 'Z'), or None."""
    if not isinstance(text, str) or not text:
        return None
    text = text.strip().replace('Z', '+00:00')
    head, _dot, tail = text.partition('.')
    if _dot:
        digits = ''.join(char for char in tail if char.isdigit())
        zone = tail[len(digits):]
        text = '%s.%s%s' % (head, (digits + '000000')[:6], zone)
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def job_filter(since, now):
    """The backup jobs $filter from ``since`` (the POST, less the clock skew) to ``now``: Azure VM backups only."""
    return plan.job_window_filter(since - CLOCK_SKEW, now)


def _job_vm(job):
    """(resource group, VM name) of a backup job, lower case, from its container name or entity name."""
    properties = job.get('properties') or {}
    container = (properties.get('containerName') or '').split(';')
    if len(container) >= 3:
        return container[-2].lower(), container[-1].lower()
    return None, (properties.get('entityFriendlyName') or '').lower()


def find_job(jobs, vm_id, since):
    """The newest Backup job of the VM that started at or after ``since`` less the clock skew, or None."""
    machine = api.parse_id(vm_id) or {}
    group, name = (machine.get('resource_group') or '').lower(), (machine.get('name') or '').lower()
    found = []
    for job in jobs or ():
        properties = job.get('properties') or {}
        job_group, job_name = _job_vm(job)
        started = parse_time(properties.get('startTime'))
        if (properties.get('operation') or '').lower() != 'backup' or job_name != name or started is None:
            continue
        if job_group not in (None, group) or started < since - CLOCK_SKEW:
            continue
        found.append((started, job))
    return max(found, key=lambda pair: pair[0])[1] if found else None


def job_outcome(job):
    """{id, status, done, succeeded, error_code, error_message, start_time, end_time} of a backup job (or None)."""
    if not job:
        return {'id': None, 'status': None, 'done': False, 'succeeded': False, 'error_code': None,
                'error_message': None, 'start_time': None, 'end_time': None}
    properties = job.get('properties') or {}
    status = properties.get('status')
    # The code's name where Azure or the articles give one (facts.job_error), else the job's error number.
    code, message, number = facts.job_error(properties)
    return {'id': job.get('id'), 'status': status, 'done': status in JOB_DONE, 'succeeded': status in JOB_SUCCEEDED,
            'error_code': code or (None if number in (None, '') else str(number)), 'error_message': message,
            'start_time': properties.get('startTime'), 'end_time': properties.get('endTime')}


# -- each write's request id, from the activity log --------------------------------------------------------------
def activity_filter(since, now):
    """The activity log $filter from ``since`` (less the clock skew) to ``now``."""
    start = (since - CLOCK_SKEW).astimezone(datetime.timezone.utc)
    return "eventTimestamp ge '%s' and eventTimestamp le '%s'" % (
        start.strftime(ACTIVITY_TIME_FORMAT), now.astimezone(datetime.timezone.utc).strftime(ACTIVITY_TIME_FORMAT))


def activity_requests(writes, since, now):
    """One activity log request per subscription of ``writes`` (each {path, ...})."""
    subscriptions = sorted(set((api.parse_id(write['path']) or {}).get('subscription') or '' for write in writes))
    return [api.request('activity:' + subscription.lower(),
                        '/subscriptions/%s/providers/Microsoft.Insights/eventtypes/management/values' % subscription,
                        'activity', {'$filter': activity_filter(since, now)})
            for subscription in subscriptions if subscription]


def _event_resource(event):
    return api.key(event.get('resourceId') or '')


def _event_request_id(event):
    properties = event.get('properties') or {}
    return properties.get('serviceRequestId') or None


def _write_resource(write):
    """The resource a write's activity log events name: an action's POST names the resource it acts on."""
    path = write['path']
    if write.get('method') == 'POST':
        path = path.rsplit('/', 1)[0]
    return api.key(path)


def with_request_ids(writes, events):
    """``writes`` (each {method, path, ...}), each with request_id, correlation_id and event_status from the
    activity log's newest event of that resource and method that carries a request id; request_id None when the
    log has none yet (Azure adds events within minutes)."""
    by_resource = {}
    for event in events or ():
        if _event_request_id(event):
            by_resource.setdefault(_event_resource(event), []).append(event)
    result = []
    for write in writes:
        candidates = [event for event in by_resource.get(_write_resource(write), [])
                      if ((event.get('httpRequest') or {}).get('method') or write.get('method')).upper()
                      == (write.get('method') or '').upper()]
        candidates.sort(key=lambda event: event.get('eventTimestamp') or '')
        event = candidates[-1] if candidates else {}
        entry = dict(write)
        entry.update(request_id=_event_request_id(event) if event else None,
                     correlation_id=event.get('correlationId'),
                     event_status=(event.get('status') or {}).get('value'))
        result.append(entry)
    return result
