# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is this host an Azure VM: the one place that decides it, on the host and on the controller. Pure Python."""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults

__metaclass__ = type


def azure_by_dmi(dmi):
    """True/False as the DMI (SMBIOS) identity is Azure's; None when it could not be read completely."""
    if dmi.get('result') != 'ok':
        return None
    observed = (dmi.get('chassis_asset_tag'), dmi.get('sys_vendor'), dmi.get('product_name'))
    if any(value is None for value in observed):
        # The asset tag alone is what the agent and cloud-init trust.
        if dmi.get('chassis_asset_tag') == defaults.AZURE_CHASSIS_ASSET_TAG:
            return True
        return None
    return observed == (defaults.AZURE_CHASSIS_ASSET_TAG, defaults.AZURE_SYS_VENDOR,
                        defaults.AZURE_PRODUCT_NAME)


def treated_as_azure(platform, assume_azure):
    """True when the platform facts say Azure by DMI, or the run treats the host as Azure (labs, rescue VMs)."""
    return bool((platform or {}).get('azure_dmi')) or bool(assume_azure)
