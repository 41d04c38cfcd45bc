"""Triage benchmark: the triage playbook against the naive way, on a fake Azure of 1000 VMs.

    .venv/bin/python tests/bench/triage.py [--vms 1000] [--failed 50] [--job-days 7] [--rounds 1] [--no-growth]
                                           [--output tests/bench/results.md]

No lab, no root, no network: the real ansible-playbook, azure.azcollection and Azure SDK against the fake
Azure Resource Manager of tests/azure (fake_arm.py), started afresh for every measurement. The scenario is
generated: one subscription, 4 resource groups of VMs, 2 vaults; every VM has a NIC, an instance view (agent
Ready), the VMSnapshotLinux extension, a protected item, a daily policy, a restore point collection and one
backup job a day for --job-days days. The last job of --failed VMs failed with one of the article's error
codes, with what causes it in Azure where Azure shows it (agent Not Ready, an NSG denying 443, a failed
provisioning state, an extension in error); the rest completed. Measured, in one run:

1. triage: `ansible-playbook azure_backup.snapshot_doctor.triage` with the vaults and an inventory without the
   VMs, so the failed VMs are diagnosed from Azure only (the guest side is measured by `make bench`);
   checks that findings.json names every failed VM with its error code;
2. naive: azure.azcollection.azure_rm_virtualmachine_info without a name (lists the VMs, then GETs each
   one with its instance view, and its instance view again);
3. the diagnose playbook with diagnose_azure: true on inventories of the failed VMs and of every VM
   (diagnose_azure_only, so no guest is contacted): how the requests grow with the VMs of the run.

Counted from the fake's request log: ARM requests (management.azure.com, list pages included) and login
requests apart; the fake's own time answering them (its handler's; TLS and the proxy not included). Writes its
section of --output between the bench-triage markers (the rest of the file is kept); exits 1 when the triage
misses a failed VM or its error code.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'azure'))

from fake_arm import ARM, DEFAULT_SUBSCRIPTION, LOGIN, FakeAzure  # noqa: E402
from azure_run import HERE as AZURE_TESTS, BIN, PlaybookResults, child_env, local_inventory  # noqa: E402

START, END = '<!-- bench-triage:start -->', '<!-- bench-triage:end -->'
TRIAGE = os.path.join(ROOT, 'playbooks', 'triage.yml')
DIAGNOSE = os.path.join(ROOT, 'playbooks', 'diagnose.yml')
# The tasks that read Azure, in the three playbooks.
AZURE_TASKS = ('List the failed backup jobs of the vaults', 'Read what Azure says about the VMs and their backups',
               'Every VM with its instance view')
NAIVE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Every VM with its instance view
      azure.azcollection.azure_rm_virtualmachine_info:
      register: vms
"""
SUB = '/subscriptions/' + DEFAULT_SUBSCRIPTION
REGION = 'westeurope'
GROUPS = ('rg-web', 'rg-app', 'rg-db', 'rg-batch')
VAULTS = ('vault-a', 'vault-b')
NET = SUB + '/resourceGroups/rg-network/providers/Microsoft.Network'
SUBNET = NET + '/virtualNetworks/vnet-fleet/subnets/default'
RPC_GROUP = SUB + '/resourceGroups/AzureBackupRG_%s_1' % REGION
# The failed VMs' error codes, in this proportion (of 10), and the article's message for each: the job list
# carries the message (errorString) and a number; the numbers here are placeholders.
FAILURES = (
    ('UserErrorGuestAgentStatusUnavailable', 4, 'VM Agent unable to communicate with Azure Backup'),
    ('GuestAgentSnapshotTaskStatusError', 2, 'Could not communicate with the VM agent for snapshot status'),
    ('ExtensionSnapshotFailedNoNetwork', 2, 'Snapshot operation failed due to no network connectivity on the virtual machine'),
    ('UserErrorVmProvisioningStateFailed', 1, 'The VM is in failed provisioning state'),
    ('ExtensionOperationFailedForManagedDisks', 1, 'VMSnapshot extension operation failed'),
)
# The control-plane check that shows each code's cause from Azure (None: the cause is in the guest).
EXPLAINED_BY = {
    'UserErrorGuestAgentStatusUnavailable': 'agent.azure_status',
    'GuestAgentSnapshotTaskStatusError': None,
    'ExtensionSnapshotFailedNoNetwork': 'connectivity.nsg',
    'UserErrorVmProvisioningStateFailed': 'extension.provisioning',
    'ExtensionOperationFailedForManagedDisks': 'extension.provisioning',
}


# -- the scenario --------------------------------------------------------------------------------------------------
def _status(code, display, level='Info', **extra):
    return dict({'code': code, 'level': level, 'displayStatus': display}, **extra)


def _nsg(name, extra_rules=()):
    rid = NET + '/networkSecurityGroups/' + name
    defaults = [('AllowVnetOutBound', 'VirtualNetwork', 'Allow', 65000), ('AllowInternetOutBound', 'Internet', 'Allow', 65001),
                ('DenyAllOutBound', '*', 'Deny', 65500)]
    rules = [{'id': rid + '/securityRules/' + rule, 'name': rule, 'properties': {
        'protocol': '*', 'sourcePortRange': '*', 'destinationPortRange': '*', 'sourceAddressPrefix': '*',
        'destinationAddressPrefix': dest, 'access': access, 'priority': priority, 'direction': 'Outbound'}}
        for rule, dest, access, priority in defaults]
    return rid, {'type': 'Microsoft.Network/networkSecurityGroups', 'location': REGION, 'properties': {
        'provisioningState': 'Succeeded', 'securityRules': list(extra_rules), 'defaultSecurityRules': rules}}


def failures(count):
    """[error code] for the failed VMs, in FAILURES' proportions."""
    pattern = [code for code, share, _message in FAILURES for _index in range(share)]
    return [pattern[index % len(pattern)] for index in range(count)]


def scenario(vm_count, failed_count, job_days):
    """(scenario dict, vault ids, {failed VM id: error code}, [every VM id])."""
    resources = {SUB + '/resourceGroups/' + group: {'type': 'Microsoft.Resources/resourceGroups', 'location': REGION}
                 for group in GROUPS + ('rg-network', 'rg-backup', 'AzureBackupRG_%s_1' % REGION)}
    resources[NET + '/virtualNetworks/vnet-fleet'] = {'type': 'Microsoft.Network/virtualNetworks', 'location': REGION, 'properties': {
        'addressSpace': {'addressPrefixes': ['10.0.0.0/16']},
        'subnets': [{'id': SUBNET, 'name': 'default', 'properties': {'addressPrefix': '10.0.0.0/16'}}]}}
    fleet_nsg, body = _nsg('nsg-fleet')
    resources[fleet_nsg] = body
    # The NoNetwork VMs' NICs: a rule above the defaults denies the Internet (so Storage and AzureBackup) on 443.
    locked_nsg, body = _nsg('nsg-locked', [{'id': NET + '/networkSecurityGroups/nsg-locked/securityRules/deny-internet-443',
                                            'name': 'deny-internet-443', 'properties': {
                                                'protocol': 'Tcp', 'sourcePortRange': '*', 'destinationPortRange': '443',
                                                'sourceAddressPrefix': '*', 'destinationAddressPrefix': 'Internet',
                                                'access': 'Deny', 'priority': 200, 'direction': 'Outbound'}}])
    resources[locked_nsg] = body
    vault_ids = [SUB + '/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/' + name for name in VAULTS]
    for vault in vault_ids:
        resources[vault] = {'type': 'Microsoft.RecoveryServices/vaults', 'location': REGION,
                            'sku': {'name': 'RS0', 'tier': 'Standard'}, 'properties': {'provisioningState': 'Succeeded'}}
        resources[vault + '/backupPolicies/DailyPolicy'] = {'type': 'Microsoft.RecoveryServices/vaults/backupPolicies', 'properties': {
            'backupManagementType': 'AzureIaasVM', 'instantRpRetentionRangeInDays': 2, 'timeZone': 'UTC',
            'schedulePolicy': {'schedulePolicyType': 'SimpleSchedulePolicy', 'scheduleRunFrequency': 'Daily',
                               'scheduleRunTimes': ['2025-01-01T22:00:00Z'], 'scheduleWeeklyFrequency': 0},
            'retentionPolicy': {'retentionPolicyType': 'LongTermRetentionPolicy', 'dailySchedule': {
                'retentionTimes': ['2025-01-01T22:00:00Z'], 'retentionDuration': {'count': 30, 'durationType': 'Days'}}}}}
    # Every (vm_count // failed_count)-th VM failed, so the failed ones are spread over groups and vaults.
    step = max(1, vm_count // max(1, failed_count))
    codes = failures(failed_count)
    failed = {index * step: codes[index] for index in range(failed_count)}
    jobs, expected, vm_ids = [], {}, []
    for index in range(vm_count):
        name = 'vm-%04d' % (index + 1)
        group = GROUPS[index % len(GROUPS)]
        vault = vault_ids[index % len(vault_ids)]
        vm_id = SUB + '/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s' % (group, name)
        nic_id = SUB + '/resourceGroups/%s/providers/Microsoft.Network/networkInterfaces/%s-nic' % (group, name)
        code = failed.get(index)
        vm_ids.append(vm_id)
        if code:
            expected[vm_id] = code
        resources[vm_id] = {'type': 'Microsoft.Compute/virtualMachines', 'location': REGION, 'properties': {
            'vmId': '00000000-0000-4000-8000-%012d' % index,
            'provisioningState': 'Failed' if code == 'UserErrorVmProvisioningStateFailed' else 'Succeeded',
            'hardwareProfile': {'vmSize': 'Standard_D2s_v5'},
            'storageProfile': {'imageReference': {'publisher': 'Canonical', 'offer': '0001-com-ubuntu-server-jammy',
                                                  'sku': '22_04-lts-gen2', 'version': 'latest'},
                               'osDisk': {'osType': 'Linux', 'name': name + '_OsDisk_1', 'createOption': 'FromImage',
                                          'caching': 'ReadWrite', 'managedDisk': {'storageAccountType': 'Premium_LRS'}, 'diskSizeGB': 30},
                               'dataDisks': []},
            'osProfile': {'computerName': name, 'adminUsername': 'azureuser',
                          'linuxConfiguration': {'disablePasswordAuthentication': True, 'provisionVMAgent': True}},
            'networkProfile': {'networkInterfaces': [{'id': nic_id, 'properties': {'primary': True}}]}}}
        resources[nic_id] = {'type': 'Microsoft.Network/networkInterfaces', 'location': REGION, 'properties': {
            'provisioningState': 'Succeeded', 'primary': True,
            'ipConfigurations': [{'id': nic_id + '/ipConfigurations/ipconfig1', 'name': 'ipconfig1', 'properties': {
                'privateIPAddress': '10.0.%d.%d' % (index // 250, index % 250 + 4), 'subnet': {'id': SUBNET}, 'primary': True}}],
            'networkSecurityGroup': {'id': locked_nsg if code == 'ExtensionSnapshotFailedNoNetwork' else fleet_nsg},
            'virtualMachine': {'id': vm_id}}}
        resources[vm_id + '/extensions/VMSnapshotLinux'] = {'type': 'Microsoft.Compute/virtualMachines/extensions', 'location': REGION,
                                                            'properties': {'publisher': 'Microsoft.Azure.RecoveryServices',
                                                                           'type': 'VMSnapshotLinux', 'typeHandlerVersion': '1.0',
                                                                           'provisioningState': 'Succeeded'}}
        resources[vm_id + '/instanceView'] = instance_view(name, code)
        container = 'iaasvmcontainerv2;%s;%s' % (group, name)
        resources['%s/backupFabrics/Azure/protectionContainers/IaasVMContainer;%s/protectedItems/VM;%s' % (vault, container, container)] = {
            'type': 'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems', 'properties': {
                'friendlyName': name, 'virtualMachineId': vm_id, 'sourceResourceId': vm_id,
                'protectedItemType': 'Microsoft.Compute/virtualMachines', 'backupManagementType': 'AzureIaasVM',
                'workloadType': 'VM', 'containerName': container, 'protectionStatus': 'Healthy', 'protectionState': 'Protected',
                'healthStatus': 'ActionRequired' if code else 'Passed', 'lastBackupStatus': 'Failed' if code else 'Completed',
                'lastBackupTime': 'now-2h', 'policyId': vault + '/backupPolicies/DailyPolicy', 'policyName': 'DailyPolicy'}}
        # The collection's restore points are not stored: the fake does not $expand them (backup.restore_points
        # then counts 0), and they cost no request.
        resources[RPC_GROUP + '/providers/Microsoft.Compute/restorePointCollections/AzureBackup_%s_%d' % (name, 1000000 + index)] = {
            'type': 'Microsoft.Compute/restorePointCollections', 'location': REGION,
            'properties': {'source': {'id': vm_id, 'location': REGION}, 'provisioningState': 'Succeeded'}}
        for day in range(job_days):
            jobs.append(job(vault, name, index, day, code if day == 0 else None))
    return {'subscription_id': DEFAULT_SUBSCRIPTION, 'resources': resources, 'jobs': jobs}, vault_ids, expected, vm_ids


def instance_view(name, code):
    agent = _status('ProvisioningState/succeeded', 'Ready', message='Guest Agent is running', time='now-5m')
    if code == 'UserErrorGuestAgentStatusUnavailable':
        agent = _status('ProvisioningState/Unavailable', 'Not Ready', 'Warning',
                        message='VM status blob is found but not yet populated.', time='now-3h')
    extension = [_status('ProvisioningState/succeeded', 'Provisioning succeeded')]
    if code == 'ExtensionOperationFailedForManagedDisks':
        extension = [_status('ProvisioningState/failed/1', 'Provisioning failed', 'Error',
                             message='Enable failed: the snapshot of the managed disks failed')]
    vm_state = _status('ProvisioningState/succeeded', 'Provisioning succeeded', time='now-30d')
    if code == 'UserErrorVmProvisioningStateFailed':
        vm_state = _status('ProvisioningState/failed/InternalOperationError', 'Provisioning failed', 'Error', time='now-4h')
    return {'computerName': name, 'osName': 'ubuntu', 'osVersion': '22.04', 'hyperVGeneration': 'V2',
            'vmAgent': {'vmAgentVersion': '2.7.3', 'statuses': [agent], 'extensionHandlers': [{
                'type': 'Microsoft.Azure.RecoveryServices.VMSnapshotLinux', 'typeHandlerVersion': '1.0.9225.0',
                'status': _status('ProvisioningState/succeeded', 'Ready')}]},
            'extensions': [{'name': 'VMSnapshotLinux', 'type': 'Microsoft.Azure.RecoveryServices.VMSnapshotLinux',
                            'typeHandlerVersion': '1.0.9225.0', 'statuses': extension}],
            'statuses': [vm_state, _status('PowerState/running', 'VM running')]}


def job(vault, name, index, day, code):
    """The backup job of ``day`` days before the last one (day 0: 2 h ago), failed with ``code`` if given."""
    start = 2 + 24 * day
    details = []
    if code:
        number, message = [(400000 + i, text) for i, (known, _share, text) in enumerate(FAILURES) if known == code][0]
        details = [{'errorCode': number, 'errorString': message,
                    'recommendations': ['See the troubleshooting article for this error.']}]
    return {'id': '%s/backupJobs/%08d-0000-4000-8000-%012d' % (vault, index, day), 'type': 'Microsoft.RecoveryServices/vaults/backupJobs',
            'properties': {'jobType': 'AzureIaaSVMJob', 'entityFriendlyName': name, 'backupManagementType': 'AzureIaasVM',
                           'operation': 'Backup', 'status': 'Failed' if code else 'Completed',
                           'startTime': 'now-%dh' % start, 'endTime': 'now-%dm' % (start * 60 - 25), 'duration': 'PT25M',
                           'activityId': 'bench-%s-%d' % (name, day), 'errorDetails': details}}


# -- measuring ------------------------------------------------------------------------------------------------------
class TimedFake(FakeAzure):
    """The fake, with the time its handler spends on each request. The fake answers one request at a time (under
    its lock), so the time is taken inside the lock: it is the fake's own work, without the wait for the lock."""

    def __enter__(self):
        self.handler_seconds = {}
        return super(TimedFake, self).__enter__()

    def handle(self, *args, **kwargs):
        with self._lock:
            started = time.perf_counter()
            status, extra, answer = super(TimedFake, self).handle(*args, **kwargs)
            self.handler_seconds[extra['x-ms-request-id']] = time.perf_counter() - started
        return status, extra, answer


def run(playbook, fake, work, extra_vars=None, inventory=None):
    """tests/azure's run_playbook, with tests/bench's task_seconds callback too: (rc, results, {task: seconds})."""
    inventory_path = os.path.join(work, 'inventory.json')
    with open(inventory_path, 'w', encoding='utf-8') as handle:
        json.dump(inventory or local_inventory({'localhost': {}}), handle)
    if '\n' in playbook:
        with open(os.path.join(work, 'playbook.yml'), 'w', encoding='utf-8') as handle:
            handle.write(playbook)
        playbook = handle.name
    files = {'FAKE_AZURE_RESULTS': os.path.join(work, 'results.jsonl'), 'BENCH_TASK_SECONDS': os.path.join(work, 'tasks.json')}
    env = child_env(fake, ANSIBLE_CALLBACK_PLUGINS=os.path.join(AZURE_TESTS, 'callback_plugins') + ':' + os.path.join(HERE, 'callback_plugins'),
                    ANSIBLE_CALLBACKS_ENABLED='fake_azure_results,task_seconds', ANSIBLE_LOCAL_TEMP=os.path.join(work, 'tmp'), **files)
    command = [os.path.join(BIN, 'ansible-playbook'), '-i', inventory_path, playbook, '-e', json.dumps(extra_vars or {})]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600, check=False)
    results = PlaybookResults()
    if os.path.exists(files['FAKE_AZURE_RESULTS']):
        with open(files['FAKE_AZURE_RESULTS'], encoding='utf-8') as handle:
            results.extend(json.loads(line) for line in handle if line.strip())
    results.output = proc.stdout + proc.stderr
    tasks = {}
    if os.path.exists(files['BENCH_TASK_SECONDS']):
        with open(files['BENCH_TASK_SECONDS'], encoding='utf-8') as handle:
            tasks = json.load(handle)['tasks']
    return proc.returncode, results, tasks


def measure(label, data, playbook, extra_vars=None, inventory=None):
    """One ansible-playbook run on a fresh fake: its wall time, the requests and the playbook's results."""
    with TimedFake(data) as fake, tempfile.TemporaryDirectory(prefix='bench-triage-run-') as work:
        started = time.monotonic()
        rc, results, tasks = run(playbook, fake, work, extra_vars, inventory)
        wall = time.monotonic() - started
        arm = [entry for entry in fake.requests if entry['host'] == ARM]
        figures = {
            'label': label, 'rc': rc, 'wall': wall, 'arm': len(arm),
            'pages': sum(1 for entry in arm if '$skiptoken' in entry['query'] or 'skiptoken' in entry['query']),
            'login': sum(1 for entry in fake.requests if entry['host'] == LOGIN),
            'writes': len(fake.writes()), 'refused': len(fake.refused),
            'fake_seconds': sum(fake.handler_seconds.values()), 'fake_max': max(list(fake.handler_seconds.values()) or [0]),
            'by_kind': kinds(arm, fake.handler_seconds),
            'azure_tasks': sum(seconds for name, seconds in tasks.items() if name.endswith(AZURE_TASKS)),
            'tasks': tasks,
        }
    if rc != 0 or results.failed() or figures['writes'] or figures['refused']:
        print(results.output[-6000:], file=sys.stderr)
        raise SystemExit('%s: ansible-playbook failed (rc %d), or wrote (%d) or was refused (%d)' % (
            label, rc, figures['writes'], figures['refused']))
    print('%s: %.1f s (reading Azure %.1f s), %d ARM requests (%d list pages after the first), %d login; the fake answered '
          'in %.1f s' % (label, wall, figures['azure_tasks'], figures['arm'], figures['pages'], figures['login'],
                         figures['fake_seconds']), flush=True)
    slowest = sorted(tasks.items(), key=lambda item: -item[1])[:4]
    print('  slowest tasks: ' + '; '.join('%s %.1f s' % item for item in slowest), flush=True)
    return figures, results


def is_collection(parts):
    """True for an ARM path (its segments) that ends on a type: after /providers/<namespace>, types and names
    alternate; without providers, /subscriptions and /subscriptions/S/resourceGroups are the lists."""
    lowered = [part.lower() for part in parts]
    if 'providers' not in lowered:
        return len(parts) in (1, 3)
    tail = parts[len(lowered) - lowered[::-1].index('providers') + 1:]     # after the last providers/<namespace>
    return lowered[-1] != 'instanceview' and len(tail) % 2 == 1


def kinds(arm, seconds):
    """{kind: [requests, the fake's seconds]}: a list by its type ('virtualMachines list', statusOnly apart),
    a single resource by its type ('virtualMachines GET'), an instance view as 'instanceView GET'."""
    counts = {}
    for entry in arm:
        parts = entry['path'].strip('/').split('/')
        if is_collection(parts):
            kind = parts[-1] + (' statusOnly' if entry['query'].get('statusOnly') else '') + ' list'
        else:
            kind = (parts[-1] if parts[-1].lower() == 'instanceview' else parts[-2]) + ' GET'
        counts.setdefault(kind, [0, 0.0])
        counts[kind][0] += 1
        counts[kind][1] += seconds.get(entry['request_id'], 0.0)
    return dict(sorted(counts.items()))


def busiest(figures):
    """The kind of request the fake spent most time on, with its time per request."""
    kind, (count, seconds) = max(figures['by_kind'].items(), key=lambda item: item[1][1])
    return 'most on the %d %s: %.0f ms each' % (count, kind, 1000 * seconds / count)


def kinds_text(by_kind):
    return ', '.join('%s %d (%.1f s)' % (kind, count, seconds) for kind, (count, seconds) in by_kind.items())


def check_triage(results, report_dir, expected):
    """Problems of the triage's answer: failed VMs or error codes missing from failed_backups and findings.json,
    VMs named that did not fail; and, per error code, how many VMs a control-plane check explains."""
    problems = []
    listed = {vm['vm_id'].lower() if vm.get('vm_id') else vm.get('vm_name'): vm.get('error_code')
              for vm in results.task('List the failed backup jobs of the vaults')['result'].get('vms', [])}
    wanted = {vm_id.lower(): code for vm_id, code in expected.items()}
    for vm_id, code in sorted(wanted.items()):
        if listed.get(vm_id) != code:
            problems.append('failed_backups: %s listed with %r, expected %s' % (vm_id.rsplit('/', 1)[1], listed.get(vm_id, 'nothing'), code))
    problems += ['failed_backups: %s listed, its jobs did not fail' % vm for vm in sorted(set(listed) - set(wanted))]
    with open(os.path.join(report_dir, 'findings.json'), encoding='utf-8') as handle:
        hosts = json.load(handle)['hosts']
    by_name = {vm_id.rsplit('/', 1)[1]: code for vm_id, code in expected.items()}
    explained = {}
    for name, code in sorted(by_name.items()):
        findings = {f['check']: f for f in (hosts.get(name) or {}).get('findings', [])}
        last = findings.get('backup.last_job') or {}
        if last.get('status') != 'fail' or (last.get('evidence') or {}).get('error_code') != code:
            problems.append('findings.json: %s has backup.last_job %s with error code %r, expected fail with %s' % (
                name, last.get('status', 'missing'), (last.get('evidence') or {}).get('error_code'), code))
        check = EXPLAINED_BY[code]
        shown = check is not None and (findings.get(check) or {}).get('status') in ('fail', 'warn')
        explained.setdefault(code, [0, 0, check])
        explained[code][0] += 1
        explained[code][1] += int(shown)
    problems += ['findings.json: %s is in the report but did not fail' % name for name in sorted(set(hosts) - set(by_name))]
    return problems, explained


def medians(runs):
    """The first run's figures with the medians of the times of all runs (the requests are the same each time)."""
    figures = dict(runs[0])
    for name in ('wall', 'azure_tasks', 'fake_seconds'):
        figures[name] = statistics.median(run[name] for run in runs)
    figures['walls'] = [run['wall'] for run in runs]
    counts = [dict((kind, count) for kind, (count, _seconds) in run['by_kind'].items()) for run in runs]
    figures['same_requests'] = all(count == counts[0] for count in counts)
    return figures


def azure_only_inventory(vm_ids):
    """Hosts that map to the VMs by id and are not contacted (the triage's hosts that the inventory lacks)."""
    return local_inventory({vm_id.rsplit('/', 1)[1]: {'diagnose_azure_vm_id': vm_id, 'diagnose_azure_only': True}
                            for vm_id in vm_ids})


# -- the results file -------------------------------------------------------------------------------------------------
def machine():
    memory = subprocess.run(['free', '-h'], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.split('\n')[1]
    ansible = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible'), '--version'], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout.split('\n')[0]
    return '%s, %d CPUs (nproc), memory: %s total/used; Python %s, %s; 1-minute load average at the end: %.1f' % (
        platform.platform(), os.cpu_count(), ' '.join(memory.split()[1:3]), platform.python_version(), ansible, os.getloadavg()[0])


def commit():
    head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, stdout=subprocess.PIPE, universal_newlines=True,
                          check=False).stdout.strip()
    dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=ROOT, stdout=subprocess.PIPE,
                           universal_newlines=True, check=False).stdout.strip()
    return head + (' (with uncommitted changes in the tree)' if dirty else '')


def section(args, triage, naive, growth, problems, explained):
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    row = '| %s | %d | %d | %d | %.1f | %.1f | %.1f | %.1f |'
    lines = [
        START,
        '## Triage: %d VMs, %d failed their last backup (`make bench-triage`)' % (args.vms, args.failed),
        '',
        'Generated by tests/bench/triage.py on %s at commit %s, every figure in the same run, each run on a fresh '
        'fake Azure (tests/azure/fake_arm.py: the real ansible-playbook, azure.azcollection and Azure SDK through its '
        'local TLS proxy).' % (now, commit()),
        '',
        '- Machine: %s.' % machine(),
        '- Scenario (generated): 1 subscription, %d VMs in %d resource groups, %d vaults, each VM with a NIC, an instance '
        'view, the VMSnapshotLinux extension, a protected item, a daily policy, a restore point collection and %d daily '
        'backup jobs (%d jobs); the last job of %d VMs failed (%s), the rest completed. The fake pages lists by %d.' % (
            args.vms, len(GROUPS), len(VAULTS), args.job_days, args.vms * args.job_days, args.failed,
            ', '.join('%s x%d' % (code, sum(1 for c in failures(args.failed) if c == code)) for code, _s, _m in FAILURES),
            args.page_size),
        '- triage: `ansible-playbook azure_backup.snapshot_doctor.triage -e triage_vaults=[both vaults]` on an inventory '
        'of localhost only, so the failed VMs are diagnosed from Azure alone (their guests are measured by `make bench`).',
        '- naive: one `azure.azcollection.azure_rm_virtualmachine_info` task without a name (lists the VMs, then for each '
        'VM a GET with $expand=instanceView and a GET of its instanceView); it says nothing of the backup jobs.',
        '- Requests from the fake\'s log: ARM = management.azure.com, list pages included; login = '
        'login.microsoftonline.com (discovery and token). Wall = the whole ansible-playbook run; reading Azure = the '
        'tasks that do (tests/bench/callback_plugins/task_seconds.py). Fake = the time the fake spent answering, one '
        'request at a time under its lock (its TLS and proxy not included): time the runs waited for the fake.',
        '',
        '| run | ARM requests | of which next pages | login requests | wall (s) | reading Azure (s) | fake (s) | '
        'fake, slowest request (ms) |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ]
    for figures in (triage, naive):
        lines.append(row % (figures['label'], figures['arm'], figures['pages'], figures['login'], figures['wall'],
                            figures['azure_tasks'], figures['fake_seconds'], 1000 * figures['fake_max']))
    lines += [
        '',
        '**naive / triage: %.1fx the ARM requests, %.1fx the wall time.**' % (
            naive['arm'] / float(triage['arm']), naive['wall'] / triage['wall']),
        '',
        'Times are medians of %d alternating round(s); wall times of each: triage %s, naive %s s.%s' % (
            len(triage['walls']), ', '.join('%.1f' % wall for wall in triage['walls']),
            ', '.join('%.1f' % wall for wall in naive['walls']),
            '' if triage['same_requests'] and naive['same_requests'] else ' **The requests differed between rounds.**'),
        '',
        'The fake answered one request at a time: %.1f s of the triage\'s %.1f s went to its own work (%s), %.1f s of the '
        'naive way\'s %.1f s.' % (triage['fake_seconds'], triage['wall'], busiest(triage), naive['fake_seconds'], naive['wall']),
        '',
        'ARM requests by kind (and the fake\'s time answering them):',
        '',
        '- triage: %s' % kinds_text(triage['by_kind']),
        '- naive: %s' % kinds_text(naive['by_kind']),
        '',
        'What the triage found (failed_backups and findings.json): %s.' % (
            'every failed VM with its error code, and no other VM' if not problems else '**%d problem(s)**: %s' % (
                len(problems), '; '.join(problems[:10]) + ('; ...' if len(problems) > 10 else ''))),
        'The control-plane check that shows the cause from Azure, per error code:',
        '',
        '| error code | VMs | explained from Azure by | VMs where it fails or warns |',
        '| --- | --- | --- | --- |',
    ]
    for code, (count, shown, check) in sorted(explained.items()):
        lines.append('| %s | %d | %s | %s |' % (code, count, check or '(the guest: not in this run)', shown if check else 'n/a'))
    if growth:
        lines += [
            '',
            'The diagnose playbook with `diagnose_azure: true` (and the vaults given), hosts mapped by '
            '`diagnose_azure_vm_id` and `diagnose_azure_only: true` (no guest contacted):',
            '',
            '| hosts in the run | ARM requests | of which next pages | login requests | wall (s) | reading Azure (s) | fake (s) | '
            'requests by kind (fake\'s time) |',
            '| --- | --- | --- | --- | --- | --- | --- | --- |',
        ]
        for figures in growth:
            lines.append('| %s | %d | %d | %d | %.1f | %.1f | %.1f | %s |' % (
                figures['label'], figures['arm'], figures['pages'], figures['login'], figures['wall'], figures['azure_tasks'],
                figures['fake_seconds'], kinds_text(figures['by_kind'])))
        lines += ['', 'Slowest tasks (the triage: its first round): ' + '; '.join(
            '%s: %s' % (figures['label'], ', '.join('%s %.1f s' % (name.split(' : ')[-1], seconds) for name, seconds in
                                                    sorted(figures['tasks'].items(), key=lambda item: -item[1])[:3]))
            for figures in [triage] + growth)]
    lines.append(END)
    return '\n'.join(lines) + '\n'


def replace_section(path, text_section):
    """Puts the section between the markers of ``path`` (appended when absent); keeps the rest."""
    text = ''
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
    if START in text and END in text:
        text = text[:text.index(START)] + text_section.rstrip('\n') + text[text.index(END) + len(END):]
    else:
        text = text.rstrip('\n') + '\n\n' + text_section
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text if text.endswith('\n') else text + '\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--vms', type=int, default=1000)
    parser.add_argument('--failed', type=int, default=50)
    parser.add_argument('--job-days', type=int, default=7, help='daily backup jobs per VM (the triage reads 7 days)')
    parser.add_argument('--page-size', type=int, default=100, help="the fake's list page size")
    parser.add_argument('--no-growth', action='store_true', help='skip the diagnose runs over the failed and over all VMs')
    parser.add_argument('--rounds', type=int, default=1, help='alternating rounds of triage and naive (medians)')
    parser.add_argument('--output', help='results file to write the bench-triage section into')
    args = parser.parse_args()
    data, vault_ids, expected, vm_ids = scenario(args.vms, args.failed, args.job_days)
    data['page_size'] = args.page_size
    # The fake's guard against request loops is sized for tests; the naive way sends 2 requests per VM.
    data['max_requests'] = 3 * args.vms + 1000
    with tempfile.TemporaryDirectory(prefix='bench-triage-') as work:
        path = os.path.join(work, 'scenario.json')
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(data, handle)
        print('scenario: %d resources, %d jobs, %.1f MB (%s)' % (len(data['resources']), len(data['jobs']),
                                                                 os.path.getsize(path) / 1e6, path), flush=True)
        # Rounds alternate, so that the machine's load shifts both alike; the triage's answer is checked each time.
        triages, naives, problems = [], [], []
        for round_number in range(args.rounds):
            report_dir = os.path.join(work, 'triage-report-%d' % round_number)
            figures, results = measure('triage', path, TRIAGE, {'triage_vaults': vault_ids, 'diagnose_report_dir': report_dir},
                                       local_inventory({'localhost': {}}))
            triages.append(figures)
            found, explained = check_triage(results, report_dir, expected)
            problems += [problem for problem in found if problem not in problems]
            naives.append(measure('naive', path, NAIVE)[0])
        triage, naive = medians(triages), medians(naives)
        growth = []
        if not args.no_growth:
            for label, ids in (('%d (the failed VMs)' % len(expected), sorted(expected)), ('%d (every VM)' % len(vm_ids), vm_ids)):
                figures, _results = measure(label, path, DIAGNOSE, {
                    'diagnose_azure': True, 'diagnose_azure_vaults': vault_ids,
                    'diagnose_report_dir': os.path.join(work, 'diagnose-%d' % len(ids))}, azure_only_inventory(ids))
                growth.append(figures)
    for problem in problems:
        print('PROBLEM: ' + problem)
    text = section(args, triage, naive, growth, problems, explained)
    print(text)
    if args.output:
        replace_section(args.output, text)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
