# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's rules, one module per cause; importing this package registers them in engine.RULES."""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.rules import (  # noqa: F401
    agent, backup, connectivity, extension, platform, snapshot)

__metaclass__ = type
