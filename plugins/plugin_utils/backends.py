# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the diagnose action gets a host's facts, per OS: one row per backend. Controller only.

A backend names the facts module that runs once on the host, the module's sections each cause
needs, and which options the module takes. The rules that judge its facts are registered per OS
in ``plugin_utils/rules`` (``engine.RULES``). An OS without a row is reported as not supported.
"""
from __future__ import absolute_import, division, print_function

import collections

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import options as option_table
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import split_endpoint

__metaclass__ = type


class Backend(collections.namedtuple('Backend', 'os facts_module sections_by_cause module_options')):
    """``sections_by_cause`` maps a cause to the module's sections; platform is always gathered."""
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
    ),
}


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
