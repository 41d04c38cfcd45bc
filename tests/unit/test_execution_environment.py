# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment definition: ansible-builder's own `create` step accepts it (no image is built:
no container engine here) and the build context names every dependency."""
from __future__ import absolute_import, division, print_function

import os
import re
import subprocess
import sys

import pytest
import yaml

__metaclass__ = type

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_BUILDER = os.path.join(os.path.dirname(sys.executable), 'ansible-builder')


COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
AZCOLLECTION = os.path.join(COLLECTIONS, 'ansible_collections', 'azure', 'azcollection')


def create_context(tmp_path):
    context = tmp_path / 'context'
    result = subprocess.run([ANSIBLE_BUILDER, 'create', '-f', os.path.join(ROOT, 'execution-environment.yml'),
                             '--context', str(context), '--output-filename', 'Containerfile'],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout
    return context


def requirement_names(lines):
    """Package names of requirement lines (comments, options and blank lines left out)."""
    names = set()
    for line in lines:
        line = line.split('#', 1)[0].strip()
        if line and not line.startswith('-'):
            names.add(re.split(r'[\s<>=!~;\[]', line, 1)[0].lower().replace('_', '-'))
    return names


def read_lines(path):
    with open(path) as handle:
        return handle.read().splitlines()


def test_ansible_builder_creates_the_build_context(tmp_path):
    context = create_context(tmp_path)
    containerfile = (context / 'Containerfile').read_text()
    assert 'ansible-core==2.19.14' in containerfile and 'ansible-runner==' in containerfile
    assert 'PYCMD="/usr/bin/python3.11"' in containerfile
    # Collections from Galaxy, then the introspection that combines the Python requirements, without
    # azure.azcollection's own (its whole SDK): the subset comes from requirements/azure.txt.
    assert 'ansible-galaxy collection install' in containerfile and 'introspect.py introspect' in containerfile
    assert containerfile.index('COPY _build/deps/ deps/') < containerfile.index('introspect.py introspect')
    build = context / '_build'
    assert (build / 'exclude-collections.txt').read_text().split() == ['azure.azcollection']
    galaxy = [item['name'] for item in yaml.safe_load((build / 'requirements.yml').read_text())['collections']]
    assert galaxy == ['ansible.windows', 'azure.azcollection']
    assert (build / 'deps' / 'azure.txt').read_text() == open(os.path.join(ROOT, 'requirements', 'azure.txt')).read()
    assert (build / 'deps' / 'ee-requirements.txt').read_text() == open(
        os.path.join(ROOT, 'meta', 'ee-requirements.txt')).read()
    assert 'openssh-clients [platform:rpm]' in (build / 'bindep.txt').read_text()


@pytest.mark.skipif(not os.path.isdir(AZCOLLECTION), reason='azure.azcollection is not unpacked in .build/collections')
def test_the_images_python_requirements_are_ours_and_the_azure_sdk_subset(tmp_path):
    """ansible-builder's introspection, as the builder stage runs it, over the installed collections."""
    build = create_context(tmp_path) / '_build'
    output = tmp_path / 'requirements.txt'
    result = subprocess.run([sys.executable, str(build / 'scripts' / 'introspect.py'), 'introspect', COLLECTIONS,
                             '--user-pip=requirements.txt', '--user-bindep=bindep.txt',
                             '--exclude-collection-reqs=exclude-collections.txt',
                             '--write-pip=%s' % output, '--write-bindep=%s' % (tmp_path / 'bindep.txt')],
                            cwd=str(build), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout
    installed = requirement_names(read_lines(str(output)))
    ours = requirement_names(read_lines(os.path.join(ROOT, 'meta', 'ee-requirements.txt')))
    subset = requirement_names(read_lines(os.path.join(ROOT, 'requirements', 'azure.txt')))
    assert ours == {'pywinrm', 'pypsrp', 'regipy'} and ours <= installed
    assert 'azure-mgmt-compute' in subset and subset <= installed
    whole = requirement_names(read_lines(os.path.join(AZCOLLECTION, 'requirements.txt')))
    assert installed - ours - subset == set(), 'more than ours and the subset'
    assert whole - subset, 'azure.azcollection needs no more than the subset: the exclusion is moot'


def test_collection_metadata_names_the_same_dependency_files():
    with open(os.path.join(ROOT, 'meta', 'execution-environment.yml')) as handle:
        meta = yaml.safe_load(handle)
    with open(os.path.join(ROOT, 'execution-environment.yml')) as handle:
        definition = yaml.safe_load(handle)
    assert definition['version'] == 3
    for kind in ('python', 'system'):
        assert os.path.isfile(os.path.join(ROOT, meta['dependencies'][kind]))
    assert definition['dependencies']['system'] == meta['dependencies']['system']
    # The image's Python requirements take the collection's own file in through the build context.
    copied = dict((os.path.basename(item['src']), item['src']) for item in definition['additional_build_files'])
    lines = read_lines(os.path.join(ROOT, definition['dependencies']['python']))
    included = [line.split(None, 1)[1] for line in lines if line.startswith('-r ')]
    assert [copied[os.path.basename(path)] for path in included] == [meta['dependencies']['python'], 'requirements/azure.txt']
