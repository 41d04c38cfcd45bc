# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The load gatherer on fake /proc and /sys trees: lasting figures, container figures, MemAvailable."""
from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.linux import load

from linux_fakes import make_host

__metaclass__ = type

PSI_CPU = 'some avg10=93.50 avg60=61.20 avg300=20.00 total=123456789\nfull avg10=1.00 avg60=0.50 avg300=0.10 total=4567\n'
PSI_MEMORY = 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
MEMINFO = ('MemTotal:       16000000 kB\nMemFree:          200000 kB\nMemAvailable:   12000000 kB\n'
           'Buffers:          100000 kB\nCached:         11000000 kB\n')
# The machine as a busy host shows it: every CPU busy, 8 tasks per CPU waiting.
BUSY_STAT = 'cpu  9000 0 1000 0 0 0 0 0 0 0\ncpu0 4500 0 500 0 0 0 0 0 0 0\ncpu1 4500 0 500 0 0 0 0 0 0 0\n'
# A cgroup v2 tree whose top is a non-root cgroup (the kernel gives cgroup.events to those only).
CONTAINER_CGROUP = {'fs/cgroup/cgroup.controllers': 'cpu memory\n', 'fs/cgroup/cgroup.events': 'populated 1\n',
                    'fs/cgroup/cpu.stat': 'usage_usec 5000000\nuser_usec 4000000\nsystem_usec 1000000\n',
                    'fs/cgroup/cpu.max': 'max 100000\n', 'fs/cgroup/cpu.pressure': PSI_CPU,
                    'fs/cgroup/memory.pressure': PSI_MEMORY}


@pytest.fixture
def quiet(monkeypatch):
    """No psutil, and the diagnosis itself spends no CPU: the samples are the fake trees' own."""
    monkeypatch.setattr(load, 'HAS_PSUTIL', False)
    monkeypatch.setattr(load, 'own_cpu_seconds', lambda proc_root: 1.0)


def _ticking(monkeypatch, host, usage_per_second=0.0):
    """A clock that moves only when the host sleeps; the cgroup's cpu.stat grows by ``usage_per_second``."""
    now = [1000.0]
    monkeypatch.setattr(load, '_monotonic', lambda: now[0])

    def sleep(seconds):
        now[0] += seconds
        path = os.path.join(host.sys_root, 'fs', 'cgroup', 'cpu.stat')
        if os.path.exists(path):
            usage = int(open(path).read().split()[1]) + int(usage_per_second * seconds * 1e6)
            with open(path, 'w') as handle:
                handle.write('usage_usec %d\n' % usage)
    host.sleep = sleep


def test_a_vm_gathers_the_lasting_figures_raw(tmp_path, quiet):
    host = make_host(tmp_path, proc={'stat': BUSY_STAT, 'meminfo': MEMINFO, 'loadavg': '1.90 1.20 0.80 3/210 4242\n',
                                     'pressure/cpu': PSI_CPU, 'pressure/memory': PSI_MEMORY},
                     sys={'fs/cgroup/cgroup.controllers': 'cpu memory\n'})  # the machine's root cgroup

    def sleep(seconds):  # work waits for the CPU all the time: the stall total grows as fast as the clock
        path = os.path.join(host.proc_root, 'pressure', 'cpu')
        total = load.parse_pressure(open(path).read())['some']['total'] + int(seconds * 1e6)
        with open(path, 'w') as handle:
            handle.write(PSI_CPU.replace('123456789', str(total)))
    host.sleep = sleep
    facts = load.gather_load(host, options={'load_samples': 2, 'load_interval': 0.1})
    assert facts['result'] == 'ok' and facts['scope'] == 'host' and facts['method'] == 'proc'
    assert facts['pressure']['window_some_usec'] == {'cpu': 200000, 'memory': 0}
    assert facts['container'] == {'detected': False, 'manager': None, 'own_cgroup': False, 'cgroup': None}
    assert facts['loadavg'] == [1.9, 1.2, 0.8]
    assert (facts['cpus'], facts['cpus_source']) == (2, '/proc/stat')  # the CPUs online: cpu0, cpu1
    assert facts['pressure']['source'] == os.path.join(host.proc_root, 'pressure')
    assert facts['pressure']['cpu']['some'] == {'avg10': 93.5, 'avg60': 61.2, 'avg300': 20.0, 'total': 123656789}
    assert facts['pressure']['cpu']['full']['total'] == 4567 and facts['pressure']['memory']['some']['avg10'] == 0.0
    assert facts['pressure']['errors'] == [] and facts['window_seconds'] >= 0


def test_memory_is_what_memavailable_leaves_not_what_the_cache_holds(tmp_path, quiet):
    # 15.8 of 16 GB are not free, but 11 GB of it is page cache: 25 % in use, not 99 %.
    host = make_host(tmp_path, proc={'stat': BUSY_STAT, 'meminfo': MEMINFO})
    host.sleep = lambda seconds: None
    facts = load.gather_load(host, options={'load_samples': 2, 'load_interval': 0})
    assert facts['memory_percent'] == [25.0, 25.0]
    assert facts['memory'] == {'source': 'meminfo', 'total_kib': 16000000, 'available_kib': 12000000,
                               'available_from': 'MemAvailable'}
    # Kernels before 3.14 have no MemAvailable: free, buffers and cache.
    old = make_host(tmp_path / 'old', proc={'stat': BUSY_STAT, 'meminfo': MEMINFO.replace('MemAvailable', 'Other')})
    old.sleep = lambda seconds: None
    facts = load.gather_load(old, options={'load_samples': 1, 'load_interval': 0})
    assert facts['memory_percent'] == [29.4] and facts['memory']['available_from'] == 'MemFree+Buffers+Cached'


def test_psi_missing_or_malformed(tmp_path, quiet):
    # No /proc/pressure (kernel before 4.20, or booted with psi=0): null, not an error.
    host = make_host(tmp_path, proc={'stat': BUSY_STAT, 'meminfo': MEMINFO, 'pressure/cpu': 'some avg10=1\n',
                                     'pressure/memory': PSI_MEMORY.split('\n')[1]})
    host.sleep = lambda seconds: None
    facts = load.gather_load(host, options={'load_samples': 1, 'load_interval': 0})
    assert facts['result'] == 'ok' and facts['pressure']['memory'] is None and facts['pressure']['cpu'] is None
    pressure = os.path.join(host.proc_root, 'pressure')
    assert facts['pressure']['errors'] == ["%s/cpu: malformed line 'some avg10=1'" % pressure,
                                           '%s/memory: no "some" line' % pressure]
    host = make_host(tmp_path / 'none', proc={'stat': BUSY_STAT, 'meminfo': MEMINFO})
    host.sleep = lambda seconds: None
    facts = load.gather_load(host, options={'load_samples': 1, 'load_interval': 0})
    assert facts['pressure']['cpu'] is None and facts['pressure']['memory'] is None and facts['pressure']['errors'] == []
    assert facts['pressure']['window_some_usec'] == {'cpu': None, 'memory': None}
    assert facts['loadavg'] is None  # no /proc/loadavg in this tree


def test_a_container_reads_its_own_cgroup_not_the_busy_machine(tmp_path, quiet, monkeypatch):
    # The machine is saturated (/proc/stat, /proc/loadavg are the host's); the container idles: 5 % of 2 CPUs.
    host = make_host(tmp_path, files={'run/systemd/container': 'systemd-nspawn\n'},
                     proc={'stat': BUSY_STAT, 'meminfo': MEMINFO, 'loadavg': '16.00 12.00 8.00 20/300 99\n',
                           'pressure/cpu': PSI_CPU, 'self/status': 'Name:\tpython3\nCpus_allowed_list:\t0-1\n'},
                     sys=CONTAINER_CGROUP)
    _ticking(monkeypatch, host, usage_per_second=0.1)
    facts = load.gather_load(host, options={'load_samples': 3, 'load_interval': 0.5})
    assert facts['scope'] == 'container' and facts['method'] == 'cgroup'
    cgroup = os.path.join(host.sys_root, 'fs', 'cgroup')
    assert facts['container'] == {'detected': True, 'manager': 'systemd-nspawn', 'own_cgroup': True, 'cgroup': cgroup}
    assert facts['cpu_percent'] == [5.0, 5.0, 5.0] and facts['window_seconds'] == 1.5
    assert (facts['cpus'], facts['cpus_source']) == (2, 'affinity')  # cpu.max says max: no quota
    assert facts['pressure']['source'] == cgroup and facts['pressure']['cpu']['some']['avg10'] == 93.5
    # No memory.current (the memory controller is not enabled for it): the machine's MemAvailable.
    assert facts['memory']['source'] == 'meminfo' and facts['memory_percent'] == [25.0, 25.0, 25.0]
    assert facts['loadavg'] == [16.0, 12.0, 8.0]  # raw: the rule knows it is the machine's


def test_a_container_cpu_burner_reads_busy(tmp_path, quiet, monkeypatch):
    cgroup = dict(CONTAINER_CGROUP, **{'fs/cgroup/cpu.max': '150000 100000\n'})
    host = make_host(tmp_path, proc={'stat': BUSY_STAT, 'meminfo': MEMINFO}, sys=cgroup)
    _ticking(monkeypatch, host, usage_per_second=1.5)
    facts = load.gather_load(host, options={'load_samples': 2, 'load_interval': 0.2})
    assert (facts['cpus'], facts['cpus_source']) == (1.5, 'cpu.max') and facts['cpu_percent'] == [100.0, 100.0]
    assert facts['container']['manager'] is None and facts['container']['detected'] is True


@pytest.mark.parametrize('files, cpus', [
    ({'fs/cgroup/cpuset.cpus.effective': '0-3,6\n'}, (5, 'cpuset.cpus.effective')),
    ({}, (os.cpu_count(), 'os.cpu_count')),
])
def test_container_cpus_without_quota(tmp_path, files, cpus):
    host = make_host(tmp_path, sys=dict(CONTAINER_CGROUP, **files))
    assert load.cgroup_cpus(host, os.path.join(host.sys_root, 'fs', 'cgroup')) == cpus


def test_container_memory_leaves_out_its_inactive_file_cache(tmp_path, quiet, monkeypatch):
    memory = {'fs/cgroup/memory.current': '%d\n' % (900 * 1048576),
              'fs/cgroup/memory.stat': 'anon 209715200\nfile 734003200\ninactive_file 629145600\nactive_file 10\n',
              'fs/cgroup/memory.max': '%d\n' % (1024 * 1048576)}
    host = make_host(tmp_path, proc={'meminfo': MEMINFO}, sys=dict(CONTAINER_CGROUP, **memory))
    _ticking(monkeypatch, host)
    facts = load.gather_load(host, options={'load_samples': 1, 'load_interval': 0.1})
    # 900 MiB charged, 600 MiB of it inactive file cache: 300 of 1024 MiB in use.
    assert facts['memory_percent'] == [29.3]
    assert facts['memory'] == {'source': 'cgroup', 'total_kib': 1048576, 'available_kib': 741376,
                               'limit_from': 'memory.max', 'current_kib': 921600, 'inactive_file_kib': 614400}
    # Without a limit the machine's memory is the container's.
    with open(os.path.join(host.sys_root, 'fs', 'cgroup', 'memory.max'), 'w') as handle:
        handle.write('max\n')
    facts = load.gather_load(host, options={'load_samples': 1, 'load_interval': 0.1})
    assert facts['memory']['limit_from'] == 'MemTotal' and facts['memory']['total_kib'] == 16000000


@pytest.mark.parametrize('files, proc, sys, expected', [
    # nspawn on a hybrid host: cgroup v2 beside the v1 controllers, container= in PID 1's environment.
    ({}, {'1/environ': 'PATH=/bin\x00container=systemd-nspawn\x00'},
     {'fs/cgroup/unified/cgroup.controllers': '', 'fs/cgroup/unified/cgroup.events': 'populated 1\n'},
     {'detected': True, 'manager': 'systemd-nspawn', 'own_cgroup': True, 'cgroup': 'fs/cgroup/unified'}),
    # A VM: the machine's root cgroup, no marker. /.dockerenv alone is no container (Firecracker VMs have it).
    ({'.dockerenv': ''}, {'1/environ': 'PATH=/bin\x00'}, {'fs/cgroup/cgroup.controllers': ''},
     {'detected': False, 'manager': None, 'own_cgroup': False, 'cgroup': None}),
    # A marker without a cgroup of its own (cgroup v1 only): a container, but no figures of its own.
    ({'run/systemd/container': 'lxc\n'}, {}, {'fs/cgroup/cpu/tasks': '1\n'},
     {'detected': True, 'manager': 'lxc', 'own_cgroup': False, 'cgroup': None}),
])
def test_detect_container(tmp_path, files, proc, sys, expected):
    host = make_host(tmp_path, files=files, proc=proc, sys=sys)
    found = load.detect_container(host, load.cgroup2_root(host))
    if expected['cgroup']:
        expected = dict(expected, cgroup=os.path.join(host.sys_root, expected['cgroup']))
    assert found == expected


def test_count_cpu_list():
    assert [load.count_cpu_list(text) for text in ('0', '0-3', '0-3,6,8-9\n', '')] == [1, 4, 7, 0]


def test_parse_pressure():
    parsed = load.parse_pressure(PSI_CPU)
    assert parsed['some']['avg60'] == 61.2 and parsed['full']['avg10'] == 1.0
    assert load.parse_pressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n') == {
        'some': {'avg10': 0.0, 'avg60': 0.0, 'avg300': 0.0, 'total': 0}}
    for text in ('', 'some avg10=x avg60=0 avg300=0 total=0\n', 'some avg10=1\n'):
        with pytest.raises(ValueError):
            load.parse_pressure(text)
