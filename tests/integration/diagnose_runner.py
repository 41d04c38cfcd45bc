"""Drive the lab and run the diagnose playbook and `ansible -m setup` from the working tree; shared
by the lab integration tests and the benchmark (tests/bench/bench.py).

The collection is found through .build/collections (tests/conftest.py creates the link), so
playbooks run the code of this checkout, not an installed copy. SNAPSHOT_LAB_DIR points at another
copy of tests/lab (one whose snapshot_lab/config.py uses other names and another subnet), so that
a developer can run these tests while the default lab is busy.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(REPO, '.venv', 'bin')
COLLECTIONS = os.path.join(REPO, '.build', 'collections')
PLAYBOOK = 'azure_backup.snapshot_doctor.diagnose'
LAB_DIR = os.environ.get('SNAPSHOT_LAB_DIR') or os.path.join(REPO, 'tests', 'lab')
LAB_CLI = os.path.join(LAB_DIR, 'lab.py')


def lab_config():
    """The lab's config module (names, addresses) of the lab these tests drive."""
    if LAB_DIR not in sys.path:
        sys.path.insert(0, LAB_DIR)
    from snapshot_lab import config
    return config


def lab_cli(*args, **kwargs):
    """Run the lab CLI; raise with its output when it fails (unless check=False)."""
    completed = subprocess.run([sys.executable, LAB_CLI] + list(args), text=True, check=False,
                               timeout=kwargs.get('timeout', 300),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if kwargs.get('check', True) and completed.returncode != 0:
        raise RuntimeError('lab.py %s failed (%d):\n%s' % (' '.join(args), completed.returncode,
                                                           completed.stdout))
    return completed


def foreign_lab():
    """What shows that a lab is running on this machine (any instance), or None.

    Two labs share the lab subnet, so a second one would steal the first one's routes; the
    integration tests and the benchmark only start a lab when none runs.
    """
    config = lab_config()
    routes = subprocess.run(['ip', '-o', 'route', 'show', 'to', config.SUBNET], text=True, check=False,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
    if routes:
        return 'a route to the lab subnet exists: %s' % routes
    return None


def ensure_collection_link():
    link = os.path.join(COLLECTIONS, 'ansible_collections', 'azure_backup', 'snapshot_doctor')
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.relpath(REPO, os.path.dirname(link)), link)


def ansible_env(forks=10):
    ensure_collection_link()
    env = dict(os.environ)
    env.update({
        'PATH': VENV_BIN + os.pathsep + env.get('PATH', ''),
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
        'ANSIBLE_FORKS': str(forks),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
    })
    return env


def _run(argv, env, cwd, timeout):
    started = time.monotonic()
    completed = subprocess.run(argv, env=env, cwd=cwd, timeout=timeout, text=True, check=False,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return completed, time.monotonic() - started


def run_diagnose(inventory, report_dir, limit=None, extra_vars=None, tags=None, check=False,
                 forks=10, timeout=300, environment=None):
    """ansible-playbook azure_backup.snapshot_doctor.diagnose; returns (CompletedProcess, seconds).

    ``inventory`` is a path or a list of paths (later ones add hosts to earlier ones).
    """
    argv = [os.path.join(VENV_BIN, 'ansible-playbook'), PLAYBOOK]
    for path in ([inventory] if isinstance(inventory, str) else inventory):
        argv += ['-i', str(path)]
    argv += ['-e', json.dumps(dict({'diagnose_report_dir': str(report_dir)}, **(extra_vars or {})))]
    if limit:
        argv += ['--limit', limit]
    if tags:
        argv += ['--tags', tags]
    if check:
        argv.append('--check')
    return _run(argv, dict(ansible_env(forks), **(environment or {})), REPO, timeout)


def run_playbook(playbook, inventory, limit, forks=10, timeout=300):
    """ansible-playbook PLAYBOOK -i INVENTORY --limit LIMIT; returns (CompletedProcess, seconds)."""
    argv = [os.path.join(VENV_BIN, 'ansible-playbook'), playbook, '-i', inventory, '--limit', limit]
    return _run(argv, ansible_env(forks), REPO, timeout)


def run_setup(inventory, pattern='all', forks=10, timeout=300):
    """ansible PATTERN -m setup; returns (CompletedProcess, seconds)."""
    argv = [os.path.join(VENV_BIN, 'ansible'), pattern, '-i', inventory, '-m', 'ansible.builtin.setup']
    return _run(argv, ansible_env(forks), REPO, timeout)


def read_findings(report_dir):
    with open(os.path.join(str(report_dir), 'findings.json')) as handle:
        return json.load(handle)


def statuses(document, host):
    """check id -> status for one host of a findings.json document."""
    return dict((finding['check'], finding['status']) for finding in document['hosts'][host]['findings'])


def finding(document, host, check):
    for item in document['hosts'][host]['findings']:
        if item['check'] == check:
            return item
    raise KeyError('%s has no finding %s' % (host, check))


def run_awx_job(private_data_dir, playbook, inventory, extravars, timeout=300):
    """Run ``playbook`` (a path inside the project) with ansible-runner the way AWX runs a job template.

    The project is this repository's awx/ directory copied into <private_data_dir>/project, as a project sync
    would put it; the collections come from .build/collections, where AWX would install
    collections/requirements.yml. Fact caching is on, with the jsonfile cache in the run's artifacts
    (AWX's "Enable Fact Storage"). Returns (the runner's Runner, seconds).
    """
    import ansible_runner  # only these tests need it

    project = os.path.join(str(private_data_dir), 'project')
    shutil.copytree(os.path.join(REPO, 'awx'), os.path.join(project, 'awx'))
    env = ansible_env()
    keys = ('PATH', 'ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_NOCOLOR', 'ANSIBLE_RETRY_FILES_ENABLED')
    envvars = dict((key, env[key]) for key in keys)
    started = time.monotonic()
    runner = ansible_runner.run(private_data_dir=str(private_data_dir), playbook=playbook, inventory=inventory,
                                extravars=extravars, envvars=envvars, fact_cache_type='jsonfile',
                                timeout=timeout, quiet=True)
    return runner, time.monotonic() - started


def cached_facts(cache_dir, host):
    """A host's facts from ansible's jsonfile fact cache (what AWX reads back after a job).

    ansible-core 2.19 names the file s<schema>_<host> and wraps the facts as JSON text under __payload__;
    earlier versions wrote <host> with the facts themselves.
    """
    names = [name for name in os.listdir(cache_dir) if name == host or re.match(r's\d+_%s$' % re.escape(host), name)]
    assert len(names) == 1, (host, os.listdir(cache_dir))
    with open(os.path.join(cache_dir, names[0])) as handle:
        document = json.load(handle)
    return json.loads(document['__payload__']) if '__payload__' in document else document
