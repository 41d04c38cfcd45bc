"""Benchmark: wall time of the diagnose playbook against `ansible -m setup` on the same lab guests.

    .venv/bin/python tests/bench/bench.py [--sizes 1,5,10] [--rounds 3] [--output tests/bench/results.md]

Boots max(sizes) lab guests once (tests/lab/lab.py, agent Ready), then for each state
(healthy; every platform endpoint blackholed with the lab's DROP faults) and each size N runs,
against guest1..guestN, one untimed warm-up of each command and then ``rounds`` alternating timed
runs of each, and keeps the medians. Both commands use the same forks, inventory and ssh settings.
Healthy cells also time setup_playbook.yml (the same fact gathering as a playbook), which splits the
diagnosis's overhead into ansible-playbook's own and the diagnosis's; it has no target.

Targets (the issue's): healthy diagnosis <= 1.3 x setup; blackholed diagnosis <= setup + the
probe timeout + 1 s. Writes a Markdown table to --output and exits 1 when a target is missed.
Needs root (the lab); refuses a lab that is already up unless LAB_REUSE=1.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))

from diagnose_runner import (  # noqa: E402
    COLLECTIONS, VENV_BIN, ansible_env, foreign_lab, lab_cli, read_findings, run_diagnose, run_playbook,
    run_setup, statuses)

# The lab faults that together blackhole every platform endpoint a guest probes (DROP: timeouts).
BLACKHOLE_FAULTS = ('wireserver_80_drop', 'wireserver_32526_drop', 'imds_drop', 'https_drop')
HEALTHY_RATIO_TARGET = 1.3
BLACKHOLE_SLACK_SECONDS = 1.0
# `ansible -m setup` as a playbook: what any playbook costs on these hosts, for the breakdown only.
SETUP_PLAYBOOK = os.path.join(HERE, 'setup_playbook.yml')
# The sections other benchmarks (scale.py, live_scale.py, ...) write into the same results file, each between
# its own <!-- bench-NAME:start --> and <!-- bench-NAME:end --> markers.
KEPT_SECTION = re.compile(r'<!-- (bench-[a-z-]+):start -->.*?<!-- \1:end -->', re.DOTALL)


def probe_timeout():
    """The probe timeout the diagnosis uses by default (the collection's defaults.py)."""
    sys.path.insert(0, COLLECTIONS)
    from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
    return float(defaults.PROBE_TIMEOUT_SECONDS), defaults


def host_pattern(size):
    return ','.join('guest%d' % index for index in range(1, size + 1))


def timed_round(inventory, size, report_dir, forks, extra_vars, with_setup_playbook):
    """Seconds of one run of each command: {'setup': .., 'diagnose': .., ['setup_playbook': ..]}."""
    pattern = host_pattern(size)
    runs = [('setup', 'ansible -m setup', lambda: run_setup(inventory, pattern, forks=forks))]
    if with_setup_playbook:
        runs.append(('setup_playbook', 'the setup playbook',
                     lambda: run_playbook(SETUP_PLAYBOOK, inventory, pattern, forks=forks)))
    runs.append(('diagnose', 'the diagnose playbook',
                 lambda: run_diagnose(inventory, report_dir, limit=pattern, forks=forks, extra_vars=extra_vars)))
    seconds = {}
    for key, label, run in runs:
        completed, seconds[key] = run()
        if completed.returncode != 0:
            raise RuntimeError('%s failed:\n%s' % (label, completed.stdout[-3000:]))
    return seconds


def measure(inventory, size, args, work_dir, with_setup_playbook=False):
    report_dir = os.path.join(work_dir, 'report-%d' % size)
    # warm-up: ssh sockets, caches
    timed_round(inventory, size, report_dir, args.forks, args.extra_vars, with_setup_playbook)
    rounds = [timed_round(inventory, size, report_dir, args.forks, args.extra_vars, with_setup_playbook)
              for _round in range(args.rounds)]
    row = {'size': size, 'findings': read_findings(report_dir)}
    for key in rounds[0]:
        row[key + '_runs'] = [seconds[key] for seconds in rounds]
        row[key] = statistics.median(row[key + '_runs'])
    return row


def blackhole(guests, undo=False):
    for index in range(1, guests + 1):
        for fault in BLACKHOLE_FAULTS:
            lab_cli('fault', 'undo' if undo else 'apply', fault, 'guest%d' % index, check=not undo)


def check_healthy(result):
    """The healthy runs really diagnosed every guest, without fail or error (else the timing means nothing).

    snapshot.load is left out: the guests share the host's /proc/stat, so they see the benchmark's own load.
    """
    for index in range(1, result['size'] + 1):
        found = statuses(result['findings'], 'guest%d' % index)
        bad = sorted(check for check, status in found.items()
                     if status in ('fail', 'error') and check != 'snapshot.load')
        if not found or bad:
            raise RuntimeError('guest%d: the healthy diagnosis has %s' % (index, bad or 'no findings'))


def check_blackholed(result):
    """The blackholed runs really diagnosed blackholed endpoints (else the timing means nothing)."""
    for index in range(1, result['size'] + 1):
        found = statuses(result['findings'], 'guest%d' % index)
        for check in ('connectivity.wireserver', 'connectivity.https'):
            if found.get(check) != 'fail':
                raise RuntimeError('guest%d: %s is %s with every endpoint blackholed'
                                   % (index, check, found.get(check)))


def render(results, args, timeout, defaults, lab_seconds):
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    ansible_version = subprocess.run([os.path.join(VENV_BIN, 'ansible'), '--version'], text=True, check=True,
                                     stdout=subprocess.PIPE, env=ansible_env()).stdout.splitlines()[0]
    lines = [
        '# Benchmark: diagnose playbook vs `ansible -m setup`',
        '',
        'Generated by `make bench` (tests/bench/bench.py) on %s.' % now,
        '',
        '- Machine: %s, %d CPUs, Python %s, %s.' % (
            platform.platform(), os.cpu_count() or 0, platform.python_version(), ansible_version),
        '- Lab: %d Debian 12 guests (systemd-nspawn, real waagent 2.7.3.0, agent Ready), ssh with '
        'ControlPersist; booted to ssh in %.0f s.' % (max(args.sizes), lab_seconds),
        '- Commands, same inventory, forks=%d: `ansible guest1..N -m ansible.builtin.setup` and '
        '`ansible-playbook azure_backup.snapshot_doctor.diagnose --limit guest1..N` (report written).'
        % args.forks,
        '- Per cell: one untimed warm-up of each, then %d alternating timed runs; medians shown.' % args.rounds,
        '- Healthy cells also time tests/bench/setup_playbook.yml (the same fact gathering as a playbook) '
        'to split the overhead: the playbook\'s own, then the diagnosis\'s.',
        '- Diagnosis defaults: probe timeout %.1f s, load sampling %d x %.1f s; extra vars: %s.'
        % (timeout, defaults.LOAD_SAMPLES, defaults.LOAD_SAMPLE_INTERVAL_SECONDS,
           '`%s`' % json.dumps(args.extra_vars) if args.extra_vars else 'none'),
        '- Blackholed: the lab faults %s on every guest (DROP: every probe times out).'
        % ', '.join('`%s`' % name for name in BLACKHOLE_FAULTS),
        '',
        '| state | N | setup (s) | diagnose (s) | ratio | target | met |',
        '| --- | --- | --- | --- | --- | --- | --- |',
    ]
    missed = []
    for state, rows in results:
        for row in rows:
            ratio = row['diagnose'] / row['setup']
            if state == 'healthy':
                target = 'ratio <= %.1f' % HEALTHY_RATIO_TARGET
                met = ratio <= HEALTHY_RATIO_TARGET
            else:
                limit = row['setup'] + timeout + BLACKHOLE_SLACK_SECONDS
                target = 'diagnose <= %.2f s' % limit
                met = row['diagnose'] <= limit
            if not met:
                missed.append('%s N=%d' % (state, row['size']))
            lines.append('| %s | %d | %.2f | %.2f | %.2f | %s | %s |' % (
                state, row['size'], row['setup'], row['diagnose'], ratio, target, 'yes' if met else 'NO'))
    lines += ['', 'Where the healthy time goes (informative, no target):', '',
              '| N | setup (s) | setup as a playbook (s) | diagnose (s) | playbook / setup | '
              'diagnose / setup as a playbook |',
              '| --- | --- | --- | --- | --- | --- |']
    for state, rows in results:
        for row in rows:
            if 'setup_playbook' in row:
                lines.append('| %d | %.2f | %.2f | %.2f | %.2f | %.2f |' % (
                    row['size'], row['setup'], row['setup_playbook'], row['diagnose'],
                    row['setup_playbook'] / row['setup'], row['diagnose'] / row['setup_playbook']))
    lines += ['', 'Raw runs (seconds):', '']
    for state, rows in results:
        for row in rows:
            runs = [(label, row[key + '_runs']) for key, label in (
                ('setup', 'setup'), ('setup_playbook', 'setup as a playbook'), ('diagnose', 'diagnose'))
                if key + '_runs' in row]
            lines.append('- %s N=%d: %s' % (state, row['size'], '; '.join(
                '%s %s' % (label, ', '.join('%.2f' % value for value in values)) for label, values in runs)))
    lines += ['', 'Targets missed: %s.' % (', '.join(missed) if missed else 'none'), '']
    return '\n'.join(lines), missed


def kept_sections(path):
    """The sections the other benchmarks keep in the same file, to write back unchanged."""
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError:
        return ''
    return ''.join('\n' + match.group(0) + '\n' for match in KEPT_SECTION.finditer(text))


def parse_extra_vars(text):
    """'{"a": 1}' or 'a=1,b=x' -> dict; values are JSON when they parse as JSON, else strings."""
    if text.lstrip().startswith('{'):
        return json.loads(text)
    variables = {}
    for item in text.split(','):
        name, sep, value = item.partition('=')
        if not sep or not name:
            raise argparse.ArgumentTypeError('expected NAME=VALUE, got %r' % item)
        try:
            variables[name] = json.loads(value)
        except ValueError:
            variables[name] = value
    return variables


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sizes', default='1,5,10', type=lambda text: sorted(int(n) for n in text.split(',')))
    parser.add_argument('--rounds', default=3, type=int)
    parser.add_argument('--forks', default=10, type=int)
    parser.add_argument('--output', default=os.path.join(HERE, 'results.md'))
    parser.add_argument('--extra-vars', default={}, type=parse_extra_vars,
                        help='variables for the diagnose playbook: JSON or NAME=VALUE[,NAME=VALUE], '
                             'e.g. diagnose_load_interval=0.2')
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error('the lab needs root')
    timeout, defaults = probe_timeout()

    status = json.loads(lab_cli('status').stdout)
    reuse = os.environ.get('LAB_REUSE') == '1'
    if status.get('up') and not reuse:
        parser.error('the lab is already up; stop it (make lab-down) or set LAB_REUSE=1')
    started = False
    work_dir = tempfile.mkdtemp(prefix='snapshot-doctor-bench-')
    try:
        if not status.get('up'):
            other = foreign_lab()
            if other:
                parser.error('another lab runs on this machine (%s); wait for it to stop' % other)
            started = True
            lab_cli('up', '--guests', str(max(args.sizes)), '--wait-agent', timeout=900)
        state = json.loads(lab_cli('status').stdout)
        with open(state['state_file']) as handle:
            lab_seconds = json.load(handle).get('up_seconds') or 0
        inventory = state['inventory']
        results = []
        healthy = []
        for size in args.sizes:
            healthy.append(measure(inventory, size, args, work_dir, with_setup_playbook=True))
            check_healthy(healthy[-1])
            print('healthy N=%d: setup %.2f s, diagnose %.2f s' % (size, healthy[-1]['setup'],
                                                                   healthy[-1]['diagnose']), flush=True)
        results.append(('healthy', healthy))
        blackhole(max(args.sizes))
        try:
            blackholed = []
            for size in args.sizes:
                blackholed.append(measure(inventory, size, args, work_dir))
                check_blackholed(blackholed[-1])
                print('blackholed N=%d: setup %.2f s, diagnose %.2f s' % (
                    size, blackholed[-1]['setup'], blackholed[-1]['diagnose']), flush=True)
            results.append(('blackholed', blackholed))
        finally:
            blackhole(max(args.sizes), undo=True)
        text, missed = render(results, args, timeout, defaults, lab_seconds)
        with open(args.output, 'w') as handle:
            handle.write(text + kept_sections(args.output))
        print(text)
        return 1 if missed else 0
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
        if started:
            lab_cli('down', check=False)


if __name__ == '__main__':
    sys.exit(main())
