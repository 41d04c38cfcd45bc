# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every diagnosis option, declared once: name, type, default, bounds and where it is used.

Pure Python. The ``diagnose`` action's argument spec, the fact modules' argument specs and both
validations are derived from this table; unit tests check the documentation (the action's, the
fact modules' doc fragment) and the ``diagnose`` role's defaults and argument specs against it.

``where`` says who reads the option: ``host`` (the fact module on the host), ``controller`` (the
evaluator on the controller) or both.
"""
from __future__ import absolute_import, division, print_function

import collections
import ipaddress

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import CAUSES
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import (
    parse_proxy_url, split_endpoint)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.version import parse_version

__metaclass__ = type

HOST = ('host',)
CONTROLLER = ('controller',)
BOTH = ('host', 'controller')
# The fact modules' option groups (their doc fragments): which module takes which option.
GROUPS = ('common', 'agent', 'connectivity', 'load', 'evaluate', 'action')
# Bounds of counts (samples, KiB): large enough for any real use, small enough to stay bounded.
MAX_COUNT = 10000


class Option(collections.namedtuple('Option', 'name type default elements choices where group check')):
    """One option; ``check(value)`` returns a message for a bad value, None for a good one."""
    __slots__ = ()


def _positive(name, value):
    if not value > 0:
        return '%s must be greater than 0, got %s' % (name, value)
    return None


def _not_negative(name, value):
    if value < 0:
        return '%s must not be negative, got %s' % (name, value)
    return None


def _count(name, value):
    if value < 1:
        return '%s must be at least 1, got %s' % (name, value)
    if value > MAX_COUNT:
        return '%s must be at most %d, got %s' % (name, MAX_COUNT, value)
    return None


def _percent(name, value):
    if not 0 < value <= 100:
        return '%s must be within (0, 100], got %s' % (name, value)
    return None


def _version(name, value):
    if parse_version(value) is None:
        return '%s is not a dotted version: %r' % (name, value)
    return None


def _ports(name, value):
    for port in value:
        if not isinstance(port, int) or not 0 < port < 65536:
            return '%s holds %s, not a TCP port' % (name, port)
    return None


def _ip_address(name, value):
    if ':' in value and value.count(':') == 1:
        return '%s is an address without a port (set wireserver_ports), got %r' % (name, value)
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return '%s must be an IP address, got %r' % (name, value)
    return None


def _ip_endpoint(name, value):
    try:
        host, _port = split_endpoint(value, defaults.IMDS_PORT)
        ipaddress.ip_address(host)
    except (ValueError, TypeError):
        return '%s: expected an IP address, optionally with :port, got %r' % (name, value)
    return None


def _endpoints(name, value):
    for item in value:
        try:
            split_endpoint(item, defaults.HTTPS_PORT)
        except (ValueError, TypeError):
            return '%s: %r is not host or host:port' % (name, item)
    return None


def _proxy(name, value):
    if value and parse_proxy_url(value) is None:
        return '%s must be http://host:port, got %r' % (name, value)
    return None


def _causes(name, value):
    if not value:
        return '%s must name at least one of %s' % (name, ', '.join(CAUSES))
    return None


OPTIONS = (
    Option('causes', 'list', list(CAUSES), 'str', list(CAUSES), CONTROLLER, 'action', _causes),
    Option('root', 'path', '/', None, None, HOST, 'common', None),
    Option('command_timeout', 'float', defaults.COMMAND_TIMEOUT_SECONDS, None, None, HOST, 'common', _positive),
    Option('log_tail_kib', 'int', defaults.LOG_TAIL_KIB, None, None, HOST, 'agent', _count),
    Option('assume_azure', 'bool', False, None, None, BOTH, 'connectivity', None),
    Option('wireserver', 'str', defaults.WIRESERVER_ADDRESS, None, None, HOST, 'connectivity', _ip_address),
    Option('wireserver_ports', 'list', list(defaults.WIRESERVER_PORTS), 'int', None, HOST, 'connectivity',
           _ports),
    # 'address' or 'address:port'; without a port, port 80 (defaults.IMDS_PORT).
    Option('imds', 'str', defaults.IMDS_ADDRESS, None, None, HOST, 'connectivity', _ip_endpoint),
    Option('https_endpoints', 'list', ['%s:%d' % item for item in defaults.DEFAULT_HTTPS_ENDPOINTS], 'str',
           None, HOST, 'connectivity', _endpoints),
    # None: what the host configures; '': no proxy.
    Option('proxy', 'str', None, None, None, HOST, 'connectivity', _proxy),
    # None: the host's system CA store.
    Option('ca_file', 'path', None, None, None, HOST, 'connectivity', None),
    Option('probe_timeout', 'float', defaults.PROBE_TIMEOUT_SECONDS, None, None, HOST, 'connectivity',
           _positive),
    Option('load_samples', 'int', defaults.LOAD_SAMPLES, None, None, HOST, 'load', _count),
    Option('load_interval', 'float', defaults.LOAD_SAMPLE_INTERVAL_SECONDS, None, None, HOST, 'load',
           _not_negative),
    Option('load_threshold_percent', 'float', float(defaults.LOAD_THRESHOLD_PERCENT), None, None, CONTROLLER,
           'evaluate', _percent),
    Option('min_agent_version', 'str', defaults.MIN_LINUX_AGENT_VERSION, None, None, CONTROLLER, 'evaluate',
           _version),
    Option('min_extension_version', 'str', defaults.MIN_LINUX_EXTENSION_VERSION, None, None, CONTROLLER,
           'evaluate', _version),
    Option('transitioning_minutes', 'float', float(defaults.STALE_TRANSITIONING_MINUTES), None, None,
           CONTROLLER, 'evaluate', _positive),
    Option('return_facts', 'bool', False, None, None, CONTROLLER, 'action', None),
)
BY_NAME = dict((option.name, option) for option in OPTIONS)


def select(where=None, groups=None):
    """The options read at ``where`` ('host' or 'controller'), or of ``groups``; all by default."""
    return tuple(option for option in OPTIONS
                 if (where is None or where in option.where) and (groups is None or option.group in groups))


def argument_spec(options):
    """An Ansible argument spec for ``options``, with their real defaults."""
    spec = {}
    for option in options:
        rules = {'type': option.type}
        if option.default is not None:
            rules['default'] = list(option.default) if isinstance(option.default, list) else option.default
        if option.elements:
            rules['elements'] = option.elements
        if option.choices:
            rules['choices'] = list(option.choices)
        spec[option.name] = rules
    return spec


def defaults_of(options):
    """{name: default} for ``options`` (copies, so callers may change them)."""
    return dict((option.name, list(option.default) if isinstance(option.default, list) else option.default)
                for option in options)


def problems(values):
    """Messages for the values of known options that their bounds reject; None values are not checked."""
    messages = []
    for name, value in values.items():
        option = BY_NAME.get(name)
        if option is None or option.check is None or value is None:
            continue
        message = option.check(name, value)
        if message:
            messages.append(message)
    return messages


def overridden(values, name):
    """True when the run sets ``name`` to something else than its default (an endpoint override)."""
    value = values.get(name)
    return value is not None and value not in ('', []) and value != BY_NAME[name].default
