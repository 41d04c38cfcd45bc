# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dotted-version comparison for the version strings the agents and extensions really print.

Rules (one place, tested in test_version.py):
- Leading text up to the first digit is dropped: ``WALinuxAgent-2.7.3.0`` -> 2.7.3.0, ``v1.2``.
- The release is the leading run of dot-separated integers; each is compared as an integer
  (2.10.0 > 2.2.10) and missing components are 0 (1.0 == 1.0.0 == 1.0.0.0).
- What follows the release is a suffix. A pre-release marker (``rc``, ``alpha``, ``a``, ``beta``,
  ``b``, ``dev``, ``pre``, ``preview``, ``~``) sorts BEFORE the plain release: 2.9.0rc1 < 2.9.0.
  Any other suffix is a packaging or build label (``-1``, ``+deb12u1``, ``-ubuntu``, ``.el9``) and
  is ignored: 2.7.3.0-1+deb12u1 == 2.7.3.0, because the upstream version is what the minimums mean.
- Anything without a leading number after the stripped text is unparsable (None); parse_version
  never raises, whatever the input type.
"""
from __future__ import absolute_import, division, print_function

import re

__metaclass__ = type

_VERSION_RE = re.compile(r'^[^0-9]*?(?P<release>[0-9]+(?:\.[0-9]+)*)(?P<suffix>.*)$', re.DOTALL)
# A marker must not run on into more letters: "-amd64" and "+build" are labels, not pre-releases.
_PRE_RELEASE_RE = re.compile(
    r'^[-._+~]?(?:~|rc|alpha|a|beta|b|dev|pre|preview)(?![a-z])[-._]?(?P<num>[0-9]*)', re.IGNORECASE)
# Long enough for any real version; stops a hostile string from costing much.
MAX_VERSION_LENGTH = 200


def parse_version(text):
    """A comparable tuple for ``text``, or None when it holds no version (never raises).

    The tuple is (release components without trailing zeros, pre-release key); the pre-release
    key is (0, n) for a pre-release n and (1, 0) for a final release.
    """
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        return None
    text = str(text).strip()
    if not text or len(text) > MAX_VERSION_LENGTH:
        return None
    match = _VERSION_RE.match(text)
    if not match:
        return None
    release = [int(part) for part in match.group('release').split('.')]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    pre = _PRE_RELEASE_RE.match(match.group('suffix'))
    if pre:
        pre_key = (0, int(pre.group('num') or 0))
    else:
        pre_key = (1, 0)
    return (tuple(release), pre_key)


def compare_versions(a, b):
    """-1, 0 or 1 as ``a`` is older than, equal to or newer than ``b``; ValueError if unparsable."""
    parsed = []
    for text in (a, b):
        value = parse_version(text)
        if value is None:
            raise ValueError('not a version: %r' % (text,))
        parsed.append(value)
    left, right = parsed
    return (left > right) - (left < right)


def version_at_least(version, minimum):
    """True/False as ``version`` >= ``minimum``; None when either cannot be parsed."""
    try:
        return compare_versions(version, minimum) >= 0
    except ValueError:
        return None


def version_string(text):
    """The release part of ``text`` as written (``WALinuxAgent-2.7.3.0`` -> ``2.7.3.0``), or None."""
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    if not isinstance(text, str) or len(text) > MAX_VERSION_LENGTH:
        return None
    match = _VERSION_RE.match(text.strip())
    return match.group('release') if match else None
