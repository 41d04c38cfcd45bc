# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""All Linux sections in one call: what guest_info and the per-cause *_info modules run.

The schema is documented in docs/facts.md. ``gather_facts`` never raises: a gatherer that
fails unexpectedly gives its section ``{"result": "error", "message": "internal error: ..."}``.
"""
from __future__ import absolute_import, division, print_function

import os
import threading

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.agent import gather_agent
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.connectivity import (
    gather_connectivity)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.dhcp import gather_dhcp
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.extension import (
    gather_extension)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import (
    DEFAULT_COMMAND_TIMEOUT, Host, error, utc_iso)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.load import gather_load
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.platform import (
    gather_platform)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.windows import offline as windows_offline
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.options import (
    problems as option_problems)

__metaclass__ = type

SCHEMA = 1
# Report order. platform is always gathered: the others need the distribution and the Azure identity.
SECTIONS = ('platform', 'agent', 'extension', 'connectivity', 'dhcp', 'load')
_GATHERERS = {
    'agent': gather_agent,
    'extension': gather_extension,
    'connectivity': gather_connectivity,
    'dhcp': gather_dhcp,
    'load': gather_load,
}


def validate_options(values):
    """Messages for invalid options (the module fails with them); an empty list when all is well.

    The bounds of every option come from the option table (``options.py``); what only the host
    can check (the root directory, the CA file) is checked here.
    """
    problems = option_problems(values)
    root = values.get('root') or '/'
    if not os.path.isabs(root) or not os.path.isdir(root):
        problems.append('root must be an absolute path to a directory, got %r' % root)
    for name in values.get('gather') or ():
        if name != 'all' and name not in SECTIONS:
            problems.append('unknown gather section %r (expected all or %s)' % (name, ', '.join(SECTIONS)))
    imds_port = values.get('imds_port')
    if imds_port is not None and not 0 < imds_port < 65536:
        problems.append('imds_port holds %s, not a TCP port' % imds_port)
    ca_file = values.get('ca_file')
    if ca_file and not os.path.isfile(ca_file):
        problems.append('ca_file %r is not a file on the host' % ca_file)
    return problems


def selected_sections(gather):
    names = list(gather or ['all'])
    if 'all' in names:
        return list(SECTIONS)
    return [name for name in SECTIONS if name in names or name == 'platform']


def gather_facts(options=None, host=None):
    """The facts document for ``options['gather']`` (default: every section)."""
    options = dict(options or {})
    if host is None:
        host = Host(root=options.get('root') or '/', command_timeout=options.get('command_timeout') or DEFAULT_COMMAND_TIMEOUT)
    sections = selected_sections(options.get('gather'))
    if host.offline and windows_offline.is_windows_root(host.root):  # a Windows OS disk: its own reader
        return windows_offline.gather(host.root, sections, options)
    host.share_results()
    facts = {
        'schema': SCHEMA,
        'os': 'linux',
        'root': host.root,
        'offline': host.offline,
        'gathered_at': utc_iso(host.started),
        'gathered': sections,
    }
    # Every section but platform runs in a thread of its own: load sampling and the connectivity
    # probes mostly wait (the load window, the probe timeout) and the others mostly wait for their
    # commands, so the module takes about as long as its slowest section, not the sum. Load starts
    # first: it needs no platform facts and leaves out the CPU the other sections spend.
    running = {}
    if 'load' in sections:
        running['load'] = _start(_GATHERERS['load'], host, None, options)
    try:
        platform = gather_platform(host, options)
    except Exception as exc:  # keep going: the other sections can work without it
        platform = error('internal error: %s: %s' % (exc.__class__.__name__, exc))
    facts['platform'] = platform
    for name in sections[1:]:
        if name not in running:
            running[name] = _start(_GATHERERS[name], host, platform, options)
    for name in sections[1:]:
        thread, box = running[name]
        thread.join()
        facts[name] = box[0]
    return facts


def _safely(gatherer, host, platform, options):
    try:
        return gatherer(host, platform, options)
    except Exception as exc:
        return error('internal error: %s: %s' % (exc.__class__.__name__, exc))


def _start(gatherer, host, platform, options):
    """Run ``gatherer`` in a thread; returns (thread, box) where box[0] is its section once joined."""
    box = [error('internal error: %s did not finish' % gatherer.__name__)]

    def work():
        box[0] = _safely(gatherer, host, platform, options)
    thread = threading.Thread(target=work, name=gatherer.__name__)
    thread.daemon = True
    thread.start()
    return thread, box
