# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
import os
import stat

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.modules import waagent_config
from .remediation_helpers import ModuleExit, run_module

# The relevant part of Debian 12's /etc/waagent.conf (package waagent 2.7.3.0), plus oddities.
DEBIAN_CONF = """#
# Microsoft Azure Linux Agent Configuration
#

# Enable extension handling. Do not disable this unless you do not need password reset,
# backup, monitoring, or any extension handling whatsoever.
Extensions.Enabled=n

# How often (in seconds) to poll for new goal states
Extensions.GoalStatePeriod=6

# Enable verbose logging (y|n)
Logs.Verbose=n

# Enable or disable goal state processing auto-update, default is enabled
AutoUpdate.Enabled=n

# Determine the provisioning agent
Provisioning.Agent=cloud-init

# Specify a proxy: "HttpProxy.Host=None" means no proxy
#HttpProxy.Host=None
#HttpProxy.Port=None
"""


def write(tmp_path, text, mode=0o640):
    path = tmp_path / 'waagent.conf'
    path.write_text(text)
    os.chmod(str(path), mode)
    return path


def run(path, settings, **kwargs):
    return run_module(waagent_config.main, {'path': str(path), 'settings': settings}, **kwargs)


def test_sets_keys_in_place_and_keeps_everything_else(tmp_path):
    path = write(tmp_path, DEBIAN_CONF)
    result = run(path, {'Extensions.Enabled': True, 'Logs.Verbose': 'y'})
    assert result['changed'] is True
    text = path.read_text()
    assert 'Extensions.Enabled=y\n' in text and 'Extensions.Enabled=n' not in text
    assert 'Logs.Verbose=y\n' in text
    # Nothing else moved: same number of lines, comments intact.
    assert len(text.splitlines()) == len(DEBIAN_CONF.splitlines())
    assert text.replace('Extensions.Enabled=y', 'Extensions.Enabled=n').replace(
        'Logs.Verbose=y', 'Logs.Verbose=n') == DEBIAN_CONF
    assert result['values'] == {'Extensions.Enabled': 'y', 'Logs.Verbose': 'y'}
    assert sorted(change['key'] for change in result['changes']) == ['Extensions.Enabled', 'Logs.Verbose']
    # The file keeps its mode.
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640


def test_second_run_changes_nothing(tmp_path):
    path = write(tmp_path, DEBIAN_CONF)
    run(path, {'Extensions.Enabled': True, 'HttpProxy.Host': '10.0.0.5', 'HttpProxy.Port': 3128})
    first = path.read_text()
    result = run(path, {'Extensions.Enabled': True, 'HttpProxy.Host': '10.0.0.5', 'HttpProxy.Port': 3128})
    assert result['changed'] is False and result['changes'] == []
    assert path.read_text() == first


def test_missing_key_goes_after_its_commented_example(tmp_path):
    path = write(tmp_path, DEBIAN_CONF)
    run(path, {'HttpProxy.Host': '10.0.0.5', 'HttpProxy.Port': 3128})
    lines = path.read_text().splitlines()
    assert lines[lines.index('#HttpProxy.Host=None') + 1] == 'HttpProxy.Host=10.0.0.5'
    assert lines[lines.index('#HttpProxy.Port=None') + 1] == 'HttpProxy.Port=3128'


def test_unknown_key_is_appended(tmp_path):
    path = write(tmp_path, 'Logs.Verbose=n\n')
    run(path, {'OS.EnableFirewall': True})
    assert path.read_text() == 'Logs.Verbose=n\nOS.EnableFirewall=y\n'


def test_null_removes_every_occurrence(tmp_path):
    path = write(tmp_path, 'HttpProxy.Host=1.2.3.4\nLogs.Verbose=n\nHttpProxy.Host = 5.6.7.8 # old\n')
    result = run(path, {'HttpProxy.Host': None})
    assert path.read_text() == 'Logs.Verbose=n\n'
    assert result['changes'] == [{'key': 'HttpProxy.Host', 'before': '5.6.7.8', 'after': None}]
    assert result['values'] == {'HttpProxy.Host': None}
    assert run(path, {'HttpProxy.Host': None})['changed'] is False


def test_duplicates_with_another_value_are_all_rewritten(tmp_path):
    # The agent keeps the last value; a stale earlier duplicate would confuse readers.
    path = write(tmp_path, 'Extensions.Enabled=n\nExtensions.Enabled = y  # keep\nExtensions.Enabled=n\n')
    run(path, {'Extensions.Enabled': 'y'})
    assert path.read_text() == 'Extensions.Enabled=y\nExtensions.Enabled = y  # keep\nExtensions.Enabled=y\n'


def test_same_value_in_another_spelling_is_left_alone(tmp_path):
    text = 'Extensions.Enabled = "y"   # set by cloud-init\n'
    path = write(tmp_path, text)
    assert run(path, {'Extensions.Enabled': True})['changed'] is False
    assert path.read_text() == text


def test_crlf_file_keeps_crlf(tmp_path):
    path = tmp_path / 'waagent.conf'
    path.write_bytes(b'Logs.Verbose=n\r\nExtensions.Enabled=y\r\n')
    run(path, {'Logs.Verbose': True})
    assert path.read_bytes() == b'Logs.Verbose=y\r\nExtensions.Enabled=y\r\n'


def test_check_mode_reports_diff_and_writes_nothing(tmp_path):
    path = write(tmp_path, DEBIAN_CONF)
    result = run(path, {'Extensions.Enabled': True}, check_mode=True, diff=True)
    assert result['changed'] is True
    assert path.read_text() == DEBIAN_CONF
    assert 'Extensions.Enabled=n' in result['diff']['before']
    assert 'Extensions.Enabled=y' in result['diff']['after']


def test_backup_keeps_the_old_file(tmp_path):
    path = write(tmp_path, DEBIAN_CONF)
    result = run_module(waagent_config.main, {'path': str(path), 'settings': {'Logs.Verbose': True},
                                              'backup': True})
    with open(result['backup_file']) as handle:
        assert handle.read() == DEBIAN_CONF


@pytest.mark.parametrize('settings, message', [
    ({'Bad Key': 'y'}, 'Invalid waagent.conf key'),
    ({'Logs.Verbose': 'y\nOS.EnableFirewall=n'}, 'newline'),
    ({'Logs.Verbose': 'y # sneaky'}, 'newline or "#"'),
    ({'Logs.Verbose': ''}, 'empty'),
    ({'Logs.Verbose': ['y']}, 'not list'),
    ({}, 'settings is empty'),
])
def test_invalid_settings_fail_before_any_change(tmp_path, settings, message):
    path = write(tmp_path, DEBIAN_CONF)
    with pytest.raises(ModuleExit) as info:
        run(path, settings)
    assert message in info.value.result['msg']
    assert path.read_text() == DEBIAN_CONF


def test_missing_file_says_the_agent_is_missing(tmp_path):
    with pytest.raises(ModuleExit) as info:
        run(tmp_path / 'nope.conf', {'Logs.Verbose': True})
    assert 'is the Azure Linux agent installed' in info.value.result['msg']
    assert not (tmp_path / 'nope.conf').exists()


def test_apply_settings_agrees_with_the_core_parser():
    from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import parsers
    lines, changes = waagent_config.apply_settings(DEBIAN_CONF.splitlines(),
                                                   {'AutoUpdate.Enabled': 'y', 'Provisioning.Agent': None})
    values = parsers.parse_waagent_conf('\n'.join(lines))['values']
    assert values['AutoUpdate.Enabled'] == 'y'
    assert 'Provisioning.Agent' not in values
    assert [change['key'] for change in changes] == ['AutoUpdate.Enabled', 'Provisioning.Agent']
