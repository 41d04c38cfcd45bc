# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The envelope of every observation in the facts (docs/facts.md): ``result`` ok, skip or error. Pure Python.

The Linux gatherers, the offline Windows reader and the Windows normaliser all build their facts with these.
"""
from __future__ import absolute_import, division, print_function

import time

__metaclass__ = type


def ok(**data):
    """An observation that worked."""
    data['result'] = 'ok'
    return data


def skip(message, **data):
    """An observation that does not apply here; ``message`` says why."""
    data.update(result='skip', message=message)
    return data


def error(message, **data):
    """An observation that could not be made; ``message`` says why."""
    data.update(result='error', message=message)
    return data


def utc_iso(epoch):
    """Seconds since the epoch as ISO 8601 UTC, the facts' time format."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))
