# -*- coding: utf-8 -*-
"""Bench-only callback: writes JSON to $BENCH_TASK_SECONDS with each task's wall time (from its start to the
next task's, or the play's end) and each host's time in each task (from the worker's start to its result),
so that the benchmarks read the report task's own time and the per-host cost of the diagnose task."""
from __future__ import absolute_import, division, print_function

import json
import os
import time

from ansible.plugins.callback import CallbackBase

__metaclass__ = type


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'task_seconds'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._current = None
        self._tasks = {}
        self._hosts = {}
        self._started = {}

    def _close(self):
        if self._current:
            name, started = self._current
            self._tasks[name] = self._tasks.get(name, 0.0) + time.perf_counter() - started
            self._current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self._current = (task.get_name(), time.perf_counter())

    def v2_runner_on_start(self, host, task):
        self._started[(host.get_name(), task._uuid)] = time.perf_counter()

    def _host_done(self, result, **_kwargs):
        started = self._started.pop((result._host.get_name(), result._task._uuid), None)
        if started is not None:
            by_host = self._hosts.setdefault(result._task.get_name(), {})
            by_host[result._host.get_name()] = time.perf_counter() - started

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_unreachable = v2_runner_on_skipped = _host_done

    def v2_playbook_on_stats(self, stats):
        self._close()
        with open(os.environ['BENCH_TASK_SECONDS'], 'w') as handle:
            json.dump({'tasks': self._tasks, 'hosts': self._hosts}, handle)
