# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.modules import defaults_info
from .remediation_helpers import run_module


@pytest.mark.parametrize('distribution, family, package, service, supported', [
    ('Debian', 'Debian', 'waagent', 'walinuxagent', True),
    ('Ubuntu', 'Debian', 'walinuxagent', 'walinuxagent', True),
    ('RedHat', 'RedHat', 'WALinuxAgent', 'waagent', True),
    ('AlmaLinux', 'RedHat', 'WALinuxAgent', 'waagent', True),
    ('SLES', 'Suse', 'python-azure-agent', 'waagent', True),
    ('FreeBSD', 'FreeBSD', 'WALinuxAgent', 'waagent', False),
    ('Archlinux', 'Archlinux', 'WALinuxAgent', 'waagent', False),
])
def test_names_per_distribution(distribution, family, package, service, supported):
    result = run_module(defaults_info.main, {'distribution': distribution, 'os_family': family})
    assert result['changed'] is False
    values = result['defaults']
    assert (values['agent_package'], values['agent_service'], values['supported']) == (package, service, supported)
    assert values['wireserver_address'] == defaults.WIRESERVER_ADDRESS
    assert values['wireserver_ports'] == list(defaults.WIRESERVER_PORTS)
    assert values['waagent_conf'] == defaults.WAAGENT_CONF
