"""Pytest wiring for the lab: importable snapshot_lab, a `lab` marker, and a session lab fixture
whose teardown cannot be skipped (finalizer + SIGTERM turned into KeyboardInterrupt)."""
import os
import shutil
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from snapshot_lab import config as lab_config, lab  # noqa: E402

LAB_GUESTS = int(os.environ.get("LAB_TEST_GUESTS", "2"))


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: boots systemd-nspawn lab guests (root, lab-deps)")


def _missing_requirements():
    if os.geteuid() != 0:
        return "the lab needs root"
    for tool in ("debootstrap", "dnsmasq", "tinyproxy", "iptables", "ssh"):
        if shutil.which(tool) is None:
            return "%s is missing: run `make lab-deps`" % tool
    if not os.access(lab_config.NSPAWN, os.X_OK):
        return "systemd-nspawn is missing at %s: run `make lab-deps`" % lab_config.NSPAWN
    return None


def _interrupt(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


@pytest.fixture(scope="session")
def lab_state():
    missing = _missing_requirements()
    if missing:
        pytest.skip(missing)
    if lab.is_up():
        pytest.fail("a lab is already up (%s): run `make lab-down` first" % lab_config.STATE_FILE)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield lab.up(LAB_GUESTS, wait_agent=True)
    finally:
        try:
            lab.down()
        finally:
            signal.signal(signal.SIGTERM, previous)
