# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of the platform cause: is the host an Azure VM."""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import (
    RULES, Error, Skip, finding)

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


# -- Windows -------------------------------------------------------------------------------------------------------
# The SMBIOS identity is normalized into the same `dmi` observation as on Linux (plugin_utils/windows/facts.py).
RULES.rule('windows', 'platform.azure')(_platform_azure)

# .NET 4 uses TLS 1.2 when either value is 1 (Microsoft "Transport Layer Security (TLS) best practices with
# the .NET Framework"); the 32-bit view matters for 32-bit processes.
TLS_VALUES = ('SchUseStrongCrypto', 'SystemDefaultTlsVersions')


@RULES.rule('windows', 'platform.tls')
def _windows_platform_tls(ctx):
    tls = ctx.observation('platform', 'dotnet_tls')
    evidence, enabled, unread = {}, [], []
    for view in ('x64', 'x86'):
        key = tls.get(view) or {}
        if key.get('result') != 'ok':
            unread.append('%s: %s' % (view, key.get('message')))
            continue
        values = key.get('values') or {}
        evidence[view] = {'path': key.get('path'), 'exists': key.get('exists'),
                          'values': dict((name, values.get(name)) for name in TLS_VALUES)}
        if any(str(values.get(name)) == '1' for name in TLS_VALUES):
            enabled.append(view)
    if unread and not evidence:
        raise Error('the .NET registry keys could not be read: %s' % '; '.join(unread))
    remedy = ('Set SchUseStrongCrypto=1 (DWORD) under HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 and '
              'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319, then restart the VM.')
    if len(enabled) == 2:
        return finding('platform.tls', 'pass', '.NET may use TLS 1.2 in both registry views', evidence)
    if enabled:
        return finding('platform.tls', 'warn', '.NET may use TLS 1.2 only in the %s view' % enabled[0], evidence,
                       remedy)
    return finding('platform.tls', 'fail', 'neither SchUseStrongCrypto nor SystemDefaultTlsVersions is 1: .NET '
                   'may not use TLS 1.2 (ExtensionSnapshotFailedNoSecureNetwork)', evidence, remedy)
