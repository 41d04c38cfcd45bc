# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load facts: CPU and memory use sampled several times over a short window.

The window runs beside the rest of the gathering, so the CPU this diagnosis spends (its own threads
and the commands it runs) is taken out of each sample: on a one-vCPU VM the diagnosis alone would
otherwise read as high load. CPU times come from psutil when the host has it, else from /proc/stat;
memory from psutil or /proc/meminfo (the same numbers, computed by hand).
"""
from __future__ import absolute_import, division, print_function

import os

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


def _proc_cpu_seconds(host):
    """(busy, total) CPU seconds of the machine, summed over CPUs, from /proc/stat."""
    text, _size, problem = host.read_text(os.path.join(host.proc_root, 'stat'), real=True,
                                          max_bytes=64 * 1024)
    if problem or text is None:
        raise ValueError(problem or '/proc/stat missing')
    for line in text.splitlines():
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


def _proc_memory_percent(host):
    text, _size, problem = host.read_text(os.path.join(host.proc_root, 'meminfo'), real=True,
                                          max_bytes=64 * 1024)
    if problem or text is None:
        raise ValueError(problem or '/proc/meminfo missing')
    values = {}
    for line in text.splitlines():
        key, _sep, rest = line.partition(':')
        if rest.split():
            values[key] = int(rest.split()[0])
    total = values.get('MemTotal')
    available = values.get('MemAvailable')
    if available is None and total is not None:  # kernels before 3.14
        available = values.get('MemFree', 0) + values.get('Buffers', 0) + values.get('Cached', 0)
    if not total:
        raise ValueError('/proc/meminfo has no MemTotal')
    return 100.0 * (total - available) / total


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


def sample_load(host, samples, interval, use_psutil):
    """(cpu_percent, memory_percent, own CPU seconds): ``samples`` readings ``interval`` apart."""
    read_cpu = _psutil_cpu_seconds if use_psutil else (lambda: _proc_cpu_seconds(host))
    read_memory = ((lambda: psutil.virtual_memory().percent) if use_psutil
                   else (lambda: _proc_memory_percent(host)))
    machine, own, memory = [read_cpu()], [own_cpu_seconds(host.proc_root)], []
    for _index in range(samples):
        host.sleep(interval)
        machine.append(read_cpu())
        own.append(own_cpu_seconds(host.proc_root))
        memory.append(round(read_memory(), 1))
    return cpu_percentages(machine, own), memory, own[-1] - own[0]


def gather_load(host, platform=None, options=None):
    options = options or {}
    if host.offline:
        return skip(OFFLINE_MESSAGE)
    samples = int(options.get('load_samples') or defaults.LOAD_SAMPLES)
    interval = float(options.get('load_interval') if options.get('load_interval') is not None
                     else defaults.LOAD_SAMPLE_INTERVAL_SECONDS)
    use_psutil = bool(HAS_PSUTIL and options.get('use_psutil', True))
    try:
        cpu, memory, own_seconds = sample_load(host, samples, interval, use_psutil)
    except (ValueError, OSError, IndexError) as exc:
        return error('load could not be sampled: %s' % exc)
    try:
        loadavg = [round(value, 2) for value in os.getloadavg()]
    except OSError:
        loadavg = None
    return ok(method='psutil' if use_psutil else 'proc', samples=samples, interval_seconds=interval,
              cpu_percent=cpu, memory_percent=memory, own_cpu_seconds=round(own_seconds, 3),
              cpu_count=os.cpu_count(), loadavg=loadavg)
