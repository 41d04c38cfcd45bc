# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
import pytest

from ansible.module_utils import basic
from ansible_collections.azure_backup.snapshot_doctor.plugins.modules import wireserver_route as route
from .remediation_helpers import ModuleExit, run_module

WS = '168.63.129.16'


@pytest.mark.parametrize('rc, output, usable', [
    (0, '168.63.129.16 via 10.0.0.1 dev eth0 src 10.0.0.4 uid 0\n    cache', True),
    (0, 'blackhole 168.63.129.16 uid 0', False),
    (2, 'RTNETLINK answers: No route to host', False),
    (2, 'RTNETLINK answers: Network is unreachable', False),
    (0, 'unreachable 168.63.129.16 uid 0', False),
])
def test_route_is_usable(rc, output, usable):
    assert route.route_is_usable(rc, output) is usable


def test_blocking_routes_cover_the_address_in_any_table():
    output = ('default via 10.0.0.1 dev eth0\n'
              'blackhole 168.63.129.16\n'
              'prohibit 168.63.0.0/16 table 100\n'
              'unreachable 10.9.0.0/16\n'
              'local 10.0.0.4 dev eth0 table local proto kernel scope host src 10.0.0.4\n')
    assert route.blocking_routes(output, WS) == [('blackhole', '168.63.129.16', 'main'),
                                                 ('prohibit', '168.63.0.0/16', '100')]


class FakeIp(object):
    def __init__(self, routes):
        self.routes = list(routes)
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv[1:])
        args = argv[1:]
        if args[:3] == ['-4', 'route', 'get']:
            if any(line.startswith('blackhole ' + WS) for line in self.routes):
                return 2, '', 'RTNETLINK answers: Invalid argument'
            if any(line.startswith(WS) or line.startswith('default') for line in self.routes):
                return 0, WS + ' via 10.0.0.1 dev eth0', ''
            return 2, '', 'RTNETLINK answers: Network is unreachable'
        if args[:4] == ['-4', 'route', 'show', 'table']:
            return 0, '\n'.join(self.routes) + '\n', ''
        if args[:4] == ['-4', 'route', 'show', 'default']:
            return 0, '\n'.join(line for line in self.routes if line.startswith('default')), ''
        if args[:3] == ['-4', 'route', 'del']:
            self.routes.remove('%s %s' % (args[3], args[4]))
            return 0, '', ''
        if args[:3] == ['-4', 'route', 'add']:
            self.routes.append(' '.join(args[3:]))
            return 0, '', ''
        raise AssertionError(argv)


@pytest.fixture
def fake(monkeypatch):
    def install(routes):
        ip = FakeIp(routes)
        monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda self, argv, **kw: ip(argv))
        monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/sbin/' + name)
        return ip
    return install


def test_blackhole_is_removed_and_second_run_is_clean(fake):
    ip = fake(['default via 10.0.0.1 dev eth0', 'blackhole ' + WS])
    result = run_module(route.main, {'address': WS})
    assert result['changed'] is True
    assert result['commands'] == [['ip', '-4', 'route', 'del', 'blackhole', WS, 'table', 'main']]
    assert ip.routes == ['default via 10.0.0.1 dev eth0']
    assert run_module(route.main, {'address': WS})['changed'] is False


def test_host_route_is_added_through_the_given_gateway(fake):
    ip = fake([])
    result = run_module(route.main, {'address': WS, 'gateway': '10.0.0.1', 'interface': 'eth0'})
    assert result['commands'] == [['ip', '-4', 'route', 'add', WS + '/32', 'via', '10.0.0.1', 'dev', 'eth0']]
    assert ip.routes == [WS + '/32 via 10.0.0.1 dev eth0']


def test_no_gateway_known_fails_clearly(fake):
    fake([])
    with pytest.raises(ModuleExit) as info:
        run_module(route.main, {'address': WS})
    assert 'set the gateway' in info.value.result['msg']


def test_check_mode_runs_no_change(fake):
    ip = fake(['default via 10.0.0.1 dev eth0', 'blackhole ' + WS])
    result = run_module(route.main, {'address': WS}, check_mode=True)
    assert result['changed'] is True
    assert not any(call[:3] in (['-4', 'route', 'del'], ['-4', 'route', 'add']) for call in ip.calls)
    assert 'blackhole ' + WS in ip.routes


def test_check_mode_diff_shows_the_commands(fake):
    fake(['default via 10.0.0.1 dev eth0', 'blackhole ' + WS])
    result = run_module(route.main, {'address': WS}, check_mode=True, diff=True)
    assert result['diff']['after'] == 'ip -4 route del blackhole %s table main\n' % WS


def test_applied_change_has_the_same_diff(fake):
    ip = fake(['default via 10.0.0.1 dev eth0', 'blackhole ' + WS])
    result = run_module(route.main, {'address': WS}, diff=True)
    assert result['changed'] is True and 'blackhole ' + WS not in ip.routes
    assert result['diff']['before'].startswith('ip route get %s: ' % WS)
    assert result['diff']['after'] == 'ip -4 route del blackhole %s table main\n' % WS
