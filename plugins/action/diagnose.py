# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.diagnose (documentation: plugins/modules/diagnose.py).

One module execution per host gathers every fact the causes need; the findings are evaluated here,
on the controller, by the rule engine. The backend (module, sections, its arguments, how its result
becomes facts) is chosen per OS from one table (``plugin_utils/backends.py``), in the manner of
ansible-core's ``service`` action: Linux runs guest_info, Windows ansible.windows.win_powershell.
"""
from __future__ import absolute_import, division, print_function

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import options as option_table
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import CAUSES
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import summarize
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.identity import treated_as_azure
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import split_endpoint
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.redact import redact, redact_tree
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.backends import BACKENDS
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import evaluate
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.report import collection_version

__metaclass__ = type

FACT_NAME = 'snapshot_doctor'
# The option table's options, and what Azure says about this host's VM (control_plane_facts' section for it),
# evaluated beside the guest's facts.
ARGUMENT_SPEC = dict(option_table.argument_spec(option_table.OPTIONS), control_plane=dict(type='dict'))
# How much of a failed module's stderr the error keeps (the end holds the reason).
STDERR_TAIL_CHARS = 600


def check_options(args):
    """The bounds of every option (from the option table); returns a list of messages (empty when fine)."""
    return option_table.problems(args)


def split_host_port(text):
    """'10.0.0.3' -> ('10.0.0.3', None); '10.0.0.3:8080' -> ('10.0.0.3', 8080)."""
    return split_endpoint(text, None)


def platform_of(facts, assume_azure):
    """The report's platform block from the gathered facts."""
    platform = facts.get('platform') or {}
    return {
        'os': facts.get('os'),
        'distribution': platform.get('distribution'),
        'version': platform.get('distribution_version'),
        'azure_vm': treated_as_azure(platform, assume_azure),
    }


def module_failure_message(module_name, module_result):
    """Why the facts module gave no facts: its message, and the end of its stderr (redacted) when it has one."""
    message = module_result.get('msg') or '%s returned no facts' % module_name
    stderr = str(module_result.get('module_stderr') or '').strip()
    if stderr:
        message = '%s: %s' % (message, redact(stderr[-STDERR_TAIL_CHARS:])[0])
    return message


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True  # it only reads
        self._supports_async = False
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp

        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        problems = check_options(args)
        if problems:
            raise AnsibleActionFail('Invalid options for %s: %s' % (self._task.action, '; '.join(problems)))

        os_name = self._os_name()
        backend = BACKENDS.get(os_name)
        if backend is None:
            result.update(failed=True, changed=False, unsupported=True,
                          platform={'os': os_name, 'distribution': None, 'version': None, 'azure_vm': None},
                          msg='%s hosts are not yet supported by azure_backup.snapshot_doctor.diagnose; '
                              '%s hosts only in this version.'
                              % (os_name.capitalize(), ', '.join(name.capitalize() for name in sorted(BACKENDS))))
            return result

        try:
            module_result = self._execute_module(module_name=backend.facts_module,
                                                 module_args=backend.build_args(backend, args),
                                                 task_vars=task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

        facts, problem = (None, None) if module_result.get('failed') else backend.to_facts(module_result, args)
        if facts is None:
            result.update(module_result)
            result['failed'] = True
            result['msg'] = problem or module_failure_message(backend.facts_module, module_result)
            return result

        if args['control_plane'] is not None:
            facts['azure'] = args['control_plane']
        wanted = set(args['causes'])
        findings = [finding for finding in evaluate(facts, args) if finding['cause'] in wanted]
        # The diagnosis leaves the controller as a fact and in job events: redact it once, here.
        findings, _count = redact_tree(findings)
        diagnosis = {
            'causes': [cause for cause in CAUSES if cause in wanted],
            'platform': platform_of(facts, args['assume_azure']),
            'gathered_at': facts.get('gathered_at'),
            'offline': bool(facts.get('offline')),
            'collection_version': collection_version(),
            'findings': findings,
            'summary': summarize(findings),
        }
        result.update(diagnosis)
        result['changed'] = False
        result['ansible_facts'] = {FACT_NAME: diagnosis}
        if args['return_facts']:
            result['facts'] = facts
        for key in ('warnings', 'deprecations'):
            if module_result.get(key):
                result[key] = module_result[key]
        return result

    def _os_name(self):
        # The same test ansible.windows uses: the connection prefers PowerShell modules.
        preferences = getattr(self._connection, 'module_implementation_preferences', None) or ()
        return 'windows' if '.ps1' in preferences else 'linux'
