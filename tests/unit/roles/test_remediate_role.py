# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediate playbook end to end on this machine, which is not an Azure VM: it must change nothing,
say why, and write its reports where ansible-playbook runs (not beside the collection's playbook).

The diagnosis really runs here (guest_info through the local connection, read-only); without Azure's DMI
identity and without endpoint overrides it probes nothing.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)


def _playbook(tmp_path, *args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'), ANSIBLE_NOCOLOR='1')
    return subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                           '-e', 'ansible_python_interpreter=%s' % sys.executable] + list(args),
                          cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)


def test_remediate_leaves_a_host_that_is_not_an_azure_vm_alone_and_says_why(tmp_path):
    run = _playbook(tmp_path, 'azure_backup.snapshot_doctor.remediate', '-e', 'remediate_report_dir=out',
                    '-e', 'remediate_agent_service=true')
    assert run.returncode == 0, run.stdout
    document = json.loads((tmp_path / 'out' / 'remediation.json').read_text())
    host = document['hosts']['localhost']
    assert host['fixes'] == [] and 'not an Azure VM' in host['reason']
    assert all(row['after'] is not None for row in host['checks'])  # both diagnoses ran
    assert 'Nothing changed: not an Azure VM' in (tmp_path / 'out' / 'remediation.md').read_text()
    for part in ('before', 'after'):
        assert (tmp_path / 'out' / part / 'findings.json').is_file()
    assert not os.path.exists(os.path.join(ROOT, 'playbooks', 'out'))
    # Only the three report files changed (before, after, the comparison): nothing on the host.
    assert 'changed=3 ' in run.stdout.split('PLAY RECAP')[-1]


def test_the_agent_role_names_why_it_skips(tmp_path):
    (tmp_path / 'play.yml').write_text(
        '- hosts: all\n  gather_facts: true\n  gather_subset: [min]\n  roles:\n'
        '    - role: azure_backup.snapshot_doctor.agent\n')
    run = _playbook(tmp_path, 'play.yml', '--check')
    assert run.returncode == 0, run.stdout
    if 'systemd' == _service_manager(tmp_path):
        assert 'The agent role skips' not in run.stdout
    else:
        assert 'The agent role skips localhost: it has no systemd (service manager: ' in run.stdout
        assert 'unsupported distribution' not in run.stdout


def _service_manager(tmp_path):
    env = dict(os.environ, ANSIBLE_NOCOLOR='1')
    run = subprocess.run([os.path.join(BIN, 'ansible'), 'localhost', '-c', 'local', '-m', 'setup', '-a',
                          'filter=ansible_service_mgr', '-e', 'ansible_python_interpreter=%s' % sys.executable],
                         cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, universal_newlines=True, timeout=120,
                         check=True)
    return json.loads(run.stdout.split('=>', 1)[1])['ansible_facts']['ansible_service_mgr']
