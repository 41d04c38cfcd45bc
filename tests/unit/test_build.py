# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built collection: what `ansible-galaxy collection build` puts in the tarball users install."""
from __future__ import absolute_import, division, print_function

import fnmatch
import glob
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Caches and outputs of development runs: never shipped, wherever they are.
NOT_SHIPPED = ('*.pytest_cache*', '*__pycache__*', '*.pyc', '.venv*', '.build*', '.ansible*', '*/.ansible*',
               'tests/output*', 'tests/lab*', 'molecule*', 'snapshot-doctor-report*', '*/snapshot-doctor-report*',
               '*.tar.gz', 'changelogs/.plugin-cache.yaml')
# A SAS signature that was not redacted: long enough to be one ("sig=%s" placeholders and "sig=``" in docs are not).
SAS_SIGNATURE = re.compile(rb'sig=(?!REDACTED)[A-Za-z0-9%+/=_-]{8,}')


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    if not os.path.exists(os.path.join(ROOT, 'galaxy.yml')):
        pytest.skip('an installed collection: the build runs in a source checkout')
    galaxy = os.path.join(os.path.dirname(sys.executable), 'ansible-galaxy')
    output = str(tmp_path_factory.mktemp('build'))
    subprocess.run([galaxy, 'collection', 'build', '--output-path', output, ROOT], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    with tarfile.open(glob.glob(os.path.join(output, '*.tar.gz'))[0]) as archive:
        yield dict((member.name, archive.extractfile(member).read())
                   for member in archive.getmembers() if member.isfile())


def planted_secrets():
    """What the molecule scenario and the lab plant in guests to prove it never leaks, read from
    their sources (so that this file, which ships, holds none of them)."""
    with open(os.path.join(ROOT, 'molecule', 'collect_logs', 'vars', 'secrets.yml')) as handle:
        values = [str(value) for value in yaml.safe_load(handle).values()]
    lab = os.path.join(ROOT, 'tests', 'lab', 'snapshot_lab')
    for name in ('fake_platform.py', 'fixtures.py'):
        with open(os.path.join(lab, name)) as handle:
            values += re.findall(r'sig=(\w+)|"protectedSettings": "([^"]+)"', handle.read())
    return [value if isinstance(value, str) else ''.join(value) for value in values]


def test_caches_outputs_and_the_lab_are_not_shipped(tarball):
    shipped = [name for name in tarball if any(fnmatch.fnmatch(name, pattern) for pattern in NOT_SHIPPED)]
    assert shipped == []
    assert 'plugins/modules/guest_info.py' in tarball and 'roles/diagnose/tasks/main.yml' in tarball
    assert any(name.startswith('tests/unit/') for name in tarball)


def test_no_secret_is_shipped(tarball):
    secrets = [secret.encode() for secret in planted_secrets()]
    leaks = sorted(name for name, data in tarball.items()
                   if SAS_SIGNATURE.search(data) or any(secret in data for secret in secrets))
    assert leaks == []


def test_galaxy_metadata_invents_no_url_and_claims_windows_only_with_a_windows_backend(tarball):
    from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.backends import BACKENDS
    from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import collection_rules
    manifest = tarball['MANIFEST.json'].decode()
    assert 'example.invalid' not in manifest
    with open(os.path.join(ROOT, 'galaxy.yml')) as handle:
        galaxy = yaml.safe_load(handle)
    assert 'example.invalid' not in str(galaxy)
    windows_works = 'windows' in BACKENDS and 'windows' in collection_rules().platforms()
    claimed = 'windows' in galaxy['description'].lower() or 'windows' in galaxy['tags']
    assert claimed == windows_works


def test_every_reference_to_checks_md_can_be_followed(tarball):
    referring = sorted(name for name, data in tarball.items() if b'checks.md' in data and name != 'docs/checks.md')
    assert referring  # the modules and the report name it
    assert 'docs/checks.md' in tarball
