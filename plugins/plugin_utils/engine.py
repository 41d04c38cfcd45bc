# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rule engine: from one host's gathered facts (docs/facts.md) to one finding per catalog check.

Runs on the controller only. A rule is a function of a ``Context`` that returns a finding; it is
registered for one (OS, check id) in a ``RuleSet`` (``RULES`` is the collection's, filled by the
modules of ``plugin_utils/rules/``, one per cause). ``evaluate`` never raises: facts a rule cannot
use give `error` findings with the reason, a check whose facts were skipped (offline mode, section
not gathered, non-Azure host) gives `skip`, a check the catalog gives an OS without a rule for that
OS gives `skip` (not applicable), and control-plane checks without a rule are `skip`. The control-plane rules
read the facts' ``azure`` section (plugin_utils/azure/facts.py, what Azure says about the host's VM); without it
they are `skip`. ``evaluate_control_plane`` gives those findings alone, for a host whose guest did not answer.
"""
from __future__ import absolute_import, division, print_function

import importlib

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import options as option_table
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import (
    CHECKS, PLATFORMS, checks_for, error_code_checks, get_check)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import (
    error_finding, make_finding, skip_finding)

__metaclass__ = type

CONTROL_PLANE_MESSAGE = 'needs the control plane (Azure API access), not evaluated from the guest'
NO_AZURE_MESSAGE = 'the run has no Azure access (diagnose_azure is off)'
# The finding whose error code other findings of the host may explain, and the statuses that explain.
EXPLAINED_CHECK = 'backup.last_job'
EXPLAINING_STATUSES = ('fail', 'warn')
# The package whose modules register the collection's rules into RULES when imported.
# The option groups the rules read (the others steer the action: causes, return_facts).
EVALUATE_GROUPS = ('connectivity', 'evaluate')
RULES_PACKAGE = 'ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.rules'


class Skip(Exception):
    """The check does not apply; the message says why."""


class Error(Exception):
    """The check cannot be determined; the message says why."""


class RuleSet:
    """Rules by (OS, check id)."""

    def __init__(self):
        self._rules = {}

    def rule(self, os_names, check_id):
        """Decorator registering ``function`` as the rule of ``check_id`` on ``os_names`` (a name or a tuple)."""
        get_check(check_id)  # an unknown id is a programming error
        os_names = (os_names,) if isinstance(os_names, str) else tuple(os_names)

        def register(function):
            for os_name in os_names:
                if (os_name, check_id) in self._rules:
                    raise ValueError('a rule for %s on %s is already registered' % (check_id, os_name))
                self._rules[(os_name, check_id)] = function
            return function
        return register

    def get(self, os_name, check_id):
        return self._rules.get((os_name, check_id))

    def platforms(self):
        return sorted(set(os_name for os_name, _check in self._rules))

    def checks(self, os_name):
        """The catalog's checks for ``os_name``: its catalog rows, plus any check it has a rule for."""
        if os_name in PLATFORMS:
            return checks_for(platform=os_name)
        return tuple(check for check in CHECKS if (os_name, check.id) in self._rules)


RULES = RuleSet()


def need(container, key, what=None):
    """``container[key]`` as an observation that worked; Skip/Error for skip/error/missing."""
    what = what or key
    if not isinstance(container, dict):
        raise Error('facts malformed: %s is not a mapping' % what)
    value = container.get(key)
    if not isinstance(value, dict):
        raise Error('facts lack %s' % what)
    result = value.get('result')
    if result == 'skip':
        raise Skip('%s skipped: %s' % (what, value.get('message') or 'no reason given'))
    if result == 'error':
        raise Error('%s could not be gathered: %s' % (what, value.get('message') or 'unknown error'))
    if result != 'ok':
        raise Error('facts malformed: %s has result %r' % (what, result))
    return value


class Context:
    """What a rule sees: the host's facts and the evaluator options (defaults filled in)."""

    def __init__(self, facts, options):
        self.facts = facts
        self.options = options

    def section(self, name):
        if name not in (self.facts.get('gathered') or [name]) and name not in self.facts:
            raise Skip('section %s was not gathered' % name)
        return need(self.facts, name, 'section %s' % name)

    def observation(self, section, key):
        return need(self.section(section), key, '%s.%s' % (section, key))

    def azure(self, key):
        """An observation of what Azure says about the host's VM (facts['azure']); Skip when the run read no Azure."""
        if self.facts.get('azure') is None:
            raise Skip(NO_AZURE_MESSAGE)
        return need(need(self.facts, 'azure', 'the Azure section'), key, 'azure.%s' % key)

    def guest_answered(self):
        """True when these facts come from the running guest (not from Azure alone, nor from an offline disk)."""
        return bool(self.facts.get('gathered_at')) and not self.facts.get('offline')


def finding(check_id, status, summary, evidence=None, remedy=None):
    return make_finding(check_id, status, summary, evidence=evidence, remedy=remedy)


def default_options():
    """The evaluator options (those read on the controller) with their defaults."""
    return option_table.defaults_of(option_table.select(where='controller', groups=EVALUATE_GROUPS))


def _merge_options(options):
    merged = default_options()
    for key, value in (options if isinstance(options, dict) else {}).items():
        if key in merged and value is not None:
            merged[key] = value
    return merged


def collection_rules():
    """RULES once every rules module of the collection has registered into it."""
    importlib.import_module(RULES_PACKAGE)
    return RULES


def evaluate(facts, options=None, rules=None):
    """One finding per check of the facts' OS, in catalog order. Never raises.

    ``rules`` defaults to the collection's; a test or a new backend may pass its own RuleSet.
    """
    return explain(_evaluate(facts, options, rules))


def evaluate_control_plane(azure_section, os_name, options=None, rules=None):
    """The control-plane findings alone, from what Azure says (``azure_section``) about a host whose guest gave no
    facts (unreachable, or a VM only Azure knows). ``os_name`` picks the checks ('linux' or 'windows')."""
    facts = {'os': os_name, 'azure': azure_section}
    return explain(_evaluate(facts, options, rules, scope='control_plane'))


def explain(findings):
    """Adds to backup.last_job's evidence ``explained_by``: [{check, status}] of the host's findings that explain
    the job's error code (catalog.ERROR_CODES) and are fail or warn; names them in the summary. Returns findings."""
    by_check = dict((item['check'], item) for item in findings)
    job = by_check.get(EXPLAINED_CHECK)
    if not job or job['status'] != 'fail' or not job['evidence'].get('error_code'):
        return findings
    explained_by = [{'check': check_id, 'status': by_check[check_id]['status']}
                    for check_id in error_code_checks(job['evidence']['error_code'])
                    if check_id in by_check and by_check[check_id]['status'] in EXPLAINING_STATUSES]
    job['evidence']['explained_by'] = explained_by
    if explained_by:
        job['summary'] += '; explained by this host\'s %s' % ', '.join(
            '%s (%s)' % (item['check'], item['status']) for item in explained_by)
    return findings


def _evaluate(facts, options=None, rules=None, scope=None):
    rules = collection_rules() if rules is None else rules
    options = _merge_options(options)
    os_value = facts.get('os') if isinstance(facts, dict) else None
    os_name = os_value if isinstance(os_value, str) else None
    known = os_name in PLATFORMS or os_name in rules.platforms()
    problem = None
    if not isinstance(facts, dict):
        problem = 'facts malformed: expected a mapping, got %s' % type(facts).__name__
    elif not known:
        problem = 'facts malformed: unknown os %r' % (os_value,)
    elif os_name not in rules.platforms():
        problem = 'no evaluator for %s facts yet' % os_name
    ctx = Context(facts if isinstance(facts, dict) else {}, options)
    findings = []
    for check in rules.checks(os_name if known else 'linux'):
        if scope is not None and check.scope != scope:
            continue
        rule = rules.get(os_name, check.id)
        if check.scope == 'control_plane' and rule is None:
            findings.append(skip_finding(check.id, CONTROL_PLANE_MESSAGE))
            continue
        if problem:
            findings.append(error_finding(check.id, problem))
            continue
        if rule is None:
            findings.append(skip_finding(check.id, 'not applicable on %s: no rule evaluates %s there'
                                         % (os_name, check.id)))
            continue
        try:
            findings.append(rule(ctx))
        except Skip as exc:
            findings.append(skip_finding(check.id, str(exc)))
        except Error as exc:
            findings.append(error_finding(check.id, str(exc)))
        except Exception as exc:  # a bug or facts of an unexpected shape: this check only
            findings.append(error_finding(check.id, 'internal error evaluating %s: %s: %s'
                                          % (check.id, exc.__class__.__name__, exc)))
    return findings
