# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.modules import environment_proxy
from .remediation_helpers import ModuleExit, run_module

NO_PROXY = ['168.63.129.16', '169.254.169.254']


def run(path, **args):
    check_mode = args.pop('check_mode', False)
    args['path'] = str(path)
    return run_module(environment_proxy.main, args, check_mode=check_mode, diff=True)


def test_sets_proxy_and_no_proxy_keeping_other_lines(tmp_path):
    path = tmp_path / 'environment'
    path.write_text('PATH="/usr/local/sbin:/usr/bin"\nLANG=C.UTF-8\n')
    result = run(path, proxy='http://10.0.0.5:3128', no_proxy=NO_PROXY)
    assert result['changed'] is True
    assert path.read_text() == ('PATH="/usr/local/sbin:/usr/bin"\nLANG=C.UTF-8\n'
                                'http_proxy=http://10.0.0.5:3128\nhttps_proxy=http://10.0.0.5:3128\n'
                                'no_proxy=168.63.129.16,169.254.169.254\n')
    assert result['proxy'] == {'scheme': 'http', 'host': '10.0.0.5', 'port': 3128}
    assert result['variables']['no_proxy'] == '168.63.129.16,169.254.169.254'
    assert run(path, proxy='http://10.0.0.5:3128', no_proxy=NO_PROXY)['changed'] is False


def test_replaces_every_spelling_in_place_and_merges_no_proxy(tmp_path):
    path = tmp_path / 'environment'
    path.write_text('A=1\nexport HTTP_PROXY="http://old:8080"\nhttps_proxy=http://old:8080\n'
                    'NO_PROXY=localhost,168.63.129.16\nB=2\n')
    run(path, proxy='proxy.lab.test:3128', no_proxy=NO_PROXY)
    assert path.read_text() == ('A=1\nhttp_proxy=http://proxy.lab.test:3128\nhttps_proxy=http://proxy.lab.test:3128\n'
                                'no_proxy=localhost,168.63.129.16,169.254.169.254\nB=2\n')


def test_absent_removes_proxy_variables_only(tmp_path):
    path = tmp_path / 'environment'
    path.write_text('http_proxy=http://p:1\nHTTPS_PROXY=http://p:1\nno_proxy=localhost\nLANG=C\n')
    result = run(path, state='absent')
    assert path.read_text() == 'no_proxy=localhost\nLANG=C\n'
    assert result['variables'] == {'no_proxy': 'localhost'}
    assert run(path, state='absent')['changed'] is False


@pytest.mark.parametrize('url, message', [
    ('http://user:secret@10.0.0.5:3128', 'does not support authenticated proxies'),
    ('http://user@10.0.0.5:3128', 'does not support authenticated proxies'),
    ('socks5://10.0.0.5:1080', 'not supported'),
    ('http://', 'not a usable proxy URL'),
    ('http://10.0.0.5:99999', 'not a usable proxy URL'),
])
def test_bad_proxies_fail_without_touching_the_file(tmp_path, url, message):
    path = tmp_path / 'environment'
    path.write_text('LANG=C\n')
    with pytest.raises(ModuleExit) as info:
        run(path, proxy=url)
    assert message in info.value.result['msg']
    assert 'secret' not in info.value.result['msg']
    assert path.read_text() == 'LANG=C\n'


def test_check_mode_validates_and_writes_nothing(tmp_path):
    path = tmp_path / 'environment'
    path.write_text('LANG=C\n')
    result = run(path, proxy='http://10.0.0.5:3128', check_mode=True)
    assert result['changed'] is True and result['proxy']['port'] == 3128
    assert 'http_proxy=http://10.0.0.5:3128' in result['diff']['after']
    assert path.read_text() == 'LANG=C\n'


def test_present_needs_a_proxy(tmp_path):
    with pytest.raises(ModuleExit) as info:
        run(tmp_path / 'environment')
    assert 'proxy' in info.value.result['msg']
