# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: findings.json (the contract of checks.md), report.md, report.html, junit.xml.

Pure Python (no Ansible import), run on the controller only, by the ``diagnose_report`` action. Every
renderer takes the report dict built by ``build_report`` and returns text; ``write_report`` writes
all of them, mode 0600, into a 0700 directory.

Host entries follow checks.md: ``{"reachable", "platform", "findings"}``; a host that could not
be diagnosed (unreachable, unsupported OS) also carries ``"error"``: the reason, as one line.
"""
from __future__ import absolute_import, division, print_function

import datetime
import functools
import html
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import CAUSES
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import (
    STATUSES, summarize, worst)
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.redact import redact, redact_tree

__metaclass__ = type

SCHEMA_VERSION = 1

# Renderer name -> file name in the report directory.
REPORT_FILES = (
    ('json', 'findings.json'),
    ('markdown', 'report.md'),
    ('html', 'report.html'),
    ('junit', 'junit.xml'),
)
FILE_MODE = 0o600
DIR_MODE = 0o700

# Colours of the HTML matrix, one per status (plus an unreachable host).
_COLOURS = {
    'fail': '#d93025', 'error': '#8e24aa', 'warn': '#f29900', 'info': '#1a73e8',
    'pass': '#188038', 'skip': '#9aa0a6', 'unreachable': '#3c4043',
}

# Characters XML 1.0 cannot carry at all (ElementTree would write them and produce a broken file).
_XML_INVALID = re.compile(u'[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


# -- the collection's version ----------------------------------------------------------------

_COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_GALAXY_VERSION = re.compile(r'^version:\s*["\']?([^"\'\s#]+)')


def collection_version(root=_COLLECTION_ROOT):
    """The version of this collection: MANIFEST.json when installed, galaxy.yml in a source tree.

    galaxy.yml is read for its top-level ``version:`` line only, to stay free of a YAML parser.
    Returns None when neither file says.
    """
    try:
        with open(os.path.join(root, 'MANIFEST.json'), encoding='utf-8') as handle:
            return str(json.load(handle)['collection_info']['version'])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(os.path.join(root, 'galaxy.yml'), encoding='utf-8') as handle:
            for line in handle:
                match = _GALAXY_VERSION.match(line)
                if match:
                    return match.group(1)
    except OSError:
        pass
    return None


# -- building the report ---------------------------------------------------------------------

# The same texts recur on most hosts of a fleet (summaries, remedies, paths, agent log lines):
# each distinct short text is redacted once. Bounded, so a large fleet cannot grow it without limit.
_REDACT_CACHE_SIZE = 16384
_REDACT_CACHE_MAX_CHARS = 2048


@functools.lru_cache(maxsize=_REDACT_CACHE_SIZE)
def _redact_cached(text):
    return redact(text)


def _redact_text(text):
    """redact, cached for the short texts that recur across hosts."""
    if isinstance(text, str) and len(text) <= _REDACT_CACHE_MAX_CHARS:
        return _redact_cached(text)
    return redact(text)


def redact_findings(findings):
    """Findings with every summary, evidence and remedy string redacted; returns (findings, count)."""
    return redact_tree(list(findings), _redact_text)


def host_entry(findings=None, platform=None, reachable=True, error=None):
    """One host of the report: its findings (redacted); a host the guest diagnosis could not cover also an error
    (its findings, if any, are what Azure says about it)."""
    entry = {
        'reachable': bool(reachable),
        'platform': platform,
        'findings': redact_findings(findings or [])[0],
    }
    if error:
        entry['error'] = redact(' '.join(str(error).split()))[0]
    return entry


def entry_from_result(result):
    """The host entry for one host's registered ``diagnose`` result (any outcome of the task)."""
    if not isinstance(result, dict) or not result:
        return host_entry(reachable=True, error='no diagnosis result for this host')
    if result.get('unreachable'):
        return host_entry(reachable=False, error=result.get('msg') or 'host unreachable')
    if result.get('skipped'):
        return host_entry(platform=result.get('platform'),
                          error='diagnosis skipped: %s' % (result.get('skip_reason') or 'condition false'))
    if result.get('failed') or not isinstance(result.get('findings'), list):
        return host_entry(platform=result.get('platform'),
                          error=result.get('msg') or 'the diagnosis returned no findings')
    return host_entry(result['findings'], result.get('platform'))


def build_report(hosts, collection_version, generated_at=None):
    """The findings.json document: ``hosts`` maps inventory_hostname -> host_entry(...)."""
    if generated_at is None:
        generated_at = datetime.datetime.now(datetime.timezone.utc)
    if isinstance(generated_at, datetime.datetime):
        generated_at = generated_at.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    return {
        'schema': SCHEMA_VERSION,
        'generated_at': generated_at,
        'collection_version': collection_version,
        'hosts': dict((name, hosts[name]) for name in sorted(hosts)),
    }


def host_summary(entry):
    """The summary of one host entry (see findings.summarize); None for a host without findings."""
    if not entry.get('reachable') or entry.get('error'):
        return None
    return summarize(entry.get('findings') or [])


def fleet_summary(report):
    """Counts over the fleet: hosts, unreachable, hosts per worst status, findings per status."""
    worst_counts = dict((status, 0) for status in STATUSES)
    finding_counts = dict((status, 0) for status in STATUSES)
    unreachable = undiagnosed = 0
    for entry in report['hosts'].values():
        if not entry.get('reachable'):
            unreachable += 1
            continue
        summary = host_summary(entry)
        if summary is None:
            undiagnosed += 1
            continue
        worst_counts[summary['worst']] += 1
        for status, count in summary['counts'].items():
            finding_counts[status] += count
    return {
        'hosts': len(report['hosts']),
        'unreachable': unreachable,
        'undiagnosed': undiagnosed,
        'hosts_by_worst': worst_counts,
        'findings': finding_counts,
    }


def summary_lines(report):
    """One line per host for a terminal: its state and the checks that fail, error or warn."""
    lines = []
    for name, entry in report['hosts'].items():
        state = _host_state(entry)
        if state in ('unreachable', 'error'):
            lines.append('%s: %s (%s)' % (name, state, entry.get('error') or 'no diagnosis'))
            continue
        details = []
        for status in ('fail', 'error', 'warn'):
            checks = [f['check'] for f in entry.get('findings') or [] if f['status'] == status]
            if checks:
                details.append('%s: %s' % (status, ', '.join(checks)))
        lines.append('%s: %s%s' % (name, state, ' - ' + '; '.join(details) if details else ''))
    return lines


def _host_state(entry):
    """'unreachable', 'error' (diagnosis impossible) or the host's worst status."""
    if not entry.get('reachable'):
        return 'unreachable'
    if entry.get('error'):
        return 'error'
    return worst(f['status'] for f in entry.get('findings') or [])


def _cause_status(entry, cause):
    """Worst status of one cause on a host; None where the host has no finding of that cause."""
    statuses = [f['status'] for f in entry.get('findings') or [] if f.get('cause') == cause]
    return worst(statuses) if statuses else None


def _platform_text(platform):
    if not platform:
        return ''
    parts = [platform.get('os'), platform.get('distribution'), platform.get('version')]
    text = ' '.join(str(p) for p in parts if p)
    if platform.get('azure_vm') is not None:
        text += ' (Azure VM)' if platform.get('azure_vm') else ' (not an Azure VM)'
    return text


def _evidence_text(evidence):
    return json.dumps(evidence, indent=2, sort_keys=True, ensure_ascii=False, default=str)


# -- what the fleet views share ----------------------------------------------------------------

# Hosts by severity: unreachable, then the worst status (an undiagnosed host counts as 'error').
_STATE_ORDER = ('unreachable',) + STATUSES
_PROBLEMS = ('fail', 'error', 'warn')
# The statuses whose findings the HTML and Markdown show one by one (pass and skip are only named).
_SHOWN = _PROBLEMS + ('info',)


def _problem_checks(entry):
    """The host's (status, check) pairs that fail, error or warn, worst first."""
    findings = entry.get('findings') or []
    return [(status, f['check']) for status in _PROBLEMS for f in findings if f['status'] == status]


def _hosts_by_severity(report):
    """(name, entry, state) of every host: unreachable first, then by worst status, most problems, name."""
    rows = []
    for name, entry in report['hosts'].items():
        state = _host_state(entry)
        rows.append((_STATE_ORDER.index(state), -len(_problem_checks(entry)), name, entry, state))
    rows.sort(key=lambda row: row[:3])
    return [(name, entry, state) for _rank, _count, name, entry, state in rows]


def _ranking(report):
    """The causes that fail, error or warn somewhere and the checks that are not pass or skip somewhere,
    ranked by the hosts they affect (fail, then error, warn, info).

    Returns (causes, checks): causes are (cause, {status: host count}); checks are (check, cause,
    {status: [host names]}, a finding of the check carrying the remedy most of its hosts share).
    """
    checks = {}
    causes = dict((cause, dict((status, set()) for status in _PROBLEMS)) for cause in CAUSES)
    for name, entry in report['hosts'].items():
        for finding in entry.get('findings') or []:
            status = finding['status']
            if status not in _SHOWN:
                continue
            check = checks.setdefault(finding['check'], {
                'cause': finding.get('cause'), 'hosts': dict((s, []) for s in _SHOWN), 'remedies': {},
                'first': finding})
            check['hosts'][status].append(name)
            # The check's row shows the fix role and article of its worst finding (info carries no fix).
            if _SHOWN.index(status) < _SHOWN.index(check['first']['status']):
                check['first'] = finding
            if finding.get('remedy'):
                check['remedies'][finding['remedy']] = check['remedies'].get(finding['remedy'], 0) + 1
            if status in _PROBLEMS:
                causes.setdefault(finding.get('cause'), dict((s, set()) for s in _PROBLEMS))[status].add(name)

    def severity(counts):
        return tuple(-counts.get(status, 0) for status in _SHOWN)

    cause_rows = [(cause, dict((s, len(hosts[s])) for s in _PROBLEMS)) for cause, hosts in causes.items()]
    cause_rows = [row for row in cause_rows if any(row[1].values())]
    cause_rows.sort(key=lambda row: severity(row[1]))
    check_rows = []
    for check_id, check in checks.items():
        # The remedy most of its hosts share is shown once, with the check; a host's own differing one stays with it.
        remedy = max(check['remedies'].items(), key=lambda item: item[1])[0] if check['remedies'] else None
        check_rows.append((check_id, check['cause'], check['hosts'], dict(check['first'], remedy=remedy)))
    check_rows.sort(key=lambda row: (severity(dict((s, len(row[2][s])) for s in _SHOWN)), row[0]))
    return cause_rows, check_rows


# -- findings.json ---------------------------------------------------------------------------

def _json(value):
    return json.dumps(value, ensure_ascii=False, default=str)


def render_json(report):
    """The contract, one finding per line: readable, diffable and grep-able, and written by the
    C encoder (json.dumps with ``indent`` runs the pure-Python one, the slowest part at 1000 hosts)."""
    lines = ['{']
    for key, value in report.items():
        if key != 'hosts':
            lines.append('  %s: %s,' % (_json(key), _json(value)))
    lines.append('  "hosts": {')
    names = list(report['hosts'])
    for position, name in enumerate(names):
        entry = report['hosts'][name]
        head = ', '.join('%s: %s' % (_json(key), _json(value)) for key, value in entry.items() if key != 'findings')
        findings = entry.get('findings') or []
        lines.append('    %s: {%s, "findings": [%s' % (_json(name), head, '' if findings else ']}'))
        for index, finding in enumerate(findings):
            lines.append('      %s%s' % (_json(finding), ',' if index < len(findings) - 1 else ']}'))
        if position < len(names) - 1:
            lines[-1] += ','
    lines += ['  }', '}']
    return '\n'.join(lines) + '\n'


# -- report.md -------------------------------------------------------------------------------

# Enough to keep host text from becoming markup: no emphasis, code, links, HTML or table cells.
_MD_SPECIAL = re.compile(r'([\\`*_{}\[\]<>|~])')


def _md(text):
    """Escape Markdown (and inline HTML) so host data shows as text, one line."""
    return _MD_SPECIAL.sub(r'\\\1', ' '.join(str(text).split()))


def _md_code_block(text):
    fence = '```'
    while fence in text:
        fence += '`'
    return '%s\n%s\n%s' % (fence, text, fence)


def _md_link(url):
    """An autolink; nothing that could end it or a table cell."""
    return '<%s>' % str(url).replace('>', '%3E').replace('|', '%7C').replace(' ', '%20') if url else ''


def render_markdown(report):
    """Summary tables first (causes and checks by hosts affected, hosts by severity), then the details
    of the hosts that fail, error, warn or could not be diagnosed; findings.json has every finding."""
    fleet = fleet_summary(report)
    cause_rows, check_rows = _ranking(report)
    hosts = _hosts_by_severity(report)
    lines = [
        '# snapshot_doctor report',
        '',
        'Generated %s by azure_backup.snapshot_doctor %s. Hosts: %d, unreachable: %d.'
        % (_md(report['generated_at']), _md(report['collection_version']), fleet['hosts'],
           fleet['unreachable']),
        '',
        '## Causes by hosts affected',
        '',
        '| cause | hosts fail | hosts error | hosts warn |',
        '| --- | --- | --- | --- |',
    ]
    lines += ['| %s | %d | %d | %d |' % ((_md(cause),) + tuple(counts[s] for s in _PROBLEMS))
              for cause, counts in cause_rows]
    lines += ['', '## Checks by hosts affected', '',
              '| check | cause | hosts fail | hosts error | hosts warn | hosts info | remedy | fix role | article |',
              '| --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    lines += ['| %s | %s | %d | %d | %d | %d | %s | %s | %s |' % (
        (_md(check_id), _md(cause)) + tuple(len(names[s]) for s in _SHOWN)
        + (_md(common.get('remedy') or ''), _md(common.get('fix') or ''), _md_link(common.get('doc'))))
        for check_id, cause, names, common in check_rows]
    lines += [
        '',
        '## Fleet (hosts by severity)',
        '',
        '| host | result | ' + ' | '.join(CAUSES) + ' |',
        '| --- | --- | ' + ' | '.join('---' for cause in CAUSES) + ' |',
    ]
    for name, entry, state in hosts:
        cells = [_cause_status(entry, cause) or '' for cause in CAUSES]
        lines.append('| %s | %s | %s |' % (_md(name), state, ' | '.join(cells)))
    common = dict((check_id, row_common) for check_id, _cause, _names, row_common in check_rows)
    quiet = 0
    for name, entry, state in hosts:
        if state not in _STATE_ORDER[:4]:
            quiet += 1
            continue
        lines += ['', '## %s' % _md(name), '']
        if not entry.get('reachable') or entry.get('error'):
            lines.append('**%s**: %s' % (state, _md(entry.get('error') or 'no diagnosis')))
            if not entry.get('findings'):
                continue
            lines.append('')
        lines += ['Platform: %s' % _md(_platform_text(entry.get('platform'))), '',
                  '| status | check | summary |', '| --- | --- | --- |']
        shown = [f for f in entry.get('findings') or [] if f['status'] in _SHOWN]
        for finding in shown:
            lines.append('| %s | %s | %s |' % (finding['status'], _md(finding['check']),
                                               _md(finding.get('summary', ''))))
        # The problems' evidence, and their remedy where it is not the one the checks table shows.
        for finding in shown:
            if finding['status'] not in _PROBLEMS:
                continue
            lines += ['', '### %s: %s' % (finding['status'], _md(finding['check'])), '',
                      _md(finding.get('summary', ''))]
            check = common.get(finding['check']) or {}
            if finding.get('remedy') and finding['remedy'] != check.get('remedy'):
                lines += ['', 'Remedy: %s' % _md(finding['remedy'])]
            if finding.get('fix') and finding['fix'] != check.get('fix'):
                lines += ['', 'Fix role: `azure_backup.snapshot_doctor.%s`' % finding['fix']]
            if finding.get('doc') and finding['doc'] != check.get('doc'):
                lines += ['', 'Article: %s' % _md_link(finding['doc'])]
            if finding.get('evidence'):
                lines += ['', _md_code_block(_evidence_text(finding['evidence']))]
    if quiet:
        lines += ['', '## Other hosts', '',
                  '%d host(s) have no failing, erroring or warning check: the fleet table lists them, '
                  'findings.json has their findings.' % quiet]
    return '\n'.join(lines) + '\n'


# -- report.html -----------------------------------------------------------------------------

def _h(text):
    return html.escape(str(text), quote=True)


def _safe_link(url):
    """Only http(s) links are rendered as links (no javascript: or data: from host data)."""
    url = str(url or '')
    return url if re.match(r'^https?://', url, re.IGNORECASE) else None


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#202124}
table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #dadce0;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f1f3f4}
.st{color:#fff;font-weight:600;text-align:center}
.none{color:#9aa0a6;text-align:center}
.n{text-align:right}
pre{background:#f8f9fa;padding:.5rem;overflow:auto;max-height:24rem;white-space:pre-wrap}
details{margin:.3rem 0 .3rem 1rem}
summary{cursor:pointer}
section{content-visibility:auto;contain-intrinsic-size:auto 12rem}
""" + ''.join('.s-%s{background:%s}\n' % (status, colour) for status, colour in sorted(_COLOURS.items()))


def _status_cell(status, label=None):
    if status is None:
        return '<td class="none">-</td>'
    return '<td class="st s-%s">%s</td>' % (_h(status), _h(label or status))


def _check_anchor(check_id):
    return 'check-' + re.sub(r'[^A-Za-z0-9_.-]', '-', str(check_id))


def render_html(report):
    """One self-contained page, no script: the causes and checks ranked by the hosts they affect, the
    hosts by severity, then each host (its failing, erroring, warning and info findings with evidence;
    its pass and skip findings in one collapsed table, without evidence: findings.json has it)."""
    fleet = fleet_summary(report)
    cause_rows, check_rows = _ranking(report)
    hosts = _hosts_by_severity(report)
    anchors = dict((name, 'host-%d' % index) for index, (name, _entry, _state) in enumerate(hosts))
    worst_counts = ', '.join('%s %d' % (status, count) for status, count in fleet['hosts_by_worst'].items() if count)
    out = [
        '<!DOCTYPE html>',
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>snapshot_doctor report</title>',
        '<style>%s</style>' % _CSS,
        '</head><body>',
        '<h1>snapshot_doctor report</h1>',
        '<p>Generated %s by azure_backup.snapshot_doctor %s. Hosts: %d, unreachable: %d.</p>'
        % (_h(report['generated_at']), _h(report['collection_version']), fleet['hosts'],
           fleet['unreachable']),
        '<p>Hosts by worst status: %s; not diagnosed: %d.</p>' % (_h(worst_counts or 'none'), fleet['undiagnosed']),
        '<h2>Causes by hosts affected</h2>',
        '<table id="causes"><thead><tr><th>cause</th><th>hosts fail</th><th>hosts error</th>'
        '<th>hosts warn</th></tr></thead><tbody>',
    ]
    for cause, counts in cause_rows:
        out.append('<tr><td>%s</td>%s</tr>' % (_h(cause), ''.join(
            '<td class="n">%d</td>' % counts[status] for status in _PROBLEMS)))
    out += ['</tbody></table>', '<h2>Checks by hosts affected</h2>',
            '<table id="checks"><thead><tr><th>check</th><th>cause</th><th>hosts fail</th><th>hosts error</th>'
            '<th>hosts warn</th><th>hosts info</th><th>remedy</th><th>hosts</th></tr></thead><tbody>']
    for check_id, cause, names, common in check_rows:
        affected = [name for status in _SHOWN for name in names[status]]
        links = ' '.join('<a href="#%s">%s</a>' % (anchors[name], _h(name)) for name in affected)
        out.append('<tr id="%s"><td>%s</td><td>%s</td>%s<td>%s</td><td><details><summary>%d host(s)</summary>'
                   '%s</details></td></tr>' % (
                       _h(_check_anchor(check_id)), _h(check_id), _h(cause or ''),
                       ''.join('<td class="n">%d</td>' % len(names[status]) for status in _SHOWN),
                       _remedy_html(common), len(affected), links))
    out += ['</tbody></table>', '<h2>Hosts by severity</h2>',
            '<table id="matrix"><thead><tr><th>host</th><th>result</th>%s<th>failing, erroring, warning checks</th>'
            '</tr></thead><tbody>' % ''.join('<th>%s</th>' % _h(cause) for cause in CAUSES)]
    for name, entry, state in hosts:
        row = '<tr><td><a href="#%s">%s</a></td>%s' % (anchors[name], _h(name), _status_cell(state))
        if state in ('unreachable', 'error') and (entry.get('error') or not entry.get('reachable')) \
                and not entry.get('findings'):
            row += '<td colspan="%d">%s</td>' % (len(CAUSES) + 1, _h(entry.get('error') or ''))
        else:
            row += ''.join(_status_cell(_cause_status(entry, cause)) for cause in CAUSES)
            row += '<td>%s</td>' % ' '.join('<span class="st s-%s">%s</span>' % (status, _h(check))
                                            for status, check in _problem_checks(entry))
        out.append(row + '</tr>')
    out.append('</tbody></table>')

    common = dict((check_id, row_common) for check_id, _cause, _names, row_common in check_rows)
    evidence_seen = {}
    out.append('<h2>Hosts</h2>')
    for name, entry, state in hosts:
        out.append('<section><h3 id="%s">%s <span class="st s-%s">%s</span></h3>'
                   % (anchors[name], _h(name), _h(state), _h(state)))
        if not entry.get('reachable') or entry.get('error'):
            out.append('<p><strong>%s</strong>: %s</p>' % (_h(state), _h(entry.get('error') or 'no diagnosis')))
            if not entry.get('findings'):
                out.append('</section>')
                continue
        out.append('<p>Platform: %s</p>' % _h(_platform_text(entry.get('platform'))))
        findings = entry.get('findings') or []
        shown = [f for f in findings if f['status'] in _SHOWN]
        if shown:
            out.append('<table class="findings"><thead><tr><th>status</th><th>check</th>'
                       '<th>summary</th></tr></thead><tbody>')
            for finding in shown:
                out.append('<tr>%s<td><a href="#%s">%s</a></td><td>%s%s</td></tr>' % (
                    _status_cell(finding['status']), _h(_check_anchor(finding['check'])), _h(finding['check']),
                    _h(finding.get('summary', '')),
                    _finding_details(finding, common.get(finding['check']), evidence_seen, anchors[name], name)))
            out.append('</tbody></table>')
        # Pass and skip are only named: their summaries and evidence are in findings.json.
        for status in ('pass', 'skip'):
            checks = [f['check'] for f in findings if f['status'] == status]
            if checks:
                out.append('<p>%s (%d): %s</p>' % (status, len(checks), _h(', '.join(checks))))
        out.append('</section>')
    out.append('</body></html>')
    return '\n'.join(out) + '\n'


def _remedy_html(finding):
    """Remedy, fix role and article link of a finding, as paragraphs."""
    parts = []
    if finding.get('remedy'):
        parts.append('<p>Remedy: %s</p>' % _h(finding['remedy']))
    if finding.get('fix'):
        parts.append('<p>Fix role: <code>azure_backup.snapshot_doctor.%s</code></p>' % _h(finding['fix']))
    link = _safe_link(finding.get('doc'))
    if link:
        parts.append('<p><a href="%s" rel="noopener noreferrer">Troubleshooting article</a></p>'
                     % _h(link))
    return ''.join(parts)


def _finding_details(finding, common, evidence_seen, anchor, host):
    """The finding's remedy, fix role and article where the checks table shows others (the check's name links there),
    and its evidence unless an earlier host showed the same for this check (then a link to that host).
    ``evidence_seen`` maps (check, evidence text) to (anchor, name) of the first host that showed it."""
    own = dict((key, finding[key]) for key in ('remedy', 'fix', 'doc')
               if finding.get(key) and (not common or finding[key] != common.get(key)))
    parts = [_remedy_html(own)] if own else []
    if finding.get('evidence'):
        text = _evidence_text(finding['evidence'])
        first = evidence_seen.setdefault((finding['check'], text), (anchor, host))
        if first[0] == anchor:
            parts.append('<pre>%s</pre>' % _h(text))
        else:
            parts.append('<p>Evidence: as on <a href="#%s">%s</a></p>' % (_h(first[0]), _h(first[1])))
    if not ''.join(parts):
        return ''
    return '<details><summary>details</summary>%s</details>' % ''.join(parts)


# -- junit.xml -------------------------------------------------------------------------------

def _xml_text(text):
    return _XML_INVALID.sub(u'\ufffd', str(text))


def render_junit(report):
    """One testsuite per host, one testcase per check (an unreachable host: one 'reachable' case)."""
    suites = ET.Element('testsuites', name='snapshot_doctor')
    totals = dict(tests=0, failures=0, errors=0, skipped=0)
    for name, entry in report['hosts'].items():
        suite = ET.SubElement(suites, 'testsuite', name=_xml_text(name))
        counts = dict(tests=0, failures=0, errors=0, skipped=0)
        if not entry.get('reachable') or entry.get('error'):
            case = ET.SubElement(suite, 'testcase', classname=_xml_text(name),
                                 name='reachable' if not entry.get('reachable') else 'diagnosis')
            error = ET.SubElement(case, 'error', message=_xml_text(entry.get('error') or _host_state(entry)),
                                  type=_host_state(entry))
            error.text = _xml_text(entry.get('error') or '')
            counts['tests'] += 1
            counts['errors'] += 1
        for finding in entry.get('findings') or []:
            case = ET.SubElement(suite, 'testcase', classname=_xml_text(name),
                                 name=_xml_text(finding['check']))
            counts['tests'] += 1
            status = finding['status']
            message = _xml_text(finding.get('summary', ''))
            if status == 'fail':
                child = ET.SubElement(case, 'failure', message=message, type=_xml_text(finding['cause']))
                counts['failures'] += 1
            elif status == 'error':
                child = ET.SubElement(case, 'error', message=message, type=_xml_text(finding['cause']))
                counts['errors'] += 1
            elif status == 'skip':
                child = ET.SubElement(case, 'skipped', message=message)
                counts['skipped'] += 1
            else:
                # pass, info and warn are passing test cases; the text keeps what was seen.
                child = ET.SubElement(case, 'system-out')
                child.text = _xml_text('%s: %s' % (status, finding.get('summary', '')))
                continue
            detail = [finding.get('summary', '')]
            if finding.get('remedy'):
                detail.append('Remedy: %s' % finding['remedy'])
            if finding.get('doc'):
                detail.append('Article: %s' % finding['doc'])
            if finding.get('evidence'):
                detail.append(_evidence_text(finding['evidence']))
            child.text = _xml_text('\n'.join(detail))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        suites.set(key, str(value))
    return ET.tostring(suites, encoding='unicode').join(
        ('<?xml version="1.0" encoding="UTF-8"?>\n', '\n'))


# -- writing ---------------------------------------------------------------------------------

RENDERERS = {
    'json': render_json,
    'markdown': render_markdown,
    'html': render_html,
    'junit': render_junit,
}


def _write_private(directory, filename, text):
    """Write atomically: a 0600 temporary file in the same directory, then rename over."""
    fd, temp = tempfile.mkstemp(prefix='.%s.' % filename, dir=directory)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write(text)
        os.replace(temp, os.path.join(directory, filename))
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def write_private_files(directory, files):
    """Write ``files`` (file name -> text) into ``directory`` (created 0700, tightened if it exists).

    The one way the collection writes on the controller: each file atomically, mode 0600.
    Returns the list of paths written.
    """
    os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
    os.chmod(directory, DIR_MODE)
    written = []
    for filename, text in files:
        _write_private(directory, filename, text)
        written.append(os.path.join(directory, filename))
    return written


def write_report(directory, report, formats=None):
    """Render ``report`` into ``directory`` (see write_private_files).

    ``formats`` limits the renderers (names of REPORT_FILES); findings.json is always written.
    Returns the list of paths written.
    """
    wanted = set(formats or RENDERERS) | {'json'}
    unknown = wanted - set(RENDERERS)
    if unknown:
        raise ValueError('unknown report format(s) %s (known: %s)'
                         % (', '.join(sorted(unknown)), ', '.join(sorted(RENDERERS))))
    return write_private_files(directory, [(filename, RENDERERS[name](report))
                                           for name, filename in REPORT_FILES if name in wanted])
