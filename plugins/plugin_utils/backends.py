# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the diagnose action gets a host's facts, per OS: one row per backend. Controller only.

A backend names the module that runs once on the host, the sections each cause needs, how to build
the module's arguments from the run's options, and how to turn the module's result into facts
(docs/facts.md). The rules that judge the facts are registered per OS in ``plugin_utils/rules``
(``engine.RULES``). An OS without a row is reported as not supported.

- linux: the collection's own ``guest_info`` module; its result carries the facts as they are.
- windows: ``ansible.windows.win_powershell`` running the script the collection ships
  (``plugin_utils/windows/gather.ps1``); ``plugin_utils/windows/facts.py`` builds the facts from its
  raw output. A PowerShell module of our own would make ansible-test's validate-modules need pwsh.
"""
from __future__ import absolute_import, division, print_function

import collections

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import options as option_table
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import split_endpoint
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.windows import facts as windows_facts

__metaclass__ = type


class Backend(collections.namedtuple('Backend', 'os facts_module sections_by_cause module_options build_args to_facts')):
    """``sections_by_cause`` maps a cause to the module's sections; platform is always gathered.

    ``build_args(backend, args)`` returns the module's arguments; ``to_facts(module_result, args)``
    returns ``(facts, None)``, or ``(None, message)`` when the result holds no facts.
    """
    __slots__ = ()

    def sections(self, causes):
        """The module's sections for ``causes``, platform's first, each once."""
        wanted = []
        for cause in ('platform',) + tuple(causes):
            for section in self.sections_by_cause.get(cause, ()):
                if section not in wanted:
                    wanted.append(section)
        return wanted


# Options the facts module always receives: they decide its mode (offline disk, Azure or not).
ALWAYS_SENT = ('root', 'assume_azure')


def module_args_for(backend, args):
    """The facts module's arguments: the sections the causes need, the options that differ from their default."""
    module_args = {'gather': backend.sections(args['causes'])}
    for name in backend.module_options:
        value = args.get(name)
        if value is None or (name not in ALWAYS_SENT and value == option_table.BY_NAME[name].default):
            continue
        module_args[name] = value
    if 'imds' in module_args:
        module_args['imds'], port = split_endpoint(module_args['imds'], None)
        if port is not None:
            module_args['imds_port'] = port
    return module_args


def facts_of_guest_info(module_result, args):
    if 'facts' not in module_result:
        return None, None
    facts = module_result['facts']
    if isinstance(facts, dict) and facts.get('os') == 'windows':  # a Windows OS disk on a Linux rescue VM
        return windows_facts.facts_from_raw(facts, args), None
    return facts, None


def _windows_args(backend, args):
    return windows_facts.module_args(backend.sections(args['causes']), args)


BACKENDS = {
    'linux': Backend(
        os='linux',
        facts_module='azure_backup.snapshot_doctor.guest_info',
        sections_by_cause={
            'platform': ('platform',),
            'connectivity': ('connectivity',),
            'agent': ('agent',),
            'extension': ('extension',),
            'snapshot': ('dhcp', 'load'),
        },
        module_options=tuple(option.name for option in option_table.select(where='host')),
        build_args=module_args_for,
        to_facts=facts_of_guest_info,
    ),
    'windows': Backend(
        os='windows',
        facts_module=windows_facts.MODULE,
        sections_by_cause=windows_facts.SECTIONS_BY_CAUSE,
        # root and ca_file have no Windows meaning (offline Windows disks are read from a Linux rescue VM).
        module_options=tuple(option.name for option in option_table.select(where='host')
                             if option.name not in ('root', 'ca_file')),
        build_args=_windows_args,
        to_facts=windows_facts.facts_from_result,
    ),
}
