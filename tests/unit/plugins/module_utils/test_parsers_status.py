# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMSnapshot handler status files: real shapes, then hostile ones."""
from __future__ import absolute_import, division, print_function

import json

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import (
    MAX_INPUT_CHARS, parse_extension_status)

from core_fixtures import fixture_bytes, fixture_text

__metaclass__ = type

NAME = 'Microsoft.Azure.RecoveryServices.VMSnapshotLinux'


def _fields(result):
    return dict((key, result[key]) for key in ('status', 'operation', 'code', 'message', 'timestamp', 'name'))


def test_success_status_file():
    result = parse_extension_status(fixture_bytes('vmsnapshot', 'success.status'))
    assert result['warnings'] == []
    assert _fields(result) == {'status': 'success', 'operation': 'Enable', 'code': 1,
                               'message': 'Enable Succeeded', 'timestamp': '2025-11-20T02:14:07Z',
                               'name': NAME}


def test_error_status_file_carries_code_and_message():
    result = parse_extension_status(fixture_text('vmsnapshot', 'error-no-network.status'))
    assert result['warnings'] == []
    assert result['status'] == 'error'
    assert result['code'] == 76   # FailedRetryableSnapshotFailedNoNetwork
    assert result['message'] == 'T:S Enable failed with FailedRetryableSnapshotFailedNoNetwork errror'
    assert result['timestamp'] == '2025-11-20T02:44:51Z'


def test_transitioning_status_file():
    result = parse_extension_status(fixture_bytes('vmsnapshot', 'transitioning.status'))
    assert (result['status'], result['timestamp'], result['warnings']) == (
        'transitioning', '2025-11-20T02:10:02Z', [])


def test_legacy_string_code():
    result = parse_extension_status(fixture_bytes('vmsnapshot', 'legacy-string-code.status'))
    assert _fields(result) == {'status': 'success', 'operation': 'Enable', 'code': 0,
                               'message': 'Enable Succeeded', 'timestamp': '2017-02-07T10:20:13Z',
                               'name': NAME}
    assert result['warnings'] == []


def test_single_object_instead_of_a_list():
    document = json.loads(fixture_text('vmsnapshot', 'error-no-network.status'))[0]
    result = parse_extension_status(json.dumps(document))
    assert (result['status'], result['code'], result['warnings']) == ('error', 76, [])


def test_several_entries_first_wins_with_a_warning():
    document = json.loads(fixture_text('vmsnapshot', 'success.status'))
    second = json.loads(fixture_text('vmsnapshot', 'error-no-network.status'))
    result = parse_extension_status(json.dumps(document + second))
    assert result['status'] == 'success'
    assert result['warnings'] == ['status file: 2 entries, only the first was read']


def test_status_case_is_normalized():
    text = json.dumps([{'status': {'status': 'Error', 'code': '-5', 'formattedMessage': 'plain text'}}])
    result = parse_extension_status(text)
    assert (result['status'], result['code'], result['message']) == ('error', -5, 'plain text')
    assert result['timestamp'] is None and result['warnings'] == []


def test_truncated_file():
    data = fixture_bytes('vmsnapshot', 'error-no-network.status')[:300]
    result = parse_extension_status(data)
    assert result['status'] is None
    assert len(result['warnings']) == 1 and result['warnings'][0].startswith('status file: not valid JSON (')


@pytest.mark.parametrize('data, warning', [
    ('', 'status file: empty'),
    (b'   \n', 'status file: empty'),
    ('[]', 'status file: empty JSON list'),
    ('"success"', 'status file: expected a JSON object, got a string'),
    ('[42]', 'status file: expected a JSON object, got a number'),
    ('[null]', 'status file: expected a JSON object, got null'),
    ('[{"version": 1.0}]', 'status file: "status" is null, expected an object'),
    ('{"status": "success"}', 'status file: "status" is a string, expected an object'),
    ('{"status": [1]}', 'status file: "status" is a list, expected an object'),
])
def test_wrong_shapes(data, warning):
    result = parse_extension_status(data)
    assert result['status'] is None
    assert result['warnings'] == [warning]


def test_wrong_types_inside_the_status_object():
    text = json.dumps({'timestampUTC': 1700000000, 'status': {
        'name': ['x'], 'operation': None, 'status': True, 'code': {'n': 1},
        'formattedMessage': 12}})
    result = parse_extension_status(text)
    assert _fields(result) == dict.fromkeys(('status', 'operation', 'code', 'message', 'timestamp', 'name'))
    assert result['warnings'] == [
        'status file: "timestampUTC" is a number, expected a string',
        'status file: "name" is a list, expected a string',
        'status file: "status" is a boolean, expected a string',
        'status file: no status value',
        'status file: "code" is an object',
        'status file: "formattedMessage" is a number',
    ]


def test_unknown_status_value():
    result = parse_extension_status('[{"status": {"status": "exploded", "code": true}}]')
    assert result['status'] is None
    assert result['warnings'] == [
        "status file: unknown status 'exploded' (expected one of transitioning, success, error, warning)",
        'status file: "code" is a boolean']


def test_non_numeric_code_is_kept_as_written():
    result = parse_extension_status('[{"status": {"status": "warning", "code": "E_FREEZE"}}]')
    assert (result['status'], result['code'], result['warnings']) == ('warning', 'E_FREEZE', [])


def test_message_object_without_message():
    result = parse_extension_status('[{"status": {"status": "success", "formattedMessage": {"lang": "en-US"}}}]')
    assert result['message'] is None and result['warnings'] == []


def test_non_utf8_status():
    data = b'[{"status": {"status": "error", "formattedMessage": {"message": "\xe9chec"}}}]'
    result = parse_extension_status(data)
    assert result['status'] == 'error'
    assert result['message'] == u'\ufffdchec'
    assert result['warnings'][0].startswith('status file: not valid UTF-8')


def test_binary_status():
    result = parse_extension_status(b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR')
    assert result['status'] is None
    assert any(w.startswith('status file: not valid JSON') for w in result['warnings'])


def test_huge_status_is_capped_and_reported():
    padding = 'x' * (MAX_INPUT_CHARS + 1)
    text = json.dumps([{'status': {'status': 'success', 'formattedMessage': {'message': padding}}}])
    result = parse_extension_status(text)
    assert result['status'] is None
    assert result['warnings'][0] == ('status file: input larger than %d characters, only the start was read'
                                     % MAX_INPUT_CHARS)
    assert result['warnings'][1].startswith('status file: not valid JSON')


@pytest.mark.parametrize('hostile', [None, 0, 1.5, ['[]'], {'status': {}}, object()])
def test_hostile_types(hostile):
    result = parse_extension_status(hostile)
    assert _fields(result) == dict.fromkeys(('status', 'operation', 'code', 'message', 'timestamp', 'name'))
    assert len(result['warnings']) == 1
