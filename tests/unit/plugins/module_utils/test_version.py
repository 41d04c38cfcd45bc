# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version comparison on the formats agents, extensions and packages really print."""
from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.defaults import (
    MIN_LINUX_AGENT_VERSION, MIN_LINUX_EXTENSION_VERSION, MIN_WINDOWS_AGENT_VERSION)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.version import (
    compare_versions, parse_version, version_at_least, version_string)

__metaclass__ = type


@pytest.mark.parametrize('older, newer', [
    ('2.2.10', '2.10.0'),              # numeric, not lexical
    ('2.2.9', '2.2.10'),
    ('2.2.53', '2.2.53.1'),
    ('1.0.91.0', '1.0.9131.0'),        # extension versions
    ('1.0.9131.0', '1.0.9225.0'),
    ('2.6.1198.718', '2.7.41491.1010'),  # Windows agent
    ('2.7.41491.1010', '2.7.41491.1011'),
    ('2.9.0rc1', '2.9.0'),             # a release candidate comes before its release
    ('2.9.0rc1', '2.9.0rc2'),
    ('2.9.0.dev3', '2.9.0'),
    ('2.9.0~beta1', '2.9.0'),
    ('2.9.0', '2.9.0.1rc1'),
])
def test_ordering(older, newer):
    assert compare_versions(older, newer) == -1
    assert compare_versions(newer, older) == 1
    assert version_at_least(newer, older) is True
    assert version_at_least(older, newer) is False


@pytest.mark.parametrize('left, right', [
    ('1.0', '1.0.0'),
    ('1', '1.0.0.0'),
    ('WALinuxAgent-2.7.3.0', '2.7.3.0'),     # `waagent -version` prefix
    ('v2.7.3', '2.7.3'),
    ('2.7.3.0-4.1', '2.7.3.0'),              # Debian revision (waagent 2.7.3.0-4.1)
    ('2.7.3.0-1+deb12u1', '2.7.3.0'),
    ('2.2.45-0ubuntu1~18.04.1', '2.2.45'),
    ('2.2.45-ubuntu', '2.2.45'),
    ('2.7.0.6-3.el9', '2.7.0.6'),
    (' 2.7.3.0\n', '2.7.3.0'),
    (b'2.7.3.0', '2.7.3.0'),
    (2, '2.0'),
])
def test_equal(left, right):
    assert compare_versions(left, right) == 0
    assert version_at_least(left, right) is True


@pytest.mark.parametrize('garbage', [None, '', '   ', 'Unknown', 'WALinuxAgent-', 'n/a', True, 1.5j,
                                     ['2.7.3'], {'v': 1}, object(), 'x' * 500, b'\xff\xfe'])
def test_garbage_is_unparsable_and_never_raises(garbage):
    assert parse_version(garbage) is None
    assert version_at_least(garbage, '1.0') is None
    assert version_at_least('1.0', garbage) is None
    with pytest.raises(ValueError, match='not a version'):
        compare_versions(garbage, '1.0')


def test_parse_version_value():
    assert parse_version('1.0.9131.0') == ((1, 0, 9131), (1, 0))
    assert parse_version('2.9.0rc2') == ((2, 9), (0, 2))


def test_minimums_from_defaults_parse():
    for minimum in (MIN_LINUX_AGENT_VERSION, MIN_WINDOWS_AGENT_VERSION, MIN_LINUX_EXTENSION_VERSION):
        assert parse_version(minimum) is not None
    # Debian 12's agent meets the Linux minimum; the article's extension floor is below current handlers.
    assert version_at_least('2.7.3.0', MIN_LINUX_AGENT_VERSION) is True
    assert version_at_least('2.2.45', MIN_LINUX_AGENT_VERSION) is False
    assert version_at_least('1.0.9225.0', MIN_LINUX_EXTENSION_VERSION) is True


@pytest.mark.parametrize('text, expected', [
    ('WALinuxAgent-2.7.3.0', '2.7.3.0'),
    ('Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9225.0', '1.0.9225.0'),
    ('2.9.0rc1', '2.9.0'),
    (b'1.0', '1.0'),
    ('none', None),
    (None, None),
])
def test_version_string(text, expected):
    assert version_string(text) == expected
