# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of azure_backup.snapshot_doctor.diagnose (documentation: plugins/modules/diagnose.py).

One module execution per host gathers every fact (``guest_info``); the findings are evaluated here,
on the controller, by the OS-neutral core (``evaluate``). The plugin dispatches per OS like
ansible-core's ``service`` action: Windows hosts get a clear "not yet supported" result for now.
"""
from __future__ import absolute_import, division, print_function

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import CAUSES
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.evaluate import evaluate
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import summarize
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.report import (
    collection_version, redact_findings)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.version import parse_version

__metaclass__ = type

LINUX_FACTS_MODULE = 'azure_backup.snapshot_doctor.guest_info'

# The guest_info sections each cause needs; platform is always gathered (every cause depends on it).
SECTIONS_BY_CAUSE = {
    'platform': ('platform',),
    'connectivity': ('connectivity',),
    'agent': ('agent',),
    'extension': ('extension',),
    'snapshot': ('dhcp', 'load'),
}

FACT_NAME = 'snapshot_doctor'

# Options passed on to guest_info unchanged when set (the module documents them).
MODULE_OPTIONS = ('root', 'command_timeout', 'log_tail_kib', 'assume_azure', 'wireserver',
                  'wireserver_ports', 'https_endpoints', 'proxy', 'ca_file', 'probe_timeout',
                  'load_samples', 'load_interval')
# Options of the evaluator (thresholds and minimum versions) on the controller.
EVALUATE_OPTIONS = ('assume_azure', 'min_agent_version', 'min_extension_version',
                    'load_threshold_percent', 'transitioning_minutes')

ARGUMENT_SPEC = dict(
    causes=dict(type='list', elements='str', choices=list(CAUSES), default=list(CAUSES)),
    root=dict(type='path', default='/'),
    assume_azure=dict(type='bool', default=False),
    wireserver=dict(type='str'),
    wireserver_ports=dict(type='list', elements='int'),
    imds=dict(type='str'),
    https_endpoints=dict(type='list', elements='str'),
    proxy=dict(type='str'),
    ca_file=dict(type='path'),
    probe_timeout=dict(type='float'),
    command_timeout=dict(type='float'),
    log_tail_kib=dict(type='int'),
    load_samples=dict(type='int'),
    load_interval=dict(type='float'),
    load_threshold_percent=dict(type='float'),
    min_agent_version=dict(type='str'),
    min_extension_version=dict(type='str'),
    transitioning_minutes=dict(type='float'),
    return_facts=dict(type='bool', default=False),
)


def check_options(args):
    """Checks the argument spec cannot express; returns a list of messages (empty when fine)."""
    problems = []
    if not args['causes']:
        problems.append('causes must name at least one of %s' % ', '.join(CAUSES))
    for name in ('probe_timeout', 'command_timeout', 'transitioning_minutes'):
        if args.get(name) is not None and not args[name] > 0:
            problems.append('%s must be greater than 0, got %s' % (name, args[name]))
    if args.get('load_interval') is not None and args['load_interval'] < 0:
        problems.append('load_interval must not be negative, got %s' % args['load_interval'])
    for name in ('load_samples', 'log_tail_kib'):
        if args.get(name) is not None and args[name] < 1:
            problems.append('%s must be at least 1, got %s' % (name, args[name]))
    threshold = args.get('load_threshold_percent')
    if threshold is not None and not 0 < threshold <= 100:
        problems.append('load_threshold_percent must be within (0, 100], got %s' % threshold)
    for name in ('min_agent_version', 'min_extension_version'):
        if args.get(name) is not None and parse_version(args[name]) is None:
            problems.append('%s is not a dotted version: %r' % (name, args[name]))
    for port in args.get('wireserver_ports') or ():
        if not 0 < port < 65536:
            problems.append('wireserver_ports holds %s, not a TCP port' % port)
    if args.get('wireserver') and ':' in args['wireserver']:
        problems.append('wireserver is an address without a port (set wireserver_ports), got %r'
                        % args['wireserver'])
    if args.get('imds'):
        try:
            split_host_port(args['imds'])
        except ValueError as exc:
            problems.append('imds: %s' % exc)
    return problems


def split_host_port(text):
    """'10.0.0.3' -> ('10.0.0.3', None); '10.0.0.3:8080' -> ('10.0.0.3', 8080)."""
    host, sep, port = text.rpartition(':')
    if not sep:
        return text, None
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError('expected "address" or "address:port", got %r' % text)
    return host, int(port)


def module_args_for(args):
    """The guest_info arguments: only the sections the causes need, only the options that are set."""
    sections = []
    for cause in ('platform',) + tuple(args['causes']):
        for section in SECTIONS_BY_CAUSE[cause]:
            if section not in sections:
                sections.append(section)
    module_args = {'gather': sections}
    for name in MODULE_OPTIONS:
        if args.get(name) is not None:
            module_args[name] = args[name]
    if args.get('imds'):
        module_args['imds'], port = split_host_port(args['imds'])
        if port is not None:
            module_args['imds_port'] = port
    return module_args


def platform_of(facts, assume_azure):
    """The report's platform block from the gathered facts."""
    platform = facts.get('platform') or {}
    return {
        'os': facts.get('os'),
        'distribution': platform.get('distribution'),
        'version': platform.get('distribution_version'),
        # True when DMI says Azure or the run treats the host as Azure (lab, rescue VM).
        'azure_vm': bool(platform.get('azure_dmi') or assume_azure),
    }


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

        if self._is_windows():
            result.update(failed=True, changed=False, unsupported=True,
                          platform={'os': 'windows', 'distribution': None, 'version': None,
                                    'azure_vm': None},
                          msg='Windows hosts are not yet supported by azure_backup.snapshot_doctor.diagnose; '
                              'Linux hosts only in this version.')
            return result

        try:
            module_result = self._execute_module(module_name=LINUX_FACTS_MODULE,
                                                 module_args=module_args_for(args),
                                                 task_vars=task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

        if module_result.get('failed') or 'facts' not in module_result:
            result.update(module_result)
            result['failed'] = True
            result.setdefault('msg', '%s returned no facts' % LINUX_FACTS_MODULE)
            return result

        facts = module_result['facts']
        evaluate_options = dict((name, args[name]) for name in EVALUATE_OPTIONS if args.get(name) is not None)
        wanted = set(args['causes'])
        findings = [finding for finding in evaluate(facts, evaluate_options) if finding['cause'] in wanted]
        findings, _count = redact_findings(findings)
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

    def _is_windows(self):
        # The same test ansible.windows uses: the connection prefers PowerShell modules.
        return '.ps1' in (getattr(self._connection, 'module_implementation_preferences', None) or ())
