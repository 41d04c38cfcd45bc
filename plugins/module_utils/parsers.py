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


# --- netplan and cloud-init network YAML ------------------------------------------------------------

_YAML_BOOLEANS = {'true': True, 'yes': True, 'on': True, 'false': False, 'no': False, 'off': False}
_YAML_INT_RE = re.compile(r'^[-+]?(0|[1-9][0-9]*)$')
_YAML_FLOAT_RE = re.compile(r'^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+][0-9]+)?$')
_YAML_ESCAPES = {'0': '\0', 'a': '\a', 'b': '\b', 't': '\t', '\t': '\t', 'n': '\n', 'v': '\v', 'f': '\f',
                 'r': '\r', 'e': '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\'}
_YAML_HEX_ESCAPES = {'x': 2, 'u': 4, 'U': 8}
_YAML_UNSUPPORTED = '&*!|>%@`?'


class _YamlError(ValueError):
    def __init__(self, number, message):
        super().__init__('line %d: %s' % (number, message))


def parse_netplan_yaml(text):
    """Parse a netplan (or cloud-init network) YAML file, without PyYAML.

    The subset those files are written in: block mappings and sequences (a sequence may sit at its
    key's indentation, as PyYAML writes it), flow ``[a, b]`` and ``{k: v}`` collections (over several
    lines too), plain, 'single' and "double" quoted scalars, ``#`` comments, one optional ``---``.
    Plain scalars are typed as YAML 1.1 does for what netplan uses: null (``~``, ``null``, empty),
    booleans (true/false, yes/no, on/off in any case), decimal integers and floats; the rest
    (addresses, MAC addresses, names) is text. Keys are always text. Anchors, tags, block scalars
    and multi-line plain scalars are refused, not guessed.

    Returns {'document': the data (None when empty or unreadable), 'warnings': [...]}; when the text
    cannot be read, document is None and a warning names the line.
    """
    warnings = []
    text = _to_text(text, 'YAML', warnings)
    if text is None:
        return {'document': None, 'warnings': warnings}
    try:
        lines = _yaml_lines(text)
        parser = _YamlBlocks(lines)
        document = parser.node(lines[0][1]) if lines else None
        if parser.index < len(lines):
            raise _YamlError(lines[parser.index][0], 'expected "- item"' if isinstance(document, list)
                             else 'more text after the document')
    except _YamlError as exc:
        warnings.append('YAML %s' % exc)
        document = None
    except RecursionError:
        warnings.append('YAML: nested too deeply')
        document = None
    return {'document': document, 'warnings': warnings}


def _yaml_lines(text):
    """(line number, indentation, content) of each line holding something: comments removed, a
    flow collection open at the end of a line joined with the lines that close it."""
    lines = []
    pending = None  # [number, indent, content, open brackets] of a flow collection still open
    for number, raw in _lines(text):
        body = raw.lstrip(' ')
        indent = len(raw) - len(body)
        content, depth = _yaml_strip_comment(body, number, pending[3] if pending else 0)
        if pending is not None:
            pending[2] += '\n' + content  # a line break ends a plain scalar (no multi-line ones)
            pending[3] += depth
            if pending[3] <= 0:
                lines.append(tuple(pending[:3]))
                pending = None
            continue
        if not content:
            continue
        if body.startswith('\t'):
            raise _YamlError(number, 'a tab in the indentation')
        if indent == 0 and (content.startswith('---') or content.startswith('...') or content.startswith('%')):
            if content == '---' and not lines:
                continue
            raise _YamlError(number, 'only one YAML document is supported')
        if depth > 0:
            pending = [number, indent, content, depth]
        else:
            lines.append((number, indent, content))
    if pending is not None:
        raise _YamlError(pending[0], '"%s" is not closed' % ('[' if '[' in pending[2] else '{'))
    return lines


def _yaml_strip_comment(body, number, depth=0):
    """``body`` without its comment, and how many flow brackets it leaves open.

    ``depth`` is how many were open before this line. Quotes and brackets count only where a value
    starts: inside plain text (``it's``, ``en[0-9]``) they are just characters, as in YAML.
    """
    quote = None
    opened = 0
    index = 0
    while index < len(body):
        char = body[index]
        if quote == '"' and char == '\\':
            index += 1
        elif quote == "'" and char == "'" and body[index + 1:index + 2] == "'":
            index += 1
        elif char == quote:
            quote = None
        elif quote is None:
            in_flow = depth + opened > 0
            if char == '#' and (index == 0 or body[index - 1] in ' \t' or (in_flow and body[index - 1] in ',[]{}')):
                return body[:index].rstrip(), opened
            if char in '\'"' and _yaml_value_starts(body, index, in_flow):
                quote = char
            elif char in '[{' and (in_flow or _yaml_value_starts(body, index, in_flow)):
                opened += 1
            elif char in ']}' and in_flow:
                opened -= 1
        index += 1
    if quote is not None:
        raise _YamlError(number, 'unterminated quoted text (multi-line scalars are not supported)')
    return body.rstrip(), opened


def _yaml_value_starts(body, index, in_flow):
    """Whether a value may start at ``index``: at the start of the line, after "key: " or "- ",
    and in a flow collection after "[", "{" or ","."""
    before = body[:index].rstrip(' \t')
    if not before or (in_flow and before[-1] in '[{,'):
        return True
    if before.endswith(':') or before == '-' or before.endswith((' -', '\t-')):
        return index > len(before)  # a space between the indicator and the value
    return False


class _YamlBlocks:
    """Recursive descent over the block structure of ``_yaml_lines``."""

    def __init__(self, lines):
        self.lines = lines
        self.index = 0

    def node(self, indent):
        """The node whose first line is the current one, which is indented by ``indent``."""
        number, _indent, content = self.lines[self.index]
        if _yaml_is_item(content):
            return self.sequence(indent)
        if _yaml_split_key(content, number) is not None:
            return self.mapping(indent)
        self.index += 1
        return _yaml_inline(content, number)

    def nested(self, indent, sequence_may_align):
        """The value on the lines after a key or a bare "-": more indented, or a sequence at the key's
        own indentation; None when there is none."""
        if self.index < len(self.lines):
            _number, line_indent, content = self.lines[self.index]
            if line_indent > indent or (sequence_may_align and line_indent == indent and _yaml_is_item(content)):
                return self.node(line_indent)
        return None

    def mapping(self, indent):
        result = {}
        while self.index < len(self.lines):
            number, line_indent, content = self.lines[self.index]
            if line_indent < indent:
                break
            if line_indent > indent:
                raise _YamlError(number, 'unexpected indentation (multi-line plain scalars are not supported)')
            split = None if _yaml_is_item(content) else _yaml_split_key(content, number)
            if split is None:
                raise _YamlError(number, 'expected "key: value"')
            key, rest = split
            self.index += 1
            result[key] = _yaml_inline(rest, number) if rest else self.nested(indent, True)
        return result

    def sequence(self, indent):
        result = []
        while self.index < len(self.lines):
            number, line_indent, content = self.lines[self.index]
            if line_indent > indent:
                raise _YamlError(number, 'unexpected indentation (multi-line plain scalars are not supported)')
            if line_indent < indent or not _yaml_is_item(content):
                break
            rest = content[1:].lstrip(' ')
            if not rest:
                self.index += 1
                result.append(self.nested(indent, False))
                continue
            # "- key: value" starts a mapping whose other keys line up with "key": the item's text
            # becomes a line of its own, indented to its column.
            column = indent + len(content) - len(rest)
            self.lines[self.index] = (number, column, rest)
            result.append(self.node(column))
        return result


def _yaml_is_item(content):
    return content == '-' or content.startswith('- ')


def _yaml_split_key(content, number):
    """(key, rest of the line) when ``content`` is "key: value" or "key:", else None."""
    if content[0] in '\'"':
        key, end = _yaml_quoted(content, 0, number)
        after = content[end:].lstrip(' ')
        if after == ':' or after.startswith(': '):
            return key, after[1:].strip()
        return None
    if content[0] in '[{':
        return None
    _yaml_check_plain_start(content, number)
    for index, char in enumerate(content):
        if char == ':' and content[index + 1:index + 2] in ('', ' '):
            key = content[:index].rstrip()
            return (key, content[index + 1:].strip()) if key else None
    return None


def _yaml_inline(text, number):
    """A value written on one (logical) line: a flow collection, a quoted or a plain scalar."""
    if text[0] in '[{\'"':
        value, end = _yaml_flow(text, 0, number)
        if text[end:].strip():
            raise _YamlError(number, 'text after "%s"' % text[end - 1])
        return value
    _yaml_check_plain_start(text, number)
    if _yaml_is_item(text):
        raise _YamlError(number, 'a "- item" cannot follow "key:" on the same line')
    if ': ' in text or text.endswith(':'):
        raise _YamlError(number, 'a plain value cannot hold ": "')
    return _yaml_plain(text)


def _yaml_check_plain_start(text, number):
    if text[0] in _YAML_UNSUPPORTED:
        raise _YamlError(number, 'anchors, aliases, tags and block scalars are not supported')
    if text[0] in ',]}':
        raise _YamlError(number, 'unexpected "%s"' % text[0])


def _yaml_plain(text):
    if text in ('', '~') or text.lower() == 'null':
        return None
    if text.lower() in _YAML_BOOLEANS:
        return _YAML_BOOLEANS[text.lower()]
    if _YAML_INT_RE.match(text):
        return int(text)
    if _YAML_FLOAT_RE.match(text):
        return float(text)
    return text


def _yaml_skip_spaces(text, index):
    while index < len(text) and text[index] in ' \t\n':
        index += 1
    return index


def _yaml_flow(text, index, number):
    """(value, index after it) of the flow node at ``index``: [...], {...}, a quoted or plain scalar."""
    index = _yaml_skip_spaces(text, index)
    if index >= len(text):
        raise _YamlError(number, 'a value is missing in a flow collection')
    char = text[index]
    if char in '\'"':
        return _yaml_quoted(text, index, number)
    if char not in '[{':
        if char in _YAML_UNSUPPORTED:
            raise _YamlError(number, 'anchors, aliases, tags and block scalars are not supported')
        if char == '-' and text[index + 1:index + 2] in ('', ' ', ',', ']', '}'):
            raise _YamlError(number, 'a "- item" inside a flow collection')
        end = index
        while end < len(text) and text[end] not in ',[]{}\n' and not (
                text[end] == ':' and text[end + 1:end + 2] in ('', ' ', '\n', ',', ']', '}')):
            end += 1
        if end == index:
            raise _YamlError(number, 'a value is missing in a flow collection')
        return _yaml_plain(text[index:end].strip()), end
    closing = ']' if char == '[' else '}'
    result = [] if char == '[' else {}
    index += 1
    while True:
        index = _yaml_skip_spaces(text, index)
        if index < len(text) and text[index] == closing:
            return result, index + 1
        if char == '[':
            value, index = _yaml_flow(text, index, number)
            result.append(value)
        else:
            key, index = _yaml_flow_key(text, index, number)
            index = _yaml_skip_spaces(text, index + 1)
            if index < len(text) and text[index] in ',}':
                result[key] = None
            else:
                result[key], index = _yaml_flow(text, index, number)
        index = _yaml_skip_spaces(text, index)
        if index < len(text) and text[index] == ',':
            index += 1
        elif index >= len(text) or text[index] != closing:
            raise _YamlError(number, 'expected "," or "%s" in a flow collection' % closing)


def _yaml_flow_key(text, index, number):
    """(key text, index of its ":") of the flow mapping entry at ``index``."""
    if text[index] in '\'"':
        key, end = _yaml_quoted(text, index, number)
        end = _yaml_skip_spaces(text, end)
    else:
        end = index
        while end < len(text) and text[end] not in ',[]{}\n' and not (
                text[end] == ':' and text[end + 1:end + 2] in ('', ' ', '\n', ',', '}')):
            end += 1
        key = text[index:end].strip()
    if end >= len(text) or text[end] != ':' or not key:
        raise _YamlError(number, 'expected "key: value" in "{...}"')
    return key, end


def _yaml_quoted(text, index, number):
    """(text, index after the closing quote) of the quoted scalar at ``index``."""
    quote = text[index]
    out = []
    index += 1
    while index < len(text):
        char = text[index]
        if char == quote:
            if quote == "'" and text[index + 1:index + 2] == "'":
                out.append("'")
                index += 2
                continue
            return ''.join(out), index + 1
        if quote == '"' and char == '\\':
            escape = text[index + 1:index + 2]
            if escape in _YAML_ESCAPES:
                out.append(_YAML_ESCAPES[escape])
                index += 2
                continue
            digits = text[index + 2:index + 2 + _YAML_HEX_ESCAPES.get(escape, 0)]
            if escape not in _YAML_HEX_ESCAPES or not re.match(r'^[0-9a-fA-F]+$', digits) or \
                    len(digits) != _YAML_HEX_ESCAPES[escape]:
                raise _YamlError(number, 'unknown escape \\%s' % escape)
            out.append(chr(int(digits, 16)))
            index += 2 + len(digits)
            continue
        out.append(char)
        index += 1
    raise _YamlError(number, 'unterminated quoted text (multi-line scalars are not supported)')
