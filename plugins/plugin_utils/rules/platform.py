# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of the platform cause: is the host an Azure VM."""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import (
    RULES, Skip, finding)

__metaclass__ = type


@RULES.rule('linux', 'platform.azure')
def _platform_azure(ctx):
    platform = ctx.section('platform')
    dmi = platform.get('dmi') or {}
    evidence = dict((key, dmi.get(key)) for key in ('sys_vendor', 'product_name', 'chassis_asset_tag'))
    if platform.get('azure_dmi') is True:
        return finding('platform.azure', 'pass', 'the DMI identity is Azure\'s', evidence)
    if ctx.options['assume_azure']:
        return finding('platform.azure', 'pass', 'treated as an Azure VM (assume_azure)', evidence)
    if dmi.get('result') == 'skip':
        raise Skip('DMI not read: %s' % dmi.get('message'))
    if dmi.get('result') == 'error':
        evidence['dmi_error'] = dmi.get('message')
        return finding('platform.azure', 'info', 'not recognised as an Azure VM (DMI identity unreadable): '
                       'platform probes are skipped', evidence)
    return finding('platform.azure', 'info', 'not an Azure VM by DMI: platform probes are skipped', evidence)
