# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of the snapshot cause (article cause 4: the snapshot status cannot be retrieved)."""
from __future__ import absolute_import, division, print_function

import fnmatch

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import (
    RULES, Error, finding)

__metaclass__ = type

# Azure names the primary NIC eth0 on its Linux images: offline, there is no route table to ask.
OFFLINE_PRIMARY_INTERFACE = 'eth0'


@RULES.rule('linux', 'snapshot.load')
def _snapshot_load(ctx):
    load = ctx.section('load')
    threshold = float(ctx.options['load_threshold_percent'])
    evidence = {'threshold_percent': threshold, 'cpu_percent': load.get('cpu_percent'),
                'memory_percent': load.get('memory_percent'), 'samples': load.get('samples'),
                'interval_seconds': load.get('interval_seconds'), 'method': load.get('method')}
    sustained, spikes = [], []
    for label, values in (('CPU', load.get('cpu_percent')), ('memory', load.get('memory_percent'))):
        if not isinstance(values, list) or not values:
            raise Error('facts lack %s samples' % label)
        high = [value for value in values if value >= threshold]
        text = '%s at or above %g %% in %d of %d samples (max %g %%)' % (
            label, threshold, len(high), len(values), max(values))
        if high and len(high) == len(values):
            sustained.append(text)
        elif high:
            spikes.append(text)
    remedy = 'Schedule the backup when the VM is less busy, or size the VM up.'
    if sustained:
        return finding('snapshot.load', 'fail', '; '.join(sustained + spikes), evidence, remedy)
    if spikes:
        return finding('snapshot.load', 'warn', '; '.join(spikes), evidence, remedy)
    return finding('snapshot.load', 'pass', 'CPU (max %g %%) and memory (max %g %%) stay below %g %%'
                   % (max(load['cpu_percent']), max(load['memory_percent']), threshold), evidence)


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
    # The judgement is Linux's (every sample high: fail; some: warn); the processor queue is evidence.
    load = ctx.section('load')
    threshold = float(ctx.options['load_threshold_percent'])
    evidence = dict((key, load.get(key)) for key in ('cpu_percent', 'memory_percent', 'processor_queue_length',
                                                     'samples', 'interval_seconds', 'cpu_count', 'method'))
    evidence['threshold_percent'] = threshold
    sustained, spikes = [], []
    for label, values in (('CPU', load.get('cpu_percent')), ('memory', load.get('memory_percent'))):
        if not isinstance(values, list) or not values:
            raise Error('facts lack %s samples' % label)
        high = [value for value in values if value >= threshold]
        text = '%s at or above %g %% in %d of %d samples (max %g %%)' % (label, threshold, len(high), len(values),
                                                                         max(values))
        if high and len(high) == len(values):
            sustained.append(text)
        elif high:
            spikes.append(text)
    remedy = 'Schedule the backup when the VM is less busy, or size the VM up.'
    if sustained:
        return finding('snapshot.load', 'fail', '; '.join(sustained + spikes), evidence, remedy)
    if spikes:
        return finding('snapshot.load', 'warn', '; '.join(spikes), evidence, remedy)
    return finding('snapshot.load', 'pass', 'CPU (max %g %%) and memory (max %g %%) stay below %g %%'
                   % (max(load['cpu_percent']), max(load['memory_percent']), threshold), evidence)


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
