# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""/etc/environment proxy variables and proxy URLs."""
from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import (
    parse_environment, parse_proxy_url)

__metaclass__ = type

DEBIAN_DEFAULT = ''  # Debian 12 ships /etc/environment empty
PREPARED = ('PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
            '# proxy for the backup extension (prepare article)\n'
            'http_proxy=http://10.0.0.5:3128\n'
            'https_proxy="http://10.0.0.5:3128"\n'
            "no_proxy='168.63.129.16,169.254.169.254,localhost'\n")


def test_debian_default_is_empty_without_warnings():
    assert parse_environment(DEBIAN_DEFAULT) == {'values': {}, 'warnings': []}


def test_proxy_variables_with_quotes():
    result = parse_environment(PREPARED)
    assert result['warnings'] == []
    assert result['values'] == {'http_proxy': 'http://10.0.0.5:3128', 'https_proxy': 'http://10.0.0.5:3128',
                                'no_proxy': '168.63.129.16,169.254.169.254,localhost'}


def test_upper_case_export_and_crlf():
    text = 'export HTTP_PROXY=http://proxy:8080\r\nexport  HTTPS_PROXY = http://proxy:8443\r\nNO_PROXY=\r\n'
    result = parse_environment(text.encode('ascii'))
    assert result['values'] == {'http_proxy': 'http://proxy:8080', 'https_proxy': 'http://proxy:8443',
                                'no_proxy': ''}
    assert result['warnings'] == []


def test_conflicting_spellings_warn_and_last_wins():
    result = parse_environment('http_proxy=http://a:3128\nHTTP_PROXY=http://b:3128\nhttp_proxy=http://b:3128\n')
    assert result['values'] == {'http_proxy': 'http://b:3128'}
    assert result['warnings'] == [
        "environment file line 2: HTTP_PROXY='http://b:3128' overrides http_proxy='http://a:3128' from line 1"]


def test_unrelated_and_garbage_lines_are_ignored():
    text = 'LANG=C.UTF-8\nthis is garbage\n=x\nftp_proxy=http://x\nhttp_proxy_extra=1\n'
    assert parse_environment(text) == {'values': {}, 'warnings': []}


def test_non_utf8_environment():
    result = parse_environment(b'# caf\xe9\nhttps_proxy=http://p:3128\n')
    assert result['values'] == {'https_proxy': 'http://p:3128'}
    assert result['warnings'][0].startswith('environment file: not valid UTF-8')


@pytest.mark.parametrize('hostile', [None, 7, {'http_proxy': 'x'}, ['http_proxy=x']])
def test_hostile_environment(hostile):
    result = parse_environment(hostile)
    assert result['values'] == {} and len(result['warnings']) == 1


@pytest.mark.parametrize('url, expected', [
    ('http://10.0.0.5:3128', {'scheme': 'http', 'host': '10.0.0.5', 'port': 3128, 'has_credentials': False}),
    ('proxy.corp.example:8080', {'scheme': 'http', 'host': 'proxy.corp.example', 'port': 8080,
                                 'has_credentials': False}),
    ('HTTP://Proxy.Corp.Example', {'scheme': 'http', 'host': 'proxy.corp.example', 'port': 80,
                                   'has_credentials': False}),
    ('https://proxy:443/', {'scheme': 'https', 'host': 'proxy', 'port': 443, 'has_credentials': False}),
    ('https://proxy', {'scheme': 'https', 'host': 'proxy', 'port': 443, 'has_credentials': False}),
    ('http://user:s3cret@proxy:3128', {'scheme': 'http', 'host': 'proxy', 'port': 3128,
                                       'has_credentials': True}),
    ('http://user@proxy:3128', {'scheme': 'http', 'host': 'proxy', 'port': 3128, 'has_credentials': True}),
    ('http://[fd00::5]:3128', {'scheme': 'http', 'host': 'fd00::5', 'port': 3128, 'has_credentials': False}),
    ('socks5://127.0.0.1:1080', {'scheme': 'socks5', 'host': '127.0.0.1', 'port': 1080,
                                 'has_credentials': False}),
    (b'http://p:3128', {'scheme': 'http', 'host': 'p', 'port': 3128, 'has_credentials': False}),
])
def test_parse_proxy_url(url, expected):
    assert parse_proxy_url(url) == expected


@pytest.mark.parametrize('url', [None, '', '   ', 3128, 'http://', 'http://proxy:99999', 'http://proxy:port',
                                 'ftp://proxy:21', 'http://pro xy:3128', 'x' * 3000, ['http://p:1']])
def test_parse_proxy_url_garbage(url):
    assert parse_proxy_url(url) is None


def test_credentials_are_never_returned():
    result = parse_proxy_url('http://admin:hunter2@proxy:3128')
    assert 'hunter2' not in repr(result) and 'admin' not in repr(result)
