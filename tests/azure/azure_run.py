"""Run ansible-playbook / ansible-inventory against a FakeAzure (see conftest.py and README.md).

Playbooks run in a child process with fake.env (so every HTTPS request goes to the fake) and this venv's
Python as the module interpreter; the collection under test and azure.azcollection come from
.build/collections (make collection wheel-collections).
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
# The hosts of the default inventory and of local_inventory() run their modules here, with this Python.
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}


class PlaybookResults(list):
    """One entry per task and host: {task, action, host, status (ok|changed|failed|skipped|unreachable),
    ignored, result}; `output` is the playbook's stdout and stderr."""
    output = ""

    def task(self, name, host=None):
        """The entry of the task named `name` (for `host`, if given); the last one if it ran more than once."""
        found = [e for e in self if e["task"] == name and (host is None or e["host"] == host)]
        if not found:
            raise KeyError("no result for task %r%s; tasks: %s\n%s" % (
                name, "" if host is None else " on " + host, sorted({e["task"] for e in self}), self.output))
        return found[-1]

    def failed(self):
        return [e for e in self if e["status"] in ("failed", "unreachable") and not e["ignored"]]


def local_inventory(hosts):
    """An inventory dict whose hosts (name -> hostvars) all run their modules locally with this Python."""
    return {"all": {"hosts": {name: dict(LOCAL, **(hostvars or {})) for name, hostvars in hosts.items()}}}


def _write(directory, name, content):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(content if isinstance(content, str) else json.dumps(content))
    return path


def _is_text(value):
    return isinstance(value, str) and ("\n" in value or not os.path.exists(value))


def child_env(fake, **extra):
    """fake.env plus what every child run here needs."""
    env = dict(fake.env)
    env.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_DEPRECATION_WARNINGS": "0", "ANSIBLE_LOCALHOST_WARNING": "0"})
    env.update(extra)
    return env


def run_playbook(path_or_text, fake, extra_vars=None, check=False, diff=False, inventory=None, timeout=600):
    """Run a playbook (a path, or its YAML text) against the fake; returns (rc, PlaybookResults).

    inventory: None (localhost, local connection), a path, an inventory dict (see local_inventory) or
    inventory text. Nothing raises on a failed playbook: look at rc, results.failed() and results.output.
    """
    with tempfile.TemporaryDirectory(prefix="fake-azure-run-") as work:
        playbook = _write(work, "playbook.yml", path_or_text) if _is_text(path_or_text) else path_or_text
        if inventory is None:
            inventory = local_inventory({"localhost": {}})
        if isinstance(inventory, dict):
            inventory = _write(work, "inventory.yml", inventory)
        elif _is_text(inventory):
            inventory = _write(work, "inventory", inventory)
        results_file = os.path.join(work, "results.jsonl")
        command = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, playbook]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        env = child_env(fake, FAKE_AZURE_RESULTS=results_file,
                        ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
                        ANSIBLE_CALLBACKS_ENABLED="fake_azure_results",
                        ANSIBLE_LOCAL_TEMP=os.path.join(work, "tmp"))
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        results = PlaybookResults()
        if os.path.exists(results_file):
            with open(results_file, encoding="utf-8") as handle:
                results.extend(json.loads(line) for line in handle if line.strip())
        results.output = proc.stdout + proc.stderr
        return proc.returncode, results


def plain(value):
    """ansible-inventory --list (ansible-core 2.19, profile inventory_legacy) writes untrusted strings as
    {"__ansible_unsafe": "..."}; this gives back the plain values."""
    if isinstance(value, dict):
        if list(value) == ["__ansible_unsafe"]:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def run_inventory(config, fake, timeout=600):
    """`ansible-inventory --list` of an inventory plugin configuration (a dict, YAML text or a path; the file
    is named fake.azure_rm.yml so that the azure_rm plugin accepts it). Returns (rc, the parsed output with plain
    strings, or None; stdout and stderr)."""
    with tempfile.TemporaryDirectory(prefix="fake-azure-inv-") as work:
        path = _write(work, "fake.azure_rm.yml", config) if isinstance(config, dict) or _is_text(config) else config
        command = [os.path.join(BIN, "ansible-inventory"), "-i", path, "--list"]
        proc = subprocess.run(command, env=child_env(fake), capture_output=True, text=True, timeout=timeout, check=False)
        try:
            parsed = plain(json.loads(proc.stdout))
        except ValueError:
            parsed = None
        return proc.returncode, parsed, proc.stdout + proc.stderr
