"""arm_info's own logic: what it refuses to send, and how it words ARM's errors. Its reads run against the fake
Azure Resource Manager in tests/azure (the real azure.azcollection client)."""
import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.modules import arm_info


def request(key='vms', path='/subscriptions/s/providers/Microsoft.Compute/virtualMachines'):
    return {'key': key, 'path': path, 'api_version': '2024-07-01', 'query': {}}


def test_well_formed_requests_pass():
    assert arm_info.request_problems([request(), request('nics', '/providers/Microsoft.Network/operations')], 8, 200) == []


@pytest.mark.parametrize('requests, concurrency, max_pages, message', [
    ([request(), request()], 8, 200, "request key 'vms' is used twice"),
    ([request(path='https://evil.example/subscriptions/s')], 8, 200, 'path must start with /subscriptions/'),
    ([request(path='/subscriptions/s/x?api-version=1')], 8, 200, 'carry no query'),
    ([request(path='/tenants')], 8, 200, 'path must start with'),
    ([request()], 0, 200, 'concurrency must be between 1 and 32'),
    ([request()], 8, 5000, 'max_pages must be between 1 and 1000'),
])
def test_it_refuses_what_could_leak_the_token_or_loop(requests, concurrency, max_pages, message):
    assert any(message in problem for problem in arm_info.request_problems(requests, concurrency, max_pages))


def test_arm_errors_are_code_and_message():
    body = '{"error": {"code": "AuthorizationFailed", "message": "no read access"}}'
    assert arm_info.error_text(403, body) == 'AuthorizationFailed: no read access'
    assert arm_info.error_text(502, '<html>bad gateway</html>') == 'HTTP 502: <html>bad gateway</html>'
    assert arm_info.error_text(500, '') == 'HTTP 500: '
