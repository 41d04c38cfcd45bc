# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets never leave a host: SAS signatures, tokens, passwords."""
from __future__ import absolute_import, division, print_function

import json
import time

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.redact import REDACTED, redact

__metaclass__ = type

SIG = 'k3Yq%2BZf9Lw0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345%3D'

# The shape of /var/lib/waagent/ExtensionsConfig.<n>.xml: SAS URLs with & escaped as &amp;.
EXTENSIONS_CONFIG = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<Extensions version="1.0.0.0" goalStateIncarnation="3">\n'
    '  <StatusUploadBlob statusBlobType="BlockBlob">https://md-hdd-x.z1.blob.storage.azure.net/$system/'
    'vm.status?sv=2018-03-28&amp;sr=b&amp;sk=system-1&amp;sig=' + SIG + '&amp;se=9999-01-01T00%3a00%3a00Z'
    '&amp;sp=rw</StatusUploadBlob>\n'
    '  <Plugins><Plugin name="Microsoft.Azure.RecoveryServices.VMSnapshotLinux" version="1.0.9225.0" '
    'location="https://umsa.blob.core.windows.net/x/y_manifest.xml" /></Plugins>\n'
    '  <PluginSettings><Plugin name="Microsoft.Azure.RecoveryServices.VMSnapshotLinux" version="1.0.9225.0">'
    '<RuntimeSettings seqNo="2">{"runtimeSettings":[{"handlerSettings":{"protectedSettingsCertThumbprint":'
    '"1BE9A13AA1321C7C515EF109746998BAB6D86FD1","protectedSettings":"MIIByAYJKoZIhvcNAQcDoIIBuTCCAbUCAQAx",'
    '"publicSettings":{"locale":"en-us","taskId":"7d0c6c52"}}}]}</RuntimeSettings></Plugin></PluginSettings>\n'
    '</Extensions>\n')


def test_extensions_config_xml():
    text, count = redact(EXTENSIONS_CONFIG)
    assert SIG not in text and 'MIIByAYJKoZIhvcNAQcDoIIBuTCCAbUCAQAx' not in text
    assert '&amp;sig=REDACTED&amp;se=9999-01-01T00%3a00%3a00Z' in text   # neighbours intact
    assert '"protectedSettings":"REDACTED"' in text
    assert 'protectedSettingsCertThumbprint":"1BE9A13AA1321C7C515EF109746998BAB6D86FD1"' in text
    assert count == 2
    assert text.count('\n') == EXTENSIONS_CONFIG.count('\n')


@pytest.mark.parametrize('line, secret, kept', [
    ('GET https://a.blob.core.windows.net/c/b?sv=2020-08-04&se=2025-01-01&sr=b&sp=r&sig=' + SIG + ' 200',
     SIG, 'sp=r&sig=REDACTED 200'),
    ('https://a.blob.core.windows.net/c/b?SIG=abcdef', 'abcdef', '?SIG=REDACTED'),
    ('DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0a2V5MTIz==;EndpointSuffix=core.windows.net',
     'c2VjcmV0a2V5MTIz', 'AccountName=acct;AccountKey=REDACTED;EndpointSuffix'),
    ('Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=s3cr3tK3y=',
     's3cr3tK3y', 'SharedAccessKeyName=root;SharedAccessKey=REDACTED'),
    ('POST /token client_id=abc&client_secret=p%40ss&grant_type=client_credentials',
     'p%40ss', 'client_id=abc&client_secret=REDACTED&grant_type'),
    ('https://host/cb#access_token=eyJ0eXAiOiJKV1Qi.eyJzdWIiOiIxMjM0.sig&token_type=bearer',
     'eyJ0eXAiOiJKV1Qi', 'access_token=REDACTED&token_type=bearer'),
    ('Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.eyJhdWQiOiJodHRwczov.SflKxwRJSMeKKF2QT4',
     'eyJ0eXAiOiJKV1Qi', 'Authorization: Bearer REDACTED'),
    ('authorization: Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA', 'authorization: Basic REDACTED'),
    ('"Authorization": "SharedKey myaccount:ctzMq410TV3wS7upTBcunJTDLEJwMAZuFPfr0mrrA08="',
     'ctzMq410TV3wS7upTBcunJTDLEJwMAZuFPfr0mrrA08', '"Authorization": "SharedKey REDACTED"'),
    ('x-ms-client-request-id: 1 token used: Bearer abcdefghijklmnop', 'abcdefghijklmnop', 'Bearer REDACTED'),
    ('HttpProxy via http://backup:Pa55w0rd!@proxy.corp:3128/', 'Pa55w0rd!', 'http://backup:REDACTED@proxy.corp:3128/'),
    ('https_proxy="https://svc:hunter2@10.0.0.5:3128"', 'hunter2', 'https://svc:REDACTED@10.0.0.5:3128'),
    ('<UserName>azureuser</UserName><UserPassword>Sup3r$ecret</UserPassword>', 'Sup3r$ecret',
     '<UserName>azureuser</UserName><UserPassword>REDACTED</UserPassword>'),
    ('<wa:AdminPassword xmlns:wa="x">Sup3r$ecret</wa:AdminPassword>', 'Sup3r$ecret',
     '<wa:AdminPassword xmlns:wa="x">REDACTED</wa:AdminPassword>'),
    ('{"username": "u", "password": "p\\"w"}', 'p\\"w', '{"username": "u", "password": "REDACTED"}'),
    ('{"client_secret":"abc123","clientId":"id"}', 'abc123', '"client_secret":"REDACTED","clientId":"id"'),
    ('mysql --password=Secret123 -u root', 'Secret123', '--password=REDACTED -u root'),
])
def test_secrets_are_replaced_and_context_kept(line, secret, kept):
    text, count = redact(line)
    assert secret not in text
    assert kept in text
    assert count >= 1


def test_pem_private_key_block():
    pem = ('before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234\nabcd\n'
           '-----END RSA PRIVATE KEY-----\nafter')
    text, count = redact(pem)
    assert text == 'before\n-----BEGIN RSA PRIVATE KEY-----\nREDACTED\n-----END RSA PRIVATE KEY-----\nafter'
    assert count == 1


def test_certificates_and_thumbprints_are_not_secrets():
    line = '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE----- thumbprint=1BE9A13A'
    assert redact(line) == (line, 0)


@pytest.mark.parametrize('line', [
    '2025-11-20T02:14:07.123Z INFO ExtHandler [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9225.0] '
    'Target handler state: enabled [incarnation 3]',
    'design=simple&signal=strong&signature_count=3',   # names that only start like a secret
    'Logs.Verbose=n',
    'passwordless login is configured',
    'The token bucket is empty',
    '',
])
def test_harmless_text_is_untouched(line):
    assert redact(line) == (line, 0)


def test_redaction_is_idempotent():
    once, count = redact(EXTENSIONS_CONFIG)
    twice, again = redact(once)
    assert twice == once and again == 0 and count == 2


def test_bytes_round_trip_including_non_utf8():
    data = b'caf\xe9 \xff https://a/b?sig=' + SIG.encode('ascii') + b'&se=1 \x00end'
    text, count = redact(data)
    assert isinstance(text, bytes)
    assert text == b'caf\xe9 \xff https://a/b?sig=REDACTED&se=1 \x00end'
    assert count == 1
    assert redact(bytearray(b'sig=abc'))[0] == b'sig=REDACTED'


@pytest.mark.parametrize('value', [None, 42, ['sig=abc'], {'sig': 'abc'}])
def test_non_text_is_returned_unchanged(value):
    assert redact(value) == (value, 0)


def test_counts_every_secret():
    text = 'sig=a sig=b Authorization: Bearer cccccccccccc <Password>d</Password>'
    redacted, count = redact(text)
    assert count == 4
    assert redacted == 'sig=REDACTED sig=REDACTED Authorization: Bearer REDACTED <Password>REDACTED</Password>'


def test_redacted_json_stays_json():
    document = {'runtimeSettings': [{'handlerSettings': {'protectedSettings': 'MIIB+/==', 'publicSettings': {
        'statusBlobUri': 'https://a.blob.core.windows.net/s?sv=1&sig=' + SIG}}}]}
    text, count = redact(json.dumps(document))
    parsed = json.loads(text)
    settings = parsed['runtimeSettings'][0]['handlerSettings']
    assert settings['protectedSettings'] == REDACTED
    assert settings['publicSettings']['statusBlobUri'] == 'https://a.blob.core.windows.net/s?sv=1&sig=REDACTED'
    assert count == 2


def test_huge_input_is_handled_quickly():
    big = ('x' * 1000 + ' sig=abc ') * 2000
    text, count = redact(big)
    assert count == 2000 and 'sig=abc' not in text


@pytest.mark.parametrize('hostile', ['a.' * 100000, 'a-' * 100000, 'http://a:' * 20000,
                                     '<password ' * 20000, '-----BEGIN PRIVATE KEY-----' * 5000])
def test_pathological_input_stays_linear(hostile):
    start = time.time()
    redact(hostile)
    assert time.time() - start < 2.0


def test_cut_off_private_key_is_redacted_to_the_end():
    excerpt = 'log line\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9u'
    text, count = redact(excerpt)
    assert text == 'log line\n-----BEGIN OPENSSH PRIVATE KEY-----\nREDACTED'
    assert count == 1
    assert redact(text) == (text, 0)


def test_several_pem_blocks_and_idempotence():
    pem = ('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'
           '-----BEGIN EC PRIVATE KEY-----\nBBBB\n-----END EC PRIVATE KEY-----\n')
    text, count = redact(pem)
    assert count == 2 and 'AAAA' not in text and 'BBBB' not in text
    assert text.count('-----END') == 2
    assert redact(text) == (text, 0)
