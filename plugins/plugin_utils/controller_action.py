# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the actions that run on the controller alone (reports, plans): no connection, no module."""
from __future__ import absolute_import, division, print_function

from ansible.plugins.action import ActionBase

__metaclass__ = type


class ControllerAction(ActionBase):
    """Validates the task's arguments against ``ARGUMENT_SPEC``, then returns ``act(args)`` merged into the result.

    They only read or write on the controller, so they run the same in check mode; an action whose
    files say so (the reports) looks at ``self._task.check_mode`` itself.
    """

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC = {}

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super(ControllerAction, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        result.update(self.act(args, task_vars or {}))
        return result

    def act(self, args, task_vars=None):
        raise NotImplementedError
