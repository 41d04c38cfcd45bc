# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of the snapshot cause (article cause 4: the snapshot status cannot be retrieved)."""
from __future__ import absolute_import, division, print_function

import fnmatch

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import PLATFORMS
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure.facts import (
    CHANGING_POWER_STATES, STOPPED_POWER_STATES)
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import (
    RULES, Error, finding)

__metaclass__ = type

# Azure names the primary NIC eth0 on its Linux images: offline, there is no route table to ask.
OFFLINE_PRIMARY_INTERFACE = 'eth0'


LOAD_REMEDY = 'Schedule the backup when the VM is less busy, or size the VM up.'


def _load_mapping(value):
    return value if isinstance(value, dict) else {}


def _load_number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _load_samples(load, key, label):
    values = load.get(key)
    if not isinstance(values, list) or not values or any(_load_number(value) is None for value in values):
        raise Error('facts lack %s samples' % label)
    return values


def _load_lasting_figures(load):
    """The figures of the load facts that outlast the sampling window, flat; None where the host had none."""
    pressure = _load_mapping(load.get('pressure'))
    average = defaults.LOAD_PSI_AVERAGE
    loadavg = load.get('loadavg')
    load1 = _load_number(loadavg[0]) if isinstance(loadavg, list) and loadavg else None
    cpus = _load_number(load.get('cpus')) or _load_number(load.get('cpu_count'))
    window = _load_number(load.get('window_seconds'))
    if window is None and _load_number(load.get('samples')) and _load_number(load.get('interval_seconds')) is not None:
        window = load['samples'] * load['interval_seconds']  # facts gathered before window_seconds existed
    waited = _load_number(_load_mapping(pressure.get('window_some_usec')).get('cpu'))
    return {
        'scope': 'container' if load.get('scope') == 'container' else 'host',
        'pressure_source': pressure.get('source'),
        'cpu_pressure_percent': _load_number(_load_mapping(_load_mapping(pressure.get('cpu')).get('some')).get(average)),
        'memory_pressure_percent': _load_number(_load_mapping(_load_mapping(pressure.get('memory')).get('some')).get(average)),
        'load1': load1, 'cpus': cpus,
        'load1_per_cpu_percent': round(100.0 * load1 / cpus, 1) if load1 is not None and cpus else None,
        'window_seconds': window,
        'cpu_pressure_window_percent': (round(min(100.0, waited / (window * 1e4)), 1)
                                        if waited is not None and window else None),
    }


def _load_cpu_lasts(figures, threshold):
    """[(source, text)] of the figures showing the CPU saturated for longer than a burst, and what was checked."""
    confirmed, checked = [], []
    seconds = defaults.LOAD_PSI_AVERAGE.replace('avg', '')
    psi = figures['cpu_pressure_percent']
    if psi is not None:
        text = 'work waited for the CPU %g %% of the last %s s (%sPSI)' % (
            psi, seconds, 'the container\'s ' if figures['scope'] == 'container' else '')
        (confirmed if psi >= threshold else checked).append(
            ('cgroup psi' if figures['scope'] == 'container' else 'psi', text))
    # A container's /proc/loadavg counts the whole machine: another system's load says nothing of this one.
    per_cpu = figures['load1_per_cpu_percent']
    if per_cpu is not None and figures['scope'] == 'host':
        text = '1-minute load average %g on %g CPUs (%g %%)' % (figures['load1'], figures['cpus'], per_cpu)
        (confirmed if per_cpu >= threshold else checked).append(('loadavg', text))
    window = figures['window_seconds']
    if window is not None and window >= defaults.LOAD_SUSTAINED_WINDOW_SECONDS:
        confirmed.append(('window', 'the samples span %g s' % round(window, 1)))
    return confirmed, [text for _source, text in checked]


def _load_memory_source(memory):
    """(decided_by, text): what the memory samples were computed from, with its raw figures."""
    memory = _load_mapping(memory)
    total, available = _load_number(memory.get('total_kib')), _load_number(memory.get('available_kib'))
    figures = (': %.1f of %.1f GiB available' % (available / 1048576.0, total / 1048576.0)
               if total and available is not None else '')
    if memory.get('source') == 'cgroup':
        return 'cgroup', 'from the container\'s memory.current less inactive_file, limit %s%s' % (
            memory.get('limit_from'), figures)
    if memory.get('source') == 'meminfo':
        return 'memavailable', 'from %s%s' % (memory.get('available_from') or 'MemAvailable', figures)
    return 'samples', None


def _load_finding(results, evidence, pass_summary):
    """The snapshot.load finding from [(status, decided_by, text)] per resource: the worst decides, the others follow."""
    for status in ('fail', 'warn'):
        deciding = [result for result in results if result[0] == status]
        if deciding:
            evidence['decided_by'] = deciding[0][1]
            others = [result[2] for result in results if result[0] != status]
            return finding('snapshot.load', status, '; '.join([result[2] for result in deciding] + others),
                           evidence, LOAD_REMEDY)
    evidence['decided_by'] = 'samples'
    return finding('snapshot.load', 'pass', pass_summary, evidence)


@RULES.rule('linux', 'snapshot.load')
def _snapshot_load(ctx):
    """Fail only on load that lasts: a 0.3 s window is filled by any burst (a cron job, another diagnosis).

    CPU: every sample at or above the threshold is a fail only when a lasting figure agrees (PSI, the
    1-minute load per CPU outside a container, or a window of samples at least
    defaults.LOAD_SUSTAINED_WINDOW_SECONDS long); unconfirmed, it is a warn. PSI at or above the
    threshold over the last 10 s and over the window is a fail on its own: work waited for the CPU and
    still waits. The load average alone is not (it also counts tasks waiting for disk or NFS).
    Memory is a level, not a share of a 0.1 s interval: a sample is what allocations hold at that
    instant, without the cache the kernel can reclaim (MemAvailable, or the container's inactive_file),
    so every sample high is a fail.
    """
    load = ctx.section('load')
    threshold = float(ctx.options['load_threshold_percent'])
    cpu, memory = _load_samples(load, 'cpu_percent', 'CPU'), _load_samples(load, 'memory_percent', 'memory')
    figures = _load_lasting_figures(load)
    confirmed, checked = _load_cpu_lasts(figures, threshold)
    memory_source, memory_text = _load_memory_source(load.get('memory'))
    evidence = {'threshold_percent': threshold, 'cpu_percent': cpu, 'memory_percent': memory,
                'samples': load.get('samples'), 'interval_seconds': load.get('interval_seconds'),
                'method': load.get('method'), 'scope': figures['scope'],
                'container': _load_mapping(load.get('container')).get('manager'), 'lasting': figures,
                'cpu_confirmed_by': [source for source, _text in confirmed], 'memory': load.get('memory')}
    results = []  # (status, decided_by, text) per resource
    high = [value for value in cpu if value >= threshold]
    text = 'CPU at or above %g %% in %d of %d samples (max %g %%)' % (threshold, len(high), len(cpu), max(cpu))
    waited = [item for item in confirmed if item[0] in ('psi', 'cgroup psi')]
    now = figures['cpu_pressure_window_percent']
    if high and len(high) == len(cpu) and confirmed:
        results.append(('fail', confirmed[0][0], '%s, lasting: %s' % (text, '; '.join(t for _s, t in confirmed))))
    elif waited and (now is None or now >= threshold):
        # Work that waited for the CPU most of the last seconds, and still waits, is saturation whoever used
        # the CPU: in a container the samples count only its own use (the neighbours' share is what steal
        # is to a VM).
        results.append(('fail', waited[0][0], 'CPU saturated: %s%s; the samples read up to %g %%' % (
            waited[0][1], '' if now is None else ' and %g %% of the sampling window' % now, max(cpu))))
    elif high:
        if checked:
            why = '; '.join(checked)
        else:
            why = 'no pressure stall information%s' % (
                ' in the container' if figures['scope'] == 'container' else ' or load average')
        results.append(('warn', 'samples only', '%s over %g s, not confirmed as lasting (%s)' % (
            text, figures['window_seconds'] or 0, why)))
    high = [value for value in memory if value >= threshold]
    text = 'memory at or above %g %% in %d of %d samples (max %g %%)' % (
        threshold, len(high), len(memory), max(memory))
    if high:
        status = 'fail' if len(high) == len(memory) else 'warn'
        results.append((status, memory_source, '%s, %s' % (text, memory_text) if memory_text else text))
    whose = ' (the container\'s own figures)' if figures['scope'] == 'container' else ''
    return _load_finding(results, evidence, 'CPU (max %g %%) and memory (max %g %%) stay below %g %%%s'
                         % (max(cpu), max(memory), threshold, whose))


@RULES.rule('linux', 'snapshot.dhcp')
def _snapshot_dhcp(ctx):
    dhcp = ctx.section('dhcp')
    primary = dhcp.get('primary_interface') or {}
    if primary.get('result') == 'ok' and primary.get('name'):
        interface, chosen_by = primary['name'], primary.get('source')
    elif primary.get('result') == 'skip' or (primary.get('result') == 'ok' and not primary.get('name')):
        interface, chosen_by = OFFLINE_PRIMARY_INTERFACE, 'assumed (Azure\'s primary NIC name)'
    else:
        raise Error('primary interface unknown: %s' % primary.get('message'))
    matching = [source for source in dhcp.get('sources') or []
                if source.get('family', 'inet') == 'inet' and source.get('method') in ('dhcp', 'static')
                and (source.get('interface') is None or fnmatch.fnmatchcase(interface, str(source['interface'])))]
    evidence = {'interface': interface, 'chosen_by': chosen_by, 'sources': matching,
                'errors': dhcp.get('errors') or []}
    methods = sorted(set(source['method'] for source in matching))
    files = ', '.join('%s (%s: %s)' % (source.get('file'), source.get('kind'), source.get('method'))
                      for source in matching)
    unread = '; '.join('%s (%s)' % (item.get('file'), item.get('message')) for item in (dhcp.get('errors') or [])[:3])
    if methods == ['dhcp'] and unread:
        # An unread file may hold a static configuration that wins: not certain enough for a pass.
        return finding('snapshot.dhcp', 'warn', '%s is configured by DHCP in %s, but some configuration could '
                       'not be read: %s' % (interface, files, unread), evidence)
    if methods == ['dhcp']:
        return finding('snapshot.dhcp', 'pass', '%s is configured by DHCP in %s' % (interface, files), evidence)
    remedy = ('Configure %s by DHCP inside the guest and set a static private IP on the Azure NIC '
              'instead; the snapshot role does this.' % interface)
    if methods == ['static']:
        return finding('snapshot.dhcp', 'fail', '%s has a static configuration in %s' % (interface, files),
                       evidence, remedy)
    if methods:
        return finding('snapshot.dhcp', 'warn', 'the configuration sources disagree for %s: %s'
                       % (interface, files), evidence, remedy)
    if unread:
        return finding('snapshot.dhcp', 'warn', 'no readable configuration for %s: %s' % (interface, unread),
                       evidence)
    return finding('snapshot.dhcp', 'warn', 'no network configuration found for %s' % interface, evidence)


# -- Windows -------------------------------------------------------------------------------------------------------
WINDOWS_VSS_SERVICES = ('VSS', 'COMSysApp', 'MSDTC')


@RULES.rule('windows', 'snapshot.load')
def _windows_snapshot_load(ctx):
    """As on Linux, a fail rests on load that lasts. Windows keeps no PSI or load average: a processor queue
    above defaults.WINDOWS_QUEUE_PER_CPU threads per CPU in every sample, or a window of samples at least
    defaults.LOAD_SUSTAINED_WINDOW_SECONDS long, confirms CPU samples that are all high; unconfirmed, a warn.
    Memory is a level (free physical memory): every sample high is a fail."""
    load = ctx.section('load')
    threshold = float(ctx.options['load_threshold_percent'])
    cpu, memory = _load_samples(load, 'cpu_percent', 'CPU'), _load_samples(load, 'memory_percent', 'memory')
    evidence = dict((key, load.get(key)) for key in ('cpu_percent', 'memory_percent', 'processor_queue_length',
                                                     'samples', 'interval_seconds', 'cpu_count', 'method'))
    evidence['threshold_percent'] = threshold
    confirmed = []
    queue, cpus = load.get('processor_queue_length'), _load_number(load.get('cpu_count'))
    if isinstance(queue, list) and queue and cpus and all(_load_number(item) is not None for item in queue):
        if min(queue) > defaults.WINDOWS_QUEUE_PER_CPU * cpus:
            confirmed.append(('queue', 'processor queue of %s threads on %g CPUs in every sample'
                              % (', '.join(str(item) for item in queue), cpus)))
    samples, interval = _load_number(load.get('samples')), _load_number(load.get('interval_seconds'))
    if samples and interval is not None and samples * interval >= defaults.LOAD_SUSTAINED_WINDOW_SECONDS:
        confirmed.append(('window', 'the samples span %g s' % (samples * interval)))
    results = []
    high = [value for value in cpu if value >= threshold]
    text = 'CPU at or above %g %% in %d of %d samples (max %g %%)' % (threshold, len(high), len(cpu), max(cpu))
    if high and len(high) == len(cpu) and confirmed:
        results.append(('fail', confirmed[0][0], '%s, lasting: %s' % (text, '; '.join(t for _s, t in confirmed))))
    elif high:
        results.append(('warn', 'samples only', '%s, not confirmed as lasting (processor queue %s)' % (
            text, queue)))
    high = [value for value in memory if value >= threshold]
    if high:
        results.append(('fail' if len(high) == len(memory) else 'warn', 'free physical memory',
                        'memory at or above %g %% in %d of %d samples (max %g %%)'
                        % (threshold, len(high), len(memory), max(memory))))
    return _load_finding(results, evidence, 'CPU (max %g %%) and memory (max %g %%) stay below %g %%'
                         % (max(cpu), max(memory), threshold))


def _windows_offline_dhcp(ctx):
    """A disk has no route table: every interface of Tcpip\\Parameters\\Interfaces with an address counts."""
    adapters = ctx.observation('dhcp', 'adapters').get('items') or []
    static = [item for item in adapters if not item.get('dhcp_enabled') and item.get('ip_address')]
    dynamic = [item for item in adapters if item.get('dhcp_enabled')]
    evidence = {'interfaces': adapters, 'offline': True}
    if static:
        return finding('snapshot.dhcp', 'fail', 'static configuration in the guest for %s'
                       % ', '.join('%s (%s)' % (item.get('interface_guid'), ', '.join(item.get('ip_address')))
                                   for item in static), evidence,
                       'Set EnableDHCP=1 for that interface (offline, in the SYSTEM hive) or configure it by DHCP '
                       'once the VM runs; set a static private IP on the Azure NIC instead.')
    if dynamic:
        return finding('snapshot.dhcp', 'pass', '%d interface(s) configured by DHCP, none static (offline)'
                       % len(dynamic), evidence)
    return finding('snapshot.dhcp', 'warn', 'no interface configuration found in the SYSTEM hive', evidence)


@RULES.rule('windows', 'snapshot.dhcp')
def _windows_snapshot_dhcp(ctx):
    if ctx.facts.get('offline'):
        return _windows_offline_dhcp(ctx)
    primary = ctx.observation('dhcp', 'primary_interface')
    adapters = ctx.section('dhcp').get('adapters') or {}
    evidence = {'primary_interface': dict((key, primary.get(key)) for key in (
        'interface_index', 'interface_alias', 'next_hop', 'dhcp', 'source'))}
    if adapters.get('result') == 'ok':
        evidence['adapters'] = adapters.get('items')
    remedy = ('Configure the adapter by DHCP inside the guest (netsh interface ip set address "<name>" dhcp) and set '
              'a static private IP on the Azure NIC instead.')
    alias = primary.get('interface_alias')
    if primary.get('dhcp') == 'Enabled':
        return finding('snapshot.dhcp', 'pass', '%s (the default route\'s adapter) is configured by DHCP' % alias,
                       evidence)
    if primary.get('dhcp') == 'Disabled':
        return finding('snapshot.dhcp', 'fail', '%s (the default route\'s adapter) has a static configuration'
                       % alias, evidence, remedy)
    return finding('snapshot.dhcp', 'warn', 'the primary adapter could not be determined (no default route)',
                   evidence)


def _yes(value):
    return str(value).strip().lower() == 'true'


@RULES.rule('windows', 'snapshot.sql_vss')
def _windows_snapshot_sql_vss(ctx):
    sql = ctx.observation('snapshot', 'sql_services')
    bcdr = ctx.observation('snapshot', 'bcdr_agent')
    values = bcdr.get('values') or {}
    copy, full = values.get('UseVSSCopyBackup'), values.get('UseVssFullBackup')
    instances = [item.get('name') for item in sql.get('items') or []]
    evidence = {'sql_services': instances, 'UseVSSCopyBackup': copy, 'UseVssFullBackup': full,
                'key_exists': bcdr.get('exists')}
    if not instances:
        return finding('snapshot.sql_vss', 'pass', 'no SQL Server service: the VSS backup type does not matter',
                       evidence)
    # UseVSSCopyBackup=True makes the extension take VSS copy backups, which leave SQL Server's own log chain
    # alone (the article's fix). UseVssFullBackup is what the extension sets itself since December 2022: full
    # backups, which truncate SQL logs and conflict with SQL backups; copy wins when both are set.
    if _yes(copy):
        return finding('snapshot.sql_vss', 'pass', 'SQL Server (%s) present and UseVSSCopyBackup is True: VSS copy '
                       'backups apply (UseVssFullBackup=%s is overridden)' % (', '.join(instances), full), evidence)
    return finding('snapshot.sql_vss', 'fail', 'SQL Server (%s) present and UseVSSCopyBackup is %s: VSS full backups '
                   'apply (UseVssFullBackup=%s)' % (', '.join(instances), copy, full), evidence,
                   'REG ADD "HKLM\\SOFTWARE\\Microsoft\\BcdrAgent" /v UseVSSCopyBackup /t REG_SZ /d True /f; the '
                   'snapshot role does this.')


@RULES.rule('windows', 'snapshot.vss')
def _windows_snapshot_vss(ctx):
    writers = ctx.observation('snapshot', 'vss_writers').get('writers') or []
    services = ctx.section('snapshot').get('services') or {}
    problems, notes = [], []
    evidence = {'writers': [dict((key, writer.get(key)) for key in ('name', 'state_code', 'state', 'last_error'))
                            for writer in writers], 'services': {}}
    for name in WINDOWS_VSS_SERVICES:
        record = services.get(name) or {}
        if record.get('result') != 'ok':
            raise Error('service %s could not be read: %s' % (name, record.get('message') or 'not gathered'))
        evidence['services'][name] = dict((key, record.get(key))
                                          for key in ('present', 'state', 'start_mode', 'start_name'))
        if not record.get('present'):
            problems.append('service %s is missing' % name)
        elif record.get('start_mode') == 'Disabled':
            problems.append('service %s is disabled' % name)
    for writer in writers:
        if writer.get('state_code') != 1:
            problems.append('writer \'%s\' is [%s] %s (%s)'
                            % (writer.get('name'), writer.get('state_code'), writer.get('state'), writer.get('last_error')))
        elif writer.get('last_error') not in (None, 'No error'):
            notes.append('writer \'%s\' is stable, last error: %s' % (writer.get('name'), writer.get('last_error')))
    remedy = ('Restart the services of the failing writers (or the VM), and make sure VSS, COMSysApp and MSDTC '
              'are not disabled; see ExtensionFailedVssWriterInBadState and ExtensionSnapshotFailedCOM.')
    if problems:
        return finding('snapshot.vss', 'fail', '; '.join(problems[:5]), evidence, remedy)
    if notes:
        return finding('snapshot.vss', 'warn', '; '.join(notes[:5]), evidence, remedy)
    return finding('snapshot.vss', 'pass', '%d VSS writers stable, VSS, COMSysApp and MSDTC usable' % len(writers),
                   evidence)


# -- Both, from Azure ----------------------------------------------------------------------------------------------
@RULES.rule(PLATFORMS, 'snapshot.power_state')
def _snapshot_power_state(ctx):
    vm = ctx.azure('vm')
    state = vm.get('power_state')
    answered = ctx.guest_answered()
    evidence = {'power_state': state, 'guest_answered': answered, 'instance_view': vm.get('instance_view')}
    if state is None:
        raise Error('Azure reported no power state for the VM%s' % (
            ': %s' % vm['instance_view_error'] if vm.get('instance_view_error') else ''))
    if state == 'running':
        return finding('snapshot.power_state', 'pass', 'Azure reports the VM running%s' % (
            ' and the guest answered' if answered else ''), evidence)
    if state in STOPPED_POWER_STATES and answered:
        return finding('snapshot.power_state', 'fail', 'the guest answered but Azure says the VM is %s: they disagree '
                       '(a VM shut down from inside reports its state wrongly)' % state, evidence,
                       'Stop the VM from the Azure portal (Stop on the VM\'s overview) and start it again, so that '
                       'Azure\'s state is right; shut it down from the portal from now on.')
    if state in STOPPED_POWER_STATES:
        return finding('snapshot.power_state', 'fail', 'the VM is %s in Azure: the snapshot cannot reach its agent'
                       % state, evidence, 'Start the VM, then retry the backup.')
    if state in CHANGING_POWER_STATES:
        return finding('snapshot.power_state', 'warn', 'Azure reports the VM %s' % state, evidence,
                       'Retry the backup once the VM is running.')
    return finding('snapshot.power_state', 'warn', 'Azure reports an unexpected power state %r' % state, evidence)
