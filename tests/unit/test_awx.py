# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX project files: wrapper playbooks parse and pick the hosts, the inventory source is an azure_rm one."""
from __future__ import absolute_import, division, print_function

import os
import subprocess
import sys

import pytest
import yaml

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')


@pytest.fixture()
def inventory(tmp_path):
    path = tmp_path / 'hosts.ini'
    path.write_text('[linux]\nvm-a\nvm-b\n[windows]\nwin-1\n')
    return str(path)


def playbook(inventory, name, *args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1')
    return subprocess.run([ANSIBLE_PLAYBOOK, '-i', inventory, os.path.join(ROOT, 'awx', name)] + list(args),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=120, check=False)


@pytest.mark.parametrize('name', ['diagnose.yml', 'remediate.yml', 'triage.yml'])
def test_wrapper_playbooks_import_the_collection_playbooks(inventory, name):
    result = playbook(inventory, name, '--syntax-check')
    assert result.returncode == 0, result.stdout
    with open(os.path.join(ROOT, 'awx', name)) as handle:
        plays = yaml.safe_load(handle)
    assert plays[0]['ansible.builtin.import_playbook'] == 'azure_backup.snapshot_doctor.' + name[:-4]


def listed_hosts(output):
    """The host names --list-hosts prints for the (single) play."""
    lines = output.split('hosts (', 1)[1].splitlines()[1:]
    return sorted(line.strip() for line in lines if line.startswith('      ') and line.strip())


@pytest.mark.parametrize('extra, expected', [
    (None, ['vm-a', 'vm-b', 'win-1']),
    ('{"snapshot_doctor": {"hosts": {"vm-a": {"worst": "fail"}, "vm-b": {"worst": "pass"}, '
     '"win-1": {"worst": "warn"}}}}', ['vm-a', 'win-1']),
    ('{"snapshot_doctor": {"hosts": {"vm-a": {"worst": "pass"}, "vm-b": {"worst": null}}}}', []),
    ('{"snapshot_doctor": {"hosts": {"vm-a": {"worst": "fail"}}}, "remediate_hosts": "vm-b"}', ['vm-b']),
])
def test_remediate_wrapper_takes_the_failing_hosts_from_the_diagnose_artifact(inventory, extra, expected):
    args = ['--list-hosts'] + (['-e', extra] if extra else [])
    result = playbook(inventory, 'remediate.yml', *args)
    assert result.returncode == 0, result.stdout
    assert listed_hosts(result.stdout) == expected


def test_inventory_source_is_an_azure_rm_one_with_groups_by_os():
    path = os.path.join(ROOT, 'awx', 'inventory.azure_rm.yml')
    # The azure_rm plugin only accepts files named *azure_rm.yml / *azure_rm.yaml.
    assert path.endswith('azure_rm.yml')
    with open(path) as handle:
        source = yaml.safe_load(handle)
    assert source['plugin'] == 'azure.azcollection.azure_rm'
    assert {'key': 'os_profile.system', 'prefix': '', 'separator': ''} in source['keyed_groups']


def test_project_requirements_name_the_collections():
    with open(os.path.join(ROOT, 'collections', 'requirements.yml')) as handle:
        names = [item['name'] for item in yaml.safe_load(handle)['collections']]
    assert 'ansible.windows' in names and 'azure.azcollection' in names
    assert any('snapshot_doctor' in name for name in names)
