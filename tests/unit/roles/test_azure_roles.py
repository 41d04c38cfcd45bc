# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' tasks that write in Azure, checked without Azure (tests/azure runs them against the fake):

- every azure.azcollection task uses only options that azure.azcollection 3.12.0 documents (its modules'
  DOCUMENTATION and the azure doc fragment), with documented choices;
- every one runs on the controller (delegate_to: localhost, become: false), behind its fix's tag, and is
  skipped in check mode (two of the modules ignore check mode and would write);
- every action of this collection gets only the arguments it declares;
- the api-versions the roles publish for the report are those the modules send.
"""
from __future__ import absolute_import, division, print_function

import ast
import os
import re

import pytest
import yaml

from ansible_collections.azure_backup.snapshot_doctor.plugins.action import (
    activity_log_info, backup_jobs_info, remediation_plan, remediation_report, staggered_policies)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import FIXES

from ansible.playbook.block import Block
from ansible.playbook.task import Task

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
AZCOLLECTION = os.path.join(ROOT, '.build', 'collections', 'ansible_collections', 'azure', 'azcollection')
TASK_FILES = [('extension', 'azure.yml'), ('connectivity', 'azure.yml'), ('snapshot', 'azure.yml'),
              ('backup', 'main.yml')]
OUR_ACTIONS = {
    'azure_backup.snapshot_doctor.backup_jobs_info': backup_jobs_info.ARGUMENT_SPEC,
    'azure_backup.snapshot_doctor.staggered_policies': staggered_policies.ARGUMENT_SPEC,
    'azure_backup.snapshot_doctor.activity_log_info': activity_log_info.ARGUMENT_SPEC,
    'azure_backup.snapshot_doctor.remediation_plan': remediation_plan.ARGUMENT_SPEC,
    'azure_backup.snapshot_doctor.remediation_report': remediation_report.ARGUMENT_SPEC,
}


# Every task keyword Ansible knows (the rest of a task's keys is its module).
KEYWORDS = set(Task.fattributes) | set(Block.fattributes) | {'vars'}


def _walk(tasks, whens=(), tags=()):
    """(task, module, args, the when expressions and tags that apply, including those of enclosing blocks)."""
    for task in tasks or []:
        when = task.get('when', [])
        when = list(whens) + (when if isinstance(when, list) else [when])
        tag = list(tags) + list(task.get('tags') or [])
        if 'block' in task:
            for section in ('block', 'rescue', 'always'):
                yield from _walk(task.get(section), when, tag)
            continue
        modules = [key for key in task if key not in KEYWORDS]
        assert len(modules) == 1, (task.get('name'), modules)
        yield task, modules[0], task[modules[0]], when, tag


def _load(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def _tasks():
    for role, name in TASK_FILES:
        for item in _walk(_load('roles', role, 'tasks', name)):
            yield (role,) + item
    for item in _walk(_load('roles', 'remediate', 'tasks', 'main.yml')):
        yield ('remediate',) + item


def _documentation(path):
    if not os.path.exists(path):
        pytest.skip('azure.azcollection is not unpacked (make wheel-collections)')
    with open(path) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == 'DOCUMENTATION':
            return yaml.safe_load(node.value.value)
    if path.endswith('azure.py'):  # the doc fragment: a class attribute
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == 'DOCUMENTATION':
                return yaml.safe_load(node.value.value)
    raise AssertionError('no DOCUMENTATION in %s' % path)


def _options(module):
    documented = dict(_documentation(os.path.join(AZCOLLECTION, 'plugins', 'modules', module + '.py'))['options'])
    documented.update(_documentation(os.path.join(AZCOLLECTION, 'plugins', 'doc_fragments', 'azure.py'))['options'])
    return documented


def test_the_azure_tasks_use_documented_options_only():
    used = set()
    for role, task, module, args, _whens, _tags in _tasks():
        if not module.startswith('azure.azcollection.'):
            continue
        used.add(module)
        options = _options(module.split('.')[-1])
        for key, value in args.items():
            assert key in options, '%s has no option %s (%s)' % (module, key, task['name'])
            if options[key].get('choices') and isinstance(value, str) and '{{' not in value:
                assert value in options[key]['choices'], (module, key, value)
    assert used == {'azure.azcollection.azure_rm_virtualmachineextension', 'azure.azcollection.azure_rm_resource',
                    'azure.azcollection.azure_rm_backupazurevm'}


def _fix_of(tags):
    names = [fix.name for fix in FIXES]
    return [tag for tag in tags if tag in names]


def test_every_azure_write_runs_on_the_controller_behind_its_tag_and_not_in_check_mode():
    writes = 0
    for role, task, module, args, whens, tags in _tasks():
        if not module.startswith('azure.azcollection.'):
            continue
        writes += 1
        assert task.get('delegate_to') == 'localhost' and task.get('become') is False, task['name']
        assert 'not ansible_check_mode' in whens, task['name']
        assert len(_fix_of(tags)) == 1, task['name']
    assert writes == 5


def test_check_mode_shows_each_write_it_skips():
    for role, name in TASK_FILES:
        shown = [task for task, module, _args, whens, _tags in _walk(_load('roles', role, 'tasks', name))
                 if (module == 'ansible.builtin.debug' and 'ansible_check_mode' in whens)
                 or module == 'azure_backup.snapshot_doctor.staggered_policies']
        assert shown, role


def test_the_collections_own_tasks_get_their_declared_arguments():
    for role, task, module, args, _whens, _tags in _tasks():
        if module in OUR_ACTIONS:
            assert set(args) <= set(OUR_ACTIONS[module]), task['name']


def _source(*parts):
    path = os.path.join(AZCOLLECTION, 'plugins', *parts)
    if not os.path.exists(path):
        pytest.skip('azure.azcollection is not unpacked (make wheel-collections)')
    with open(path) as handle:
        return handle.read()


def test_the_published_api_versions_are_those_the_modules_send():
    compute = re.search(r"def compute_client\(self\):.*?api_version='([^']+)'", _source('module_utils', 'azure_rm_common.py'),
                        re.S).group(1)
    assert _load('roles', 'extension', 'vars', 'main.yml')['__extension_compute_api_version'] == compute
    backup = _source('modules', 'azure_rm_backupazurevm.py')
    assert "return '2019-05-13' if self.state == 'create' or self.state == 'update'" in backup and "else '2016-12-01'" in backup
    assert _load('roles', 'backup', 'vars', 'main.yml')['__backup_trigger_api_version'] == '2016-12-01'
    assert _load('roles', 'snapshot', 'vars', 'main.yml')['__snapshot_backup_api_version'] == '2019-05-13'


def test_the_remediate_role_hands_the_azure_section_only_when_the_azure_side_is_on():
    plan = _load('roles', 'remediate', 'tasks', 'plan.yml')[0]['azure_backup.snapshot_doctor.remediation_plan']
    assert plan['azure'].startswith('{{ __remediate_azure_section if remediate_azure | bool else omit')
    assert 'remediate_snapshot_schedule | bool' in plan['fleet']
    tasks = _load('roles', 'remediate', 'tasks', 'main.yml')
    diagnoses = [task for task in tasks if (task.get('ansible.builtin.include_role') or {}).get('name')
                 == 'azure_backup.snapshot_doctor.diagnose']
    assert [task['vars']['diagnose_azure'] for task in diagnoses] == ['{{ remediate_azure }}'] * 2
