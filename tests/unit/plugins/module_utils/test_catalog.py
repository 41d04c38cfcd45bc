# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalog is the contract of checks.md: ids, order, causes, fix roles, severity rules."""
from __future__ import absolute_import, division, print_function

import re

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import catalog
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import (
    ARTICLE_URL, CAUSES, CHECKS, VMS_ARTICLE_URL, checks_for, get_check)

__metaclass__ = type

# The ids of checks.md, in its order. Ids are stable: a rename must break this test.
SPEC_IDS = (
    'platform.azure', 'platform.tls',
    'connectivity.wireserver', 'connectivity.imds', 'connectivity.https', 'connectivity.dns',
    'connectivity.proxy', 'connectivity.route', 'connectivity.firewall', 'connectivity.nsg',
    'agent.installed', 'agent.version', 'agent.service', 'agent.process', 'agent.autorestart',
    'agent.crashes', 'agent.certificate',
    'agent.extensions_enabled', 'agent.autoupdate', 'agent.verbose_logging', 'agent.log_errors',
    'agent.azure_status',
    'extension.installed', 'extension.version', 'extension.status', 'extension.stale',
    'extension.provider_service', 'extension.blocked', 'extension.provisioning',
    'snapshot.load', 'snapshot.dhcp', 'snapshot.sql_vss', 'snapshot.vss', 'snapshot.power_state',
    'snapshot.schedule',
    'backup.last_job', 'backup.restore_points',
)
CONTROL_PLANE_IDS = {'connectivity.nsg', 'agent.azure_status', 'extension.provisioning', 'snapshot.power_state',
                     'snapshot.schedule', 'backup.last_job', 'backup.restore_points'}


def test_catalog_lists_every_check_of_the_spec_in_order():
    assert tuple(check.id for check in CHECKS) == SPEC_IDS


def test_causes_are_in_report_order_and_checks_are_grouped_by_cause():
    assert CAUSES == ('platform', 'connectivity', 'agent', 'extension', 'snapshot', 'backup')
    for check in CHECKS:
        assert check.id.split('.')[0] == check.cause
    order = [CAUSES.index(check.cause) for check in CHECKS]
    assert order == sorted(order)


@pytest.mark.parametrize('check_id, role', [
    ('platform.azure', None),
    ('connectivity.wireserver', 'connectivity'), ('connectivity.firewall', 'connectivity'),
    ('agent.service', 'agent'), ('agent.autoupdate', 'agent'), ('agent.log_errors', 'collect_logs'),
    ('extension.status', 'extension'), ('extension.provider_service', 'extension'),
    ('snapshot.dhcp', 'snapshot'), ('snapshot.sql_vss', 'snapshot'),
    ('snapshot.load', None), ('snapshot.power_state', None), ('snapshot.schedule', None),
])
def test_fix_roles(check_id, role):
    assert get_check(check_id).fix == role


def test_fix_roles_follow_the_cause_except_documented_exceptions():
    exceptions = {'agent.log_errors': 'collect_logs', 'platform.azure': None, 'snapshot.load': None,
                  # Windows: a person changes the .NET registry or the AppLocker/antivirus policy.
                  'platform.tls': None, 'extension.blocked': None}
    # What Azure says: no guest role changes it (a person, or Azure's own modules, act).
    exceptions.update(dict((check_id, None) for check_id in CONTROL_PLANE_IDS))
    for check in CHECKS:
        assert check.fix == exceptions.get(check.id, check.cause), check.id


@pytest.mark.parametrize('check_id, allowed', [
    # checks.md: imds can only warn; autoupdate=n is a warn; an absent extension is info;
    # verbose logging is info only; log errors are info or warn; stale handlers are a warn.
    ('connectivity.imds', {'pass', 'warn'}),
    ('agent.autoupdate', {'pass', 'warn'}),
    ('agent.verbose_logging', {'info'}),
    ('agent.log_errors', {'pass', 'info', 'warn'}),
    ('extension.installed', {'pass', 'info'}),
    ('extension.stale', {'pass', 'warn'}),
    ('extension.status', {'pass', 'info', 'warn', 'fail'}),
    ('agent.extensions_enabled', {'pass', 'fail'}),
])
def test_severity_rules(check_id, allowed):
    check = get_check(check_id)
    assert set(check.rules) == allowed
    for status in ('fail', 'warn', 'info', 'pass'):
        assert check.can_be(status) == (status in allowed)
    # every check may be skipped or fail to be determined
    assert check.can_be('error') and check.can_be('skip')


def test_rules_use_real_statuses_with_one_line_meanings():
    for check in CHECKS:
        assert check.rules, check.id
        for status, meaning in check.rules.items():
            assert status in ('fail', 'warn', 'info', 'pass'), (check.id, status)
            assert meaning and '\n' not in meaning


def test_platforms_and_scopes():
    windows_only = {c.id for c in CHECKS if c.platforms == ('windows',)}
    assert windows_only == {'extension.provider_service', 'snapshot.sql_vss', 'platform.tls', 'agent.crashes',
                            'agent.certificate', 'extension.blocked', 'snapshot.vss'}
    control_plane = {c.id for c in CHECKS if c.scope == 'control_plane'}
    assert control_plane == CONTROL_PLANE_IDS
    assert all(get_check(check_id).platforms == ('linux', 'windows') for check_id in CONTROL_PLANE_IDS)
    for check in CHECKS:
        assert set(check.platforms) <= {'linux', 'windows'} and check.platforms
        assert check.scope in ('guest', 'control_plane')


# The article's explicit anchors (backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout.md, 11/2025).
EXPLICIT_ANCHORS = ('UserErrorGuestAgentStatusUnavailable-vm-agent-unable-to-communicate-with-azure-backup',
                    'ExtensionSnapshotFailedNoNetwork-snapshot-operation-failed-due-to-no-network-connectivity-on-the-'
                    'virtual-machine')


def test_doc_links_point_at_sections_of_the_current_articles():
    for check in CHECKS:
        assert check.doc.startswith((ARTICLE_URL + '#', VMS_ARTICLE_URL + '#')), check.id
        anchor = check.doc.split('#', 1)[1]
        # Generated heading anchors are lower case; an explicit <a name> keeps Microsoft's case.
        assert re.match(r'^[a-z0-9-]+$', anchor) or anchor in EXPLICIT_ANCHORS, check.doc
    assert get_check('agent.extensions_enabled').doc.endswith(
        '#vm-agent-configuration-options-are-not-set-for-linux-vms')
    assert get_check('snapshot.sql_vss').doc == VMS_ARTICLE_URL + '#troubleshoot-vm-snapshot-issues'


def test_titles_are_unique_single_lines():
    titles = [check.title for check in CHECKS]
    assert len(set(titles)) == len(titles)
    assert all('\n' not in title for title in titles)


def test_get_check_unknown_id_names_it():
    with pytest.raises(KeyError, match='agent.nope'):
        get_check('agent.nope')
    with pytest.raises(KeyError):
        get_check(None)
    with pytest.raises(KeyError):
        get_check(['agent.service'])


def test_checks_for_filters():
    assert checks_for() == CHECKS
    linux = checks_for(platform='linux')
    assert 'snapshot.sql_vss' not in [c.id for c in linux]
    assert 'agent.process' in [c.id for c in linux]
    windows = [c.id for c in checks_for(platform='windows')]
    assert 'agent.process' not in windows and 'extension.provider_service' in windows
    assert [c.id for c in checks_for(cause='platform')] == ['platform.azure', 'platform.tls']
    guest_snapshot = [c.id for c in checks_for(platform='linux', cause='snapshot', scope='guest')]
    assert guest_snapshot == ['snapshot.load', 'snapshot.dhcp']


@pytest.mark.parametrize('kwargs', [{'platform': 'macos'}, {'cause': 'disk'}, {'scope': 'cloud'}])
def test_checks_for_rejects_unknown_filters(kwargs):
    with pytest.raises(ValueError, match='unknown'):
        checks_for(**kwargs)


def test_catalog_module_is_pure_python():
    source = open(catalog.__file__).read()
    assert 'import ansible' not in source and 'from ansible.' not in source


def test_as_dict_is_json_ready_and_a_copy():
    import json
    check = get_check('agent.autoupdate')
    row = check.as_dict()
    assert json.loads(json.dumps(row)) == row
    assert row == {'id': 'agent.autoupdate', 'cause': 'agent', 'title': check.title, 'platforms': ['linux'],
                   'scope': 'guest', 'fix': 'agent', 'doc': check.doc, 'rules': check.rules}
    row['rules']['fail'] = 'tampered'
    assert 'fail' not in get_check('agent.autoupdate').rules


def test_error_codes_cover_the_documented_codes_and_name_real_checks():
    documented = {'GuestAgentSnapshotTaskStatusError', 'UserErrorGuestAgentStatusUnavailable',
                  'UserErrorVmProvisioningStateFailed', 'ExtensionSnapshotFailedNoNetwork',
                  'ExtensionOperationFailedForManagedDisks', 'BackUpOperationFailed', 'BackUpOperationFailedV2',
                  'UserErrorRpCollectionLimitReached', 'UserErrorFsFreezeFailed', 'ExtensionFailedVssWriterInBadState',
                  'ExtensionSnapshotFailedNoSecureNetwork', 'UserErrorRequestDisallowedByPolicy',
                  'ExtensionFailedTimeoutVMNetworkUnresponsive'}
    assert documented <= set(catalog.ERROR_CODES)
    for code, entry in catalog.ERROR_CODES.items():
        assert entry.message and '\n' not in entry.message, code
        assert len(set(entry.checks)) == len(entry.checks), code
        for check_id in entry.checks:
            get_check(check_id)
    assert catalog.error_code_checks('UserErrorRpCollectionLimitReached') == ('backup.restore_points',)
    assert 'connectivity.nsg' in catalog.error_code_checks('ExtensionSnapshotFailedNoNetwork')
    assert catalog.error_code_checks('NoSuchCode') == ()


def test_control_plane_checks_link_the_sections_of_their_error_codes():
    assert get_check('agent.azure_status').doc.endswith('#' + EXPLICIT_ANCHORS[0])
    assert get_check('connectivity.nsg').doc.endswith('#' + EXPLICIT_ANCHORS[1])
    assert get_check('backup.restore_points').doc == (
        ARTICLE_URL + '#usererrorrpcollectionlimitreached---the-restore-point-collection-max-limit-has-reached')
