# -*- coding: utf-8 -*-
"""Bench-only action: returns a host's recorded diagnose result (a JSON file) as the diagnose action would,
without connecting, so that `register` keeps it the way the role's diagnose task does (tests/bench/scale.py)."""
from __future__ import absolute_import, division, print_function

import json

from ansible.plugins.action import ActionBase

__metaclass__ = type


class ActionModule(ActionBase):
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        with open(self._task.args['path']) as handle:
            result = json.load(handle)
        if 'findings' in result:
            # The diagnose action returns the diagnosis as the snapshot_doctor fact too.
            result['ansible_facts'] = {'snapshot_doctor': dict((k, v) for k, v in result.items() if k != 'changed')}
        return result
