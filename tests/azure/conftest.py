"""Fixtures for tests against the fake Azure Resource Manager (tests/azure/fake_arm.py).

    from azure_run import run_playbook

    def test_x(fake_azure):
        fake = fake_azure("basic")                       # or a scenario dict
        rc, results = run_playbook(PLAYBOOK_TEXT, fake, extra_vars={...})
        assert results.task("Remove the extension")["status"] == "changed"
        assert [w["method"] for w in fake.writes()] == ["DELETE"]

The helpers (run_playbook, run_inventory, local_inventory) are in azure_run.py. The tests here are skipped
when azure.azcollection or the Azure SDK is missing (`make azure-test` provides both).
"""
import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from fake_arm import COLLECTIONS, FakeAzure  # noqa: E402

AZCOLLECTION = os.path.join(COLLECTIONS, "ansible_collections", "azure", "azcollection", "MANIFEST.json")


def pytest_collection_modifyitems(config, items):
    reason = None
    if not os.path.exists(AZCOLLECTION):
        reason = "azure.azcollection is not unpacked (make wheel-collections)"
    else:
        try:
            found = importlib.util.find_spec("azure.mgmt.compute")
        except ImportError:
            found = None
        if found is None:
            reason = "the Azure SDK is not installed (requirements/azure.txt)"
    if reason:
        for item in items:
            if str(item.path.parent) == HERE:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def fake_azure():
    """A factory: fake_azure(scenario="basic") starts a FakeAzure (dict or scenarios/<name>.json);
    every one started is stopped at the end of the test."""
    started = []

    def start(scenario="basic"):
        fake = FakeAzure(scenario)
        fake.__enter__()
        started.append(fake)
        return fake

    yield start
    for fake in reversed(started):
        fake.__exit__(None, None, None)
