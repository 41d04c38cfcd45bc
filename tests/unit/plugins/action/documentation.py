"""The options a module's documentation declares, its own and those of this collection's doc fragments it extends
(as ansible-doc merges them)."""
import importlib

import yaml

COLLECTION = 'azure_backup.snapshot_doctor'
PACKAGE = 'ansible_collections.azure_backup.snapshot_doctor.plugins.'


def documented_options(module):
    documentation = yaml.safe_load(importlib.import_module(PACKAGE + 'modules.' + module).DOCUMENTATION)
    options = {}
    for fragment in documentation.get('extends_documentation_fragment') or []:
        namespace, _dot, name = fragment.rpartition('.')
        if namespace == COLLECTION:
            text = importlib.import_module(PACKAGE + 'doc_fragments.' + name).ModuleDocFragment.DOCUMENTATION
            options.update(yaml.safe_load(text).get('options') or {})
    options.update(documentation.get('options') or {})
    return options
