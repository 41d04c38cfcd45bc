"""Lab fixtures for the diagnosis integration tests: guests boot once per session.

The lab (tests/lab/lab.py) is a single instance per machine. These fixtures start it and always
stop it again; they refuse to run on a lab that someone else started (its faults are unknown)
unless LAB_REUSE=1 says that lab may be used and left running.
"""
import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from diagnose_runner import foreign_lab, lab_cli  # noqa: E402


def lab_status():
    return json.loads(lab_cli('status').stdout)


class Lab:
    """A running lab: its inventory and state, and fault helpers that always undo."""

    def __init__(self, status):
        self.status = status
        self.inventory = status['inventory']
        with open(status['state_file']) as handle:
            self.state = json.load(handle)

    def guest_root(self, name):
        return self.state['guests'][name]['root']

    def apply(self, fault, guest):
        lab_cli('fault', 'apply', fault, guest)

    def undo(self, fault, guest):
        lab_cli('fault', 'undo', fault, guest)


def start_lab(guests):
    """Start a lab of ``guests`` guests with the agent Ready; yields a Lab and always stops it."""
    if os.geteuid() != 0:
        pytest.skip('the lab needs root')
    status = lab_status()
    reuse = os.environ.get('LAB_REUSE') == '1'
    if status.get('up') and not reuse:
        pytest.fail('the lab is already up (another run?); stop it with `make lab-down`, '
                    'or set LAB_REUSE=1 to use it as it is')
    started = False
    try:
        if not status.get('up'):
            other = foreign_lab()
            if other:
                pytest.fail('another lab runs on this machine (%s); wait for it to stop' % other)
            lab_cli('up', '--guests', str(guests), '--wait-agent', timeout=900)
            started = True
        yield Lab(lab_status())
    finally:
        if started:
            lab_cli('down', timeout=300, check=False)


# One lab for the whole session: each test module that needs guests reuses them (boot is the slow part).
@pytest.fixture(scope='session')
def lab():
    yield from start_lab(2)
