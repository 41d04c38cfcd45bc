# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every option is declared once (plugins/module_utils/options.py); what repeats it must agree with it.

The diagnose action's spec is derived from the table (its documentation is checked in
tests/unit/plugins/action/test_diagnose.py); here: the fact modules' spec and doc fragment, the
diagnose role's defaults, argument specs and task, and the remediate role against the catalog's fixes.
"""
from __future__ import absolute_import, division, print_function

import os
import re

import pytest
import yaml

from ansible_collections.azure_backup.snapshot_doctor.plugins.doc_fragments.facts import ModuleDocFragment
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import options as option_table
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import CAUSES, FIXES, get_check
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import facts_module

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Role variables that are not options of the action, or whose role default differs on purpose.
ROLE_ONLY = {'causes': [],  # empty: the cause tags of the run, else every cause
             }
NOT_IN_ROLE = ('return_facts',)


def _yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def _documented_fact_options():
    options = {}
    for text in (ModuleDocFragment.DOCUMENTATION, ModuleDocFragment.AGENT, ModuleDocFragment.CONNECTIVITY,
                 ModuleDocFragment.LOAD):
        options.update(yaml.safe_load(text)['options'])
    return options


def test_the_fact_modules_spec_is_the_table_and_its_documentation():
    spec = facts_module.argument_spec()
    documented = _documented_fact_options()
    assert sorted(set(spec) - {'gather'}) == sorted(documented)
    for name, documentation in documented.items():
        rules = spec[name]
        assert documentation['type'] == rules['type'], name
        assert documentation.get('default') == rules.get('default'), name
        assert documentation.get('elements') == rules.get('elements'), name
    for option in option_table.select(where='host'):
        assert spec[option.name].get('default') == option.default, option.name


def test_each_section_module_takes_only_its_options():
    assert sorted(facts_module.argument_spec('dhcp')) == ['command_timeout', 'root']
    assert 'load_samples' in facts_module.argument_spec('load')
    assert 'wireserver' in facts_module.argument_spec('connectivity')
    assert 'wireserver' not in facts_module.argument_spec('agent')


@pytest.mark.parametrize('option', [option for option in option_table.OPTIONS if option.name not in NOT_IN_ROLE],
                         ids=lambda option: option.name)
def test_the_diagnose_role_has_every_option_with_the_table_default(option):
    defaults = _yaml('roles', 'diagnose', 'defaults', 'main.yml')
    specs = _yaml('roles', 'diagnose', 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    variable = 'diagnose_' + option.name
    expected = ROLE_ONLY.get(option.name, option.default)
    assert defaults[variable] == expected, variable
    assert specs[variable].get('default') == expected, variable
    assert specs[variable]['type'] == option.type, variable
    assert specs[variable].get('elements') == option.elements, variable
    with open(os.path.join(ROOT, 'roles', 'diagnose', 'tasks', 'main.yml')) as handle:
        tasks = handle.read()
    source = '__diagnose_causes' if option.name == 'causes' else variable
    assert re.search(r'^    %s: "\{\{ %s\b' % (option.name, source), tasks, re.M), option.name


def test_the_option_bounds_reject_what_they_should():
    assert option_table.problems({'probe_timeout': 0, 'load_samples': 10001, 'load_threshold_percent': 0,
                                  'imds': '10.0.0.3:x', 'wireserver': 'name', 'causes': []}) == [
        'probe_timeout must be greater than 0, got 0', 'load_samples must be at most 10000, got 10001',
        'load_threshold_percent must be within (0, 100], got 0',
        "imds: expected an IP address, optionally with :port, got '10.0.0.3:x'",
        "wireserver must be an IP address, got 'name'", 'causes must name at least one of %s' % ', '.join(CAUSES)]
    assert option_table.problems(option_table.defaults_of(option_table.OPTIONS)) == []


def test_only_another_address_than_azure_is_an_override():
    assert not option_table.overridden({'wireserver': '168.63.129.16'}, 'wireserver')
    assert not option_table.overridden({'wireserver': ''}, 'wireserver')
    assert option_table.overridden({'wireserver': '10.213.0.2'}, 'wireserver')
    assert not option_table.overridden({'https_endpoints': ['login.microsoftonline.com:443']}, 'https_endpoints')
    assert option_table.overridden({'https_endpoints': ['storage.lab.test']}, 'https_endpoints')


# -- the remediate role and the catalog's fixes ------------------------------------------------------------------
def test_every_fix_names_checks_of_its_role():
    for fix in FIXES:
        for check_id in fix.checks:
            # snapshot.load has no guest fix (fix None): its "fix" only reports the advice.
            assert get_check(check_id).fix in (fix.role, None), (fix.name, check_id)


def test_the_remediate_role_has_one_switch_per_fix_with_the_catalog_default():
    defaults = _yaml('roles', 'remediate', 'defaults', 'main.yml')
    specs = _yaml('roles', 'remediate', 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    switches = sorted(name for name in defaults if name[len('remediate_'):] in [fix.name for fix in FIXES])
    assert switches == sorted('remediate_' + fix.name for fix in FIXES)
    for fix in FIXES:
        assert defaults['remediate_' + fix.name] is fix.default, fix.name
        assert specs['remediate_' + fix.name] == dict(specs['remediate_' + fix.name], type='bool', default=fix.default)
        assert ('Risky' in specs['remediate_' + fix.name]['description']) is fix.risky, fix.name
    assert sorted(defaults) == sorted(specs)


def _task_tags(*parts):
    tasks = _yaml(*parts)
    return tasks[0]['tags']


def test_list_tags_shows_every_cause_and_fix():
    """The first task of each role carries the tags literally, so that --list-tags shows them."""
    assert _task_tags('roles', 'diagnose', 'tasks', 'main.yml') == ['always'] + list(CAUSES)
    remediate = _task_tags('roles', 'remediate', 'tasks', 'main.yml')
    expected = ['always'] + list(CAUSES) + sorted(set(fix.role for fix in FIXES) - set(CAUSES)) + [
        fix.name for fix in FIXES if fix.name != 'collect_logs']
    assert remediate == expected


# The role variable that carries a fix's decision, where it is not the fix's own name.
FIX_ROLE_VARIABLES = {'connectivity_proxy': 'connectivity_proxy_state'}


@pytest.mark.parametrize('fix', [fix for fix in FIXES if fix.role != 'collect_logs'], ids=lambda fix: fix.name)
def test_the_remediate_role_hands_each_fix_to_its_role_which_declares_it(fix):
    tasks = _yaml('roles', 'remediate', 'tasks', 'main.yml')
    calls = [task for task in tasks if (task.get('ansible.builtin.include_role') or {}).get('name')
             == 'azure_backup.snapshot_doctor.' + fix.role]
    assert len(calls) == 1, fix.role
    variable = FIX_ROLE_VARIABLES.get(fix.name, fix.name)
    assert '__remediate_plan.fixes.%s ' % fix.name in calls[0]['vars'][variable], fix.name
    assert "'^%s_'" % fix.role in calls[0]['when'], fix.role
    defaults = _yaml('roles', fix.role, 'defaults', 'main.yml')
    specs = _yaml('roles', fix.role, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    assert variable in defaults and variable in specs, (fix.role, variable)
