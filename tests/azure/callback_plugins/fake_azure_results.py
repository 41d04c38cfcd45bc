"""Writes each task's result as one JSON line to $FAKE_AZURE_RESULTS (tests/azure's run_playbook reads it).

ansible-core 2.19 ships no json stdout callback (that one is in ansible.posix, not installed here), so this
small aggregate callback runs beside the default output, which stays readable for debugging.
"""
import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: fake_azure_results
type: aggregate
short_description: task results as JSON lines, for tests/azure
description: Appends one JSON object per task and host to the file named by FAKE_AZURE_RESULTS.
requirements: [enabled in callbacks_enabled]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fake_azure_results"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, status, ignored=False):
        path = os.environ.get("FAKE_AZURE_RESULTS")
        if not path:
            return
        data = dict(result.result)
        if status == "ok" and data.get("changed"):
            status = "changed"
        entry = {"task": result.task.get_name(), "action": result.task.action, "host": result.host.get_name(),
                 "status": status, "ignored": ignored, "result": data}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "failed", ignored=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._write(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._write(result, "unreachable")
