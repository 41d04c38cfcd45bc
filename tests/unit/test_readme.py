"""The README's table of checks is generated from the catalog and must not drift from it."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "docs"))

import checks_table  # noqa: E402


def test_readme_checks_table_matches_the_catalog():
    with open(os.path.join(ROOT, "README.md")) as handle:
        current = checks_table.readme_table(handle.read())
    assert current is not None, "README.md lost its checks-table markers"
    assert current == checks_table.render(), "README.md is stale: run python3 docs/checks_table.py --write"


def test_every_catalog_check_has_a_row():
    from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import CHECKS
    rows = checks_table.render().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == [check.id for check in CHECKS]
