# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
import json
import os
import re
import stat
import tarfile

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.modules import collect_logs
from .remediation_helpers import ModuleExit, run_module

SIGNATURES = ['Q2VydGFpbmx5QVNlY3JldA%3D%3D', 'b3RoZXJTZWNyZXRTaWc%3D', 'bG9nU2lnbmF0dXJl']
# Shaped like /var/lib/waagent/ExtensionsConfig.*.xml: SAS URLs with & written as &amp;.
EXTENSIONS_CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<Extensions version="1.0.0.0" goalStateIncarnation="2"><GuestAgentExtension>
<Plugins><Plugin name="Microsoft.Azure.RecoveryServices.VMSnapshotLinux" version="1.0.9225.0"
 location="https://umsa.blob.core.windows.net/x/manifest.xml?sv=2018-03-28&amp;sr=b&amp;sig=%s&amp;se=2026-12-01T00%%3A00%%3A00Z&amp;sp=r" />
</Plugins>
<StatusUploadBlob statusBlobType="PageBlob">https://md.blob.core.windows.net/$system/vm.status?sv=2018-03-28\
&amp;sr=b&amp;sk=system-1&amp;sig=%s&amp;se=9999-01-01&amp;sp=w</StatusUploadBlob>
</GuestAgentExtension></Extensions>
""" % (SIGNATURES[0], SIGNATURES[1])
WAAGENT_LOG = ('2026-11-22T03:00:00.000000Z INFO ExtHandler Downloading '
               'https://a.blob.core.windows.net/c/p.zip?sv=2020&sig=%s&se=2027 \n'
               '2026-11-22T03:00:01.000000Z INFO Daemon HttpProxy.Host=proxy user http://bob:hunter2@10.0.0.5:3128\n'
               % SIGNATURES[2])


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """Archives go under the test's own directory, not the machine's /tmp."""
    (tmp_path / 'tmp').mkdir()
    monkeypatch.setattr('tempfile.tempdir', str(tmp_path / 'tmp'))


@pytest.fixture
def guest(tmp_path):
    """A fake guest tree with SAS URLs in the places the agent writes them."""
    lib = tmp_path / 'var/lib/waagent'
    handler = lib / 'Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9225.0'
    (handler / 'status').mkdir(parents=True)
    (handler / 'config').mkdir()
    (lib / 'ExtensionsConfig.2.xml').write_text(EXTENSIONS_CONFIG)
    (lib / 'history').mkdir()
    (lib / 'history' / 'old.zip').write_bytes(b'PK\x03\x04\x00\x00binary')
    (handler / 'status' / '0.status').write_text(json.dumps([{
        'version': '1.0', 'timestampUTC': '2026-11-22T03:00:00Z',
        'status': {'status': 'error', 'code': 76, 'formattedMessage': {'lang': 'en-US', 'message': 'no network'}}}]))
    (handler / 'config' / '0.settings').write_text(json.dumps({'runtimeSettings': [{'handlerSettings': {
        'protectedSettings': 'MIIBsecretsecret', 'publicSettings': {'taskId': 'abc'}}}]}))
    logs = tmp_path / 'var/log'
    (logs / 'azure' / 'Microsoft.Azure.RecoveryServices.VMSnapshotLinux').mkdir(parents=True)
    (logs / 'waagent.log').write_text(WAAGENT_LOG)
    (logs / 'waagent.log.1').write_text('old line\n')
    (logs / 'azure' / 'Microsoft.Azure.RecoveryServices.VMSnapshotLinux' / 'extension.log').write_text(
        '2026-11-22 03:00:00  Info  blob sas https://x/y?sp=r&sig=%s\n' % SIGNATURES[0])
    etc = tmp_path / 'etc'
    etc.mkdir()
    (etc / 'waagent.conf').write_text('Extensions.Enabled=y\nHttpProxy.Host=10.0.0.5\n')
    root = str(tmp_path)
    return root, [root + '/etc/waagent.conf', root + '/var/log/waagent.log*', root + '/var/log/azure/**',
                  root + '/var/lib/waagent/*.xml', root + '/var/lib/waagent/*/status/*.status',
                  root + '/var/lib/waagent/*/config/*.settings', root + '/var/lib/waagent/history/*']


def extract(archive):
    with tarfile.open(archive) as tar:
        return dict((member.name, tar.extractfile(member).read()) for member in tar.getmembers()), \
            dict((member.name, member.mode) for member in tar.getmembers())


def test_archive_holds_no_sas_signature_or_password(guest):
    root, paths = guest
    result = run_module(collect_logs.main, {'paths': paths})
    assert stat.S_IMODE(os.stat(result['archive']).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(result['directory']).st_mode) == 0o700
    contents, modes = extract(result['archive'])
    everything = b'\n'.join(contents.values())
    for signature in SIGNATURES:
        assert signature.encode() not in everything
    assert b'hunter2' not in everything and b'MIIBsecretsecret' not in everything
    # Redacted, not dropped: the reader still sees the URL and the parameter names.
    config = contents[root.lstrip('/') + '/var/lib/waagent/ExtensionsConfig.2.xml']
    assert b'&amp;sig=REDACTED&amp;se=2026' in config and b'sv=2018-03-28' in config
    assert set(modes.values()) == {0o600}
    assert result['redactions'] >= 6


def test_manifest_lists_binary_files_as_left_out(guest):
    root, paths = guest
    result = run_module(collect_logs.main, {'paths': paths})
    by_path = dict((entry['path'], entry) for entry in result['files'])
    assert 'binary' in by_path[root + '/var/lib/waagent/history/old.zip']['skipped']
    assert by_path[root + '/var/log/waagent.log.1']['skipped'] is None
    contents, modes = extract(result['archive'])
    manifest = json.loads(contents['MANIFEST.json'])
    assert [entry['path'] for entry in manifest] == [entry['path'] for entry in result['files']]
    assert not any(name.endswith('old.zip') for name in contents)


def test_size_caps_keep_the_end_of_a_file_and_stop_at_the_total(guest, tmp_path):
    root, paths = guest
    big = tmp_path / 'var/log/waagent.log'
    big.write_text(''.join('line %05d sig=secret%05d\n' % (n, n) for n in range(2000)))
    result = run_module(collect_logs.main, {'paths': paths, 'max_file_size': 1000, 'max_total_size': 1500})
    by_path = dict((entry['path'], entry) for entry in result['files'])
    log = by_path[root + '/etc/waagent.conf']
    assert log['stored'] > 0
    waagent_log = by_path[str(big)]
    assert waagent_log['truncated'] is True and waagent_log['stored'] <= 1000
    contents, modes = extract(result['archive'])
    kept = contents[str(big).lstrip('/')]
    assert kept.endswith(b'line 01999 sig=REDACTED\n')
    assert re.match(br'^line \d{5} sig=REDACTED\n', kept)  # the cut first line was dropped
    assert any('total size cap' in (entry['skipped'] or '') for entry in result['files'])
    assert sum(entry['stored'] for entry in result['files']) <= 1500


def test_same_files_give_the_same_archive_bytes(guest):
    root, paths = guest
    first = run_module(collect_logs.main, {'paths': paths})
    second = run_module(collect_logs.main, {'paths': paths})
    with open(first['archive'], 'rb') as one, open(second['archive'], 'rb') as two:
        assert one.read() == two.read()


def test_check_mode_lists_files_and_writes_nothing(guest, tmp_path):
    root, paths = guest
    result = run_module(collect_logs.main, {'paths': paths}, check_mode=True)
    assert 'archive' not in result and len(result['files']) >= 6
    assert os.listdir(str(tmp_path / 'tmp')) == []


@pytest.mark.parametrize('args, message', [
    ({'paths': ['relative/*.log']}, 'absolute'),
    ({'max_file_size': 0}, 'positive'),
    ({'archive_name': '../x.tar.gz'}, 'plain file name'),
])
def test_invalid_options_fail(args, message):
    with pytest.raises(ModuleExit) as info:
        run_module(collect_logs.main, args)
    assert message in info.value.result['msg']


def test_default_paths_come_from_the_core_defaults():
    from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
    paths = collect_logs.default_paths()
    assert defaults.WAAGENT_CONF in paths
    assert defaults.WAAGENT_LIB_DIR + '/*.xml' in paths
    assert defaults.EXTENSION_LOG_ROOT + '/**' in paths
