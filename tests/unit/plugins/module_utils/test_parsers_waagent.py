# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""waagent.conf, `waagent -version` and `waagent -show-configuration` parsers."""
from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import (
    MAX_INPUT_CHARS, MAX_LINE_WARNINGS, conf_switch, parse_show_configuration, parse_waagent_conf,
    parse_waagent_version)

from core_fixtures import fixture_bytes, fixture_text

__metaclass__ = type

HOSTILE = [None, 42, 3.5, {'Extensions.Enabled': 'y'}, ['Extensions.Enabled=y'], object()]


# --- waagent.conf ---------------------------------------------------------------------------------

def test_debian12_waagent_conf():
    result = parse_waagent_conf(fixture_text('waagent', 'waagent.conf.debian12'))
    values = result['values']
    assert result['warnings'] == []
    assert values['Extensions.Enabled'] == 'y'
    assert values['Provisioning.Agent'] == 'cloud-init'
    assert values['AutoUpdate.Enabled'] == 'n'
    assert values['Logs.Verbose'] == 'n'
    assert values['OS.EnableFirewall'] == 'n'
    assert values['ResourceDisk.MountPoint'] == '/mnt/resource'
    # "None" means unset; commented-out keys are absent
    assert values['ResourceDisk.MountOptions'] is None and values['OS.OpensslPath'] is None
    assert 'HttpProxy.Host' not in values and 'Lib.Dir' not in values and 'Logs.Console' not in values
    assert len(values) == 24  # the uncommented Key=value lines of the file
    assert conf_switch(values, 'Extensions.Enabled', True) is True
    assert conf_switch(values, 'AutoUpdate.Enabled', True) is False
    assert conf_switch(values, 'OS.EnableRDMA', False) is False  # absent: default


def test_bytes_and_str_give_the_same_result():
    assert parse_waagent_conf(fixture_bytes('waagent', 'waagent.conf.debian12')) == \
        parse_waagent_conf(fixture_text('waagent', 'waagent.conf.debian12'))


def test_agent_syntax_spaces_quotes_inline_comments_crlf():
    text = ('Extensions.Enabled = n   # disabled by image build\r\n'
            'HttpProxy.Host="proxy.corp.example"\r\n'
            'HttpProxy.Port = 3128 \r\n'
            'Provisioning.Agent= "auto" # quoted\r\n'
            'OS.SshDir=/etc/ssh=odd\r\n')
    result = parse_waagent_conf(text)
    assert result['warnings'] == []
    assert result['values'] == {'Extensions.Enabled': 'n', 'HttpProxy.Host': 'proxy.corp.example',
                                'HttpProxy.Port': '3128', 'Provisioning.Agent': 'auto',
                                'OS.SshDir': '/etc/ssh=odd'}


def test_single_quotes_are_kept_like_the_agent_does():
    # The agent strips only double quotes and spaces.
    assert parse_waagent_conf("Logs.Verbose='y'\n")['values'] == {'Logs.Verbose': "'y'"}
    assert conf_switch({'Logs.Verbose': "'y'"}, 'Logs.Verbose', False) is False


def test_duplicate_keys_last_wins_with_line_numbers():
    result = parse_waagent_conf('# header\nAutoUpdate.Enabled=y\nLogs.Verbose=n\nAutoUpdate.Enabled=n\n')
    assert result['values']['AutoUpdate.Enabled'] == 'n'
    assert result['warnings'] == ['waagent.conf line 4: duplicate key AutoUpdate.Enabled (first on line 2); '
                                  'the last value wins']


def test_garbage_lines_are_ignored_with_a_warning_naming_the_line():
    text = 'Extensions.Enabled=y\nthis is not a setting\n= orphan value\nBad Key=1\n   # indented comment\n'
    result = parse_waagent_conf(text)
    assert result['values'] == {'Extensions.Enabled': 'y'}
    assert result['warnings'] == [
        'waagent.conf line 2: no "=", ignored: this is not a setting',
        'waagent.conf line 3: not a "Key=value" line, ignored: = orphan value',
        'waagent.conf line 4: not a "Key=value" line, ignored: Bad Key=1',
    ]


def test_many_garbage_lines_are_summarized():
    result = parse_waagent_conf('\n'.join('junk line %d' % n for n in range(MAX_LINE_WARNINGS + 5)))
    assert len(result['warnings']) == MAX_LINE_WARNINGS + 1
    assert result['warnings'][-1] == 'waagent.conf: 5 more unreadable lines not listed'


@pytest.mark.parametrize('empty', ['', '   \n\n', b''])
def test_empty_file(empty):
    result = parse_waagent_conf(empty)
    assert result['values'] == {}
    assert result['warnings'] == ['waagent.conf: empty (the agent refuses to start with an empty configuration)']


@pytest.mark.parametrize('hostile', HOSTILE)
def test_wrong_types(hostile):
    result = parse_waagent_conf(hostile)
    assert result['values'] == {}
    assert len(result['warnings']) == 1
    assert result['warnings'][0].startswith('waagent.conf: ')


def test_non_utf8_is_decoded_with_replacement_and_a_warning():
    data = b'# Konfiguration f\xfcr Azure\nExtensions.Enabled=y\nHttpProxy.Host=h\xf6st\n'
    result = parse_waagent_conf(data)
    assert result['values'] == {'Extensions.Enabled': 'y', 'HttpProxy.Host': u'h\ufffdst'}
    assert result['warnings'] == ['waagent.conf: not valid UTF-8 (first bad byte at offset 17); '
                                  'undecodable bytes replaced']


def test_binary_garbage():
    data = bytes(bytearray(range(256))) * 4
    result = parse_waagent_conf(data)
    assert any('NUL bytes' in warning for warning in result['warnings'])
    assert any('not valid UTF-8' in warning for warning in result['warnings'])
    assert isinstance(result['values'], dict)


def test_huge_input_is_capped():
    text = 'Extensions.Enabled=n\n' + '#' * (MAX_INPUT_CHARS + 10) + '\nLogs.Verbose=y\n'
    result = parse_waagent_conf(text)
    assert result['values'] == {'Extensions.Enabled': 'n'}   # the tail was not read
    assert result['warnings'] == ['waagent.conf: input larger than %d characters, only the start was read'
                                  % MAX_INPUT_CHARS]


def test_huge_bytes_input_is_capped():
    result = parse_waagent_conf(b'Logs.Verbose=y\n' + b'x' * (MAX_INPUT_CHARS * 5))
    assert result['values'] == {'Logs.Verbose': 'y'}
    assert 'only the start was read' in result['warnings'][0]


@pytest.mark.parametrize('value, expected', [('y', True), ('Y', True), ('n', False), ('N', False),
                                             ('yes', 'default'), ('', 'default'), (None, 'default')])
def test_conf_switch_like_the_agent(value, expected):
    assert conf_switch({'K': value}, 'K', 'default') == expected


def test_conf_switch_on_wrong_types():
    assert conf_switch(None, 'K', True) is True
    assert conf_switch({'K': 1}, 'K', False) is False


# --- waagent -version -------------------------------------------------------------------------------

def test_debian12_waagent_version():
    result = parse_waagent_version(fixture_bytes('waagent', 'waagent-version.debian12.txt'))
    assert result == {'daemon_version': '2.7.3.0', 'distribution': 'debian', 'distribution_version': '12',
                      'python_version': '3.11.2', 'goal_state_version': '2.7.3.0', 'warnings': []}


def test_updated_goal_state_agent_and_crlf():
    text = ('WALinuxAgent-2.2.45 running on ubuntu 18.04\r\nPython: 3.6.9\r\n'
            'Goal state agent: 2.15.0.1\r\n')
    result = parse_waagent_version(text)
    assert (result['daemon_version'], result['distribution'], result['distribution_version'],
            result['python_version'], result['goal_state_version']) == \
        ('2.2.45', 'ubuntu', '18.04', '3.6.9', '2.15.0.1')
    assert result['warnings'] == []


def test_version_as_microsoft_kb_prints_it():
    text = u'WALinuxAgent \u2013 2.2.45\nPython \u2013 3.6.9\nGoal State Agent \u2013 2.2.53.1\n'
    result = parse_waagent_version(text)
    assert (result['daemon_version'], result['python_version'], result['goal_state_version']) == \
        ('2.2.45', '3.6.9', '2.2.53.1')
    assert result['distribution'] is None and result['warnings'] == []


def test_missing_goal_state_line_and_noise():
    text = 'some warning from python\nWALinuxAgent-2.2.10 running on centos 7.9.2009\nPython: 2.7.5\n'
    result = parse_waagent_version(text)
    assert result['daemon_version'] == '2.2.10' and result['distribution_version'] == '7.9.2009'
    assert result['goal_state_version'] is None
    assert result['warnings'] == ['waagent -version: no "Goal state agent: ..." line']


@pytest.mark.parametrize('text', ['', 'bash: waagent: command not found', b'\x00\x01\x02'])
def test_version_without_any_line(text):
    result = parse_waagent_version(text)
    assert result['daemon_version'] is None and result['goal_state_version'] is None
    assert [w for w in result['warnings'] if w.startswith('waagent -version: no ')] == [
        'waagent -version: no "WALinuxAgent-<version> running on ..." line',
        'waagent -version: no "Python: ..." line',
        'waagent -version: no "Goal state agent: ..." line']


@pytest.mark.parametrize('hostile', HOSTILE)
def test_version_wrong_types(hostile):
    result = parse_waagent_version(hostile)
    assert set(result) == {'daemon_version', 'distribution', 'distribution_version', 'python_version',
                           'goal_state_version', 'warnings'}
    assert all(result[key] is None for key in result if key != 'warnings')
    assert len(result['warnings']) == 1


# --- waagent -show-configuration ----------------------------------------------------------------------

def test_debian12_show_configuration():
    result = parse_show_configuration(fixture_text('waagent', 'show-configuration.debian12.txt'))
    values = result['values']
    assert result['warnings'] == []
    assert len(values) == 66  # one per output line
    assert values['Extensions.Enabled'] is True
    assert values['AutoUpdate.Enabled'] is False
    assert values['Logs.Verbose'] is False
    assert values['HttpProxy.Host'] is None and values['HttpProxy.Port'] is None
    assert values['Provisioning.Agent'] == 'cloud-init'
    assert values['Extension.LogDir'] == '/var/log/azure'
    assert values['Debug.CgroupMonitorExtensionName'] == 'Microsoft.Azure.Monitor.AzureMonitorLinuxAgent'
    assert values['OS.RootDeviceScsiTimeout'] == '300'


def test_show_configuration_garbage():
    result = parse_show_configuration('Traceback (most recent call last):\nLogs.Verbose = True\n')
    assert result['values'] == {'Logs.Verbose': True}
    assert result['warnings'] == ['waagent -show-configuration line 1: not a "key = value" line, ignored: '
                                  'Traceback (most recent call last):']


@pytest.mark.parametrize('hostile', HOSTILE + [''])
def test_show_configuration_empty_and_wrong_types(hostile):
    result = parse_show_configuration(hostile)
    assert result['values'] == {}
    assert result['warnings'][-1] in ('waagent -show-configuration: no settings found',
                                      'waagent -show-configuration: no content') or \
        result['warnings'][-1].startswith('waagent -show-configuration: expected text')


def test_huge_multibyte_bytes_input_reports_the_cut():
    # 4-byte characters: the byte cap is reached before the character cap.
    data = b'Logs.Verbose=y\n#' + u'\U0001F600'.encode('utf-8') * (MAX_INPUT_CHARS + 10)
    result = parse_waagent_conf(data)
    assert result['values'] == {'Logs.Verbose': 'y'}
    assert any('only the start was read' in warning for warning in result['warnings'])
