# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paths of the shared unit-test fixtures (tests/unit/fixtures, see its README)."""
from __future__ import absolute_import, division, print_function

import os

__metaclass__ = type

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, 'fixtures')


def fixture_bytes(*parts):
    with open(os.path.join(FIXTURES, *parts), 'rb') as handle:
        return handle.read()


def fixture_text(*parts):
    return fixture_bytes(*parts).decode('utf-8')
