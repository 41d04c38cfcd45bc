# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the actions that read Azure Resource Manager from the controller (control_plane_facts,
failed_backups): their common options, and one run of the arm_info module for a whole request plan."""
from __future__ import absolute_import, division, print_function

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure import plan as azure_plan

__metaclass__ = type

READER = 'azure_backup.snapshot_doctor.arm_info'
# The arguments of azure.azcollection's common authentication (doc fragment azure.azcollection.azure).
AUTH_KEYS = ('auth_source', 'profile', 'subscription_id', 'client_id', 'secret', 'tenant', 'ad_user', 'password',
             'cloud_environment', 'cert_validation_mode', 'api_profile', 'adfs_authority_url', 'log_mode',
             'log_path', 'x509_certificate_path', 'thumbprint', 'disable_instance_discovery')
COMMON_SPEC = dict(
    days=dict(type='int', default=7),
    auth=dict(type='dict', default={}, no_log=True),
    concurrency=dict(type='int', default=8),
)
LOCAL_TRANSPORTS = ('local', 'ansible.builtin.local')


def common_problems(args):
    """Messages for the common options (empty when fine)."""
    problems = []
    unknown = sorted(set(args['auth']) - set(AUTH_KEYS))
    if unknown:
        problems.append('unknown auth key(s) %s (known: %s)' % (', '.join(unknown), ', '.join(AUTH_KEYS)))
    if not 1 <= args['days'] <= 90:
        problems.append('days must be between 1 and 90, got %d' % args['days'])
    if not 1 <= args['concurrency'] <= 32:
        problems.append('concurrency must be between 1 and 32, got %d' % args['concurrency'])
    return problems


def default_subscription(auth):
    """The subscription a host named only by VM name belongs to: the credentials' one."""
    return auth.get('subscription_id') or os.environ.get('AZURE_SUBSCRIPTION_ID') or None


def map_hosts(names, hostvars, subscription):
    """({host: VM reference}, {host: skip section}) for the hosts that map to a VM and the others."""
    refs, sections = {}, {}
    for name in names:
        variables = hostvars[name] if name in hostvars else {}
        ref, reason = azure_plan.vm_ref(dict((key, variables.get(key)) for key in azure_plan.HOST_VARIABLES),
                                        name, subscription)
        if ref is None:
            sections[name] = {'result': 'skip', 'message': 'not mapped to an Azure VM: %s' % reason}
        else:
            refs[name] = ref
    return refs, sections


class AzureReadAction(ActionBase):
    """Validates ``ARGUMENT_SPEC`` (which includes COMMON_SPEC), insists on running on the controller,
    then returns ``act(args, task_vars)`` merged into the result. Read only: the same in check mode."""

    TRANSFERS_FILES = False
    ARGUMENT_SPEC = COMMON_SPEC

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super(AzureReadAction, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        problems = common_problems(args) + self.problems(args)
        if problems:
            raise AnsibleActionFail('Invalid options for %s: %s' % (self._task.action, '; '.join(problems)))
        if self._connection.transport not in LOCAL_TRANSPORTS:
            raise AnsibleActionFail('%s reads Azure from the controller: run it with delegate_to: localhost '
                                    '(and run_once: true)' % self._task.action)
        result.update(self.act(args, task_vars or {}))
        result['changed'] = False
        return result

    def problems(self, args):
        return []

    def act(self, args, task_vars):
        raise NotImplementedError

    def read(self, requests, args, task_vars):
        """arm_info's answer for ``requests`` (one module run); ({}, 0) for no request."""
        if not requests:
            return {}, 0
        module_args = dict(args['auth'])
        module_args.update(requests=requests, concurrency=args['concurrency'])
        try:
            answer = self._execute_module(module_name=READER, module_args=module_args, task_vars=task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        if answer.get('failed'):
            raise AnsibleActionFail('Azure could not be read: %s' % (answer.get('msg') or READER + ' failed'))
        return answer.get('responses') or {}, answer.get('request_count') or 0
