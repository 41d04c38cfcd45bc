# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load facts: CPU and memory use sampled several times over a short window.

psutil when the host has it, else /proc/stat and /proc/meminfo (same numbers, computed by hand).
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


def _cpu_times(host):
    """(busy, total) jiffies from the aggregate line of /proc/stat."""
    text, _size, problem = host.read_text(os.path.join(host.proc_root, 'stat'), real=True,
                                          max_bytes=64 * 1024)
    if problem or text is None:
        raise ValueError(problem or '/proc/stat missing')
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == 'cpu':
            values = [int(value) for value in fields[1:]]
            # user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
            values = values[:8]
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            return sum(values) - idle, sum(values)
    raise ValueError('/proc/stat has no aggregate cpu line')


def _memory_percent(host):
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
    return round(100.0 * (total - available) / total, 1)


def _sample_proc(host, samples, interval):
    cpu, memory = [], []
    before = _cpu_times(host)
    for _index in range(samples):
        host.sleep(interval)
        after = _cpu_times(host)
        busy, total = after[0] - before[0], after[1] - before[1]
        cpu.append(round(100.0 * busy / total, 1) if total > 0 else 0.0)
        memory.append(_memory_percent(host))
        before = after
    return cpu, memory


def _sample_psutil(samples, interval):
    cpu, memory = [], []
    psutil.cpu_percent(interval=None)  # starts the measurement window
    for _index in range(samples):
        cpu.append(round(psutil.cpu_percent(interval=interval), 1))
        memory.append(round(psutil.virtual_memory().percent, 1))
    return cpu, memory


def gather_load(host, platform=None, options=None):
    options = options or {}
    if host.offline:
        return skip(OFFLINE_MESSAGE)
    samples = int(options.get('load_samples') or defaults.LOAD_SAMPLES)
    interval = float(options.get('load_interval') if options.get('load_interval') is not None
                     else defaults.LOAD_SAMPLE_INTERVAL_SECONDS)
    use_psutil = HAS_PSUTIL and options.get('use_psutil', True)
    try:
        if use_psutil:
            cpu, memory = _sample_psutil(samples, interval)
        else:
            cpu, memory = _sample_proc(host, samples, interval)
    except (ValueError, OSError, IndexError) as exc:
        return error('load could not be sampled: %s' % exc)
    try:
        loadavg = [round(value, 2) for value in os.getloadavg()]
    except OSError:
        loadavg = None
    return ok(method='psutil' if use_psutil else 'proc', samples=samples, interval_seconds=interval,
              cpu_percent=cpu, memory_percent=memory, cpu_count=os.cpu_count(), loadavg=loadavg)
