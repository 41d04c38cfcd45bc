# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Platform knowledge: endpoints, identities, names per distribution."""
from __future__ import absolute_import, division, print_function

import ipaddress

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.defaults import agent_names

__metaclass__ = type


@pytest.mark.parametrize('distribution, os_family, package, service', [
    ('Debian', 'Debian', 'waagent', 'walinuxagent'),
    ('Ubuntu', 'Debian', 'walinuxagent', 'walinuxagent'),
    ('RedHat', 'RedHat', 'WALinuxAgent', 'waagent'),
    ('CentOS', 'RedHat', 'WALinuxAgent', 'waagent'),
    ('Rocky', 'RedHat', 'WALinuxAgent', 'waagent'),
    ('Fedora', 'RedHat', 'WALinuxAgent', 'waagent'),
    ('SLES', 'Suse', 'python-azure-agent', 'waagent'),
    ('openSUSE Leap', 'Suse', 'python-azure-agent', 'waagent'),
    ('Kali', 'Debian', 'waagent', 'walinuxagent'),        # Debian family
    (' ubuntu ', None, 'walinuxagent', 'walinuxagent'),   # case and spaces do not matter
    ('Gentoo', 'Gentoo', 'WALinuxAgent', 'waagent'),      # unknown: upstream names
    (None, None, 'WALinuxAgent', 'waagent'),
])
def test_agent_names(distribution, os_family, package, service):
    assert agent_names(distribution, os_family) == {'package': package, 'service': service}


def test_agent_names_returns_a_copy():
    names = agent_names('Debian', 'Debian')
    names['service'] = 'changed'
    assert agent_names('Debian', 'Debian')['service'] == 'walinuxagent'


def test_platform_endpoints():
    assert defaults.WIRESERVER_ADDRESS == '168.63.129.16'
    assert defaults.WIRESERVER_PORTS == (80, 32526)
    assert (defaults.IMDS_ADDRESS, defaults.IMDS_PORT) == ('169.254.169.254', 80)
    ipaddress.ip_address(defaults.WIRESERVER_ADDRESS)
    assert ipaddress.ip_address(defaults.IMDS_ADDRESS).is_link_local
    assert defaults.DEFAULT_HTTPS_ENDPOINTS
    for host, port in defaults.DEFAULT_HTTPS_ENDPOINTS:
        assert port == defaults.HTTPS_PORT and '.' in host and '/' not in host


def test_azure_identity_and_thresholds():
    assert defaults.AZURE_CHASSIS_ASSET_TAG == '7783-7084-3265-9085'
    assert defaults.AZURE_SYS_VENDOR == 'Microsoft Corporation'
    assert defaults.AZURE_PRODUCT_NAME == 'Virtual Machine'
    assert defaults.LOAD_THRESHOLD_PERCENT == 90
    assert defaults.MAX_CONCURRENT_BACKUPS_PER_CLOUD_SERVICE == 4
    assert defaults.MIN_LINUX_EXTENSION_VERSION == '1.0.91.0'
    assert defaults.MIN_WINDOWS_AGENT_VERSION == '2.7.41491.1010'
    assert defaults.MIN_LINUX_AGENT_VERSION == '2.2.53.1'
    assert defaults.STALE_TRANSITIONING_MINUTES > 0 and defaults.LOAD_SAMPLES > 1


def test_linux_paths():
    assert defaults.WAAGENT_CONF == '/etc/waagent.conf'
    assert defaults.LINUX_EXTENSION_HANDLER_PREFIX == 'Microsoft.Azure.RecoveryServices.VMSnapshotLinux-'
    assert defaults.LINUX_EXTENSION_LOG_DIR == '/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux'
    assert defaults.WIRESERVER_ENDPOINT_FILE.startswith(defaults.WAAGENT_LIB_DIR + '/')
    for path in (defaults.WAAGENT_CONF, defaults.WAAGENT_LIB_DIR, defaults.WAAGENT_LOG, defaults.ENVIRONMENT_FILE,
                 defaults.VMBACKUP_CONF, defaults.EXTENSION_LOG_ROOT):
        assert path.startswith('/')


def test_windows_names():
    assert defaults.WINDOWS_AGENT_SERVICES == ('WindowsAzureGuestAgent', 'RdAgent')
    assert defaults.WINDOWS_PROVIDER_SERVICE == 'IaaSVmProvider'
    assert defaults.WINDOWS_EXTENSION_DIR.endswith('Microsoft.Azure.RecoveryServices.VMSnapshot')


def test_supported_agent_families_are_those_with_names():
    assert defaults.SUPPORTED_AGENT_FAMILIES == ('debian', 'redhat', 'suse')
