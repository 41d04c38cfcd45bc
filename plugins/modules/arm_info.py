#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: arm_info
short_description: Read several Azure Resource Manager paths in one run (read only)
version_added: 0.1.0
description:
  - Sends a GET for each request to Azure Resource Manager, a few at a time, follows C(nextLink) pages,
    and returns the bodies. M(azure_backup.snapshot_doctor.control_plane_facts) plans these requests (list
    calls per subscription and per vault, instance views only for the VMs of the run) and runs this module.
  - Built on azure.azcollection's own client (the one M(azure.azcollection.azure_rm_resource_info) uses),
    so it authenticates exactly as the azure.azcollection modules do (environment variables, credential
    file, Azure CLI, managed identity). One run instead of one M(azure.azcollection.azure_rm_resource_info)
    run per path saves the Azure SDK's start-up cost for each path.
  - Only paths below C(/subscriptions/) or C(/providers/) are accepted, and a C(nextLink) must stay on the
    Resource Manager endpoint the module authenticated for, so the token never goes elsewhere.
  - Runs where the Azure SDK is installed, normally the controller (with C(delegate_to=localhost)).
options:
  requests:
    description:
      - The GET requests to send.
    type: list
    elements: dict
    required: true
    suboptions:
      key:
        description: Name of the request in RV(responses); unique.
        type: str
        required: true
      path:
        description: The ARM path, starting with C(/subscriptions/) or C(/providers/), without query.
        type: str
        required: true
      api_version:
        description: The C(api-version) query parameter.
        type: str
        required: true
      query:
        description: Further query parameters, for example C($filter) or C(statusOnly).
        type: dict
        default: {}
  concurrency:
    description: How many requests are in flight at once (1 to 32).
    type: int
    default: 8
  max_pages:
    description: The most C(nextLink) pages followed per request (1 to 1000); more is an error of that request.
    type: int
    default: 200
extends_documentation_fragment:
  - azure.azcollection.azure
requirements:
  - azure.azcollection (3.x) and the Azure SDK it requires, where the module runs
attributes:
  check_mode:
    support: full
    description: The module only reads (GET requests); it runs the same in check mode.
  diff_mode:
    support: none
    description: It changes nothing.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
'''

EXAMPLES = r'''
- name: Read the VMs of a subscription and one VM's instance view
  azure_backup.snapshot_doctor.arm_info:
    requests:
      - key: vms
        path: /subscriptions/{{ subscription }}/providers/Microsoft.Compute/virtualMachines
        api_version: '2024-07-01'
      - key: web1
        path: /subscriptions/{{ subscription }}/resourceGroups/web/providers/Microsoft.Compute/virtualMachines/web1/instanceView
        api_version: '2024-07-01'
  delegate_to: localhost
  register: arm
'''

RETURN = r'''
responses:
  description:
    - One entry per request key. C(status) is the HTTP status of the last page; a collection (a body with
      C(value)) gives C(value) with every page's items, a single resource gives C(body); a failure gives C(error),
      ARM's error code and message.
  returned: always
  type: dict
  sample:
    vms: {status: 200, value: [{id: /subscriptions/0000/resourceGroups/web/providers/Microsoft.Compute/virtualMachines/web1}]}
    web1: {status: 404, error: "ResourceNotFound: The Resource was not found."}
request_count:
  description: HTTP requests sent (pages included).
  returned: always
  type: int
  sample: 3
'''

import json
import threading
from concurrent.futures import ThreadPoolExecutor

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported by the control plane
    urlsplit = None

try:
    from ansible_collections.azure.azcollection.plugins.module_utils.azure_rm_common import AzureRMModuleBase
    from ansible_collections.azure.azcollection.plugins.module_utils.azure_rm_common_rest import GenericRestClient
    HAS_AZCOLLECTION = True
except ImportError:
    AzureRMModuleBase = object
    GenericRestClient = None
    HAS_AZCOLLECTION = False

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

REQUEST_SPEC = dict(
    key=dict(type='str', required=True, no_log=False),
    path=dict(type='str', required=True),
    api_version=dict(type='str', required=True),
    query=dict(type='dict', default={}),
)
ARGUMENT_SPEC = dict(
    requests=dict(type='list', elements='dict', required=True, options=REQUEST_SPEC),
    concurrency=dict(type='int', default=8),
    max_pages=dict(type='int', default=200),
)
PATH_PREFIXES = ('/subscriptions/', '/providers/')


def request_problems(requests, concurrency, max_pages):
    """Messages for requests this module refuses to send (empty when all are fine)."""
    problems = []
    if not 1 <= concurrency <= 32:
        problems.append('concurrency must be between 1 and 32, got %d' % concurrency)
    if not 1 <= max_pages <= 1000:
        problems.append('max_pages must be between 1 and 1000, got %d' % max_pages)
    seen = set()
    for request in requests:
        if request['key'] in seen:
            problems.append('request key %r is used twice' % request['key'])
        seen.add(request['key'])
        path = request['path']
        if not path.startswith(PATH_PREFIXES) or '?' in path or '://' in path:
            problems.append('request %r: path must start with %s and carry no query (put it in query): %r'
                            % (request['key'], ' or '.join(PATH_PREFIXES), path))
    return problems


def error_text(status, text):
    """ARM's 'code: message' from an error body, else the start of the body."""
    try:
        error = json.loads(text).get('error') or {}
        if error.get('code') or error.get('message'):
            return '%s: %s' % (error.get('code'), error.get('message'))
    except (ValueError, AttributeError):
        pass
    return 'HTTP %d: %s' % (status, (text or '').strip()[:300])


class ArmReader(AzureRMModuleBase):

    def __init__(self):
        self.results = dict(changed=False, responses={}, request_count=0)
        self._count_lock = threading.Lock()
        super(ArmReader, self).__init__(ARGUMENT_SPEC, supports_check_mode=True, supports_tags=False,
                                        facts_module=True)

    def exec_module(self, **kwargs):
        problems = request_problems(kwargs['requests'], kwargs['concurrency'], kwargs['max_pages'])
        if problems:
            self.fail('Invalid requests: %s' % '; '.join(problems))
        base_url = self._cloud_environment.endpoints.resource_manager
        self._host = urlsplit(base_url).netloc.lower()
        self._max_pages = kwargs['max_pages']
        workers = min(kwargs['concurrency'], max(1, len(kwargs['requests'])))
        # One client per worker: the pipeline's HTTP session is not meant to be shared between threads.
        clients = [self.get_mgmt_svc_client(GenericRestClient, base_url=base_url) for _worker in range(workers)]
        local = threading.local()
        free = list(clients)
        free_lock = threading.Lock()

        def client():
            if not hasattr(local, 'client'):
                with free_lock:
                    local.client = free.pop()
            return local.client

        requests = kwargs['requests']
        # The first request alone: it fetches the token the others then take from the credential's cache
        # (started together, every worker would ask Entra ID for one).
        answers = [self._read(clients[0], requests[0])] if requests else []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            answers += list(pool.map(lambda request: self._read(client(), request), requests[1:]))
        for request, answer in zip(requests, answers):
            self.results['responses'][request['key']] = answer
        return self.results

    def _send(self, client, url, params):
        with self._count_lock:
            self.results['request_count'] += 1
        request = client._client.get(url, params, {'Accept': 'application/json'})
        return client._client.send_request(request)

    def _read(self, client, request):
        params = dict((str(name), str(value)) for name, value in (request['query'] or {}).items())
        params['api-version'] = request['api_version']
        url, items, pages = request['path'], None, 0
        while True:
            try:
                response = self._send(client, url, params)
            except Exception as exc:  # the network or the SDK: this request only
                return dict(status=None, error='%s: %s' % (exc.__class__.__name__, exc))
            pages += 1
            text = response.text()
            if response.status_code != 200:
                return dict(status=response.status_code, error=error_text(response.status_code, text))
            try:
                body = json.loads(text)
            except ValueError:
                return dict(status=response.status_code, error='the answer is not JSON: %s' % text[:200])
            if not isinstance(body, dict) or 'value' not in body:
                return dict(status=200, body=body)
            items = (items or []) + list(body.get('value') or [])
            next_link = body.get('nextLink')
            if not next_link:
                return dict(status=200, value=items)
            if urlsplit(next_link).netloc.lower() != self._host:
                return dict(status=200, value=items,
                            error='nextLink leaves %s (%s): not followed' % (self._host, urlsplit(next_link).netloc))
            if pages >= self._max_pages:
                return dict(status=200, value=items, error='more than %d pages: stopped' % self._max_pages)
            # nextLink carries its own query (api-version, skip token).
            url, params = next_link, {}


def main():
    if not HAS_AZCOLLECTION:
        module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
        module.fail_json(msg=missing_required_lib('azure.azcollection (the collection, where this module runs)'))
    ArmReader()


if __name__ == '__main__':
    main()
