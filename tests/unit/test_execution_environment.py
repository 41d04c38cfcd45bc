# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment definition: ansible-builder's own `create` step accepts it (no image is built:
no container engine here) and the build context names every dependency."""
from __future__ import absolute_import, division, print_function

import os
import subprocess
import sys

import yaml

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_BUILDER = os.path.join(os.path.dirname(sys.executable), 'ansible-builder')


def test_ansible_builder_creates_the_build_context(tmp_path):
    context = tmp_path / 'context'
    result = subprocess.run([ANSIBLE_BUILDER, 'create', '-f', os.path.join(ROOT, 'execution-environment.yml'),
                             '--context', str(context), '--output-filename', 'Containerfile'],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout
    containerfile = (context / 'Containerfile').read_text()
    assert 'ansible-core==2.19.14' in containerfile and 'ansible-runner==' in containerfile
    assert 'PYCMD="/usr/bin/python3.11"' in containerfile
    # Collections from Galaxy, then the introspection that adds their Python requirements (azure.azcollection's
    # requirements.txt inside the installed collection) to ours.
    assert 'ansible-galaxy collection install' in containerfile and 'introspect.py introspect' in containerfile
    build = context / '_build'
    galaxy = [item['name'] for item in yaml.safe_load((build / 'requirements.yml').read_text())['collections']]
    assert galaxy == ['ansible.windows', 'azure.azcollection']
    python = (build / 'requirements.txt').read_text()
    for package in ('pywinrm', 'pypsrp', 'regipy'):
        assert package in python
    assert 'openssh-clients [platform:rpm]' in (build / 'bindep.txt').read_text()


def test_collection_metadata_names_the_same_dependency_files():
    with open(os.path.join(ROOT, 'meta', 'execution-environment.yml')) as handle:
        meta = yaml.safe_load(handle)
    with open(os.path.join(ROOT, 'execution-environment.yml')) as handle:
        definition = yaml.safe_load(handle)
    assert definition['version'] == 3
    for kind in ('python', 'system'):
        assert os.path.isfile(os.path.join(ROOT, meta['dependencies'][kind]))
        assert definition['dependencies'][kind] == meta['dependencies'][kind]
