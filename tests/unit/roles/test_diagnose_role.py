# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exit codes for runbooks: the diagnose playbook under ansible-playbook, with hosts that cannot be reached.

The only host is unreachable (ssh to a closed port on loopback), so nothing runs on this machine.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

import pytest

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')


def _run(tmp_path, *extra):
    inventory = tmp_path / 'hosts.ini'
    inventory.write_text('down ansible_host=127.0.0.1 ansible_port=9 ansible_connection=ssh '
                         'ansible_ssh_common_args="-o ConnectTimeout=3 -o StrictHostKeyChecking=no"\n')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_HOST_KEY_CHECKING='0')
    return subprocess.run([ANSIBLE_PLAYBOOK, '-i', str(inventory), 'azure_backup.snapshot_doctor.diagnose',
                           '-e', 'diagnose_report_dir=%s' % (tmp_path / 'report')] + list(extra),
                          cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300, check=False)


def test_an_unreachable_host_is_reported_and_fails_the_run_only_when_asked(tmp_path):
    run = _run(tmp_path)
    assert run.returncode == 0, run.stdout
    document = json.loads((tmp_path / 'report' / 'findings.json').read_text())
    assert document['hosts']['down']['reachable'] is False
    run = _run(tmp_path, '-e', 'diagnose_fail_on_findings=true')
    assert run.returncode != 0, run.stdout
    assert 'down is unreachable' in run.stdout


@pytest.mark.parametrize('tags', ['agnet', 'agent,extensions'])
def test_an_unknown_cause_tag_is_an_error_not_every_cause(tmp_path, tags):
    run = _run(tmp_path, '--tags', tags)
    assert run.returncode != 0, run.stdout
    assert 'Unknown tag(s) %s' % tags.split(',')[-1] in run.stdout
    assert not (tmp_path / 'report').exists()


def test_list_tags_shows_the_cause_tags(tmp_path):
    run = _run(tmp_path, '--list-tags')
    assert run.returncode == 0, run.stdout
    assert 'TASK TAGS: [agent, always, backup, connectivity, extension, platform, snapshot]' in run.stdout
