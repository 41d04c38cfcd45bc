# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load facts: CPU and memory use sampled over a short window, and the kernel's lasting figures.

The window runs beside the rest of the gathering, so the CPU this diagnosis spends (its own threads
and the commands it runs) is taken out of each sample: on a one-vCPU VM the diagnosis alone would
otherwise read as high load. CPU times come from psutil when the host has it, else from /proc/stat;
memory from psutil or /proc/meminfo (MemAvailable: page cache the kernel can reclaim is not in use).

A sub-second window cannot tell a burst from lasting load, so the figures the kernel keeps over time
are gathered too, raw: pressure stall information (PSI) and the load average. The rule judges them.

Inside a container, /proc/stat, /proc/loadavg and /proc/pressure describe the whole machine. When the
container has a cgroup v2 of its own, its figures replace them: CPU from cpu.stat over the window, the
CPUs from cpu.max (else cpuset.cpus.effective, else the CPUs this process may run on), PSI from
cpu.pressure and memory.pressure, memory from memory.current less inactive_file against memory.max.
"""
from __future__ import absolute_import, division, print_function

import os
import time

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux.host import (
    OFFLINE_MESSAGE, error, ok, skip)

__metaclass__ = type

try:
    import psutil
    HAS_PSUTIL = True
except ImportError:  # pragma: no cover - depends on the host
    psutil = None
    HAS_PSUTIL = False

# /proc/stat counts in USER_HZ ticks.
_TICKS_PER_SECOND = float(os.sysconf('SC_CLK_TCK')) if hasattr(os, 'sysconf') else 100.0
# Where cgroup v2 is mounted under /sys: alone, or beside the v1 controllers ("hybrid" hosts).
_CGROUP2_MOUNTS = ('fs/cgroup', 'fs/cgroup/unified')
_SMALL_FILE = 64 * 1024
# The clock of the cgroup CPU window (a test replaces it).
_monotonic = time.monotonic


def _read(host, path, required=True):
    """Text of a small kernel file on this machine; None when it is missing and not ``required``."""
    text, _size, problem = host.read_text(path, real=True, max_bytes=_SMALL_FILE)
    if problem:
        raise ValueError(problem)
    if text is None and required:
        raise ValueError('%s missing' % path)
    return text


def _numbers(text, separator=None):
    """{'MemTotal': 1000, ...}: the first integer after each key ('key: 1 kB' with separator ':')."""
    values = {}
    for line in text.splitlines():
        key, _sep, rest = line.partition(separator or ' ')
        fields = rest.split()
        if fields and fields[0].isdigit():
            values[key.strip()] = int(fields[0])
    return values


# -- CPU -------------------------------------------------------------------------------------------------------
def _proc_cpu_seconds(host):
    """(busy, total) CPU seconds of the machine, summed over CPUs, from /proc/stat."""
    for line in _read(host, os.path.join(host.proc_root, 'stat')).splitlines():
        fields = line.split()
        if fields and fields[0] == 'cpu':
            # user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
            values = [int(value) for value in fields[1:9]]
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            return (sum(values) - idle) / _TICKS_PER_SECOND, sum(values) / _TICKS_PER_SECOND
    raise ValueError('/proc/stat has no aggregate cpu line')


def _psutil_cpu_seconds():
    """(busy, total) CPU seconds of the machine, summed over CPUs, from psutil (same fields)."""
    times = psutil.cpu_times()
    idle = times.idle + getattr(times, 'iowait', 0.0)
    total = sum(getattr(times, name, 0.0) for name in
                ('user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'))
    return total - idle, total


def _cgroup_cpu_reader(host, cgroup, cpus):
    """A reader of (busy, total) CPU seconds of the cgroup: its usage, and the wall time times its CPUs."""
    started = _monotonic()

    def read():
        usage = _numbers(_read(host, os.path.join(cgroup, 'cpu.stat'))).get('usage_usec')
        if usage is None:
            raise ValueError('%s/cpu.stat has no usage_usec' % cgroup)
        return usage / 1e6, (_monotonic() - started) * cpus
    return read


def count_cpu_list(text):
    """Number of CPUs in a kernel CPU list such as '0-3,6' (cpuset.cpus.effective, Cpus_allowed_list)."""
    count = 0
    for part in text.strip().split(','):
        if not part:
            continue
        first, _sep, last = part.partition('-')
        count += int(last or first) - int(first) + 1
    return count


def machine_cpus(host):
    """(CPUs, source) the machine's load average is shared by: the CPUs online in /proc/stat."""
    try:
        text = _read(host, os.path.join(host.proc_root, 'stat'))
    except ValueError:
        return os.cpu_count(), 'os.cpu_count'
    online = sum(1 for line in text.splitlines() if line.startswith('cpu') and line[3:4].isdigit())
    return (online, '/proc/stat') if online else (os.cpu_count(), 'os.cpu_count')


def cgroup_cpus(host, cgroup):
    """(CPUs, source) a cgroup may use: its quota, else its cpuset, else this process's affinity."""
    quota = (_read(host, os.path.join(cgroup, 'cpu.max'), required=False) or '').split()
    if len(quota) == 2 and quota[0] != 'max':
        return round(int(quota[0]) / int(quota[1]), 2), 'cpu.max'
    cpuset = _read(host, os.path.join(cgroup, 'cpuset.cpus.effective'), required=False)
    if cpuset and cpuset.strip():
        return count_cpu_list(cpuset), 'cpuset.cpus.effective'
    status = _read(host, os.path.join(host.proc_root, 'self', 'status'), required=False) or ''
    for line in status.splitlines():
        if line.startswith('Cpus_allowed_list:'):
            return count_cpu_list(line.split(':', 1)[1]), 'affinity'
    return os.cpu_count(), 'os.cpu_count'


# -- memory ----------------------------------------------------------------------------------------------------
def _meminfo(host):
    """Raw memory of the machine from /proc/meminfo, in KiB: total, available (MemAvailable)."""
    values = _numbers(_read(host, os.path.join(host.proc_root, 'meminfo')), ':')
    total = values.get('MemTotal')
    if not total:
        raise ValueError('/proc/meminfo has no MemTotal')
    available, source = values.get('MemAvailable'), 'MemAvailable'
    if available is None:  # kernels before 3.14
        available, source = values.get('MemFree', 0) + values.get('Buffers', 0) + values.get('Cached', 0), \
            'MemFree+Buffers+Cached'
    return {'source': 'meminfo', 'total_kib': total, 'available_kib': available, 'available_from': source}


def _cgroup_memory(host, cgroup):
    """Raw memory of the cgroup in KiB: what it holds less the file cache it could drop, against its limit."""
    current = int(_read(host, os.path.join(cgroup, 'memory.current')).strip())
    inactive_file = _numbers(_read(host, os.path.join(cgroup, 'memory.stat'))).get('inactive_file', 0)
    limit = _read(host, os.path.join(cgroup, 'memory.max')).strip()
    if limit == 'max':
        total, limit_from = _meminfo(host)['total_kib'], 'MemTotal'
    else:
        total, limit_from = int(limit) // 1024, 'memory.max'
    used = max(current - inactive_file, 0) // 1024
    return {'source': 'cgroup', 'total_kib': total, 'available_kib': max(total - used, 0),
            'limit_from': limit_from, 'current_kib': current // 1024, 'inactive_file_kib': inactive_file // 1024}


def memory_percent(memory):
    return 100.0 * (memory['total_kib'] - memory['available_kib']) / memory['total_kib']


# -- this diagnosis's own CPU ----------------------------------------------------------------------------------
def _process_cpu_seconds(proc_root, pid):
    """utime + stime of a process and of the children it has reaped, or 0 when it is gone."""
    try:
        with open(os.path.join(proc_root, pid, 'stat')) as handle:
            # Fields after "(comm)": state ppid ... utime(14) stime(15) cutime(16) cstime(17).
            fields = handle.read().rpartition(')')[2].split()
        return sum(int(value) for value in fields[11:15]) / _TICKS_PER_SECOND
    except (OSError, ValueError):
        return 0.0


def own_cpu_seconds(proc_root='/proc'):
    """CPU seconds spent so far by this process (every thread) and by the commands it runs.

    Commands still running are read from /proc/self/task/*/children; without that file (a kernel
    without CONFIG_PROC_CHILDREN) a command counts when it is reaped, which cpu_percentages evens out.
    """
    times = os.times()
    seconds = times[0] + times[1] + times[2] + times[3]
    tasks = os.path.join(proc_root, 'self', 'task')
    try:
        threads = os.listdir(tasks)
    except OSError:
        return seconds
    for thread in threads:
        try:
            with open(os.path.join(tasks, thread, 'children')) as handle:
                children = handle.read().split()
        except OSError:
            continue
        seconds += sum(_process_cpu_seconds(proc_root, child) for child in children)
    return seconds


def cpu_percentages(machine, own):
    """Per-interval CPU use of the VM's own workload, with this diagnosis left out.

    ``machine``: (busy, total) CPU seconds at each sampling instant; ``own``: own_cpu_seconds() at
    the same instants. Each interval gives the share of the CPU time the diagnosis left over that
    the rest of the machine used: (busy - own) / (total - own). It is never above the raw reading,
    and a saturated machine still reads 100 % (our CPU displaced work that was waiting). A command
    that ends between two readings may be counted for us an interval late: what exceeds the
    machine's busy time in an interval is carried back to the intervals before.
    """
    busy, total, mine = [], [], []
    for index in range(1, len(machine)):
        busy.append(machine[index][0] - machine[index - 1][0])
        total.append(machine[index][1] - machine[index - 1][1])
        mine.append(own[index] - own[index - 1])
    carry = 0.0
    for index in reversed(range(len(mine))):
        spent = mine[index] + carry
        mine[index] = min(max(spent, 0.0), busy[index])
        carry = max(spent - mine[index], 0.0)
    percentages = []
    for used, available, ours in zip(busy, total, mine):
        left = available - ours
        share = (used - ours) / left if left > 0 else 0.0
        percentages.append(round(100.0 * min(max(share, 0.0), 1.0), 1))
    return percentages


def sample_load(host, samples, interval, read_cpu, read_memory):
    """(cpu_percent, memory_percent, own CPU seconds, window seconds): ``samples`` readings ``interval`` apart.

    ``read_memory`` returns a percentage or a raw memory dict (then the last one is returned too).
    """
    began = _monotonic()
    machine, own, memory, raw = [read_cpu()], [own_cpu_seconds(host.proc_root)], [], None
    for _index in range(samples):
        host.sleep(interval)
        machine.append(read_cpu())
        own.append(own_cpu_seconds(host.proc_root))
        reading = read_memory()
        if isinstance(reading, dict):
            raw, reading = reading, memory_percent(reading)
        memory.append(round(reading, 1))
    return cpu_percentages(machine, own), memory, own[-1] - own[0], _monotonic() - began, raw


# -- the lasting figures ---------------------------------------------------------------------------------------
def parse_pressure(text):
    """{'some': {'avg10': 1.5, 'avg60': .., 'avg300': .., 'total': usec}, 'full': {...}} of a PSI file."""
    lines = {}
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] in ('some', 'full'):
            values = dict(field.split('=', 1) for field in fields[1:] if '=' in field)
            try:
                lines[fields[0]] = {'avg10': float(values['avg10']), 'avg60': float(values['avg60']),
                                    'avg300': float(values['avg300']), 'total': int(values['total'])}
            except (KeyError, ValueError):
                raise ValueError('malformed line %r' % line[:200])
    if 'some' not in lines:
        raise ValueError('no "some" line')
    return lines


def gather_pressure(host, cgroup=None):
    """PSI of CPU and memory: the cgroup's (cpu.pressure) or the machine's (/proc/pressure/cpu).

    A missing file is null: a kernel before 4.20, without CONFIG_PSI, or booted with psi=0.
    """
    found = {'result': 'ok', 'source': cgroup or os.path.join(host.proc_root, 'pressure'), 'errors': []}
    for resource in ('cpu', 'memory'):
        path = (os.path.join(cgroup, resource + '.pressure') if cgroup
                else os.path.join(host.proc_root, 'pressure', resource))
        found[resource] = None
        try:
            text = _read(host, path, required=False)
            found[resource] = parse_pressure(text) if text is not None else None
        except ValueError as exc:
            found['errors'].append('%s: %s' % (path, exc))
    return found


def pressure_growth(before, after):
    """{'cpu': usec, 'memory': usec}: the "some" stall time each resource gained between two PSI readings
    (the pressure during the sampling window itself), None where a reading is missing."""
    grown = {}
    for resource in ('cpu', 'memory'):
        first, last = before.get(resource), after.get(resource)
        grown[resource] = last['some']['total'] - first['some']['total'] if first and last else None
    return grown


def read_loadavg(host):
    """[1, 5, 15]-minute load averages from /proc/loadavg, or None when it cannot be read."""
    try:
        return [float(value) for value in _read(host, os.path.join(host.proc_root, 'loadavg')).split()[:3]]
    except ValueError:
        return None


# -- container -------------------------------------------------------------------------------------------------
def cgroup2_root(host):
    """The cgroup v2 directory this system sees at /sys/fs/cgroup (or .../unified), or None."""
    for relative in _CGROUP2_MOUNTS:
        path = os.path.join(host.sys_root, relative)
        if os.path.isfile(os.path.join(path, 'cgroup.controllers')):
            return path
    return None


def detect_container(host, cgroup):
    """Whether this system is a container, and whether the cgroup it sees is its own.

    What decides which figures describe this system is the kernel's own mark: the kernel gives
    cgroup.events to every cgroup but the machine's root one, so a cgroup v2 tree whose top has it
    is a container's own cgroup (a cgroup namespace, or a container cgroup mounted there, as
    systemd-nspawn, Docker, podman and LXC do). /proc/stat and /proc/loadavg then count the whole
    machine. Marker files only name the manager: /run/systemd/container and container= in PID 1's
    environment. /.dockerenv is not used: machines that are not containers have it too (a
    Firecracker VM built from a Docker image).
    """
    own = bool(cgroup) and os.path.isfile(os.path.join(cgroup, 'cgroup.events'))
    manager = None
    try:
        manager = (_read(host, host.path('/run/systemd/container'), required=False) or '').strip() or None
    except ValueError:
        pass
    if manager is None:
        try:
            environ = _read(host, os.path.join(host.proc_root, '1', 'environ'), required=False) or ''
        except ValueError:  # only root may read PID 1's environment
            environ = ''
        for entry in environ.split('\0'):
            if entry.startswith('container=') and entry[10:]:
                manager = entry[10:]
    return {'detected': own or manager is not None, 'manager': manager, 'own_cgroup': own,
            'cgroup': cgroup if own else None}


# -- the section -----------------------------------------------------------------------------------------------
def _memory_reader(host, cgroup, use_psutil):
    if cgroup and os.path.isfile(os.path.join(cgroup, 'memory.current')):
        return lambda: _cgroup_memory(host, cgroup)
    if use_psutil:
        return lambda: psutil.virtual_memory().percent
    return lambda: _meminfo(host)


def _readers(host, cgroup, use_psutil):
    """(method, read_cpu, read_memory, CPUs, their source, cgroup or None): what the samples are read from.

    A container's own cgroup replaces the machine's CPU figures when it has cpu.stat, and the memory
    figures when it has memory.current (the memory controller is enabled for it).
    """
    if cgroup and os.path.isfile(os.path.join(cgroup, 'cpu.stat')):
        cpus, cpus_source = cgroup_cpus(host, cgroup)
        return ('cgroup', _cgroup_cpu_reader(host, cgroup, cpus), _memory_reader(host, cgroup, use_psutil),
                cpus, cpus_source, cgroup)
    cpus, cpus_source = machine_cpus(host)
    read_cpu = _psutil_cpu_seconds if use_psutil else (lambda: _proc_cpu_seconds(host))
    return ('psutil' if use_psutil else 'proc', read_cpu, _memory_reader(host, None, use_psutil),
            cpus, cpus_source, None)


def gather_load(host, platform=None, options=None):
    options = options or {}
    if host.offline:
        return skip(OFFLINE_MESSAGE)
    samples = int(options.get('load_samples') or defaults.LOAD_SAMPLES)
    interval = float(options.get('load_interval') if options.get('load_interval') is not None
                     else defaults.LOAD_SAMPLE_INTERVAL_SECONDS)
    use_psutil = bool(HAS_PSUTIL and options.get('use_psutil', True))
    container = detect_container(host, cgroup2_root(host))
    try:
        method, read_cpu, read_memory, cpus, cpus_source, cgroup = _readers(host, container['cgroup'], use_psutil)
        before = gather_pressure(host, cgroup)
        cpu, memory, own_seconds, window, raw_memory = sample_load(host, samples, interval, read_cpu, read_memory)
    except (ValueError, OSError, IndexError, ZeroDivisionError) as exc:
        return error('load could not be sampled: %s' % exc)
    pressure = gather_pressure(host, cgroup)
    pressure['window_some_usec'] = pressure_growth(before, pressure)
    if raw_memory is None:  # psutil's samples come from /proc/meminfo: the raw figures behind them
        try:
            raw_memory = _meminfo(host)
        except ValueError as exc:
            raw_memory = {'source': 'meminfo', 'error': str(exc)}
    return ok(method=method, samples=samples, interval_seconds=interval, window_seconds=round(window, 3),
              cpu_percent=cpu, memory_percent=memory, own_cpu_seconds=round(own_seconds, 3),
              cpu_count=os.cpu_count(), cpus=cpus, cpus_source=cpus_source,
              scope='container' if cgroup else 'host', container=container, memory=raw_memory,
              loadavg=read_loadavg(host), pressure=pressure)
