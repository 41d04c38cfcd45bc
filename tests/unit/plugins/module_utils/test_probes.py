# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network probes against real loopback servers: TCP, TLS with a test CA, an HTTP CONNECT proxy.

Only 127.0.0.1 is ever contacted, and only 'localhost' is resolved (from /etc/hosts); lookups of
other names are replaced so that no DNS query leaves the machine. A "blackholed" endpoint is a listener whose accept queue is full:
the kernel drops further SYNs, so a connect hangs exactly as it does against a DROP rule.
"""
from __future__ import absolute_import, division, print_function

import datetime
import socket
import ssl
import threading
import time

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import probes

crypto = pytest.importorskip('cryptography')
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

__metaclass__ = type

LOOPBACK = '127.0.0.1'


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    """A test CA and a server certificate for 'localhost', as PEM files."""
    directory = tmp_path_factory.mktemp('pki')
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name('probe test CA')).issuer_name(_name('probe test CA'))
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name('localhost')).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName('localhost')]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {'ca': directory / 'ca.pem', 'cert': directory / 'cert.pem', 'key': directory / 'key.pem'}
    paths['ca'].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths['cert'].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths['key'].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return dict((name, str(path)) for name, path in paths.items())


class Server:
    """A loopback listener served by a thread; ``handle(conn)`` runs per connection."""

    def __init__(self, handle=None, backlog=16):
        self.sock = socket.socket()
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.handle = handle
        self.held = []
        if handle is not None:
            thread = threading.Thread(target=self._serve)
            thread.daemon = True
            thread.start()

    def _serve(self):
        while True:
            try:
                conn, _address = self.sock.accept()
            except OSError:
                return
            worker = threading.Thread(target=self._run, args=(conn,))
            worker.daemon = True
            worker.start()

    def _run(self, conn):
        try:
            self.handle(conn)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()
        for sock in self.held:
            sock.close()


@pytest.fixture
def servers():
    started = []

    def start(handle=None, backlog=16):
        server = Server(handle, backlog)
        started.append(server)
        return server
    yield start
    for server in started:
        server.close()


def blackhole(start):
    """A loopback port where connects hang: backlog 0, queue filled, nobody accepts."""
    server = start(handle=None, backlog=0)
    for _index in range(4):
        sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.connect((LOOPBACK, server.port))
        except BlockingIOError:
            pass
        server.held.append(sock)
    time.sleep(0.1)
    return server


def closed_port():
    sock = socket.socket()
    sock.bind((LOOPBACK, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def tls_handler(pki):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki['cert'], pki['key'])

    def handle(conn):
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)
    return handle


def proxy_handler(upstream_port, status=b'200 Connection established'):
    """A minimal HTTP CONNECT proxy that only tunnels to 127.0.0.1:upstream_port."""
    def handle(conn):
        request = b''
        while b'\r\n\r\n' not in request:
            chunk = conn.recv(1024)
            if not chunk:
                return
            request += chunk
        handle.requests.append(request.split(b'\r\n', 1)[0])
        conn.sendall(b'HTTP/1.1 ' + status + b'\r\n\r\n')
        if not status.startswith(b'200'):
            return
        upstream = socket.create_connection((LOOPBACK, upstream_port))
        _pipe(conn, upstream)
    handle.requests = []
    return handle


def _pipe(left, right):
    def copy(source, target):
        try:
            while True:
                data = source.recv(4096)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
    thread = threading.Thread(target=copy, args=(right, left))
    thread.daemon = True
    thread.start()
    copy(left, right)
    thread.join(2)


def tcp(host, port):
    return probes.Probe(lambda deadline, record: probes.tcp_probe(host, port, deadline, record),
                        host=host, port=port)


def https(host, port, proxy=None, ca_file=None):
    tls_context = probes.TlsContext(ca_file)
    return probes.Probe(lambda deadline, record: probes.https_probe(host, port, deadline, record, tls_context,
                                                                    proxy=proxy),
                        host=host, port=port)


# -- TCP ------------------------------------------------------------------------------------------------
def test_tcp_probe_reports_success_and_refusal(servers):
    listening = servers(handle=lambda conn: None)
    ok, refused = probes.run_probes([tcp(LOOPBACK, listening.port), tcp(LOOPBACK, closed_port())], 2)
    assert ok['ok'] is True and ok['error'] is None and ok['timed_out'] is False
    assert refused['ok'] is False and 'refused' in refused['error'].lower()
    assert refused['timed_out'] is False


def test_blackholed_tcp_times_out_within_the_timeout(servers):
    dead = blackhole(servers)
    started = time.monotonic()
    (record,) = probes.run_probes([tcp(LOOPBACK, dead.port)], 0.5)
    assert time.monotonic() - started < 1.5
    assert record['ok'] is False and record['timed_out'] is True


def test_whole_stage_is_bounded_when_everything_hangs(servers, monkeypatch):
    """Ten blackholed connects and a DNS lookup that never returns finish in about one timeout."""
    dead = blackhole(servers)
    real_getaddrinfo = socket.getaddrinfo

    def hanging_getaddrinfo(host, *args, **kwargs):
        if host == 'hangs.invalid':
            time.sleep(30)
            raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
        return real_getaddrinfo(host, *args, **kwargs)
    monkeypatch.setattr(probes.socket, 'getaddrinfo', hanging_getaddrinfo)
    dns = probes.Probe(lambda deadline, record: probes.dns_probe('hangs.invalid', deadline, record),
                       name='hangs.invalid', addresses=[])
    started = time.monotonic()
    records = probes.run_probes([tcp(LOOPBACK, dead.port) for _index in range(10)] + [dns], 0.6)
    elapsed = time.monotonic() - started
    assert elapsed < 0.6 + probes.GRACE_SECONDS + 0.5
    assert all(record['ok'] is False and record['timed_out'] for record in records)
    assert records[-1]['error'] == 'no answer within 0.6 s'
    assert records[-1]['name'] == 'hangs.invalid'


def test_probe_that_raises_anything_is_a_failed_record():
    def broken(deadline, record):
        raise RuntimeError('boom')
    (record,) = probes.run_probes([probes.Probe(broken, host='x')], 1)
    assert record == dict(record, ok=False, error='boom', timed_out=False, host='x')


# -- DNS --------------------------------------------------------------------------------------------------
def test_dns_probe_resolves_and_reports_failures(monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        # Only /etc/hosts names are really resolved: no query may leave the machine.
        if host != 'localhost':
            raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
        return real_getaddrinfo(host, *args, **kwargs)
    monkeypatch.setattr(probes.socket, 'getaddrinfo', getaddrinfo)
    ok, bad = probes.run_probes([
        probes.Probe(lambda d, r: probes.dns_probe('localhost', d, r), name='localhost', addresses=[]),
        probes.Probe(lambda d, r: probes.dns_probe('no-such-name.invalid', d, r),
                     name='no-such-name.invalid', addresses=[]),
    ], 5)
    assert ok['ok'] is True and '127.0.0.1' in ok['addresses']
    assert bad['ok'] is False and bad['error'].startswith('name resolution failed')


# -- HTTPS, direct and through a proxy ------------------------------------------------------------------------
def test_https_probe_verifies_against_the_given_ca(servers, pki):
    server = servers(tls_handler(pki))
    (record,) = probes.run_probes([https('localhost', server.port, ca_file=pki['ca'])], 5)
    assert record['ok'] is True, record
    assert record['stage'] == 'done' and record['via'] == 'direct'
    assert record['tls_version'].startswith('TLS') and record['peer_subject'] == 'localhost'


def test_https_probe_reports_an_untrusted_certificate(servers, pki):
    server = servers(tls_handler(pki))
    (record,) = probes.run_probes([https('localhost', server.port)], 5)  # system store: CA unknown
    assert record['ok'] is False and record['stage'] == 'tls'
    assert record['error'].startswith('TLS certificate verification failed')


def test_https_probes_share_one_tls_context(servers, pki, monkeypatch):
    server = servers(tls_handler(pki))
    made = []
    create = probes.ssl.create_default_context
    monkeypatch.setattr(probes.ssl, 'create_default_context', lambda **kw: made.append(kw) or create(**kw))
    shared = probes.TlsContext(pki['ca'])
    records = probes.run_probes([probes.Probe(lambda deadline, record: probes.https_probe(
        'localhost', server.port, deadline, record, shared)) for _index in range(3)], 5)
    assert [record['ok'] for record in records] == [True, True, True], records
    assert made == [{'cafile': pki['ca']}]


def test_an_unreadable_ca_file_fails_every_https_probe(servers, pki, tmp_path):
    server = servers(tls_handler(pki))
    shared = probes.TlsContext(str(tmp_path / 'missing-ca.pem'))
    records = probes.run_probes([probes.Probe(lambda deadline, record: probes.https_probe(
        'localhost', server.port, deadline, record, shared)) for _index in range(2)], 5)
    assert [(record['ok'], record['stage']) for record in records] == [(False, 'tls'), (False, 'tls')]
    assert all('No such file' in record['error'] for record in records), records


def test_https_probe_tls_hang_stops_at_the_deadline(servers):
    silent = servers(lambda conn: time.sleep(5))  # accepts TCP, never speaks TLS
    started = time.monotonic()
    (record,) = probes.run_probes([https('localhost', silent.port)], 0.5)
    assert time.monotonic() - started < 1.5
    assert record['ok'] is False and record['stage'] == 'tls' and record['timed_out'] is True


def test_https_through_a_connect_proxy(servers, pki):
    server = servers(tls_handler(pki))
    handler = proxy_handler(server.port)
    proxy = servers(handler)
    (record,) = probes.run_probes([https('localhost', server.port, proxy=(LOOPBACK, proxy.port),
                                         ca_file=pki['ca'])], 5)
    assert record['ok'] is True, record
    assert record['via'] == 'proxy'
    assert handler.requests == [('CONNECT localhost:%d HTTP/1.1' % server.port).encode()]


def test_proxy_asking_for_authentication_is_reported(servers):
    proxy = servers(proxy_handler(1, status=b'407 Proxy Authentication Required'))
    (record,) = probes.run_probes([https('localhost', 443, proxy=(LOOPBACK, proxy.port))], 5)
    assert record['ok'] is False and record['stage'] == 'proxy_connect'
    assert '407' in record['error'] and 'authentication' in record['error']


def test_proxy_refusing_the_tunnel_is_reported(servers):
    proxy = servers(proxy_handler(1, status=b'403 Forbidden'))
    (record,) = probes.run_probes([https('localhost', 443, proxy=(LOOPBACK, proxy.port))], 5)
    assert record['ok'] is False and 'refused CONNECT' in record['error'] and '403' in record['error']


def test_proxy_down_fails_at_the_proxy_stage():
    (record,) = probes.run_probes([https('localhost', 443, proxy=(LOOPBACK, closed_port()))], 2)
    assert record['ok'] is False and record['stage'] == 'proxy_connect'


# -- no_proxy ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('host, no_proxy, expected', [
    ('management.azure.com', ['.azure.com'], True),
    ('management.azure.com', ['azure.com'], True),
    ('management.azure.com', ['management.azure.com:443'], True),
    ('notazure.com', ['azure.com'], False),
    ('anything', ['*'], True),
    ('168.63.129.16', ['168.63.129.16'], True),
    ('168.63.129.16', ['168.63.0.0/16'], True),
    ('168.63.129.16', ['169.254.169.254', 'azure.com'], False),
    ('storage.lab.test', [], False),
    ('storage.lab.test', ['', ' '], False),
])
def test_bypasses_proxy(host, no_proxy, expected):
    assert probes.bypasses_proxy(host, no_proxy) is expected


# -- the connectivity section end to end, on loopback stand-ins -------------------------------------------------
def test_connectivity_section_with_every_endpoint_overridden(servers, pki, tmp_path, monkeypatch):
    from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import connectivity
    from linux_fakes import make_host

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in ('localhost', LOOPBACK):
            raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
        return real_getaddrinfo(host, *args, **kwargs)
    monkeypatch.setattr(probes.socket, 'getaddrinfo', getaddrinfo)
    wireserver = servers(lambda conn: None)
    tls = servers(tls_handler(pki))
    proxy_handle = proxy_handler(tls.port)
    proxy = servers(proxy_handle)
    dead = blackhole(servers)
    host = make_host(tmp_path, {'etc/waagent.conf': 'HttpProxy.Host=127.0.0.1\nHttpProxy.Port=%d\n' % proxy.port},
                     commands={'ip': 'local 127.0.0.1 dev lo src 127.0.0.1 uid 0 \n'})
    options = {'wireserver': LOOPBACK, 'wireserver_ports': [wireserver.port, closed_port()],
               'imds': '%s:%d' % (LOOPBACK, dead.port),
               'https_endpoints': ['localhost:%d' % tls.port, 'nosuch.test'],
               'ca_file': pki['ca'], 'probe_timeout': 1}
    started = time.monotonic()
    facts = connectivity.gather_connectivity(host, {'azure_dmi': False}, options)
    assert time.monotonic() - started < 1 + probes.GRACE_SECONDS + 0.5  # one timeout for the whole stage
    assert [probe['ok'] for probe in facts['wireserver']['probes']] == [True, False]
    assert facts['imds']['probes'][0]['timed_out'] is True
    assert [(probe['name'], probe['ok']) for probe in facts['dns']['probes']] == [
        ('localhost', True), ('nosuch.test', False)]
    https_ok, https_bad = facts['https']['probes']
    assert https_ok['ok'] is True and https_ok['via'] == 'proxy'  # HttpProxy.* of waagent.conf, like the agent
    # tunnelled by the proxy (which resolves names itself), then the certificate does not match the name
    assert https_bad['ok'] is False and https_bad['via'] == 'proxy' and https_bad['stage'] == 'tls'
    assert facts['proxy']['effective'] == {'host': LOOPBACK, 'port': proxy.port, 'source': 'waagent.conf'}
    assert facts['proxy']['probe']['ok'] is True
    assert facts['route']['type'] == 'local'
    assert 1 <= facts['elapsed_seconds'] <= 1 + probes.GRACE_SECONDS + 0.2  # the blackholed IMDS waited it out
