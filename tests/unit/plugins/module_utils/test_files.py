# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing files on the managed host: new private files and atomic replacements."""
from __future__ import absolute_import, division, print_function

import os
import stat

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import files

__metaclass__ = type


class Failed(Exception):
    pass


@pytest.fixture
def module(monkeypatch):
    def fail_json(self, msg, **kwargs):
        raise Failed(msg)

    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    with patch_module_args({}):
        yield basic.AnsibleModule(argument_spec={})


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_write_file_creates_with_the_mode_and_truncates(tmp_path):
    path = tmp_path / 'state'
    files.write_file(str(path), 'pending and more')
    files.write_file(str(path), u'confirmed \u2713')
    assert path.read_text(encoding='utf-8') == u'confirmed \u2713'
    assert mode_of(path) == 0o600
    files.write_file(str(tmp_path / 'shared'), b'x', mode=0o644)
    assert mode_of(tmp_path / 'shared') == 0o644


def test_temp_path_is_beside_the_target(tmp_path):
    target = str(tmp_path / 'waagent.conf')
    assert files.temp_path_beside(target) == str(tmp_path / '.waagent.conf.snapshot-doctor.tmp')


def test_atomic_write_replaces_and_keeps_the_existing_mode(tmp_path, module):
    path = tmp_path / 'environment'
    path.write_text('old\n')
    os.chmod(str(path), 0o640)
    files.atomic_write(module, str(path), 'new\n')
    assert path.read_text() == 'new\n' and mode_of(path) == 0o640
    assert os.listdir(str(tmp_path)) == ['environment']  # no temporary file left behind


def test_atomic_write_creates_a_new_file_as_atomic_move_does(tmp_path, module):
    path = tmp_path / 'environment'
    umask = os.umask(0o027)
    try:
        files.atomic_write(module, str(path), 'PATH=/usr/bin\n')
    finally:
        os.umask(umask)
    # The mode guards the temporary file; atomic_move gives a new file the umask's default mode.
    assert path.read_text() == 'PATH=/usr/bin\n' and mode_of(path) == 0o640


def test_atomic_write_fails_the_module_when_it_cannot_write(tmp_path, module):
    with pytest.raises(Failed) as info:
        files.atomic_write(module, str(tmp_path / 'missing' / 'waagent.conf'), 'x')
    assert 'Cannot write' in str(info.value) and '.waagent.conf.snapshot-doctor.tmp' in str(info.value)
