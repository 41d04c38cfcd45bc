# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network probes: TCP connect, DNS resolution, HTTPS (TCP + TLS), directly or through an HTTP proxy.

Pure Python, standard library only. Probes run concurrently, each in a daemon thread, and the
whole stage ends at one deadline: a probe still running then (a blackholed address, a DNS
server that never answers) is reported as timed out and its thread is abandoned, so the stage
takes about ``timeout`` seconds however many endpoints are dead.

Each probe returns a plain dict: ``ok`` (bool), ``error`` (text or None), ``seconds``,
``timed_out`` and probe-specific keys. A probe never raises.
"""
from __future__ import absolute_import, division, print_function

import ipaddress
import socket
import ssl
import threading
import time

__metaclass__ = type

USER_AGENT = 'snapshot-doctor-probe'
MAX_PROXY_RESPONSE_BYTES = 16 * 1024
# Threads get this much past the deadline to record their own (more precise) failure.
GRACE_SECONDS = 0.5


def _error_text(exc):
    if isinstance(exc, socket.timeout):
        return 'timed out'
    if isinstance(exc, ssl.SSLCertVerificationError):
        return 'TLS certificate verification failed: %s' % (exc.verify_message or exc)
    if isinstance(exc, socket.gaierror):
        return 'name resolution failed: %s' % (exc.strerror or exc)
    return str(exc) or exc.__class__.__name__


class Deadline:
    """A point in time; ``remaining()`` is the socket timeout for the next step (never below 10 ms)."""

    def __init__(self, seconds, clock=time.monotonic):
        self.clock = clock
        self.start = clock()
        self.end = self.start + seconds

    def remaining(self):
        left = self.end - self.clock()
        if left <= 0:
            raise socket.timeout('timed out')
        return max(left, 0.01)

    def elapsed(self):
        return round(self.clock() - self.start, 3)


def tcp_probe(host, port, deadline, record):
    """TCP connect to host:port. ``record`` is the result dict, filled in as the probe goes."""
    record.update(host=host, port=port)
    sock = socket.create_connection((host, port), timeout=deadline.remaining())
    sock.close()
    record['ok'] = True


def dns_probe(name, deadline, record):
    record.update(name=name, addresses=[])
    deadline.remaining()
    infos = socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM)
    record['addresses'] = sorted(set(info[4][0] for info in infos))
    record['ok'] = bool(record['addresses'])
    if not record['ok']:
        record['error'] = 'no address'


def _proxy_connect(sock, host, port, deadline):
    """Ask an HTTP proxy for a tunnel to host:port (what the agent's httplib set_tunnel does)."""
    target = '%s:%d' % (host, port)
    request = ('CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n\r\n'
               % (target, target, USER_AGENT)).encode('ascii')
    sock.settimeout(deadline.remaining())
    sock.sendall(request)
    response = b''
    while b'\r\n\r\n' not in response:
        sock.settimeout(deadline.remaining())
        chunk = sock.recv(4096)
        if not chunk:
            break
        response += chunk
        if len(response) > MAX_PROXY_RESPONSE_BYTES:
            break
    status_line = response.split(b'\r\n', 1)[0].decode('latin-1').strip()
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith('HTTP/'):
        raise OSError('proxy answered CONNECT with %r, not HTTP' % status_line[:100])
    if parts[1] == '407':
        raise OSError('proxy requires authentication (407): not supported by VM backup')
    if parts[1] != '200':
        raise OSError('proxy refused CONNECT %s: %s' % (target, status_line[:200]))


class TlsContext:
    """One client SSL context shared by the HTTPS probes of a stage, made on first use.

    Loading the CA store costs about 40 ms of CPU on a small VM, once rather than once per probe.
    A failure (an unreadable ca_file) is not kept: every probe reports it.
    """

    def __init__(self, ca_file=None):
        self.ca_file = ca_file
        self._context = None
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._context is None:
                self._context = ssl.create_default_context(cafile=self.ca_file)
            return self._context


def https_probe(host, port, deadline, record, tls_context, proxy=None):
    """TCP (or a CONNECT tunnel through ``proxy`` = (host, port)) then a TLS handshake verified with
    ``tls_context`` (a TlsContext, shared by the probes of a stage)."""
    record.update(host=host, port=port, via='proxy' if proxy else 'direct', stage='tcp',
                  tls_version=None, peer_subject=None)
    if proxy:
        record['stage'] = 'proxy_connect'
        sock = socket.create_connection(proxy, timeout=deadline.remaining())
    else:
        record['stage'] = 'dns'
        address = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0][4]
        record['stage'] = 'tcp'
        sock = socket.create_connection(address[:2], timeout=deadline.remaining())
    try:
        if proxy:
            _proxy_connect(sock, host, port, deadline)
        record['stage'] = 'tls'
        context = tls_context.get()
        sock.settimeout(deadline.remaining())
        with context.wrap_socket(sock, server_hostname=host) as tls:
            record['tls_version'] = tls.version()
            subject = dict(item[0] for item in (tls.getpeercert() or {}).get('subject', ()))
            record['peer_subject'] = subject.get('commonName')
        record['stage'] = 'done'
        record['ok'] = True
    finally:
        sock.close()


class Probe:
    """One probe to run: a function taking (deadline, record) and the initial record."""

    def __init__(self, function, **record):
        self.function = function
        self.record = dict(record, ok=False, error=None, seconds=None, timed_out=False)


def run_probes(probes, timeout, clock=time.monotonic):
    """Run every Probe concurrently; return their records in order, within ``timeout`` (+ grace).

    A probe that has not finished at the deadline is returned ``timed_out`` with the stage it
    had reached; its daemon thread is left behind and can no longer change the returned record.
    """
    deadline = Deadline(timeout, clock=clock)
    records = [dict(probe.record) for probe in probes]
    finished = [False] * len(probes)
    lock = threading.Lock()

    def work(index, probe):
        record = records[index]
        try:
            probe.function(deadline, record)
        except Exception as exc:  # every failure is data, never an exception out of the stage
            record['ok'] = False
            record['error'] = _error_text(exc)
            record['timed_out'] = isinstance(exc, socket.timeout)
        record['seconds'] = deadline.elapsed()
        with lock:
            finished[index] = True

    threads = []
    for index, probe in enumerate(probes):
        thread = threading.Thread(target=work, args=(index, probe), name='probe-%d' % index)
        thread.daemon = True
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(max(0.0, deadline.end + GRACE_SECONDS - clock()))
    results = []
    with lock:
        for index, record in enumerate(records):
            result = dict(record)  # a copy: a late thread keeps writing into its own record only
            if not finished[index]:
                result.update(ok=False, timed_out=True, seconds=round(timeout, 3),
                              error='no answer within %g s' % timeout)
            results.append(result)
    return results


def bypasses_proxy(host, no_proxy):
    """True when ``host`` matches a no_proxy entry (the rules of Python's urllib and curl)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in no_proxy or ():
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == '*':
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = entry.split(':', 1)[0].lstrip('.')
        if host.lower() == name or host.lower().endswith('.' + name):
            return True
    return False
