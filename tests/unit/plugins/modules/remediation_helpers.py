# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in-process and capture what it returns (exit_json / fail_json)."""
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(result.get('msg', ''))
        self.result = result
        self.failed = failed


def run_module(main, args, check_mode=False, diff=False, monkeypatch=None):
    """Return the module's result dict; raise ModuleExit(failed=True) for fail_json."""
    args = dict(args)
    args['_ansible_check_mode'] = check_mode
    args['_ansible_diff'] = diff

    def exit_json(self, **kwargs):
        raise ModuleExit(json.loads(json.dumps(kwargs, default=str)), failed=False)

    def fail_json(self, msg, **kwargs):
        kwargs['msg'] = msg
        raise ModuleExit(json.loads(json.dumps(kwargs, default=str)), failed=True)

    with pytest.MonkeyPatch.context() as patcher:
        patcher.setattr(basic.AnsibleModule, 'exit_json', exit_json)
        patcher.setattr(basic.AnsibleModule, 'fail_json', fail_json)
        with patch_module_args(args):
            try:
                main()
            except ModuleExit as exc:
                if exc.failed:
                    raise
                return exc.result
    raise AssertionError('the module returned without exit_json or fail_json')
