# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remove secrets from text before anything leaves a managed host. Pure Python.

What is removed (the value is replaced by REDACTED, the name stays so the reader sees what
was there):
- SAS and other secret URL or connection-string parameters: ``sig=``, ``signature=``,
  ``AccountKey=``, ``SharedAccessKey=``, ``client_secret=``, ``access_token=``, ``password=`` ...,
  also when ``&`` is written ``&amp;`` (the XML files under /var/lib/waagent);
- ``Authorization`` header values and ``Bearer`` tokens;
- the password of ``scheme://user:password@host`` URLs;
- XML elements and JSON string members whose name says password, secret, protected settings,
  private key or token;
- PEM private-key blocks.
"""
from __future__ import absolute_import, division, print_function

import re

__metaclass__ = type

REDACTED = 'REDACTED'

# Parameter names whose value is a secret. `sig` is the SAS signature; the other SAS fields
# (sv, se, sp, sr, skoid...) are not secrets and stay readable for troubleshooting.
_SECRET_PARAMS = (
    'sig', 'signature', 'accountkey', 'sharedaccesskey', 'client_secret', 'clientsecret',
    'access_token', 'refresh_token', 'id_token', 'password', 'passwd', 'pwd', 'api[-_]?key',
    'secret', 'token',
)
_PARAM_RE = re.compile(
    r'(?i)(?<![A-Za-z0-9_.])(?P<name>' + '|'.join(_SECRET_PARAMS) + r')(?P<sep>=)(?P<value>[^&\s"\'<>;,]+)')

# Authorization: <scheme> <credentials>   (header, log line or JSON/XML member)
_AUTH_HEADER_RE = re.compile(
    r'(?i)(?P<name>\bauthorization["\']?\s*[:=]\s*["\']?)'
    r'(?:(?P<scheme>bearer|basic|digest|negotiate|sharedkey|sharedaccesssignature)\s+)?'
    r'(?P<value>[^\s"\',<]+)')
_BEARER_RE = re.compile(r'(?i)(?P<name>\bbearer\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})')
# scheme://user:password@host. Bounded repeats keep long runs like "a.a.a.a..." linear.
_URL_CREDENTIALS_RE = re.compile(
    r'(?i)(?P<prefix>\b[a-z][a-z0-9+.-]{0,31}://[^/\s:@"\'<>]{1,256}:)(?P<value>[^/\s@"\'<>]{1,256})(?=@)')
# The name must END with the secret word: "protectedSettingsCertThumbprint" is a harmless id.
_SECRET_NAME = r'[\w.:-]*(?:password|passwd|secret|protectedsettings|privatekey|token)'
# <Password>...</Password>, <ns:AdminPassword attr="x">...</ns:AdminPassword>
_XML_ELEMENT_RE = re.compile(
    r'(?is)(?P<open><(?P<tag>' + _SECRET_NAME + r')(?:\s[^<>]*)?>)(?P<value>[^<]+)(?P<close></(?P=tag)\s*>)')
# "password": "...", "protectedSettings": "..."
_JSON_MEMBER_RE = re.compile(
    r'(?i)(?P<name>"' + _SECRET_NAME + r'"\s*:\s*")(?P<value>(?:[^"\\]|\\.)+)(?=")')
_PEM_BEGIN_RE = re.compile(r'-----BEGIN (?P<kind>[A-Z0-9 ]{0,40}PRIVATE KEY)-----')


def _keep_name(match):
    """Replacement for patterns with a name group followed by a value group."""
    text = match.group(0)
    start, end = match.span('value')
    offset = match.start(0)
    return text[:start - offset] + REDACTED + text[end - offset:]


def _redact_pem_blocks(text):
    """Replace the body of each PEM private-key block; a block without its END line (a cut-off
    excerpt) is redacted to the end of the text, since what follows BEGIN is key material."""
    parts = []
    count = 0
    position = 0
    while True:
        begin = _PEM_BEGIN_RE.search(text, position)
        if not begin:
            break
        end_line = '-----END %s-----' % begin.group('kind')
        end = text.find(end_line, begin.end())
        body_end = len(text) if end < 0 else end
        body = '\n' + REDACTED + ('' if end < 0 else '\n')
        parts.append(text[position:begin.end()] + body)
        if text[begin.end():body_end] != body:  # already redacted: leave it, do not count it
            count += 1
        position = body_end
        if end < 0:
            break
    parts.append(text[position:])
    return ''.join(parts), count


_RULES = (
    (_XML_ELEMENT_RE, _keep_name),
    (_JSON_MEMBER_RE, _keep_name),
    (_AUTH_HEADER_RE, _keep_name),
    (_BEARER_RE, _keep_name),
    (_URL_CREDENTIALS_RE, _keep_name),
    (_PARAM_RE, _keep_name),
)


def redact(text):
    """Return (redacted text, number of secrets replaced). str in, str out; bytes in, bytes out.

    Bytes are handled as Latin-1 so that any byte sequence round-trips unchanged except for the
    redacted values. Anything that is neither str nor bytes is returned unchanged with a count of 0.
    """
    if isinstance(text, (bytes, bytearray)):
        redacted, count = redact(bytes(text).decode('latin-1'))
        return redacted.encode('latin-1'), count
    if not isinstance(text, str):
        return text, 0
    text, total = _redact_pem_blocks(text)
    for pattern, replacement in _RULES:
        text, count = _subn_unless_redacted(pattern, replacement, text)
        total += count
    return text, total


def _subn_unless_redacted(pattern, replacement, text):
    """Like re.subn, but leaves values that an earlier rule already redacted alone."""
    count = [0]

    def replace(match):
        if match.group('value') == REDACTED:
            return match.group(0)
        count[0] += 1
        return replacement(match)

    return pattern.sub(replace, text), count[0]


def redact_tree(value, redact_text=redact):
    """Redact every string inside ``value`` (dicts, lists, scalars); returns (value, count).

    ``redact_text`` redacts one string (the report passes a cached ``redact``).
    """
    if isinstance(value, (str, bytes)):
        return redact_text(value)
    if isinstance(value, dict):
        total = 0
        result = {}
        for key, item in value.items():
            result[key], count = redact_tree(item, redact_text)
            total += count
        return result, total
    if isinstance(value, (list, tuple)):
        total = 0
        result = []
        for item in value:
            item, count = redact_tree(item, redact_text)
            result.append(item)
            total += count
        return result, total
    return value, 0
