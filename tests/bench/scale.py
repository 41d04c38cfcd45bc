"""Scale benchmark of the controller side: 1000 recorded diagnoses -> evaluation, fleet stage, report.

    .venv/bin/python tests/bench/scale.py [--hosts 1000] [--baseline REVISION] [--chromium] [--fleet-playbook | --fleet-only]
                                          [--output tests/bench/results.md] [--keep DIR]

No lab, no network. The hosts are the recorded lab guests (tests/unit/fixtures/hosts/lab-*.json),
repeated round-robin and varied by fault; every 20th host is unreachable and every 50th an
unsupported Windows host (the diagnose action's result for it). Measured:

1. in process: for each host the diagnose action's controller work (engine.evaluate, redact_tree,
   summarize), then the diagnose_report action's work (entry_from_result, build_report,
   run_fleet_stage, write_report), each stage timed; peak memory is the process's peak RSS
   (resource.getrusage ru_maxrss, which includes the interpreter and the imports);
2. under ansible-playbook: the real diagnose_report action on `hosts: localhost` with the same
   results loaded from a JSON file, alternating rounds with and without the report task (medians),
   peak RSS of the largest process of a run (RUSAGE_CHILDREN, in a fresh child per run);
3. with --fleet-playbook, the role's report task over an inventory of the hosts, the results registered
   as the role does, handed over three ways (one run each); --fleet-only runs this alone and replaces
   its table alone;
4. with --chromium, report.html in headless Chromium (html_load.py).

--baseline REVISION measures the same for the collection at that git revision (a temporary worktree)
in the same run, for a before/after table. Writes the figures between the bench-scale markers of
--output (the rest of the file is kept) and exits 1 when this tree misses a target in process
(10 s, 500 MB).
"""
import argparse
import datetime
import glob
import json
import os
import platform
import statistics
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# BENCH_COLLECTIONS: another tree of the collection (--baseline runs this script on an older commit's).
COLLECTIONS = os.environ.get('BENCH_COLLECTIONS') or os.path.join(ROOT, '.build', 'collections')
VENV_BIN = os.path.join(ROOT, '.venv', 'bin')
FIXTURES = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'hosts')
sys.path.insert(0, COLLECTIONS)

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.findings import summarize  # noqa: E402
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.redact import redact_tree  # noqa: E402
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import evaluate  # noqa: E402
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.fleet import run_fleet_stage  # noqa: E402
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils import report as report_module  # noqa: E402
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.report import (  # noqa: E402
    build_report, collection_version, entry_from_result, write_report)

sys.path.insert(0, HERE)
import html_load  # noqa: E402

WALL_TARGET_SECONDS = 10.0
PEAK_TARGET_MB = 500.0
START, END = '<!-- bench-scale:start -->', '<!-- bench-scale:end -->'
FLEET_START, FLEET_END = '<!-- bench-scale-fleet:start -->', '<!-- bench-scale-fleet:end -->'
# What the report task hands the action, for one run of the real action under ansible-playbook.
PLAYBOOK = """---
- name: Report from recorded diagnoses
  hosts: localhost
  gather_facts: false
  vars:
    recorded: "{{ lookup('ansible.builtin.file', results_file) | from_json }}"
  tasks:
    - name: Load the recorded results
      ansible.builtin.set_fact:
        recorded_results: "{{ recorded }}"
    - name: Write the report
      azure_backup.snapshot_doctor.diagnose_report:
        results: "{{ recorded_results }}"
        dest: "{{ report_dir }}"
      when: with_report | bool
"""


def recorded_guests():
    """(fault name, facts) of every recorded lab guest, sorted by name."""
    guests = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, 'lab-*.json'))):
        with open(path) as handle:
            guests.append((os.path.basename(path)[4:-5], json.load(handle)))
    return guests


# The role's report task on a real inventory of 1000 hosts (connection local, nothing runs on them): each
# host's recorded result is registered by a task, as the role's diagnose task registers the real one
# (tests/bench/action_plugins/recorded_diagnosis.py returns it without connecting), then the report task
# gets them in one of FLEET_HANDOVERS' ways. The play also runs without the report task.
FLEET_PLAYBOOK = """---
- name: Report from recorded diagnoses, as the diagnose role does
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Diagnose the snapshot timeout causes (recorded)
      recorded_diagnosis:
        path: "{{ results_dir }}/{{ inventory_hostname }}.json"
      register: __diagnose_result
      ignore_unreachable: true
      ignore_errors: true
    - name: Write the report on the controller
      azure_backup.snapshot_doctor.diagnose_report:
%s
        dest: "{{ report_dir }}"
      run_once: true
      delegate_to: localhost
      when: with_report | bool
"""
# label -> (collection revision, None for this tree; the report task's arguments that hand the results over)
HOSTS_ARGS = """        hosts: "{{ ansible_play_hosts_all }}"
        result_var: __diagnose_result"""
FLEET_HANDOVERS = {
    'one results argument, templated (the role before 4aefb62; action at b4c977e)': ('b4c977e', """        results: >-
          {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
                                               | map(attribute='__diagnose_result', default={}))) }}"""),
    'hosts + result_var, read through hostvars (b4c977e)': ('b4c977e', HOSTS_ARGS),
    'hosts + result_var, read from the registered variables (this tree)': (None, HOSTS_ARGS),
}


def diagnose_result(facts, options):
    """What the diagnose action returns for one host, from its facts (controller side only)."""
    findings, _count = redact_tree(evaluate(facts, options))
    platform_facts = facts.get('platform') or {}
    return {
        'changed': False,
        'findings': findings,
        'summary': summarize(findings),
        'platform': {'os': facts.get('os'), 'distribution': platform_facts.get('distribution'),
                     'version': platform_facts.get('distribution_version'), 'azure_vm': True},
    }


def host_name(index, fault):
    return 'vm-%04d-%s' % (index, fault.replace('_', '-'))


def build_results(guests, count, timings):
    """{host name: diagnose result} for ``count`` hosts; times the evaluation."""
    options = {'assume_azure': True}
    results = {}
    started = time.perf_counter()
    for index in range(count):
        fault, facts = guests[index % len(guests)]
        name = host_name(index, fault)
        if index % 20 == 7:
            results[name] = {'unreachable': True, 'changed': False,
                             'msg': 'Failed to connect to the host via ssh: ssh: connect to host 10.1.%d.%d '
                                    'port 22: Connection timed out' % (index // 250, index % 250)}
        elif index % 50 == 13:
            results[name] = {'failed': True, 'unsupported': True,
                             'msg': 'Windows hosts are not yet supported by azure_backup.snapshot_doctor.diagnose',
                             'platform': {'os': 'windows', 'distribution': None, 'version': None,
                                          'azure_vm': None}}
        else:
            results[name] = diagnose_result(facts, options)
    timings['evaluate'] = time.perf_counter() - started
    return results


def report_stage(results, dest, timings):
    """The diagnose_report action's work, stage by stage."""
    started = time.perf_counter()
    hosts = dict((str(name), entry_from_result(value)) for name, value in results.items())
    report = build_report(hosts, collection_version())
    timings['entries'] = time.perf_counter() - started
    started = time.perf_counter()
    run_fleet_stage(report)
    timings['fleet'] = time.perf_counter() - started
    started = time.perf_counter()
    written = write_report(dest, report)
    timings['report'] = time.perf_counter() - started
    return written


def peak_rss_mb(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss / 1024.0  # kilobytes on Linux


def in_process(count, dest):
    timings = {}
    started = time.perf_counter()
    results = build_results(recorded_guests(), count, timings)
    files = report_stage(results, dest, timings)
    timings['total'] = time.perf_counter() - started
    sizes = dict((os.path.basename(path), os.path.getsize(path)) for path in files)
    return results, timings, sizes


def entries_without_cache(results):
    """The host entries again with the redaction cache emptied before each host: what the cache saves
    when no two hosts share a text (the recorded guests repeat, a real fleet repeats less). None when the
    report module has no cache (an older commit)."""
    cached = getattr(report_module, '_redact_cached', None)
    if cached is None:
        return None
    started = time.perf_counter()
    for value in results.values():
        cached.cache_clear()
        entry_from_result(value)
    return time.perf_counter() - started


def run_playbook_child(playbook, results_file, report_dir, with_report, collections=COLLECTIONS, extra=(), env_extra=None):
    """Runs ansible-playbook from a fresh child Python, so RUSAGE_CHILDREN is this run's alone."""
    code = ('import resource, subprocess, sys, time\n'
            'started = time.perf_counter()\n'
            'subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n'
            'print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n')
    command = [sys.executable, '-c', code, os.path.join(VENV_BIN, 'ansible-playbook'), playbook] + list(extra) + [
        '-e', 'results_file=%s report_dir=%s with_report=%s' % (results_file, report_dir, with_report)]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', **(env_extra or {}))
    output = subprocess.run(command, check=True, env=env, stdout=subprocess.PIPE, universal_newlines=True).stdout
    seconds, rss_kb = output.split()
    return float(seconds), int(rss_kb) / 1024.0


def write_fleet_inventory(results, work_dir):
    """An inventory of the hosts (connection local) and each one's recorded result in a file of its own."""
    directory = os.path.join(work_dir, 'fleet')
    os.makedirs(os.path.join(directory, 'results'))
    with open(os.path.join(directory, 'hosts.ini'), 'w') as inventory:
        inventory.write('[fleet]\n')
        for name, value in results.items():
            inventory.write('%s ansible_connection=local\n' % name)
            with open(os.path.join(directory, 'results', name + '.json'), 'w') as handle:
                json.dump(value, handle)
    return directory


def under_fleet_playbook(results, work_dir, forks=50):
    """The play once without the report task, then once per FLEET_HANDOVERS way. Returns
    {'without' or label: (seconds of the whole run, peak RSS MB, the report task's own seconds)}."""
    directory = write_fleet_inventory(results, work_dir)
    extra = ['-i', os.path.join(directory, 'hosts.ini'), '-f', str(forks),
             '-e', 'results_dir=%s' % os.path.join(directory, 'results')]
    times = os.path.join(directory, 'task-seconds.json')
    env = {'ANSIBLE_ACTION_PLUGINS': os.path.join(HERE, 'action_plugins'),
           'ANSIBLE_CALLBACK_PLUGINS': os.path.join(HERE, 'callback_plugins'),
           'ANSIBLE_CALLBACKS_ENABLED': 'task_seconds', 'BENCH_TASK_SECONDS': times}

    def run(label, with_report, revision, arguments):
        playbook = os.path.join(directory, 'play-%d.yml' % len(figures))
        with open(playbook, 'w') as handle:
            handle.write(FLEET_PLAYBOOK % arguments)
        collections = collections_at(revision, work_dir) if revision else COLLECTIONS
        seconds, peak = run_playbook_child(playbook, None, os.path.join(directory, 'report'), with_report,
                                           collections, extra=extra, env_extra=env)
        with open(times) as handle:
            figures[label] = (seconds, peak, json.load(handle)['tasks'].get('Write the report on the controller'))
        print('fleet playbook, %s: %r' % (label, figures[label]), file=sys.stderr, flush=True)

    figures = {}
    run('without', 'false', None, HOSTS_ARGS)
    for label, (revision, arguments) in FLEET_HANDOVERS.items():
        run(label, 'true', revision, arguments)
    return figures


def under_ansible_playbook(results, work_dir, rounds, baseline_collections=None):
    """Medians of ``rounds`` alternating runs: the playbook without the report task (its start-up and the
    JSON load, the same for every tree), with it on this tree, with it on the baseline's tree (if any).
    Returns {'results_json_mb', 'without', 'with', 'baseline_with'}: (seconds, peak RSS MB) each."""
    results_file = os.path.join(work_dir, 'results.json')
    with open(results_file, 'w') as handle:
        json.dump(results, handle)
    playbook = os.path.join(work_dir, 'report.yml')
    with open(playbook, 'w') as handle:
        handle.write(PLAYBOOK)
    report_dir = os.path.join(work_dir, 'playbook-report')
    runs = {'without': [], 'with': [], 'baseline_with': []}
    for _round in range(rounds):
        runs['without'].append(run_playbook_child(playbook, results_file, report_dir, 'false'))
        runs['with'].append(run_playbook_child(playbook, results_file, report_dir, 'true'))
        if baseline_collections:
            runs['baseline_with'].append(run_playbook_child(playbook, results_file, report_dir, 'true',
                                                            baseline_collections))
        print('ansible-playbook round: %r' % ({key: value[-1] for key, value in runs.items() if value},),
              file=sys.stderr, flush=True)
    figures = {'results_json_mb': os.path.getsize(results_file) / 1e6, 'rounds': rounds}
    for key, values in runs.items():
        if values:
            figures[key] = (statistics.median(v[0] for v in values), max(v[1] for v in values))
    return figures


def machine():
    memory = subprocess.run(['free', '-h'], stdout=subprocess.PIPE, universal_newlines=True,
                            check=True).stdout.split('\n')[1]
    ansible = subprocess.run([os.path.join(VENV_BIN, 'ansible'), '--version'], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout.split('\n')[0]
    return '%s, %d CPUs (nproc), memory: %s; Python %s, %s' % (
        platform.platform(), os.cpu_count(), ' '.join(memory.split()[1:3]) + ' total/used',
        platform.python_version(), ansible)


def _cells(figures, baseline, value, fmt):
    """One table cell per run: the baseline's (when there is one), then this tree's."""
    runs = ([baseline] if baseline else []) + [figures]
    return ' | '.join('n/a' if value(run) is None else fmt % value(run) for run in runs)


def render(count, figures, baseline=None):
    timings = figures['timings']
    wall_ok = timings['total'] <= WALL_TARGET_SECONDS
    peak_ok = figures['peak_mb'] <= PEAK_TARGET_MB
    columns = (['before (%s)' % baseline['revision']] if baseline else []) + ['this tree']
    head = '| %%s | %s |' % ' | '.join(columns)
    rule = '| --- | %s |' % ' | '.join('---' for _column in columns)

    def row(label, value, fmt='%.2f'):
        return '| %s | %s |' % (label, _cells(figures, baseline, value, fmt))

    def timing(key):
        return lambda run: run['timings'].get(key)

    lines = [
        START,
        '## Scale: %d recorded diagnoses through the controller side (`make bench-scale`)' % count,
        '',
        'Generated by tests/bench/scale.py on %s, every column in the same run.' % (
            datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')),
        '',
        '- Machine: %s; 1-minute load average at the end of the in-process run: %s (other jobs share it).' % (
            machine(), _cells(figures, baseline, lambda run: run['load_average'], '%.1f').replace(' | ', ' / ')),
        '- Hosts: the %d recorded lab guests round-robin (tests/unit/fixtures/hosts/lab-*.json), %d unreachable, '
        '%d unsupported (Windows); each diagnosed one evaluates every check.' % (
            len(recorded_guests()), figures['states']['unreachable'], figures['states']['unsupported']),
        '- Peak memory: the process\'s peak RSS (resource.getrusage ru_maxrss; interpreter and imports included).',
        '',
        head % 'in process (seconds unless said)',
        rule,
        row('per-host evaluation (engine.evaluate + redaction + summary: the diagnose action\'s controller work)',
            timing('evaluate')),
        row('host entries (redaction again) + build_report', timing('entries')),
        row('the same host entries, no text shared between hosts (redaction cache emptied per host)',
            timing('entries_distinct')),
        row('fleet stage', timing('fleet')),
        row('write_report (4 renderers, files written)', timing('report')),
        row('**total** (target %.0f s)' % WALL_TARGET_SECONDS, timing('total')),
        row('peak RSS, MB (target %.0f MB)' % PEAK_TARGET_MB, lambda run: run['peak_mb'], '%.0f'),
    ]
    for name in sorted(figures['sizes']):
        lines.append(row('%s, MB' % name, lambda run, name=name: run['sizes'].get(name, 0) / 1e6))
    lines += ['', 'Targets (this tree): total %.2f s, %s; peak RSS %.0f MB, %s.' % (
        timings['total'], 'met' if wall_ok else 'MISSED', figures['peak_mb'], 'met' if peak_ok else 'MISSED')]
    if figures.get('playbook'):
        playbook = figures['playbook']
        # The baseline's runs are the 'baseline_with' ones of the same (alternating) rounds.
        if baseline:
            baseline['playbook'] = dict(playbook, **{'with': playbook['baseline_with']})
        lines += [
            '',
            'Under ansible-playbook (the real diagnose_report action, `hosts: localhost`, the same results from a '
            '%.1f MB JSON file; medians of %d alternating rounds of whole runs; peak RSS of the largest process):'
            % (playbook['results_json_mb'], playbook['rounds']),
            '',
            head % 'ansible-playbook',
            rule,
            row('start-up and loading the results (no report task), s', lambda run: run['playbook']['without'][0]),
            row('the same + diagnose_report, s', lambda run: run['playbook']['with'][0]),
            row('the report task (difference), s',
                lambda run: run['playbook']['with'][0] - run['playbook']['without'][0]),
            row('peak RSS with the report, MB', lambda run: run['playbook']['with'][1], '%.0f'),
        ]
    if figures.get('fleet_playbook'):
        lines += ['', render_fleet(count, figures['fleet_playbook']).rstrip('\n')]
    if figures['chromium']:
        lines += [
            '',
            'report.html in headless Chromium (tests/bench/html_load.py: the browser\'s PerformanceNavigationTiming '
            'read back through --dump-dom, medians of %d runs; ms from the start of the navigation):'
            % figures['chromium']['rounds'],
            '',
            head % 'Chromium',
            rule,
            row('DOM interactive (HTML parsed), ms', lambda run: run['chromium']['dom_interactive'], '%.0f'),
            row('load event end, ms', lambda run: run['chromium']['load'], '%.0f'),
            row('first contentful paint, ms', lambda run: run['chromium']['first_contentful_paint'], '%.0f'),
            row('DOM elements', lambda run: run['chromium']['elements'], '%d'),
            row('CPU of all chromium processes (start-up included), s',
                lambda run: run['chromium']['chromium_cpu_s']),
            row('wall time of the chromium run, s', lambda run: run['chromium']['chromium_wall_s']),
        ]
    lines.append(END)
    return '\n'.join(lines) + '\n', not (wall_ok and peak_ok)


def render_fleet(count, fleet):
    """The --fleet-playbook table, between markers of its own (--fleet-only replaces it alone)."""
    lines = [
        FLEET_START,
        'The diagnose role\'s report task over an inventory of the %d hosts (%s; connection local, forks 50; a first '
        'task registers each host\'s recorded result as the role\'s diagnose task does, then the report task gets '
        'them one of three ways; one run each; the task\'s own time from a callback, '
        'tests/bench/callback_plugins/task_seconds.py; peak RSS of the largest process; 1-minute load average at the '
        'end %.1f):' % (
            count, datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), os.getloadavg()[0]),
        '',
        '| ansible-playbook, inventory of the hosts | the play, s | the report task, s | peak RSS, MB |',
        '| --- | --- | --- | --- |',
        '| without the report task | %.2f | n/a | %.0f |' % (fleet['without'][0], fleet['without'][1]),
    ]
    for label in FLEET_HANDOVERS:
        seconds, peak, task = fleet[label]
        lines.append('| %s | %.2f | %.2f | %.0f |' % (label, seconds, task, peak))
    lines.append(FLEET_END)
    return '\n'.join(lines) + '\n'


def replace_section(path, section, start=START, end=END):
    """Puts ``section`` between the markers of ``path`` (appended when absent); keeps the rest."""
    text = ''
    if os.path.exists(path):
        with open(path) as handle:
            text = handle.read()
    if start in text and end in text:
        text = text[:text.index(start)] + section.rstrip('\n') + text[text.index(end) + len(end):]
    else:
        text = text.rstrip('\n') + '\n\n' + section
    with open(path, 'w') as handle:
        handle.write(text if text.endswith('\n') else text + '\n')


def measure(args, work_dir):
    """Every figure of one run of this tree, as a dict (JSON-able)."""
    dest = args.keep or os.path.join(work_dir, 'report')
    results, timings, sizes = in_process(args.hosts, dest)
    peak = peak_rss_mb()
    timings['entries_distinct'] = entries_without_cache(results)
    print('in process: %s; peak RSS %.0f MB' % (
        ', '.join('%s %.2f s' % item for item in timings.items() if item[1] is not None), peak), file=sys.stderr, flush=True)
    figures = {'timings': timings, 'sizes': sizes, 'peak_mb': peak, 'load_average': os.getloadavg()[0],
               'states': states_of(results), 'playbook': None, 'chromium': None}
    figures['results'] = results
    if args.chromium:
        figures['chromium'] = html_load.measure(os.path.join(dest, 'report.html'), args.chromium_rounds)
        print('chromium: %r' % (figures['chromium'],), file=sys.stderr, flush=True)
    return figures


def collections_at(revision, work_dir):
    """A collections path holding the collection at git ``revision`` (a worktree in ``work_dir``, made once;
    remove_worktrees removes them)."""
    tree = os.path.join(work_dir, 'tree-%s' % revision)
    collections = os.path.join(work_dir, 'collections-%s' % revision)
    if not os.path.isdir(tree):
        subprocess.run(['git', '-C', ROOT, 'worktree', 'add', '--detach', '--quiet', tree, revision], check=True)
        link = os.path.join(collections, 'ansible_collections', 'azure_backup', 'snapshot_doctor')
        os.makedirs(os.path.dirname(link))
        os.symlink(tree, link)
    return collections


def measure_baseline(revision, args, work_dir):
    """The same figures for the collection at ``revision``, this script run on it."""
    collections = collections_at(revision, work_dir)
    command = [sys.executable, os.path.abspath(__file__), '--json', '--hosts', str(args.hosts),
               '--keep', os.path.join(work_dir, 'baseline-report'), '--chromium-rounds', str(args.chromium_rounds)]
    command += ['--chromium'] if args.chromium else []
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, universal_newlines=True,
                            env=dict(os.environ, BENCH_COLLECTIONS=collections)).stdout
    figures = json.loads(output)
    figures['collections'] = collections
    figures['revision'] = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', revision], check=True,
                                         stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    return figures


def remove_worktrees(work_dir):
    for tree in glob.glob(os.path.join(work_dir, 'tree-*')):
        subprocess.run(['git', '-C', ROOT, 'worktree', 'remove', '--force', tree], check=False)


def states_of(results):
    return {'unreachable': sum(1 for value in results.values() if value.get('unreachable')),
            'unsupported': sum(1 for value in results.values() if value.get('unsupported'))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--hosts', default=1000, type=int)
    parser.add_argument('--output', default=os.path.join(HERE, 'results.md'), help="'-': print only")
    parser.add_argument('--keep', help='write the report into this directory and keep it (e.g. to open it)')
    parser.add_argument('--no-playbook', action='store_true', help='skip the ansible-playbook measurement')
    parser.add_argument('--chromium', action='store_true', help='time report.html in headless Chromium')
    parser.add_argument('--chromium-rounds', type=int, default=3)
    parser.add_argument('--baseline', metavar='REVISION', help='measure this git revision too, in the same run')
    parser.add_argument('--json', action='store_true', help='print the figures as JSON only (used by --baseline)')
    parser.add_argument('--playbook-rounds', type=int, default=3)
    parser.add_argument('--fleet-playbook', action='store_true',
                        help='also run the role\'s report task over an inventory of the hosts (one run per tree, slow)')
    parser.add_argument('--fleet-only', action='store_true',
                        help='only the --fleet-playbook runs; replaces their table alone in --output')
    args = parser.parse_args(argv)
    if args.fleet_only:
        return fleet_only(args)
    with tempfile.TemporaryDirectory(prefix='snapshot-doctor-scale-') as work_dir:
        figures = measure(args, work_dir)
        results = figures.pop('results')
        if args.json:
            print(json.dumps(figures))
            return 0
        try:
            baseline = measure_baseline(args.baseline, args, work_dir) if args.baseline else None
            if not args.no_playbook:
                figures['playbook'] = under_ansible_playbook(
                    results, work_dir, args.playbook_rounds, baseline and baseline['collections'])
            if args.fleet_playbook:
                figures['fleet_playbook'] = under_fleet_playbook(results, work_dir)
        finally:
            remove_worktrees(work_dir)
    section, missed = render(args.hosts, figures, baseline)
    if args.output != '-':
        replace_section(args.output, section)
    print(section)
    return 1 if missed else 0


def fleet_only(args):
    with tempfile.TemporaryDirectory(prefix='snapshot-doctor-scale-') as work_dir:
        try:
            fleet = under_fleet_playbook(build_results(recorded_guests(), args.hosts, {}), work_dir)
        finally:
            remove_worktrees(work_dir)
    block = render_fleet(args.hosts, fleet)
    if args.output != '-':
        replace_section(args.output, block, FLEET_START, FLEET_END)
    print(block)
    return 0


if __name__ == '__main__':
    sys.exit(main())
