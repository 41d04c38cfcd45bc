# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation switches are role defaults, so the inventory sets them (group_vars, host_vars, AWX).

Runs the remediate role's plan with ansible-playbook on localhost: two hosts with the same diagnosis,
one in a group whose group_vars switch the risky DHCP fix on.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DIAGNOSIS = {'platform': {'os': 'linux', 'azure_vm': True},
             'findings': [{'check': 'snapshot.dhcp', 'status': 'fail'}, {'check': 'agent.service', 'status': 'pass'}]}
PLAYBOOK = """
- name: Plan the fixes as the remediate role does
  hosts: all
  gather_facts: false
  tasks:
    - name: Stand in for the diagnosis before
      ansible.builtin.set_fact:
        __remediate_before: "{{ lookup('ansible.builtin.file', diagnosis_file) | from_json }}"
    - name: Plan
      ansible.builtin.include_role:
        name: azure_backup.snapshot_doctor.remediate
        tasks_from: plan.yml
    - name: Write the plan
      ansible.builtin.copy:
        content: "{{ __remediate_plan.applied | to_json }}"
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
      delegate_to: localhost
"""


def test_a_group_variable_switches_a_fix_on(tmp_path):
    inventory = tmp_path / 'inventory'
    (inventory / 'group_vars').mkdir(parents=True)
    (inventory / 'hosts.ini').write_text(
        '[plain]\nvm1\n[dhcp_allowed]\nvm2\n[all:vars]\nansible_connection=local\nansible_python_interpreter=%s\n'
        % sys.executable)
    (inventory / 'group_vars' / 'dhcp_allowed.yml').write_text('remediate_snapshot_dhcp: true\n')
    (tmp_path / 'diagnosis.json').write_text(json.dumps(DIAGNOSIS))
    (tmp_path / 'play.yml').write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0')
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory),
                          str(tmp_path / 'play.yml'), '-e', 'diagnosis_file=%s out_dir=%s' % (
                              tmp_path / 'diagnosis.json', tmp_path)],
                         cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout
    assert json.loads((tmp_path / 'vm1.json').read_text()) == []  # risky: off by default
    assert json.loads((tmp_path / 'vm2.json').read_text()) == ['snapshot_dhcp']
