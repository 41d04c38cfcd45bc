# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connectivity facts: proxy configuration, route and firewall rules, and the network probes.

Raw observations only. Safety: the Azure platform addresses are probed only on a host that is
Azure by DMI or that the run declares Azure (``assume_azure``); on any other host only the
endpoints the run overrides are probed, so tests never send a packet to a real Azure address.
"""
from __future__ import absolute_import, division, print_function

import ipaddress
import os
import shlex
import time

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults, probes
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.identity import treated_as_azure
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.agent import (
    gather_config, gather_processes)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import (
    OFFLINE_MESSAGE, error, ok, skip)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.options import (
    overridden as option_overridden)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import (
    parse_environment, parse_proxy_url, split_endpoint)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.redact import redact

__metaclass__ = type

PROXY_NAMES = ('https_proxy', 'http_proxy', 'no_proxy')
# `ip route get` answers an unusable route with an error; the kernel's errno says which kind.
ROUTE_ERRORS = (
    ('Permission denied', 'prohibit'),
    ('Invalid argument', 'blackhole'),
    ('No route to host', 'unreachable'),
    ('Network is unreachable', 'unreachable'),
)
ROUTE_TYPES = ('unicast', 'local', 'broadcast', 'multicast', 'unreachable', 'prohibit',
               'blackhole', 'throw', 'nat', 'anycast')
MAX_RULESET_CHARS = 256 * 1024


def resolve_endpoints(options):
    """The endpoints to probe, and which of them the run overrode."""
    https = options.get('https_endpoints')
    endpoints = {
        'wireserver': options.get('wireserver') or defaults.WIRESERVER_ADDRESS,
        'wireserver_ports': list(options.get('wireserver_ports') or defaults.WIRESERVER_PORTS),
        'imds': defaults.IMDS_ADDRESS,
        'imds_port': int(options.get('imds_port') or defaults.IMDS_PORT),
        'https': [{'host': host, 'port': port} for host, port in
                  ([split_endpoint(item, defaults.HTTPS_PORT) for item in https] if https is not None
                   else defaults.DEFAULT_HTTPS_ENDPOINTS)],
    }
    if options.get('imds'):  # 'address' or 'address:port'
        endpoints['imds'], endpoints['imds_port'] = split_endpoint(options['imds'], endpoints['imds_port'])
    # An endpoint counts as overridden only when it differs from Azure's own: Azure's addresses
    # are never probed from a host that is not an Azure VM, even when the run names them.
    overridden = {
        'wireserver': option_overridden(options, 'wireserver'),
        'imds': bool(options.get('imds')) and endpoints['imds'] != defaults.IMDS_ADDRESS,
        'https': option_overridden(options, 'https_endpoints'),
    }
    endpoints['overridden'] = any(overridden.values())
    return endpoints, overridden


# -- proxy -----------------------------------------------------------------------------------------
def _proxy_source(source, key, value):
    parsed = parse_proxy_url(value) if key != 'no_proxy' else None
    return {
        'source': source, 'key': key, 'value': redact(value)[0],
        'host': parsed['host'] if parsed else None,
        'port': parsed['port'] if parsed else None,
        'has_credentials': parsed['has_credentials'] if parsed else False,
    }


def _proxy_variables(pairs):
    """{lower-case name: value} of the proxy variables among (name, value) pairs; lower case wins."""
    found = {}
    for name, value in pairs:
        if name.lower() in PROXY_NAMES and (name.islower() or name.lower() not in found):
            found[name.lower()] = value
    return found


def _process_environment(host, pid):
    data, _size, problem = host.read_bytes(os.path.join(host.proc_root, str(pid), 'environ'),
                                           max_bytes=256 * 1024, real=True)
    if problem or data is None:
        return None, problem or 'process %d exited' % pid
    pairs = [item.split('=', 1) for item in data.decode('utf-8', 'replace').split('\x00') if '=' in item]
    return _proxy_variables(pairs), None


def _unit_environment(host, unit):
    result = host.run(['systemctl', 'show', '-p', 'Environment', unit])
    if not result.ok:
        return None, result.describe()
    value = result.stdout.strip().partition('=')[2]
    try:
        words = shlex.split(value)
    except ValueError as exc:
        return None, 'unit Environment= unparsable: %s' % exc
    return _proxy_variables(word.split('=', 1) for word in words if '=' in word), None


def gather_proxy(host, agent_names, options):
    sources = []
    problems = []
    config = gather_config(host)
    conf_values = config.get('values') or {}
    if config['result'] == 'error':
        problems.append(config['message'])
    conf_host = conf_values.get('HttpProxy.Host')
    conf_port = conf_values.get('HttpProxy.Port')
    if conf_host or conf_port:
        sources.append({'source': 'waagent.conf', 'key': 'HttpProxy.Host/HttpProxy.Port',
                        'value': '%s:%s' % (conf_host, conf_port), 'host': conf_host,
                        'port': int(conf_port) if str(conf_port or '').isdigit() else None,
                        'has_credentials': False})

    process_env = None
    processes = gather_processes(host)
    if processes['result'] == 'ok' and processes['daemon']:
        process_env, problem = _process_environment(host, processes['daemon'][0]['pid'])
        if problem:
            problems.append(problem)
        for key, value in sorted((process_env or {}).items()):
            sources.append(_proxy_source('agent process', key, value))
    unit_env, problem = _unit_environment(host, agent_names['service'] + '.service')
    if problem:
        problems.append(problem)
    for key, value in sorted((unit_env or {}).items()):
        sources.append(_proxy_source('unit environment', key, value))

    text, _size, problem = host.read_text(defaults.ENVIRONMENT_FILE, max_bytes=64 * 1024)
    if problem:
        problems.append(problem)
    elif text is not None:
        for key, value in sorted(parse_environment(text)['values'].items()):
            sources.append(_proxy_source(defaults.ENVIRONMENT_FILE, key, value))

    # What the agent would use for HTTPS: waagent.conf wins over its environment (restutil).
    agent_env = process_env if process_env is not None else (unit_env or {})
    effective = None
    option = options.get('proxy')
    if option is not None:
        sources.append(_proxy_source('option', 'proxy', option))
        parsed = parse_proxy_url(option) if option else None
        if parsed:
            effective = {'host': parsed['host'], 'port': parsed['port'], 'source': 'option'}
    elif conf_host and str(conf_port or '').isdigit():
        effective = {'host': conf_host, 'port': int(conf_port), 'source': 'waagent.conf'}
    elif agent_env.get('https_proxy'):
        parsed = parse_proxy_url(agent_env['https_proxy'])
        if parsed:
            effective = {'host': parsed['host'], 'port': parsed['port'],
                         'source': 'agent process' if process_env is not None else 'unit environment'}
    no_proxy = [item.strip() for item in (agent_env.get('no_proxy') or '').split(',') if item.strip()]
    return ok(sources=sources, effective=effective, no_proxy=no_proxy, probe=None, errors=problems)


# -- route and firewall ----------------------------------------------------------------------------
def parse_route_get(output):
    """{type, dev, via, src} from the first line of `ip route get` output."""
    words = output.split()
    route = {'type': 'unicast', 'dev': None, 'via': None, 'src': None}
    if words and words[0] in ROUTE_TYPES:
        route['type'] = words[0]
    for key in ('dev', 'via', 'src'):
        if key in words and words.index(key) + 1 < len(words):
            route[key] = words[words.index(key) + 1]
    return route


def gather_route(host, destination):
    try:
        ipaddress.ip_address(destination)
    except ValueError:
        return error('%s is not an IP address; `ip route get` needs one' % destination,
                     destination=destination)
    argv = ['ip', 'route', 'get', destination]
    result = host.run(argv)
    if result.ok:
        first = result.stdout.strip().splitlines()[0] if result.stdout.strip() else ''
        return ok(destination=destination, output=first, **parse_route_get(first))
    if result.rc is not None and result.error is None:
        message = (result.stderr or result.stdout).strip()
        for text, kind in ROUTE_ERRORS:
            if text in message:
                return ok(destination=destination, output=message, type=kind, dev=None, via=None,
                          src=None)
    return error(result.describe(), destination=destination)


def _ruleset(host, argv):
    result = host.run(argv)
    if result.not_found:
        return ok(exists=False, command=' '.join(argv), output=None)
    if not result.ok:
        return error(result.describe(), exists=True, command=' '.join(argv))
    return ok(exists=True, command=' '.join(argv), output=result.stdout[:MAX_RULESET_CHARS])


def gather_resolvers(host):
    """The name servers of /etc/resolv.conf (what the DNS probes used)."""
    path = '/etc/resolv.conf'
    text, _size, problem = host.read_text(path, max_bytes=64 * 1024)
    if problem:
        return error(problem, path=path)
    servers = []
    for line in (text or '').splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == 'nameserver':
            servers.append(words[1])
    return ok(path=path, exists=text is not None, nameservers=servers)


def gather_firewall(host):
    return ok(iptables=_ruleset(host, ['iptables-save']),
              nft=_ruleset(host, ['nft', 'list', 'ruleset']))


# -- probes -----------------------------------------------------------------------------------------------
def _tcp(host, port):
    return probes.Probe(lambda deadline, record: probes.tcp_probe(host, port, deadline, record),
                        host=host, port=port)


def _dns(name):
    return probes.Probe(lambda deadline, record: probes.dns_probe(name, deadline, record),
                        name=name, addresses=[])


def _https(host, port, proxy, tls_context):
    return probes.Probe(
        lambda deadline, record: probes.https_probe(host, port, deadline, record, tls_context,
                                                    proxy=proxy),
        host=host, port=port, via='proxy' if proxy else 'direct', stage='tcp', tls_version=None,
        peer_subject=None)


def gather_connectivity(host, platform, options=None, agent_names=None):
    options = options or {}
    if host.offline:
        return skip(OFFLINE_MESSAGE)
    endpoints, overridden = resolve_endpoints(options)
    azure = treated_as_azure(platform, options.get('assume_azure'))
    if not azure and not endpoints['overridden']:
        return skip('not an Azure VM by DMI: platform probes skipped (set assume_azure or '
                    'override the endpoints to probe)', endpoints=endpoints)
    not_azure = 'not an Azure VM by DMI and this endpoint is not overridden'
    names = agent_names or defaults.agent_names(platform.get('distribution'), platform.get('os_family'))
    timeout = float(options.get('probe_timeout') or defaults.PROBE_TIMEOUT_SECONDS)
    proxy = gather_proxy(host, names, options)
    effective = proxy['effective']

    planned = []  # (group, Probe)
    if azure or overridden['wireserver']:
        planned += [('wireserver', _tcp(endpoints['wireserver'], port))
                    for port in endpoints['wireserver_ports']]
    if azure or overridden['imds']:
        planned.append(('imds', _tcp(endpoints['imds'], endpoints['imds_port'])))
    if azure or overridden['https']:
        tls_context = probes.TlsContext(options.get('ca_file'))
        seen = []
        for item in endpoints['https']:
            if item['host'] not in seen:
                seen.append(item['host'])
                planned.append(('dns', _dns(item['host'])))
            via = None
            if effective and not probes.bypasses_proxy(item['host'], proxy['no_proxy']):
                via = (effective['host'], effective['port'])
            planned.append(('https', _https(item['host'], item['port'], via, tls_context)))
    if effective:
        planned.append(('proxy', _tcp(effective['host'], effective['port'])))

    started = time.monotonic()
    records = probes.run_probes([probe for _group, probe in planned], timeout) if planned else []
    elapsed = round(time.monotonic() - started, 3)
    groups = {'wireserver': [], 'imds': [], 'dns': [], 'https': [], 'proxy': []}
    for (group, _probe), record in zip(planned, records):
        groups[group].append(record)
    if effective:
        proxy['probe'] = groups['proxy'][0]

    def group(name, overridable):
        if azure or overridden[overridable]:
            return ok(probes=groups[name])
        return skip(not_azure)

    wireserver_route = gather_route(host, endpoints['wireserver']) if azure or overridden['wireserver'] \
        else skip(not_azure)
    return ok(
        endpoints=endpoints,
        timeout_seconds=timeout,
        elapsed_seconds=elapsed,
        proxy=proxy,
        wireserver=group('wireserver', 'wireserver'),
        imds=group('imds', 'imds'),
        dns=group('dns', 'https'),
        https=group('https', 'https'),
        route=wireserver_route,
        firewall=gather_firewall(host),
        resolvers=gather_resolvers(host),
    )
