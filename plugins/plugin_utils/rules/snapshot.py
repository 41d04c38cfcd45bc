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
