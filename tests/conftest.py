"""Make the working tree importable as ansible_collections.azure_backup.snapshot_doctor.

The Makefile links .build/collections/ansible_collections/azure_backup/snapshot_doctor to the
repository root; putting .build/collections on sys.path lets tests import the collection the way
Ansible does, without installing it.
"""
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_COLLECTIONS = os.path.join(_ROOT, ".build", "collections")
_LINK = os.path.join(_COLLECTIONS, "ansible_collections", "azure_backup", "snapshot_doctor")

if not os.path.exists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(os.path.relpath(_ROOT, os.path.dirname(_LINK)), _LINK)
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
