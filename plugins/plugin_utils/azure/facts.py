# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Azure says about the run's VMs, as facts: arm_info's answers -> each host's ``azure`` section.

Controller only, pure Python. Every sub-key of a section is an observation envelope (module_utils/observations.py)
so that the rules' ``engine.need`` works: a list call that failed makes what depends on it an `error` with ARM's
message; a VM the VM list does not hold is an `error` "VM <id> not found in Azure".

    azure = {result, vm_id, read_at,
      vm:             {result, id, name, resource_group, subscription, location, os_type, availability_set,
                       scale_set, provisioning_state, power_state, instance_view ('instance_view' | 'status_list'),
                       instance_view_error},
      agent:          {result, status ('Ready' / 'Not Ready' / None), code, level, message, time, version},
      extensions:     {result, items: [extension], snapshot: the VMSnapshot/VMSnapshotLinux extension or None},
      network:        {result, nics: [{id, name, primary, nsg_id, subnet_ids}], primary_nic,
                       nsgs: [{id, name, scope ('nic' | 'subnet'), rules, default_rules}]},
      backup:         {result, protected, vault_id, vaults_read, protected_item, policy_id, schedule, last_job,
                       jobs, jobs_days},
      restore_points: {result, collection_ids, count, count_error, limit, locks: [{id, name, level, scope}]}}

Also ``failed_jobs`` (the triage's list of failed jobs) and ``fleet_context`` (what snapshot.schedule needs).
"""
from __future__ import absolute_import, division, print_function

import datetime
import re

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import observations as obs
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import ERROR_CODES
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.redact import redact
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import api

__metaclass__ = type

MAX_MESSAGE = 2000
MAX_JOBS = 20
SNAPSHOT_HANDLERS = (defaults.LINUX_EXTENSION_TYPE.lower(), defaults.WINDOWS_EXTENSION_TYPE.lower())
# An extension or VM in these provisioning states is still being changed: not yet a verdict.
TRANSITIONAL_STATES = ('creating', 'updating', 'transitioning', 'deleting', 'migrating')
# Power states (the instance view's PowerState/<state>) of a VM that is not running, and between two states.
STOPPED_POWER_STATES = ('stopped', 'deallocated')
CHANGING_POWER_STATES = ('starting', 'stopping', 'deallocating')


class Answers:
    """arm_info's responses with the lookups the sections need, built once per run."""

    def __init__(self, responses):
        self.responses = responses or {}
        self._indexes = {}

    def problem(self, request_key):
        """Why the answer of ``request_key`` cannot be used, or None when it can."""
        answer = self.responses.get(request_key)
        if answer is None:
            return 'not read (%s was not requested)' % request_key
        if not isinstance(answer, dict):
            return 'malformed answer for %s' % request_key
        if answer.get('error'):
            return str(answer['error'])
        if answer.get('status') != 200:
            return 'HTTP status %s' % answer.get('status')
        return None

    def items(self, request_key):
        """The list answer of ``request_key``: (items, None), or (None, problem)."""
        problem = self.problem(request_key)
        if problem:
            return None, problem
        return self.responses[request_key].get('value') or [], None

    def body(self, request_key):
        problem = self.problem(request_key)
        if problem:
            return None, problem
        return self.responses[request_key].get('body') or {}, None

    def by_id(self, request_key):
        """{id key: item} of a list answer that worked ({} otherwise)."""
        if request_key not in self._indexes:
            items, _problem = self.items(request_key)
            self._indexes[request_key] = dict((api.key(item.get('id')), item) for item in items or []
                                              if isinstance(item, dict) and item.get('id'))
        return self._indexes[request_key]

    def keys(self, prefix):
        return sorted(request_key for request_key in self.responses if request_key.startswith(prefix))


def _props(resource):
    return (resource or {}).get('properties') or {}


def _text(value):
    """Free text from Azure, redacted and bounded."""
    if not isinstance(value, str):
        return value
    return redact(value)[0][:MAX_MESSAGE]


def _state(code, prefix):
    """'succeeded' from 'ProvisioningState/succeeded', 'failed' from 'ProvisioningState/failed/-1', None."""
    if isinstance(code, str) and code.lower().startswith(prefix.lower() + '/'):
        return code.split('/')[1].lower()
    return None


def _status_with(statuses, prefix):
    for status in statuses or []:
        if _state(status.get('code'), prefix):
            return status
    return None


def _iso(now):
    if now is None:
        return None
    if now.tzinfo is not None:
        now = now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return now.strftime('%Y-%m-%dT%H:%M:%SZ')


# -- the VM and its instance view ----------------------------------------------------------------------------
def _instance_view(ref, answers):
    """(instance view, source, None) or (None, None, problem)."""
    subscription = ref['subscription'].lower()
    single = 'iv:' + api.key(ref['id'])
    if single in answers.responses:
        body, problem = answers.body(single)
        if problem:
            if (answers.responses[single] or {}).get('status') == 404:
                return None, None, 'VM %s not found in Azure (%s)' % (ref['id'], problem)
            return None, None, 'the instance view could not be read: %s' % problem
        return body, 'instance_view', None
    listed = 'vmstatus:' + subscription
    if listed in answers.responses:
        items, problem = answers.items(listed)
        if problem:
            return None, None, 'the status-only VM list of subscription %s could not be read: %s' % (
                ref['subscription'], problem)
        vm = answers.by_id(listed).get(api.key(ref['id']))
        if vm is None or not _props(vm).get('instanceView'):
            return None, None, 'the status-only VM list of subscription %s has no instance view of %s' % (
                ref['subscription'], ref['name'])
        return _props(vm)['instanceView'], 'status_list', None
    return None, None, 'the instance view was not read'


def _vm(ref, model, view, source, view_problem):
    properties = _props(model)
    parsed = api.parse_id(model.get('id')) or {}
    statuses = (view or {}).get('statuses') or []
    provisioning = _status_with(statuses, 'ProvisioningState')
    power = _status_with(statuses, 'PowerState')
    return obs.ok(
        id=model.get('id'), name=model.get('name'), resource_group=parsed.get('resource_group'),
        subscription=parsed.get('subscription'), location=model.get('location'),
        os_type=((properties.get('storageProfile') or {}).get('osDisk') or {}).get('osType'),
        availability_set=(properties.get('availabilitySet') or {}).get('id'),
        scale_set=(properties.get('virtualMachineScaleSet') or {}).get('id'),
        provisioning_state=(_state(provisioning.get('code'), 'ProvisioningState') if provisioning
                            else (properties.get('provisioningState') or '').lower() or None),
        provisioning_message=_text((provisioning or {}).get('message')),
        power_state=_state(power.get('code'), 'PowerState') if power else None,
        instance_view=source, instance_view_error=view_problem)


def _agent(view, source):
    agent = (view or {}).get('vmAgent')
    if not isinstance(agent, dict):
        where = 'the instance view' if source == 'instance_view' else 'the status-only VM list'
        return obs.ok(status=None, code=None, level=None, time=None, version=None,
                      message='%s holds no VM agent status' % where)
    statuses = agent.get('statuses') or [{}]
    first = statuses[0] if isinstance(statuses[0], dict) else {}
    return obs.ok(status=first.get('displayStatus'), code=first.get('code'), level=first.get('level'),
                  message=_text(first.get('message')), time=first.get('time'), version=agent.get('vmAgentVersion'))


def _extension(item):
    full_type = item.get('type') or ''
    publisher, _dot, handler = full_type.rpartition('.')
    statuses = item.get('statuses') or []
    status = _status_with(statuses, 'ProvisioningState') or (statuses[0] if statuses else {})
    return {
        'name': item.get('name'), 'type': full_type, 'publisher': publisher or None, 'handler': handler or None,
        'version': item.get('typeHandlerVersion'),
        'provisioning_state': _state(status.get('code'), 'ProvisioningState'),
        'status_code': status.get('code'), 'level': status.get('level'), 'display_status': status.get('displayStatus'),
        'message': _text(status.get('message')), 'time': status.get('time'),
        'substatuses': [{'code': sub.get('code'), 'level': sub.get('level'), 'display_status': sub.get('displayStatus'),
                         'message': _text(sub.get('message'))} for sub in item.get('substatuses') or []],
    }


def _extensions(view):
    items = [_extension(item) for item in (view or {}).get('extensions') or [] if isinstance(item, dict)]
    snapshot = [item for item in items if (item['handler'] or '').lower() in SNAPSHOT_HANDLERS
                and (item['publisher'] or '').lower() == defaults.EXTENSION_PUBLISHER.lower()]
    return obs.ok(items=items, snapshot=snapshot[0] if snapshot else None)


# -- network ----------------------------------------------------------------------------------------------------
def _rule(rule):
    properties = _props(rule)
    prefixes = properties.get('destinationAddressPrefixes') or []
    if properties.get('destinationAddressPrefix'):
        prefixes = [properties['destinationAddressPrefix']] + list(prefixes)
    ports = properties.get('destinationPortRanges') or []
    if properties.get('destinationPortRange'):
        ports = [properties['destinationPortRange']] + list(ports)
    return {'name': rule.get('name'), 'priority': properties.get('priority'), 'direction': properties.get('direction'),
            'access': properties.get('access'), 'protocol': properties.get('protocol'), 'destinations': prefixes,
            'ports': ports,
            'application_security_groups': [group.get('id') for group in
                                            properties.get('destinationApplicationSecurityGroups') or []]}


def _nsg(nsg, scope):
    properties = _props(nsg)
    return {'id': nsg.get('id'), 'name': nsg.get('name'), 'scope': scope,
            'rules': [_rule(rule) for rule in properties.get('securityRules') or []],
            'default_rules': [_rule(rule) for rule in properties.get('defaultSecurityRules') or []]}


def _network(ref, model, answers):
    """The VM's NICs and the network security groups of its primary NIC and of that NIC's subnets."""
    subscription = ref['subscription'].lower()
    references = ((_props(model).get('networkProfile') or {}).get('networkInterfaces')) or []
    if not references:
        return obs.ok(nics=[], primary_nic=None, nsgs=[])
    nics_by_id = answers.by_id('nics:' + subscription)
    _items, problem = answers.items('nics:' + subscription)
    if problem:
        return obs.error('the network interfaces of subscription %s could not be listed: %s'
                         % (ref['subscription'], problem))
    nics = []
    for reference in references:
        nic = nics_by_id.get(api.key(reference.get('id')))
        if nic is None:
            return obs.error('network interface %s of the VM is not in the list of subscription %s'
                             % (reference.get('id'), ref['subscription']))
        properties = _props(nic)
        nics.append({'id': nic.get('id'), 'name': nic.get('name'),
                     'primary': bool(_props(reference).get('primary', len(references) == 1) or properties.get('primary')),
                     'nsg_id': (properties.get('networkSecurityGroup') or {}).get('id'),
                     'subnet_ids': [((_props(config).get('subnet') or {}).get('id'))
                                    for config in properties.get('ipConfigurations') or []
                                    if (_props(config).get('subnet') or {}).get('id')]})
    primary = ([nic for nic in nics if nic['primary']] or nics)[0]
    _items, problem = answers.items('nsgs:' + subscription)
    if problem:
        return obs.error('the network security groups of subscription %s could not be listed: %s'
                         % (ref['subscription'], problem))
    nsgs_by_id = answers.by_id('nsgs:' + subscription)
    nsgs = []
    if primary['nsg_id']:
        nsg = nsgs_by_id.get(api.key(primary['nsg_id']))
        if nsg is None:
            return obs.error('network security group %s of NIC %s is not in the list of subscription %s'
                             % (primary['nsg_id'], primary['name'], ref['subscription']))
        nsgs.append(_nsg(nsg, 'nic'))
    subnets = set(api.key(subnet) for subnet in primary['subnet_ids'])
    for nsg in sorted(nsgs_by_id.values(), key=lambda item: api.key(item.get('id'))):
        if subnets & set(api.key(subnet.get('id')) for subnet in _props(nsg).get('subnets') or []):
            nsgs.append(_nsg(nsg, 'subnet'))
    return obs.ok(nics=nics, primary_nic=primary['id'], nsgs=nsgs)


# -- backup ------------------------------------------------------------------------------------------------------
def vault_of(resource_id):
    """The vault id at the start of a backup item, policy or job id."""
    lowered = api.key(resource_id)
    match = re.match(r'^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.recoveryservices/vaults/[^/]+',
                     lowered)
    return resource_id[:match.end()] if match else None


def _item_vm_id(item):
    properties = _props(item)
    return properties.get('virtualMachineId') or properties.get('sourceResourceId')


def _container_key(container_name):
    """The (resource group, VM) end of a container name: protected items say 'iaasvmcontainerv2;rg;vm', some
    jobs and older items 'iaasvmcontainer;iaasvmcontainerv2;rg;vm'."""
    parts = [part for part in (container_name or '').lower().split(';') if part]
    return tuple(parts[-2:]) if len(parts) >= 2 else None


def schedule_of(policy):
    """A backup policy's schedule: {policy_id, policy_name, frequency, times ['HH:MM'], days, time_zone, hourly}."""
    properties = _props(policy)
    schedule = properties.get('schedulePolicy') or {}
    frequency = schedule.get('scheduleRunFrequency')
    times = schedule.get('scheduleRunTimes') or []
    days = schedule.get('scheduleRunDays') or None
    hourly = None
    # Enhanced policies (SimpleSchedulePolicyV2) nest the times per frequency.
    if schedule.get('dailySchedule'):
        times = schedule['dailySchedule'].get('scheduleRunTimes') or times
    if schedule.get('weeklySchedule'):
        times = schedule['weeklySchedule'].get('scheduleRunTimes') or times
        days = schedule['weeklySchedule'].get('scheduleRunDays') or days
    if schedule.get('hourlySchedule'):
        window = schedule['hourlySchedule']
        times = [window.get('scheduleWindowStartTime')] if window.get('scheduleWindowStartTime') else times
        hourly = {'interval': window.get('interval'), 'window_hours': window.get('scheduleWindowDuration')}
    if frequency != 'Weekly':
        days = None
    return {'policy_id': policy.get('id'), 'policy_name': policy.get('name'), 'frequency': frequency,
            'times': [clock for clock in (_clock(value) for value in times) if clock],
            'days': sorted(days) if days else None, 'time_zone': properties.get('timeZone') or 'UTC',
            'hourly': hourly}


def _clock(value):
    """'19:00' from '2017-12-05T19:00:00Z' (the policy stores a time of day in its time zone as a date-time)."""
    match = re.search(r'T(\d{2}):(\d{2})', value or '')
    return '%s:%s' % match.groups() if match else None


def job_error(properties):
    """(code name or None, message or None, error number or None) of a backup job.

    The API types errorDetails[].errorCode as a number (AzureIaaSVMErrorInfo) with errorString the message;
    the portal and the articles name the errors (UserErrorGuestAgentStatusUnavailable). A name is taken where it
    appears (errorCode, errorTitle or the text), else recognised by the article's message for it.
    """
    details = [detail for detail in properties.get('errorDetails') or [] if isinstance(detail, dict)]
    if not details:
        return None, None, None
    detail = details[0]
    raw = detail.get('errorCode')
    message = _text(detail.get('errorString') or detail.get('errorTitle'))
    texts = [str(raw or ''), str(detail.get('errorTitle') or ''), str(detail.get('errorString') or '')]
    for code in ERROR_CODES:
        if any(re.search(r'\b%s\b' % code, text) for text in texts):
            return code, message, raw
    text = ' '.join(texts).lower()
    for code, entry in ERROR_CODES.items():
        if entry.message.lower().rstrip('.') in text:
            return code, message, raw
    if isinstance(raw, str) and raw and not raw.isdigit():
        return raw, message, None
    return None, message, raw


def _job(job):
    properties = _props(job)
    code, message, number = job_error(properties)
    return {'job_id': job.get('name'), 'id': job.get('id'), 'vault_id': vault_of(job.get('id')),
            'vm_name': properties.get('entityFriendlyName'), 'operation': properties.get('operation'),
            'status': properties.get('status'), 'start_time': properties.get('startTime'),
            'end_time': properties.get('endTime'), 'duration': properties.get('duration'),
            'error_code': code, 'error_number': number, 'error_message': message}


class _Vault:
    """One vault's protected items, mapped so that its jobs find their VM.

    A job names its VM only by entityFriendlyName, and in some answers by containerName ('...;rg;vm'). The
    container is exact; a friendly name is taken only when a single protected item of the vault bears it: two
    VMs of one name in different resource groups protected by one vault leave their jobs without VM (ambiguous).
    """

    def __init__(self, items):
        self.items = items
        self.by_container = {}
        self.by_name = {}
        for item in items:
            properties = _props(item)
            self.by_container[_container_key(properties.get('containerName') or item.get('name'))] = item
            self.by_name.setdefault((properties.get('friendlyName') or '').lower(), []).append(item)

    def item_of_job(self, job):
        properties = _props(job)
        container = _container_key(properties.get('containerName'))
        if container and container in self.by_container:
            return self.by_container[container]
        named = self.by_name.get((properties.get('entityFriendlyName') or '').lower()) or []
        return named[0] if len(named) == 1 else None


def _vault_index(answers, vault):
    """_Vault of the vault key's protected items, or None when they could not be read."""
    items, _problem = answers.items('items:' + vault)
    return None if items is None else _Vault([item for item in items if isinstance(item, dict)])


def _backup(ref, answers, days):
    vm_key = api.key(ref['id'])
    vaults = [request_key[len('items:'):] for request_key in answers.keys('items:')]
    listed = 'vaults:' + ref['subscription'].lower()
    if listed in answers.responses:
        _items, problem = answers.items(listed)
        if problem:
            return obs.error('the Recovery Services vaults of subscription %s could not be listed: %s'
                             % (ref['subscription'], problem))
    unreadable = []
    for vault in vaults:
        index = _vault_index(answers, vault)
        if index is None:
            unreadable.append('%s: %s' % (vault, answers.problem('items:' + vault)))
            continue
        for item in index.items:
            if api.key(_item_vm_id(item)) == vm_key:
                return _protected(item, index, vault, answers, days, vaults)
    if unreadable:
        return obs.error('the protected items of vault(s) could not be read: %s' % '; '.join(unreadable))
    return obs.ok(protected=False, vault_id=None, vaults_read=vaults, protected_item=None, policy_id=None,
                  schedule=None, last_job=None, jobs=[], jobs_days=days)


def _protected(item, index, vault, answers, days, vaults):
    properties = _props(item)
    vault_id = vault_of(item.get('id')) or vault
    jobs, problem = answers.items('jobs:' + vault)
    if problem:
        return obs.error('the backup jobs of vault %s could not be read: %s' % (vault_id, problem))
    mine = [_job(job) for job in jobs if isinstance(job, dict) and index.item_of_job(job) is item
            and (_props(job).get('operation') or 'Backup') == 'Backup']
    mine.sort(key=lambda job: job['start_time'] or '', reverse=True)
    policy = answers.by_id('policies:' + vault).get(api.key(properties.get('policyId')))
    return obs.ok(
        protected=True, vault_id=vault_id, vaults_read=vaults, policy_id=properties.get('policyId'),
        protected_item={'id': item.get('id'), 'name': item.get('name'), 'friendly_name': properties.get('friendlyName'),
                        'container_name': properties.get('containerName'),
                        'protection_state': properties.get('protectionState'),
                        'protection_status': properties.get('protectionStatus'),
                        'health_status': properties.get('healthStatus'),
                        'last_backup_status': properties.get('lastBackupStatus'),
                        'last_backup_time': properties.get('lastBackupTime')},
        schedule=schedule_of(policy) if policy else None,
        last_job=mine[0] if mine else None, jobs=mine[:MAX_JOBS], jobs_days=days)


# -- restore points ------------------------------------------------------------------------------------------------
def _restore_points(ref, answers, location):
    subscription = ref['subscription'].lower()
    collections, problem = answers.items('rpcs:' + subscription)
    if problem:
        return obs.error('the restore point collections of subscription %s could not be listed: %s'
                         % (ref['subscription'], problem))
    mine = [collection for collection in collections if isinstance(collection, dict)
            and api.key(((_props(collection).get('source') or {}).get('id'))) == api.key(ref['id'])]
    count, count_errors = 0, []
    for collection in mine:
        body, problem = answers.body('rpc:' + api.key(collection.get('id')))
        if problem:
            count_errors.append('%s: %s' % (collection.get('name'), problem))
        else:
            count += len(_props(body).get('restorePoints') or [])
    locks, problem = answers.items('locks:' + subscription)
    if problem:
        return obs.error('the management locks of subscription %s could not be listed: %s'
                         % (ref['subscription'], problem))
    return obs.ok(collection_ids=[collection.get('id') for collection in mine],
                  count=None if count_errors else count, count_error='; '.join(count_errors) or None,
                  limit=defaults.MAX_RESTORE_POINTS_PER_VM,
                  locks=_blocking_locks(ref, mine, locks, location))


def _blocking_locks(ref, collections, locks, location):
    """The locks that stop the Backup service from deleting the VM's old restore points: on the subscription,
    on a collection or its resource group, or on a resource group the Backup service names for the VM's region
    (AzureBackupRG_<region>_<n>). A lock of any level blocks deletion."""
    scopes = set([api.key(api.subscription_path(ref['subscription']))])
    for collection in collections:
        parsed = api.parse_id(collection.get('id')) or {}
        scopes.add(api.key(collection.get('id')))
        if parsed.get('resource_group'):
            scopes.add(api.key(api.resource_group_id(parsed['subscription'], parsed['resource_group'])))
    region = (location or '').replace(' ', '').lower()
    backup_group = re.compile(r'^%s%s_\d+$' % (re.escape(defaults.BACKUP_RESOURCE_GROUP_PREFIX.lower()), re.escape(region)))
    blocking = []
    for lock in locks:
        scope = api.lock_scope(lock.get('id') if isinstance(lock, dict) else None)
        if scope is None:
            continue
        parsed = api.parse_id(scope) or {}
        by_name = (location and parsed.get('resource_group') and not parsed.get('type')
                   and backup_group.match(parsed['resource_group'].lower()))
        if api.key(scope) in scopes or by_name:
            blocking.append({'id': lock.get('id'), 'name': lock.get('name'), 'level': _props(lock).get('level'),
                             'scope': scope, 'notes': _text(_props(lock).get('notes'))})
    return blocking


# -- sections --------------------------------------------------------------------------------------------------------
def _section(ref, answers, now, days):
    subscription = ref['subscription'].lower()
    section = {'result': 'ok', 'vm_id': ref['id'], 'read_at': _iso(now)}
    vms, problem = answers.items('vms:' + subscription)
    model = answers.by_id('vms:' + subscription).get(api.key(ref['id'])) if vms is not None else None
    if problem:
        missing = 'the VMs of subscription %s could not be listed: %s' % (ref['subscription'], problem)
    elif model is None:
        missing = 'VM %s not found in Azure' % ref['id']
    else:
        missing = None
    if missing:
        for name in ('vm', 'agent', 'extensions', 'network'):
            section[name] = obs.error(missing)
    else:
        view, source, view_problem = _instance_view(ref, answers)
        section['vm'] = _vm(ref, model, view, source, view_problem)
        if view_problem:
            section['agent'] = obs.error(view_problem)
            section['extensions'] = obs.error(view_problem)
        else:
            section['agent'] = _agent(view, source)
            section['extensions'] = _extensions(view)
        section['network'] = _network(ref, model, answers)
    section['backup'] = _backup(ref, answers, days)
    section['restore_points'] = _restore_points(ref, answers, (model or {}).get('location'))
    return section


def control_plane_facts(refs_by_host, responses, now=None, days=defaults.AZURE_JOB_DAYS):
    """{host: azure section}. ``refs_by_host`` maps a host to its VM reference (plan.vm_ref's), or to a string:
    the reason it maps to no VM (its section is then `skip` with that reason)."""
    answers = Answers(responses)
    sections = {}
    for host, ref in (refs_by_host or {}).items():
        if isinstance(ref, dict):
            sections[host] = _section(ref, answers, now, days)
        else:
            sections[host] = obs.skip(str(ref or 'the host maps to no Azure VM'))
    return sections


def response_errors(responses, prefixes=None):
    """'<request key>: <problem>' for each answer that failed (of the keys starting with ``prefixes``)."""
    answers = Answers(responses)
    return ['%s: %s' % (request_key, answers.problem(request_key)) for request_key in sorted(answers.responses)
            if (prefixes is None or request_key.startswith(tuple(prefixes))) and answers.problem(request_key)]


def failed_jobs(responses, days=None, now=None):
    """The failed backup jobs the triage's requests returned (plan.plan_job_requests), newest first:
    [{vm_id, vm_name, vault_id, job_id, status, error_code, error_message, start_time, end_time}]. vm_id is None
    when no protected item of the vault matches the job (see _Vault). With ``days`` and ``now``, older jobs are
    dropped even if the server ignored the $filter."""
    answers = Answers(responses)
    oldest = None
    if days is not None and now is not None:
        oldest = _iso(now - datetime.timedelta(days=days))
    jobs = []
    for request_key in answers.keys('failedjobs:'):
        vault = request_key[len('failedjobs:'):]
        items, _problem = answers.items(request_key)
        index = _vault_index(answers, vault) or _Vault([])
        for job in items or []:
            if not isinstance(job, dict):
                continue
            entry = _job(job)
            if entry['status'] != 'Failed' or (oldest and (entry['start_time'] or '') < oldest):
                continue
            item = index.item_of_job(job)
            jobs.append({'vm_id': _item_vm_id(item) if item else None,
                         'vm_name': (_props(item).get('friendlyName') if item else None) or entry['vm_name'],
                         'vault_id': entry['vault_id'] or vault, 'job_id': entry['job_id'], 'status': entry['status'],
                         'error_code': entry['error_code'], 'error_message': entry['error_message'],
                         'start_time': entry['start_time'], 'end_time': entry['end_time']})
    jobs.sort(key=lambda job: job['start_time'] or '', reverse=True)
    return jobs


def fleet_context(responses, refs_by_host=None):
    """What snapshot.schedule needs: {vms: {vm key: vm}, hosts: {vm key: host}, errors: [...]}.

    vm = {id, name, group, group_kind ('availability_set' | 'cloud_service' | None), protected, vault_id,
    policy_id, schedule}. Every VM of the VM lists is there (the other VMs of an availability set count too);
    classic VMs, which only the protected items name, are grouped by their cloud service (the container name
    'iaasvmcontainer;<cloud service>;<vm>').
    """
    answers = Answers(responses)
    vms = {}
    for request_key in answers.keys('vms:'):
        for vm_key, model in answers.by_id(request_key).items():
            group = (_props(model).get('availabilitySet') or {}).get('id')
            vms[vm_key] = {'id': model.get('id'), 'name': model.get('name'), 'group': group,
                           'group_kind': 'availability_set' if group else None, 'protected': False,
                           'vault_id': None, 'policy_id': None, 'schedule': None}
    for request_key in answers.keys('items:'):
        vault = request_key[len('items:'):]
        policies = answers.by_id('policies:' + vault)
        for item in answers.by_id(request_key).values():
            properties = _props(item)
            vm_key = api.key(_item_vm_id(item))
            if not vm_key:
                continue
            entry = vms.get(vm_key)
            if entry is None:
                entry = vms[vm_key] = {'id': _item_vm_id(item), 'name': properties.get('friendlyName'), 'group': None,
                                       'group_kind': None, 'protected': False, 'vault_id': None, 'policy_id': None,
                                       'schedule': None}
                if 'classiccompute' in (properties.get('protectedItemType') or '').lower():
                    parts = (properties.get('containerName') or '').split(';')
                    if len(parts) >= 3:
                        entry['group'], entry['group_kind'] = 'cloudservice:' + parts[-2].lower(), 'cloud_service'
            policy = policies.get(api.key(properties.get('policyId')))
            entry.update(protected=properties.get('protectionState') != 'ProtectionStopped',
                         vault_id=vault_of(item.get('id')), policy_id=properties.get('policyId'),
                         schedule=schedule_of(policy) if policy else None)
    hosts = dict((api.key(ref['id']), host) for host, ref in (refs_by_host or {}).items() if isinstance(ref, dict))
    errors = response_errors(responses, ('vms:', 'items:', 'policies:', 'vaults:'))
    return {'vms': vms, 'hosts': hosts, 'errors': errors}
