# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for the files and command outputs the checks read. Pure Python.

Every parser:
- takes str or bytes (bytes are decoded as UTF-8; invalid bytes become U+FFFD with a warning);
- never raises, whatever it is given (None, a number, a dict...: a warning and an empty result);
- reads at most MAX_INPUT_CHARS characters and warns when it cut the input;
- returns a plain dict with the parsed data and a ``warnings`` list of human-readable strings.
"""
from __future__ import absolute_import, division, print_function

import json
import re

from urllib.parse import urlsplit

__metaclass__ = type

# 1 Mi characters (at most 4 MiB of UTF-8): real waagent.conf files are ~5 KB and status files a
# few KB; anything bigger is not a file we understand, and reading it all only costs host memory.
MAX_INPUT_CHARS = 1024 * 1024
# How many garbage-line warnings to list one by one before summarizing the rest.
MAX_LINE_WARNINGS = 20

EXTENSION_STATUSES = ('transitioning', 'success', 'error', 'warning')
PROXY_VARIABLES = ('http_proxy', 'https_proxy', 'no_proxy')


def _to_text(data, what, warnings):
    """Decode and cap ``data``; None (with a warning) when it is not text at all."""
    if data is None:
        warnings.append('%s: no content' % what)
        return None
    truncated = False
    if isinstance(data, (bytes, bytearray)):
        max_bytes = MAX_INPUT_CHARS * 4  # UTF-8 needs at most 4 bytes per character
        truncated = len(data) > max_bytes
        data = bytes(data[:max_bytes])
        try:
            data = data.decode('utf-8')
        except UnicodeDecodeError as exc:
            warnings.append('%s: not valid UTF-8 (first bad byte at offset %d); '
                            'undecodable bytes replaced' % (what, exc.start))
            data = data.decode('utf-8', 'replace')
    elif not isinstance(data, str):
        warnings.append('%s: expected text, got %s' % (what, type(data).__name__))
        return None
    if truncated or len(data) > MAX_INPUT_CHARS:
        warnings.append('%s: input larger than %d characters, only the start was read'
                        % (what, MAX_INPUT_CHARS))
        data = data[:MAX_INPUT_CHARS]
    if '\x00' in data:
        warnings.append('%s: contains NUL bytes (binary data?)' % what)
    return data


def _lines(text):
    """Numbered lines (1-based), with CR of CRLF endings removed."""
    for number, line in enumerate(text.split('\n'), 1):
        yield number, line.rstrip('\r')


def _line_warning(warnings, counter, message):
    """Add a per-line warning, up to MAX_LINE_WARNINGS of them; count the rest."""
    counter[0] += 1
    if counter[0] <= MAX_LINE_WARNINGS:
        warnings.append(message)


def _flush_line_warnings(warnings, counter, what):
    if counter[0] > MAX_LINE_WARNINGS:
        warnings.append('%s: %d more unreadable lines not listed' % (what, counter[0] - MAX_LINE_WARNINGS))


# --- /etc/waagent.conf ----------------------------------------------------------------------------

def parse_waagent_conf(text):
    """Parse /etc/waagent.conf the way WALinuxAgent's ConfigurationProvider.load() does.

    Like the agent: lines without ``=`` are ignored, the key is the text before the first ``=``,
    the value is cut at the first ``#`` (inline comment), double quotes and spaces around it are
    stripped, and the literal ``None`` means "unset" (stored as None). The last of duplicate keys
    wins. Unlike the agent, a comment line may start with spaces (the agent would store it under
    a key beginning with ``#`` that it never reads, so the effective values are the same), and
    every oddity becomes a warning naming its line.

    Returns {'values': {key: str or None}, 'warnings': [...]}.
    """
    what = 'waagent.conf'
    warnings = []
    values = {}
    text = _to_text(text, what, warnings)
    if text is None:
        return {'values': values, 'warnings': warnings}
    if not text.strip():
        warnings.append('%s: empty (the agent refuses to start with an empty configuration)' % what)
        return {'values': values, 'warnings': warnings}
    first_line = {}
    bad_lines = [0]
    for number, line in _lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        if '=' not in line:
            _line_warning(warnings, bad_lines, '%s line %d: no "=", ignored: %s'
                          % (what, number, _excerpt(stripped)))
            continue
        key, raw_value = line.split('=', 1)
        key = key.strip()
        if not key or any(char.isspace() for char in key):
            _line_warning(warnings, bad_lines, '%s line %d: not a "Key=value" line, ignored: %s'
                          % (what, number, _excerpt(stripped)))
            continue
        value = raw_value.split('#')[0].strip('" ').strip()
        if key in first_line:
            warnings.append('%s line %d: duplicate key %s (first on line %d); the last value wins'
                            % (what, number, key, first_line[key]))
        else:
            first_line[key] = number
        values[key] = None if value == 'None' else value
    _flush_line_warnings(warnings, bad_lines, what)
    return {'values': values, 'warnings': warnings}


def conf_switch(values, key, default):
    """A y/n switch as the agent reads it: 'y'/'n' in any case, else ``default``."""
    value = values.get(key) if isinstance(values, dict) else None
    if isinstance(value, str):
        if value.lower() == 'y':
            return True
        if value.lower() == 'n':
            return False
    return default


def _excerpt(text, limit=80):
    return text if len(text) <= limit else text[:limit] + '...'


# --- waagent -version ------------------------------------------------------------------------------

# Real output: "WALinuxAgent-2.7.3.0 running on debian 12". Microsoft's KB 4049215 prints it typeset
# with spaces and an en dash ("Goal State Agent - 2.2.53.1"), so those separators are tolerated too.
_SEPARATOR = r'\s*[-:\u2013\u2014]\s*'
_DAEMON_LINE_RE = re.compile(
    r'^\s*WALinuxAgent' + _SEPARATOR + r'(?P<version>[0-9][^\s]*)'
    r'(?:\s+running\s+on\s+(?P<distribution>\S+)(?:\s+(?P<distribution_version>\S+))?)?',
    re.IGNORECASE)
_PYTHON_LINE_RE = re.compile(r'^\s*Python' + _SEPARATOR + r'(?P<version>[0-9]\S*)', re.IGNORECASE)
_GOAL_STATE_LINE_RE = re.compile(r'^\s*Goal\s+state\s+agent' + _SEPARATOR + r'(?P<version>[0-9]\S*)',
                                 re.IGNORECASE)


def parse_waagent_version(text):
    """Parse ``waagent -version`` output (three lines).

    ``WALinuxAgent-2.7.3.0 running on debian 12`` / ``Python: 3.11.2`` / ``Goal state agent: 2.7.3.0``.
    Returns daemon_version, distribution, distribution_version, python_version, goal_state_version
    (None where absent) and warnings.
    """
    what = 'waagent -version'
    result = dict.fromkeys(('daemon_version', 'distribution', 'distribution_version',
                            'python_version', 'goal_state_version'))
    warnings = []
    result['warnings'] = warnings
    text = _to_text(text, what, warnings)
    if text is None:
        return result
    for _number, line in _lines(text):
        daemon = _DAEMON_LINE_RE.match(line)
        python = _PYTHON_LINE_RE.match(line)
        goal_state = _GOAL_STATE_LINE_RE.match(line)
        if daemon and result['daemon_version'] is None:
            result['daemon_version'] = daemon.group('version')
            result['distribution'] = daemon.group('distribution')
            result['distribution_version'] = daemon.group('distribution_version')
        elif python and result['python_version'] is None:
            result['python_version'] = python.group('version')
        elif goal_state and result['goal_state_version'] is None:
            result['goal_state_version'] = goal_state.group('version')
    for key, label in (('daemon_version', '"WALinuxAgent-<version> running on ..."'),
                       ('python_version', '"Python: ..."'),
                       ('goal_state_version', '"Goal state agent: ..."')):
        if result[key] is None:
            warnings.append('%s: no %s line' % (what, label))
    return result


# --- waagent -show-configuration ---------------------------------------------------------------------

def parse_show_configuration(text):
    """Parse ``waagent -show-configuration``: ``Key = value`` lines, booleans printed True/False.

    Returns {'values': {key: str, bool or None}, 'warnings': [...]}; 'None' becomes None.
    """
    what = 'waagent -show-configuration'
    warnings = []
    values = {}
    text = _to_text(text, what, warnings)
    if text is None:
        return {'values': values, 'warnings': warnings}
    bad_lines = [0]
    for number, line in _lines(text):
        if not line.strip():
            continue
        key, sep, value = line.partition('=')
        key = key.strip()
        if not sep or not key or any(char.isspace() for char in key):
            _line_warning(warnings, bad_lines, '%s line %d: not a "key = value" line, ignored: %s'
                          % (what, number, _excerpt(line.strip())))
            continue
        value = value.strip()
        values[key] = {'True': True, 'False': False, 'None': None}.get(value, value)
    _flush_line_warnings(warnings, bad_lines, what)
    if not values:
        warnings.append('%s: no settings found' % what)
    return {'values': values, 'warnings': warnings}


# --- VMSnapshot extension .status files ---------------------------------------------------------------

def parse_extension_status(text):
    """Parse a handler ``status/<seq>.status`` file.

    The extension writes a JSON list with one object
    ``{"version", "timestampUTC", "status": {"name", "operation", "status", "code",
    "formattedMessage": {"lang", "message"}, "substatus"}}``; a single object is accepted too.
    Returns status (lower case, None when unknown), operation, code (int when numeric),
    message, timestamp (as written), name, and warnings.
    """
    what = 'status file'
    result = dict.fromkeys(('status', 'operation', 'code', 'message', 'timestamp', 'name'))
    warnings = []
    result['warnings'] = warnings
    text = _to_text(text, what, warnings)
    if text is None:
        return result
    if not text.strip():
        warnings.append('%s: empty' % what)
        return result
    try:
        document = json.loads(text)
    except ValueError as exc:
        warnings.append('%s: not valid JSON (%s)' % (what, exc))
        return result
    if isinstance(document, list):
        if not document:
            warnings.append('%s: empty JSON list' % what)
            return result
        if len(document) > 1:
            warnings.append('%s: %d entries, only the first was read' % (what, len(document)))
        document = document[0]
    if not isinstance(document, dict):
        warnings.append('%s: expected a JSON object, got %s' % (what, _json_type(document)))
        return result
    result['timestamp'] = _string_field(document, 'timestampUTC', what, warnings)
    status = document.get('status')
    if not isinstance(status, dict):
        warnings.append('%s: "status" is %s, expected an object' % (what, _json_type(status)))
        return result
    result['name'] = _string_field(status, 'name', what, warnings)
    result['operation'] = _string_field(status, 'operation', what, warnings)
    state = _string_field(status, 'status', what, warnings)
    if state is not None:
        if state.lower() in EXTENSION_STATUSES:
            result['status'] = state.lower()
        else:
            warnings.append('%s: unknown status %r (expected one of %s)'
                            % (what, state, ', '.join(EXTENSION_STATUSES)))
    else:
        warnings.append('%s: no status value' % what)
    result['code'] = _code_field(status.get('code'), what, warnings)
    message = status.get('formattedMessage')
    if isinstance(message, dict):
        result['message'] = _string_field(message, 'message', what, warnings)
    elif isinstance(message, str):
        result['message'] = message
    elif message is not None:
        warnings.append('%s: "formattedMessage" is %s' % (what, _json_type(message)))
    return result


def _json_type(value):
    return {dict: 'an object', list: 'a list', str: 'a string', bool: 'a boolean',
            type(None): 'null'}.get(type(value), 'a number')


def _string_field(obj, key, what, warnings):
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    warnings.append('%s: "%s" is %s, expected a string' % (what, key, _json_type(value)))
    return None


def _code_field(value, what, warnings):
    """The extension writes the code as a number or a numeric string."""
    if value is None:
        return None
    if isinstance(value, bool):
        warnings.append('%s: "code" is a boolean' % what)
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^-?[0-9]+$', value.strip()):
        return int(value.strip())
    if isinstance(value, str):
        return value
    warnings.append('%s: "code" is %s' % (what, _json_type(value)))
    return None


# --- /etc/environment proxy variables ----------------------------------------------------------------

_ENV_LINE_RE = re.compile(r'^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=(?P<value>.*)$')


def ini_items(text):
    """(section, key, value) of each setting of an INI-style text: systemd units, networkd files,
    NetworkManager keyfiles. Blank lines and ``#``/``;`` comments are skipped; section is None before
    the first ``[Section]``."""
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in '#;':
            continue
        if line.startswith('[') and line.endswith(']'):
            section = line[1:-1]
            continue
        key, _sep, value = line.partition('=')
        yield section, key.strip(), value.strip()


def parse_environment(text):
    """Proxy variables of /etc/environment (pam_env syntax: ``NAME=value``, optional quotes).

    Names match in any case (http_proxy and HTTP_PROXY) and are returned lower case; an
    ``export`` prefix is accepted. Two spellings with different values give a warning (the
    last wins). Returns {'values': {'http_proxy': ..., ...}, 'warnings': [...]}.
    """
    what = 'environment file'
    warnings = []
    values = {}
    text = _to_text(text, what, warnings)
    if text is None:
        return {'values': values, 'warnings': warnings}
    seen = {}
    for number, line in _lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        match = _ENV_LINE_RE.match(line)
        if not match:
            continue  # other syntax belongs to other programs; only proxy names matter here
        name = match.group('name')
        if name.lower() not in PROXY_VARIABLES:
            continue
        value = _unquote(match.group('value').strip())
        key = name.lower()
        if key in values and values[key] != value:
            warnings.append('%s line %d: %s=%r overrides %s=%r from line %d'
                            % (what, number, name, value, seen[key][0], values[key], seen[key][1]))
        values[key] = value
        seen[key] = (name, number)
    return {'values': values, 'warnings': warnings}


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
        return value[1:-1]
    return value


_DEFAULT_PROXY_PORTS = {'http': 80, 'https': 443}


def parse_proxy_url(url):
    """{'scheme', 'host', 'port', 'has_credentials'} for a proxy setting, or None if unusable.

    ``host:port`` without a scheme means http (as curl and Python read it); a missing port is the
    scheme's default (80 for http, 443 for https), as Python's urllib uses it. Credentials are
    only reported as present, never returned.
    """
    if isinstance(url, bytes):
        url = url.decode('utf-8', 'replace')
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or len(url) > 2048 or any(char.isspace() for char in url):
        return None
    if '://' not in url:
        url = 'http://' + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname or scheme not in ('http', 'https', 'socks4', 'socks5', 'socks5h'):
        return None
    if port is None:
        port = _DEFAULT_PROXY_PORTS.get(scheme)
    return {
        'scheme': scheme,
        'host': parts.hostname,
        'port': port,
        'has_credentials': bool(parts.username or parts.password),
    }


def split_endpoint(text, default_port):
    """'host' or 'host:port' or '[v6]:port' -> (host, port); ValueError for nonsense.

    The one host:port parser of the collection (controller and host). Without a port in ``text``
    the port is ``default_port``, which may be None.
    """
    text = str(text).strip()
    if text.startswith('['):
        host, _sep, rest = text[1:].partition(']')
        port = rest.lstrip(':') or default_port
    elif text.count(':') == 1:
        host, port = text.split(':')
    else:
        host, port = text, default_port
    port = None if port is None else int(port)
    if not host or (port is not None and not 0 < port < 65536):
        raise ValueError('not a host[:port]: %r' % text)
    return host, port
