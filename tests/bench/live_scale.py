"""Live scale benchmark: the diagnose playbook on as many lab guests as this machine holds, and a projection
for 1000 VMs at forks 50 from the per-host costs measured here.

    .venv/bin/python tests/bench/live_scale.py [--guests 40] [--forks 10,20,40] [--output tests/bench/results.md]

Needs root and no running lab. Boots --guests lab guests (tests/lab, its MAX_GUESTS raised in this process
only; the agent Ready in each), measuring the boot and the memory it takes; then runs the diagnose playbook:
once on guest1 alone (forks 1), then on every guest at each --forks. Each run starts cold (a new ssh
ControlPath directory: an AWX job starts in a new container). Per run: wall time; controller CPU (user +
system of ansible-playbook and its children: workers, ssh); guest CPU (every process in the guests' PID
namespaces, less their idle rate measured before the run); each host's time in the diagnose task (from its
worker's start to its result; tests/bench/callback_plugins/task_seconds.py). The projection uses the
report task's time at 1000 hosts from `make bench-scale` (--report-seconds). Writes its section of
--output (the rest of the file is kept). A benchmark: it has no target and does not fail on figures.
"""
import argparse
import datetime
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))

from diagnose_runner import LAB_DIR, VENV_BIN, ansible_env, foreign_lab  # noqa: E402

sys.path.insert(0, LAB_DIR)
from snapshot_lab import config as lab_config  # noqa: E402
from snapshot_lab import lab  # noqa: E402

START, END = '<!-- bench-live:start -->', '<!-- bench-live:end -->'
DIAGNOSE_TASK = 'Diagnose the snapshot timeout causes'
PROJECTED_HOSTS, PROJECTED_FORKS = 1000, 50
# Addresses 10.213.0.11 .. .253 of the lab's /24 (.254 is the controller's end).
ADDRESS_LIMIT = 254 - lab_config.FIRST_GUEST_HOST
# The guests share root's inotify instances (no user namespace): a booted guest holds 8 (systemd 5, logind,
# dbus, agetty; counted in /proc/*/fd). The kernel's default of 128 holds about 15: booting 40, the 24th
# guest's systemd exited ("Failed to create control group inotify object: Too many open files"). The run
# raises the limit and puts it back.
INOTIFY_PER_GUEST = 8
INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances'


def mem_available_mb():
    with open('/proc/meminfo') as handle:
        for line in handle:
            if line.startswith('MemAvailable:'):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError('no MemAvailable in /proc/meminfo')


def set_inotify_instances(value):
    with open(INOTIFY_INSTANCES, 'w') as handle:
        handle.write('%d\n' % value)


def boot(count):
    """lab up with ``count`` guests and the agent Ready in each; returns (state, figures)."""
    lab_config.MAX_GUESTS = max(lab_config.MAX_GUESTS, count)
    # The lab's ssh deadline is for a few guests; booting many on 2 CPUs takes longer.
    lab_config.BOOT_TIMEOUT = max(lab_config.BOOT_TIMEOUT, 10 * count)
    before = mem_available_mb()
    started = time.monotonic()
    state = lab.up(count)
    ssh_ready = time.monotonic() - started
    lab.wait_for_agents(state, timeout=max(120, 10 * count))
    agent_ready = time.monotonic() - started
    time.sleep(30)  # the agents' start-up work settles before memory and idle CPU are read
    used = before - mem_available_mb()
    return state, {'guests': count, 'ssh_ready_s': ssh_ready, 'agent_ready_s': agent_ready,
                   'memory_mb': used, 'memory_per_guest_mb': used / count}


def guest_namespaces(state):
    return set(os.readlink('/proc/%d/ns/pid' % record['leader_pid']) for record in state['guests'].values())


def guest_cpu_seconds(namespaces):
    """CPU of every process in the guests' PID namespaces, with what their exited children cost (reaped
    children are counted in their parent's cutime/cstime: sshd reaps the module's python)."""
    ticks = 0
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            if os.readlink('/proc/%s/ns/pid' % pid) not in namespaces:
                continue
            with open('/proc/%s/stat' % pid) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / float(os.sysconf('SC_CLK_TCK'))


def idle_guest_rate(namespaces, seconds=10.0):
    """The guests' own CPU per second while nothing is asked of them (the agents poll the platform)."""
    before, started = guest_cpu_seconds(namespaces), time.monotonic()
    time.sleep(seconds)
    return (guest_cpu_seconds(namespaces) - before) / (time.monotonic() - started)


def run_diagnose(inventory, limit, forks, work_dir, namespaces, idle_rate):
    """One cold run of the diagnose playbook from a fresh child, so RUSAGE_CHILDREN is this run's alone."""
    control_dir = tempfile.mkdtemp(prefix='cp-', dir=work_dir)
    times = os.path.join(work_dir, 'task-seconds.json')
    env = dict(ansible_env(forks), ANSIBLE_SSH_CONTROL_PATH_DIR=control_dir,
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback_plugins'),
               ANSIBLE_CALLBACKS_ENABLED='task_seconds', BENCH_TASK_SECONDS=times)
    code = ('import json, resource, subprocess, sys, time\n'
            'started = time.perf_counter()\n'
            'done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)\n'
            'usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n'
            'print(json.dumps({"wall": time.perf_counter() - started, "rc": done.returncode, "cpu": usage.ru_utime'
            ' + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024.0, "tail": done.stdout.decode()[-3000:]}))\n')
    argv = [sys.executable, '-c', code, os.path.join(VENV_BIN, 'ansible-playbook'), 'azure_backup.snapshot_doctor.diagnose',
            '-i', inventory, '--limit', limit, '-e', json.dumps({'diagnose_report_dir': os.path.join(work_dir, 'report')})]
    guest_before = guest_cpu_seconds(namespaces)
    figures = json.loads(subprocess.run(argv, env=env, check=True, stdout=subprocess.PIPE, universal_newlines=True,
                                        cwd=os.path.dirname(os.path.dirname(HERE))).stdout)
    figures['guest_cpu'] = guest_cpu_seconds(namespaces) - guest_before - idle_rate * figures['wall']
    figures['cpu'] += stop_ssh_masters(control_dir)
    if figures['rc'] != 0:
        raise RuntimeError('the diagnose playbook failed (rc %d):\n%s' % (figures['rc'], figures['tail']))
    with open(times) as handle:
        # A role's task is named '<role> : <name>'.
        per_host = [seconds for name, seconds in json.load(handle)['hosts'].items() if name.endswith(DIAGNOSE_TASK)][0]
    figures['hosts'] = len(per_host)
    figures['host_seconds'] = sorted(per_host.values())
    return figures


def stop_ssh_masters(control_dir):
    """The CPU of the run's ssh ControlPersist masters, which left ansible's process tree (so RUSAGE_CHILDREN
    misses them) and carried every ssh session; then stops them."""
    seconds = 0.0
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as handle:
                if control_dir.encode() not in handle.read():
                    continue
            with open('/proc/%s/stat' % pid) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
            seconds += sum(int(value) for value in fields[11:13]) / float(os.sysconf('SC_CLK_TCK'))
            os.kill(int(pid), signal.SIGTERM)
        except OSError:
            continue
    return seconds


def median_run(runs):
    """The medians of 1-host runs, as one run (forks 1)."""
    return {'forks': 1, 'hosts': 1, 'rounds': len(runs),
            'wall': statistics.median(run['wall'] for run in runs), 'cpu': statistics.median(run['cpu'] for run in runs),
            'guest_cpu': statistics.median(run['guest_cpu'] for run in runs),
            'peak_mb': max(run['peak_mb'] for run in runs),
            'host_seconds': [statistics.median(run['host_seconds'][0] for run in runs)]}


def project(single, runs, report_seconds, cpus):
    """1000 VMs at forks 50 from the per-host costs: the larger of what the forks allow (each VM on its own
    CPUs, so a host's diagnose task takes what it took alone) and what the controller's CPUs allow."""
    # Controller CPU per extra host, from each run on every guest against the 1-host run (the mean of the runs).
    per_host = [(run['cpu'] - single['cpu']) / (run['hosts'] - 1) for run in runs]
    controller_per_host = statistics.mean(per_host)
    fixed_cpu = single['cpu'] - controller_per_host  # start-up, play and report for no host
    host_wall = single['host_seconds'][0]
    waves = -(-PROJECTED_HOSTS // PROJECTED_FORKS)
    by_forks = waves * host_wall
    by_cpu = PROJECTED_HOSTS * controller_per_host / cpus
    return {'controller_cpu_per_host': controller_per_host, 'per_host_range': (min(per_host), max(per_host)),
            'fixed_cpu': fixed_cpu, 'host_wall': host_wall, 'waves': waves, 'by_forks': by_forks, 'by_cpu': by_cpu,
            'cpus': cpus, 'guest_cpu_per_host': statistics.mean(run['guest_cpu'] / run['hosts'] for run in runs),
            'report_seconds': report_seconds, 'total': max(by_forks, by_cpu) + fixed_cpu + report_seconds}


def machine():
    ansible = subprocess.run([os.path.join(VENV_BIN, 'ansible'), '--version'], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout.split('\n')[0]
    return '%s, %d CPUs (nproc), %.0f GiB memory; Python %s, %s' % (
        platform.platform(), os.cpu_count(), os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2.0 ** 30,
        platform.python_version(), ansible)


def render(booted, idle_rate, single, runs, projection, load):
    lines = [
        START,
        '## Live: the diagnose playbook on %d lab guests, and a projection for %d VMs (`make bench-live`)' % (
            booted['guests'], PROJECTED_HOSTS),
        '',
        'Generated by tests/bench/live_scale.py on %s.' % (
            datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')),
        '',
        '- Machine: %s; 1-minute load average before the runs %.1f, after %.1f (other jobs share it).' % (
            machine(), load[0], load[1]),
        '- Guests: %d Debian 12 systemd-nspawn guests with the real waagent, all on this machine\'s CPUs with the '
        'controller. Boot: ssh-ready in %.0f s, agent Ready in %.0f s; memory taken (MemAvailable before lab-up '
        'less 30 s after the agents were Ready): %.0f MB, %.1f MB per guest. Idle, the guests used %.2f CPU-s per s. '
        'fs.inotify.max_user_instances raised from %d to %d for the run (8 per guest; see live_scale.py).'
        % ((booted['guests'], booted['ssh_ready_s'], booted['agent_ready_s'], booted['memory_mb'],
            booted['memory_per_guest_mb'], idle_rate) + tuple(booted['inotify_instances'])),
        '- Runs: `ansible-playbook azure_backup.snapshot_doctor.diagnose` with the lab inventory, report written, '
        'each cold (a new ssh ControlPath directory, as a new AWX job container). Controller CPU: user + system of '
        'ansible-playbook and its children (workers, ssh). Guest CPU: the guests\' processes, less their idle rate. '
        'Per-host time: a host\'s time in the diagnose task, from its worker\'s start to its result.',
        '',
        '| hosts | forks | wall, s | controller CPU, s | guest CPU, s | per-host time: min / median / max, s '
        '| peak RSS, MB |',
        '| --- | --- | --- | --- | --- | --- | --- |',
    ]
    for run in [single] + runs:
        seconds = run['host_seconds']
        lines.append('| %d%s | %d | %.1f | %.1f | %.1f | %.2f / %.2f / %.2f | %.0f |' % (
            run['hosts'], ' (median of %d runs)' % run['rounds'] if 'rounds' in run else '', run['forks'], run['wall'],
            run['cpu'], run['guest_cpu'], seconds[0], statistics.median(seconds), seconds[-1], run['peak_mb']))
    p = projection
    lines += [
        '',
        'Projection for %d VMs at forks %d (each VM on its own CPUs, healthy, reachable):' % (
            PROJECTED_HOSTS, PROJECTED_FORKS),
        '',
        '- controller CPU per host: %.3f s (each %d-host run less the 1-host run, per extra host: %.3f to %.3f s, '
        'the mean); fixed: %.1f s (start-up and the play with no host)' % (
            p['controller_cpu_per_host'], runs[0]['hosts'], p['per_host_range'][0], p['per_host_range'][1],
            p['fixed_cpu']),
        '- a host\'s diagnose task alone: %.2f s (the 1-host run); guest CPU per host: %.2f s' % (
            p['host_wall'], p['guest_cpu_per_host']),
        '- forks bound: %d waves x %.2f s = %.0f s; controller CPU bound on %d CPUs: %d x %.3f s / %d = %.0f s' % (
            p['waves'], p['host_wall'], p['by_forks'], p['cpus'], PROJECTED_HOSTS, p['controller_cpu_per_host'],
            p['cpus'], p['by_cpu']),
        '- the report task at %d hosts: %.1f s (`make bench-scale`)' % (PROJECTED_HOSTS, p['report_seconds']),
        '- **projected: about %.0f s** (the larger bound + fixed + report), on a controller like this one; the '
        'CPU bound shrinks with the controller\'s CPUs: %.0f s on 8.' % (
            p['total'], max(p['by_forks'], PROJECTED_HOSTS * p['controller_cpu_per_host'] / 8) + p['fixed_cpu']
            + p['report_seconds']),
        END,
    ]
    return '\n'.join(lines) + '\n'


def replace_section(path, section):
    text = ''
    if os.path.exists(path):
        with open(path) as handle:
            text = handle.read()
    if START in text and END in text:
        text = text[:text.index(START)] + section.rstrip('\n') + text[text.index(END) + len(END):]
    else:
        text = text.rstrip('\n') + '\n\n' + section
    with open(path, 'w') as handle:
        handle.write(text if text.endswith('\n') else text + '\n')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--guests', type=int, default=40)
    parser.add_argument('--forks', default='10,20,40', help='comma-separated; each runs on every guest')
    parser.add_argument('--rounds', type=int, default=3, help='runs on guest1 alone (medians)')
    parser.add_argument('--report-seconds', type=float, default=3.1,
                        help='the report task at 1000 hosts, from make bench-scale')
    parser.add_argument('--output', default=os.path.join(HERE, 'results.md'), help="'-': print only")
    args = parser.parse_args(argv)
    if not 1 < args.guests <= ADDRESS_LIMIT:
        parser.error('--guests must be 2..%d (addresses in the lab subnet)' % ADDRESS_LIMIT)
    if os.geteuid() != 0:
        parser.error('the lab needs root')
    if lab.is_up() or foreign_lab():
        parser.error('a lab is up; stop it first (make lab-down)')
    with open(INOTIFY_INSTANCES) as handle:
        inotify = int(handle.read())
    with tempfile.TemporaryDirectory(prefix='snapshot-doctor-live-') as work_dir:
        try:
            if INOTIFY_PER_GUEST * args.guests + 64 > inotify:
                set_inotify_instances(INOTIFY_PER_GUEST * args.guests + 64)
            state, booted = boot(args.guests)
            booted['inotify_instances'] = (inotify, max(inotify, INOTIFY_PER_GUEST * args.guests + 64))
            print('boot: %r' % booted, file=sys.stderr, flush=True)
            namespaces = guest_namespaces(state)
            idle_rate = idle_guest_rate(namespaces)
            load_before = os.getloadavg()[0]
            inventory = state['inventory']
            single = median_run([run_diagnose(inventory, 'guest1', 1, work_dir, namespaces, idle_rate)
                                 for _round in range(args.rounds)])
            print('1 host: %r' % dict(single, tail='...'), file=sys.stderr, flush=True)
            runs = []
            for forks in (int(item) for item in args.forks.split(',')):
                runs.append(dict(run_diagnose(inventory, 'lab', forks, work_dir, namespaces, idle_rate), forks=forks))
                print('%d hosts, forks %d: %r' % (runs[-1]['hosts'], forks, dict(runs[-1], host_seconds='...', tail='...')),
                      file=sys.stderr, flush=True)
            load_after = os.getloadavg()[0]
        finally:
            lab.down()
            set_inotify_instances(inotify)
    projection = project(single, runs, args.report_seconds, os.cpu_count())
    section = render(booted, idle_rate, single, runs, projection, (load_before, load_after))
    if args.output != '-':
        replace_section(args.output, section)
    print(section)
    return 0


if __name__ == '__main__':
    sys.exit(main())
