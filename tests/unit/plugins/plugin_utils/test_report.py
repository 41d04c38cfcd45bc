# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report renderers: findings.json per checks.md, escaped well-formed HTML, parseable junit."""
from __future__ import absolute_import, division, print_function

import html.parser
import json
import os
import re
import stat
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import CAUSES
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import (
    FINDING_KEYS, make_finding, skip_finding, error_finding)
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import report

__metaclass__ = type

HOSTILE = '<script>alert("x")</script> & | `rm` \x00\x1b'
SAS = 'https://acct.blob.core.windows.net/c/blob?sv=2020&sig=SECRETSIGNATURE123%3D&se=2030'


def _findings_broken():
    return [
        make_finding('platform.azure', 'pass', 'Azure DMI identity'),
        make_finding('connectivity.wireserver', 'fail', 'TCP to 10.0.0.2:32526 timed out',
                     evidence={'port': 32526, 'error': 'timed out'}, remedy='Open port 32526'),
        make_finding('agent.service', 'fail', 'walinuxagent.service is inactive ' + HOSTILE,
                     evidence={'unit': 'walinuxagent.service', 'note': HOSTILE}),
        make_finding('agent.log_errors', 'warn', 'recent errors',
                     evidence={'excerpt': ['ERROR fetching ' + SAS]}),
        error_finding('extension.status', 'permission denied reading 0.status'),
        skip_finding('snapshot.power_state', 'needs the control plane'),
        make_finding('agent.verbose_logging', 'info', 'Logs.Verbose is n'),
    ]


def _report():
    hosts = {
        'vm-b': report.host_entry(_findings_broken(),
                                  {'os': 'linux', 'distribution': 'debian', 'version': '12',
                                   'azure_vm': True}),
        'vm-a': report.host_entry([make_finding('platform.azure', 'pass', 'ok')],
                                  {'os': 'linux', 'distribution': 'debian', 'version': '12',
                                   'azure_vm': True}),
        'vm-down': report.host_entry(reachable=False, error='ssh: connect to host 10.1.1.1 port 22: '
                                                            'No route to host'),
        'win-1': report.host_entry(platform={'os': 'windows'},
                                   error='Windows hosts are not yet supported'),
    }
    return report.build_report(hosts, '1.2.3', generated_at='2026-01-02T03:04:05Z')


def test_json_is_the_contract_of_checks_md():
    document = json.loads(report.render_json(_report()))
    assert document['schema'] == 1
    assert document['collection_version'] == '1.2.3'
    assert document['generated_at'] == '2026-01-02T03:04:05Z'
    assert list(document['hosts']) == ['vm-a', 'vm-b', 'vm-down', 'win-1']
    broken = document['hosts']['vm-b']
    assert broken['reachable'] is True
    assert broken['platform'] == {'os': 'linux', 'distribution': 'debian', 'version': '12',
                                  'azure_vm': True}
    assert 'error' not in broken
    assert [f['check'] for f in broken['findings']][:3] == [
        'platform.azure', 'connectivity.wireserver', 'agent.service']
    for finding in broken['findings']:
        assert tuple(finding) == FINDING_KEYS
    assert broken['findings'][2]['fix'] == 'agent'
    down = document['hosts']['vm-down']
    assert down == {'reachable': False, 'platform': None, 'findings': [],
                    'error': 'ssh: connect to host 10.1.1.1 port 22: No route to host'}


def test_generated_at_defaults_to_utc_now():
    built = report.build_report({}, '0.1.0')
    assert built['generated_at'].endswith('Z') and len(built['generated_at']) == 20


def test_secrets_are_redacted_everywhere():
    built = _report()
    for renderer in report.RENDERERS.values():
        text = renderer(built)
        assert 'SECRETSIGNATURE123' not in text
    excerpt = built['hosts']['vm-b']['findings'][3]['evidence']['excerpt'][0]
    assert 'acct.blob.core.windows.net' in excerpt


class _WellFormed(html.parser.HTMLParser):
    """Fails on a closing tag that does not match the open one; collects text and attributes."""
    VOID = {'meta', 'br', 'hr', 'img', 'input', 'link'}

    def __init__(self):
        html.parser.HTMLParser.__init__(self, convert_charrefs=True)
        self.stack, self.text, self.tags, self.attrs = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, 'unexpected </%s>, open: %s' % (tag, self.stack)
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_well_formed_self_contained_and_escaped():
    page = report.render_html(_report())
    parser = _WellFormed()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    # The hostile text is shown as text, never as markup.
    assert 'script' not in parser.tags
    assert '<script>' not in page
    assert HOSTILE.split(' &', maxsplit=1)[0] in ''.join(parser.text)
    # Self-contained: no external scripts, styles, images or fonts.
    for name, value in parser.attrs:
        assert name != 'src'
        if name == 'href':
            assert (value.startswith('#host-') or value.startswith('#check-')
                    or value.startswith('https://learn.microsoft.com/'))
    assert 'link' not in parser.tags and '@import' not in page and 'url(' not in page


def test_html_matrix_colours_each_cause_by_its_worst_status():
    page = report.render_html(_report())
    matrix = page.split('<table id="matrix">')[1].split('</table>')[0]
    rows = dict((re.search(r'<a href="#host-\d+">([^<]*)</a>', row).group(1), row)
                for row in matrix.split('<tr>')[2:])
    broken = rows['vm-b']
    cells = broken.split('</td>')[1:-1]
    # result column, then one column per cause in catalog order
    assert 's-fail' in cells[0]
    by_cause = dict(zip(CAUSES, cells[1:]))
    assert 's-pass' in by_cause['platform']
    assert 's-fail' in by_cause['connectivity'] and 's-fail' in by_cause['agent']
    assert 's-error' in by_cause['extension']
    assert 's-skip' in by_cause['snapshot']
    assert 'unreachable' in rows['vm-down'] and 'No route to host' in rows['vm-down']
    assert 'not yet supported' in rows['win-1']


def test_html_refuses_non_http_links():
    finding = make_finding('agent.service', 'fail', 'x')
    finding['doc'] = 'javascript:alert(1)'
    built = report.build_report({'h': report.host_entry([finding], {'os': 'linux'})}, '0')
    assert 'javascript:' not in report.render_html(built)


def test_junit_counts_and_parses():
    root = ET.fromstring(report.render_junit(_report()).encode('utf-8'))
    assert root.tag == 'testsuites'
    suites = dict((suite.get('name'), suite) for suite in root)
    broken = suites['vm-b']
    assert (broken.get('tests'), broken.get('failures'), broken.get('errors'),
            broken.get('skipped')) == ('7', '2', '1', '1')
    cases = dict((case.get('name'), case) for case in broken)
    assert cases['agent.service'].find('failure').get('type') == 'agent'
    assert 'Article: https://learn.microsoft.com/' in cases['agent.service'].find('failure').text
    assert cases['extension.status'].find('error') is not None
    assert cases['snapshot.power_state'].find('skipped') is not None
    assert cases['platform.azure'].find('failure') is None
    # unreachable and unsupported hosts are one erroring case each
    assert [case.get('name') for case in suites['vm-down']] == ['reachable']
    assert suites['vm-down'].get('errors') == '1'
    assert [case.get('name') for case in suites['win-1']] == ['diagnosis']
    assert (root.get('tests'), root.get('failures'), root.get('errors'), root.get('skipped')) == (
        '10', '2', '3', '1')


def test_markdown_escapes_table_breaking_text():
    text = report.render_markdown(_report())
    matrix_row = [line for line in text.splitlines() if line.startswith('| vm-b |')][0]
    assert matrix_row.count('|') == len(CAUSES) + 3
    service_row = [line for line in text.splitlines() if line.startswith('| fail | agent.service')][0]
    assert service_row.count('|') - service_row.count('\\|') == 4
    outside_code = ''.join(text.split('```')[0::2])
    assert '<script>' not in outside_code and '\\<script\\>' in outside_code
    assert '**unreachable**: ssh: connect' in text


def test_write_report_modes(tmp_path):
    directory = tmp_path / 'out'
    directory.mkdir(mode=0o755)
    (directory / 'findings.json').write_text('old')
    os.chmod(str(directory / 'findings.json'), 0o644)
    written = report.write_report(str(directory), _report())
    assert [os.path.basename(p) for p in written] == [
        'findings.json', 'report.md', 'report.html', 'junit.xml']
    assert stat.S_IMODE(os.stat(str(directory)).st_mode) == 0o700
    for path in written:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads((directory / 'findings.json').read_text())['schema'] == 1
    assert sorted(os.listdir(str(directory))) == sorted(os.path.basename(p) for p in written)


def test_write_report_creates_nested_directory_and_limits_formats(tmp_path):
    directory = tmp_path / 'a' / 'b'
    written = report.write_report(str(directory), _report(), formats=['junit'])
    assert [os.path.basename(p) for p in written] == ['findings.json', 'junit.xml']
    with pytest.raises(ValueError, match='pdf'):
        report.write_report(str(directory), _report(), formats=['pdf'])


def test_fleet_summary():
    fleet = report.fleet_summary(_report())
    assert fleet['hosts'] == 4 and fleet['unreachable'] == 1 and fleet['undiagnosed'] == 1
    assert fleet['hosts_by_worst']['fail'] == 1 and fleet['hosts_by_worst']['pass'] == 1
    assert fleet['findings']['fail'] == 2 and fleet['findings']['pass'] == 2


def test_collection_version_sources(tmp_path):
    assert report.collection_version() == report.collection_version(report._COLLECTION_ROOT)
    (tmp_path / 'galaxy.yml').write_text('namespace: x\nversion: "2.3.4"  # comment\n')
    assert report.collection_version(str(tmp_path)) == '2.3.4'
    (tmp_path / 'MANIFEST.json').write_text(json.dumps({'collection_info': {'version': '5.6.7'}}))
    assert report.collection_version(str(tmp_path)) == '5.6.7'
    assert report.collection_version(str(tmp_path / 'missing')) is None


def test_collection_version_of_this_tree_matches_galaxy_yml():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))))
    with open(os.path.join(root, 'galaxy.yml')) as handle:
        line = [text for text in handle if text.startswith('version:')][0]
    assert report.collection_version() == line.split(':', 1)[1].strip()


def test_summary_lines():
    assert report.summary_lines(_report()) == [
        'vm-a: pass',
        'vm-b: fail - fail: connectivity.wireserver, agent.service; error: extension.status; '
        'warn: agent.log_errors',
        'vm-down: unreachable (ssh: connect to host 10.1.1.1 port 22: No route to host)',
        'win-1: error (Windows hosts are not yet supported)',
    ]


# -- the fleet layout --------------------------------------------------------------------------

FIXTURE_HOSTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             'fixtures', 'hosts')
LINUX = {'os': 'linux', 'distribution': 'debian', 'version': '12', 'azure_vm': True}


def _fleet():
    """Hosts whose severity order differs from their name order; two share the evidence of a failure."""
    down_finding = make_finding('agent.service', 'fail', 'inactive', evidence={'unit': 'walinuxagent.service'},
                                remedy='Start the agent COMMON-REMEDY')
    hosts = {
        'a-healthy': report.host_entry([make_finding('platform.azure', 'pass', 'ok', evidence={'PASS-EVIDENCE': 1}),
                                        skip_finding('snapshot.power_state', 'control plane')], LINUX),
        'b-warn': report.host_entry([make_finding('agent.autoupdate', 'warn', 'AutoUpdate.Enabled is n')], LINUX),
        'c-fail': report.host_entry([down_finding, make_finding('agent.autoupdate', 'warn', 'n')], LINUX),
        'd-fail': report.host_entry([dict(down_finding)], LINUX),
        'e-fail-own-remedy': report.host_entry([dict(down_finding, remedy='Reinstall OWN-REMEDY',
                                                     evidence={'unit': 'other'})], LINUX),
        'f-info': report.host_entry([make_finding('agent.verbose_logging', 'info', 'Logs.Verbose is n')], LINUX),
        'z-down': report.host_entry(reachable=False, error='no route'),
    }
    return report.build_report(hosts, '1.2.3', generated_at='2026-01-02T03:04:05Z')


def _rows(page, table_id):
    table = page.split('<table id="%s">' % table_id)[1].split('</table>')[0]
    return table.split('<tbody>')[1].split('<tr')[1:]


def test_html_ranks_checks_and_causes_by_hosts_affected_and_hosts_by_severity():
    page = report.render_html(_fleet())
    # The summary tables come before any host's details.
    assert page.index('<table id="causes">') < page.index('<table id="checks">') < page.index(
        '<table id="matrix">') < page.index('<h2>Hosts</h2>')
    causes = [re.search(r'<td>([^<]*)</td>', row).group(1) for row in _rows(page, 'causes')]
    assert causes == ['agent']
    assert '<td class="n">3</td><td class="n">0</td><td class="n">2</td>' in _rows(page, 'causes')[0]
    checks = [re.search(r'id="check-([^"]*)"', row).group(1) for row in _rows(page, 'checks')]
    assert checks == ['agent.service', 'agent.autoupdate', 'agent.verbose_logging']
    hosts = [re.search(r'<a href="#host-\d+">([^<]*)</a>', row).group(1) for row in _rows(page, 'matrix')]
    assert hosts == ['z-down', 'c-fail', 'd-fail', 'e-fail-own-remedy', 'b-warn', 'f-info', 'a-healthy']
    # Every host link leads to that host's details.
    for anchor, name in re.findall(r'<a href="#(host-\d+)">([^<]*)</a>', page):
        assert re.search(r'<h3 id="%s">%s ' % (anchor, re.escape(name)), page)


def test_html_shows_repeated_text_once_and_no_pass_evidence():
    built = _fleet()
    page = report.render_html(built)
    assert 'PASS-EVIDENCE' not in page and 'PASS-EVIDENCE' in report.render_json(built)
    assert 'pass (1): platform.azure' in page and 'skip (1): snapshot.power_state' in page
    # The remedy most hosts share is in the checks table once; a host's own one stays with the host.
    assert page.count('COMMON-REMEDY') == 1
    assert page.count('OWN-REMEDY') == 1
    # The same evidence of the same check: shown once, then a link to the host that shows it.
    assert page.count('&quot;unit&quot;: &quot;walinuxagent.service&quot;') == 1
    assert 'Evidence: as on <a href="#host-1">c-fail</a>' in page


def test_markdown_summary_first_then_only_hosts_with_problems():
    text = report.render_markdown(_fleet())
    headings = [line for line in text.splitlines() if line.startswith('## ')]
    assert headings == ['## Causes by hosts affected', '## Checks by hosts affected', '## Fleet (hosts by severity)',
                        '## z-down', '## c-fail', '## d-fail', '## e-fail-own-remedy', '## b-warn', '## Other hosts']
    assert [line.split(' | ')[0] for line in text.splitlines() if line.startswith('| agent.')] == [
        '| agent.service', '| agent.autoupdate', '| agent.verbose\\_logging']
    assert '2 host(s) have no failing' in text
    assert text.count('Remedy: ') == 1 and 'Remedy: Reinstall OWN-REMEDY' in text


@pytest.mark.parametrize('built', [_report(), _fleet(), report.build_report({}, '0', '2026-01-02T03:04:05Z')])
def test_json_layout_round_trips(built):
    text = report.render_json(built)
    assert json.loads(text) == json.loads(json.dumps(built, default=str))
    # One finding per line.
    findings = sum(len(entry['findings']) for entry in built['hosts'].values())
    assert len([line for line in text.splitlines() if line.startswith('      {"check": ')]) == findings


def test_fleet_of_1000_recorded_hosts_stays_within_the_size_budget():
    """1000 hosts from the recorded lab guests (every 20th unreachable): report.html under 3 MB,
    report.md under 2 MB (a page of 25 rows per host with every evidence was 17 MB)."""
    from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import evaluate
    guests = []
    for name in sorted(os.listdir(FIXTURE_HOSTS)):
        if name.startswith('lab-') and name.endswith('.json'):
            with open(os.path.join(FIXTURE_HOSTS, name)) as handle:
                guests.append(evaluate(json.load(handle), {'assume_azure': True}))
    hosts = {}
    for index in range(1000):
        if index % 20 == 7:
            hosts['vm-%04d' % index] = report.host_entry(reachable=False, error='ssh: connect timed out')
        else:
            hosts['vm-%04d' % index] = report.host_entry(guests[index % len(guests)], LINUX)
    built = report.build_report(hosts, '1.2.3')
    page = report.render_html(built)
    assert len(page.encode('utf-8')) < 3 * 1000 * 1000
    assert len(report.render_markdown(built).encode('utf-8')) < 2 * 1000 * 1000
    assert page.count('<section>') == 1000


def test_checks_table_takes_fix_and_article_from_the_worst_finding():
    info = make_finding('agent.log_errors', 'info', 'seen first')
    warn = make_finding('agent.log_errors', 'warn', 'recent errors')
    assert info['fix'] is None and warn['fix'] == 'collect_logs'
    built = report.build_report({'a': report.host_entry([info], LINUX), 'b': report.host_entry([warn], LINUX)}, '0')
    row = _rows(report.render_html(built), 'checks')[0]
    assert 'azure_backup.snapshot_doctor.collect_logs' in row
    # The warning host's finding then needs no remedy of its own.
    assert report.render_html(built).count('azure_backup.snapshot_doctor.collect_logs') == 1


def test_checks_table_shows_a_remedy_even_when_most_findings_have_none():
    quiet = [make_finding('connectivity.proxy', 'info', 'no proxy') for _host in range(3)]
    assert all(not finding['remedy'] for finding in quiet)
    broken = make_finding('connectivity.proxy', 'fail', 'proxy down', remedy='Start the proxy')
    hosts = dict(('h%d' % index, report.host_entry([finding], LINUX)) for index, finding in enumerate(quiet + [broken]))
    page = report.render_html(report.build_report(hosts, '0'))
    assert 'Start the proxy' in _rows(page, 'checks')[0] and page.count('Start the proxy') == 1
